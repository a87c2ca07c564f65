"""What Texto 0.2 stored is read by this one: each store's old shape, migrated on load.

The files are written here as 0.2 wrote them (version 1, ``provider`` naming the route;
the last send and the spending count in files of their own), then the account starts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.texto.account import TextoAccount
from custom_components.texto.const import CONF_DAILY_PARTS_CAP, DOMAIN, EVENT_SMS_RECEIVED
from custom_components.texto.gateway.models import Route
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator

from .callbacks import allmysms_reply, smsmode_reply
from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    journal_content,
    set_up,
    smsmode_entry,
    stored_outbox,
)


def v1(entry: MockConfigEntry, name: str, data: Any) -> dict[str, Any]:
    """A store file as Texto 0.2 wrote it."""
    return {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.{name}",
        "data": data,
    }


def result_v1(provider: str, message_id: str, *numbers: str, **changes: Any) -> dict[str, Any]:
    """A send result as 0.2 stored it (no balance; ``provider`` is the route)."""
    return {
        "provider": provider,
        "message_id": message_id,
        "status": "sent",
        "recipients": list(numbers),
        "invalid_recipients": [],
        "recipient_ids": {},
        "text": "Alerte",
        "encoding": "gsm7",
        "units": 6,
        "parts": 1,
        "billed_parts": len(numbers),
        "credits_used": None,
        "sender": None,
        "send_at": None,
        "reference": None,
        **changes,
    }


def request_v1(*numbers: str) -> dict[str, Any]:
    return {
        "recipients": list(numbers),
        "text": "Alerte",
        "sender": None,
        "send_at": None,
        "text_policy": "auto",
        "max_parts": None,
        "reference": "porte",
        "campaign_name": None,
        "flash": False,
        "voice": False,
        "replies_allowed": False,
        "stop_mention": "add",
        "delivery_report_url": None,
        "reply_url": None,
        "test": False,
    }


def account_of(entry: MockConfigEntry) -> TextoAccount:
    account: TextoAccount = entry.runtime_data
    return account


async def test_a_half_sent_item_of_0_2_is_finished_and_stored_anew(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    item = {
        "outbox_id": "a" * 32,
        "entry_id": entry.entry_id,
        "created_at": dt_util.utcnow().isoformat(),
        "request": request_v1(ALICE, BOB),
        "state": "queued",
        "attempts": 1,
        "next_attempt_at": None,
        "route": entry.entry_id,
        # Alice had it; Bob's number is still to send
        "result": result_v1("allmysms", "c-1", ALICE),
        "reason": "TemporarilyUnavailableError",
        "remaining": [BOB],
        "maybe_sent": False,
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = v1(entry, "outbox", {"items": [item]})

    await set_up(hass, entry)
    outbox = account_of(entry).outbox
    await outbox.async_drain()

    done = outbox.get("a" * 32)
    assert done is not None
    assert done.result is not None
    assert (done.state, done.result.route) == ("sent", Route.ALLMYSMS)
    assert done.result.recipients == (ALICE, BOB)
    assert [sent.number for sent in allmysms_sim.messages] == [BOB[1:]]
    # read once, written to the journal, then removed
    await hass.async_block_till_done()  # the ``final`` record, appended without waiting
    assert f"{DOMAIN}.{entry.entry_id}.outbox" not in hass_storage
    assert stored_outbox(hass, entry.entry_id) == []


async def test_a_scheduled_send_of_0_2_can_still_be_cancelled(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim)
    later = (dt_util.utcnow() + timedelta(days=1)).isoformat()
    hass_storage[f"{DOMAIN}.{entry.entry_id}.scheduled"] = v1(
        entry,
        "scheduled",
        {"s-1": result_v1("smsmode", "s-1", ALICE, status="scheduled", send_at=later)},
    )

    await set_up(hass, entry)

    scheduled = account_of(entry).scheduled.get("s-1")
    assert scheduled is not None
    assert (scheduled.route, scheduled.recipients) == (Route.SMSMODE, (ALICE,))
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.scheduled"]
    assert stored["version"] == 3
    assert stored["data"]["s-1"]["route"] == "smsmode"
    # smsmode cancels by id: the text is not kept
    assert stored["data"]["s-1"]["text"] == ""
    assert "provider" not in stored["data"]["s-1"]


async def test_the_recent_sends_of_0_2_still_tie_reports_back(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim)
    sent = {
        "message_id": "m-1",
        "provider": "smsmode",
        "recipients": [ALICE],
        "recipient_ids": {},
        "reference": "porte",
        "replies_allowed": True,
        "sent_at": dt_util.utcnow().isoformat(),
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.sent"] = v1(entry, "sent", [sent])

    await set_up(hass, entry)

    known = account_of(entry).sent_log.get("m-1")
    assert known is not None
    assert (known.route, known.reference, known.text_digest) == (Route.SMSMODE, "porte", None)


async def test_last_send_and_spending_of_0_2_move_into_one_file(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 10})
    last_send = {
        "state": "unknown",  # 0.2's word for unconfirmed
        "message_id": None,
        "recipients": 1,
        "parts": None,
        "billed_parts": None,
        "error": "OutcomeUnknownError",
        "at": dt_util.utcnow().isoformat(),
        "accepted": [],
        "reports": {},
        "outbox_id": "b" * 32,
        "route": entry.entry_id,
    }
    spending = {"day": dt_util.now().date().isoformat(), "parts": 7, "refused_at_cap": None}
    hass_storage[f"{DOMAIN}.{entry.entry_id}.last_send"] = v1(entry, "last_send", last_send)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.spending"] = v1(entry, "spending", spending)

    await set_up(hass, entry)

    state = hass.states.get("sensor.allmysms_demo_last_status")
    assert state is not None
    assert (state.state, state.attributes["outbox_id"]) == ("unconfirmed", "b" * 32)
    # the route was the account's entry id: now how it went, and the account apart
    assert (state.attributes["route"], state.attributes["account"]) == ("allmysms", entry.entry_id)
    assert state.attributes["account_name"] == entry.title
    assert account_of(entry).spending.used == 7
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.state"]["data"]
    assert stored["spending"]["parts"] == 7
    assert stored["last_send"]["outbox_id"] == "b" * 32
    assert f"{DOMAIN}.{entry.entry_id}.last_send" not in hass_storage
    assert f"{DOMAIN}.{entry.entry_id}.spending" not in hass_storage


@pytest.mark.parametrize("way", ["mail2sms", "fallback", "unloaded fallback", "removed account"])
async def test_a_last_send_that_named_its_route_by_entry_id_reads_as_route_and_account(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    hass_storage: dict[str, Any],
    way: str,
) -> None:
    """Before ``account``, ``route`` named the way: "mail2sms", or the fallback's entry id."""
    backup = await set_up(hass, smsmode_entry(smsmode_sim))
    if way == "unloaded fallback":
        await hass.config_entries.async_unload(backup.entry_id)
    entry = allmysms_entry(allmysms_sim)
    last_send = {
        "state": "sent",
        "message_id": "m-1",
        "recipients": 1,
        "parts": 1,
        "billed_parts": 1,
        "error": None,
        "at": dt_util.utcnow().isoformat(),
        "accepted": [ALICE],
        "reports": {},
        "outbox_id": "d" * 32,
        "route": {"mail2sms": "mail2sms", "removed account": "0" * 26}.get(way, backup.entry_id),
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"] = v1(entry, "state", {"last_send": last_send})

    await set_up(hass, entry)

    state = hass.states.get("sensor.allmysms_demo_last_status")
    assert state is not None
    shown = (state.attributes["route"], state.attributes["account"])
    shown_name = state.attributes["account_name"]
    if way == "mail2sms":
        assert (shown, shown_name) == (("mail2sms", entry.entry_id), entry.title)
    elif way == "removed account":
        assert (shown, shown_name) == ((None, "0" * 26), None)
    else:
        assert (shown, shown_name) == (("smsmode", backup.entry_id), backup.title)


async def test_removing_an_account_removes_every_file_it_kept(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.spending"] = v1(
        entry, "spending", {"day": "2026-01-01", "parts": 1}
    )
    await set_up(hass, entry)
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [ALICE], "message": "x"},
        blocking=True,
    )
    await hass.config_entries.async_unload(entry.entry_id)
    assert any(key.startswith(f"{DOMAIN}.{entry.entry_id}.") for key in hass_storage)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert [key for key in hass_storage if key.startswith(f"{DOMAIN}.{entry.entry_id}.")] == []


# --- what Texto 0.3 stored (version 2): no more than each feature needs --------------------------


def v2(entry: MockConfigEntry, name: str, data: Any) -> dict[str, Any]:
    """A store file as Texto 0.3 wrote it."""
    return {**v1(entry, name, data), "version": 2}


def result_v2(route: str, message_id: str, *numbers: str, **changes: Any) -> dict[str, Any]:
    migrated = dict(result_v1(route, message_id, *numbers))
    del migrated["provider"]
    return {**migrated, "route": route, "balance": None, **changes}


async def test_a_waiting_item_of_0_3_loses_its_stored_webhook_url(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    url = "https://maison.example.fr/api/webhook/0123456789abcdef"
    request = {**request_v1(ALICE), "delivery_report_url": url}
    item = {
        "outbox_id": "c" * 32,
        "entry_id": entry.entry_id,
        "created_at": dt_util.utcnow().isoformat(),
        "request": request,
        "state": "queued",
        "attempts": 1,
        "next_attempt_at": None,
        "route": None,
        "result": None,
        "reason": "TemporarilyUnavailableError",
        "remaining": None,
        "maybe_sent": False,
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = v2(entry, "outbox", {"items": [item]})

    await set_up(hass, entry)
    await account_of(entry).outbox.async_drain()

    assert [sent.number for sent in allmysms_sim.messages] == [ALICE[1:]]
    await hass.async_block_till_done()
    assert b"/api/webhook/" not in journal_content(hass, entry.entry_id)


async def test_scheduled_sends_of_0_3_keep_the_text_only_for_123_sms(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim)
    later = (dt_util.utcnow() + timedelta(days=1)).isoformat()
    hass_storage[f"{DOMAIN}.{entry.entry_id}.scheduled"] = v2(
        entry,
        "scheduled",
        {"s-1": result_v2("smsmode", "s-1", ALICE, status="scheduled", send_at=later)},
    )

    await set_up(hass, entry)

    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.scheduled"]
    assert (stored["version"], stored["data"]["s-1"]["text"]) == (3, "")
    assert account_of(entry).scheduled.get("s-1") is not None


async def test_seen_keys_of_0_3_still_stop_a_replay(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim)
    await set_up(hass, entry)
    reply = smsmode_reply(BOB[1:], "ok", response_id="r-old")
    assert await account_of(entry).inbox.async_receive(reply)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # the keys as 0.3 wrote them: one room
    keys = hass_storage[f"{DOMAIN}.{entry.entry_id}.seen"]["data"]["untied"]
    hass_storage[f"{DOMAIN}.{entry.entry_id}.seen"] = v1(entry, "seen", keys)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert not await account_of(entry).inbox.async_receive(reply)


async def test_allmysms_sends_of_0_3_still_vouch_for_their_replies(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    """0.3 kept ``replies_allowed`` as asked (False on AllMySMS), yet AllMySMS takes replies."""
    entry = allmysms_entry(allmysms_sim)
    sent = {
        "message_id": "c-1",
        "route": "allmysms",
        "recipients": [ALICE],
        "recipient_ids": {},
        "reference": None,
        "replies_allowed": False,
        "sent_at": dt_util.utcnow().isoformat(),
        "text_digest": None,
    }
    hass_storage[f"{DOMAIN}.{entry.entry_id}.sent"] = v2(entry, "sent", [sent])
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    await set_up(hass, entry)
    await account_of(entry).inbox.async_receive(allmysms_reply(ALICE[1:], "1", campaign_id="c-1"))
    await hass.async_block_till_done()

    assert [event.data["verified"] for event in replies] == [True]
