"""One Texto account at run time: its routes, its options, what it last sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NoReturn

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DEFAULT_SENDER,
    CONF_MAX_PARTS,
    CONF_MESSAGE_CLASS,
    CONF_ROUTE,
    CONF_STOP_MENTION,
    CONF_TEXT_POLICY,
    DOMAIN,
    FALLBACK_MAIL2SMS,
    MESSAGE_CLASS_REPLIES,
    ROUTE_EMAIL,
    SendState,
)
from .coordinator import BalanceCoordinator
from .delivery import request_of
from .errors import gateway_error, raise_translated, validation_error
from .gateway.base import Gateway
from .gateway.errors import GatewayError
from .gateway.mail2sms import Mail2SmsGateway
from .gateway.models import (
    DeliveryStatus,
    Estimate,
    PreparedSend,
    Provider,
    SendRequest,
    SendResult,
    StopMention,
    TextPolicy,
)
from .inbox import DeliveryReportData, Inbox
from .outbox import LOST_STATES, Outbox, OutboxItem, status_of
from .scheduled import ScheduledSends, scheduled_store
from .sent_log import SAVE_DELAY, SentLog, sent_log_store
from .spending import SpendingGuard

type TextoConfigEntry = ConfigEntry[TextoAccount]


@dataclass(frozen=True, slots=True)
class LastSend:
    """What the last send through this account became."""

    state: SendState
    message_id: str | None = None
    recipients: int = 0
    parts: int | None = None
    billed_parts: int | None = None
    #: the translation key of the error, when it failed
    error: str | None = None
    at: datetime = field(default_factory=dt_util.utcnow)
    #: E.164 numbers the gateway accepted: the delivery reports are counted against them
    accepted: tuple[str, ...] = ()
    #: the latest delivery status reported for each accepted number
    reports: Mapping[str, DeliveryStatus] = field(default_factory=dict)
    #: the outbox item of this send
    outbox_id: str | None = None
    #: what carried it: the entry id, or "mail2sms"
    route: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "state": str(self.state),
            "message_id": self.message_id,
            "recipients": self.recipients,
            "parts": self.parts,
            "billed_parts": self.billed_parts,
            "error": self.error,
            "at": self.at.isoformat(),
            "accepted": list(self.accepted),
            "reports": {number: str(status) for number, status in self.reports.items()},
            "outbox_id": self.outbox_id,
            "route": self.route,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LastSend:
        """Read the stored form."""
        return cls(
            # before 1.3 a lost answer was stored "unknown"
            state=SendState(_RENAMED_STATES.get(data["state"], data["state"])),
            message_id=data["message_id"],
            recipients=data["recipients"],
            parts=data["parts"],
            billed_parts=data["billed_parts"],
            error=data["error"],
            at=datetime.fromisoformat(data["at"]),
            accepted=tuple(data["accepted"]),
            reports={number: DeliveryStatus(status) for number, status in data["reports"].items()},
            # stored before the outbox existed: neither
            outbox_id=data.get("outbox_id"),
            route=data.get("route"),
        )


#: send states stored under an older name
_RENAMED_STATES = {"unknown": SendState.UNCONFIRMED}


def last_send_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where the last send is kept, so last_status and its reports survive a restart."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.last_send", private=True)


#: statuses no later report takes back (a late "pending" does not undo "delivered")
FINAL_STATUSES: frozenset[DeliveryStatus] = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED}
)


def delivery_counts(last: LastSend) -> dict[str, int]:
    """How many accepted recipients were delivered, failed, expired, or still pending."""
    counts = {"delivered": 0, "failed": 0, "expired": 0, "pending": 0}
    for number in last.accepted:
        status = last.reports.get(number)
        # no report yet, or one that settles nothing (pending, unknown): still pending
        counts[str(status) if status in FINAL_STATUSES else "pending"] += 1
    return counts


def state_after_reports(last: LastSend) -> SendState:
    """Failed when any recipient failed or expired, delivered when all were, else sent."""
    counts = delivery_counts(last)
    if counts["failed"] or counts["expired"]:
        return SendState.FAILED
    if counts["delivered"] == len(last.accepted):
        return SendState.DELIVERED
    return SendState.SENT


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What a send became by the time its caller got the answer."""

    item: OutboxItem
    #: the request as the first route validated it (recipients, text, parts)
    prepared: PreparedSend


def response_of(outcome: SendOutcome) -> dict[str, Any]:
    """The response data of the send actions.

    A send still in the outbox (``queued``, ``sending``) has no message id yet: its
    recipients, text and parts are those validated at submission.
    """
    item, result = outcome.item, outcome.item.result
    message = outcome.prepared.message if result is None else result.message
    return {
        "message_id": None if result is None else result.message_id,
        "recipients": list(outcome.prepared.recipients if result is None else result.recipients),
        "invalid_recipients": [] if result is None else list(result.invalid_recipients),
        "parts": message.parts,
        "billed_parts": None if result is None else result.billed_parts,
        "encoding": str(message.encoding),
        "text": message.text,
        "credits_used": None if result is None else result.credits_used,
        # still in the outbox, whether or not an attempt is under way: queued
        "status": str(item.state if item.final else SendState.QUEUED),
        "outbox_id": item.outbox_id,
        # nothing carried it yet while it waits (an attempt under way names its route early)
        "route": item.route if item.final else None,
    }


class TextoAccount:
    """Sends through an entry's route(s) and remembers what happened."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TextoConfigEntry,
        gateway: Gateway,
        mail2sms: Mail2SmsGateway | None,
        coordinator: BalanceCoordinator,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.gateway = gateway
        self.mail2sms = mail2sms
        self.coordinator = coordinator
        self.scheduled = ScheduledSends(scheduled_store(hass, entry.entry_id))
        self.sent_log = SentLog(sent_log_store(hass, entry.entry_id))
        self.inbox = Inbox(hass, entry, self.sent_log)
        self.inbox.async_listen_reports(self._handle_report)
        #: the URL gateways can call back, set by the webhook when it is registered
        self.callback_url: Callable[[], str | None] = lambda: None
        self.last_send: LastSend | None = None
        self._last_send_store = last_send_store(hass, entry.entry_id)
        #: billed parts sent since the sensor started counting (restored by the sensor)
        self.sent_parts = 0
        self._listeners: list[Callable[[], None]] = []
        self._listeners_due: asyncio.Handle | None = None
        self.spending = SpendingGuard(hass, entry)
        self.outbox = Outbox(hass, self)
        #: the outbox item ``last_status`` follows: the latest send
        self._latest_outbox_id: str | None = None
        #: parts the spending guard holds for each send not settled yet
        self._holds: dict[str, int] = {}

    async def async_load(self) -> None:
        """Read what the account stored: scheduled sends, recent sends, seen reports."""
        await self.scheduled.async_load()
        await self.sent_log.async_load()
        await self.inbox.async_load()
        if stored := await self._last_send_store.async_load():
            self.last_send = LastSend.from_dict(stored)
            self._latest_outbox_id = self.last_send.outbox_id
        await self.spending.async_load()
        await self.outbox.async_load()
        for item in self.outbox.waiting_items:
            # what a previous run accepted still counts against today's cap until it settles
            parts = self._parts_of(request_of(item))
            self.spending.hold(parts)
            self._holds[item.outbox_id] = parts
        # an entry reloads within seconds: what the next account reads must be on disk
        self.entry.async_on_unload(self._async_flush)

    async def _async_flush(self) -> None:
        await self.sent_log.async_flush()
        await self.inbox.async_flush()
        if self.last_send is not None:
            await self._last_send_store.async_save(self.last_send.as_dict())

    # --- listeners (sensors) ---------------------------------------------------------------

    @callback
    def async_add_listener(self, update: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``update`` whenever the last send, the sent parts or the outbox change."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def async_notify_listeners(self) -> None:
        """Tell the sensors that the account's sends or its outbox changed.

        Once, on the event loop's next turn, for every change made until then: one send
        changes several things in a row (outbox, last status, parts), and a state write is
        the send path's largest cost after the request itself. A caller woken by the same
        change runs after the sensors: they are current when it goes on.
        """
        if self._listeners_due is None:
            self._listeners_due = self.hass.loop.call_soon(self._call_listeners)

    @callback
    def _call_listeners(self) -> None:
        self._listeners_due = None
        for update in list(self._listeners):
            update()

    @callback
    def _set_last(self, last: LastSend) -> None:
        self.last_send = last
        self._last_send_store.async_delay_save(last.as_dict, SAVE_DELAY)
        self.async_notify_listeners()

    # --- building requests -----------------------------------------------------------------

    def build_request(
        self,
        recipients: list[str],
        message: str,
        *,
        sender: str | None = None,
        send_at: datetime | None = None,
        max_parts: int | None = None,
        text_policy: str | None = None,
        reference: str | None = None,
        flash: bool = False,
        voice: bool = False,
    ) -> SendRequest:
        """A request from an action's fields, the entry's options filling the gaps."""
        options = self.entry.options
        if send_at is not None and send_at.tzinfo is None:
            # a naive date is in Home Assistant's time zone
            send_at = send_at.replace(tzinfo=dt_util.get_default_time_zone())
        if send_at is not None and send_at <= dt_util.utcnow():
            raise validation_error("send_at_in_past")
        replies_allowed = options.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES
        if replies_allowed and sender:
            raise validation_error("sender_with_replies")
        # gateways that take callback URLs per send (smsmode) get the webhook's
        url = self.callback_url()
        return SendRequest(
            recipients=tuple(recipients),
            text=message,
            # the default sender never applies to messages that allow replies
            sender=sender or (None if replies_allowed else options.get(CONF_DEFAULT_SENDER)),
            send_at=send_at,
            text_policy=TextPolicy(text_policy or options.get(CONF_TEXT_POLICY, TextPolicy.AUTO)),
            max_parts=max_parts if max_parts is not None else options.get(CONF_MAX_PARTS),
            reference=reference,
            flash=flash,
            voice=voice,
            replies_allowed=replies_allowed,
            stop_mention=StopMention(options.get(CONF_STOP_MENTION, StopMention.ADD)),
            delivery_report_url=url,
            reply_url=url if replies_allowed else None,
        )

    # --- sending -----------------------------------------------------------------------------

    async def send(self, request: SendRequest, *, wait: bool = True) -> SendOutcome:
        """Put ``request`` in the outbox; with ``wait``, return once it is final or queued.

        A request the route refuses before sending (bad number, text too long ...) or the
        spending guard refuses raises without touching ``last_status``: nothing is queued.
        With ``wait``, a send that finally fails raises its translated error, as it always
        did; one still waiting after the outbox's wait limit returns ``queued`` and goes on.
        """
        try:
            prepared = self._first_route().prepare(request)
        except GatewayError as err:
            raise_translated(err, request)
        parts = prepared.billed_parts
        self.spending.check(parts)
        try:
            # the numbers as validated (E.164): what the outbox keeps and the events show
            item = await self.outbox.async_submit(replace(request, recipients=prepared.recipients))
        except BaseException:
            self.spending.release(parts)
            raise
        self._holds[item.outbox_id] = parts
        if wait:
            await self.outbox.async_wait(item)
        if item.state in LOST_STATES:
            self._raise_final(item)
        return SendOutcome(item, prepared)

    def _parts_of(self, request: SendRequest) -> int:
        """The parts a request bills (0 when it no longer passes the route's checks)."""
        try:
            return self._first_route().prepare(request).billed_parts
        except GatewayError:
            return 0

    def _raise_final(self, item: OutboxItem) -> NoReturn:
        if item.state is SendState.EXPIRED:
            minutes = int(self.outbox.max_age.total_seconds() // 60)
            raise gateway_error("send_expired", minutes=minutes)
        if item.error is not None:
            raise_translated(item.error, item.request)
        raise gateway_error("send_unconfirmed")

    def _first_route(self) -> Gateway:
        """The gateway a send tries first."""
        if self._route_is_email():
            assert self.mail2sms is not None
            return self.mail2sms
        return self.gateway

    def _carrier(self, route: str | None) -> TextoAccount:
        """The account whose gateway carried a send: this one, or its fallback account."""
        if route is None or route in (self.entry.entry_id, FALLBACK_MAIL2SMS):
            return self
        entry: TextoConfigEntry | None = self.hass.config_entries.async_get_entry(route)
        if entry is None or entry.domain != DOMAIN or not hasattr(entry, "runtime_data"):
            return self
        return entry.runtime_data

    async def async_record_accepted(
        self, item: OutboxItem, result: SendResult, route: str | None
    ) -> None:
        """Record what a gateway accepted (a send, or the accepted part of a partial one).

        The account that carried it counts the parts and keeps the send: its delivery
        reports and replies come back to that account.
        """
        held = self._holds.get(item.outbox_id, 0)
        settled = min(held, result.billed_parts)
        self._holds[item.outbox_id] = held - settled
        carrier = self._carrier(route)
        carrier.sent_parts += result.billed_parts
        if carrier is self:
            self.spending.record(result.billed_parts, held=settled)
        else:
            # billed to the fallback account; the hold was this account's
            self.spending.release(settled)
            carrier.spending.record(result.billed_parts, held=0)
        await carrier.sent_log.async_record(result, replies_allowed=item.request.replies_allowed)
        if status_of(result) is SendState.SCHEDULED:
            await carrier.scheduled.async_add(result)
        # the balance follows, but the sender is not kept waiting for it
        self.entry.async_create_task(
            self.hass, carrier.coordinator.async_request_refresh(), f"{DOMAIN} balance refresh"
        )
        carrier.async_notify_listeners()

    @callback
    def async_item_submitted(self, item: OutboxItem) -> None:
        """A new send entered the outbox: ``last_status`` follows it from now on."""
        self._latest_outbox_id = item.outbox_id
        self.async_item_changed(item)

    @callback
    def async_item_changed(self, item: OutboxItem) -> None:
        """Follow an outbox item: ``last_status`` shows the latest send's state."""
        if item.final and (held := self._holds.pop(item.outbox_id, 0)):
            self.spending.release(held)
        if item.outbox_id == self._latest_outbox_id:
            self._set_last(self._last_of(item))
        else:
            self.async_notify_listeners()

    @staticmethod
    def _last_of(item: OutboxItem) -> LastSend:
        result = item.result
        route = item.route if item.final else None
        common: dict[str, Any] = {"outbox_id": item.outbox_id, "route": route}
        if result is not None and item.state in (SendState.SENT, SendState.SCHEDULED):
            return LastSend(
                item.state,
                message_id=result.message_id,
                recipients=len(result.recipients),
                parts=result.message.parts,
                billed_parts=result.billed_parts,
                accepted=result.recipients,
                **common,
            )
        # a partial send's accepted part does not turn a failure into a delivery: no
        # `accepted`, its reports are not counted here
        return LastSend(
            item.state,
            message_id=None if result is None else result.message_id,
            recipients=len(item.request.recipients),
            error=item.reason if item.final else None,
            **common,
        )

    @callback
    def _handle_report(self, report: DeliveryReportData) -> None:
        """Follow the delivery reports of the last send in its state."""
        last = self.last_send
        number = report["recipient"]
        if (
            last is None
            or report["message_id"] != last.message_id
            or number is None
            or number not in last.accepted
        ):
            return
        status = DeliveryStatus(report["status"])
        if last.reports.get(number) in FINAL_STATUSES and status not in FINAL_STATUSES:
            return  # reports can arrive out of order
        updated = replace(last, reports={**last.reports, number: status}, at=dt_util.utcnow())
        self._set_last(replace(updated, state=state_after_reports(updated)))

    async def estimate(self, request: SendRequest) -> Estimate:
        """What ``request`` would cost, sending nothing."""
        try:
            return await self._first_route().estimate(request)
        except GatewayError as err:
            raise_translated(err, request)

    async def cancel(self, message_id: str) -> None:
        """Cancel a send Texto scheduled through this account."""
        sent = self.scheduled.get(message_id)
        if sent is None:
            raise validation_error("scheduled_message_not_found")
        gateway = self.gateway
        if sent.provider is Provider.MAIL2SMS and self.mail2sms is not None:
            gateway = self.mail2sms
        try:
            await gateway.cancel(sent)
        except GatewayError as err:
            raise_translated(err)
        await self.scheduled.async_remove(message_id)

    def _route_is_email(self) -> bool:
        return self.entry.options.get(CONF_ROUTE) == ROUTE_EMAIL and self.mail2sms is not None
