"""One Texto account at run time: its clients, its stores, its outbox, what it sent.

The account owns its parts and wires them: the outbox asks it for attempts (delivery, by
the routes of ``routes.py``), it tells the last status and the spending guard what became
of each send, and it tells the sensors once per event-loop turn that its sends changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any, NoReturn

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from .assist import AssistDesk
from .carriers import Carrier, carrier_of
from .const import CONF_FALLBACK, DOMAIN, FALLBACK_MAIL2SMS, SendState
from .coordinator import BalanceCoordinator
from .delivery import async_attempt, async_verify, request_of
from .errors import gateway_error, raise_translated, validation_error
from .gateway.base import Gateway
from .gateway.errors import GatewayError
from .gateway.models import Estimate, PreparedSend, Route, SendRequest, SendResult
from .inbox import Inbox
from .last_status import LastSend, LastStatus
from .modem_balance import UssdBalanceCoordinator
from .modem_status import ModemStatusCoordinator
from .outbox import LOST_STATES, Attempt, Outbox, OutboxItem, status_of
from .requests import build_request
from .responses import SendOutcome
from .routes import AccountRoutes
from .scheduled import ScheduledSends
from .sent_log import SentLog, SentMessage
from .signals import SIGNAL_DELIVERY_REPORT, SIGNAL_SENDS_CHANGED
from .spending import SpendingGuard
from .stores import AccountStores

_LOGGER = logging.getLogger(__name__)


class TextoAccount:
    """Sends through an entry's routes and remembers what happened (``OutboxOwner``)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        gateway: Gateway,
        mail2sms: Gateway | None,
        coordinator: BalanceCoordinator | None,
        *,
        modem: ModemStatusCoordinator | None = None,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.gateway = gateway
        self.mail2sms = mail2sms
        #: the balance, where the gateway has one
        self.coordinator = coordinator
        #: the modem's status, for a modem account
        self.modem = modem
        #: the SIM's balance by USSD, for a modem account given a USSD code
        self.ussd_balance: UssdBalanceCoordinator | None = None
        self.stores = AccountStores.of(hass, entry.entry_id)
        self.scheduled = ScheduledSends(self.stores.scheduled)
        self.sent_log = SentLog(self.stores.sent)
        #: recipients' texts to Assist, and its answers through this account
        self.assist = AssistDesk(hass, entry, self)
        self.inbox = Inbox(hass, entry, self.sent_log, self.stores.seen, self.assist)
        self.last_status = LastStatus(
            self.stores.state, self.async_sends_changed, partial(carrier_of, hass, entry)
        )
        self.spending = SpendingGuard(hass, entry, self.stores.state)
        self.outbox = Outbox(hass, entry, self, self.stores.outbox)
        # what the sent log and the day's count cannot lose is also in the outbox's journal
        self.stores.outbox.apply_receipts = self._apply_receipts
        self.stores.outbox.before_snapshot = self._async_flush_receipts
        self.routes = AccountRoutes(
            hass,
            entry,
            gateway,
            mail2sms,
            sent_log=self.sent_log,
            persist=self.outbox.async_persist,
            # late-bound: the webhook sets ``callback_url`` once it is registered
            callback_url=lambda: self.callback_url(),  # noqa: PLW0108
        )
        #: the URL gateways can call back, set by the webhook when it is registered
        self.callback_url: Callable[[], str | None] = lambda: None
        #: billed parts sent since the sensor started counting (restored by the sensor)
        self.sent_parts = 0
        self._sends_changed_due: asyncio.Handle | None = None
        #: parts the spending guard holds for each send not settled yet
        self._holds: dict[str, int] = {}
        #: the same, for requests being written to the outbox (by the request's identity)
        self._submitting: dict[int, int] = {}
        #: items sent again by the ``resend`` policy whose lost send was counted
        self._resends_counted: set[str] = set()

    @property
    def last_send(self) -> LastSend | None:
        """What the latest send became (None before the first one)."""
        return self.last_status.last

    async def async_load(self) -> None:
        """Read what the account stored; what a previous run accepted is held against the cap."""
        await self.scheduled.async_load()
        await self.sent_log.async_load()
        await self.inbox.async_load()
        self.assist.async_load()
        await self.stores.state.async_load()
        self.last_status.async_load()
        self.spending.async_load()
        await self.outbox.async_load()
        for item in self.outbox.waiting_items:
            parts = self._parts_of(request_of(item))
            self.spending.hold(parts)
            self._holds[item.outbox_id] = parts
        self.entry.async_on_unload(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_DELIVERY_REPORT.format(self.entry.entry_id),
                self.last_status.async_report,
            )
        )
        # an entry reloads within seconds: what the next account reads must be on disk
        self.entry.async_on_unload(self._async_flush)

    async def async_stop(self) -> None:
        """Stop the outbox (attempts in flight finish), then close what the client owns.

        In this order: an attempt writing to the modem finishes before its port closes.
        """
        await self.outbox.async_stop()
        await self.gateway.close()

    @callback
    def async_route_back(self) -> None:
        """The account's route is usable again (its modem is back): what waits goes now.

        The accounts that fall back on this one try theirs again too.
        """
        self.outbox.async_retry_now()
        for entry in self.hass.config_entries.async_loaded_entries(DOMAIN):
            if entry is not self.entry and entry.options.get(CONF_FALLBACK) == self.entry.entry_id:
                other: TextoAccount = entry.runtime_data
                other.outbox.async_retry_now()

    # --- receipts: what the sent log and the day's count hold, also in the journal ------------

    def write_receipt(self, parts: int, sent: SentMessage | None = None) -> int:
        """Journal ``parts`` billed today (and the send that billed them); its number."""
        receipt: dict[str, Any] = {"day": self.spending.today().isoformat(), "parts": parts}
        if sent is not None:
            receipt["sent"] = sent.to_dict()
        return self.stores.outbox.write_receipt(receipt)

    @callback
    def _apply_receipts(self, receipts: list[dict[str, Any]]) -> None:
        """At start-up: what the journal says was sent and billed, the stores may not."""
        for receipt in receipts:
            try:
                if (sent := receipt.get("sent")) is not None:
                    self.sent_log.restore(SentMessage.from_dict(sent))
                day = date.fromisoformat(receipt["day"])
                self.spending.restore(day, int(receipt["parts"]), int(receipt["seq"]))
            except (KeyError, TypeError, ValueError):
                _LOGGER.warning(
                    "%s: a receipt of the outbox journal is unreadable", self.entry.title
                )

    async def _async_flush_receipts(self) -> None:
        """Write the stores the receipts are for (the journal is about to drop them)."""
        await self.sent_log.async_flush()
        await self.stores.state.async_flush()

    async def _async_flush(self) -> None:
        await self.sent_log.async_flush()
        await self.inbox.async_flush()
        await self.stores.state.async_flush()

    @callback
    def async_sends_changed(self) -> None:
        """Tell the sensors the account's sends or its outbox changed.

        Once, on the event loop's next turn, for every change made until then: one send
        changes several things in a row (outbox, last status, parts), and a state write is
        the send path's largest cost after the request itself. A caller woken by the same
        change runs after the sensors: they are current when it goes on.
        """
        if self._sends_changed_due is None:
            self._sends_changed_due = self.hass.loop.call_soon(self._send_sends_changed)

    @callback
    def _send_sends_changed(self) -> None:
        self._sends_changed_due = None
        async_dispatcher_send(self.hass, SIGNAL_SENDS_CHANGED.format(self.entry.entry_id))

    # --- sending -----------------------------------------------------------------------------

    def build_request(self, recipients: list[str], message: str, **fields: Any) -> SendRequest:
        """A request from an action's fields (``requests.build_request``), this account's way."""
        return build_request(self.entry.options, recipients, message, **fields)

    def prepare(self, request: SendRequest) -> PreparedSend:
        """``request`` as the account's first route validates it (raise ``GatewayError``)."""
        return self.routes.first_gateway.prepare(request)

    async def async_send(self, request: SendRequest, *, wait: bool = True) -> SendOutcome:
        """Put ``request`` in the outbox; with ``wait``, return once it is final or queued.

        A request the route refuses before sending (bad number, text too long ...) or the
        spending guard refuses raises without touching ``last_status``: nothing is queued.
        With ``wait``, a send that finally fails raises its translated error; one still
        waiting after the outbox's wait limit returns ``queued`` and goes on.
        """
        try:
            prepared = self.routes.first_gateway.prepare(request)
        except GatewayError as err:
            raise_translated(err, request)
        parts = prepared.billed_parts
        self.spending.check(parts)
        # the numbers as validated (E.164): what the outbox keeps and the events show
        submitted = replace(request, recipients=prepared.recipients)
        # the hold becomes the item's once the outbox accepts it (async_item_submitted),
        # also when the caller gave up meanwhile: the outbox goes on with the send then
        self._submitting[id(submitted)] = parts
        try:
            item = await self.outbox.async_submit(submitted)
        except asyncio.CancelledError:
            raise
        except BaseException:
            self._submitting.pop(id(submitted), None)
            self.spending.release(parts)
            raise
        if wait:
            await self.outbox.async_wait(item)
        if item.state in LOST_STATES:
            self._raise_final(item)
        return SendOutcome(item, prepared, self.what_carried(item))

    def _parts_of(self, request: SendRequest) -> int:
        """The parts a request bills (0 when it no longer passes the route's checks)."""
        try:
            return self.routes.first_gateway.prepare(request).billed_parts
        except GatewayError:
            return 0

    def _raise_final(self, item: OutboxItem) -> NoReturn:
        if item.state is SendState.EXPIRED:
            minutes = int(self.outbox.max_age.total_seconds() // 60)
            raise gateway_error("send_expired", minutes=minutes)
        if item.error is not None:
            raise_translated(item.error, item.request)
        if item.state is SendState.FAILED:
            raise gateway_error("send_internal_error")  # a bug, before anything left
        raise gateway_error("send_unconfirmed")

    def _carrier(self, route: str | None) -> TextoAccount:
        """The account whose gateway carried a send: this one, or its fallback account."""
        if route is None or route in (self.entry.entry_id, FALLBACK_MAIL2SMS):
            return self
        entry = self.hass.config_entries.async_get_entry(route)
        if entry is None or entry.domain != DOMAIN or not hasattr(entry, "runtime_data"):
            return self
        carrier: TextoAccount = entry.runtime_data
        return carrier

    # --- what the outbox asks (OutboxOwner) ------------------------------------------------

    async def async_attempt(self, item: OutboxItem) -> Attempt:
        """One attempt of ``item`` by this account's routes."""
        return await async_attempt(self.routes, item)

    async def async_verify(self, item: OutboxItem) -> Attempt:
        """Whether ``item``, found ``sending`` at start-up, went out."""
        return await async_verify(self.routes, item)

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
        capabilities = carrier.client_of(result.route).capabilities
        # AllMySMS takes replies to any send; smsmode only to its "replies allowed" class
        takes_replies = capabilities.replies and (
            item.request.replies_allowed or not capabilities.replies_on_request
        )
        sent = await carrier.sent_log.async_record(result, replies_allowed=takes_replies)
        # beside the send's final record: a crash before the stores' save loses neither
        receipt = carrier.write_receipt(result.billed_parts, sent)
        carrier.sent_parts += result.billed_parts
        if carrier is self:
            self.spending.record(result.billed_parts, held=settled, receipt=receipt)
        else:
            # billed to the fallback account; the hold was this account's
            self.spending.release(settled)
            carrier.spending.record(result.billed_parts, held=0, receipt=receipt)
        if status_of(result) is SendState.SCHEDULED:
            await carrier.scheduled.async_add(result, keep_text=capabilities.cancel_needs_text)
        # the balance follows, but the sender is not kept waiting for it
        if carrier.coordinator is not None:
            self.entry.async_create_task(
                self.hass, carrier.coordinator.async_request_refresh(), f"{DOMAIN} balance refresh"
            )
        carrier.async_sends_changed()

    @callback
    def async_item_submitted(self, item: OutboxItem) -> None:
        """A new send entered the outbox: it holds its parts; ``last_status`` follows it."""
        if (parts := self._submitting.pop(id(item.request), None)) is not None:
            self._holds[item.outbox_id] = parts
        self.last_status.async_follow(item)

    @callback
    def async_item_changed(self, item: OutboxItem) -> None:
        """An outbox item changed: a final one settles its hold; the sensors follow.

        An item the ``resend`` policy sends again counts, against the daily cap, the parts
        of the send whose answer was lost: it may have been billed.
        """
        if item.resent and item.outbox_id not in self._resends_counted:
            self._resends_counted.add(item.outbox_id)
            parts = self._parts_of(request_of(item))
            self.spending.record(parts, held=0, receipt=self.write_receipt(parts))
        if item.final:
            self._resends_counted.discard(item.outbox_id)
        if item.final and (held := self._holds.pop(item.outbox_id, 0)):
            self.spending.release(held)
        if not self.last_status.async_item_changed(item):
            self.async_sends_changed()

    def client_of(self, route: Route) -> Gateway:
        """The account's client of ``route`` (its API unless it is Mail2SMS)."""
        if self.mail2sms is not None and route is self.mail2sms.route:
            return self.mail2sms
        return self.gateway

    def what_carried(self, item: OutboxItem) -> Carrier:
        """What carried ``item``: none while it waits (an attempt names its way early)."""
        if not item.final:
            return Carrier()
        carried_by = None if item.result is None else item.result.route
        return carrier_of(self.hass, self.entry, item.route, carried_by)

    def carrier_fields(self, item: OutboxItem) -> dict[str, str | None]:
        """What carried a final item, as ``texto_send_failed`` says it."""
        return self.what_carried(item).as_dict()

    def device_id_of(self, number: str | None) -> str | None:
        """The device an event about ``number`` belongs to: its recipient's, else the account's."""
        return self.inbox.device_id_of(number)

    # --- the other actions -----------------------------------------------------------------

    async def async_estimate(self, request: SendRequest) -> Estimate:
        """What ``request`` would cost, sending nothing."""
        try:
            return await self.routes.first_gateway.estimate(request)
        except GatewayError as err:
            raise_translated(err, request)

    async def async_cancel(self, message_id: str) -> None:
        """Cancel a send Texto scheduled through this account (by the route that took it)."""
        sent = self.scheduled.get(message_id)
        if sent is None:
            raise validation_error("scheduled_message_not_found")
        try:
            await self.client_of(sent.route).cancel(sent)
        except GatewayError as err:
            raise_translated(err)
        await self.scheduled.async_remove(message_id)
