"""Typed values exchanged with the gateways: requests, results, reports and replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Provider(StrEnum):
    """A gateway route."""

    ALLMYSMS = "allmysms"
    MAIL2SMS = "mail2sms"
    SMSMODE = "smsmode"
    SMS123 = "sms123"


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

    provider: Provider
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


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a route can do; the integration shows or refuses features from this."""

    balance: bool = True
    #: the gateway can price a send itself (beyond counting parts)
    credit_estimate: bool = False
    schedule: bool = True
    cancel: bool = False
    flash: bool = False
    voice: bool = False
    replies: bool = False
    delivery_reports: bool = False
    poll_delivery_reports: bool = False
    poll_replies: bool = False
    test_mode: bool = False
    #: most parts per recipient the route takes
    max_parts: int = 8
    #: most characters the route takes, when it counts characters rather than parts
    max_characters: int | None = None
    #: recipients one request may carry (the library splits larger sends)
    recipients_per_request: int = 1
