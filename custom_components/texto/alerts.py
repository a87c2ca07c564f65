"""Alerts that escalate until someone answers: the engine, integration-wide.

An alert texts its ladder one step at a time, each step through its recipient's account
outbox, and waits ``escalate_after`` between steps (absolute deadlines: a restart resumes
with the time left, a step due while Home Assistant was down runs once at start-up). A
verified reply, a delivery report or an action acknowledges it; after the last step it stops,
repeats or calls. Every change is written to ``alert_store`` first; a step is written
*starting* (synced, with its outbox reference) before its SMS is submitted, so a crash
between the two is settled at start-up by looking the reference up in the outbox and the sent
log: a step goes out once.

Public interface for the surface (sensor, triggers, logbook): ``async_get_alerts(hass)``,
``AlertManager.open_alerts_for(entry_id)`` and ``SIGNAL_ALERTS_CHANGED`` (signals.py), sent on
every change.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from homeassistant.components import persistent_notification
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ulid import ulid_now

from .alert_store import AlertData, AlertStore
from .common_texts import async_common_texts
from .const import DOMAIN, EVENT_ALERT, EVENT_DELIVERY_REPORT, EVENT_SMS_RECEIVED
from .errors import validation_error
from .signals import SIGNAL_ALERTS_CHANGED

_LOGGER = logging.getLogger(__name__)

#: ended alerts are kept this long for the record, then dropped at a compaction
KEEP_ENDED: Final = timedelta(days=1)
DEFAULT_ACKNOWLEDGE_TEXTS: Final = ("OK", "1", "oui", "yes")
#: the surface lists at most this many alerts
MAX_LISTED: Final = 20


class AlertState(StrEnum):
    """Where an alert is."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CANCELLED = "cancelled"
    UNANSWERED = "unanswered"


class AcknowledgeBy(StrEnum):
    """What acknowledges an alert besides the actions."""

    REPLY = "reply"
    DELIVERED = "delivered"


class Then(StrEnum):
    """What follows the last step unanswered."""

    STOP = "stop"
    REPEAT = "repeat"
    CALL = "call"


class StepKind(StrEnum):
    """What a sent step was."""

    SMS = "sms"
    CALL = "call"
    #: the "acknowledged by" SMS to the others
    TOLD = "told"


@dataclass(frozen=True, slots=True)
class Rung:
    """A recipient of the ladder, resolved at raise time."""

    entity_id: str
    entry_id: str
    subentry_id: str
    number: str
    name: str


@dataclass(slots=True)
class SentStep:
    """One SMS (or call) of an alert; ``outbox_id`` None while it is only *starting*."""

    kind: StepKind
    round: int
    step: int
    recipient: str
    number: str
    reference: str
    outbox_id: str | None = None
    #: why it could not be submitted (a translation key), if it could not
    error: str | None = None


@dataclass(slots=True)
class Alert:
    """An alert and everything that happened to it."""

    alert_id: str
    tag: str | None
    message: str
    ladder: list[Rung]
    escalate_after: timedelta
    acknowledge_by: AcknowledgeBy
    texts: list[str]
    then: Then
    rounds: int
    max_parts: int | None
    tell_others: bool
    raised_at: datetime
    state: AlertState = AlertState.OPEN
    round: int = 1
    step: int = 1
    next_step_at: datetime | None = None
    steps: list[SentStep] = field(default_factory=list)
    acknowledged_by: str | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    #: the "acknowledged by" SMS were all submitted
    told: bool = False

    @property
    def open(self) -> bool:
        """Whether the alert still escalates."""
        return self.state is AlertState.OPEN

    @property
    def calling(self) -> bool:
        """Whether the calls after the last step have begun."""
        return any(step.kind is StepKind.CALL for step in self.steps)

    def to_dict(self) -> AlertData:
        """The stored form (private file: numbers and text)."""
        data = asdict(self)
        data["escalate_after"] = self.escalate_after.total_seconds()
        for key in ("raised_at", "next_step_at", "ended_at"):
            value = getattr(self, key)
            data[key] = None if value is None else value.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: AlertData) -> Alert:
        """Read the stored form (raise KeyError, TypeError or ValueError when it is not one)."""
        return cls(
            alert_id=data["alert_id"],
            tag=data["tag"],
            message=data["message"],
            ladder=[Rung(**rung) for rung in data["ladder"]],
            escalate_after=timedelta(seconds=float(data["escalate_after"])),
            acknowledge_by=AcknowledgeBy(data["acknowledge_by"]),
            texts=list(data["texts"]),
            then=Then(data["then"]),
            rounds=int(data["rounds"]),
            max_parts=data["max_parts"],
            tell_others=bool(data["tell_others"]),
            raised_at=datetime.fromisoformat(data["raised_at"]),
            state=AlertState(data["state"]),
            round=int(data["round"]),
            step=int(data["step"]),
            next_step_at=_from_iso(data["next_step_at"]),
            steps=[SentStep(**{**step, "kind": StepKind(step["kind"])}) for step in data["steps"]],
            acknowledged_by=data["acknowledged_by"],
            ended_at=_from_iso(data["ended_at"]),
            reason=data["reason"],
            told=bool(data.get("told", False)),
        )


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class AlertView:
    """What the surface shows of an open alert."""

    alert_id: str
    tag: str | None
    #: the step last texted (1-based)
    step: int
    round: int
    #: when the next step (or the end) comes, UTC
    next_step_at: datetime | None
    #: the notify entities texted so far in this alert
    texted: tuple[str, ...]


def normalised(text: str) -> str:
    """A reply as compared with the acknowledge texts: casefolded, no accents, no spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace())


def step_reference(alert_id: str, kind: StepKind, round_: int, step: int) -> str:
    """The outbox reference of a step: deterministic, so a restart finds what it sent."""
    if kind is StepKind.CALL:
        return f"alert-{alert_id}-c{step}"
    if kind is StepKind.TOLD:
        return f"alert-{alert_id}-k{step}"
    return f"alert-{alert_id}-r{round_}-s{step}"


def alert_id_of(reference: str | None) -> str | None:
    """The alert a step's reference belongs to (None: not an alert's)."""
    if not reference or not reference.startswith("alert-"):
        return None
    return reference.split("-")[1]


class SpendingCapError(Exception):
    """The spending cap refused a step."""


class AlertSender(Protocol):
    """How the engine sends (the accounts' outboxes; tests give their own)."""

    async def async_submit(
        self, rung: Rung, text: str, *, reference: str, max_parts: int | None, voice: bool
    ) -> str:
        """Submit to the rung's account outbox; its outbox id.

        Raise SpendingCapError when the cap refuses it, HomeAssistantError otherwise.
        """

    def find_submitted(self, rung: Rung, reference: str, since: datetime) -> str | None:
        """The outbox id (or the sent log's id) of what was submitted under ``reference``."""

    def fits(self, rung: Rung, text: str, max_parts: int | None) -> bool:
        """Whether ``text`` fits the alert's parts on the rung's route."""

    def step_of_message(self, entry_id: str, message_id: str | None) -> str | None:
        """The reference of the send a gateway's message id names (replies' in_reply_to)."""


type Texts = dict[str, str]

#: the texts of an alert's SMS, their ``common`` keys and English (a missing language)
ENGLISH_TEXTS: Final[Texts] = {
    "alert_ordinal_1": "1st",
    "alert_ordinal_2": "2nd",
    "alert_ordinal_3": "3rd",
    "alert_ordinal_n": "{n}th",
    "alert_step": "{ordinal} alert: {names} has not answered. {message}",
    "alert_step_several": "{ordinal} alert: {names} have not answered. {message}",
    "alert_step_short": "{ordinal} alert: {message}",
    "alert_call": "Alert: {message}",
    "alert_acknowledged_by": "Alert acknowledged by {name}: {message}",
    "alert_acknowledged_by_short": "Alert acknowledged by {name}.",
    "alert_acknowledged": "Alert acknowledged: {message}",
    "alert_acknowledged_short": "Alert acknowledged.",
    "alert_spending_cap_title": "Texto: an alert was stopped by the spending cap",
    "alert_spending_cap": (
        "The daily spending cap refused step {step} of an alert: it stopped unanswered. "
        "Raise the cap in Texto's options (Delivery) if alerts must always go out."
    ),
}


def _ordinal(texts: Texts, n: int) -> str:
    key = f"alert_ordinal_{n}" if n <= 3 else "alert_ordinal_n"
    return texts[key].format(n=n)


class AlertManager:
    """Every alert of the installation: raises, escalates, acknowledges, remembers."""

    def __init__(self, hass: HomeAssistant, store: AlertStore, sender: AlertSender) -> None:
        self.hass = hass
        self.store = store
        self.sender = sender
        store.snapshot = self._snapshot
        self.clock: Callable[[], datetime] = dt_util.utcnow
        self.alerts: dict[str, Alert] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._resumed: set[str] = set()
        #: one change at a time: a reply never races a step
        self._lock = asyncio.Lock()
        self._listeners: list[CALLBACK_TYPE] = []
        self._texts: Texts | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: a test's crash point: the last step's text, and the events (not needed at run time)
        self.stopped = False

    # --- life ----------------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the journal (timers start when the accounts are there: ``async_resume``)."""
        for data in await self.store.async_load():
            try:
                alert = Alert.from_dict(data)
            except (KeyError, TypeError, ValueError):
                _LOGGER.warning("Alerts: a stored alert cannot be read and is skipped")
                continue
            self.alerts[alert.alert_id] = alert
        await self.store.async_compact()

    @callback
    def async_listen(self) -> None:
        """Follow the replies and delivery reports (once)."""
        if self._listeners:
            return
        self._listeners = [
            self.hass.bus.async_listen(EVENT_SMS_RECEIVED, self._on_reply),
            self.hass.bus.async_listen(EVENT_DELIVERY_REPORT, self._on_report),
        ]

    async def async_resume(self, entry_id: str | None = None) -> None:
        """Resume the alerts of an account just loaded (None: every alert).

        A step left *starting* is looked up by its reference: found, it is submitted; not
        found, it is submitted now. A step due meanwhile runs now, once; the others wait
        for the time they had left.
        """
        self.stopped = False
        async with self._lock:
            for alert in list(self.alerts.values()):
                if alert.alert_id in self._resumed:
                    continue
                if entry_id is not None and all(r.entry_id != entry_id for r in alert.ladder):
                    continue
                self._resumed.add(alert.alert_id)
                await self._async_settle_starting(alert)
                if alert.state is AlertState.ACKNOWLEDGED and not alert.told:
                    await self._async_tell_others(alert)
                if not alert.open:
                    continue
                now = self.clock()
                if alert.calling or alert.next_step_at is None or alert.next_step_at <= now:
                    await self._async_advance(alert)
                else:
                    self._schedule(alert)
        self._changed()

    async def async_stop(self) -> None:
        """Stop every timer and listener (the last account went, or Home Assistant stops)."""
        self.stopped = True
        for remove in self._listeners:
            remove()
        self._listeners.clear()
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        self._resumed.clear()
        async with self._lock:  # what was running finishes
            pass
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    # --- the surface ---------------------------------------------------------------------------

    def open_alerts_for(self, entry_id: str) -> list[AlertView]:
        """The open alerts whose ladder has a recipient of that account, newest first."""
        views = [
            self.view(alert)
            for alert in self.alerts.values()
            if alert.open and any(rung.entry_id == entry_id for rung in alert.ladder)
        ]
        return list(reversed(views))

    @staticmethod
    def view(alert: Alert) -> AlertView:
        """What the surface shows of ``alert``."""
        texted = dict.fromkeys(step.recipient for step in alert.steps if step.kind is StepKind.SMS)
        return AlertView(
            alert_id=alert.alert_id,
            tag=alert.tag,
            step=alert.step,
            round=alert.round,
            next_step_at=alert.next_step_at,
            texted=tuple(texted),
        )

    def find(self, alert_id: str | None = None, tag: str | None = None) -> Alert | None:
        """The alert with this id, or the open one with this tag (else the latest with it)."""
        if alert_id is not None:
            return self.alerts.get(alert_id)
        tagged = [alert for alert in self.alerts.values() if alert.tag == tag]
        return next((alert for alert in reversed(tagged) if alert.open), None) or (
            tagged[-1] if tagged else None
        )

    # --- actions -------------------------------------------------------------------------------

    async def async_raise(
        self,
        *,
        message: str,
        ladder: list[Rung],
        escalate_after: timedelta,
        acknowledge_by: AcknowledgeBy = AcknowledgeBy.REPLY,
        texts: Iterable[str] = DEFAULT_ACKNOWLEDGE_TEXTS,
        then: Then = Then.STOP,
        rounds: int = 2,
        tag: str | None = None,
        max_parts: int | None = None,
        tell_others: bool = True,
    ) -> Alert:
        """Raise an alert (an open one with the same tag is replaced): its first step goes now."""
        await self._async_texts()
        async with self._lock:
            if tag is not None and (old := self.find(tag=tag)) is not None and old.open:
                await self._async_end(old, AlertState.CANCELLED, why="replaced")
            alert = Alert(
                alert_id=ulid_now(),
                tag=tag,
                message=message,
                ladder=ladder,
                escalate_after=escalate_after,
                acknowledge_by=acknowledge_by,
                texts=[normalised(text) for text in texts],
                then=then,
                rounds=rounds,
                max_parts=max_parts,
                tell_others=tell_others,
                raised_at=self.clock(),
            )
            self.alerts[alert.alert_id] = alert
            self._resumed.add(alert.alert_id)
            self._fire(alert, "raised", recipient=ladder[0].entity_id)
            await self._async_step(alert, 1, 1)
        self._changed()
        return alert

    async def async_acknowledge(
        self, alert: Alert, *, by: Rung | None = None, name: str | None = None
    ) -> bool:
        """Acknowledge ``alert`` (False: it had already ended)."""
        async with self._lock:
            if not alert.open:
                return False
            alert.acknowledged_by = by.entity_id if by is not None else None
            await self._async_end(
                alert, AlertState.ACKNOWLEDGED, recipient=alert.acknowledged_by, by_name=name
            )
            await self._async_tell_others(alert, by=by, name=name)
        self._changed()
        return True

    async def async_cancel(self, alert: Alert) -> bool:
        """Cancel ``alert`` (False: it had already ended)."""
        async with self._lock:
            if not alert.open:
                return False
            await self._async_end(alert, AlertState.CANCELLED)
        self._changed()
        return True

    # --- steps ---------------------------------------------------------------------------------

    async def _async_advance(self, alert: Alert) -> None:
        """The current step passed unanswered: the next step, the next round, calls, or the end."""
        if alert.calling:
            await self._async_call(alert)
        elif alert.step < len(alert.ladder):
            self._fire(
                alert,
                "escalated",
                step=alert.step + 1,
                round_=alert.round,
                recipient=alert.ladder[alert.step].entity_id,
            )
            await self._async_step(alert, alert.round, alert.step + 1)
        elif alert.then is Then.REPEAT and alert.round < alert.rounds:
            self._fire(
                alert,
                "escalated",
                step=1,
                round_=alert.round + 1,
                recipient=alert.ladder[0].entity_id,
            )
            await self._async_step(alert, alert.round + 1, 1)
        elif alert.then is Then.CALL:
            await self._async_call(alert)
        else:
            await self._async_end(alert, AlertState.UNANSWERED)

    async def _async_step(self, alert: Alert, round_: int, step: int) -> None:
        """Text step ``step`` of round ``round_``, once; then wait for the next."""
        reference = step_reference(alert.alert_id, StepKind.SMS, round_, step)
        rung = alert.ladder[step - 1]
        alert.round, alert.step = round_, step
        alert.next_step_at = self.clock() + alert.escalate_after
        if any(sent.reference == reference for sent in alert.steps):
            self._schedule(alert)  # already started: a replayed timer
            return
        text = self._step_text(alert, rung, round_, step)
        sent = SentStep(StepKind.SMS, round_, step, rung.entity_id, rung.number, reference)
        if await self._async_submit(alert, sent, rung, text, voice=False):
            self._schedule(alert)

    async def _async_call(self, alert: Alert) -> None:
        """One voice message per recipient of the ladder, once each; then unanswered."""
        for index, rung in enumerate(alert.ladder, start=1):
            reference = step_reference(alert.alert_id, StepKind.CALL, alert.round, index)
            if any(sent.reference == reference for sent in alert.steps):
                continue
            sent = SentStep(
                StepKind.CALL, alert.round, index, rung.entity_id, rung.number, reference
            )
            if not await self._async_submit(alert, sent, rung, self._call_text(alert), voice=True):
                return
        await self._async_end(alert, AlertState.UNANSWERED)

    async def _async_submit(
        self, alert: Alert, sent: SentStep, rung: Rung, text: str, *, voice: bool
    ) -> bool:
        """Write the step *starting* (synced), submit it, write it *submitted*.

        False when the spending cap refused it: the alert then ended.
        """
        alert.steps.append(sent)
        await self.store.async_write(alert.to_dict(), sync=True)
        try:
            sent.outbox_id = await self.sender.async_submit(
                rung, text, reference=sent.reference, max_parts=alert.max_parts, voice=voice
            )
        except SpendingCapError:
            sent.error = "spending_cap_reached"
            await self._async_end(alert, AlertState.UNANSWERED, why="spending_cap")
            await self._async_tell_cap(alert, sent)
            return False
        except HomeAssistantError as err:
            # not sent (account unloaded, outbox full...): the next step goes all the same
            sent.error = err.translation_key or type(err).__name__
            _LOGGER.warning(
                "Alert %s: step %s could not be submitted (%s)",
                alert.alert_id,
                sent.step,
                sent.error,
            )
        await self.store.async_write(alert.to_dict(), sync=False)
        return True

    async def _async_settle_starting(self, alert: Alert) -> None:
        """At start-up: a step written *starting* and not *submitted* is found, or sent now."""
        for sent in alert.steps:
            if sent.outbox_id is not None or sent.error is not None:
                continue
            rung = (
                next(r for r in alert.ladder if r.entity_id == sent.recipient)
                if any(r.entity_id == sent.recipient for r in alert.ladder)
                else Rung(sent.recipient, alert.ladder[0].entry_id, "", sent.number, "")
            )
            found = self.sender.find_submitted(rung, sent.reference, alert.raised_at)
            if found is not None:
                sent.outbox_id = found
                await self.store.async_write(alert.to_dict(), sync=False)
                continue
            alert.steps.remove(sent)
            await self._async_resubmit(alert, sent, rung)

    async def _async_resubmit(self, alert: Alert, sent: SentStep, rung: Rung) -> None:
        if sent.kind is StepKind.CALL:
            text, voice = self._call_text(alert), True
        elif sent.kind is StepKind.TOLD:
            text, voice = self._told_text(alert, rung, None), False
        else:
            text, voice = self._step_text(alert, rung, sent.round, sent.step), False
        await self._async_texts()
        await self._async_submit(alert, sent, rung, text, voice=voice)

    # --- acknowledging -------------------------------------------------------------------------

    @callback
    def _on_reply(self, event: Event[dict[str, Any]]) -> None:
        data = event.data
        if not data.get("verified") or not isinstance(data.get("text"), str):
            return
        if normalised(data["text"]) == "":
            return
        self._start(self._async_reply(data))

    def acknowledges(self, sender: str, text: str) -> bool:
        """Whether ``text`` from ``sender`` would acknowledge an open alert (Assist leaves it)."""
        return bool(self._acknowledged_by(sender, normalised(text)))

    def _acknowledged_by(self, sender: str, text: str) -> list[Alert]:
        """The open alerts a reply ``text`` (normalised) from ``sender`` acknowledges."""
        return [
            alert
            for alert in self.alerts.values()
            if alert.open
            and alert.acknowledge_by is AcknowledgeBy.REPLY
            and text in alert.texts
            and any(rung.number == sender for rung in alert.ladder)
        ]

    async def _async_reply(self, data: dict[str, Any]) -> None:
        sender, text = str(data.get("sender")), normalised(data["text"])
        candidates = self._acknowledged_by(sender, text)
        if not candidates:
            return
        answered = alert_id_of(
            self.sender.step_of_message(str(data.get("entry_id")), data.get("in_reply_to"))
        )
        alert = next((a for a in candidates if a.alert_id == answered), None)
        if alert is None:
            alert = max(candidates, key=lambda a: _last_texted(a, sender))
        rung = next(r for r in alert.ladder if r.number == sender)
        await self.async_acknowledge(alert, by=rung, name=rung.name)

    @callback
    def _on_report(self, event: Event[dict[str, Any]]) -> None:
        data = event.data
        if data.get("status") != "delivered":
            return
        alert = self.alerts.get(alert_id_of(data.get("reference")) or "")
        if alert is None or not alert.open or alert.acknowledge_by is not AcknowledgeBy.DELIVERED:
            return
        sent = next(
            (
                s
                for s in alert.steps
                if s.reference == data.get("reference") and s.kind is StepKind.SMS
            ),
            None,
        )
        if sent is None:
            return
        rung = next((r for r in alert.ladder if r.entity_id == sent.recipient), None)
        self._start(self.async_acknowledge(alert, by=rung, name=rung.name if rung else None))

    async def _async_tell_others(
        self, alert: Alert, *, by: Rung | None = None, name: str | None = None
    ) -> None:
        """The "acknowledged by" SMS to the others who were texted, once each."""
        if not alert.tell_others or alert.told:
            return
        await self._async_texts()
        acknowledger = by.number if by is not None else None
        if by is None and alert.acknowledged_by is not None:
            by = next((r for r in alert.ladder if r.entity_id == alert.acknowledged_by), None)
            acknowledger = by.number if by is not None else None
        name = name or (by.name if by is not None else None)
        texted = [s for s in alert.steps if s.kind in (StepKind.SMS, StepKind.CALL)]
        numbers = dict.fromkeys(s.number for s in texted if s.number != acknowledger)
        for index, number in enumerate(numbers, start=1):
            reference = step_reference(alert.alert_id, StepKind.TOLD, alert.round, index)
            if any(sent.reference == reference for sent in alert.steps):
                continue
            rung = next(r for r in alert.ladder if r.number == number)
            sent = SentStep(StepKind.TOLD, alert.round, index, rung.entity_id, number, reference)
            await self._async_submit(
                alert, sent, rung, self._told_text(alert, rung, name), voice=False
            )
        alert.told = True
        await self.store.async_write(alert.to_dict(), sync=False)

    # --- ending --------------------------------------------------------------------------------

    async def _async_end(
        self,
        alert: Alert,
        state: AlertState,
        *,
        recipient: str | None = None,
        why: str | None = None,
        by_name: str | None = None,
    ) -> None:
        alert.state, alert.ended_at, alert.reason = state, self.clock(), why
        alert.next_step_at = None
        if (cancel := self._timers.pop(alert.alert_id, None)) is not None:
            cancel()
        await self.store.async_write(alert.to_dict(), sync=False)
        kind = {AlertState.ACKNOWLEDGED: "acknowledged", AlertState.CANCELLED: "cancelled"}.get(
            state, "unanswered"
        )
        self._fire(alert, kind, recipient=recipient, why=why)

    async def _async_tell_cap(self, alert: Alert, sent: SentStep) -> None:
        texts = await self._async_texts()
        persistent_notification.async_create(
            self.hass,
            texts["alert_spending_cap"].format(step=sent.step),
            title=texts["alert_spending_cap_title"],
            notification_id=f"{DOMAIN}_alert_{alert.alert_id}_spending_cap",
        )

    # --- texts ---------------------------------------------------------------------------------

    async def _async_texts(self) -> Texts:
        """The alerts' texts in Home Assistant's language."""
        if self._texts is None:
            self._texts = await async_common_texts(self.hass, ENGLISH_TEXTS)
        return self._texts

    def _step_text(self, alert: Alert, rung: Rung, round_: int, step: int) -> str:
        """Step 1: the message; later: which alert it is and who has not answered, if it fits."""
        if round_ == 1 and step == 1:
            return alert.message
        texts = self._texts or ENGLISH_TEXTS
        silent = alert.ladder if round_ > 1 else alert.ladder[: step - 1]
        names = list(dict.fromkeys(r.name for r in silent))
        ordinal = _ordinal(texts, (round_ - 1) * len(alert.ladder) + step)
        key = "alert_step" if len(names) == 1 else "alert_step_several"
        for text in (
            texts[key].format(ordinal=ordinal, names=", ".join(names), message=alert.message),
            texts["alert_step_short"].format(ordinal=ordinal, message=alert.message),
        ):
            if self.sender.fits(rung, text, alert.max_parts):
                return text
        return alert.message  # checked at raise time: the message alone fits

    def _call_text(self, alert: Alert) -> str:
        """What a call says: that it is an alert, then the message.

        Never step 1's text word for word: 123-SMS refuses the same text to the same number
        within 24 hours.
        """
        return (self._texts or ENGLISH_TEXTS)["alert_call"].format(message=alert.message)

    def _told_text(self, alert: Alert, rung: Rung, name: str | None) -> str:
        texts = self._texts or ENGLISH_TEXTS
        if name:
            long, short = "alert_acknowledged_by", "alert_acknowledged_by_short"
        else:
            long, short = "alert_acknowledged", "alert_acknowledged_short"
        text = texts[long].format(name=name, message=alert.message)
        if self.sender.fits(rung, text, alert.max_parts):
            return text
        return texts[short].format(name=name)

    # --- plumbing ------------------------------------------------------------------------------

    def _schedule(self, alert: Alert) -> None:
        if (cancel := self._timers.pop(alert.alert_id, None)) is not None:
            cancel()
        if self.stopped or alert.next_step_at is None:
            return
        alert_id = alert.alert_id

        @callback
        def due(_now: datetime) -> None:
            self._timers.pop(alert_id, None)
            self._start(self.async_due(alert_id))

        self._timers[alert_id] = async_track_point_in_utc_time(
            self.hass, HassJob(due, cancel_on_shutdown=True), alert.next_step_at
        )

    async def async_due(self, alert_id: str) -> None:
        """A step's wait ended: the next move (nothing if the alert ended meanwhile)."""
        async with self._lock:
            alert = self.alerts.get(alert_id)
            if alert is None or not alert.open or alert.next_step_at is None:
                return
            if alert.next_step_at > self.clock():
                self._schedule(alert)  # an early fire: wait for the time left
                return
            await self._async_advance(alert)
        self._changed()

    def _start(self, job: Any) -> None:
        task: asyncio.Task[None] = self.hass.async_create_task(
            job, f"{DOMAIN} alert", eager_start=True
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fire(
        self,
        alert: Alert,
        kind: str,
        *,
        step: int | None = None,
        round_: int | None = None,
        recipient: str | None = None,
        why: str | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "alert_id": alert.alert_id,
            "type": kind,
            "tag": alert.tag,
            "step": step if step is not None else alert.step,
            "recipient": recipient,
            "seconds": int((self.clock() - alert.raised_at).total_seconds()),
            "round": round_ if round_ is not None else alert.round,
        }
        if why is not None:
            data["reason"] = why
        self.hass.bus.async_fire(EVENT_ALERT, data)
        self._changed()

    @callback
    def _changed(self) -> None:
        async_dispatcher_send(self.hass, SIGNAL_ALERTS_CHANGED)

    def _snapshot(self) -> list[AlertData]:
        """The alerts to keep: open ones, and the ended ones of the last day."""
        oldest = self.clock() - KEEP_ENDED
        for alert_id in [
            a.alert_id
            for a in self.alerts.values()
            if a.ended_at is not None and a.ended_at < oldest
        ]:
            del self.alerts[alert_id]
        return [alert.to_dict() for alert in self.alerts.values()]


def _last_texted(alert: Alert, number: str) -> tuple[int, datetime]:
    """How recently ``alert`` texted ``number`` (its sends' order, then when it was raised)."""
    indexes = [i for i, s in enumerate(alert.steps) if s.number == number]
    return (max(indexes) + 1 if indexes else 0, alert.raised_at)


DATA_ALERTS: HassKey[AlertManager] = HassKey("texto_alerts")


def async_get_alerts(hass: HomeAssistant) -> AlertManager:
    """The installation's alert manager (created by Texto's ``async_setup``)."""
    return hass.data[DATA_ALERTS]


def refused(key: str, **placeholders: object) -> ServiceValidationError:
    """A translated refusal of an alert action."""
    return validation_error(key, **placeholders)
