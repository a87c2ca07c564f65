"""Where delivery reports and replies arrive, whatever brought them (webhook or polling).

Each item becomes one bus event and one event-entity update, once: the keys of the items
seen are kept in a private store, so nothing fires twice across polls, across restarts, nor
when the same item comes both by webhook and by polling.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_PHONE_NUMBER,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
    SUBENTRY_TYPE_RECIPIENT,
)
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
#: ... or when more recent ones push them out
MAX_KEYS: Final = 5000
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
        store: Store[dict[str, float]],
    ) -> None:
        self.hass = hass
        self.entry = entry
        self._sent_log = sent_log
        self._store = store
        #: key -> when it was seen (seconds since the epoch), oldest first
        self._seen: dict[str, float] = {}

    async def async_load(self) -> None:
        """Read the keys already seen (so nothing fires twice across restarts)."""
        stored = await self._store.async_load() or {}
        self._seen = dict(sorted(stored.items(), key=lambda item: item[1]))
        self._forget_old()

    async def async_flush(self) -> None:
        """Write the keys now (the entry unloads: a new inbox will read them)."""
        await self._store.async_save(self._dump())

    # --- receiving ---------------------------------------------------------------------------

    async def async_receive(
        self, item: DeliveryReport | InboundMessage, *, confirmed_by_gateway: bool = False
    ) -> bool:
        """Handle one report or reply; return True when it was new (events fired).

        ``confirmed_by_gateway``: the item came from the gateway's own polling API (a reply
        read back that way is ``verified``).
        """
        # No await below: two deliveries of one item cannot both pass the check.
        if isinstance(item, DeliveryReport):
            return self._receive_report(item)
        return self._receive_reply(item, confirmed_by_gateway=confirmed_by_gateway)

    @callback
    def _receive_report(self, report: DeliveryReport) -> bool:
        data = self._report_data(report)
        # the gateway's own code is in the key: smsmode reports 13, then 11, for one number
        key = _key(
            "report",
            data["provider"],
            data["message_id"],
            data["recipient"],
            data["status"],
            report.provider_status.strip(),
        )
        if not self._record(key):
            _LOGGER.debug(
                "%s report for message %s already seen", data["provider"], data["message_id"]
            )
            return False
        self.hass.bus.async_fire(EVENT_DELIVERY_REPORT, dict(data))
        async_dispatcher_send(self.hass, SIGNAL_DELIVERY_REPORT.format(self.entry.entry_id), data)
        return True

    @callback
    def _receive_reply(self, reply: InboundMessage, *, confirmed_by_gateway: bool) -> bool:
        if reply.message_id and not reply.message_id.startswith(_LOCAL_ID_PREFIX):
            key = _key("reply", str(reply.provider), reply.message_id)
        else:
            received = reply.received_at.isoformat() if reply.received_at else None
            text_digest = hashlib.sha256(reply.text.encode()).hexdigest()
            key = _key("reply", str(reply.provider), reply.sender, received, text_digest)
        if not self._record(key):
            _LOGGER.debug("%s reply %s already seen", reply.provider, reply.message_id)
            return False
        data = self._reply_data(reply, confirmed_by_gateway=confirmed_by_gateway)
        self.hass.bus.async_fire(EVENT_SMS_RECEIVED, dict(data))
        async_dispatcher_send(self.hass, SIGNAL_SMS_RECEIVED.format(self.entry.entry_id), data)
        return True

    # --- what the events say ---------------------------------------------------------------

    def _report_data(self, report: DeliveryReport) -> DeliveryReportData:
        """The event data, the report tied back to the send it is about."""
        sent = self._send_of_report(report)
        recipient = report.recipient
        if recipient is None and sent is not None and report.recipient_message_id:
            # 123-SMS may leave out the number: the per-recipient reference names it
            recipient = _number_with_id(sent, report.recipient_message_id)
        message_id = report.message_id or report.recipient_message_id
        return DeliveryReportData(
            entry_id=self.entry.entry_id,
            provider=str(report.provider),
            message_id=sent.message_id if sent is not None else message_id,
            recipient=recipient,
            status=str(report.status),
            provider_status=report.provider_status,
            detail=report.detail,
            reported_at=report.reported_at.isoformat() if report.reported_at else None,
            reference=sent.reference if sent is not None else report.reference,
            device_id=self.device_id_of(recipient),
        )

    def _send_of_report(self, report: DeliveryReport) -> SentMessage | None:
        """The Texto send a report is about (123-SMS names it by a per-recipient id)."""
        sent = None
        if report.recipient_message_id:
            sent = self._sent_log.by_recipient_id(report.recipient_message_id)
        if sent is None and report.message_id:
            sent = self._sent_log.get(report.message_id)
        return sent

    def _reply_data(self, reply: InboundMessage, *, confirmed_by_gateway: bool) -> SmsReceivedData:
        subentry = self._recipient(reply.sender)
        answered, answers_sender = self._answered_send(reply)
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
            verified=confirmed_by_gateway or answers_sender,
            in_reply_to_sent_at=answered.sent_at.isoformat() if answered is not None else None,
            device_id=self.device_id_of(reply.sender),
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
        """The Texto send the reply answers, and whether it went to the sender.

        Anyone holding the webhook URL can claim any ``in_reply_to``: only a send Texto
        made to that very number vouches for the reply.
        """
        claimed = reply.in_reply_to
        if not claimed:
            return None, False
        sent = self._sent_log.get(claimed)
        if sent is not None:
            return sent, reply.sender in sent.recipients
        sent = self._sent_log.by_recipient_id(claimed)
        if sent is not None:
            return sent, sent.recipient_ids.get(reply.sender) == claimed
        return None, False

    # --- the keys seen -----------------------------------------------------------------------

    @callback
    def _record(self, key: str) -> bool:
        """Remember ``key``; False when it was already known."""
        if key in self._seen:
            return False
        self._seen[key] = dt_util.utcnow().timestamp()
        while len(self._seen) > MAX_KEYS:
            del self._seen[next(iter(self._seen))]
        self._store.async_delay_save(self._dump, SAVE_DELAY)
        return True

    def _forget_old(self) -> None:
        oldest = dt_util.utcnow().timestamp() - KEEP.total_seconds()
        recent = [(key, seen) for key, seen in self._seen.items() if seen >= oldest]
        self._seen = dict(recent[-MAX_KEYS:])

    def _dump(self) -> dict[str, float]:
        self._forget_old()
        return dict(self._seen)


def _number_with_id(sent: SentMessage, recipient_message_id: str) -> str | None:
    """The number a send's per-recipient id was given to."""
    return next(
        (number for number, given in sent.recipient_ids.items() if given == recipient_message_id),
        None,
    )
