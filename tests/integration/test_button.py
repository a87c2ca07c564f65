"""A recipient's "Send a test SMS" button: one real SMS through the outbox, seen everywhere."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.const import CONF_PHONE_NUMBER, DOMAIN, SUBENTRY_TYPE_RECIPIENT
from tests.simulator.smsmode import SmsmodeSimulator

from .common import ALICE, smsmode_entry

BUTTON = "button.alice_send_a_test_sms"


async def set_up_enabled(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """The account, its buttons enabled as a user would (they are disabled by default)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    for button in er.async_entries_for_config_entry(registry, entry.entry_id):
        if button.domain == "button":
            registry.async_update_entity(button.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def press(hass: HomeAssistant, entity_id: str = BUTTON) -> None:
    await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    await hass.async_block_till_done()


async def test_the_button_is_disabled_by_default_and_diagnostic(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    button = er.async_get(hass).async_get(BUTTON)
    assert button is not None
    assert button.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert button.entity_category is EntityCategory.DIAGNOSTIC
    assert button.translation_key == "send_test_sms"
    assert hass.states.get(BUTTON) is None


async def test_pressing_sends_one_test_sms_seen_by_last_status(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up_enabled(hass, smsmode_entry(smsmode_sim))

    await press(hass)

    [sms] = smsmode_sim.messages
    assert sms.number == ALICE[1:]
    assert sms.text.startswith("Texto test: this SMS was sent by Home Assistant.")
    last = hass.states.get("sensor.smsmode_last_status")
    assert last is not None
    assert last.state == "sent"
    assert (last.attributes["route"], last.attributes["account_name"]) == ("smsmode", entry.title)
    assert last.attributes["account"] == entry.entry_id
    assert hass.states.get(BUTTON).state not in ("unknown", "unavailable")  # pressed at


async def test_the_test_text_is_in_home_assistants_language(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    await set_up_enabled(hass, smsmode_entry(smsmode_sim))
    hass.config.language = "fr"  # after the set-up: the entity ids stay English

    await press(hass)

    [sms] = smsmode_sim.messages
    assert sms.text.startswith("Test de Texto : ce SMS a été envoyé par Home Assistant.")


async def test_a_refused_test_sms_says_why(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    await set_up_enabled(hass, smsmode_entry(smsmode_sim))
    smsmode_sim.credits = 0

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key is not None
    assert smsmode_sim.messages == []
    assert hass.states.get("sensor.smsmode_last_status").state == "failed"


async def test_a_recipient_added_later_gets_its_button_and_a_changed_one_its_new_number(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up_enabled(hass, smsmode_entry(smsmode_sim))

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "06 98 76 54 32"}
    )
    await hass.async_block_till_done()
    bob = er.async_get(hass).async_get("button.bob_send_a_test_sms")
    assert bob is not None
    assert bob.disabled_by is er.RegistryEntryDisabler.INTEGRATION

    alice = next(sub for sub in entry.subentries.values() if sub.data[CONF_NAME] == "Alice")
    result = await entry.start_subentry_reconfigure_flow(hass, alice.subentry_id)
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice", CONF_PHONE_NUMBER: "06 11 22 33 44"}
    )
    await hass.async_block_till_done()
    await press(hass)

    assert [sms.number for sms in smsmode_sim.messages] == ["33611223344"]
