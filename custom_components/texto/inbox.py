"""Where delivery reports and replies arrive, whatever brought them (webhook, polling, modem).

Everything passes the library's gate first (``gate.screen``): a sender that is not a phone
number or a short code, an id that is not an id, refuse the item; texts are capped. Then
each item becomes one bus event and one event-entity update, once: the keys of the items
seen are kept in a private store, so nothing fires twice across polls, across restarts, nor
when the same item comes both by webhook and by polling.

Trust. A delivery report about a message Texto did not send (or no longer remembers, see
``sent_log.KEEP``) fires nothing: anyone holding the webhook URL could forge one. A reply
is ``verified`` when the gateway's own API gave it (polling), or when it answers a send
Texto made to that very number, which could take replies, less than 24 hours before.

Dedup under a flood. Keys of items tied to a known send and keys of the others are kept
apart, each room bounded: forged callbacks fill the second room only, so they cannot push
a genuine reply's key out and make a replay fire again. What a full room forgets is counted
(``dropped_keys``, in diagnostics).

A flood of unverified replies is bounded too (``flood``): at most a number a minute fire.

The user's modem hands over what it read from its SIM (``async_receive_stored``): the
network names the sender, so a reply from a number Texto sent to less than 24 hours before
answers that send. The modem deletes its copy once the key is on disk, never before.

Talk to Assist. A new text from a recipient with Assist on is screened (``assist.py``) in
the same turn as the dedupe: one that fails the check holding a PIN guess, or answers
Texto's own answer, fires nothing (its key is kept: a replay is not judged again); one
that passes fires with the PIN removed, then goes to Assist.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .assist import AssistDesk, Verdict
from .const import (
    CONF_PHONE_NUMBER,
    CONF_UNVERIFIED_PER_MINUTE,
    DEFAULT_UNVERIFIED_PER_MINUTE,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
    SUBENTRY_TYPE_RECIPIENT,
)
from .flood import UnverifiedReplyBound
from .gateway.errors import CallbackError
from .gateway.gate import screen
from .gateway.models import DeliveryReport, InboundMessage
from .sent_log import SentLog, SentMessage
from .signals import (
    SIGNAL_DELIVERY_REPORT,
    SIGNAL_SMS_RECEIVED,
    DeliveryReportData,
    SmsReceivedData,
)
from .stores import SAVE_DELAY

_LOGGER = logging.getLogger(__name__)

#: keys are forgotten after this long (smsmode lists reports of the last 30 days) ...
KEEP: Final = timedelta(days=30)
#: ... or when more recent ones push them out: keys of items tied to a Texto send ...
MAX_KEYS: Final = 5000
#: ... and keys of the others (replies from strangers), which anyone can forge
MAX_UNTIED_KEYS: Final = 1000
#: a reply later than this after the send it answers is not verified
REPLY_WINDOW: Final = timedelta(hours=24)
#: the id the library gives a reply the gateway gave none (AllMySMS): not a stable key
_LOCAL_ID_PREFIX: Final = "local-"


def _key(*parts: str | None) -> str:
    """A short digest of ``parts``: the store then holds no number, id or text."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


class Inbox:
    """Turns an account's reports and replies into events, once each."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        sent_log: SentLog,
        store: Store[dict[str, dict[str, float]]],
        assist: AssistDesk,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self._sent_log = sent_log
        self._store = store
        self._assist = assist
        #: key -> when it was seen (seconds since the epoch), oldest first: items tied to
        #: a Texto send, and the others
        self._seen: dict[str, float] = {}
        self._seen_untied: dict[str, float] = {}
        #: keys forgotten because their room was full (diagnostics)
        self.dropped_keys = 0
        self.unverified_bound = UnverifiedReplyBound(
            hass,
            entry.title,
            entry.options.get(CONF_UNVERIFIED_PER_MINUTE, DEFAULT_UNVERIFIED_PER_MINUTE),
        )

    async def async_load(self) -> None:
        """Read the keys already seen (so nothing fires twice across restarts)."""
        stored = await self._store.async_load() or {}
        self._seen = _by_age(stored.get("tied", {}))
        self._seen_untied = _by_age(stored.get("untied", {}))
        self._forget_old()

    async def async_flush(self) -> None:
        """Write the keys now (the entry unloads: a new inbox will read them)."""
        self.unverified_bound.async_stop()
        await self._store.async_save(self._dump())

    # --- receiving ---------------------------------------------------------------------------

    async def async_receive(
        self,
        item: DeliveryReport | InboundMessage,
        *,
        confirmed_by_gateway: bool = False,
        sender_from_network: bool = False,
    ) -> bool:
        """Handle one report or reply; return True when it was new (events fired).

        ``confirmed_by_gateway``: the item came from the gateway's own polling API (a reply
        read back that way is ``verified``). ``sender_from_network``: the mobile network
        named the sender (the user's modem), so a reply answers the latest send to it.
        Raise ``CallbackError`` for an item the gate refuses (nothing fires).
        """
        item = screen(item)
        # No await below: two deliveries of one item cannot both pass the check.
        if isinstance(item, DeliveryReport):
            return self._receive_report(item)
        return self._receive_reply(
            item, confirmed_by_gateway=confirmed_by_gateway, by_sender=sender_from_network
        )

    async def async_receive_stored(self, item: DeliveryReport | InboundMessage) -> bool:
        """Handle what the user's modem read; True once the item's key is on disk.

        The modem then deletes its stored copy: a restart before the delete, or a copy it
        cannot delete, never fires twice. What the gate refuses, or the flood bound holds
        back, goes too (a full SIM would receive nothing more). False when the keys could
        not be written: the copy stays, to be read again.
        """
        try:
            await self.async_receive(item, sender_from_network=True)
        except CallbackError as err:
            _LOGGER.debug("%s: a message from the modem refused: %s", self.entry.title, err)
        try:
            await self._store.async_save(self._dump())
        except (OSError, HomeAssistantError) as err:
            _LOGGER.warning("%s: the replies seen could not be saved: %s", self.entry.title, err)
            return False
        return True

    @callback
    def _receive_report(self, report: DeliveryReport) -> bool:
        sent = self._send_of_report(report)
        if sent is None:
            # anyone holding the URL can forge a report: only Texto's own sends are reported
            _LOGGER.debug("%s report about a message Texto did not send: ignored", report.provider)
            return False
        data = self._report_data(report, sent)
        # the gateway's own code is in the key: smsmode reports 13, then 11, for one number
        key = _key(
            "report",
            data["provider"],
            data["message_id"],
            data["recipient"],
            data["status"],
            report.provider_status.strip(),
        )
        if self._known(key):
            _LOGGER.debug(
                "%s report for message %s already seen", data["provider"], data["message_id"]
            )
            return False
        self._record(key, tied=True)
        self.hass.bus.async_fire(EVENT_DELIVERY_REPORT, dict(data))
        async_dispatcher_send(self.hass, SIGNAL_DELIVERY_REPORT.format(self.entry.entry_id), data)
        return True

    @callback
    def _receive_reply(
        self, reply: InboundMessage, *, confirmed_by_gateway: bool, by_sender: bool = False
    ) -> bool:
        if by_sender:
            answered, answers_sender = self._send_to_sender(reply)
        else:
            answered, answers_sender = self._answered_send(reply)
        if reply.message_id and not reply.message_id.startswith(_LOCAL_ID_PREFIX):
            key = _key("reply", str(reply.provider), reply.message_id)
        else:
            received = reply.received_at.isoformat() if reply.received_at else None
            text_digest = hashlib.sha256(reply.text.encode()).hexdigest()
            key = _key("reply", str(reply.provider), reply.sender, received, text_digest)
        verified = confirmed_by_gateway or answers_sender
        if self._known(key):
            _LOGGER.debug("%s reply %s already seen", reply.provider, reply.message_id)
            return False
        subentry = self._recipient(reply.sender)
        screening = None
        if subentry is not None:
            # a channel Texto vouches for: a verified reply, polling, or the modem
            trusted = verified or by_sender
            screening = self._assist.screen(subentry, reply.sender, reply.text, trusted=trusted)
            if not screening.fires:
                self._record(key, tied=verified)
                return False
        if not verified and not self.unverified_bound.allow():
            # not remembered: the same reply read back from the gateway's API still fires
            return False
        self._record(key, tied=verified)
        data = self._reply_data(reply, answered, verified=verified)
        if screening is not None and screening.event_text is not None:
            # alert acknowledgements keep working; the PIN never reaches the recorder
            data["text"] = screening.event_text
        accepted = screening if screening and screening.verdict is Verdict.ACCEPTED else None
        self.hass.bus.async_fire(EVENT_SMS_RECEIVED, dict(data))
        async_dispatcher_send(self.hass, SIGNAL_SMS_RECEIVED.format(self.entry.entry_id), data)
        if accepted is not None and subentry is not None:
            self._assist.async_start(
                subentry,
                reply.sender,
                accepted,
                recipient=data["sender_entity_id"],
                complete=reply.complete,
                received_at=reply.received_at,
            )
        return True

    # --- what the events say ---------------------------------------------------------------

    def _report_data(self, report: DeliveryReport, sent: SentMessage) -> DeliveryReportData:
        """The event data, the report tied back to the send it is about."""
        recipient = report.recipient
        if recipient is None and report.recipient_message_id:
            # 123-SMS may leave out the number: the per-recipient reference names it
            recipient = _number_with_id(sent, report.recipient_message_id)
        message_id = report.message_id or report.recipient_message_id
        return DeliveryReportData(
            entry_id=self.entry.entry_id,
            provider=str(report.provider),
            message_id=sent.message_id or message_id,
            recipient=recipient,
            status=str(report.status),
            provider_status=report.provider_status,
            detail=report.detail,
            reported_at=report.reported_at.isoformat() if report.reported_at else None,
            reference=sent.reference,
            device_id=self.device_id_of(recipient),
            # the account whose log knows the send is the one that carried it
            route=str(sent.route),
            account=self.entry.entry_id,
            account_name=self.entry.title,
        )

    def _send_of_report(self, report: DeliveryReport) -> SentMessage | None:
        """The Texto send a report is about (123-SMS names it by a per-recipient id)."""
        sent = None
        if report.recipient_message_id:
            sent = self._sent_log.by_recipient_id(report.recipient_message_id)
        if sent is None and report.message_id:
            sent = self._sent_log.get(report.message_id)
        return sent

    def _reply_data(
        self, reply: InboundMessage, answered: SentMessage | None, *, verified: bool
    ) -> SmsReceivedData:
        subentry = self._recipient(reply.sender)
        received_at = reply.received_at or dt_util.now()
        name = None if subentry is None else subentry.data.get(CONF_NAME) or subentry.title
        return SmsReceivedData(
            entry_id=self.entry.entry_id,
            provider=str(reply.provider),
            sender=reply.sender,
            sender_name=name,
            sender_entity_id=None if subentry is None else self._notify_entity_id(subentry),
            recipient=reply.recipient,
            text=reply.text,
            received_at=received_at.isoformat(),
            message_id=reply.message_id,
            in_reply_to=answered.message_id if answered is not None else reply.in_reply_to or None,
            verified=verified,
            in_reply_to_sent_at=answered.sent_at.isoformat() if answered is not None else None,
            device_id=self.device_id_of(reply.sender),
            complete=reply.complete,
        )

    def _recipient(self, number: str | None) -> ConfigSubentry | None:
        """The recipient subentry with this number (E.164)."""
        if number is None:
            return None
        return next(
            (
                subentry
                for subentry in self.entry.subentries.values()
                if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
                and subentry.data.get(CONF_PHONE_NUMBER) == number
            ),
            None,
        )

    def _notify_entity_id(self, subentry: ConfigSubentry) -> str | None:
        unique_id = f"{self.entry.entry_id}_{subentry.subentry_id}"
        return er.async_get(self.hass).async_get_entity_id("notify", DOMAIN, unique_id)

    def device_id_of(self, number: str | None) -> str | None:
        """The device an event about ``number`` belongs to: its recipient's, else the account's."""
        registry = dr.async_get(self.hass)
        subentry = self._recipient(number)
        if subentry is not None and (
            device := registry.async_get_device(
                identifiers={(DOMAIN, f"{self.entry.entry_id}_{subentry.subentry_id}")}
            )
        ):
            return device.id
        account = registry.async_get_device(identifiers={(DOMAIN, self.entry.entry_id)})
        return None if account is None else account.id

    def _answered_send(self, reply: InboundMessage) -> tuple[SentMessage | None, bool]:
        """The Texto send the reply answers, and whether that send vouches for it.

        Anyone holding the webhook URL can claim any ``in_reply_to``: only a send Texto
        made to that very number, that could take replies, less than ``REPLY_WINDOW``
        ago (by Texto's clock: the callback's own date is the sender's word) vouches.
        """
        claimed = reply.in_reply_to
        if not claimed:
            return None, False
        sent = self._sent_log.get(claimed)
        if sent is not None:
            to_sender = reply.sender in sent.recipients
        else:
            sent = self._sent_log.by_recipient_id(claimed)
            if sent is None:
                return None, False
            to_sender = sent.recipient_ids.get(reply.sender) == claimed
        recent = dt_util.utcnow() - sent.sent_at <= REPLY_WINDOW
        return sent, to_sender and sent.replies_allowed and recent

    def _send_to_sender(self, reply: InboundMessage) -> tuple[SentMessage | None, bool]:
        """The latest send to the reply's sender within ``REPLY_WINDOW``; whether it vouches.

        It does when it could take replies (the network named the sender).
        """
        sent = self._sent_log.last_sent_to(reply.sender, dt_util.utcnow() - REPLY_WINDOW)
        return sent, sent is not None and sent.replies_allowed

    # --- the keys seen -----------------------------------------------------------------------

    def _known(self, key: str) -> bool:
        """Whether ``key`` was seen already, in either room."""
        return key in self._seen or key in self._seen_untied

    @callback
    def _record(self, key: str, *, tied: bool) -> None:
        """Remember ``key`` in its room (the oldest key of a full room forgotten)."""
        room, limit = (self._seen, MAX_KEYS) if tied else (self._seen_untied, MAX_UNTIED_KEYS)
        room[key] = dt_util.utcnow().timestamp()
        while len(room) > limit:
            del room[next(iter(room))]
            self.dropped_keys += 1
        self._store.async_delay_save(self._dump, SAVE_DELAY)

    def _forget_old(self) -> None:
        oldest = dt_util.utcnow().timestamp() - KEEP.total_seconds()
        self._seen = _recent(self._seen, oldest, MAX_KEYS)
        self._seen_untied = _recent(self._seen_untied, oldest, MAX_UNTIED_KEYS)

    def _dump(self) -> dict[str, dict[str, float]]:
        self._forget_old()
        return {"tied": dict(self._seen), "untied": dict(self._seen_untied)}


def _by_age(stored: dict[str, float]) -> dict[str, float]:
    """Stored keys, oldest first."""
    return dict(sorted(stored.items(), key=lambda item: item[1]))


def _recent(room: dict[str, float], oldest: float, limit: int) -> dict[str, float]:
    recent = [(key, seen) for key, seen in room.items() if seen >= oldest]
    return dict(recent[-limit:])


def _number_with_id(sent: SentMessage, recipient_message_id: str) -> str | None:
    """The number a send's per-recipient id was given to."""
    return next(
        (number for number, given in sent.recipient_ids.items() if given == recipient_message_id),
        None,
    )
