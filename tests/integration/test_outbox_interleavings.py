"""Random interleavings of submit / attempt / stop / start against the outbox core.

The outbox runs for real (its workers, its journal, its stop); its owner is a fake whose
"transport" reports the phases a real one does (``phases``): a connection, then the
request written (the gateway has it: counted as taken), then the answer. The journal's
file is kept in memory (the disk is not what is tested here). Stops land anywhere, with no
grace, and every start reads what the last stop wrote; crashes land anywhere too, and the
next start reads only what the journal held at that instant. In the end every alert must
have been taken by the gateway exactly once: none lost, none twice.

``TEXTO_INTERLEAVINGS`` sets how many (``.ci/run``: 10,000).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto import outbox as outbox_module
from custom_components.texto.const import DOMAIN
from custom_components.texto.gateway.models import SendRequest, SendResult
from custom_components.texto.gateway.phases import Phase, start_request
from custom_components.texto.journal import JournalFiles, OutboxJournal
from custom_components.texto.outbox import Attempt, AttemptOutcome, Outbox, OutboxItem

INTERLEAVINGS = int(os.environ.get("TEXTO_INTERLEAVINGS", "500"))
REQUEST = SendRequest(recipients=("+33612345678",), text="Alarme")

pytestmark = pytest.mark.timeout(900)


class FakeGateway:
    """What the gateway took, by outbox item (the ground truth)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: Counter[str] = Counter()


class FakeOwner:
    """Attempts through a fake transport that reports its phases, as the real one does."""

    def __init__(self, gateway: FakeGateway) -> None:
        self.gateway = gateway

    async def _turns(self) -> None:
        for _ in range(self.gateway.rng.randint(0, 2)):
            await asyncio.sleep(0)

    async def async_attempt(self, item: OutboxItem) -> Attempt:
        request = start_request()
        request.traced = True
        await self._turns()  # connecting: a stop here sent nothing
        if self.gateway.rng.random() < 0.3:
            return Attempt(AttemptOutcome.RETRY)  # refused: certainly not sent
        request.reached(Phase.CONNECTED)
        await self._turns()
        request.reached(Phase.REQUEST_WRITTEN)
        self.gateway.taken[item.outbox_id] += 1  # the gateway has it now
        await self._turns()  # the answer is pending: a stop here may lose it
        request.reached(Phase.ANSWER_READ)
        return Attempt(AttemptOutcome.SENT, route="fake")

    async def async_verify(self, item: OutboxItem) -> Attempt:
        """The gateway lists its sends (as smsmode does): found, or safe to send again."""
        await self._turns()
        if self.gateway.taken[item.outbox_id]:
            return Attempt(AttemptOutcome.SENT, route="fake")
        return Attempt(AttemptOutcome.RETRY)

    async def async_record_accepted(
        self, item: OutboxItem, result: SendResult, route: str | None
    ) -> None:
        """Nothing to record: the attempts return no result."""

    def async_item_submitted(self, item: OutboxItem) -> None:
        """Nothing follows the items here."""

    def async_item_changed(self, item: OutboxItem) -> None:
        """Nothing follows the items here."""

    def device_id_of(self, number: str | None) -> str | None:
        return None

    def carrier_fields(self, item: OutboxItem) -> dict[str, str | None]:
        return {}


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


class MemoryFiles(JournalFiles):
    """The journal's file, in memory."""

    def __init__(self) -> None:
        super().__init__(Path("journal"))
        self.content: bytes | None = None

    def read(self) -> bytes | None:
        return self.content

    def append(self, data: bytes, *, sync: bool) -> None:
        self.content = (self.content or b"") + data

    def replace(self, data: bytes) -> None:
        self.content = data

    def remove(self) -> None:
        self.content = None


def _outbox(
    hass: HomeAssistant, entry: MockConfigEntry, gateway: FakeGateway, files: MemoryFiles
) -> Outbox:
    legacy: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry.entry_id}.outbox")
    box = Outbox(hass, entry, FakeOwner(gateway), OutboxJournal(hass, files, legacy))
    box.sleep = _no_wait
    box.jitter = lambda _low, _high: 0.0
    return box


async def _interleaving(hass: HomeAssistant, seed: int) -> None:
    rng = random.Random(seed)
    gateway = FakeGateway(rng)
    entry = MockConfigEntry(domain=DOMAIN, entry_id=f"interleaving{seed}")
    entry.add_to_hass(hass)
    files = MemoryFiles()
    box = _outbox(hass, entry, gateway, files)
    await box.async_load()
    box.async_start()
    submitted: list[str] = []
    for _ in range(rng.randint(1, 6)):
        step = rng.random()
        if step < 0.5:
            item = await box.async_submit(REQUEST)
            submitted.append(item.outbox_id)
        elif step < 0.75:
            for _ in range(rng.randint(1, 4)):
                await asyncio.sleep(0)
        elif step < 0.9:
            # Home Assistant stops (no grace), then starts again on what was written
            await box.async_stop()
            box = _outbox(hass, entry, gateway, files)
            await box.async_load()
            box.async_start()
        else:
            # a crash: the next start reads what the journal held at this instant
            on_disk = files.content
            await box.async_stop()  # only to end the old workers: what it writes is lost
            files.content = on_disk
            box = _outbox(hass, entry, gateway, files)
            await box.async_load()
            box.async_start()
    await box.async_drain()
    states = Counter(str(item.state) for item in box.items if item.outbox_id in submitted)
    taken = {outbox_id: gateway.taken[outbox_id] for outbox_id in submitted}
    assert taken == dict.fromkeys(submitted, 1), (seed, taken, states)
    await box.async_stop()
    await hass.config_entries.async_remove(entry.entry_id)


async def test_random_interleavings_lose_nothing_and_send_nothing_twice(
    hass: HomeAssistant, hass_storage: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "STOP_GRACE", 0.0)
    for seed in range(INTERLEAVINGS):
        await _interleaving(hass, seed)
