"""Fixtures of the Home Assistant integration tests."""

from __future__ import annotations

# Imported before Home Assistant's `hass` fixture puts its own testing config on sys.path,
# so that HA finds this project's custom_components package (see home-assistant.md).
import custom_components.texto  # noqa: F401  # isort: skip

import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
import voluptuous as vol
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigSubentryFlow, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler, FlowManager, FlowResultType, section
from homeassistant.helpers.selector import SelectSelector
from homeassistant.setup import async_setup_component

from custom_components.texto.config_flow import (
    RecipientSubentryFlowHandler,
    TextoConfigFlow,
    TextoOptionsFlow,
)
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator

# the simulators, as fixtures for every test here
from .common import (  # noqa: F401
    allmysms_sim,
    fake_modem,
    fast_modem,
    sms123_sim,
    smsmode_sim,
)

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "texto" / "translations"
SMTP_USERNAME = "relay@example.fr"
SMTP_PASSWORD = "relay-password"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations (Texto) in every test here."""


@pytest.fixture(autouse=True)
def own_config_dir(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Each test's Home Assistant keeps its files (the outbox's journal) in a folder of its own.

    The test plugin mocks the stores (``hass_storage``), not other files: without this, the
    journal would go to the plugin's shared testing folder.
    """
    if "hass" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        hass.config.config_dir = str(tmp_path)


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Entries created or reloaded by a flow are not really set up (flow tests only)."""
    with (
        patch("custom_components.texto.async_setup_entry", return_value=True) as setup,
        patch("custom_components.texto.async_unload_entry", return_value=True),
    ):
        yield setup


@pytest.fixture
async def mail2sms_server(
    socket_enabled: None,
    allmysms_sim: AllMySmsSimulator,  # noqa: F811 - the fixture imported above
) -> AsyncIterator[Mail2SmsSimulator]:
    """A real SMTP server (aiosmtpd, no TLS) that asks for a login, on 127.0.0.1."""
    server = Mail2SmsSimulator(allmysms_sim, username=SMTP_USERNAME, password=SMTP_PASSWORD)
    await server.start()
    yield server
    await server.stop()


# --- every flow result Texto shows is fully translated ----------------------------------------


@pytest.fixture
def check_flow_translations() -> Iterator[None]:
    """Fail a test when a Texto flow shows something en.json does not translate.

    Every form field needs a label and a ``data_description``, every section a name,
    every error, abort reason and menu option a text, every select option a label, and
    every ``{placeholder}`` in those texts a value.
    """
    english = json.loads((TRANSLATIONS / "en.json").read_text())
    original = FlowManager._async_handle_step

    async def checked(
        manager: FlowManager[Any, Any, Any], flow: FlowHandler[Any, Any, Any], *args: Any
    ) -> Any:
        result = await original(manager, flow, *args)
        if isinstance(flow, TextoConfigFlow | TextoOptionsFlow | RecipientSubentryFlowHandler):
            _check_result(english, flow, result)
        return result

    with patch.object(FlowManager, "_async_handle_step", checked):
        yield


def _flow_strings(english: Mapping[str, Any], flow: FlowHandler[Any, Any, Any]) -> Any:
    if isinstance(flow, ConfigSubentryFlow):
        return english["config_subentries"][flow.handler[1]]
    if isinstance(flow, OptionsFlow):
        return english["options"]
    return english["config"]


def _check_result(
    english: Mapping[str, Any], flow: FlowHandler[Any, Any, Any], result: Mapping[str, Any]
) -> None:
    strings = _flow_strings(english, flow)
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"], result["reason"]
        return
    if result["type"] is FlowResultType.CREATE_ENTRY:
        return
    step = strings["step"][result["step_id"]]
    assert "title" in step, result["step_id"]
    if result["type"] is FlowResultType.MENU:
        # a menu may show fewer options than the step translates (per-gateway menus)
        assert set(result["menu_options"]) <= set(step["menu_options"])
        # the web interface fills no placeholder in a menu's title (it does in a form's)
        assert not _PLACEHOLDER.findall(step["title"]), result["step_id"]
        missing = set(_PLACEHOLDER.findall(step.get("description", "")))
        assert missing <= set(result["description_placeholders"] or {}), result["step_id"]
        return
    texts = [step.get("description", "")]
    if result["data_schema"] is not None:  # a confirmation has no field
        texts += _check_fields(english, result["data_schema"], step)
    for error in (result["errors"] or {}).values():
        assert error in strings["error"], error
        texts.append(strings["error"][error])
    given = set(result["description_placeholders"] or {})
    for text in texts:
        missing = set(_PLACEHOLDER.findall(text)) - given
        assert not missing, f"{result['step_id']}: no value for {missing}"


def _check_fields(
    english: Mapping[str, Any], schema: vol.Schema, step: Mapping[str, Any]
) -> list[str]:
    """Check each field of ``schema`` is translated in ``step``; return the texts."""
    texts: list[str] = []
    for marker, value in schema.schema.items():
        name = str(marker)
        if isinstance(value, section):
            translated = step["sections"][name]
            assert "name" in translated, name
            texts += _check_fields(english, value.schema, translated)
            continue
        assert name in step["data"], name
        assert name in step["data_description"], name
        texts.append(step["data_description"][name])
        selector = value.validators[0] if isinstance(value, vol.All) else value
        if isinstance(selector, SelectSelector):
            key = selector.config.get("translation_key")
            if key is None:
                continue  # the flow labels every option itself (the serial ports found)
            labels = english["selector"][key]["options"]
            # an option labelled by the flow (another account's title) needs no translation
            values = {
                option if isinstance(option, str) else option["value"]
                for option in selector.config["options"]
                if isinstance(option, str) or option["label"] == option["value"]
            }
            assert values <= set(labels), key
    return texts


type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]


@pytest.fixture
async def client(
    hass: HomeAssistant, hass_client_no_auth: ClientFactory, socket_enabled: None
) -> TestClient[Any, Any]:
    """HA's HTTP server on 127.0.0.1, also Home Assistant's external URL (as if public)."""
    assert await async_setup_component(hass, "webhook", {})
    client = await hass_client_no_auth()
    await hass.config.async_update(external_url=str(client.make_url("")).rstrip("/"))
    return client
