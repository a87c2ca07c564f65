"""One Texto account at run time: its routes, its options, what it last sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

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
    MESSAGE_CLASS_REPLIES,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    ROUTE_EMAIL,
    SendState,
)
from .coordinator import BalanceCoordinator
from .errors import raise_translated, validation_error
from .gateway.base import Gateway
from .gateway.errors import (
    AuthenticationError,
    GatewayError,
    Outcome,
    PartialSendError,
    TemporarilyUnavailableError,
)
from .gateway.mail2sms import Mail2SmsGateway
from .gateway.models import (
    DeliveryStatus,
    Estimate,
    Provider,
    SendRequest,
    SendResult,
    SendStatus,
    StopMention,
    TextPolicy,
)
from .inbox import DeliveryReportData, Inbox
from .scheduled import ScheduledSends, scheduled_store
from .sent_log import SAVE_DELAY, SentLog, sent_log_store

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LastSend:
        """Read the stored form."""
        return cls(
            state=SendState(data["state"]),
            message_id=data["message_id"],
            recipients=data["recipients"],
            parts=data["parts"],
            billed_parts=data["billed_parts"],
            error=data["error"],
            at=datetime.fromisoformat(data["at"]),
            accepted=tuple(data["accepted"]),
            reports={number: DeliveryStatus(status) for number, status in data["reports"].items()},
        )


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


def status_of(result: SendResult) -> SendState:
    """The Texto state of an accepted send."""
    if result.status is SendStatus.SCHEDULED or result.send_at is not None:
        return SendState.SCHEDULED
    return SendState.SENT


def response_of(result: SendResult) -> dict[str, Any]:
    """The response data of the send actions."""
    return {
        "message_id": result.message_id,
        "recipients": list(result.recipients),
        "invalid_recipients": list(result.invalid_recipients),
        "parts": result.message.parts,
        "billed_parts": result.billed_parts,
        "encoding": str(result.message.encoding),
        "text": result.message.text,
        "credits_used": result.credits_used,
        "status": str(status_of(result)),
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

    async def async_load(self) -> None:
        """Read what the account stored: scheduled sends, recent sends, seen reports."""
        await self.scheduled.async_load()
        await self.sent_log.async_load()
        await self.inbox.async_load()
        if stored := await self._last_send_store.async_load():
            self.last_send = LastSend.from_dict(stored)
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
        """Call ``update`` whenever the last send or the sent parts change."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _set_last(self, last: LastSend) -> None:
        self.last_send = last
        self._last_send_store.async_delay_save(last.as_dict, SAVE_DELAY)
        for update in list(self._listeners):
            update()

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

    async def send(self, request: SendRequest) -> SendResult:
        """Send ``request`` by the entry's route; raise a translated error on failure.

        A request the route refuses before sending (bad number, text too long ...) raises
        without touching ``last_status``: nothing was attempted.
        """
        try:
            self._first_route().prepare(request)
        except GatewayError as err:
            raise_translated(err, request)
        self._set_last(LastSend(SendState.SENDING, recipients=len(request.recipients)))
        try:
            result = await self._send_by_route(request)
        except GatewayError as err:
            self._record_failure(request, err)
            if isinstance(err, PartialSendError):
                # the accepted part's reports must find their send
                await self.sent_log.async_record(
                    err.result, replies_allowed=request.replies_allowed
                )
            raise_translated(err, request)
        self._record_success(result)
        await self.sent_log.async_record(result, replies_allowed=request.replies_allowed)
        if status_of(result) is SendState.SCHEDULED:
            await self.scheduled.async_add(result)
        await self.coordinator.async_request_refresh()
        return result

    def _first_route(self) -> Gateway:
        """The gateway a send tries first."""
        if self._route_is_email():
            assert self.mail2sms is not None
            return self.mail2sms
        return self.gateway

    async def _send_by_route(self, request: SendRequest) -> SendResult:
        route = self.entry.options.get(CONF_ROUTE, ROUTE_API)
        if self._route_is_email():
            return await self._first_route().send(request)
        try:
            return await self.gateway.send(request)
        except TemporarilyUnavailableError:
            # nothing was sent: e-mail is a safe second way when the API cannot be reached
            if route != ROUTE_API_THEN_EMAIL or self.mail2sms is None:
                raise
            return await self.mail2sms.send(request)

    @callback
    def _record_success(self, result: SendResult) -> None:
        self.sent_parts += result.billed_parts
        self._set_last(
            LastSend(
                status_of(result),
                message_id=result.message_id,
                recipients=len(result.recipients),
                parts=result.message.parts,
                billed_parts=result.billed_parts,
                accepted=result.recipients,
            )
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

    @callback
    def _record_failure(self, request: SendRequest, err: GatewayError) -> None:
        if isinstance(err, AuthenticationError):
            self.entry.async_start_reauth(self.hass)
        message_id = None
        if isinstance(err, PartialSendError):
            # what was accepted is billed and sent, whatever happened to the rest (its
            # reports do not turn this failed send into a delivered one: no `accepted`)
            self.sent_parts += err.result.billed_parts
            message_id = err.result.message_id
        state = SendState.UNKNOWN if err.outcome is Outcome.UNKNOWN else SendState.FAILED
        self._set_last(
            LastSend(
                state,
                message_id=message_id,
                recipients=len(request.recipients),
                error=type(err).__name__,
            )
        )

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
