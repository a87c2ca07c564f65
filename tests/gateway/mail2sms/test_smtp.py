"""The SMTP dialogue: TLS, login, and every failure classified as not sent or unknown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from texto_gateway.errors import (
    AuthenticationError,
    GatewayError,
    InvalidRequestError,
    Outcome,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)
from texto_gateway.mail2sms import SmtpSecurity
from texto_gateway.models import SendRequest

from .conftest import (
    ALICE,
    API_KEY,
    LOGIN,
    SMTP_PASSWORD,
    SMTP_USER,
    MakeServer,
    make_gateway,
    trusting,
)

TEXT = "Votre code est 482913"
REQUEST = SendRequest(recipients=(ALICE,), text=TEXT)
#: what must never show in an error message
SECRETS = (API_KEY, LOGIN, SMTP_PASSWORD, "33612345678", "612345678", TEXT)


def assert_no_secret(error: GatewayError) -> None:
    shown = f"{error} {error.raw or ''} {error!r}"
    for secret in SECRETS:
        assert secret not in shown


# --- TLS and login ------------------------------------------------------------------------


async def test_starttls_and_login(make_server: MakeServer) -> None:
    server = await make_server(security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)

    await make_gateway(server, verify_certificate=False).send(REQUEST)

    assert len(server.sends) == 1


async def test_starttls_with_a_verified_certificate(make_server: MakeServer) -> None:
    server = await make_server(security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)

    await make_gateway(server, tls_context=trusting(server)).send(REQUEST)

    assert len(server.sends) == 1


async def test_implicit_tls(make_server: MakeServer) -> None:
    server = await make_server(security="tls", username=SMTP_USER, password=SMTP_PASSWORD)

    await make_gateway(server, tls_context=trusting(server)).send(REQUEST)

    assert len(server.sends) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_untrusted_certificate_is_refused_before_anything_is_sent(
    make_server: MakeServer, security: str
) -> None:
    server = await make_server(security=security)

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await make_gateway(server).send(REQUEST)  # verifies by default: self-signed fails

    assert caught.value.outcome is Outcome.NOT_SENT
    assert server.received == []


async def test_starttls_asked_but_not_offered(make_server: MakeServer) -> None:
    server = await make_server()  # plain server, no STARTTLS

    with pytest.raises(TemporarilyUnavailableError):
        await make_gateway(server, security=SmtpSecurity.STARTTLS).send(REQUEST)

    assert server.received == []


async def test_wrong_smtp_password(make_server: MakeServer) -> None:
    server = await make_server(username=SMTP_USER, password=SMTP_PASSWORD)

    with pytest.raises(AuthenticationError) as caught:
        await make_gateway(server, password="wrong-password").send(REQUEST)

    assert "SMTP login" in str(caught.value)
    assert caught.value.code == "535"
    assert "wrong-password" not in f"{caught.value} {caught.value.raw}"
    assert_no_secret(caught.value)
    assert server.received == []


async def test_login_refused_by_fault(make_server: MakeServer) -> None:
    server = await make_server(username=SMTP_USER, password=SMTP_PASSWORD)
    server.fail_next("auth")

    with pytest.raises(AuthenticationError):
        await make_gateway(server).send(REQUEST)
    await make_gateway(server).send(REQUEST)  # the fault was for one attempt

    assert len(server.received) == 1


async def test_login_asked_but_server_offers_none(server: Mail2SmsSimulator) -> None:
    gateway = make_gateway(server, username=SMTP_USER, password=SMTP_PASSWORD)

    with pytest.raises(AuthenticationError, match="no login method"):
        await gateway.send(REQUEST)

    assert server.received == []


async def test_login_without_password_sends_an_empty_one(make_server: MakeServer) -> None:
    server = await make_server(username=SMTP_USER, password="")

    await make_gateway(server, password=None).send(REQUEST)

    assert len(server.sends) == 1


# --- nothing sent ---------------------------------------------------------------------------


async def test_refused_connection(server: Mail2SmsSimulator) -> None:
    await server.refuse_connections()

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await make_gateway(server).send(REQUEST)

    assert caught.value.outcome is Outcome.NOT_SENT
    assert caught.value.retryable
    assert_no_secret(caught.value)
    await server.accept_connections()
    await make_gateway(server).send(REQUEST)
    assert len(server.received) == 1


async def test_unknown_host(server: Mail2SmsSimulator) -> None:
    with pytest.raises(TemporarilyUnavailableError):
        await make_gateway(server, host="smtp.invalid").send(REQUEST)


@pytest.mark.parametrize("kind", ["temporary", "temporary_data"])
async def test_try_again_later_replies(server: Mail2SmsSimulator, kind: str) -> None:
    server.fail_next(kind)

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await make_gateway(server).send(REQUEST)

    assert caught.value.code == "451"
    assert caught.value.outcome is Outcome.NOT_SENT
    assert server.received == []


async def test_recipient_address_refused(server: Mail2SmsSimulator) -> None:
    server.fail_next("reject_recipient")

    with pytest.raises(InvalidRequestError) as caught:
        await make_gateway(server).send(REQUEST)

    assert caught.value.code == "550"
    assert caught.value.field == "recipient_address"
    assert caught.value.outcome is Outcome.NOT_SENT
    assert "mail2sms@allmysms.com" not in f"{caught.value} {caught.value.raw}"
    assert server.received == []


async def test_message_refused_after_data(server: Mail2SmsSimulator) -> None:
    server.fail_next("reject_data")

    with pytest.raises(InvalidRequestError) as caught:
        await make_gateway(server).send(REQUEST)

    # RFC 5321: a 5xx reply to the end of the data means the server did not take it
    assert caught.value.code == "554"
    assert caught.value.outcome is Outcome.NOT_SENT
    assert server.received == []


# --- outcome unknown ---------------------------------------------------------------------


async def test_connection_dropped_after_data(
    server: Mail2SmsSimulator, account: AllMySmsSimulator
) -> None:
    server.fail_next("drop_after_data")

    with pytest.raises(OutcomeUnknownError) as caught:
        await make_gateway(server).send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN
    assert not caught.value.retryable
    assert_no_secret(caught.value)
    # and it was indeed received and sent: a blind resend would send it twice
    assert len(server.received) == 1
    assert len(account.messages) == 1


async def test_no_final_reply_in_time(server: Mail2SmsSimulator) -> None:
    server.fail_next("slow_after_data", delay=2.0)

    with pytest.raises(OutcomeUnknownError):
        await make_gateway(server, timeout=0.3).send(REQUEST)

    assert len(server.received) == 1


async def test_final_reply_that_is_not_smtp(server: Mail2SmsSimulator) -> None:
    server.fail_next("malformed_after_data")

    with pytest.raises(UnexpectedResponseError) as caught:
        await make_gateway(server).send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN
    assert len(server.received) == 1


async def test_slow_final_reply_within_the_timeout_is_fine(server: Mail2SmsSimulator) -> None:
    server.fail_next("slow_after_data", delay=0.2)

    await make_gateway(server, timeout=2.0).send(REQUEST)

    assert len(server.sends) == 1


# --- scripted servers for what aiosmtpd cannot be told to do ---------------------------------

Script = Callable[[bytes], bytes | None]


class _ScriptedSmtp(asyncio.Protocol):
    """Answers each line with ``script(line)``; None closes the connection."""

    def __init__(self, greeting: bytes | None, script: Script) -> None:
        self._greeting = greeting
        self._script = script
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if self._greeting is not None:
            transport.write(self._greeting)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        for line in data.splitlines():
            answer = self._script(line)
            if answer is None:
                self._transport.close()
                return
            self._transport.write(answer)


@pytest.fixture
async def scripted(
    server: Mail2SmsSimulator,
) -> AsyncIterator[Callable[[bytes | None, Script], asyncio.Future[int]]]:
    servers: list[asyncio.Server] = []

    async def start(greeting: bytes | None, script: Script) -> int:
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(
            lambda: _ScriptedSmtp(greeting, script), host="127.0.0.1", port=0
        )
        servers.append(listener)
        port: int = listener.sockets[0].getsockname()[1]
        return port

    yield start  # type: ignore[misc]
    for listener in servers:
        listener.close()
        listener.close_clients()
        await listener.wait_closed()


def _polite(line: bytes) -> bytes | None:
    if line.startswith((b"EHLO", b"HELO")):
        return b"250 scripted\r\n"
    if line.startswith((b"MAIL", b"RCPT")):
        return b"250 OK\r\n"
    if line == b"DATA":
        return b"354 go ahead\r\n"
    return b""


@pytest.mark.parametrize(
    ("greeting", "error", "code"),
    [
        (b"421 too busy\r\n", TemporarilyUnavailableError, "421"),
        (b"554 no SMTP service here\r\n", InvalidRequestError, "554"),
    ],
)
async def test_greeting_refusals(
    scripted: Callable[..., asyncio.Future[int]],
    server: Mail2SmsSimulator,
    greeting: bytes,
    error: type[GatewayError],
    code: str,
) -> None:
    port = await scripted(greeting, _polite)

    with pytest.raises(error) as caught:
        await make_gateway(server, port=port).send(REQUEST)

    assert caught.value.code == code
    assert caught.value.outcome is Outcome.NOT_SENT


async def test_server_that_never_greets(
    scripted: Callable[..., asyncio.Future[int]], server: Mail2SmsSimulator
) -> None:
    port = await scripted(None, _polite)

    with pytest.raises(TemporarilyUnavailableError, match="connect"):
        await make_gateway(server, port=port, timeout=0.3).send(REQUEST)


async def test_connection_closed_right_after_354(
    scripted: Callable[..., asyncio.Future[int]], server: Mail2SmsSimulator
) -> None:
    def close_on_data(line: bytes) -> bytes | None:
        if line == b"DATA":
            return None  # the 354 never comes: closed while the client waits for it
        return _polite(line)

    port = await scripted(b"220 scripted\r\n", close_on_data)

    with pytest.raises(TemporarilyUnavailableError):
        await make_gateway(server, port=port).send(REQUEST)


async def test_connection_closed_while_the_message_is_written(
    scripted: Callable[..., asyncio.Future[int]], server: Mail2SmsSimulator
) -> None:
    def close_mid_message(line: bytes) -> bytes | None:
        return None if line.startswith(b"From:") else _polite(line)

    port = await scripted(b"220 scripted\r\n", close_mid_message)

    with pytest.raises(OutcomeUnknownError) as caught:
        await make_gateway(server, port=port).send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN


async def test_odd_reply_to_data_command(
    scripted: Callable[..., asyncio.Future[int]], server: Mail2SmsSimulator
) -> None:
    def odd(line: bytes) -> bytes | None:
        return b"250 sure\r\n" if line == b"DATA" else _polite(line)

    port = await scripted(b"220 scripted\r\n", odd)

    with pytest.raises(UnexpectedResponseError):
        await make_gateway(server, port=port).send(REQUEST)


# --- checking the login, sending nothing ---------------------------------------------------


async def test_check_login_logs_in_and_sends_nothing(make_server: MakeServer) -> None:
    server = await make_server(security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)

    await make_gateway(server, tls_context=trusting(server)).check_login()

    assert server.received == []


async def test_check_login_without_a_login_only_connects(server: Mail2SmsSimulator) -> None:
    await make_gateway(server).check_login()

    assert server.received == []


async def test_check_login_says_a_wrong_password(make_server: MakeServer) -> None:
    server = await make_server(username=SMTP_USER, password=SMTP_PASSWORD)

    with pytest.raises(AuthenticationError) as caught:
        await make_gateway(server, password="wrong-password").check_login()

    assert_no_secret(caught.value)
    assert "wrong-password" not in f"{caught.value} {caught.value.raw}"


async def test_check_login_says_a_server_it_cannot_reach(server: Mail2SmsSimulator) -> None:
    await server.stop()

    with pytest.raises(TemporarilyUnavailableError):
        await make_gateway(server).check_login()
