"""The config flow: setting an account up, reauth, reconfigure, options and recipients.

HTTP goes to the simulators on 127.0.0.1 and SMTP to a real aiosmtpd server; the only
patch on the way is ``get_balance`` raising an unexpected exception, for "unknown".
Every flow result is checked against en.json (``check_flow_translations``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
import voluptuous as vol
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_NAME,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.config_flow import normalize_base_url
from custom_components.texto.const import (
    CONF_ADVANCED,
    CONF_DEFAULT_SENDER,
    CONF_FALLBACK,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_MAX_PARTS,
    CONF_MESSAGE_CLASS,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_ROUTE,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
    CONF_STOP_MENTION,
    CONF_TEXT_POLICY,
    CONF_WEBHOOK_ID,
    DOMAIN,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.texto.gateway.allmysms import AllMySmsGateway
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    recipient,
    set_up,
    sms123_entry,
    smsmode_entry,
)
from .conftest import SMTP_PASSWORD, SMTP_USERNAME

pytestmark = pytest.mark.usefixtures("check_flow_translations")

Simulator = AllMySmsSimulator | SmsmodeSimulator | Sms123Simulator
SIMULATORS: dict[str, type[Simulator]] = {
    "allmysms": AllMySmsSimulator,
    "smsmode": SmsmodeSimulator,
    "sms123": Sms123Simulator,
}


@pytest.fixture
async def provider_sim(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncIterator[tuple[str, Simulator]]:
    """The simulator of the provider the test is parametrized with, and its step id."""
    provider: str = request.param
    sim = SIMULATORS[provider]()
    await sim.start()
    yield provider, sim
    await sim.stop()


def _smsmode_id(token: str) -> str:
    return f"smsmode:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


def _credentials(provider: str, sim: Any, **changes: str) -> dict[str, Any]:
    """The provider's form, filled in with the simulator's account."""
    url = changes.pop("url", sim.base_url)
    if provider == "allmysms":
        fields = {CONF_USERNAME: sim.login, CONF_API_KEY: sim.api_key}
    elif provider == "smsmode":
        fields = {CONF_ACCESS_TOKEN: sim.access_token}
    else:
        fields = {CONF_USERNAME: sim.user, CONF_API_KEY: sim.api_key}
    return {**fields, **changes, CONF_ADVANCED: {CONF_URL: url}}


async def _start(hass: HomeAssistant, provider: str) -> FlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )


def _suggested(result: Mapping[str, Any], field: str, schema: vol.Schema | None = None) -> Any:
    """The value a form pre-fills ``field`` with (None when it shows it empty)."""
    for marker in (schema or result["data_schema"]).schema:
        if marker == field:
            return (marker.description or {}).get("suggested_value")
    raise AssertionError(f"{field} is not in the form")


def _advanced_schema(result: Mapping[str, Any]) -> vol.Schema:
    for marker, value in result["data_schema"].schema.items():
        if marker == CONF_ADVANCED:
            schema: vol.Schema = value.schema
            return schema
    raise AssertionError("no advanced section")


def _advanced_is_folded(result: Mapping[str, Any]) -> bool:
    for marker, value in result["data_schema"].schema.items():
        if marker == CONF_ADVANCED:
            return bool(value.options["collapsed"])
    raise AssertionError("no advanced section")


# --- user step -------------------------------------------------------------------------------


async def test_user_step_is_a_gateway_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["allmysms", "smsmode", "sms123", "modem"]


@pytest.mark.parametrize(
    ("provider_sim", "title", "unique_id"),
    [
        # the gateway's name: never the login (an e-mail for 123-SMS)
        ("allmysms", "AllMySMS", "allmysms:demo"),
        ("smsmode", "smsmode", _smsmode_id("demo-smsmode-token")),
        ("sms123", "123-SMS", "sms123:client@example.fr"),
    ],
    indirect=["provider_sim"],
)
async def test_create_entry_checks_the_balance_and_sends_nothing(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    provider_sim: tuple[str, Simulator],
    title: str,
    unique_id: str,
) -> None:
    provider, sim = provider_sim
    result = await _start(hass, provider)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(provider, sim)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    entry = result["result"]
    assert entry.unique_id == unique_id
    expected = {k: v for k, v in _credentials(provider, sim).items() if k != CONF_ADVANCED}
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64  # every new account gets its own webhook
    assert entry.data == {
        CONF_PROVIDER: provider,
        **expected,
        CONF_URL: sim.base_url,
        CONF_WEBHOOK_ID: webhook_id,
    }
    # the secret is nowhere in what the user sees
    assert sim.base_url not in title
    assert sim.requests, "the credentials were checked with the gateway"
    assert sim.messages == []
    assert mock_setup_entry.call_count == 1


async def test_url_keeps_only_scheme_host_and_port(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await _start(hass, "allmysms")
    typed = f"  HTTP://127.0.0.1:{allmysms_sim.port}/  "

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim, url=typed)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_URL] == f"http://127.0.0.1:{allmysms_sim.port}"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1",
        "127.0.0.1:8080",
        "http://",
        "http://127.0.0.1/http/9.0",
        "http://127.0.0.1?debug=1",
        "http://127.0.0.1#top",
        "http://user:secret@127.0.0.1",
        "http://127.0.0.1:99999",
        "http://[::1",
    ],
)
async def test_invalid_url_is_refused_before_any_request(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, url: str
) -> None:
    result = await _start(hass, "allmysms")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim, url=url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ADVANCED: "invalid_url"}
    assert allmysms_sim.requests == []


def test_base_url_accepts_ipv6_and_https() -> None:
    assert normalize_base_url("https://[::1]:8443") == "https://[::1]:8443"
    assert normalize_base_url("https://sms.example.com") == "https://sms.example.com"


@pytest.mark.parametrize(
    ("provider_sim", "wrong"),
    [
        ("allmysms", {CONF_API_KEY: "wrong-key"}),
        ("allmysms", {CONF_USERNAME: "nobody"}),
        ("smsmode", {CONF_ACCESS_TOKEN: "wrong-token"}),
        ("sms123", {CONF_API_KEY: "wrong-key"}),
    ],
    indirect=["provider_sim"],
)
async def test_invalid_auth_then_fixed(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    provider_sim: tuple[str, Simulator],
    wrong: dict[str, str],
) -> None:
    provider, sim = provider_sim
    result = await _start(hass, provider)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(provider, sim, **wrong)
    )
    assert result["type"] is FlowResultType.FORM
    # a login and a key are refused as a pair; smsmode's lone token on its field
    refused = CONF_ACCESS_TOKEN if provider == "smsmode" else "base"
    assert result["errors"] == {refused: "invalid_auth"}
    # the form keeps what was typed
    assert _suggested(result, next(iter(wrong))) == next(iter(wrong.values()))

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(provider, sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.messages == []


async def test_blank_credentials_are_refused_without_a_request(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await _start(hass, "smsmode")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("smsmode", smsmode_sim, **{CONF_ACCESS_TOKEN: "   "})
    )

    assert result["errors"] == {CONF_ACCESS_TOKEN: "required"}
    assert smsmode_sim.requests == []


async def test_a_blank_login_is_refused_under_its_field(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await _start(hass, "allmysms")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim, **{CONF_USERNAME: " "})
    )

    assert result["errors"] == {CONF_USERNAME: "required"}
    assert allmysms_sim.requests == []


async def test_the_advanced_section_stays_open_while_it_holds_a_url(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    """After a refusal the URL typed there may be what is wrong: it stays in sight."""
    result = await _start(hass, "sms123")
    assert _advanced_is_folded(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim, **{CONF_API_KEY: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert not _advanced_is_folded(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim, url="", **{CONF_API_KEY: " "})
    )
    # nothing in it, nothing wrong in it: folded
    assert result["errors"] == {CONF_API_KEY: "required"}
    assert _advanced_is_folded(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim, url="ftp://gateway")
    )
    assert result["errors"] == {CONF_ADVANCED: "invalid_url"}
    assert not _advanced_is_folded(result)


async def test_cannot_connect_when_the_gateway_refuses_connections(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, sms123_sim: Sms123Simulator
) -> None:
    result = await _start(hass, "sms123")
    await sms123_sim.refuse_connections()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    await sms123_sim.accept_connections()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cannot_connect_when_the_gateway_is_unavailable(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("http_503")
    result = await _start(hass, "allmysms")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim)
    )

    assert result["errors"] == {"base": "cannot_connect"}


async def test_unknown_error_is_logged(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    result = await _start(hass, "allmysms")

    with patch.object(AllMySmsGateway, "get_balance", side_effect=RuntimeError("boom")):
        # no URL: the official one, never reached since the balance call fails first
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_USERNAME: "demo", CONF_API_KEY: "secret-key", CONF_ADVANCED: {}},
        )

    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking the gateway credentials" in caplog.text
    assert "secret-key" not in caplog.text


async def test_same_account_twice_is_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_entry(allmysms_sim).add_to_hass(hass)
    result = await _start(hass, "allmysms")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # the credentials were checked first (a balance read), nothing sent
    assert [request.path for request in allmysms_sim.requests] == ["/http/9.0/getInfo/"]
    assert allmysms_sim.messages == []


async def test_wrong_key_for_a_configured_login_says_the_key_is_wrong(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_entry(allmysms_sim).add_to_hass(hass)
    result = await _start(hass, "allmysms")
    typed = _credentials("allmysms", allmysms_sim, **{CONF_API_KEY: "not-the-key"})

    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)

    # not "already configured": the form again, with what was typed (the key aside)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert _suggested(result, CONF_USERNAME) == allmysms_sim.login
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_same_smsmode_token_twice_is_refused(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await _start(hass, "smsmode")
    await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("smsmode", smsmode_sim)
    )
    result = await _start(hass, "smsmode")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("smsmode", smsmode_sim)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- reauth ----------------------------------------------------------------------------------


async def test_reauth_asks_only_the_secret_and_reloads(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_API_KEY: "revoked"})
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert [str(field) for field in result["data_schema"].schema] == [CONF_API_KEY]
    assert result["description_placeholders"]["account"] == "AllMySMS (demo)"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    # the form's only field
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: allmysms_sim.api_key}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == allmysms_sim.api_key
    assert entry.data[CONF_USERNAME] == "demo"
    assert entry.unique_id == "allmysms:demo"
    # not set up before: the flow reloads it, which sets it up with the new key
    assert mock_setup_entry.call_count == 1
    assert allmysms_sim.messages == []


async def test_reauth_blank_or_unreachable(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = sms123_entry(sms123_sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: "  "})
    assert result["errors"] == {CONF_API_KEY: "required"}
    assert sms123_sim.requests == []

    await sms123_sim.refuse_connections()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: sms123_sim.api_key}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_smsmode_reauth_follows_the_new_token(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    smsmode_sim.access_token = "brand-new-token"
    result = await entry.start_reauth_flow(hass)
    assert [str(field) for field in result["data_schema"].schema] == [CONF_ACCESS_TOKEN]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "brand-new-token"}
    )

    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ACCESS_TOKEN] == "brand-new-token"
    # the unique id is the new token's hash, so the same token cannot be added twice
    assert entry.unique_id == _smsmode_id("brand-new-token")


async def test_smsmode_reauth_with_another_entrys_token_is_refused(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, unique_id=_smsmode_id("other-token"), data={CONF_PROVIDER: "smsmode"}
    ).add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "other-token"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert smsmode_sim.requests == []


# --- reconfigure -----------------------------------------------------------------------------


async def test_reconfigure_prefills_all_but_the_secret(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_USERNAME) == "demo"
    assert _suggested(result, CONF_API_KEY) is None
    assert _suggested(result, CONF_URL, _advanced_schema(result)) == allmysms_sim.base_url
    assert allmysms_sim.api_key not in json.dumps(str(result["data_schema"].schema))


async def test_reconfigure_keeps_the_secret_left_empty(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    stale = {CONF_URL: "http://127.0.0.1:9", "webhook_id": "kept"}
    hass.config_entries.async_update_entry(entry, data={**entry.data, **stale})
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: "demo", CONF_ADVANCED: {CONF_URL: f"{allmysms_sim.base_url}/"}},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_PROVIDER: "allmysms",
        CONF_USERNAME: "demo",
        CONF_API_KEY: allmysms_sim.api_key,
        CONF_URL: allmysms_sim.base_url,
        "webhook_id": "kept",
    }
    assert entry.title == "AllMySMS (demo)"
    assert mock_setup_entry.call_count == 1


async def test_reconfigure_errors_then_new_key(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, sms123_sim: Sms123Simulator
) -> None:
    entry = sms123_entry(sms123_sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim, url="http://127.0.0.1/api")
    )
    assert result["errors"] == {CONF_ADVANCED: "invalid_url"}
    # what was typed stays in the form, the secret does not
    assert _suggested(result, CONF_API_KEY) is None
    assert _suggested(result, CONF_URL, _advanced_schema(result)) == "http://127.0.0.1/api"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim, **{CONF_API_KEY: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}

    sms123_sim.api_key = "rotated-key"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("sms123", sms123_sim)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == "rotated-key"


async def test_reconfigure_to_another_account_is_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("allmysms", allmysms_sim, **{CONF_USERNAME: "someone"})
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_USERNAME] == "demo"
    assert allmysms_sim.requests == []


async def test_smsmode_reconfigure_token(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, unique_id=_smsmode_id("taken-token"), data={CONF_PROVIDER: "smsmode"}
    ).add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _credentials("smsmode", smsmode_sim, **{CONF_ACCESS_TOKEN: "taken-token"}),
    )
    assert result["reason"] == "already_configured"

    smsmode_sim.access_token = "new-token"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials("smsmode", smsmode_sim)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == _smsmode_id("new-token")
    assert entry.data[CONF_ACCESS_TOKEN] == "new-token"


async def test_reconfigure_of_a_loaded_entry_reloads_it_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """The entry's update listener reloads it; the flow must not reload it again."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    assert entry.state is ConfigEntryState.LOADED
    result = await entry.start_reconfigure_flow(hass)
    reload = hass.config_entries.async_schedule_reload
    allmysms_sim.api_key = "rotated-key"

    with patch.object(
        hass.config_entries, "async_schedule_reload", side_effect=reload
    ) as scheduled:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _credentials("allmysms", allmysms_sim)
        )
        await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert scheduled.call_count == 1
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_API_KEY] == "rotated-key"


# --- options ---------------------------------------------------------------------------------


async def _open_options_step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> FlowResult:
    """Open the options of ``entry`` and pick ``step`` in their menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_smsmode_options_menu_and_general_are_stored(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["general", "delivery", "receiving"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "general"}
    )
    assert result["type"] is FlowResultType.FORM
    # the form of this gateway: its own sender rule and balance unit in the help
    assert result["step_id"] == "general_smsmode"
    assert result["description_placeholders"] == {
        "account": "smsmode",
        "sender_min": "1",
        "sender_max": "11",
        "max_parts": "5",
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_DEFAULT_SENDER: "  Maison ",
            CONF_LOW_CREDIT_THRESHOLD: 12.5,
            CONF_TEXT_POLICY: "gsm7",
            CONF_MAX_PARTS: 3,
            CONF_STOP_MENTION: "require",
            CONF_MESSAGE_CLASS: "standard",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_DEFAULT_SENDER: "Maison",
        CONF_LOW_CREDIT_THRESHOLD: 12.5,
        CONF_TEXT_POLICY: "gsm7",
        CONF_MAX_PARTS: 3,
        CONF_STOP_MENTION: "require",
        CONF_MESSAGE_CLASS: "standard",
    }


async def test_options_defaults(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, sms123_sim: Sms123Simulator
) -> None:
    entry = sms123_entry(sms123_sim)
    entry.add_to_hass(hass)
    result = await _open_options_step(hass, entry, "general")
    fields = [str(field) for field in result["data_schema"].schema]
    assert CONF_MESSAGE_CLASS not in fields  # smsmode only

    result = await hass.config_entries.options.async_configure(result["flow_id"], {})

    assert entry.options == {
        CONF_LOW_CREDIT_THRESHOLD: 0.0,
        CONF_TEXT_POLICY: "auto",
        CONF_MAX_PARTS: 10,
        CONF_STOP_MENTION: "add",
    }


async def test_options_prefill_and_clear_the_sender(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, sms123_sim: Sms123Simulator
) -> None:
    entry = sms123_entry(sms123_sim, options={CONF_DEFAULT_SENDER: "Maison", CONF_MAX_PARTS: 2})
    entry.add_to_hass(hass)
    result = await _open_options_step(hass, entry, "general")
    assert _suggested(result, CONF_DEFAULT_SENDER) == "Maison"
    assert _suggested(result, CONF_MAX_PARTS) == 2

    # the browser leaves a cleared field out
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_PARTS: 2}
    )

    assert CONF_DEFAULT_SENDER not in entry.options


@pytest.mark.parametrize(
    ("sender", "error"),
    [
        ("Él", "sender_length"),
        ("Maisoné", "sender_characters_spaces"),
        ("MA-MAISON", "sender_characters_spaces"),
        ("0612345678", "sender_digits_only"),
        ("1MAISON", "sender_first_letter"),
        ("Far too long a sender", "sender_length"),
    ],
)
async def test_options_invalid_sender(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, sender: str, error: str
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "general"}
    )

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: sender}
    )

    assert result["type"] is FlowResultType.FORM
    # the error names the part of AllMySMS's rule the sender breaks
    assert result["errors"] == {CONF_DEFAULT_SENDER: error}
    assert result["description_placeholders"]["sender_min"] == "3"


async def test_smsmode_replies_forbid_a_sender(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    result = await _open_options_step(hass, entry, "general")

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: "Maison", CONF_MESSAGE_CLASS: "replies_allowed"}
    )
    assert result["errors"] == {CONF_MESSAGE_CLASS: "sender_with_replies"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MESSAGE_CLASS: "replies_allowed"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_MESSAGE_CLASS] == "replies_allowed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_MAX_PARTS, 6),  # smsmode takes 5 parts at most
        (CONF_MAX_PARTS, 0),
        (CONF_LOW_CREDIT_THRESHOLD, -1),
        (CONF_TEXT_POLICY, "ascii"),
        (CONF_STOP_MENTION, "never"),
        (CONF_MESSAGE_CLASS, "flash"),
    ],
)
async def test_options_out_of_range_are_refused_by_the_form(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, field: str, value: Any
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    result = await _open_options_step(hass, entry, "general")

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {field: value})
    assert entry.options == {}


async def test_allmysms_options_menu_general_keeps_mail2sms(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    smtp = {CONF_SMTP_HOST: "smtp.example.fr", CONF_SMTP_PORT: 587, CONF_ROUTE: "email"}
    entry = allmysms_entry(allmysms_sim, options=smtp)
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["general", "mail2sms", "route", "delivery", "receiving"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "general"}
    )
    assert _suggested(result, CONF_MAX_PARTS) is None  # not set: the default applies
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_DEFAULT_SENDER: "Ma Maison"}
    )

    assert entry.options == {
        **smtp,
        CONF_DEFAULT_SENDER: "Ma Maison",
        CONF_LOW_CREDIT_THRESHOLD: 0.0,
        CONF_TEXT_POLICY: "auto",
        CONF_MAX_PARTS: 10,
        CONF_STOP_MENTION: "add",
    }


async def test_options_of_a_loaded_entry_reload_it_once(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    reload = hass.config_entries.async_schedule_reload
    result = await _open_options_step(hass, entry, "general")

    with patch.object(
        hass.config_entries, "async_schedule_reload", side_effect=reload
    ) as scheduled:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_MAX_PARTS: 4}
        )
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert scheduled.call_count == 1
    assert entry.state is ConfigEntryState.LOADED


# --- Mail2SMS --------------------------------------------------------------------------------


def _smtp_form(server: Mail2SmsSimulator | None, **changes: Any) -> dict[str, Any]:
    """The Mail2SMS form for ``server`` (None: port 9 on loopback, where nothing listens)."""
    form = {
        CONF_SMTP_HOST: server.host if server else "127.0.0.1",
        CONF_SMTP_PORT: server.port if server else 9,
        CONF_SMTP_SECURITY: "none",
        CONF_SMTP_USERNAME: SMTP_USERNAME,
        CONF_SMTP_PASSWORD: SMTP_PASSWORD,
        CONF_SMTP_SENDER: "maison@example.fr",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


async def _mail2sms_step(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "mail2sms"}
    )


async def test_mail2sms_logs_in_and_sends_nothing(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    allmysms_sim: AllMySmsSimulator,
    mail2sms_server: Mail2SmsSimulator,
) -> None:
    entry = allmysms_entry(allmysms_sim, options={CONF_MAX_PARTS: 4})
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)
    assert result["step_id"] == "mail2sms"
    assert _suggested(result, CONF_SMTP_HOST) is None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server, **{CONF_SMTP_HOST: " 127.0.0.1 "})
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_MAX_PARTS: 4,
        CONF_SMTP_HOST: "127.0.0.1",
        CONF_SMTP_PORT: mail2sms_server.port,
        CONF_SMTP_SECURITY: "none",
        CONF_SMTP_USERNAME: SMTP_USERNAME,
        CONF_SMTP_PASSWORD: SMTP_PASSWORD,
        CONF_SMTP_SENDER: "maison@example.fr",
    }
    assert mail2sms_server.received == []
    assert allmysms_sim.messages == []


async def test_mail2sms_wrong_password_then_kept_password(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    allmysms_sim: AllMySmsSimulator,
    mail2sms_server: Mail2SmsSimulator,
) -> None:
    stored = _smtp_form(mail2sms_server)
    entry = allmysms_entry(allmysms_sim, options=stored)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)
    # prefilled, but the stored password never goes back to the browser
    assert _suggested(result, CONF_SMTP_USERNAME) == SMTP_USERNAME
    assert _suggested(result, CONF_SMTP_PASSWORD) is None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server, **{CONF_SMTP_PASSWORD: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth_smtp"}
    assert _suggested(result, CONF_SMTP_PASSWORD) is None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _smtp_form(mail2sms_server, **{CONF_SMTP_PASSWORD: None, CONF_SMTP_SENDER: "a@b.fr"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SMTP_PASSWORD] == SMTP_PASSWORD
    assert entry.options[CONF_SMTP_SENDER] == "a@b.fr"
    assert mail2sms_server.received == []


async def test_mail2sms_without_login(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    allmysms_sim: AllMySmsSimulator,
) -> None:
    open_relay = Mail2SmsSimulator(allmysms_sim)
    await open_relay.start()
    try:
        entry = allmysms_entry(
            allmysms_sim, options={CONF_SMTP_USERNAME: "old", CONF_SMTP_PASSWORD: "old"}
        )
        entry.add_to_hass(hass)
        result = await _mail2sms_step(hass, entry)

        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            _smtp_form(open_relay, **{CONF_SMTP_USERNAME: None, CONF_SMTP_PASSWORD: None}),
        )
    finally:
        await open_relay.stop()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_SMTP_USERNAME not in entry.options
    assert CONF_SMTP_PASSWORD not in entry.options
    assert open_relay.received == []


async def test_mail2sms_username_without_any_password(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_server: Mail2SmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server, **{CONF_SMTP_PASSWORD: None})
    )

    assert result["errors"] == {"base": "invalid_auth_smtp"}


async def test_mail2sms_server_hanging_up_on_quit_is_fine(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    """A server that drops the connection instead of answering QUIT let us in: accepted."""
    commands: list[str] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 rude.example ESMTP\r\n")
        while line := (await reader.readline()).decode().strip():
            commands.append(line.split()[0].upper())
            if commands[-1] == "QUIT":
                break
            writer.write(b"250 rude.example\r\n")
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        entry = allmysms_entry(allmysms_sim)
        entry.add_to_hass(hass)
        result = await _mail2sms_step(hass, entry)
        form = _smtp_form(None, **{CONF_SMTP_PORT: port})
        del form[CONF_SMTP_USERNAME], form[CONF_SMTP_PASSWORD]
        result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    finally:
        server.close()
        await server.wait_closed()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert commands == ["QUIT"]  # connected, greeted, nothing sent


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_mail2sms_security_the_server_does_not_offer(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    mail2sms_server: Mail2SmsSimulator,
    security: str,
) -> None:
    """STARTTLS or TLS to a plain server fails: never fall back to clear text."""
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server, **{CONF_SMTP_SECURITY: security})
    )

    assert result["errors"] == {"base": "cannot_connect_smtp"}
    assert entry.options == {}


async def test_mail2sms_tls_certificate_is_verified(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    self_signed = Mail2SmsSimulator(
        allmysms_sim, username=SMTP_USERNAME, password=SMTP_PASSWORD, security="tls"
    )
    await self_signed.start()
    try:
        entry = allmysms_entry(allmysms_sim)
        entry.add_to_hass(hass)
        result = await _mail2sms_step(hass, entry)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], _smtp_form(self_signed, **{CONF_SMTP_SECURITY: "tls"})
        )
    finally:
        await self_signed.stop()

    assert result["errors"] == {"base": "cannot_connect_smtp"}


async def test_mail2sms_server_down(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_server: Mail2SmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)
    await mail2sms_server.refuse_connections()

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server)
    )

    assert result["errors"] == {"base": "cannot_connect_smtp"}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_SMTP_SENDER: "maison"}, {CONF_SMTP_SENDER: "invalid_email"}),
        ({CONF_SMTP_SENDER: "a b@example.fr"}, {CONF_SMTP_SENDER: "invalid_email"}),
    ],
)
async def test_mail2sms_form_errors_need_no_connection(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(None, **changes)
    )

    assert result["errors"] == errors


async def test_mail2sms_is_removed_by_emptying_the_server(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    smtp = {k: v for k, v in _smtp_form(None).items() if k != CONF_SMTP_PASSWORD}
    entry = allmysms_entry(
        allmysms_sim,
        options={
            **smtp,
            CONF_ROUTE: ROUTE_API_THEN_EMAIL,
            CONF_FALLBACK: "mail2sms",
            "sender": "MAISON",
        },
    )
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(None, **{CONF_SMTP_HOST: "  "})
    )

    # nothing checked (no server), Mail2SMS gone with what depended on it, the rest kept
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_ROUTE: ROUTE_API, CONF_FALLBACK: "", "sender": "MAISON"}


async def test_mail2sms_refuses_a_login_the_subject_cannot_carry(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_server: Mail2SmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_USERNAME: "me@example.fr"}
    )
    result = await _mail2sms_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _smtp_form(mail2sms_server)
    )

    assert result["errors"] == {"base": "mail2sms_unusable_login"}


async def test_mail2sms_unexpected_error(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    mail2sms_server: Mail2SmsSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _mail2sms_step(hass, entry)

    with patch("aiosmtplib.SMTP.connect", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], _smtp_form(mail2sms_server)
        )

    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking the SMTP server" in caplog.text
    assert SMTP_PASSWORD not in caplog.text


# --- route -----------------------------------------------------------------------------------


async def _route_step(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "route"}
    )


@pytest.mark.parametrize("route", ["email", "api_then_email"])
async def test_email_routes_need_mail2sms(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator, route: str
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    result = await _route_step(hass, entry)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ROUTE: route}
    )
    assert result["errors"] == {CONF_ROUTE: "mail2sms_not_configured"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ROUTE: "api"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_ROUTE: "api"}


async def test_email_route_with_mail2sms(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, allmysms_sim: AllMySmsSimulator
) -> None:
    smtp = {CONF_SMTP_HOST: "smtp.example.fr", CONF_ROUTE: "api", CONF_MAX_PARTS: 3}
    entry = allmysms_entry(allmysms_sim, options=smtp)
    entry.add_to_hass(hass)
    result = await _route_step(hass, entry)
    assert _suggested(result, CONF_ROUTE) == "api"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ROUTE: "api_then_email"}
    )

    assert entry.options == {**smtp, CONF_ROUTE: "api_then_email"}


# --- recipients ------------------------------------------------------------------------------


async def _add_recipient(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )


async def test_add_recipient_normalises_the_number(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim, subentries_data=[])
    entry.add_to_hass(hass)
    result = await _add_recipient(hass, entry)
    assert result["type"] is FlowResultType.FORM

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: " Alice ", CONF_PHONE_NUMBER: "06 12 34 56 78"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
    # the row tells two Alices apart, without showing the whole number
    assert subentry.title == "Alice · •• 56 78"
    assert subentry.unique_id == ALICE
    assert dict(subentry.data) == {CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE}


async def test_add_recipient_invalid_then_blank_name(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim, subentries_data=[])
    entry.add_to_hass(hass)
    result = await _add_recipient(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "06 12"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    assert _suggested(result, CONF_PHONE_NUMBER) == "06 12"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: " ", CONF_PHONE_NUMBER: "+33 6 98 76 54 32"}
    )
    [subentry] = entry.subentries.values()
    assert subentry.title == "•• 54 32"  # no name: the number names it


async def test_add_recipient_twice_is_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)  # Alice is there already
    entry.add_to_hass(hass)
    result = await _add_recipient(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice again", CONF_PHONE_NUMBER: "0033612345678"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(entry.subentries) == 1


async def test_reconfigure_recipient(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_NAME) == "Alice"
    assert _suggested(result, CONF_PHONE_NUMBER) == ALICE

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice", CONF_PHONE_NUMBER: "not a number"}
    )
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice (work)", CONF_PHONE_NUMBER: "06.98.76.54.32"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Alice (work) · •• 54 32"
    assert subentry.unique_id == BOB
    assert dict(subentry.data) == {CONF_NAME: "Alice (work)", CONF_PHONE_NUMBER: BOB}


async def test_reconfigure_recipient_keeps_its_own_number(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alicia", CONF_PHONE_NUMBER: ALICE}
    )

    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].title == "Alicia · •• 56 78"


async def test_reconfigure_recipient_to_anothers_number_is_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(
        allmysms_sim, subentries_data=[recipient("Alice", ALICE), recipient("Bob", BOB)]
    )
    entry.add_to_hass(hass)
    alice_id = next(s.subentry_id for s in entry.subentries.values() if s.unique_id == ALICE)
    result = await entry.start_subentry_reconfigure_flow(hass, alice_id)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice", CONF_PHONE_NUMBER: BOB}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.subentries[alice_id].unique_id == ALICE


async def test_adding_a_recipient_to_a_loaded_entry_adds_its_entity(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    result = await _add_recipient(hass, entry)

    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "06 98 76 54 32"}
    )
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.bob") is not None


async def test_subentry_context_source_is_reconfigure(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """The reconfigure step is reachable the way the frontend starts it."""
    entry = allmysms_entry(allmysms_sim)
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )

    assert result["step_id"] == "reconfigure"


# --- translations ----------------------------------------------------------------------------
