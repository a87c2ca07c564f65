"""A modem account's SIM balance by USSD, on the fake modem: only with a code, hourly at most.

The fake modem answers ``AT+CUSD`` with ``OK`` and then its ``+CUSD`` line, as modems do; what
it was asked is in ``ussd_requests``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.texto import clients
from custom_components.texto.const import DOMAIN
from tests.simulator.modem import FakeModem

from .common import modem_entry, set_up

BALANCE = "Votre solde est de 5,20 EUR. Valable jusqu'au 31/12/2026"


@pytest.fixture(autouse=True)
def fast_modem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clients, "MODEM_COMMAND_TIMEOUT", 1.0)
    monkeypatch.setattr(clients, "MODEM_REOPEN_DELAYS", (0.05, 0.2))


async def settled(hass: HomeAssistant) -> None:
    """Every task done, the background USSD reads too."""
    await hass.async_block_till_done(wait_background_tasks=True)


async def with_code(hass: HomeAssistant, fake: FakeModem, code: str = "#123#") -> MockConfigEntry:
    entry = await set_up(hass, modem_entry(fake, options={"ussd_code": code}))
    await settled(hass)
    return entry


def balance_id(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_balance")


async def later(hass: HomeAssistant, minutes: int) -> None:
    """The clock ``minutes`` ahead: every timer due by then fires."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
    await settled(hass)


async def test_no_code_no_balance_sensor(hass: HomeAssistant, fake_modem: FakeModem) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    await settled(hass)

    assert balance_id(hass, entry) is None
    assert fake_modem.ussd_requests == []


async def test_the_balance_is_read_at_setup(hass: HomeAssistant, fake_modem: FakeModem) -> None:
    entry = await with_code(hass, fake_modem)

    entity_id = balance_id(hass, entry)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert float(state.state) == 5.2
    assert state.attributes["ussd_reply"] == BALANCE
    assert state.attributes["friendly_name"].endswith("Balance")
    assert fake_modem.ussd_requests == ["#123#"]


async def test_diagnostics_show_the_amount_not_the_text(
    hass: HomeAssistant, fake_modem: FakeModem, hass_client: ClientSessionGenerator
) -> None:
    entry = await with_code(hass, fake_modem)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["modem"]["ussd_balance"] == {"read": True, "amount": 5.2}
    assert diagnostics["entry"]["options"]["ussd_code"] == "#123#"
    assert "Valable" not in repr(diagnostics)


async def test_the_balance_is_read_hourly_at_most(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    entry = await with_code(hass, fake_modem)
    fake_modem.ussd_reply = "Votre solde est de 4,10 EUR."

    for minutes in (1, 10, 30, 59):  # the status is read every minute meanwhile
        await later(hass, minutes)
    assert fake_modem.ussd_requests == ["#123#"]

    await later(hass, 61)
    assert fake_modem.ussd_requests == ["#123#", "#123#"]
    state = hass.states.get(balance_id(hass, entry) or "")
    assert state is not None
    assert float(state.state) == 4.1


async def test_updating_the_sensor_reads_it_now(hass: HomeAssistant, fake_modem: FakeModem) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await with_code(hass, fake_modem)
    entity_id = balance_id(hass, entry)
    fake_modem.ussd_reply = "Credit: 12.50 EUR"

    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await settled(hass)

    assert fake_modem.ussd_requests == ["#123#", "#123#"]
    state = hass.states.get(entity_id or "")
    assert state is not None
    assert float(state.state) == 12.5
    assert state.attributes["ussd_reply"] == "Credit: 12.50 EUR"


async def test_an_unsupported_code_makes_it_unavailable_without_an_error(
    hass: HomeAssistant, fake_modem: FakeModem, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    fake_modem.ussd_result = 4  # +CUSD: 4, the network does not support it
    entry = await with_code(hass, fake_modem, "*144#")
    entity_id = balance_id(hass, entry)

    state = hass.states.get(entity_id or "")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    # the next failures are not said again
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await settled(hass)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([r for r in warnings if "balance" in r.getMessage()]) == 1

    fake_modem.ussd_result = 0  # the operator's service is back
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await later(hass, 1)  # asked again within seconds: read once the debounce is over
    state = hass.states.get(entity_id or "")
    assert state is not None
    assert float(state.state) == 5.2


async def test_the_options_take_a_code_and_refuse_a_bad_one(
    hass: HomeAssistant, fake_modem: FakeModem, check_flow_translations: None
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    menu = await hass.config_entries.options.async_init(entry.entry_id)
    form = await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": "general"}
    )
    assert form["step_id"] == "general_modem"

    refused = await hass.config_entries.options.async_configure(
        form["flow_id"], {"text_policy": "auto", "max_parts": 3, "ussd_code": "#123#;ATD112;"}
    )
    assert refused["type"] == "form"
    assert refused["errors"] == {"ussd_code": "invalid_ussd_code"}
    assert fake_modem.ussd_requests == []

    done = await hass.config_entries.options.async_configure(
        form["flow_id"], {"text_policy": "auto", "max_parts": 3, "ussd_code": " #123# "}
    )
    await settled(hass)  # the options reload the entry

    assert done["type"] == "create_entry"
    assert entry.options["ussd_code"] == "#123#"
    assert balance_id(hass, entry) is not None
    assert fake_modem.ussd_requests == ["#123#"]


async def test_the_device_names_the_modem_maker_and_model(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))

    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert (device.manufacturer, device.model) == ("Texto", "Fake LTE")


async def test_a_modem_reached_after_setup_is_named_and_read_then(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    await fake_modem.unplug()  # not there when Home Assistant starts
    entry = await with_code(hass, fake_modem)
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert device.model is None
    assert fake_modem.ussd_requests == []

    await fake_modem.replug()
    await entry.runtime_data.modem.async_refresh()  # the next try reaches it
    await settled(hass)

    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert (device.manufacturer, device.model) == ("Texto", "Fake LTE")
    assert fake_modem.ussd_requests == ["#123#"]
    state = hass.states.get(balance_id(hass, entry) or "")
    assert state is not None
    assert float(state.state) == 5.2
