"""The inbox: delivery reports and replies become events once, tied back to Texto's sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.texto import inbox as inbox_module
from custom_components.texto.const import (
    CONF_MESSAGE_CLASS,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
    MESSAGE_CLASS_REPLIES,
)
from custom_components.texto.gateway.allmysms import AllMySmsGateway
from custom_components.texto.gateway.models import InboundMessage, Provider
from custom_components.texto.gateway.smsmode import SmsmodeGateway
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SHORT_CODE, SmsmodeSimulator

from .callbacks import (
    ISO_DATE,
    account_of,
    allmysms_reply,
    allmysms_report,
    sms123_report,
    smsmode_reply,
    smsmode_report,
)
from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    device_id_of,
    recipient,
    send_sms,
    set_up,
    sms123_entry,
    smsmode_entry,
)

REPLIES = {CONF_MESSAGE_CLASS: MESSAGE_CLASS_REPLIES}
#: a number no recipient subentry has
STRANGER = "+33611111111"


def gateway_form(number: str) -> str:
    """A number as the gateways write it in their callbacks (336...)."""
    return number.removeprefix("+")


# --- delivery reports --------------------------------------------------------------------


async def test_report_event_has_the_send_id_recipient_status_and_reference(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Alarme", reference="alarm-42"
    )
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    [sms] = allmysms_sim.messages
    new = await account_of(hass, entry.entry_id).inbox.async_receive(allmysms_report(sms, 1))
    await hass.async_block_till_done()

    assert new is True
    assert [event.data for event in events] == [
        {
            "entry_id": entry.entry_id,
            "provider": "allmysms",
            "message_id": sent["message_id"],
            "recipient": ALICE,
            "status": "delivered",
            "provider_status": "1",
            "detail": "Delivered",
            "reported_at": ISO_DATE,
            # AllMySMS's webhook does not echo it: the send's, from what Texto sent
            "reference": "alarm-42",
            # Alice's device: a device trigger on it fires
            "device_id": device_id_of(hass, entry, ALICE),
            "route": "allmysms",
            "account": entry.entry_id,
            "account_name": entry.title,
        }
    ]


async def test_report_naming_only_the_sms_is_tied_to_its_campaign(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    bob_sms = next(sms for sms in allmysms_sim.messages if sms.number == gateway_form(BOB))
    report = replace(allmysms_report(bob_sms, 2), message_id=None)
    await account_of(hass, entry.entry_id).inbox.async_receive(report)

    assert [(e.data["message_id"], e.data["recipient"]) for e in events] == [
        (sent["message_id"], BOB)
    ]
    assert events[0].data["status"] == "failed"


async def test_sms123_reference_is_mapped_back_to_the_send(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sent = await send_sms(
        hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme", reference="r1"
    )
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    alice_sms, bob_sms = sms123_sim.messages
    inbox = account_of(hass, entry.entry_id).inbox

    # 123-SMS names each number's SMS by its own reference (refenvoi)
    await inbox.async_receive(sms123_report(alice_sms.reference, alice_sms.number))
    # a report without its gsm: the reference still says whose it is
    await inbox.async_receive(sms123_report(bob_sms.reference, None, erreur="1"))

    assert [
        (e.data["message_id"], e.data["recipient"], e.data["status"], e.data["reference"])
        for e in events
    ] == [
        (sent["message_id"], ALICE, "delivered", "r1"),
        (sent["message_id"], BOB, "failed", "r1"),
    ]
    assert alice_sms.reference != sent["message_id"]


@pytest.mark.parametrize("provider", ["allmysms", "smsmode", "sms123"])
async def test_a_report_about_a_message_texto_did_not_send_fires_nothing(
    hass: HomeAssistant,
    provider: str,
    *,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anyone holding the URL could forge one: an attacker's message id never reaches the bus."""
    entries = {
        "allmysms": lambda: allmysms_entry(allmysms_sim),
        "smsmode": lambda: smsmode_entry(smsmode_sim),
        "sms123": lambda: sms123_entry(sms123_sim),
    }
    forged = {
        "allmysms": lambda: AllMySmsGateway.parse_callback(
            {"smsId": "forged-1", "phoneNumber": gateway_form(BOB), "status": "1"}
        ),
        "smsmode": lambda: SmsmodeGateway.parse_callback(
            {"numero": gateway_form(BOB), "statut": "11", "smsID": "forged1"}
        ),
        "sms123": lambda: sms123_report("ref-from-elsewhere", gateway_form(BOB)),
    }
    entry = await set_up(hass, entries[provider]())
    await send_sms(hass, entry.entry_id, recipients=[BOB], message="Alarme")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    report = forged[provider]()
    assert report is not None

    assert not await account_of(hass, entry.entry_id).inbox.async_receive(report)
    await hass.async_block_till_done()

    assert events == []
    assert "report about a message Texto did not send" in caplog.text


async def test_same_report_twice_fires_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    inbox = account_of(hass, entry.entry_id).inbox
    [sms] = allmysms_sim.messages

    first = await inbox.async_receive(allmysms_report(sms, 1))
    # the same report, read back by polling this time
    second = await inbox.async_receive(allmysms_report(sms, 1), confirmed_by_gateway=True)

    assert (first, second) == (True, False)
    assert len(events) == 1


async def test_report_seen_before_a_reload_does_not_fire_again(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, object]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [message] = smsmode_sim.messages
    assert await account_of(hass, entry.entry_id).inbox.async_receive(smsmode_report(message))

    # right away: the keys are written when the entry unloads, not seconds later
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    again = await account_of(hass, entry.entry_id).inbox.async_receive(smsmode_report(message))

    assert again is False
    assert len(events) == 1
    # the stored keys are digests: no number, no id
    stored = str(hass_storage[f"{DOMAIN}.{entry.entry_id}.seen"])
    assert gateway_form(ALICE) not in stored
    assert message.sms_id not in stored


async def test_removing_the_account_forgets_its_seen_keys(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, object]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply(gateway_form(BOB), "ok")
    )

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert f"{DOMAIN}.{entry.entry_id}.seen" not in hass_storage
    assert f"{DOMAIN}.{entry.entry_id}.sent" not in hass_storage


async def test_seen_keys_are_forgotten_after_a_month(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    reply = smsmode_reply(gateway_form(BOB), "ok", response_id="r-1")
    assert await account_of(hass, entry.entry_id).inbox.async_receive(reply)

    freezer.tick(inbox_module.KEEP + timedelta(days=1))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert await account_of(hass, entry.entry_id).inbox.async_receive(reply)


async def test_seen_keys_are_bounded(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "MAX_UNTIED_KEYS", 2)
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    inbox = account_of(hass, entry.entry_id).inbox
    replies = [smsmode_reply(gateway_form(BOB), "ok", response_id=f"r{n}") for n in range(3)]
    for reply in replies:
        assert await inbox.async_receive(reply)

    # the oldest key made room for the newest, and that is counted
    assert inbox.dropped_keys == 1
    assert await inbox.async_receive(replies[0])
    assert not await inbox.async_receive(replies[2])


async def test_a_flood_of_forged_replies_cannot_make_a_genuine_one_fire_twice(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Forged keys fill their own room only (the per-minute bound at its highest, minutes apart)."""
    bound = {"unverified_per_minute": 1000}
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options={**REPLIES, **bound}))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    [message] = smsmode_sim.messages
    inbox = account_of(hass, entry.entry_id).inbox
    genuine = smsmode_reply(gateway_form(ALICE), "1", sms_id=message.sms_id, response_id="g-1")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    assert await inbox.async_receive(genuine)

    flood = 2 * inbox_module.MAX_UNTIED_KEYS + 100
    for n in range(flood):
        if n % 1000 == 0:
            freezer.tick(timedelta(seconds=61))
        forged = smsmode_reply(f"336{n:08d}", "1", sms_id=message.sms_id, response_id=f"f{n}")
        await inbox.async_receive(forged)
    replayed = await inbox.async_receive(genuine)
    await hass.async_block_till_done()

    assert replayed is False
    assert [e.data["verified"] for e in events if e.data["sender"] == ALICE] == [True]
    # none of the forgeries claimed a send made to its number: none verified
    assert not any(e.data["verified"] for e in events if e.data["sender"] != ALICE)
    assert inbox.dropped_keys >= flood - inbox_module.MAX_UNTIED_KEYS


async def test_status_is_part_of_the_key(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    inbox = account_of(hass, entry.entry_id).inbox
    [message] = smsmode_sim.messages

    # "delivered to operator" (temporary), then "received", then "received" again
    for status in (13, 11, 11):
        await inbox.async_receive(smsmode_report(message, status))

    assert [(e.data["status"], e.data["provider_status"]) for e in events] == [
        ("pending", "13"),
        ("delivered", "11"),
    ]
    assert events[0].data["detail"] == "Délivré opérateur (statut temporaire)"


# --- replies -------------------------------------------------------------------------------


async def test_reply_from_a_recipient_names_them_and_is_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Reply 1 to disarm")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    reply = smsmode_reply(gateway_form(ALICE), "1", response_id="rep42", sms_id=sent["message_id"])
    new = await account_of(hass, entry.entry_id).inbox.async_receive(reply)
    await hass.async_block_till_done()

    assert new is True
    assert [event.data for event in events] == [
        {
            "entry_id": entry.entry_id,
            "provider": "smsmode",
            "sender": ALICE,
            "sender_name": "Alice",
            "sender_entity_id": "notify.alice",
            "recipient": SHORT_CODE,
            "text": "1",
            "received_at": ISO_DATE,
            "message_id": "rep42",
            "in_reply_to": sent["message_id"],
            "verified": True,
            # when that alert left: what "reply within N minutes" is measured from
            "in_reply_to_sent_at": account_of(hass, entry.entry_id)
            .sent_log.get(sent["message_id"])
            .sent_at.isoformat(),
            "device_id": device_id_of(hass, entry, ALICE),
            # every part of it arrived
            "complete": True,
        }
    ]


async def test_sender_entity_id_follows_a_renamed_notify_entity(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    registry = er.async_get(hass)
    registry.async_update_entity("notify.alice", new_entity_id="notify.alice_phone")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await account_of(hass, entry.entry_id).inbox.async_receive(
        allmysms_reply(gateway_form(ALICE), "Bien reçu")
    )

    assert events[0].data["sender_entity_id"] == "notify.alice_phone"
    assert events[0].data["sender_name"] == "Alice"


async def test_reply_from_a_stranger_is_anonymous_and_not_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply(gateway_form(STRANGER), "STOP")
    )

    [event] = events
    assert event.data["sender"] == STRANGER
    assert (event.data["sender_name"], event.data["sender_entity_id"]) == (None, None)
    assert (event.data["in_reply_to"], event.data["verified"]) == (None, False)


async def test_reply_claiming_an_unknown_message_is_not_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply(gateway_form(ALICE), "1", sms_id="never-sent")
    )

    # a known recipient, but anyone holding the URL could have written this
    assert events[0].data["sender_entity_id"] == "notify.alice"
    assert events[0].data["in_reply_to"] == "never-sent"
    assert events[0].data["verified"] is False


async def test_reply_claiming_a_send_to_another_number_is_not_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    to_bob = await send_sms(hass, entry.entry_id, recipients=[BOB], message="Reply 1")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply(gateway_form(ALICE), "1", sms_id=to_bob["message_id"])
    )

    assert events[0].data["in_reply_to"] == to_bob["message_id"]
    assert events[0].data["verified"] is False


async def test_reply_confirmed_by_the_gateway_is_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await account_of(hass, entry.entry_id).inbox.async_receive(
        smsmode_reply(gateway_form(STRANGER), "Qui est-ce ?"), confirmed_by_gateway=True
    )

    assert events[0].data["verified"] is True
    assert events[0].data["sender_entity_id"] is None


async def test_allmysms_reply_to_a_campaign_is_verified(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Reply 1")
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    inbox = account_of(hass, entry.entry_id).inbox
    alice_sms = next(sms for sms in allmysms_sim.messages if sms.number == gateway_form(ALICE))

    await inbox.async_receive(
        allmysms_reply(gateway_form(ALICE), "1", mo_id="mo-1", campaign_id=sent["message_id"])
    )
    # the library's getPullBySmsId: the SMS's own id stands for the send it belongs to
    await inbox.async_receive(
        InboundMessage(
            provider=Provider.ALLMYSMS,
            message_id="mo-2",
            sender=ALICE,
            text="2",
            in_reply_to=alice_sms.sms_id,
        )
    )
    # Bob's SMS id, but Alice's number
    await inbox.async_receive(
        InboundMessage(
            provider=Provider.ALLMYSMS,
            message_id="mo-3",
            sender=ALICE,
            text="3",
            in_reply_to=next(s.sms_id for s in allmysms_sim.messages if s is not alice_sms),
        )
    )

    assert [(e.data["in_reply_to"], e.data["verified"]) for e in events] == [
        (sent["message_id"], True),
        (sent["message_id"], True),
        (sent["message_id"], False),
    ]
    assert events[0].data["recipient"] is None  # AllMySMS does not say
    assert events[1].data["received_at"]  # no date given: the time it arrived


async def test_same_reply_twice_fires_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    inbox = account_of(hass, entry.entry_id).inbox

    reply = smsmode_reply(gateway_form(ALICE), "1", response_id="rep7")
    # by webhook, then by polling
    assert await inbox.async_receive(reply) is True
    assert await inbox.async_receive(reply, confirmed_by_gateway=True) is False

    assert len(events) == 1


async def test_reply_without_an_id_is_known_by_sender_date_and_text(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    inbox = account_of(hass, entry.entry_id).inbox
    # the library names a reply the gateway gave no id "local-<random>"
    first = allmysms_reply(gateway_form(ALICE), "1", mo_id="x")
    reply = replace(first, message_id="local-aaaa")

    assert await inbox.async_receive(reply)
    assert not await inbox.async_receive(replace(reply, message_id="local-bbbb"))
    assert await inbox.async_receive(replace(reply, message_id="local-cccc", text="2"))

    assert [event.data["text"] for event in events] == ["1", "2"]


async def test_incoming_sms_is_not_recorded_on_the_notify_entity(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    before = hass.states.get("notify.alice")
    assert before is not None

    await account_of(hass, entry.entry_id).inbox.async_receive(
        allmysms_reply(gateway_form(ALICE), "Bien reçu")
    )
    await hass.async_block_till_done()

    after = hass.states.get("notify.alice")
    assert after is not None
    assert (after.state, after.last_updated) == (before.state, before.last_updated)


# --- last status ---------------------------------------------------------------------------


def last_status(
    hass: HomeAssistant, entity_id: str = "sensor.allmysms_demo_last_status"
) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None
    return {
        "state": state.state,
        **{
            key: state.attributes[key]
            for key in ("message_id", "delivered", "failed", "expired", "pending")
        },
    }


async def test_last_status_is_delivered_when_every_recipient_is(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme")
    inbox = account_of(hass, entry.entry_id).inbox
    alice_sms, bob_sms = sorted(allmysms_sim.messages, key=lambda sms: sms.number != "33612345678")
    counts = {"message_id": sent["message_id"], "expired": 0, "failed": 0}

    assert last_status(hass) == {"state": "sent", **counts, "delivered": 0, "pending": 2}
    await inbox.async_receive(allmysms_report(alice_sms, 3))  # transmitted to the operator
    await inbox.async_receive(allmysms_report(alice_sms, 1))
    await hass.async_block_till_done()
    assert last_status(hass) == {"state": "sent", **counts, "delivered": 1, "pending": 1}

    await inbox.async_receive(allmysms_report(bob_sms, 1))
    await hass.async_block_till_done()
    assert last_status(hass) == {"state": "delivered", **counts, "delivered": 2, "pending": 0}


async def test_last_status_fails_when_any_recipient_fails(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme")
    inbox = account_of(hass, entry.entry_id).inbox
    alice_sms, bob_sms = sorted(allmysms_sim.messages, key=lambda sms: sms.number != "33612345678")

    await inbox.async_receive(allmysms_report(alice_sms, 1))
    await inbox.async_receive(allmysms_report(bob_sms, 5))  # unknown or absent subscriber
    await hass.async_block_till_done()

    assert last_status(hass) == {
        "state": "failed",
        "message_id": sent["message_id"],
        "delivered": 1,
        "failed": 1,
        "expired": 0,
        "pending": 0,
    }


async def test_last_status_fails_when_a_recipient_expires(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    inbox = account_of(hass, entry.entry_id).inbox
    [message] = smsmode_sim.messages

    await inbox.async_receive(smsmode_report(message, 37))  # message expired
    # a temporary status arriving late changes nothing
    await inbox.async_receive(smsmode_report(message, 13))
    await hass.async_block_till_done()

    status = last_status(hass, "sensor.smsmode_last_status")
    assert status["state"] == "failed"
    assert (status["expired"], status["failed"], status["pending"]) == (1, 0, 0)


async def test_last_status_ignores_reports_of_other_messages(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(
        hass,
        allmysms_entry(
            allmysms_sim, subentries_data=[recipient("Alice", ALICE), recipient("Bob", BOB)]
        ),
    )
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="First")
    await send_sms(hass, entry.entry_id, recipients=[BOB], message="Second")
    inbox = account_of(hass, entry.entry_id).inbox
    first_sms, _ = allmysms_sim.messages
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    await inbox.async_receive(allmysms_report(first_sms, 1))
    await hass.async_block_till_done()

    # the report is an event, but the last message is still waiting for its own
    assert len(events) == 1
    assert last_status(hass)["state"] == "sent"
    assert last_status(hass)["pending"] == 1


async def test_last_status_counts_nothing_before_a_send_is_accepted(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.force_status = 117  # a definitive refusal (a 503 would be retried)
    with pytest.raises(HomeAssistantError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    status = last_status(hass)
    assert status["state"] == "failed"
    assert (status["delivered"], status["pending"]) == (None, None)
    # a report about an SMS Texto does not know changes nothing
    report = AllMySmsGateway.parse_callback(
        {"smsId": "elsewhere", "phoneNumber": gateway_form(ALICE), "status": "1"}
    )
    assert report is not None
    assert not await account_of(hass, entry.entry_id).inbox.async_receive(report)
    await hass.async_block_till_done()
    assert last_status(hass)["state"] == "failed"


async def test_last_status_and_its_reports_survive_a_restart(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme")
    alice_sms, bob_sms = sorted(allmysms_sim.messages, key=lambda sms: sms.number != "33612345678")
    await account_of(hass, entry.entry_id).inbox.async_receive(allmysms_report(alice_sms, 1))

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    counts = {"message_id": sent["message_id"], "expired": 0, "failed": 0}
    assert last_status(hass) == {"state": "sent", **counts, "delivered": 1, "pending": 1}

    # the last report arrives after the restart: it still completes the last send
    await account_of(hass, entry.entry_id).inbox.async_receive(allmysms_report(bob_sms, 1))
    await hass.async_block_till_done()
    assert last_status(hass) == {"state": "delivered", **counts, "delivered": 2, "pending": 0}
