"""Typed values exchanged with the gateways: requests, results, reports and replies.

Requests and results have a plain JSON form (``to_dict`` / ``from_dict``) for callers that
keep them (a persistent outbox, scheduled sends): dates in ISO 8601, enums by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Provider(StrEnum):
    """A gateway company: the account a message is billed to."""

    ALLMYSMS = "allmysms"
    SMSMODE = "smsmode"
    SMS123 = "sms123"
    #: the user's own GSM/LTE modem and SIM: no gateway company at all
    MODEM = "modem"


class Route(StrEnum):
    """What carries a message: a provider's HTTP API, AllMySMS's Mail2SMS (e-mail), a modem."""

    #: the AllMySMS HTTPS API
    ALLMYSMS = "allmysms"
    #: AllMySMS by e-mail, through the user's own SMTP server
    MAIL2SMS = "mail2sms"
    SMSMODE = "smsmode"
    SMS123 = "sms123"
    #: a GSM/LTE modem on a serial port, driven with AT commands
    MODEM = "modem"

    @property
    def provider(self) -> Provider:
        """The provider whose account the route sends from."""
        return Provider.ALLMYSMS if self is Route.MAIL2SMS else Provider(self.value)


class LostSendCheck(StrEnum):
    """How a route can tell whether a send whose answer was lost went out."""

    #: it cannot: such a send must never be resent
    NONE = "none"
    #: it lists its recent sends: ``Gateway.find_send`` looks for it (smsmode)
    LISTING = "listing"
    #: it refuses an identical text to the same number for a while (123-SMS, 24 hours):
    #: the identical resend is the question, a duplicate refusal the answer "it went"
    DUPLICATE_RESEND = "duplicate_resend"


class SearchOutcome(StrEnum):
    """What looking for a lost send found."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    CANNOT_TELL = "cannot_tell"


class Encoding(StrEnum):
    """How the text travels over the air (and so how it is billed)."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


class TextPolicy(StrEnum):
    """What the library may do to the text before sending it.

    ``auto``: replace typographic look-alikes (’ “ ” – … no-break spaces) with GSM-7 ones,
    keep UCS-2 when a character still needs it. ``gsm7``: also transliterate letters GSM-7
    lacks (ê→e, ç→c, œ→oe) and refuse the text if it still needs UCS-2. ``unicode``: send
    the text exactly as given.
    """

    AUTO = "auto"
    GSM7 = "gsm7"
    UNICODE = "unicode"


class StopMention(StrEnum):
    """What to do when a custom sender to France needs the route's STOP mention.

    ``add``: append the mention when the text lacks it (counted in the parts, shown in the
    text as sent). ``require``: refuse the text unless it already ends with the mention.
    ``off``: send as given; the gateway may then replace the sender or refuse the message.
    """

    ADD = "add"
    REQUIRE = "require"
    OFF = "off"


class SendStatus(StrEnum):
    """What the gateway did with an accepted send."""

    SENT = "sent"
    SCHEDULED = "scheduled"
    #: validated by the gateway's test mode, nothing sent or billed (123-SMS ``test=o``)
    TEST = "test"
    #: given to a route that reports nothing back (Mail2SMS: e-mail accepted by SMTP)
    HANDED_OVER = "handed_over"


class DeliveryStatus(StrEnum):
    """A recipient's delivery state, from a delivery report."""

    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class BalanceUnit(StrEnum):
    """What a balance counts."""

    CREDITS = "credits"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class EncodedText:
    """A text ready to send and what it costs, per recipient."""

    text: str
    encoding: Encoding
    #: GSM-7 septets or UTF-16 code units, as billed
    units: int
    parts: int
    #: (original, replacement) for each distinct character the policy replaced
    replaced: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """What the caller wants sent. Nothing here is trusted until the route prepares it."""

    recipients: tuple[str, ...]
    text: str
    sender: str | None = None
    #: timezone-aware; converted to the gateway's own time zone (Paris)
    send_at: datetime | None = None
    text_policy: TextPolicy = TextPolicy.AUTO
    #: the caller's cap on parts per recipient (the route's own cap applies too)
    max_parts: int | None = None
    #: the caller's reference, echoed by gateways that can (AllMySMS CLIMSGID, smsmode refClient)
    reference: str | None = None
    campaign_name: str | None = None
    flash: bool = False
    voice: bool = False
    #: smsmode ``classe_msg=4``: recipients can answer (France only, no custom sender)
    replies_allowed: bool = False
    stop_mention: StopMention = StopMention.ADD
    #: per-send callback URLs, for gateways that take them (smsmode)
    delivery_report_url: str | None = None
    reply_url: str | None = None
    #: gateway test mode: validate without sending or billing (123-SMS)
    test: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The request as plain JSON."""
        return {
            "recipients": list(self.recipients),
            "text": self.text,
            "sender": self.sender,
            "send_at": _iso(self.send_at),
            "text_policy": str(self.text_policy),
            "max_parts": self.max_parts,
            "reference": self.reference,
            "campaign_name": self.campaign_name,
            "flash": self.flash,
            "voice": self.voice,
            "replies_allowed": self.replies_allowed,
            "stop_mention": str(self.stop_mention),
            "delivery_report_url": self.delivery_report_url,
            "reply_url": self.reply_url,
            "test": self.test,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SendRequest:
        """A request from its ``to_dict`` form."""
        return cls(
            recipients=tuple(data["recipients"]),
            text=data["text"],
            sender=data["sender"],
            send_at=_from_iso(data["send_at"]),
            text_policy=TextPolicy(data["text_policy"]),
            max_parts=data["max_parts"],
            reference=data["reference"],
            campaign_name=data["campaign_name"],
            flash=data["flash"],
            voice=data["voice"],
            replies_allowed=data["replies_allowed"],
            stop_mention=StopMention(data["stop_mention"]),
            delivery_report_url=data["delivery_report_url"],
            reply_url=data["reply_url"],
            test=data["test"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedSend:
    """A request the route validated: everything the wire format needs, nothing left to check."""

    request: SendRequest
    #: E.164 (+33612345678), duplicates removed, order kept
    recipients: tuple[str, ...]
    message: EncodedText
    sender: str | None
    send_at: datetime | None

    @property
    def billed_parts(self) -> int:
        """The parts it bills once every recipient is accepted."""
        return self.message.parts * len(self.recipients)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """What an accepted send did and cost."""

    #: what carried it
    route: Route
    #: one id for the send as a whole (AllMySMS campaignId, smsmode smsID, 123-SMS reference)
    message_id: str
    status: SendStatus
    #: E.164 numbers the gateway accepted
    recipients: tuple[str, ...]
    #: E.164 numbers the gateway refused in a partial acceptance
    invalid_recipients: tuple[str, ...]
    #: per-recipient ids (E.164 -> id), where the gateway gives them
    recipient_ids: Mapping[str, str]
    message: EncodedText
    #: parts per recipient x accepted recipients
    billed_parts: int
    #: credits the gateway says it took, None when it does not say
    credits_used: float | None = None
    #: the balance after the send, when the gateway says
    balance: float | None = None
    sender: str | None = None
    send_at: datetime | None = None
    reference: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON (the text as sent, not what the policy replaced)."""
        message = self.message
        return {
            "route": str(self.route),
            "message_id": self.message_id,
            "status": str(self.status),
            "recipients": list(self.recipients),
            "invalid_recipients": list(self.invalid_recipients),
            "recipient_ids": dict(self.recipient_ids),
            "text": message.text,
            "encoding": str(message.encoding),
            "units": message.units,
            "parts": message.parts,
            "billed_parts": self.billed_parts,
            "credits_used": self.credits_used,
            "balance": self.balance,
            "sender": self.sender,
            "send_at": _iso(self.send_at),
            "reference": self.reference,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SendResult:
        """A result from its ``to_dict`` form."""
        return cls(
            route=Route(data["route"]),
            message_id=data["message_id"],
            status=SendStatus(data["status"]),
            recipients=tuple(data["recipients"]),
            invalid_recipients=tuple(data["invalid_recipients"]),
            recipient_ids=dict(data["recipient_ids"]),
            message=EncodedText(
                text=data["text"],
                encoding=Encoding(data["encoding"]),
                units=data["units"],
                parts=data["parts"],
            ),
            billed_parts=data["billed_parts"],
            credits_used=data["credits_used"],
            balance=data["balance"],
            sender=data["sender"],
            send_at=_from_iso(data["send_at"]),
            reference=data["reference"],
        )


@dataclass(frozen=True, slots=True)
class SendSearch:
    """What ``Gateway.find_send`` found: the send as the gateway knows it, when found."""

    outcome: SearchOutcome
    result: SendResult | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """An account's remaining balance."""

    amount: float
    unit: BalanceUnit
    #: SMS to France the balance buys, when the gateway counts credits and the rate is known
    sms_estimate: float | None = None
    #: smsmode sends a negative balance for post-paid accounts
    postpaid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """What a send would cost, computed without sending."""

    message: EncodedText
    recipients: int
    billed_parts: int
    #: the gateway's own credit figure, when it can give one (AllMySMS simulateCampaign)
    credits: float | None = None
    #: what the send depends on beyond the text's validity, as codes (123-SMS:
    #: ``long_sms_option``, the account option texts over 160 characters need)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """A delivery report for one recipient of one send."""

    provider: Provider
    #: the send's ``message_id``, when the report says which send it belongs to
    message_id: str | None
    recipient: str | None
    status: DeliveryStatus
    #: the gateway's own code, as text
    provider_status: str
    detail: str | None = None
    reported_at: datetime | None = None
    #: the per-recipient id (AllMySMS smsId, 123-SMS reference), when given
    recipient_message_id: str | None = None
    #: the caller's reference echoed back (smsmode refClient, AllMySMS cliMsgId)
    reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """A reply (SMS-MO) received by the gateway."""

    provider: Provider
    #: the reply's own id
    message_id: str
    #: the phone that sent it: E.164 when it parses as a number, else as the gateway gave it
    sender: str
    text: str
    received_at: datetime | None = None
    #: the number or short code it was sent to, when known
    recipient: str | None = None
    #: the ``message_id`` of the send it answers, when the gateway says
    in_reply_to: str | None = None
    reference: str | None = None
    #: False when a part of a concatenated reply never came: the text is what arrived
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a route can do; the integration shows or refuses features from this."""

    balance: bool = True
    #: what the balance counts (None: the route has none)
    balance_unit: BalanceUnit | None = BalanceUnit.CREDITS
    #: the balance says how many SMS to France it buys (``Balance.sms_estimate``)
    balance_sms_estimate: bool = False
    #: the gateway can price a send itself (beyond counting parts)
    credit_estimate: bool = False
    schedule: bool = True
    cancel: bool = False
    #: cancelling repeats the send, text included (123-SMS): a caller must keep the text
    cancel_needs_text: bool = False
    flash: bool = False
    voice: bool = False
    replies: bool = False
    delivery_reports: bool = False
    poll_delivery_reports: bool = False
    poll_replies: bool = False
    #: replies are polled by date (``fetch_replies(since=..)``), not handed over once each
    poll_replies_by_date: bool = False
    #: a message can be answered only when sent to allow it (smsmode ``classe_msg=4``)
    replies_on_request: bool = False
    test_mode: bool = False
    #: how a send whose answer was lost can be checked (see ``LostSendCheck``)
    lost_send_check: LostSendCheck = LostSendCheck.NONE
    #: hours the gateway refuses an identical text to the same number (``DUPLICATE_RESEND``)
    duplicate_refusal_hours: int | None = None
    #: most parts per recipient the route takes
    max_parts: int = 8
    #: most characters the route takes, when it counts characters rather than parts
    max_characters: int | None = None
    #: recipients one request may carry (the library splits larger sends)
    recipients_per_request: int = 1


@dataclass(frozen=True, slots=True)
class SenderRule:
    """A route's rule for custom senders."""

    min_length: int
    max_length: int
    #: spaces allowed inside the sender
    allow_space: bool
    #: the first character must be a letter
    must_start_with_letter: bool
    #: a sender made only of digits (a phone number) is refused
    forbid_digits_only: bool = True


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
