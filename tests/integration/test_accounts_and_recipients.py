"""Accounts and recipients told apart: titles without personal data, rows that name numbers.

Recipients follow their subentries without reloading the account: its sensors stay
available and its event entities do not look as if something had arrived.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.const import (
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_RECEIVE_MODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import ALICE, allmysms_entry, send_sms, set_up, smsmode_entry

pytestmark = pytest.mark.usefixtures("check_flow_translations")


async def _add_account(hass: HomeAssistant, provider: str, fields: dict[str, Any]) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    return await hass.config_entries.flow.async_configure(result["flow_id"], fields)


# --- account titles ---------------------------------------------------------------------------


async def test_a_second_account_of_a_gateway_is_numbered(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    MockConfigEntry(domain=DOMAIN, title="123-SMS", unique_id="sms123:other").add_to_hass(hass)
    fields = {
        CONF_USERNAME: sms123_sim.user,
        CONF_API_KEY: sms123_sim.api_key,
        "advanced": {CONF_URL: sms123_sim.base_url},
    }

    result = await _add_account(hass, "sms123", fields)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # told apart from the first, and no e-mail address in it
    assert result["title"] == "123-SMS 2"
    assert sms123_sim.user not in result["title"]


async def test_the_account_name_typed_is_the_title(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    fields = {
        CONF_NAME: "  SMS de la maison  ",
        "access_token": smsmode_sim.access_token,
        "advanced": {CONF_URL: smsmode_sim.base_url},
    }

    result = await _add_account(hass, "smsmode", fields)

    assert result["title"] == "SMS de la maison"
    assert CONF_NAME not in result["result"].data


# --- migration to 1.3 -------------------------------------------------------------------------


def _old_allmysms(
    sim: AllMySmsSimulator, *, title: str, options: dict[str, Any]
) -> MockConfigEntry:
    """An AllMySMS entry as Texto 1.2 stored it."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=2,
        title=title,
        unique_id=f"allmysms:{sim.login}",
        data={
            CONF_PROVIDER: "allmysms",
            CONF_USERNAME: sim.login,
            CONF_API_KEY: sim.api_key,
            CONF_URL: sim.base_url,
            CONF_WEBHOOK_ID: "f" * 64,
        },
        options=options,
        subentries_data=[
            ConfigSubentryData(
                data={CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE},
                subentry_type=SUBENTRY_TYPE_RECIPIENT,
                title="Alice",
                unique_id=ALICE,
            )
        ],
    )


async def test_migration_renames_login_titles_and_recipient_rows(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    MockConfigEntry(domain=DOMAIN, title="AllMySMS", unique_id="allmysms:other").add_to_hass(hass)
    entry = _old_allmysms(allmysms_sim, title=f"AllMySMS ({allmysms_sim.login})", options={})

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 4
    assert entry.title == "AllMySMS 2"
    [subentry] = entry.subentries.values()
    assert subentry.title == "Alice · •• 56 78"
    # the receive mode of that day is kept: no public URL, polling
    assert entry.options[CONF_RECEIVE_MODE] == "polling"


async def test_migration_keeps_a_title_the_user_set_and_a_chosen_mode(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = _old_allmysms(
        allmysms_sim, title="Alarme maison", options={CONF_RECEIVE_MODE: "webhook"}
    )

    await set_up(hass, entry)

    assert entry.title == "Alarme maison"
    assert entry.options[CONF_RECEIVE_MODE] == "webhook"


async def test_receive_mode_stays_polling_when_a_url_appears(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    fields = {
        "access_token": smsmode_sim.access_token,
        "advanced": {CONF_URL: smsmode_sim.base_url},
    }
    result = await _add_account(hass, "smsmode", fields)
    entry = result["result"]
    await hass.async_block_till_done()

    await hass.config.async_update(external_url="https://maison.example.fr")

    assert entry.options[CONF_RECEIVE_MODE] == "polling"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "receiving"}
    )
    assert result["step_id"] == "receiving_smsmode"
    schema = {str(marker): marker for marker in result["data_schema"].schema}
    assert schema[CONF_RECEIVE_MODE].description["suggested_value"] == "polling"


@pytest.mark.parametrize(
    ("before", "after"), [("webhook", "both"), ("polling", "polling"), ("both", "both")]
)
async def test_smsmode_accounts_on_webhook_alone_poll_as_well_after_migration(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, before: str, after: str
) -> None:
    """Replies holding a line break never pass HA's filter: polling recovers them."""
    entry = smsmode_entry(smsmode_sim, options={CONF_RECEIVE_MODE: before}, minor_version=3)

    await set_up(hass, entry)

    assert (entry.minor_version, entry.options[CONF_RECEIVE_MODE]) == (4, after)


async def test_a_new_smsmode_account_with_a_url_receives_both_ways(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    await hass.config.async_update(external_url="https://maison.example.fr")
    fields = {
        "access_token": smsmode_sim.access_token,
        "advanced": {CONF_URL: smsmode_sim.base_url},
    }
    result = await _add_account(hass, "smsmode", fields)
    await hass.async_block_till_done()

    assert result["result"].options[CONF_RECEIVE_MODE] == "both"


# --- recipients -------------------------------------------------------------------------------


def _device_of(hass: HomeAssistant, entity_id: str) -> dr.DeviceEntry:
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device is not None
    return device


async def test_a_recipients_device_is_a_person_under_the_account(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    recipient = _device_of(hass, "notify.alice")
    account = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})

    assert recipient.name == "Alice"
    assert recipient.manufacturer is None  # a person's phone is not AllMySMS's
    assert account is not None
    assert recipient.via_device_id == account.id


async def test_adding_changing_removing_a_recipient_does_not_reload_the_account(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    incoming = hass.states.get("event.allmysms_demo_incoming_sms")
    credit = hass.states.get("sensor.allmysms_demo_credit")
    assert incoming is not None
    assert credit is not None
    changes: list[tuple[str, str | None]] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: changes.append(
            (event.data["entity_id"], getattr(event.data["new_state"], "state", None))
        ),
    )

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "06 98 76 54 32"}
    )
    await hass.async_block_till_done()
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")  # the account works
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.bob", "message": "Bonjour"}, blocking=True
    )
    await hass.async_block_till_done()

    # Bob's entity came without the account going away: no sensor went unavailable, and
    # the incoming-SMS entity kept its state (a reload made it look as if a reply arrived)
    assert hass.states.get("event.allmysms_demo_incoming_sms") == incoming
    assert [change for change in changes if change[1] == "unavailable"] == []
    assert [entity for entity, _ in changes if entity.startswith("event.")] == []
    assert allmysms_sim.messages[-1].number == "33698765432"

    # Bob's number changes: the same entity sends to the new one, its device renamed
    bob = next(sub for sub in entry.subentries.values() if sub.data[CONF_NAME] == "Bob")
    result = await entry.start_subentry_reconfigure_flow(hass, bob.subentry_id)
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Robert", CONF_PHONE_NUMBER: "06 11 22 33 44"}
    )
    await hass.async_block_till_done()
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.bob", "message": "Re"}, blocking=True
    )
    assert allmysms_sim.messages[-1].number == "33611223344"
    assert _device_of(hass, "notify.bob").name == "Robert"

    # and removed: entity and device go with the subentry, the account stays
    hass.config_entries.async_remove_subentry(entry, bob.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("notify.bob") is None
    assert er.async_get(hass).async_get("notify.bob") is None
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("event.allmysms_demo_incoming_sms") == incoming
