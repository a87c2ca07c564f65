"""scripts/demo_config.py: the demo's accounts are the ones the config flow would make."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.const import DOMAIN
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.modem import FakeModem
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

SCRIPT = Path(__file__).parents[2] / "scripts" / "demo_config.py"
#: the fake modem as ``python -m tests.simulator`` serves it (nothing listens: the flow
#: aborts on an account already there before it opens the port)
MODEM = {
    "device": "/tmp/texto-modem/usb-Texto_Fake_LTE_Modem-if02-port0",
    "socket": "socket://127.0.0.1:8905",
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_config", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settings(
    allmysms: AllMySmsSimulator, smsmode: SmsmodeSimulator, sms123: Sms123Simulator
) -> dict[str, dict[str, Any]]:
    """What ``python -m tests.simulator --json`` prints."""
    return {
        "allmysms": {
            "url": allmysms.base_url,
            "username": allmysms.login,
            "api_key": allmysms.api_key,
        },
        "smsmode": {"url": smsmode.base_url, "access_token": smsmode.access_token},
        "sms123": {"url": sms123.base_url, "username": sms123.user, "api_key": sms123.api_key},
        "mail2sms": {"smtp_host": "127.0.0.1", "smtp_port": 8904, "smtp_security": "none"},
        "modem": MODEM,
    }


def _form(provider: str, settings: dict[str, Any]) -> dict[str, Any]:
    """What a person types in the config flow's form for the demo's account of ``provider``."""
    if provider == "modem":
        return {"device": settings["modem"]["socket"], "advanced": {}}
    credentials = {key: value for key, value in settings[provider].items() if key != "url"}
    return {**credentials, "advanced": {"url": settings[provider]["url"]}}


def _write(tmp_path: Path, settings: dict[str, Any], *extra: str) -> None:
    argv = ["demo_config.py", str(tmp_path), json.dumps(settings), *extra]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", argv)
        _script().main()


def _stored_entries(tmp_path: Path) -> list[dict[str, Any]]:
    document = json.loads((tmp_path / ".storage" / "core.config_entries").read_text())
    return list(document["data"]["entries"])


@pytest.mark.parametrize("provider", ["allmysms", "smsmode", "sms123", "modem"])
async def test_adding_a_demo_account_again_says_already_configured(
    *,
    hass: HomeAssistant,
    tmp_path: Path,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    provider: str,
) -> None:
    settings = _settings(allmysms_sim, smsmode_sim, sms123_sim)
    _write(tmp_path, settings)
    (stored,) = [
        entry for entry in _stored_entries(tmp_path) if entry["data"]["provider"] == provider
    ]
    MockConfigEntry(
        domain=DOMAIN, unique_id=stored["unique_id"], data=stored["data"], title=stored["title"]
    ).add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(provider, settings)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_demo_config_is_written_once(
    tmp_path: Path,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
) -> None:
    settings = _settings(allmysms_sim, smsmode_sim, sms123_sim)
    _write(tmp_path, settings, "--without", "sms123")
    entries = _stored_entries(tmp_path)
    titles = sorted(entry["title"] for entry in entries)
    assert titles == ["AllMySMS", "Modem Fake LTE", "smsmode"]
    # every account set up as the flow leaves it: a webhook for a gateway, a recipient with a
    # name of its own
    for entry in entries:
        if entry["data"]["provider"] != "modem":
            assert entry["data"]["webhook_id"]
        assert [sub["title"] for sub in entry["subentries"]] in (
            ["Alice · •• 56 78"],
            ["Bob · •• 54 32"],
            ["David · •• 89 01"],
        )
    onboarding = json.loads((tmp_path / ".storage" / "onboarding").read_text())
    # the "Home" step would set up integrations whose packages --skip-pip leaves out
    assert onboarding["data"]["done"] == ["core_config", "analytics"]
    assert (tmp_path / "custom_components" / "texto" / "manifest.json").exists()

    _write(tmp_path, settings)  # a second start keeps what is there
    assert _stored_entries(tmp_path) == entries


@pytest.fixture
async def served_modem(socket_enabled: None) -> AsyncIterator[FakeModem]:
    """The fake modem on a pty and over TCP, as the demo serves it."""
    modem = FakeModem()
    await modem.start()
    yield modem
    await modem.stop()


async def test_the_demo_modem_account_is_the_one_the_flow_makes(
    *,
    hass: HomeAssistant,
    tmp_path: Path,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    served_modem: FakeModem,
    mock_setup_entry: AsyncMock,
) -> None:
    settings = _settings(allmysms_sim, smsmode_sim, sms123_sim)
    settings["modem"] = {"device": served_modem.path, "socket": await served_modem.serve_tcp()}
    _write(tmp_path, settings)
    (stored,) = [
        entry for entry in _stored_entries(tmp_path) if entry["data"]["provider"] == "modem"
    ]

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "modem"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form("modem", settings)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    made = result["result"]
    assert (stored["title"], stored["unique_id"], stored["data"]) == (
        made.title,
        made.unique_id,
        dict(made.data),
    )
