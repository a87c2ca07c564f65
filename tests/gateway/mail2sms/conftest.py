"""Fixtures: a real SMTP server (the Mail2SMS simulator) on 127.0.0.1 and the gateway."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from texto_gateway.mail2sms import Mail2SmsGateway, SmtpSecurity, SmtpSettings

LOGIN = "arthur45"
API_KEY = "de135f8d2a091e4"
SMTP_USER = "homeassistant"
SMTP_PASSWORD = "s3cret-smtp-pw"
FROM_ADDRESS = "home@example.org"
ALICE = "+33612345678"
BOB = "+33698765432"
#: a Belgian mobile: no STOP mention needed for it
BELGIAN = "+32470123456"

MakeServer = Callable[..., Awaitable[Mail2SmsSimulator]]


@pytest.fixture
def account() -> AllMySmsSimulator:
    """The AllMySMS account state (its HTTP server is not needed here)."""
    return AllMySmsSimulator(login=LOGIN, api_key=API_KEY, credits=15000.0)


@pytest.fixture
async def make_server(account: AllMySmsSimulator) -> AsyncIterator[MakeServer]:
    """Start SMTP simulators (stopped at teardown); keyword arguments go to the simulator."""
    started: list[Mail2SmsSimulator] = []

    async def make(**options: Any) -> Mail2SmsSimulator:
        simulator = Mail2SmsSimulator(account, **options)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def server(make_server: MakeServer) -> Mail2SmsSimulator:
    """A plain SMTP server, no TLS, no login."""
    return await make_server()


def trusting(simulator: Mail2SmsSimulator) -> ssl.SSLContext:
    """A client context that verifies the simulator's self-signed certificate."""
    assert simulator.certificate_pem is not None
    return ssl.create_default_context(cadata=simulator.certificate_pem)


def make_gateway(
    simulator: Mail2SmsSimulator,
    *,
    login: str = LOGIN,
    api_key: str = API_KEY,
    tls_context: ssl.SSLContext | None = None,
    port: int | None = None,
    **smtp: Any,
) -> Mail2SmsGateway:
    """A gateway sending through ``simulator``; ``smtp`` overrides SmtpSettings fields."""
    settings: dict[str, Any] = {
        "host": simulator.host,
        "port": simulator.port if port is None else port,
        "security": SmtpSecurity(simulator.security),
        "sender_address": FROM_ADDRESS,
        "timeout": 5.0,
    }
    if simulator.username is not None:
        settings |= {"username": simulator.username, "password": simulator.password}
    settings |= smtp
    return Mail2SmsGateway(login, api_key, SmtpSettings(**settings), tls_context=tls_context)
