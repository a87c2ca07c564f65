"""The registry: each provider's facts, and clients built from credentials alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway import PROVIDERS, Mail2SmsGateway, route_provider
from texto_gateway.models import (
    BalanceUnit,
    DeliveryReport,
    LostSendCheck,
    Provider,
    Route,
    SearchOutcome,
    SendRequest,
)

LOGIN, KEY, TOKEN = "jean", "k-0123456789", "smsmode-token-0123456789"


@pytest.fixture
async def simulators() -> AsyncIterator[dict[Provider, tuple[str, dict[str, str]]]]:
    """Each provider's simulator URL, and the credentials it accepts."""
    allmysms = AllMySmsSimulator(login=LOGIN, api_key=KEY)
    smsmode = SmsmodeSimulator(access_token=TOKEN)
    sms123 = Sms123Simulator(user=LOGIN, api_key=KEY)
    for sim in (allmysms, smsmode, sms123):
        await sim.start()
    yield {
        Provider.ALLMYSMS: (allmysms.base_url, {"username": LOGIN, "api_key": KEY}),
        Provider.SMSMODE: (smsmode.base_url, {"access_token": TOKEN}),
        Provider.SMS123: (sms123.base_url, {"username": LOGIN, "api_key": KEY}),
    }
    for sim in (allmysms, smsmode, sms123):
        await sim.stop()


#: the gateway companies: every provider but the user's own modem, which has no HTTP API
GATEWAYS = [provider for provider in Provider if provider is not Provider.MODEM]


def test_every_provider_is_described() -> None:
    assert set(PROVIDERS) == set(GATEWAYS)
    for provider, info in PROVIDERS.items():
        assert info.provider is provider
        assert info.route.provider is provider
        assert info.default_base_url.startswith("https://")
        assert info.customer_area_url.startswith("https://")
        assert info.secret_field in ("api_key", "access_token")
        assert info.callback_charsets[0] == "utf-8"
    assert [info.name for info in PROVIDERS.values()] == ["AllMySMS", "smsmode", "123-SMS"]


def test_what_sets_the_providers_apart() -> None:
    allmysms, smsmode, sms123 = (PROVIDERS[p] for p in GATEWAYS)
    assert (allmysms.login_field, smsmode.login_field, sms123.login_field) == (
        "username",
        None,
        "username",
    )
    assert [info.has_mail2sms for info in (allmysms, smsmode, sms123)] == [True, False, False]
    assert sms123.callback_answer == "OK"
    assert "iso-8859-15" in smsmode.callback_charsets
    checks = [info.capabilities.lost_send_check for info in (allmysms, smsmode, sms123)]
    assert checks == [LostSendCheck.NONE, LostSendCheck.LISTING, LostSendCheck.DUPLICATE_RESEND]
    assert sms123.capabilities.duplicate_refusal_hours == 24
    units = [info.capabilities.balance_unit for info in (allmysms, smsmode, sms123)]
    assert units == [BalanceUnit.CREDITS, BalanceUnit.CREDITS, BalanceUnit.SMS]
    assert Mail2SmsGateway.capabilities.balance_unit is None


def test_mail2sms_is_a_route_of_allmysms() -> None:
    assert Route.MAIL2SMS.provider is Provider.ALLMYSMS
    assert route_provider(Route.MAIL2SMS) is PROVIDERS[Provider.ALLMYSMS]
    assert {route.provider for route in Route} == set(Provider)


@pytest.mark.parametrize("provider", GATEWAYS)
async def test_a_client_from_credentials_reads_the_balance(
    simulators: dict[Provider, tuple[str, dict[str, str]]], provider: Provider
) -> None:
    base_url, credentials = simulators[provider]
    async with aiohttp.ClientSession() as session:
        client = PROVIDERS[provider].create_client(credentials, session=session, base_url=base_url)
        balance = await client.get_balance()
        await client.close()
        # the caller's session is the caller's: closing the client leaves it open
        assert not session.closed
    assert balance.amount > 0


@pytest.mark.parametrize("provider", GATEWAYS)
async def test_a_client_without_a_session_opens_and_closes_its_own(
    simulators: dict[Provider, tuple[str, dict[str, str]]], provider: Provider
) -> None:
    base_url, credentials = simulators[provider]
    async with PROVIDERS[provider].create_client(credentials, base_url=base_url) as client:
        await client.get_balance()
        session = client._transport._session
        assert session is not None
        assert not session.closed
    assert session.closed


def test_callbacks_are_read_through_the_registry() -> None:
    report = PROVIDERS[Provider.SMS123].parse_callback(
        {"erreur": "0", "refenvoi": "r-1", "gsm": "33612345678"}
    )
    assert isinstance(report, DeliveryReport)
    assert (report.provider, report.recipient) == (Provider.SMS123, "+33612345678")
    assert PROVIDERS[Provider.SMSMODE].parse_callback({}) is None


@pytest.mark.parametrize("provider", [Provider.ALLMYSMS, Provider.SMS123])
async def test_routes_that_cannot_list_their_sends_cannot_tell(
    simulators: dict[Provider, tuple[str, dict[str, str]]], provider: Provider
) -> None:
    """A lost answer on AllMySMS or 123-SMS is never guessed as found or as not found."""
    base_url, credentials = simulators[provider]
    async with PROVIDERS[provider].create_client(credentials, base_url=base_url) as client:
        assert client.capabilities.lost_send_check is not LostSendCheck.LISTING
        prepared = client.prepare(SendRequest(recipients=("+33612345678",), text="Alarme"))
        search = await client.find_send(prepared, since=datetime.now(UTC) - timedelta(minutes=1))
    assert search.outcome is SearchOutcome.CANNOT_TELL
