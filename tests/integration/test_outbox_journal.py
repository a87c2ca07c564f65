"""The outbox's journal on a real disk: one record per change, private, compacted, recovered.

Each test's Home Assistant has a configuration folder of its own (``own_config_dir``): the
journal is a real file there, written through the executor as in production.
"""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.loader import DATA_CUSTOM_COMPONENTS
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_test_home_assistant,
)

from custom_components.texto import journal as journal_module
from custom_components.texto.const import (
    CONF_DAILY_PARTS_CAP,
    EVENT_DELIVERY_REPORT,
    EVENT_SEND_FAILED,
    SendState,
)
from custom_components.texto.gateway.models import SendRequest
from custom_components.texto.journal import JournalFiles, Record, journal_path
from custom_components.texto.outbox import OutboxItem
from custom_components.texto.stores import AccountStores
from tests.simulator.allmysms import AllMySmsSimulator

from .callbacks import allmysms_report
from .common import (
    ALICE,
    allmysms_entry,
    journal_content,
    send_sms,
    set_up,
    slow_journal,
    stored_outbox,
)
from .test_outbox import account_of
from .test_outbox_stop import _same_entry


def kinds(hass: HomeAssistant, entry_id: str) -> list[str]:
    """The kinds of the journal's records, in order."""
    lines = journal_content(hass, entry_id).splitlines()
    return [json.loads(line)["kind"] for line in lines]


def queued(entry_id: str, text: str, number: int) -> dict[str, Any]:
    """The stored form of an alert waiting for its first attempt."""
    return OutboxItem(
        outbox_id=f"{number:032x}",
        entry_id=entry_id,
        created_at=dt_util.utcnow() - timedelta(seconds=30),
        request=SendRequest(recipients=(ALICE,), text=text),
        state=SendState.QUEUED,
    ).to_dict()


async def test_a_send_appends_its_records_to_a_private_file(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    await hass.async_block_till_done()

    assert response["status"] == "sent"
    mode = stat.S_IMODE(journal_path(hass, entry.entry_id).stat().st_mode)
    assert mode == 0o600  # numbers and texts: the owner alone reads it
    # the start-up's snapshot, then one record per change; the first attempt's record is
    # the submission's (it took a free slot)
    # (and the receipt of what the gateway took: the sent log's entry, the parts billed)
    assert kinds(hass, entry.entry_id) == ["snapshot", "submitted", "receipt", "final"]
    assert stored_outbox(hass, entry.entry_id) == []


async def test_records_queued_before_a_write_starts_share_its_sync(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """Sends submitted at once (several automations) wait for one sync, not one each.

    The executor's thread takes what is queued when it starts: records queued after the
    write was asked for, before it began, join it.
    """
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    journal = AccountStores.of(hass, entry.entry_id).outbox
    append = JournalFiles.append
    synced: list[int] = []

    def counting_append(files: JournalFiles, data: bytes, *, sync: bool) -> None:
        if sync:
            synced.append(data.count(b"\n"))
        append(files, data, sync=sync)

    with patch.object(JournalFiles, "append", counting_append):
        writes = [
            hass.async_create_task(
                journal.async_write(Record.SUBMITTED, queued(entry.entry_id, "Alarme", number)),
                eager_start=True,
            )
            for number in range(5)
        ]
        await asyncio.gather(*writes)

    assert synced == [5]
    assert kinds(hass, entry.entry_id)[-5:] == ["submitted"] * 5


async def test_a_torn_last_record_is_skipped_and_the_rest_recovered(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A power cut in the middle of a write: the records before it are whole.

    Also skipped, each with a warning and nothing else lost: a snapshot of a newer Texto's
    format, and an item that is not one.
    """
    entry = allmysms_entry(allmysms_sim)
    path = journal_path(hass, entry.entry_id)
    path.parent.mkdir(parents=True)
    records = [
        {"kind": "snapshot", "version": 99, "items": []},
        {"kind": "submitted", "item": queued(entry.entry_id, "Alarme 1", 1)},
        {"kind": "submitted", "item": queued(entry.entry_id, "Alarme 2", 2)},
        {"kind": "attempt", "item": {"outbox_id": "f" * 32}},
    ]
    torn = json.dumps({"kind": "submitted", "item": queued(entry.entry_id, "Alarme 3", 3)})
    content = "".join(json.dumps(record) + "\n" for record in records) + torn[:57]
    path.write_text(content)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await set_up(hass, entry)
    await account_of(hass, entry.entry_id).outbox.async_drain()
    await hass.async_block_till_done()

    assert sorted(sms.text for sms in allmysms_sim.messages) == ["Alarme 1", "Alarme 2"]
    assert failed == []
    warnings = [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.texto") and record.levelno >= logging.WARNING
    ]
    assert {record.levelno for record in warnings} == {logging.WARNING}
    assert [record.getMessage() for record in warnings] == [
        f"Outbox journal {path.name}: 2 unreadable record(s) skipped (a write cut short?), "
        "the others recovered",
        "Outbox: a stored item cannot be read and is skipped",
    ]
    # rewritten at start-up: the torn bytes are gone, later records start on a line of their own
    assert kinds(hass, entry.entry_id)[0] == "snapshot"
    assert stored_outbox(hass, entry.entry_id) == []


async def test_compaction_keeps_the_file_as_small_as_what_waits(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "COMPACT_MIN", 10)
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    for number in range(30):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"A{number}")
    await hass.async_block_till_done()

    assert len(allmysms_sim.messages) == 30
    # 60 records written; the file never holds more than the bound past its snapshot
    assert len(kinds(hass, entry.entry_id)) <= 1 + 10 + 1
    assert "snapshot" in kinds(hass, entry.entry_id)
    assert stored_outbox(hass, entry.entry_id) == []


async def test_a_disk_that_refuses_the_write_refuses_the_send(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """Nothing is sent that could not be written first; the next write repairs the file."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    path = journal_path(hass, entry.entry_id)
    path.unlink()
    path.mkdir()  # the journal cannot be opened for writing any more

    with pytest.raises(HomeAssistantError) as refused:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    assert refused.value.translation_key == "outbox_unwritable"
    assert allmysms_sim.messages == []
    assert account_of(hass, entry.entry_id).outbox.waiting == 0

    path.rmdir()  # the disk is back
    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    await hass.async_block_till_done()
    assert response["status"] == "sent"
    assert [sms.text for sms in allmysms_sim.messages] == ["Alarme"]
    # rewritten whole (a snapshot), then the send's records
    assert kinds(hass, entry.entry_id)[0] == "snapshot"
    assert stored_outbox(hass, entry.entry_id) == []


async def test_a_caller_that_gives_up_while_its_alert_is_written_does_not_take_it_back(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """An automation stopped mid-call (a timeout, ``mode: restart``): the alert still goes."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    with slow_journal():
        sending = hass.async_create_task(
            send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
        )
        await asyncio.sleep(0.05)  # its record is being written
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending

        await account_of(hass, entry.entry_id).outbox.async_drain()
    await hass.async_block_till_done()
    assert [sms.text for sms in allmysms_sim.messages] == ["Alarme"]
    assert stored_outbox(hass, entry.entry_id) == []


async def test_an_attempt_whose_record_cannot_be_written_waits_for_the_disk(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    """No request leaves unrecorded; the alert is not lost either: tried again later."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    outbox = account_of(hass, entry.entry_id).outbox
    outbox.jitter = lambda _low, _high: 0.05
    await allmysms_sim.refuse_connections()
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme", wait=False)
    path = journal_path(hass, entry.entry_id)
    path.unlink()
    path.mkdir()  # the next attempt's record cannot be written
    await allmysms_sim.accept_connections()
    await asyncio.sleep(0.3)  # attempts come and go: none may send

    assert allmysms_sim.messages == []
    assert [item.state for item in outbox.waiting_items] == ["queued"]

    path.rmdir()  # the disk is back
    await outbox.async_drain()
    await hass.async_block_till_done()
    assert [sms.text for sms in allmysms_sim.messages] == ["Alarme"]
    assert stored_outbox(hass, entry.entry_id) == []


# --- a crash right after a send ----------------------------------------------------------------


@pytest.mark.parametrize("compact_every", [None, 1], ids=["appended", "compacted"])
async def test_a_crash_right_after_a_send_keeps_its_report_matched_and_its_parts_counted(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    compact_every: int | None,
) -> None:
    """Home Assistant killed before the stores' delayed save: the journal's receipt holds.

    The next start recognises the send's delivery report and counts its parts against
    the daily cap; a second restart counts them no more than once. ``compacted``: the
    journal is compacted at every write (the stores are written before it drops receipts).
    """
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 10}))
    if compact_every is not None:
        monkeypatch.setattr(journal_module, "COMPACT_MIN", compact_every)
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Fuite d'eau " * 20)
    await account_of(hass, entry.entry_id).stores.outbox.async_flush()  # the system has it
    [sms] = allmysms_sim.messages
    if compact_every is None:
        # the crash: the sent log and the day's count were never saved, the journal has them
        assert hass_storage[f"texto.{entry.entry_id}.sent"]["data"] == []
        assert hass_storage[f"texto.{entry.entry_id}.state"]["data"]["spending"]["parts"] == 0
        assert "receipt" in kinds(hass, entry.entry_id)

    for restart in (1, 2):
        async with async_test_home_assistant(config_dir=hass.config.config_dir) as again:
            again.data.pop(DATA_CUSTOM_COMPONENTS, None)
            same = _same_entry(entry)
            reports = async_capture_events(again, EVENT_DELIVERY_REPORT)
            await set_up(again, same)
            account = account_of(again, same.entry_id)

            assert account.spending.used == 2, restart  # two parts, counted once
            assert await account.inbox.async_receive(allmysms_report(sms)) is (restart == 1)
            await again.async_block_till_done()
            assert len(reports) == (1 if restart == 1 else 0)
            await again.async_stop(force=True)
