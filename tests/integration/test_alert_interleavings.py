"""Random interleavings of raise / reply / acknowledge / timer / restart against the alerts.

The engine runs for real (``AlertManager``, its lock, its journal ``AlertStore``); the clock
is a fake one moved by the test, timers are kept by the test and fired when it says, the
journal's file is in memory, and the accounts' outboxes are a fake that remembers every
submission by its outbox reference (it outlives a restart, as the real outbox's journal
does). Restarts are clean (``async_stop``) or crashes: the sender dies before or after the
gateway took a step, and the next start reads only what the journal held at that instant.

In the end (a last restart, then every timer fired): no step was submitted twice, no step
was skipped (each alert's steps went in ladder order, all of them unless it was answered or
stopped), and every alert ended acknowledged, cancelled or unanswered.

``TEXTO_ALERT_INTERLEAVINGS`` sets how many (``.ci/run``: 10,000).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.texto import alert_store as alert_store_module
from custom_components.texto import alerts as alerts_module
from custom_components.texto.alert_store import AlertStore
from custom_components.texto.alerts import (
    ENGLISH_TEXTS,
    AcknowledgeBy,
    Alert,
    AlertManager,
    AlertSender,
    AlertState,
    Rung,
    SpendingCapError,
    StepKind,
    Then,
    step_reference,
)
from custom_components.texto.const import EVENT_DELIVERY_REPORT, EVENT_SMS_RECEIVED

from .test_outbox_interleavings import MemoryFiles

INTERLEAVINGS = int(os.environ.get("TEXTO_ALERT_INTERLEAVINGS", "1000"))
WAIT = timedelta(minutes=5)
DAY = timedelta(days=1, minutes=1)
LADDER = [
    Rung("notify.alice", "e1", "s1", "+33612345678", "Alice"),
    Rung("notify.bob", "e1", "s2", "+33698765432", "Bob"),
    Rung("notify.chloe", "e2", "s3", "+33611223344", "Chloé"),
]
TENDED = {AlertState.ACKNOWLEDGED, AlertState.CANCELLED, AlertState.UNANSWERED}

pytestmark = pytest.mark.timeout(900)


class CrashError(Exception):
    """The process dies here: nothing after it runs."""


class FakeOutboxes(AlertSender):
    """The accounts' outboxes: what they took, by reference (the ground truth)."""

    def __init__(self, rng: random.Random, files: MemoryFiles) -> None:
        self.rng = rng
        self.files = files
        self.taken: Counter[str] = Counter()
        self.order: list[str] = []
        #: the process is dead: the journal as it was at that instant
        self.crashed_with: bytes | None = None
        self.crashes = 0
        self.capped = False

    async def async_submit(
        self, rung: Rung, text: str, *, reference: str, max_parts: int | None, voice: bool
    ) -> str:
        if self.crashed_with is None and self.crashes < 2 and self.rng.random() < 0.08:
            self._crash(taken=self.rng.random() < 0.5, reference=reference)
        if self.rng.random() < 0.02:
            self.capped = True
            raise SpendingCapError
        await asyncio.sleep(0)  # another change may come meanwhile: the lock keeps them apart
        self._take(reference)
        return f"outbox-{reference}"

    def _crash(self, *, taken: bool, reference: str) -> None:
        if taken:
            self._take(reference)
        self.crashes += 1
        self.crashed_with = self.files.content
        raise CrashError

    def _take(self, reference: str) -> None:
        self.taken[reference] += 1
        self.order.append(reference)

    def find_submitted(self, rung: Rung, reference: str, since: datetime) -> str | None:
        return f"outbox-{reference}" if self.taken[reference] else None

    def fits(self, rung: Rung, text: str, max_parts: int | None) -> bool:
        return True

    def step_of_message(self, entry_id: str, message_id: str | None) -> str | None:
        if message_id and message_id.startswith("m-"):
            return message_id[2:]
        return None


class Timers:
    """``async_track_point_in_utc_time`` for the engine: kept here, fired by the test."""

    def __init__(self) -> None:
        self.due: dict[int, tuple[datetime, HassJob[[datetime], None]]] = {}
        self._next = 0

    def track(
        self, _hass: HomeAssistant, job: HassJob[[datetime], None], point: datetime
    ) -> Callable[[], None]:
        self._next += 1
        key = self._next
        self.due[key] = (point, job)
        return lambda: self.due.pop(key, None) and None


class Run:
    """One interleaving: a fake clock, an engine (restarted at will), its ground truth."""

    def __init__(self, hass: HomeAssistant, rng: random.Random, timers: Timers) -> None:
        self.hass = hass
        self.rng = rng
        self.timers = timers
        self.now = dt_util.utcnow()
        self.files = MemoryFiles()
        self.outboxes = FakeOutboxes(rng, self.files)
        self.manager: AlertManager | None = None
        self.raised: list[str] = []
        #: alerts that had ended when a day passed: a compaction may drop them
        self.may_drop: set[str] = set()

    async def start(self) -> None:
        """A start on what the journal holds (again after a crash during the resume)."""
        while True:
            self.timers.due.clear()
            if self.outboxes.crashed_with is not None or self.manager is None:
                self.files.content = self.outboxes.crashed_with or self.files.content
                self.outboxes.crashed_with = None
            manager = AlertManager(self.hass, AlertStore(self.hass, self.files), self.outboxes)
            manager.clock = lambda: self.now
            manager._texts = dict(ENGLISH_TEXTS)  # no translations here
            self.manager = manager
            await manager.async_load()
            manager.async_listen()
            try:
                await manager.async_resume()
            except CrashError:
                await self.die()
                continue
            return

    async def die(self) -> None:
        """The process is gone: its listeners and timers with it (nothing is written)."""
        assert self.manager is not None
        for remove in self.manager._listeners:
            remove()
        self.manager._listeners.clear()
        await self.settle()

    async def restart(self) -> None:
        assert self.manager is not None
        if self.outboxes.crashed_with is None:
            await self.manager.async_stop()
        else:
            await self.die()
        await self.start()

    async def settle(self) -> None:
        """Wait for what the engine started (replies, reports, timers)."""
        assert self.manager is not None
        while True:
            tasks = list(self.manager._tasks)
            for task in tasks:  # eager ones may have ended (a crash) before anyone waited
                if task.done() and not task.cancelled():
                    task.exception()
            if not (pending := [task for task in tasks if not task.done()]):
                return
            await asyncio.gather(*pending, return_exceptions=True)

    async def step(self) -> None:
        """One random move; a crash in it restarts from what the journal held."""
        move = self.rng.choice(
            [self.raise_one] * 3
            + [self.reply] * 3
            + [self.report, self.acknowledge, self.cancel, self.restart]
            + [self.fire] * 5
        )
        try:
            await move()
            await self.settle()
        except CrashError:
            pass
        if self.outboxes.crashed_with is not None:
            await self.restart()

    async def raise_one(self) -> None:
        assert self.manager is not None
        then = self.rng.choice(list(Then))
        alert = await self.manager.async_raise(
            message="Fuite d'eau",
            ladder=self.rng.sample(LADDER, self.rng.randint(1, 3)),
            escalate_after=WAIT,
            acknowledge_by=self.rng.choice(list(AcknowledgeBy)),
            then=then,
            rounds=self.rng.randint(1, 3),
            tag=self.rng.choice([None, "leak", "smoke"]),
            tell_others=self.rng.random() < 0.7,
        )
        self.raised.append(alert.alert_id)

    def _some_reference(self) -> str | None:
        return self.rng.choice(self.outboxes.order) if self.outboxes.order else None

    async def reply(self) -> None:
        answered = self._some_reference() if self.rng.random() < 0.5 else None
        self.hass.bus.async_fire(
            EVENT_SMS_RECEIVED,
            {
                "entry_id": self.rng.choice(["e1", "e2"]),
                "sender": self.rng.choice(LADDER).number,
                "text": self.rng.choice([" OK", "Oui", "1", "peut-être", ""]),
                "verified": self.rng.random() < 0.8,
                "in_reply_to": f"m-{answered}" if answered else None,
            },
        )

    async def report(self) -> None:
        self.hass.bus.async_fire(
            EVENT_DELIVERY_REPORT,
            {
                "status": self.rng.choice(["delivered", "delivered", "failed"]),
                "reference": self._some_reference(),
            },
        )

    def _some_alert(self) -> Alert | None:
        assert self.manager is not None
        alerts = list(self.manager.alerts.values())
        return self.rng.choice(alerts) if alerts else None

    async def acknowledge(self) -> None:
        if (alert := self._some_alert()) is not None:
            assert self.manager is not None
            await self.manager.async_acknowledge(alert)

    async def cancel(self) -> None:
        if (alert := self._some_alert()) is not None:
            assert self.manager is not None
            await self.manager.async_cancel(alert)

    async def fire(self) -> None:
        """Time passes: up to a timer's point (or short of it: an early fire), which fires."""
        if not self.timers.due:
            # now and then a day: ended alerts are then dropped at the next compaction
            later = self.rng.choice([timedelta(seconds=self.rng.randint(0, 400)), DAY])
            if later == DAY:
                assert self.manager is not None
                self.may_drop |= {
                    a.alert_id for a in self.manager.alerts.values() if a.state in TENDED
                }
            self.now += later
            return
        key = self.rng.choice(list(self.timers.due))
        point, job = self.timers.due.pop(key)
        self.now = max(self.now, point - timedelta(seconds=self.rng.choice([0, 0, 0, 30])))
        job.target(self.now)

    async def finish(self) -> None:
        """A last restart, then every timer fired in time order, until none is left."""
        await self.restart()
        for _ in range(200):
            if not self.timers.due:
                break
            key = min(self.timers.due, key=lambda k: self.timers.due[k][0])
            point, job = self.timers.due.pop(key)
            self.now = max(self.now, point)
            job.target(self.now)
            await self.settle()
            if self.outboxes.crashed_with is not None:
                await self.restart()

    def check(self, seed: int) -> None:
        assert self.manager is not None
        twice = [ref for ref, count in self.outboxes.taken.items() if count > 1]
        assert not twice, (seed, "sent twice", twice)
        for alert_id in self.raised:
            if (alert := self.manager.alerts.get(alert_id)) is None:
                assert alert_id in self.may_drop, (seed, "an alert lost", alert_id)
                continue
            assert alert.state in TENDED, (seed, alert_id, alert.state)
            steps = [
                step_reference(alert_id, StepKind.SMS, round_, step)
                for round_ in range(1, (alert.rounds if alert.then is Then.REPEAT else 1) + 1)
                for step in range(1, len(alert.ladder) + 1)
            ]
            sent = [ref for ref in steps if self.outboxes.taken[ref]]
            assert sent == steps[: len(sent)], (seed, "a step skipped", alert_id, sent)
            if alert.state is AlertState.UNANSWERED and alert.reason is None:
                assert sent == steps, (seed, "unanswered before the end", alert_id, sent)
                if alert.then is Then.CALL:
                    calls = [
                        step_reference(alert_id, StepKind.CALL, alert.round, step)
                        for step in range(1, len(alert.ladder) + 1)
                    ]
                    assert all(self.outboxes.taken[ref] for ref in calls), (seed, alert_id)


async def _interleaving(hass: HomeAssistant, seed: int, timers: Timers) -> None:
    run = Run(hass, random.Random(seed), timers)
    await run.start()
    for _ in range(run.rng.randint(2, 14)):
        await run.step()
    await run.finish()
    run.check(seed)
    assert run.manager is not None
    await run.manager.async_stop()


async def test_random_interleavings_send_every_step_once_and_end_every_alert(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    timers = Timers()
    monkeypatch.setattr(alerts_module, "async_track_point_in_utc_time", timers.track)
    # compactions often, crashes in between included
    monkeypatch.setattr(alert_store_module, "COMPACT_MIN", 6)
    monkeypatch.setattr(alert_store_module, "COMPACT_PER_ALERT", 1)
    for seed in range(INTERLEAVINGS):
        await _interleaving(hass, seed, timers)
