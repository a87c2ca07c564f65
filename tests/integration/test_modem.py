"""A modem account at run time, on the fake modem: sends, replies, reports, faults, entities.

The fake modem (tests/simulator/modem.py) sits on a pseudo-terminal behind a stable path, as
``/dev/serial/by-id/...`` (and over TCP for ``socket://``); the library drives it with AT
commands. The modem's timings are shortened through ``clients``' constants.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.texto import clients, delivery, modem_status, outbox
from custom_components.texto.const import (
    CONF_FALLBACK,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
)
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.modem import FakeModem, deliver_pdus

from .common import ALICE, allmysms_entry, modem_entry, send_sms, set_up

BOB = "+33698765432"
STRANGER = "+33611111111"

#: the modem's timings in tenths of seconds (``common.fast_modem``)
pytestmark = pytest.mark.usefixtures("fast_modem")


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's backoff in tenths of seconds."""
    monkeypatch.setattr(outbox, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(outbox, "BACKOFF_CAP", 0.2)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` holds (the event loop runs meanwhile)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def record(hass: HomeAssistant, event_type: str) -> list[dict[str, Any]]:
    """The data of each ``event_type`` event fired from now on."""
    seen: list[dict[str, Any]] = []

    def listener(event: Event) -> None:
        seen.append(dict(event.data))

    hass.bus.async_listen(event_type, listener)
    return seen


def entity_id(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.entry_id}_{key}")
    assert found is not None, key
    return found


def state_of(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> Any:
    state = hass.states.get(entity_id(hass, entry, platform, key))
    assert state is not None
    return state


# --- sending, replies and reports ---------------------------------------------------------------


@pytest.mark.parametrize("over", ["pty", "tcp"])
async def test_send_reply_and_report_end_to_end(
    hass: HomeAssistant, fake_modem: FakeModem, over: str, socket_enabled: None
) -> None:
    fake_modem.auto_report_after = 0.05
    device = await fake_modem.serve_tcp() if over == "tcp" else fake_modem.path
    entry = await set_up(hass, modem_entry(fake_modem, device=device))
    replies = record(hass, EVENT_SMS_RECEIVED)
    reports = record(hass, EVENT_DELIVERY_REPORT)

    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme: salon")

    assert response["route"] == "modem"
    assert response["account"] == entry.entry_id
    assert response["parts"] == 1
    assert fake_modem.sent_texts() == [(ALICE, "Alarme: salon")]
    await eventually(lambda: len(reports) == 1)
    assert reports[0]["message_id"] == response["message_id"]
    assert reports[0]["recipient"] == ALICE
    assert reports[0]["status"] == "delivered"
    assert reports[0]["route"] == "modem"

    await fake_modem.inject_reply(ALICE, "Bien reçu")
    await eventually(lambda: len(replies) == 1 and not fake_modem.storage)
    assert replies[0]["sender"] == ALICE
    assert replies[0]["sender_name"] == "Alice"
    assert replies[0]["text"] == "Bien reçu"
    # the network named the sender, whom Texto had just sent to
    assert replies[0]["verified"] is True
    assert replies[0]["in_reply_to"] == response["message_id"]
    await hass.async_block_till_done()
    last = state_of(hass, entry, "sensor", "last_status")
    assert last.state == "delivered"
    assert last.attributes["route"] == "modem"


async def test_a_long_message_goes_in_parts(hass: HomeAssistant, fake_modem: FakeModem) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    text = "Intrusion détectée au salon. " * 8

    response = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message=text)

    assert response["parts"] == 2
    assert sorted(fake_modem.sent_texts()) == sorted([(ALICE, text), (BOB, text)])
    assert len(fake_modem.submits) == 4


async def test_what_a_modem_cannot_do_is_refused_by_name(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))

    with pytest.raises(ServiceValidationError) as caught:
        await send_sms(
            hass,
            entry.entry_id,
            recipients=[ALICE],
            message="Plus tard",
            send_at=(dt_util.now() + timedelta(hours=1)).isoformat(),
        )
    assert caught.value.translation_key == "unsupported_send_at"
    assert caught.value.translation_placeholders == {"gateway": "Modem"}
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Hi", sender="MAISON")
    assert fake_modem.submits == []


# --- the modem as a fallback route, and a gateway as the modem's --------------------------------


async def test_a_refused_gateway_fails_over_to_the_modem_within_5_seconds(
    hass: HomeAssistant, fake_modem: FakeModem, allmysms_sim: AllMySmsSimulator
) -> None:
    modem = await set_up(hass, modem_entry(fake_modem))
    # the internet gateway refuses connections: its port is closed
    await allmysms_sim.stop()
    gateway = await set_up(
        hass, allmysms_entry(allmysms_sim, options={CONF_FALLBACK: modem.entry_id})
    )
    # the longest delays the backoff allows between the gateway's attempts
    gateway.runtime_data.outbox.jitter = lambda low, high: high

    started = time.monotonic()
    response = await send_sms(hass, gateway.entry_id, recipients=[ALICE], message="Cambriolage")
    elapsed = time.monotonic() - started

    assert elapsed < 5
    assert response["route"] == "modem"
    assert response["account"] == modem.entry_id
    assert fake_modem.sent_texts() == [(ALICE, "Cambriolage")]
    await asyncio.sleep(0.5)
    assert len(fake_modem.submits) == 1


async def test_an_unplugged_modem_fails_over_to_a_gateway(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    allmysms_sim: AllMySmsSimulator,
    fast_retries: None,
) -> None:
    gateway = await set_up(hass, allmysms_entry(allmysms_sim))
    modem = await set_up(hass, modem_entry(fake_modem, options={CONF_FALLBACK: gateway.entry_id}))
    await fake_modem.unplug()
    await eventually(lambda: not modem.runtime_data.modem.modem.connected)

    response = await send_sms(hass, modem.entry_id, recipients=[ALICE], message="Sans modem")

    assert response["route"] == "allmysms"
    assert response["account"] == gateway.entry_id
    assert [sms.text for sms in allmysms_sim.messages] == ["Sans modem"]
    assert fake_modem.submits == []


# --- faults --------------------------------------------------------------------------------------


async def test_silence_after_the_pdu_ends_unconfirmed_and_is_never_sent_twice(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    allmysms_sim: AllMySmsSimulator,
    fast_retries: None,
) -> None:
    # a fallback is there: a send that may have gone must not take it
    gateway = await set_up(hass, allmysms_entry(allmysms_sim))
    entry = await set_up(hass, modem_entry(fake_modem, options={CONF_FALLBACK: gateway.entry_id}))
    fake_modem.fail_next_send("silent_after_pdu")

    with pytest.raises(HomeAssistantError) as caught:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme incendie")

    assert caught.value.translation_key == "send_unconfirmed"
    await asyncio.sleep(1.5)  # the modem answers again; nothing is tried a second time
    assert fake_modem.sent_texts() == [(ALICE, "Alarme incendie")]
    assert allmysms_sim.messages == []
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "last_status").state == "unconfirmed"


async def test_every_alert_waiting_while_unplugged_goes_out_once_replugged(
    hass: HomeAssistant, fake_modem: FakeModem, fast_retries: None
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    status = entry.runtime_data.modem
    await fake_modem.unplug()
    await eventually(lambda: not status.modem.connected)
    await status.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "signal_strength").state == STATE_UNAVAILABLE

    texts = [f"Alerte {n}" for n in range(3)]
    for text in texts:
        response = await send_sms(
            hass, entry.entry_id, recipients=[ALICE], message=text, wait=False
        )
        assert response["status"] == "queued"
    await asyncio.sleep(0.5)  # a few attempts find the port gone
    await fake_modem.replug()

    await eventually(lambda: len(fake_modem.sent_texts()) == 3)
    await asyncio.sleep(0.5)
    assert sorted(fake_modem.sent_texts()) == [(ALICE, text) for text in texts]
    await status.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "signal_strength").state == "-73"


async def test_a_hung_modem_is_reopened_without_a_restart(
    hass: HomeAssistant, fake_modem: FakeModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients, "MODEM_COMMAND_TIMEOUT", 0.3)
    monkeypatch.setattr(clients, "MODEM_KEEPALIVE_INTERVAL", 0.2)
    entry = await set_up(hass, modem_entry(fake_modem))
    modem = entry.runtime_data.modem.modem

    fake_modem.silent = True
    await eventually(lambda: not modem.connected)
    fake_modem.silent = False
    await eventually(lambda: modem.connected)
    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Réveillé")

    assert response["route"] == "modem"
    assert fake_modem.sent_texts() == [(ALICE, "Réveillé")]
    assert fake_modem.commands.count("AT+CMGF=0") >= 2  # initialised again


async def test_the_modem_absent_at_start_up_loads_and_sends_once_it_is_there(
    hass: HomeAssistant, fake_modem: FakeModem, fast_retries: None
) -> None:
    await fake_modem.unplug()
    entry = await set_up(hass, modem_entry(fake_modem))
    assert entry.state is ConfigEntryState.LOADED
    response = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Patience", wait=False
    )
    assert response["status"] == "queued"

    await fake_modem.replug()
    await entry.runtime_data.modem.async_refresh()  # the next try to reach it

    await eventually(lambda: fake_modem.sent_texts() == [(ALICE, "Patience")])
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "sim_state").state == "ready"


@pytest.fixture
def minute_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's retries a minute after a failed attempt (its jitter at the top)."""
    monkeypatch.setattr(outbox, "BACKOFF_BASE", 60.0)


async def break_modem(fake: FakeModem, how: str) -> None:
    """Unplug the modem, or leave it hung (it answers nothing)."""
    if how == "unplugged":
        await fake.unplug()
    else:
        fake.silent = True


async def mend_modem(fake: FakeModem, how: str) -> None:
    if how == "unplugged":
        await fake.replug()
    else:
        fake.silent = False


@pytest.mark.parametrize("how", ["unplugged", "hung"])
async def test_an_alert_waiting_for_its_backoff_goes_as_soon_as_the_modem_is_back(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    monkeypatch: pytest.MonkeyPatch,
    minute_backoff: None,
    how: str,
) -> None:
    monkeypatch.setattr(clients, "MODEM_COMMAND_TIMEOUT", 0.3)
    monkeypatch.setattr(clients, "MODEM_KEEPALIVE_INTERVAL", 0.2)
    entry = await set_up(hass, modem_entry(fake_modem))
    box = entry.runtime_data.outbox
    box.jitter = lambda low, high: high
    modem = entry.runtime_data.modem.modem
    await break_modem(fake_modem, how)
    await eventually(lambda: not modem.connected)

    response = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Alerte", wait=False
    )
    assert response["status"] == "queued"
    # its first attempt found no modem: the next one is a minute away
    await eventually(lambda: box.waiting_items[0].attempts == 1)
    await mend_modem(fake_modem, how)

    await eventually(lambda: fake_modem.sent_texts() == [(ALICE, "Alerte")], timeout=2.0)
    await box.async_drain()
    assert box.get(response["outbox_id"]).state == "sent"
    assert len(fake_modem.submits) == 1


async def test_an_attempt_failing_as_the_route_comes_back_is_tried_again_at_once(
    hass: HomeAssistant, fake_modem: FakeModem, minute_backoff: None
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    box = entry.runtime_data.outbox
    box.jitter = lambda low, high: high
    # the network refuses it, late: "no network service", a retry
    fake_modem.fail_next_send("cms_error", code=331, delay=0.3)

    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Retard", wait=False)
    await eventually(lambda: any(c.startswith("AT+CMGS") for c in fake_modem.commands))
    box.async_retry_now()  # a route came back while the attempt was in flight

    await eventually(lambda: fake_modem.sent_texts() == [(ALICE, "Retard")], timeout=2.0)


async def test_an_account_falling_back_on_the_modem_retries_when_the_modem_is_back(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    allmysms_sim: AllMySmsSimulator,
    minute_backoff: None,
) -> None:
    modem = await set_up(hass, modem_entry(fake_modem))
    await allmysms_sim.stop()  # the internet gateway refuses connections
    gateway = await set_up(
        hass, allmysms_entry(allmysms_sim, options={CONF_FALLBACK: modem.entry_id})
    )
    box = gateway.runtime_data.outbox
    # the gateway's two tries at once, then a minute between tries
    delays = iter([0.0] * delivery.RETRIES_BEFORE_FAILOVER)
    box.jitter = lambda low, high: next(delays, high)
    await fake_modem.unplug()
    await eventually(lambda: not modem.runtime_data.modem.modem.connected)

    await send_sms(hass, gateway.entry_id, recipients=[ALICE], message="Intrusion", wait=False)
    # the gateway twice, then the gateway and the unplugged modem: a minute to the next try
    await eventually(lambda: box.waiting_items[0].attempts == delivery.RETRIES_BEFORE_FAILOVER + 1)
    await fake_modem.replug()

    await eventually(lambda: fake_modem.sent_texts() == [(ALICE, "Intrusion")], timeout=2.0)
    await box.async_drain()
    assert len(fake_modem.submits) == 1


# --- receiving exactly once -------------------------------------------------------------------


async def test_a_reply_fired_before_a_stop_is_not_fired_again_after_the_restart(
    hass: HomeAssistant, fake_modem: FakeModem, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    replies = record(hass, EVENT_SMS_RECEIVED)
    seen_store = f"{DOMAIN}.{entry.entry_id}.seen"
    answer = fake_modem._command
    on_disk_at_delete: list[Any] = []

    def stopped_before_the_delete(line: str) -> list[str]:
        if line.upper().startswith("AT+CMGD"):
            # what the disk holds when the modem is asked to delete; then the power goes
            on_disk_at_delete.append(copy.deepcopy(hass_storage.get(seen_store)))
            return ["ERROR"]
        return answer(line)

    fake_modem._command = stopped_before_the_delete  # type: ignore[method-assign]
    await fake_modem.inject_reply(STRANGER, "Ouvre la porte")
    await eventually(lambda: len(on_disk_at_delete) == 1)
    assert len(replies) == 1
    await hass.config_entries.async_unload(entry.entry_id)
    # Home Assistant restarts with the disk as it was at the delete
    hass_storage[seen_store] = on_disk_at_delete[0]
    fake_modem._command = answer  # type: ignore[method-assign]
    assert len(fake_modem.storage) == 1

    await hass.config_entries.async_setup(entry.entry_id)
    await eventually(lambda: not fake_modem.storage)  # read at start-up, known, deleted

    await hass.async_block_till_done()
    assert len(replies) == 1


async def test_junk_from_the_network_leaves_one_genuine_reply_fired_once(
    hass: HomeAssistant, fake_modem: FakeModem, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    replies = record(hass, EVENT_SMS_RECEIVED)
    junk_lines = [
        "+CMTI: ,-1",
        '+CMTI: "SM",',
        "^RSSI:17",
        "+CDS: 12",
        "GARBAGE \x00\x7f\xff",
        "RING",
        '+CLIP: "+33611111111",145',
    ]
    good = deliver_pdus(STRANGER, "Vraie réponse")[0]
    junk_pdus = [
        "07913396050066F0040B913316",  # cut short
        "0003" + "00" * 12,  # a reserved message type
        good[:-4] + "F" * 3,  # an odd number of digits
        "0004" + "0B913316325476F8" + "0004" + "00" * 7 + "FF" + "00",  # UDL too long
        "ZZ" * 20,  # not even hex
    ]
    sent = 0
    for round_ in range(22):
        for line in junk_lines:
            await fake_modem.inject_line(line)
        sent += len(junk_lines)
        for pdu in junk_pdus:
            fake_modem.store_pdu(pdu)
        sent += len(junk_pdus)
        if round_ == 10:
            fake_modem.store_pdu(good)
        await eventually(lambda: not fake_modem.storage, timeout=10)
    # a burst filling most of the SIM at once: emptied too
    for _ in range(40):  # the SIM holds 50
        fake_modem.store_pdu("0003" + "00" * 12)
    sent += 40
    await eventually(lambda: not fake_modem.storage, timeout=10)
    assert sent >= 300
    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Toujours là")

    assert [reply["text"] for reply in replies] == ["Vraie réponse"]
    assert replies[0]["verified"] is False  # nobody sent to that number
    assert response["route"] == "modem"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_a_message_from_a_name_is_refused_and_deleted(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    await set_up(hass, modem_entry(fake_modem))
    replies = record(hass, EVENT_SMS_RECEIVED)

    # an operator's notice: its sender is a name, not a number one can answer
    await fake_modem.inject_reply("INFO", "Votre facture est disponible")
    await eventually(lambda: not fake_modem.storage)

    await hass.async_block_till_done()
    assert replies == []


async def test_a_reply_whose_key_cannot_be_saved_stays_on_the_sim(
    hass: HomeAssistant, fake_modem: FakeModem, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    replies = record(hass, EVENT_SMS_RECEIVED)
    seen = entry.runtime_data.stores.seen
    with patch.object(seen, "async_save", side_effect=OSError("disk full")):
        await fake_modem.inject_reply(ALICE, "Pas encore enregistrée")
        await eventually(lambda: "could not be saved" in caplog.text)
    assert len(fake_modem.storage) == 1  # not deleted: the key is not on disk

    await entry.runtime_data.modem.modem.read_stored()  # read again, later

    assert not fake_modem.storage
    await hass.async_block_till_done()
    assert [reply["text"] for reply in replies] == ["Pas encore enregistrée"]


# --- entities, repairs, diagnostics, options ----------------------------------------------------


async def test_the_modem_shows_its_signal_network_and_sim(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))

    signal = state_of(hass, entry, "sensor", "signal_strength")
    network = state_of(hass, entry, "sensor", "network")
    assert signal.state == "-73"  # +CSQ: 20
    assert signal.attributes["unit_of_measurement"] == "dBm"
    assert network.state == "home"
    assert network.attributes["operator"] == "Orange F"
    assert state_of(hass, entry, "sensor", "sim_state").state == "ready"
    # no balance on a SIM
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_credit") is None

    fake_modem.signal_csq = 25
    await entry.runtime_data.modem.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "signal_strength").state == "-63"


async def test_the_restart_button_restarts_the_radio(
    hass: HomeAssistant, fake_modem: FakeModem
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))
    button = entity_id(hass, entry, "button", "restart_modem")
    initialised = fake_modem.commands.count("AT+CMGF=0")

    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)

    assert fake_modem.commands[-20:].count("AT+CFUN=0") == 1
    assert "AT+CFUN=1" in fake_modem.commands
    assert fake_modem.commands.count("AT+CMGF=0") == initialised + 1
    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Après")
    assert response["route"] == "modem"

    await fake_modem.unplug()
    await eventually(lambda: not entry.runtime_data.modem.modem.connected)
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert caught.value.translation_key == "modem_restart_failed"


@pytest.mark.parametrize(
    ("pin", "issue", "wrong_pins"),
    [(None, "sim_pin_required", 0), ("0000", "sim_pin_refused", 1)],
    ids=["no_pin", "wrong_pin"],
)
async def test_a_sim_that_wants_its_pin_is_a_repair_and_a_pin_is_sent_once(
    hass: HomeAssistant, pin: str | None, issue: str, wrong_pins: int
) -> None:
    fake = FakeModem(pin="1234")
    await fake.start()
    try:
        entry = await set_up(hass, modem_entry(fake, pin=pin))
        assert entry.state is ConfigEntryState.LOADED
        found = ir.async_get(hass).async_get_issue(DOMAIN, f"modem_sim_{entry.entry_id}")
        assert found is not None
        assert found.translation_key == issue
        assert state_of(hass, entry, "sensor", "sim_state").state == "pin_required"
        response = await send_sms(
            hass, entry.entry_id, recipients=[ALICE], message="En attente", wait=False
        )
        assert response["status"] == "queued"

        await entry.runtime_data.modem.async_refresh()  # tried again a minute later

        assert fake.wrong_pins == wrong_pins  # a refused PIN is never sent again
        assert fake.submits == []
    finally:
        await fake.stop()


async def test_a_locked_sim_is_a_repair(hass: HomeAssistant) -> None:
    fake = FakeModem(pin="1234")
    fake.sim_state = "SIM PUK"
    await fake.start()
    try:
        entry = await set_up(hass, modem_entry(fake, pin="1234"))
    finally:
        await fake.stop()
    found = ir.async_get(hass).async_get_issue(DOMAIN, f"modem_sim_{entry.entry_id}")
    assert found is not None
    assert found.translation_key == "sim_puk_required"
    assert state_of(hass, entry, "sensor", "sim_state").state == "puk_required"
    assert fake.wrong_pins == 0


async def test_a_sim_given_its_pin_needs_no_repair(hass: HomeAssistant) -> None:
    fake = FakeModem(pin="1234")
    await fake.start()
    try:
        entry = await set_up(hass, modem_entry(fake, pin="1234"))
        response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Déverrouillé")
    finally:
        await fake.stop()
    assert response["route"] == "modem"
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"modem_sim_{entry.entry_id}") is None


async def test_no_network_restarts_the_radio_once_then_is_a_repair(
    hass: HomeAssistant, fake_modem: FakeModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modem_status, "NO_NETWORK_GRACE", timedelta(0))
    entry = await set_up(hass, modem_entry(fake_modem))
    status = entry.runtime_data.modem
    issue_id = f"modem_no_network_{entry.entry_id}"
    issues = ir.async_get(hass)

    fake_modem.registered = False
    await status.async_refresh()  # the network is gone: counted from now
    assert "AT+CFUN=0" not in fake_modem.commands
    await status.async_refresh()  # gone for the grace: one radio restart
    assert fake_modem.commands.count("AT+CFUN=0") == 1
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    await status.async_refresh()  # still gone after the restart: a repair
    await status.async_refresh()
    assert fake_modem.commands.count("AT+CFUN=0") == 1
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["account"] == entry.title
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", "network").state == "not_registered"

    fake_modem.registered = True
    await status.async_refresh()
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_diagnostics_show_the_modem_and_never_the_pin(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    fake = FakeModem(pin="4321")
    await fake.start()
    try:
        entry = await set_up(hass, modem_entry(fake, pin="4321"))
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await fake.stop()

    assert "4321" not in repr(diagnostics)
    assert diagnostics["entry"]["data"]["pin"] == "**REDACTED**"
    assert diagnostics["provider"] == "modem"
    assert diagnostics["balance"] is None
    assert diagnostics["receive_mode"] is None
    assert diagnostics["modem"]["connected"] is True
    assert diagnostics["modem"]["status"]["signal_dbm"] == -73
    assert diagnostics["modem"]["status"]["sim_state"] == "ready"


async def test_the_options_of_a_modem_have_no_sender_and_no_receiving_page(
    hass: HomeAssistant, fake_modem: FakeModem, check_flow_translations: None
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem))

    menu = await hass.config_entries.options.async_init(entry.entry_id)
    assert menu["menu_options"] == ["general", "delivery"]
    form = await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": "general"}
    )
    assert form["step_id"] == "general_modem"
    assert [str(key) for key in form["data_schema"].schema] == [
        "text_policy",
        "max_parts",
        "ussd_code",
    ]
    done = await hass.config_entries.options.async_configure(
        form["flow_id"], {"text_policy": "gsm7", "max_parts": 2}
    )
    await hass.async_block_till_done()

    assert done["type"] == "create_entry"
    assert entry.options["max_parts"] == 2
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Très long. " * 40)


def test_every_modem_repair_is_translated() -> None:
    english = json.loads(
        (Path(__file__).parents[2] / "custom_components/texto/translations/en.json").read_text()
    )
    for key in (
        "sim_pin_required",
        "sim_pin_refused",
        "sim_puk_required",
        "sim_not_inserted",
        "modem_no_network",
    ):
        assert {"title", "description"} <= set(english["issues"][key]), key


async def test_a_long_reply_with_a_part_missing_is_fired_incomplete(
    hass: HomeAssistant, fake_modem: FakeModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the parts' wait, what arrived is fired, and the event says it is not whole."""
    monkeypatch.setattr(clients, "MODEM_PART_TIMEOUT", 0.3)
    await set_up(hass, modem_entry(fake_modem))
    replies = record(hass, EVENT_SMS_RECEIVED)

    await fake_modem.inject_reply(ALICE, "Oui " * 60, parts_order=[1])
    await eventually(lambda: len(replies) == 1, timeout=15)

    assert replies[0]["complete"] is False
    assert replies[0]["text"].startswith("Oui Oui")
    assert not fake_modem.storage  # read, fired, deleted
