"""Setting an account up and down: entities, devices, errors, reload, removal."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.texto.const import DOMAIN
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import (
    allmysms_entry,
    set_up,
    sms123_entry,
    smsmode_entry,
)


async def test_allmysms_account_entities(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.allmysms_demo_credit").state == "15000"
    # 15 credits buy one SMS to France
    assert hass.states.get("sensor.allmysms_demo_remaining_sms").state == "1000"
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "unknown"
    assert hass.states.get("sensor.allmysms_demo_sent_parts").state == "0"
    assert hass.states.get("notify.alice") is not None
    # credentials were checked with the balance: nothing was sent
    assert allmysms_sim.messages == []


async def test_devices_follow_core_recipient_pattern(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    devices = dr.async_get(hass)
    account = devices.async_get_device({(DOMAIN, entry.entry_id)})
    assert account is not None
    assert account.entry_type is dr.DeviceEntryType.SERVICE
    assert account.manufacturer == "AllMySMS"
    [subentry_id] = entry.subentries
    alice = devices.async_get_device({(DOMAIN, f"{entry.entry_id}_{subentry_id}")})
    assert alice is not None
    assert alice.name == "Alice"
    assert alice.via_device_id == account.id


async def test_deleting_a_recipient_removes_its_entity_and_device(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    [subentry_id] = entry.subentries

    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    assert er.async_get(hass).async_get("notify.alice") is None
    device_id = (DOMAIN, f"{entry.entry_id}_{subentry_id}")
    assert dr.async_get(hass).async_get_device({device_id}) is None
    assert hass.states.get("sensor.allmysms_demo_credit") is not None


async def test_smsmode_has_credit_but_no_sms_estimate(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    await set_up(hass, smsmode_entry(smsmode_sim))
    assert hass.states.get("sensor.smsmode_credit").state == "1000"
    assert hass.states.get("sensor.smsmode_remaining_sms") is None


async def test_a_fraction_of_credit_is_shown_as_it_is(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.credits = 212.5
    await set_up(hass, smsmode_entry(smsmode_sim))
    # 1000 credits show as 1000, not 1000.0; but half a credit is not rounded away
    assert hass.states.get("sensor.smsmode_credit").state == "212.5"


async def test_sms123_counts_sms_not_credits(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    await set_up(hass, sms123_entry(sms123_sim))
    states = {state.entity_id for state in hass.states.async_all("sensor")}
    assert not any(entity_id.endswith("_credit") for entity_id in states)
    remaining = [entity_id for entity_id in states if entity_id.endswith("remaining_sms")]
    assert len(remaining) == 1
    assert hass.states.get(remaining[0]).state == "500"


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim)
    allmysms_sim.api_key = "rotated-key"
    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_unreachable_gateway_sets_up_with_the_balance_unavailable(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """Sends must queue, not be refused: the account is set up while its gateway is down."""
    await allmysms_sim.refuse_connections()
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.allmysms_demo_credit").state == "unavailable"
    assert hass.states.get("notify.alice").state != "unavailable"
    coordinator = entry.runtime_data.coordinator
    # asked again every 5 minutes rather than every 30 while the gateway is down
    assert coordinator.update_interval == timedelta(minutes=5)

    await allmysms_sim.accept_connections()
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert hass.states.get("sensor.allmysms_demo_credit").state == "15000"
    assert coordinator.update_interval == timedelta(minutes=30)


async def test_unload_and_reload(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("sensor.allmysms_demo_credit").state == "unavailable"

    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED


async def test_options_change_reloads(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = entry.runtime_data

    hass.config_entries.async_update_entry(entry, options={"sender": "MAISON"})
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not account
