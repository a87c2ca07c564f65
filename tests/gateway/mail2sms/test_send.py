"""Sending through a real SMTP server: the e-mail AllMySMS reads, and what the library checks."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from texto_gateway.errors import (
    InvalidSenderError,
    MessageTooLongError,
    StopMentionRequiredError,
    UnsupportedFeatureError,
    ValidationError,
)
from texto_gateway.mail2sms import (
    Mail2SmsGateway,
    SmtpSecurity,
    SmtpSettings,
)
from texto_gateway.models import (
    Encoding,
    Provider,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
    StopMention,
    TextPolicy,
)

from .conftest import (
    ALICE,
    API_KEY,
    BELGIAN,
    BOB,
    FROM_ADDRESS,
    LOGIN,
    make_gateway,
)


def subject_fields(simulator: Mail2SmsSimulator, index: int = 0) -> list[str]:
    """The received subject, split on "|" as AllMySMS does."""
    return str(simulator.received[index].parsed()["Subject"]).split("|")


async def send(simulator: Mail2SmsSimulator, **request: object) -> SendResult:
    fields: dict[str, object] = {"recipients": (ALICE,), "text": "Bonjour"} | request
    return await make_gateway(simulator).send(SendRequest(**fields))  # type: ignore[arg-type]


# --- the subject ------------------------------------------------------------------------


async def test_subject_carries_credentials_and_numbers_only_when_nothing_else_is_asked(
    server: Mail2SmsSimulator,
) -> None:
    await send(server, recipients=(ALICE, BOB))

    assert subject_fields(server) == [f"{LOGIN}@{API_KEY}", "33612345678;33698765432"]
    mail = server.received[0]
    assert mail.rcpt_tos == ("mail2sms@allmysms.com",)
    assert mail.mail_from == FROM_ADDRESS
    assert b"lc=" not in mail.raw  # Premium, the documented default


async def test_subject_has_sender_and_paris_date_and_stays_on_one_line(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    # 10:00 UTC in July is 12:00 in Paris (summer time)
    send_at = datetime(2031, 7, 1, 10, 0, tzinfo=UTC)

    result = await send(
        server,
        recipients=(ALICE, "06 98 76 54 32"),
        text="Soldes STOP au 36180",
        sender="MY SHOP",
        send_at=send_at,
    )

    subject = f"{LOGIN}@{API_KEY}|33612345678;33698765432|from=MY SHOP|date=2031-07-01 12:00:00"
    assert subject_fields(server) == subject.split("|")
    # written as is, on one header line: no folding, no encoded words
    assert f"\r\nSubject: {subject}\r\n".encode() in server.received[0].raw
    assert result.status is SendStatus.HANDED_OVER  # a scheduled send is not known either
    assert result.send_at == send_at
    assert server.sends[0].date == "2031-07-01 12:00:00"
    assert account.messages[0].status == "scheduled"


async def test_winter_date_is_one_hour_ahead_of_utc(server: Mail2SmsSimulator) -> None:
    await send(server, send_at=datetime(2031, 1, 15, 23, 30, tzinfo=UTC))

    assert subject_fields(server)[2] == "date=2031-01-16 00:30:00"


async def test_date_from_another_time_zone_is_converted_to_paris(
    server: Mail2SmsSimulator,
) -> None:
    # midnight in New York (UTC-5) is 05:00 UTC, 06:00 in Paris (UTC+1 in winter)
    new_york = datetime(2031, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5)))

    await send(server, send_at=new_york)

    assert subject_fields(server)[2] == "date=2031-03-01 06:00:00"


# --- the body ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Réunion à 18h, apportez 10 € !",
        "Ligne 1\nLigne 2\n",
        ".commence par un point\n.et encore",
        "espaces en fin   ",
        "ça coûte 5€ — ‘unicode’ 😀",
    ],
)
async def test_body_reaches_allmysms_exactly(
    server: Mail2SmsSimulator, account: AllMySmsSimulator, text: str
) -> None:
    result = await send(server, text=text, text_policy=TextPolicy.UNICODE)

    message = server.received[0].parsed()
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == text
    assert server.sends[0].text == text == result.message.text
    assert account.messages[0].text == text


async def test_body_is_plain_ascii_on_the_wire(server: Mail2SmsSimulator) -> None:
    await send(server, text="Réunion à 18h, 10 €\nà demain")

    assert server.received[0].raw.isascii()


async def test_result_describes_the_hand_over(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    text = "x" * 200  # two GSM-7 parts

    result = await send(server, recipients=(ALICE, BOB, ALICE), text=text, reference="ref-1")

    assert result.route is Route.MAIL2SMS
    assert result.status is SendStatus.HANDED_OVER
    assert re.fullmatch(r"[0-9a-f]{32}", result.message_id)
    assert result.recipients == (ALICE, BOB)
    assert result.invalid_recipients == ()
    assert result.recipient_ids == {}
    assert result.message.encoding is Encoding.GSM7
    assert result.message.parts == 2
    assert result.billed_parts == 4
    assert result.credits_used is None
    assert result.reference == "ref-1"
    # the e-mail's Message-ID carries the same id, to find it in a mail log
    assert result.message_id in str(server.received[0].parsed()["Message-ID"])
    # AllMySMS billed what the library announced
    assert account.credits == 15000.0 - 15 * 4


async def test_two_sends_make_two_emails_with_different_ids(server: Mail2SmsSimulator) -> None:
    first = await send(server)
    second = await send(server)

    assert first.message_id != second.message_id
    assert len(server.received) == 2


async def test_other_recipient_address_is_used(make_server: object) -> None:
    simulator = await make_server(recipient_address="sms@relay.example")  # type: ignore[operator]
    gateway = Mail2SmsGateway(
        LOGIN,
        API_KEY,
        SmtpSettings(
            host=simulator.host,
            port=simulator.port,
            security=SmtpSecurity.NONE,
            sender_address=FROM_ADDRESS,
        ),
        recipient_address="sms@relay.example",
    )

    await gateway.send(SendRequest(recipients=(ALICE,), text="Bonjour"))

    assert simulator.received[0].rcpt_tos == ("sms@relay.example",)
    assert len(simulator.sends) == 1


# --- checks before sending ----------------------------------------------------------------


async def test_nine_parts_are_refused_and_nothing_is_sent(server: Mail2SmsSimulator) -> None:
    with pytest.raises(MessageTooLongError) as caught:
        await send(server, text="a" * (153 * 8 + 1))

    assert caught.value.parts == 9
    assert caught.value.max_parts == 8
    assert server.received == []


async def test_eight_parts_are_sent(server: Mail2SmsSimulator, account: AllMySmsSimulator) -> None:
    result = await send(server, text="a" * (153 * 8))  # 1224 characters, the seed's maximum

    assert result.message.parts == 8
    assert account.messages[0].parts == 8
    assert server.error_replies == []


async def test_caller_part_cap_applies_too(server: Mail2SmsSimulator) -> None:
    with pytest.raises(MessageTooLongError):
        await send(server, text="a" * 200, max_parts=1)

    assert server.received == []


@pytest.mark.parametrize("sender", ["AB", "1SHOP", "CAFÉ", "TWELVE CHARS", "MY-SHOP"])
async def test_sender_rule_of_seed_000(server: Mail2SmsSimulator, sender: str) -> None:
    with pytest.raises(InvalidSenderError):
        await send(server, sender=sender, text="Promo STOP au 36180")

    assert server.received == []


async def test_sender_with_space_and_digits_is_accepted(server: Mail2SmsSimulator) -> None:
    await send(server, sender="Shop 24", text="Promo STOP au 36180")

    assert subject_fields(server)[2] == "from=Shop 24"


async def test_stop_mention_is_added_for_a_custom_sender_to_france(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    result = await send(server, sender="MAGASIN", text="Soldes -50%")

    assert result.message.text == "Soldes -50%\nSTOP au 36180"
    assert server.received[0].parsed().get_content() == "Soldes -50%\nSTOP au 36180"
    assert account.messages[0].sender_used == "MAGASIN"


async def test_stop_mention_already_there_is_not_doubled(server: Mail2SmsSimulator) -> None:
    result = await send(server, sender="MAGASIN", text="Soldes STOP au 36180")

    assert result.message.text == "Soldes STOP au 36180"


async def test_stop_mention_required_refuses_a_text_without_it(
    server: Mail2SmsSimulator,
) -> None:
    with pytest.raises(StopMentionRequiredError) as caught:
        await send(server, sender="MAGASIN", text="Soldes", stop_mention=StopMention.REQUIRE)

    assert caught.value.mention == "STOP au 36180"
    assert server.received == []


async def test_stop_mention_off_sends_as_given(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    await send(server, sender="MAGASIN", text="Soldes", stop_mention=StopMention.OFF)

    assert server.sends[0].text == "Soldes"
    # AllMySMS then replaces the sender with its short code
    assert account.messages[0].sender_used == "36180"


async def test_no_stop_mention_without_sender_or_outside_france(
    server: Mail2SmsSimulator,
) -> None:
    no_sender = await send(server, text="Bonjour")
    abroad = await send(server, recipients=(BELGIAN,), sender="MAGASIN", text="Bonjour")

    assert no_sender.message.text == "Bonjour"
    assert abroad.message.text == "Bonjour"
    assert subject_fields(server, 1)[1] == "32470123456"


async def test_too_many_numbers_for_one_email_are_refused(server: Mail2SmsSimulator) -> None:
    numbers = tuple(f"+3361234{index:04d}" for index in range(51))

    with pytest.raises(ValidationError) as caught:
        await send(server, recipients=numbers)

    assert caught.value.field == "recipients"
    assert server.received == []


async def test_fifty_numbers_fit_in_one_email(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    numbers = tuple(f"+3361234{index:04d}" for index in range(50))

    await send(server, recipients=numbers)

    assert len(server.received) == 1
    assert len(server.sends[0].numbers) == 50
    assert Mail2SmsGateway.capabilities.recipients_per_request == 50


async def test_subject_too_long_for_one_line_is_refused(server: Mail2SmsSimulator) -> None:
    gateway = make_gateway(server, api_key="k" * 900)
    numbers = tuple(f"+3361234{index:04d}" for index in range(10))

    with pytest.raises(ValidationError) as caught:
        await gateway.send(SendRequest(recipients=numbers, text="Bonjour"))

    assert caught.value.field == "recipients"
    assert API_KEY not in str(caught.value)
    assert server.received == []


# --- what the route cannot do -------------------------------------------------------------


async def test_no_balance_over_email(server: Mail2SmsSimulator) -> None:
    gateway = make_gateway(server)

    with pytest.raises(UnsupportedFeatureError):
        await gateway.get_balance()
    with pytest.raises(UnsupportedFeatureError):
        await gateway.send(SendRequest(recipients=(ALICE,), text="x", flash=True))
    assert server.received == []


def test_capabilities_and_rules() -> None:
    caps = Mail2SmsGateway.capabilities
    assert (caps.balance, caps.schedule, caps.max_parts) == (False, True, 8)
    assert not any(
        (caps.cancel, caps.flash, caps.voice, caps.replies, caps.delivery_reports, caps.test_mode)
    )
    assert Mail2SmsGateway.stop_mention == "STOP au 36180"
    assert Mail2SmsGateway.route is Route.MAIL2SMS
    assert Mail2SmsGateway.provider is Provider.ALLMYSMS


@pytest.mark.parametrize(
    ("login", "api_key", "sender_address"),
    [
        ("arthur|45", API_KEY, FROM_ADDRESS),
        (LOGIN, "key\r\nBcc: x@y.z", FROM_ADDRESS),
        ("", API_KEY, FROM_ADDRESS),
        (LOGIN, API_KEY, "not an address"),
        (LOGIN, API_KEY, "home@example.org\r\nBcc: x@y.z"),
    ],
)
def test_settings_that_would_corrupt_the_email_are_refused(
    login: str, api_key: str, sender_address: str
) -> None:
    settings = SmtpSettings(
        host="127.0.0.1", port=25, security=SmtpSecurity.NONE, sender_address=sender_address
    )
    with pytest.raises(ValueError, match="must"):
        Mail2SmsGateway(login, api_key, settings)


# --- logs -------------------------------------------------------------------------------


async def test_debug_log_masks_key_login_and_numbers(
    server: Mail2SmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="texto_gateway.mail2sms")

    await send(server, recipients=(ALICE,), text="Texte secret")

    ours = [r for r in caplog.records if r.name.startswith("texto_gateway")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "***" in logged
    for secret in (API_KEY, LOGIN, "33612345678", "Texte secret"):
        assert secret not in logged
    assert all(record.levelno <= logging.DEBUG for record in ours)
