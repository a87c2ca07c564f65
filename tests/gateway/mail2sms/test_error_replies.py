"""AllMySMS's error e-mails: produced by the simulator, read by ``parse_error_reply``."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    RecipientsRejectedError,
)
from texto_gateway.mail2sms import parse_error_reply
from texto_gateway.models import SendRequest

from .conftest import ALICE, API_KEY, BOB, FROM_ADDRESS, LOGIN, make_gateway


async def mail(simulator: Mail2SmsSimulator, subject: str, body: str = "Bonjour") -> None:
    """Send a hand-made e-mail: what the library would never write, a person might."""
    message = EmailMessage()
    message["From"] = "Someone <someone@example.org>"
    message["To"] = "mail2sms@allmysms.com"
    message["Subject"] = subject
    message.set_content(body)
    await aiosmtplib.send(
        message, hostname=simulator.host, port=simulator.port, start_tls=False, timeout=5
    )


def only_reply(simulator: Mail2SmsSimulator) -> tuple[str, GatewayError]:
    assert simulator.sends == []
    assert len(simulator.error_replies) == 1
    address, body = simulator.error_replies[0]
    error = parse_error_reply(body)
    assert error is not None
    return address, error


# --- each status, from a real e-mail ----------------------------------------------------


async def test_102_wrong_api_key(server: Mail2SmsSimulator) -> None:
    result = await make_gateway(server, api_key="wrong-key").send(
        SendRequest(recipients=(ALICE,), text="Bonjour")
    )

    # SMTP took it: the library can only say "handed over"; the refusal comes by e-mail
    assert result.status == "handed_over"
    address, error = only_reply(server)
    assert address == FROM_ADDRESS
    assert isinstance(error, AuthenticationError)
    assert error.code == "102"


async def test_104_not_enough_credit(server: Mail2SmsSimulator, account: AllMySmsSimulator) -> None:
    account.credits = 40.0

    await make_gateway(server).send(SendRequest(recipients=(ALICE, BOB), text="x" * 200))

    _, error = only_reply(server)
    assert isinstance(error, CreditError)
    assert error.code == "104"
    assert (error.required, error.available) == (60.0, 40.0)
    assert account.credits == 40.0


async def test_114_no_valid_number(server: Mail2SmsSimulator, account: AllMySmsSimulator) -> None:
    account.unroutable_numbers.add("33612345678")

    await make_gateway(server).send(SendRequest(recipients=(ALICE,), text="Bonjour"))

    _, error = only_reply(server)
    assert isinstance(error, RecipientsRejectedError)
    assert error.code == "114"


@pytest.mark.parametrize(
    ("subject", "body", "code", "error_type", "field"),
    [
        ("", "Bonjour", "105", InvalidRequestError, None),
        (f"{LOGIN}@{API_KEY}", "Bonjour", "109", InvalidRequestError, None),
        (f"{LOGIN}@{API_KEY}|33612345678|color=red", "Bonjour", "109", InvalidRequestError, None),
        (f"{LOGIN}@{API_KEY}|33612345678", "   ", "110", InvalidRequestError, "text"),
        (f"{LOGIN}@{API_KEY}|33612345678", "a" * 1225, "111", InvalidRequestError, "text"),
        (f"{LOGIN}@{API_KEY}|12;abc", "Bonjour", "114", RecipientsRejectedError, None),
        (
            f"{LOGIN}@{API_KEY}|33612345678|date=29/09/2031 14:00",
            "Bonjour",
            "115",
            InvalidRequestError,
            "send_at",
        ),
        (f"{LOGIN}@nope|33612345678", "Bonjour", "102", AuthenticationError, None),
    ],
)
async def test_hand_made_emails(  # noqa: PLR0917 - the parametrized cases
    server: Mail2SmsSimulator,
    subject: str,
    body: str,
    code: str,
    error_type: type[GatewayError],
    field: str | None,
) -> None:
    await mail(server, subject, body)

    address, error = only_reply(server)
    assert address == "someone@example.org"
    assert type(error) is error_type
    assert error.code == code
    assert getattr(error, "field", None) == field


async def test_hand_made_email_with_options_is_read_like_allmysms(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    await mail(
        server,
        f"{LOGIN}@{API_KEY}|0612345678;33698765432|from=MAGASIN|date=2031-09-29 14:00:00|lc=1",
        "Soldes STOP au 36180",
    )

    assert server.error_replies == []
    sent = server.sends[0]
    assert sent.numbers == ("33612345678", "33698765432")
    assert (sent.sender, sent.date, sent.low_cost) == ("MAGASIN", "2031-09-29 14:00:00", True)
    assert account.messages[0].low_cost


async def test_email_to_someone_else_is_only_kept(server: Mail2SmsSimulator) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["To"] = "b@example.org"
    message["Subject"] = "hello"
    message.set_content("hi")
    await aiosmtplib.send(
        message, hostname=server.host, port=server.port, start_tls=False, timeout=5
    )

    assert len(server.received) == 1
    assert server.sends == server.error_replies == []


async def test_html_only_email_has_no_text(server: Mail2SmsSimulator) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["To"] = "mail2sms@allmysms.com"
    message["Subject"] = f"{LOGIN}@{API_KEY}|33612345678"
    message.set_content("<p>Bonjour</p>", subtype="html")
    await aiosmtplib.send(
        message, hostname=server.host, port=server.port, start_tls=False, timeout=5
    )

    _, error = only_reply(server)
    assert error.code == "110"


# --- the parser itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Status: 104\nStatusText: Crédit insuffisant pour traiter cet envoi. A utiliser: 45 "
        "Crédits, Disponibles: 30 Crédits. Veuillez re-créditer votre compte sur AllMySMS.com",
        "<status>104</status><statusText>A utiliser: 45 Crédits, Disponibles: 30 "
        "Crédits</statusText>",
        '{"status": "104", "statusText": "A utiliser: 45 Crédits, Disponibles: 30 Crédits"}',
        "status=104\r\nstatustext=A utiliser : 45,0 Credits, Disponibles : 30 Credits",
    ],
)
def test_credit_amounts_in_every_shape(body: str) -> None:
    error = parse_error_reply(body)

    assert isinstance(error, CreditError)
    assert (error.required, error.available) == (45.0, 30.0)


def test_credit_error_without_amounts() -> None:
    error = parse_error_reply("Status: 104\nStatusText: Crédit insuffisant")

    assert isinstance(error, CreditError)
    assert error.required is error.available is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Bonjour, votre SMS est parti.",
        "Status: 100\nStatusText: Le message a été envoyé",
        "Status: 999",
        "StatusText: 104",
        "Delivery Status Notification (Failure)",
    ],
)
def test_not_an_error_reply(body: str) -> None:
    assert parse_error_reply(body) is None


def test_error_messages_keep_nothing_personal() -> None:
    body = f"Status: 102\nStatusText: login {LOGIN} key {API_KEY} numero 33612345678"

    error = parse_error_reply(body)

    assert error is not None
    for secret in (LOGIN, API_KEY, "33612345678"):
        assert secret not in str(error)


@given(st.text())
def test_parser_never_raises_on_any_text(body: str) -> None:
    result = parse_error_reply(body)

    assert result is None or isinstance(result, GatewayError)


@given(
    code=st.sampled_from(["102", "104", "105", "109", "110", "111", "114", "115"]),
    before=st.text(max_size=50),
    after=st.text(max_size=50),
)
def test_parser_finds_a_status_line_anywhere(code: str, before: str, after: str) -> None:
    assume("status" not in before.lower())

    result = parse_error_reply(f"{before}\nStatus: {code}\n{after}")

    assert isinstance(result, GatewayError)
    assert result.code == code
