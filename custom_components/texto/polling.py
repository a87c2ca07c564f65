"""Polling for delivery reports and replies, for homes the gateways cannot reach.

An account whose receive mode asks for it gets a `Poller` that ticks every 30 seconds and
asks the gateway only for what is due:

* replies every 30 seconds while a message that can be answered was sent in the last hour,
  every 5 minutes otherwise (AllMySMS ``getPulls``, smsmode ``responseList.do``);
* delivery reports every minute for the recent sends whose recipients do not all have a
  final report yet (AllMySMS ``getAcks``, smsmode ``compteRendu.do``); nothing when there
  is no such send.

Everything read goes to the account's inbox, which fires each event once (it remembers
what it has seen, also what came by webhook). A failing poll is logged once and tried again
at the next tick; refused credentials start a reauthentication.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, RECEIVE_BOTH, RECEIVE_POLLING
from .entry import TextoConfigEntry
from .gateway.errors import AuthenticationError, CallbackError, GatewayError, NotFoundError
from .gateway.models import DeliveryReport, InboundMessage
from .last_status import FINAL_STATUSES
from .sent_log import SentMessage
from .webhook import receive_mode

_LOGGER = logging.getLogger(__name__)

#: how often the poller wakes up to see what is due
TICK: Final = timedelta(seconds=30)
#: a poll this close to its due time is due: timers never fire exactly on time
TOLERANCE: Final = timedelta(seconds=5)

#: replies, while a message that can be answered is recent
FAST_REPLIES: Final = timedelta(seconds=30)
#: replies, the rest of the time
SLOW_REPLIES: Final = timedelta(minutes=5)
#: how long after a send its replies are awaited eagerly
REPLY_WINDOW: Final = timedelta(hours=1)
#: smsmode lists replies by date, to the minute: each poll starts a little before the last
REPLY_OVERLAP: Final = timedelta(minutes=2)
#: how far back smsmode replies are looked for (first poll after a start, long outages)
MAX_REPLY_LOOKBACK: Final = timedelta(hours=24)

#: delivery reports of a send younger than an hour
REPORT_INTERVAL: Final = timedelta(minutes=1)
#: a send older than this that still waits for reports is checked less often
SLOW_REPORTS_AFTER: Final = timedelta(hours=1)
SLOW_REPORT_INTERVAL: Final = timedelta(minutes=15)
#: gateways report delivery within 48 hours (operators stop retrying by then)
REPORT_WINDOW: Final = timedelta(hours=48)
#: sends checked per poll, at most: the gateway is not hammered after a burst of sends
MAX_SENDS_PER_POLL: Final = 20

POLLERS: HassKey[dict[str, Poller]] = HassKey(f"{DOMAIN}_pollers")


def polls(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Whether the entry's receive mode and its gateway call for polling.

    No receive mode stored means polling when Home Assistant cannot be reached from the
    internet (the webhook module decides, so both sides agree).
    """
    capabilities = entry.runtime_data.gateway.capabilities
    if not (capabilities.poll_replies or capabilities.poll_delivery_reports):
        return False  # nothing to poll (123-SMS, the user's modem)
    return receive_mode(hass, entry) in (RECEIVE_POLLING, RECEIVE_BOTH)


def async_start_polling(hass: HomeAssistant, entry: TextoConfigEntry) -> CALLBACK_TYPE:
    """Start polling when the entry's receive mode asks for it; return the stop callback."""
    if not polls(hass, entry):
        return lambda: None
    poller = Poller(hass, entry)
    pollers = hass.data.setdefault(POLLERS, {})
    pollers[entry.entry_id] = poller
    cancel_timer = async_track_time_interval(
        hass, poller.async_tick, TICK, name=f"{DOMAIN} polling", cancel_on_shutdown=True
    )

    @callback
    def stop() -> None:
        cancel_timer()
        pollers.pop(entry.entry_id, None)

    return stop


def get_poller(hass: HomeAssistant, entry_id: str) -> Poller | None:
    """The poller of a set-up entry, None when the entry does not poll."""
    return hass.data.get(POLLERS, {}).get(entry_id)


@dataclass(slots=True)
class _Progress:
    """What the poller knows of one send's delivery reports."""

    #: recipients (E.164) with a final report
    final: set[str] = field(default_factory=set)
    checked_at: datetime | None = None
    #: every recipient has a final report, or the gateway no longer knows the send
    done: bool = False


class Poller:
    """Reads an account's replies and delivery reports from its gateway, when due."""

    def __init__(self, hass: HomeAssistant, entry: TextoConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.account = entry.runtime_data
        self.gateway = self.account.gateway
        # one poll at a time: a slow gateway never gets overlapping requests
        self._lock = asyncio.Lock()
        self._replies_polled_at: datetime | None = None
        self._reports_polled_at: datetime | None = None
        #: the end of the last successful smsmode reply poll: where the next one starts
        self._replies_read_until: datetime | None = None
        self._progress: dict[str, _Progress] = {}
        self._failing = False
        self._reauth_started = False

    # --- the schedule ----------------------------------------------------------------------

    @callback
    def async_tick(self, now: datetime) -> None:
        """Run what is due (in the background); skip the tick while a poll still runs."""
        if self._lock.locked():
            return
        self.entry.async_create_background_task(
            self.hass, self._async_poll_due(now), name=f"{DOMAIN} poll {self.entry.entry_id}"
        )

    async def _async_poll_due(self, now: datetime) -> None:
        async with self._lock:
            if self.replies_due(now):
                await self._async_poll_replies(now)
            if self.reports_due(now):
                await self._async_poll_reports(now)

    def reply_interval(self, now: datetime) -> timedelta:
        """30 s while a message that can be answered is recent, 5 min otherwise."""
        recent = self.account.sent_log.recent(now - REPLY_WINDOW)
        if any(self._can_be_answered(sent) for sent in recent):
            return FAST_REPLIES
        return SLOW_REPLIES

    def replies_due(self, now: datetime) -> bool:
        """Whether replies should be read now."""
        if not self.gateway.capabilities.poll_replies:
            return False
        last = self._replies_polled_at
        return last is None or now - last >= self.reply_interval(now) - TOLERANCE

    def reports_due(self, now: datetime) -> bool:
        """Whether some recent send is due for a delivery report check."""
        if not self.gateway.capabilities.poll_delivery_reports:
            return False
        last = self._reports_polled_at
        if last is not None and now - last < REPORT_INTERVAL - TOLERANCE:
            return False
        return bool(self.sends_to_check(now))

    def sends_to_check(self, now: datetime) -> list[SentMessage]:
        """The sends whose reports to ask for now: waiting longest first, at most 20."""
        newest_first = reversed(self.account.sent_log.recent(now - REPORT_WINDOW))
        due = [
            sent
            for sent in newest_first
            # sends another route carried (Mail2SMS) have no id this API knows
            if sent.route is self.gateway.route and self._report_due(sent, now)
        ]
        never_checked = [sent for sent in due if self._checked_at(sent) is None]
        checked = sorted(
            (sent for sent in due if self._checked_at(sent) is not None),
            key=lambda sent: self._checked_at(sent) or now,
        )
        return (never_checked + checked)[:MAX_SENDS_PER_POLL]

    def _report_due(self, sent: SentMessage, now: datetime) -> bool:
        progress = self._progress.get(sent.message_id)
        if progress is None:
            return True
        if progress.done:
            return False
        if progress.checked_at is None:
            return True
        young = now - sent.sent_at < SLOW_REPORTS_AFTER
        interval = REPORT_INTERVAL if young else SLOW_REPORT_INTERVAL
        return now - progress.checked_at >= interval - TOLERANCE

    def _checked_at(self, sent: SentMessage) -> datetime | None:
        progress = self._progress.get(sent.message_id)
        return progress.checked_at if progress else None

    def _can_be_answered(self, sent: SentMessage) -> bool:
        # AllMySMS takes replies to any send; smsmode only to "replies allowed" ones
        return not self.gateway.capabilities.replies_on_request or sent.replies_allowed

    # --- polls (also called directly by tests) --------------------------------------------

    async def async_poll_replies(self, now: datetime | None = None) -> int:
        """Read the replies now; return how many were new."""
        async with self._lock:
            return await self._async_poll_replies(now or dt_util.utcnow())

    async def async_poll_reports(self, now: datetime | None = None) -> int:
        """Check the due sends' delivery reports now; return how many were new."""
        async with self._lock:
            return await self._async_poll_reports(now or dt_util.utcnow())

    async def _async_poll_replies(self, now: datetime) -> int:
        self._replies_polled_at = now
        try:
            if self.gateway.capabilities.poll_replies_by_date:
                replies = await self.gateway.fetch_replies(
                    since=self._replies_start(now), until=now
                )
                self._replies_read_until = now
            else:
                # each reply is handed over once (AllMySMS getPulls): each must reach the inbox
                replies = await self.gateway.fetch_replies()
        except GatewayError as err:
            self._failed(err)
            return 0
        self._succeeded()
        new = 0
        for reply in replies:
            new += await self._async_receive(reply, confirmed_by_gateway=True)
        return new

    def _replies_start(self, now: datetime) -> datetime:
        """Where a reply poll by date starts: a little before the last one ended.

        The first poll after a start goes back to the first send of the last day that
        could be answered: replies received while Home Assistant was down are not lost.
        """
        start = self._replies_read_until
        if start is None:
            awaited = [
                sent.sent_at
                for sent in self.account.sent_log.recent(now - MAX_REPLY_LOOKBACK)
                if self._can_be_answered(sent)
            ]
            start = min(awaited, default=now)
        return max(start - REPLY_OVERLAP, now - MAX_REPLY_LOOKBACK)

    async def _async_poll_reports(self, now: datetime) -> int:
        self._reports_polled_at = now
        new = 0
        for sent in self.sends_to_check(now):
            progress = self._progress.setdefault(sent.message_id, _Progress())
            try:
                reports = await self.gateway.fetch_delivery_reports(sent.message_id)
            except NotFoundError:
                # smsmode forgets sends after 30 days: asking again would not help
                _LOGGER.debug("%s no longer knows send %s", self.gateway.provider, sent.message_id)
                progress.done = True
                continue
            except GatewayError as err:
                self._failed(err)
                break  # the gateway is down or refuses us: the other sends can wait
            self._succeeded()
            progress.checked_at = now
            for report in reports:
                new += await self._async_receive(report)
                if report.status in FINAL_STATUSES and report.recipient:
                    progress.final.add(report.recipient)
            progress.done = progress.final.issuperset(sent.recipients)
        self._forget_old(now)
        return new

    def _forget_old(self, now: datetime) -> None:
        recent = {sent.message_id for sent in self.account.sent_log.recent(now - REPORT_WINDOW)}
        for message_id in set(self._progress) - recent:
            del self._progress[message_id]

    # --- results and failures --------------------------------------------------------------

    async def _async_receive(
        self, item: DeliveryReport | InboundMessage, *, confirmed_by_gateway: bool = False
    ) -> bool:
        try:
            return await self.account.inbox.async_receive(
                item, confirmed_by_gateway=confirmed_by_gateway
            )
        except CallbackError as err:  # the gate refused what the gateway listed
            _LOGGER.debug("%s listed an item Texto refused: %s", self.entry.title, err)
            return False
        except Exception as err:  # noqa: BLE001 - one item must not lose the others
            # said without the traceback: it may quote what the gateway listed
            _LOGGER.warning(
                "Texto could not handle a polled %s (%s): please report it",
                type(item).__name__,
                type(err).__name__,
            )
            return False

    def _failed(self, err: GatewayError) -> None:
        if isinstance(err, AuthenticationError) and not self._reauth_started:
            self._reauth_started = True
            self.entry.async_start_reauth(self.hass)
        if self._failing:
            _LOGGER.debug("Polling %s failed again: %s", self.entry.title, err)
            return
        self._failing = True
        _LOGGER.info("Polling %s failed, trying again later: %s", self.entry.title, err)

    def _succeeded(self) -> None:
        if self._failing:
            self._failing = False
            _LOGGER.info("Polling %s works again", self.entry.title)
