"""Event entities: the last delivery report and the last incoming SMS of each account."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.texto.const import CONF_MESSAGE_CLASS, DOMAIN, MESSAGE_CLASS_REPLIES
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SHORT_CODE, SmsmodeSimulator

from .callbacks import (
    ISO_DATE,
    account_of,
    allmysms_report,
    sms123_report,
    smsmode_reply,
    smsmode_report,
)
from .common import ALICE, allmysms_entry, send_sms, set_up, sms123_entry, smsmode_entry

STATUSES = ["delivered", "failed", "pending", "expired", "unknown"]


async def test_account_has_both_event_entities(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    registry = er.async_get(hass)

    report = hass.states.get("event.allmysms_demo_delivery_report")
    incoming = hass.states.get("event.allmysms_demo_incoming_sms")

    assert report is not None
    assert incoming is not None
    # nothing happened yet
    assert (report.state, incoming.state) == ("unknown", "unknown")
    assert report.attributes["event_types"] == STATUSES
    assert incoming.attributes["event_types"] == ["received"]
    for key in ("delivery_report", "incoming_sms"):
        entity = registry.async_get(f"event.allmysms_demo_{key}")
        assert entity is not None
        assert entity.unique_id == f"{entry.entry_id}_{key}"
        assert entity.translation_key == key
    # on the account's device, not a recipient's
    assert {
        entity.device_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.domain == "event"
    } == {_account_device_id(hass, entry.entry_id)}


def _account_device_id(hass: HomeAssistant, entry_id: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry_id)})
    assert device is not None
    return device.id


async def test_delivery_report_entity_shows_the_last_report(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Alarme", reference="alarm-1"
    )
    [sms] = allmysms_sim.messages

    await account_of(hass, entry.entry_id).inbox.async_receive(allmysms_report(sms, 2))
    await hass.async_block_till_done()

    state = hass.states.get("event.allmysms_demo_delivery_report")
    assert state is not None
    assert state.state not in ("unknown", "unavailable")  # the time of the event
    assert dict(state.attributes) == {
        "event_types": STATUSES,
        "event_type": "failed",
        "provider": "allmysms",
        "message_id": sent["message_id"],
        "recipient": ALICE,
        "status": "failed",
        "provider_status": "2",
        "detail": "Not delivered",
        "reported_at": ISO_DATE,
        "reference": "alarm-1",
        # how it went; the account is the entity's own
        "route": "allmysms",
        "friendly_name": "AllMySMS (demo) Delivery report",
    }


async def test_a_duplicate_report_does_not_touch_the_entity(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    [message] = smsmode_sim.messages
    inbox = account_of(hass, entry.entry_id).inbox
    await inbox.async_receive(smsmode_report(message, 11))
    await hass.async_block_till_done()
    first = hass.states.get("event.smsmode_delivery_report")
    assert first is not None

    await inbox.async_receive(smsmode_report(message, 11))
    await hass.async_block_till_done()

    again = hass.states.get("event.smsmode_delivery_report")
    assert again is not None
    assert again.last_updated == first.last_updated
    assert again.attributes["event_type"] == "delivered"


async def test_incoming_sms_entity_shows_the_last_reply(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(
        hass, smsmode_entry(smsmode_sim, options={CONF_MESSAGE_CLASS: MESSAGE_CLASS_REPLIES})
    )
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Reply 1")

    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply("33612345678", "1", response_id="rep9", sms_id=sent["message_id"])
    )
    await hass.async_block_till_done()

    state = hass.states.get("event.smsmode_incoming_sms")
    assert state is not None
    assert state.state not in ("unknown", "unavailable")
    assert dict(state.attributes) == {
        "event_types": ["received"],
        "event_type": "received",
        "provider": "smsmode",
        "sender": ALICE,
        "sender_name": "Alice",
        "sender_entity_id": "notify.alice",
        "recipient": SHORT_CODE,
        "text": "1",
        "received_at": ISO_DATE,
        "message_id": "rep9",
        "in_reply_to": sent["message_id"],
        "verified": True,
        "in_reply_to_sent_at": account_of(hass, entry.entry_id)
        .sent_log.get(sent["message_id"])
        .sent_at.isoformat(),
        "complete": True,
        "friendly_name": "smsmode Incoming SMS",
    }
    # a reply is not a report
    report = hass.states.get("event.smsmode_delivery_report")
    assert report is not None
    assert report.state == "unknown"


async def test_sms123_has_no_incoming_sms_entity(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    [sms] = sms123_sim.messages

    await account_of(hass, entry.entry_id).inbox.async_receive(
        sms123_report(sms.reference, sms.number)
    )
    await hass.async_block_till_done()

    events = [
        entity.unique_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.domain == "event"
    ]
    assert events == [f"{entry.entry_id}_delivery_report"]
    state = hass.states.get("event.123_sms_delivery_report")
    assert state is not None
    assert state.attributes["event_type"] == "delivered"


async def test_event_entities_go_with_the_entry(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    inbox = account_of(hass, entry.entry_id).inbox
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # an item the old inbox still gets reaches no removed entity
    [sms] = allmysms_sim.messages
    assert await inbox.async_receive(allmysms_report(sms, 1))

    state = hass.states.get("event.allmysms_demo_delivery_report")
    assert state is not None
    assert state.state == "unavailable"
