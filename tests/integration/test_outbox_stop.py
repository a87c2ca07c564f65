"""Home Assistant's real stop sequence in the middle of attempts: what each one had done.

HA stops in stages: shutdown jobs first (the outbox's graceful stop), then it cancels
background tasks (the workers), fires its stop event, writes the stores. It does not unload
config entries. These tests call ``hass.async_stop`` itself, then start a second Home
Assistant on the same stored data, and count what the gateway really took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.loader import DATA_CUSTOM_COMPONENTS
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_test_home_assistant,
)

from custom_components.texto.account import TextoAccount
from custom_components.texto.const import EVENT_SEND_FAILED
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator
from tests.simulator.unanswered import unanswered_url

from .common import (
    ALICE,
    allmysms_entry,
    send_sms,
    set_up,
    slow_journal,
    smsmode_entry,
    stored_outbox,
)
from .test_outbox import Parking
from .test_outbox_faults import until

SEND_PATH = "/http/9.0/sendSms/"


@pytest.fixture
def unanswered() -> Iterator[str]:
    """A gateway URL whose connections never complete."""
    with unanswered_url() as url:
        yield url


def account_of(entry: MockConfigEntry) -> TextoAccount:
    account: TextoAccount = entry.runtime_data
    return account


def stored_states(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    return [item["state"] for item in stored_outbox(hass, entry.entry_id)]


def _same_entry(entry: MockConfigEntry) -> MockConfigEntry:
    """``entry`` as the next Home Assistant reads it from its registry."""
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry.entry_id,
        minor_version=entry.minor_version,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=[
            ConfigSubentryData(
                data=subentry.data,
                subentry_id=subentry.subentry_id,
                subentry_type=subentry.subentry_type,
                title=subentry.title,
                unique_id=subentry.unique_id,
            )
            for subentry in entry.subentries.values()
        ],
    )


async def _start_again(stopped: HomeAssistant, entry: MockConfigEntry) -> list[Any]:
    """A new Home Assistant on the stored data: drain its outbox; the failures it reports."""
    async with async_test_home_assistant(config_dir=stopped.config.config_dir) as hass:
        hass.data.pop(DATA_CUSTOM_COMPONENTS, None)  # the test's custom integrations
        again = _same_entry(entry)
        failed = async_capture_events(hass, EVENT_SEND_FAILED)
        await set_up(hass, again)
        await account_of(again).outbox.async_drain()
        await hass.async_block_till_done()
        await hass.async_stop(force=True)
        return failed


async def test_stopped_while_connecting_nothing_is_unconfirmed(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    unanswered: str,
    hass_storage: dict[str, Any],
) -> None:
    """An outage and a power cut meet: the alerts whose attempts were connecting."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account_of(entry).gateway._transport.base_url = unanswered  # connections hang
    for number in range(2):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"A{number}", wait=False)

    await hass.async_stop()

    # no request had been written: certainly not sent, queued again
    assert stored_states(hass, entry) == ["queued", "queued"]
    failed = await _start_again(hass, entry)
    assert sorted(sms.text for sms in allmysms_sim.messages) == ["A0", "A1"]
    assert failed == []


async def test_stopped_while_the_gateway_answers_within_the_grace_nothing_is_lost(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.fail_next("slow_after_accept", delay=1.0, path=SEND_PATH)
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="A", wait=False)

    await hass.async_stop()

    # the attempt finished within the grace: sent, and stored so
    assert stored_states(hass, entry) == []  # nothing waits any more
    failed = await _start_again(hass, entry)
    assert [sms.text for sms in allmysms_sim.messages] == ["A"]
    assert failed == []


async def test_stopped_while_the_answer_is_pending_it_is_unconfirmed_and_said_why(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request was written: it may have gone, and AllMySMS cannot be asked."""
    monkeypatch.setattr("custom_components.texto.outbox.STOP_GRACE", 0.2)
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.fail_next("slow_after_accept", delay=3.0, path=SEND_PATH)
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="A", wait=False)

    await hass.async_stop()

    assert stored_states(hass, entry) == ["sending"]
    failed = await _start_again(hass, entry)
    # taken once (before the stop), never resent
    assert [sms.text for sms in allmysms_sim.messages] == ["A"]
    [event] = failed
    assert (event.data["final_status"], event.data["reason"]) == ("unconfirmed", "interrupted")


async def test_alerts_waiting_for_a_retry_do_not_hold_the_stop_up(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    """The grace is for attempts in flight: an alert waiting out its backoff stops at once."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    parking = Parking(2)
    account_of(entry).outbox.sleep = parking.sleep
    await allmysms_sim.refuse_connections()
    for number in range(2):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"A{number}", wait=False)
    await parking.wait()  # each tried once, refused, waiting for its retry

    started = time.monotonic()
    await hass.async_stop()

    assert time.monotonic() - started < 2.0  # well under the 5 s grace
    assert stored_states(hass, entry) == ["queued", "queued"]
    await allmysms_sim.accept_connections()
    assert await _start_again(hass, entry) == []
    assert sorted(sms.text for sms in allmysms_sim.messages) == ["A0", "A1"]


SMSMODE_SEND_PATH = "/http/1.6/sendSMS.do"


@pytest.mark.parametrize("phase", ["refused", "connecting", "request_written", "answer_pending"])
async def test_stopped_at_any_phase_every_alert_is_taken_once(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    unanswered: str,
    monkeypatch: pytest.MonkeyPatch,
    phase: str,
) -> None:
    """smsmode lists its sends: whatever an attempt had done when HA stopped, once each."""
    monkeypatch.setattr("custom_components.texto.outbox.STOP_GRACE", 0.2)
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    if phase == "refused":
        await smsmode_sim.refuse_connections()
    elif phase == "connecting":
        account_of(entry).gateway._transport.base_url = unanswered
    elif phase == "request_written":  # the gateway has the request, not processed yet
        smsmode_sim.fail_next("slow", delay=0.5, count=2, path=SMSMODE_SEND_PATH)
    else:  # processed, the answer not read
        smsmode_sim.fail_next("slow_after_accept", delay=3.0, count=2, path=SMSMODE_SEND_PATH)
    for number in range(2):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"A{number}", wait=False)
    if phase in ("request_written", "answer_pending"):
        await until(lambda: len(smsmode_sim.requests_to(SMSMODE_SEND_PATH)) == 2)

    await hass.async_stop()

    written = phase in ("request_written", "answer_pending")
    # the disk says ``sending`` exactly where a request may have gone
    assert stored_states(hass, entry) == ["sending" if written else "queued"] * 2
    await asyncio.sleep(0.6)  # a gateway that had the request has processed it by now
    await smsmode_sim.accept_connections()
    failed = await _start_again(hass, entry)
    assert sorted(sms.text for sms in smsmode_sim.messages) == ["A0", "A1"]
    assert failed == []


async def test_stopped_while_an_alert_is_being_written_it_is_sent_after_the_restart(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """Submitted as HA begins to stop: written, never attempted, so certainly not sent."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    with slow_journal():
        sending = hass.async_create_task(
            send_sms(hass, entry.entry_id, recipients=[ALICE], message="A", wait=False)
        )
        await asyncio.sleep(0.05)  # its record is being written

        await hass.async_stop()

    assert (await sending)["status"] == "queued"
    assert allmysms_sim.messages == []
    assert stored_states(hass, entry) == ["queued"]
    assert await _start_again(hass, entry) == []
    assert [sms.text for sms in allmysms_sim.messages] == ["A"]
