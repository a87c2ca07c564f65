"""The persistent outbox: every send is written here before its first attempt.

An item moves ``queued -> sending -> sent | scheduled | failed | expired | unconfirmed``. Each
move is a record of the outbox's journal (journal.py), on the disk before any request can
leave (so a restart never loses it), and the disk says ``sending`` whenever a request may be
on its way: an item found ``sending`` at start-up may have gone out, and is verified with the
gateway rather than sent again. Retries follow an exponential backoff with full jitter, only
when the delivery attempt says nothing was sent; an item older than the account's maximum
age expires. When a route comes back (a modem reopened), ``async_retry_now`` cuts the
backoff short.

The outbox knows nothing of gateways: its owner (``OutboxOwner``, the account) makes the
attempts and records what they carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol
from uuid import uuid4

from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HassJob, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .const import CONF_MAX_AGE, DEFAULT_MAX_AGE, DOMAIN, EVENT_SEND_FAILED, SendState
from .errors import gateway_error
from .gateway.errors import GatewayError
from .gateway.models import SendRequest, SendResult, SendStatus
from .gateway.phases import AttemptTrace, trace_attempt
from .journal import OutboxJournal, Record

_LOGGER = logging.getLogger(__name__)

#: items not final yet an account may hold: beyond, a send is refused (translated error)
MAX_WAITING: Final = 100
#: attempts of one account running at once
CONCURRENCY: Final = 2
#: the backoff: a random delay in [0, min(BACKOFF_CAP, BACKOFF_BASE * 2**n)] after n retries
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
#: seconds a caller waits for the outcome before it gets ``queued`` (the outbox goes on)
WAIT_LIMIT = 30.0
#: final items kept in memory, for the sensor and diagnostics
HISTORY: Final = 100

WAITING_STATES: Final = frozenset({SendState.QUEUED, SendState.SENDING})
#: the final states the user is told about loudly (event and notification)
LOST_STATES: Final = frozenset({SendState.FAILED, SendState.EXPIRED, SendState.UNCONFIRMED})
#: the states the outbox counts (``delivered`` is a delivery report's, not the outbox's)
OUTBOX_STATES: Final = (
    SendState.QUEUED,
    SendState.SENDING,
    SendState.SENT,
    SendState.SCHEDULED,
    SendState.FAILED,
    SendState.EXPIRED,
    SendState.UNCONFIRMED,
)
REASON_EXPIRED: Final = "expired"
#: an item found ``sending`` at start-up whose gateway could not say whether it went
REASON_INTERRUPTED: Final = "interrupted"
#: an unknown outcome the gateway could not settle (it cannot be asked, or did not answer)
REASON_CANNOT_VERIFY: Final = "cannot_verify"
#: a bug of Texto's; the item ends ``failed`` when no request of it had been written
REASON_INTERNAL_ERROR: Final = "internal_error"
#: seconds attempts in flight get to finish when Home Assistant stops
STOP_GRACE: Final = 5.0


class AttemptOutcome(StrEnum):
    """What one attempt concluded."""

    #: accepted by a gateway (sent or scheduled): ``result`` and ``route`` say which
    SENT = "sent"
    #: certainly not sent, worth trying again later (after the outbox's backoff)
    RETRY = "retry"
    #: certainly not sent, and trying again cannot help
    FAILED = "failed"
    #: may have gone out and the gateway cannot tell: never resend
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one attempt."""

    outcome: AttemptOutcome
    #: what a gateway accepted in this attempt, whatever the outcome: with RETRY, FAILED or
    #: UNCONFIRMED it is the accepted part of a partial send (record it: sent and billed)
    result: SendResult | None = None
    #: the entry id, or "mail2sms", that carried (or last tried) the message
    route: str | None = None
    error: GatewayError | None = None
    #: seconds the gateway asked to wait before the next try (HTTP Retry-After), or the
    #: delay before verifying a send whose outcome is unknown
    retry_after: float | None = None
    #: why, when ``error`` does not say (``REASON_*``)
    reason: str | None = None


@dataclass
class OutboxItem:
    """One send in the outbox."""

    outbox_id: str
    entry_id: str
    created_at: datetime
    request: SendRequest
    state: SendState
    attempts: int = 0
    #: when the next attempt is due (None: now, or no more attempts)
    next_attempt_at: datetime | None = None
    #: what carried it: the entry id, or "mail2sms"
    route: str | None = None
    result: SendResult | None = None
    #: why it failed, expired or is unknown (a GatewayError class name, or "expired")
    reason: str | None = None
    #: E.164 numbers still to send, narrowed by a partial send (None: all the request's);
    #: set by delivery.async_attempt, to be stored with the item
    remaining: tuple[str, ...] | None = None
    #: an attempt may have gone out unconfirmed: delivery verifies before any resend and
    #: never fails over; set by delivery (async_attempt, async_verify), to be stored
    maybe_sent: bool = False
    #: sent again once after an outcome nobody could settle (the ``resend`` policy)
    resent: bool = False
    #: the last attempt's error (not stored: a restart forgets it, ``reason`` remains)
    error: GatewayError | None = None

    @property
    def final(self) -> bool:
        """Whether the item is done (no more attempts)."""
        return self.state not in WAITING_STATES

    def to_dict(self) -> dict[str, Any]:
        """The stored form (private store: it holds numbers and the text)."""
        return {
            "outbox_id": self.outbox_id,
            "entry_id": self.entry_id,
            "created_at": self.created_at.isoformat(),
            "request": self.request.to_dict(),
            "state": str(self.state),
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "route": self.route,
            "result": None if self.result is None else self.result.to_dict(),
            "reason": self.reason,
            "remaining": None if self.remaining is None else list(self.remaining),
            "maybe_sent": self.maybe_sent,
            "resent": self.resent,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxItem:
        """Read the stored form."""
        remaining = data.get("remaining")
        return cls(
            outbox_id=data["outbox_id"],
            entry_id=data["entry_id"],
            created_at=datetime.fromisoformat(data["created_at"]),
            request=SendRequest.from_dict(data["request"]),
            state=SendState(data["state"]),
            attempts=data["attempts"],
            next_attempt_at=_from_iso(data["next_attempt_at"]),
            route=data["route"],
            result=None if data["result"] is None else SendResult.from_dict(data["result"]),
            reason=data["reason"],
            remaining=None if remaining is None else tuple(remaining),
            maybe_sent=data.get("maybe_sent", False),
            resent=data.get("resent", False),
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class OutboxOwner(Protocol):
    """What the outbox asks of its account: attempts, and to hear what became of an item."""

    async def async_attempt(self, item: OutboxItem) -> Attempt:
        """Try to deliver ``item`` once (it may narrow ``remaining``, set ``maybe_sent``)."""

    async def async_verify(self, item: OutboxItem) -> Attempt:
        """Find out whether an item that may have gone out did (found ``sending``)."""

    async def async_record_accepted(
        self, item: OutboxItem, result: SendResult, route: str | None
    ) -> None:
        """Record what a gateway accepted for ``item`` (billed: count it, keep it)."""

    def async_item_submitted(self, item: OutboxItem) -> None:
        """A new item entered the outbox (written)."""

    def async_item_changed(self, item: OutboxItem) -> None:
        """An item changed state."""

    def device_id_of(self, number: str | None) -> str | None:
        """The device an event about ``number`` belongs to."""

    def carrier_fields(self, item: OutboxItem) -> dict[str, str | None]:
        """What carried a final item, as events say it: route, account, account_name."""


def merge_results(first: SendResult | None, later: SendResult) -> SendResult:
    """One result for a send accepted in several goes (a partial send, then the rest)."""
    if first is None:
        return later
    credits_used = (
        None
        if first.credits_used is None or later.credits_used is None
        else first.credits_used + later.credits_used
    )
    return replace(
        later,
        message_id=first.message_id,
        recipients=first.recipients + later.recipients,
        invalid_recipients=later.invalid_recipients,
        recipient_ids={**first.recipient_ids, **later.recipient_ids},
        billed_parts=first.billed_parts + later.billed_parts,
        credits_used=credits_used,
    )


def status_of(result: SendResult) -> SendState:
    """The Texto state of an accepted send."""
    if result.status is SendStatus.SCHEDULED or result.send_at is not None:
        return SendState.SCHEDULED
    return SendState.SENT


class Outbox:
    """One account's outbox: its items, their workers, its journal.

    ``clock``, ``sleep`` and ``jitter`` are attributes so that tests can run the backoff
    and the expiry on a clock of their own.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        owner: OutboxOwner,
        journal: OutboxJournal,
    ) -> None:
        self.hass = hass
        self._entry = entry
        self._owner = owner
        self._journal = journal
        journal.snapshot = self._snapshot
        journal.size = lambda: len(self._waiting)
        self._waiting: dict[str, OutboxItem] = {}
        self._history: deque[OutboxItem] = deque(maxlen=HISTORY)
        #: the history by state, kept as it changes (the sensor reads it after every change)
        self._history_counts: Counter[SendState] = Counter()
        self._done: dict[str, asyncio.Event] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        #: items found ``sending`` at start-up: they may have gone out, verify them first
        self._to_verify: set[str] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        #: how far the requests of each item's latest attempt got
        self._attempts: dict[str, AttemptTrace] = {}
        #: the items whose attempt is in flight now (a stop waits for them a little)
        self._in_flight: set[str] = set()
        self._stopped = False
        #: submissions whose record is being written (a stop waits for them)
        self._accepting: set[asyncio.Task[None]] = set()
        #: ``async_retry_now`` calls so far; set, then replaced, at each: wakes the sleepers
        self._wakes = 0
        self._woken = asyncio.Event()
        self.clock: Callable[[], datetime] = dt_util.utcnow
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.jitter: Callable[[float, float], float] = random.uniform

    # --- what the outbox holds ---------------------------------------------------------------

    @property
    def items(self) -> list[OutboxItem]:
        """The items waiting, then the recent final ones (oldest first)."""
        return [*self._waiting.values(), *self._history]

    @property
    def waiting_items(self) -> list[OutboxItem]:
        """The items not final yet (oldest first)."""
        return list(self._waiting.values())

    def get(self, outbox_id: str) -> OutboxItem | None:
        """The item with this id, if it is waiting or recent."""
        return self._waiting.get(outbox_id) or next(
            (item for item in self._history if item.outbox_id == outbox_id), None
        )

    @property
    def waiting(self) -> int:
        """Items not final yet (queued or sending)."""
        return len(self._waiting)

    def counts(self) -> dict[str, int]:
        """Items by state: those waiting, and the recent final ones."""
        counts = Counter(item.state for item in self._waiting.values()) + self._history_counts
        return {str(state): counts[state] for state in OUTBOX_STATES}

    def oldest_age(self) -> float | None:
        """Seconds the oldest waiting item has waited (None: nothing waits)."""
        if not self._waiting:
            return None
        oldest = min(item.created_at for item in self._waiting.values())
        return max(0.0, (self.clock() - oldest).total_seconds())

    # --- life cycle --------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the items a previous run left waiting (nothing starts before async_start)."""
        for data in await self._journal.async_load():
            try:
                item = OutboxItem.from_dict(data)
            except (KeyError, TypeError, ValueError):
                _LOGGER.warning("Outbox: a stored item cannot be read and is skipped")
                continue
            if item.final:
                continue
            if item.state is SendState.SENDING:
                self._to_verify.add(item.outbox_id)
            # a restart starts the backoff again
            item.next_attempt_at = None
            self._waiting[item.outbox_id] = item
            self._done[item.outbox_id] = asyncio.Event()
        # one snapshot of what was read: a torn record or an old store leaves nothing behind
        await self._journal.async_compact()

    @callback
    def async_start(self) -> None:
        """Resume the waiting items; stop gracefully when Home Assistant stops.

        Home Assistant cancels background tasks (the workers) before it fires its stop
        event, and does not unload config entries at shutdown: its first shutdown stage
        (shutdown jobs) is the moment attempts in flight can still finish.
        """
        remove = self.hass.async_add_shutdown_job(HassJob(self.async_stop))

        @callback
        def _async_remove_shutdown_job() -> None:
            with contextlib.suppress(ValueError):  # Home Assistant already ran its jobs
                remove()

        self._entry.async_on_unload(_async_remove_shutdown_job)
        for item in list(self._waiting.values()):
            self._start_worker(item, holding_slot=False)

    async def async_stop(self) -> None:
        """Stop the workers and write what waits: the next start resumes it.

        No new attempt starts; attempts in flight get ``STOP_GRACE`` seconds to finish, then are
        cut short. One cut short before it wrote a request is certainly not sent and goes
        back to ``queued``; after, it stays ``sending``: the next start verifies it.
        """
        if self._stopped:
            return
        self._stopped = True
        if self._accepting:
            # written in a moment: each then goes back to ``queued`` (no attempt starts)
            await asyncio.wait(list(self._accepting))
        attempting = [self._workers[key] for key in self._in_flight if key in self._workers]
        for key, worker in self._workers.items():
            if key not in self._in_flight:
                worker.cancel()  # waiting for a retry, or for a slot: nothing in flight
        if attempting:
            await asyncio.wait(attempting, timeout=STOP_GRACE)
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.wait(workers)
        await self._journal.async_flush()
        # callers still waiting get ``queued``: the item is safe on disk
        for event in self._done.values():
            event.set()

    async def async_drain(self) -> None:
        """Wait until no item is waiting any more (tests: the ground truth of an outbox)."""
        while self._workers or self._accepting:
            await asyncio.wait([*self._workers.values(), *self._accepting])

    async def async_persist(self, item: OutboxItem) -> None:
        """Write ``item`` now (its attempt is about to send by another route: it must say so)."""
        await self._journal.async_write(Record.ATTEMPT, item.to_dict())

    # --- submitting and waiting --------------------------------------------------------------

    async def async_submit(self, request: SendRequest) -> OutboxItem:
        """Write ``request`` to the outbox, then start its first attempt.

        The request must have been validated. Raise a translated error when the outbox is
        full, or cannot be written (then nothing is sent).
        """
        if len(self._waiting) >= MAX_WAITING:
            raise gateway_error("outbox_full", capacity=MAX_WAITING)
        item = OutboxItem(
            outbox_id=uuid4().hex,
            entry_id=self._entry.entry_id,
            created_at=self.clock(),
            request=request,
            state=SendState.QUEUED,
        )
        # a free slot is taken now: the item is written as ``sending`` (its first attempt
        # follows at once), so that this one write covers the attempt
        holding_slot = not self._slots.locked()
        if holding_slot:
            await self._slots.acquire()  # free: returns without waiting
            item.state = SendState.SENDING
        self._waiting[item.outbox_id] = item
        self._done[item.outbox_id] = asyncio.Event()
        accepting = self.hass.async_create_task(
            self._async_accept(item, holding_slot=holding_slot),
            f"{DOMAIN} outbox accept",
            eager_start=True,
        )
        self._accepting.add(accepting)
        accepting.add_done_callback(self._accepting.discard)
        # a caller that gives up now does not take the send back: its record is on its way
        await asyncio.shield(accepting)
        return item

    async def _async_accept(self, item: OutboxItem, *, holding_slot: bool) -> None:
        """Write the new ``item``, then start its first attempt."""
        # The write comes first, the request after it. Side by side they are slower, not
        # faster: the write's thread and the event loop then take turns at the GIL.
        try:
            await self._journal.async_write(Record.SUBMITTED, item.to_dict())
        except BaseException as err:
            # not written: not accepted
            del self._waiting[item.outbox_id]
            del self._done[item.outbox_id]
            if holding_slot:
                self._slots.release()
            if isinstance(err, OSError):
                raise gateway_error("outbox_unwritable", error=err.strerror or "OSError") from err
            raise
        self._owner.async_item_submitted(item)
        self._start_worker(item, holding_slot=holding_slot)

    @callback
    def async_retry_now(self) -> None:
        """Attempt now the items waiting for their backoff: their route is back.

        An attempt in flight meanwhile that ends in a retry tries again at once too (it
        may have found the route still gone an instant before).
        """
        now = self.clock()
        for item in self._waiting.values():
            if item.next_attempt_at is not None and item.next_attempt_at > now:
                item.next_attempt_at = now
        self._wakes += 1
        self._woken.set()
        self._woken = asyncio.Event()

    async def async_wait(self, item: OutboxItem) -> None:
        """Return when ``item`` is final, or after ``WAIT_LIMIT`` seconds (it goes on then)."""
        event = self._done.get(item.outbox_id)
        if item.final or event is None:
            return
        try:
            async with asyncio.timeout(WAIT_LIMIT):
                await event.wait()
        except TimeoutError:
            return

    # --- the workers -------------------------------------------------------------------------

    @callback
    def _start_worker(self, item: OutboxItem, *, holding_slot: bool) -> None:
        if self._stopped:
            if holding_slot:
                # submitted ``sending`` while Home Assistant began to stop: it never left
                self._slots.release()
                item.state = SendState.QUEUED
                self._journal.write_soon(Record.CONCLUDED, item.to_dict())
            return
        task = self._entry.async_create_background_task(
            self.hass,
            self._async_run(item, holding_slot=holding_slot),
            f"{DOMAIN} outbox {item.outbox_id}",
        )
        if task.done():
            return
        self._workers[item.outbox_id] = task
        task.add_done_callback(lambda _: self._workers.pop(item.outbox_id, None))

    async def _async_run(self, item: OutboxItem, *, holding_slot: bool) -> None:
        """Attempt ``item`` until it is final."""
        wakes = self._wakes
        try:
            while not item.final:
                self._attempts.pop(item.outbox_id, None)  # the last attempt's trace is done
                if not holding_slot:
                    await self._async_until_due(item, wakes)
                    if self._too_old(item) and item.outbox_id not in self._to_verify:
                        # too old to send late; but one that may have gone out is unknown
                        if item.maybe_sent:
                            await self._async_finish(item, SendState.UNCONFIRMED, REASON_EXPIRED)
                        else:
                            await self._async_finish(item, SendState.EXPIRED, REASON_EXPIRED)
                        return
                    await self._slots.acquire()
                try:
                    if self._stopped:
                        return  # stopping: no new attempt (the item is written as it is)
                    if not holding_slot:
                        # on disk, ``sending`` before the request can leave
                        before = item.state
                        item.state = SendState.SENDING
                        try:
                            await self._journal.async_write(Record.ATTEMPT, item.to_dict())
                        except OSError:
                            # not on the disk: no request may leave; the disk may come back
                            item.state = before
                            delay = self.backoff(item.attempts + 1, None)
                            item.next_attempt_at = self.clock() + timedelta(seconds=delay)
                            continue
                        self._owner.async_item_changed(item)
                    holding_slot = False
                    wakes = self._wakes
                    attempt = await self._async_attempt(item)
                finally:
                    self._slots.release()
                await self._async_apply(item, attempt)
        except asyncio.CancelledError:
            if item.state is SendState.SENDING and self._certainly_unsent(item):
                # cut short before any request of it was written
                item.state = SendState.QUEUED
                item.next_attempt_at = None
            # Home Assistant stops: the stop waits for this record
            self._journal.write_soon(Record.CONCLUDED, item.to_dict())
            raise
        except Exception:
            # a bug must not leave the item waiting for ever without a word: it may have
            # gone only if one of its requests was written
            _LOGGER.exception("Outbox item %s failed unexpectedly", item.outbox_id)
            state = SendState.FAILED if self._certainly_unsent(item) else SendState.UNCONFIRMED
            await self._async_finish(item, state, REASON_INTERNAL_ERROR)
        finally:
            self._attempts.pop(item.outbox_id, None)

    def _certainly_unsent(self, item: OutboxItem) -> bool:
        """Whether ``item`` certainly never went: no request of its attempt was written.

        An item that may have gone before (found ``sending`` at start-up, or an unknown
        outcome) never is: only a verification may settle it.
        """
        if item.outbox_id in self._to_verify or item.maybe_sent:
            return False
        trace = self._attempts.get(item.outbox_id)
        return trace is None or trace.nothing_sent

    async def _async_attempt(self, item: OutboxItem) -> Attempt:
        with trace_attempt() as trace:
            self._attempts[item.outbox_id] = trace
            self._in_flight.add(item.outbox_id)
            try:
                if item.outbox_id in self._to_verify:
                    attempt = await self._owner.async_verify(item)
                    self._to_verify.discard(item.outbox_id)
                    return _with_reason(attempt, REASON_INTERRUPTED)
                return _with_reason(await self._owner.async_attempt(item), REASON_CANNOT_VERIFY)
            finally:
                self._in_flight.discard(item.outbox_id)

    async def _async_until_due(self, item: OutboxItem, wakes: int) -> None:
        """Sleep until the item's next attempt, or until it expires if that comes first.

        Shorter when the route came back (``async_retry_now``), now or since ``wakes``.
        """
        if item.next_attempt_at is None or self._wakes != wakes:
            return
        due = min(item.next_attempt_at, item.created_at + self.max_age)
        delay = (due - self.clock()).total_seconds()
        if delay <= 0:
            return
        sleeping = asyncio.ensure_future(self.sleep(delay))
        woken = asyncio.ensure_future(self._woken.wait())
        try:
            await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            woken.cancel()
        if sleeping.done() and not sleeping.cancelled():
            sleeping.result()  # a failing sleep (a test's clock) is not hidden

    @property
    def max_age(self) -> timedelta:
        """How long an item may wait: older, it expires rather than being sent late."""
        minutes = self._entry.options.get(CONF_MAX_AGE)
        return timedelta(minutes=minutes) if minutes else DEFAULT_MAX_AGE

    def _too_old(self, item: OutboxItem) -> bool:
        return self.clock() - item.created_at >= self.max_age

    def backoff(self, retries: int, retry_after: float | None) -> float:
        """Seconds before the next attempt after ``retries`` failed ones (full jitter).

        ``retry_after`` (the gateway's own figure) is a minimum.
        """
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, retries - 1))
        delay = self.jitter(0, ceiling)
        return max(delay, retry_after or 0.0)

    async def _async_apply(self, item: OutboxItem, attempt: Attempt) -> None:
        """Record what one attempt concluded."""
        item.attempts += 1
        item.route = attempt.route or item.route
        item.error = attempt.error
        if attempt.result is not None:
            item.result = merge_results(item.result, attempt.result)
            await self._owner.async_record_accepted(item, attempt.result, attempt.route)
        reason = type(attempt.error).__name__ if attempt.error is not None else attempt.reason
        if attempt.outcome is AttemptOutcome.SENT:
            state = SendState.SENT if item.result is None else status_of(item.result)
            await self._async_finish(item, state, None)
        elif attempt.outcome is AttemptOutcome.FAILED:
            await self._async_finish(item, SendState.FAILED, reason)
        elif attempt.outcome is AttemptOutcome.UNCONFIRMED:
            await self._async_finish(item, SendState.UNCONFIRMED, reason)
        else:
            delay = self.backoff(item.attempts, attempt.retry_after)
            item.state = SendState.QUEUED
            item.reason = reason
            item.next_attempt_at = self.clock() + timedelta(seconds=delay)
            self._journal.write_soon(Record.CONCLUDED, item.to_dict())
            self._owner.async_item_changed(item)

    async def _async_finish(self, item: OutboxItem, state: SendState, reason: str | None) -> None:
        item.state = state
        item.reason = reason
        item.next_attempt_at = None
        self._waiting.pop(item.outbox_id, None)
        if len(self._history) == HISTORY:
            self._history_counts[self._history[0].state] -= 1
        self._history.append(item)
        self._history_counts[state] += 1
        # nothing waits for the disk: losing this record to a power cut in the instant after
        # costs a verification at start-up
        self._journal.write_soon(Record.FINAL, {"outbox_id": item.outbox_id})
        if state in LOST_STATES:
            self._fire_failed(item)
            await self._async_notify(item)
        self._owner.async_item_changed(item)
        if (event := self._done.pop(item.outbox_id, None)) is not None:
            event.set()

    # --- telling the user --------------------------------------------------------------------

    @callback
    def _fire_failed(self, item: OutboxItem) -> None:
        recipients = item.request.recipients if item.remaining is None else item.remaining
        # one recipient: its device; several, or none known: the account's
        number = recipients[0] if len(recipients) == 1 else None
        self.hass.bus.async_fire(
            EVENT_SEND_FAILED,
            {
                "entry_id": item.entry_id,
                "device_id": self._owner.device_id_of(number),
                "outbox_id": item.outbox_id,
                "message_id": None if item.result is None else item.result.message_id,
                "recipients": list(recipients),
                "reason": item.reason,
                "attempts": item.attempts,
                "final_status": str(item.state),
                "reference": item.request.reference,
                **self._owner.carrier_fields(item),
            },
        )

    async def _async_notify(self, item: OutboxItem) -> None:
        """A persistent notification in the user's language: counts and ids, no number."""
        strings = await async_get_translations(
            self.hass, self.hass.config.language, "issues", {DOMAIN}
        )
        key = f"component.{DOMAIN}.issues.outbox_{item.state}"
        placeholders = {
            "account": self._entry.title,
            "outbox_id": item.outbox_id,
            "recipients": str(len(item.request.recipients)),
            "attempts": str(item.attempts),
            "reason": item.reason or "-",
            "reference": item.request.reference or "-",
        }
        title = strings.get(f"{key}.title", "Texto: SMS not sent")
        message = strings.get(f"{key}.description", "{outbox_id}")
        persistent_notification.async_create(
            self.hass,
            message.format(**placeholders),
            title=title.format(**placeholders),
            notification_id=f"{DOMAIN}_{item.outbox_id}",
        )

    # --- storage -----------------------------------------------------------------------------

    def _snapshot(self) -> list[dict[str, Any]]:
        return [item.to_dict() for item in self._waiting.values()]


def _with_reason(attempt: Attempt, reason: str) -> Attempt:
    """``attempt``, an unconfirmed one saying why when the gateway gave no error."""
    if attempt.outcome is AttemptOutcome.UNCONFIRMED and attempt.error is None:
        return replace(attempt, reason=attempt.reason or reason)
    return attempt
