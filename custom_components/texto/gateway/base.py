"""The one interface every route implements, and the checks they all share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Container, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Self
from zoneinfo import ZoneInfo

from .encoding import GSM7_CHARSET, count, encode
from .errors import (
    EmptyMessageError,
    InvalidScheduleError,
    InvalidSenderError,
    MessageTooLongError,
    StopMentionRequiredError,
    UnsupportedFeatureError,
    ValidationError,
)
from .models import (
    Balance,
    Capabilities,
    DeliveryReport,
    EncodedText,
    Estimate,
    InboundMessage,
    PreparedSend,
    Provider,
    Route,
    SearchOutcome,
    SendRequest,
    SendResult,
    SendSearch,
    SendStatus,
    StopMention,
)
from .phone import is_french, normalize_all
from .sender import SenderRule, validate_sender
from .transport import Transport

#: the gateways are French and read naive dates as Paris time
PARIS = ZoneInfo("Europe/Paris")


def to_paris(moment: datetime) -> datetime:
    """``moment`` (timezone-aware) as Paris wall-clock time."""
    return moment.astimezone(PARIS)


def from_paris(naive: datetime) -> datetime:
    """A gateway's naive Paris time as an aware datetime."""
    return naive.replace(tzinfo=PARIS)


def accepted_by_all(
    route: Route,
    prepared: PreparedSend,
    *,
    message_id: str,
    status: SendStatus | None = None,
    credits_used: float | None = None,
) -> SendResult:
    """The result of a send every recipient of which was accepted (no per-recipient ids).

    ``status`` defaults to scheduled when the send has a date, else sent.
    """
    if status is None:
        status = SendStatus.SCHEDULED if prepared.send_at else SendStatus.SENT
    return SendResult(
        route=route,
        message_id=message_id,
        status=status,
        recipients=prepared.recipients,
        invalid_recipients=(),
        recipient_ids={},
        message=prepared.message,
        billed_parts=prepared.billed_parts,
        credits_used=credits_used,
        sender=prepared.sender,
        send_at=prepared.send_at,
        reference=prepared.request.reference,
    )


class Gateway(ABC):
    """A client of one route. Subclasses describe their rules in class attributes.

    ``prepare`` checks a request completely without any I/O; ``send`` prepares then sends,
    so nothing leaves the machine for an invalid request. A client is an async context
    manager: leaving it closes what the client owns (an HTTP session it created itself).
    """

    #: what the client sends by
    route: ClassVar[Route]
    #: the provider whose account it sends from
    provider: ClassVar[Provider]
    capabilities: ClassVar[Capabilities]
    #: the route's rule for custom senders
    sender_rule: ClassVar[SenderRule]
    #: the STOP mention a custom sender to France needs at the end of the text, if the
    #: library must write it itself
    stop_mention: ClassVar[str | None] = None
    #: units the gateway adds itself for the STOP mention (smsmode ``stop=2``)
    gateway_stop_units: ClassVar[int] = 0
    #: characters the route carries in its standard (7-bit) mode
    standard_charset: ClassVar[frozenset[str]] = GSM7_CHARSET

    # --- checks shared by every route --------------------------------------------------

    def prepare(self, request: SendRequest, *, now: datetime | None = None) -> PreparedSend:
        """Validate ``request`` for this route, or raise a ``ValidationError``."""
        self._check_features(request)
        if not request.recipients:
            raise ValidationError("no recipient", field="recipients")
        recipients = normalize_all(request.recipients)
        if not request.text.strip():
            raise EmptyMessageError
        sender = self._check_sender(request)
        needs_stop = (
            sender is not None
            and any(is_french(number) for number in recipients)
            and (self.stop_mention is not None or self.gateway_stop_units > 0)
        )
        text = request.text
        if needs_stop and self.stop_mention is not None:
            text = self._apply_stop_mention(text, request.stop_mention, self.stop_mention)
        message = encode(text, request.text_policy, charset=self.standard_charset)
        if needs_stop and self.gateway_stop_units and request.stop_mention is not StopMention.OFF:
            message = self._with_gateway_stop(message)
        self._check_length(message, request.max_parts)
        send_at = self._check_send_at(request.send_at, now)
        return PreparedSend(
            request=request,
            recipients=recipients,
            message=message,
            sender=sender,
            send_at=send_at,
        )

    def _check_features(self, request: SendRequest) -> None:
        caps = self.capabilities
        for wanted, available, feature in (
            (request.flash, caps.flash, "flash"),
            (request.voice, caps.voice, "voice"),
            (request.replies_allowed, caps.replies, "replies"),
            (request.send_at is not None, caps.schedule, "send_at"),
            (request.test, caps.test_mode, "test"),
        ):
            if wanted and not available:
                raise UnsupportedFeatureError(feature, self.route)
        if request.flash and request.voice:
            raise ValidationError("a message cannot be both flash and voice", field="voice")

    def _check_sender(self, request: SendRequest) -> str | None:
        if request.sender is None or not request.sender.strip():
            return None
        if request.replies_allowed:
            raise InvalidSenderError("a message that allows replies cannot have a custom sender")
        return validate_sender(request.sender, self.sender_rule)

    @staticmethod
    def _apply_stop_mention(text: str, policy: StopMention, mention: str) -> str:
        stripped = text.rstrip()
        if stripped.lower().endswith(mention.lower()):
            head = stripped[: -len(mention)]
            if not head or head[-1] in " \n":
                return text
        if policy is StopMention.REQUIRE:
            raise StopMentionRequiredError(mention)
        if policy is StopMention.ADD:
            return f"{stripped}\n{mention}"
        return text

    def _with_gateway_stop(self, message: EncodedText) -> EncodedText:
        """Count the mention the gateway appends itself, so the parts are what it bills."""
        units, parts = count(message.text + " " * self.gateway_stop_units, message.encoding)
        return EncodedText(
            text=message.text,
            encoding=message.encoding,
            units=units,
            parts=parts,
            replaced=message.replaced,
        )

    def _check_length(self, message: EncodedText, requested_max: int | None) -> None:
        caps = self.capabilities
        max_parts = caps.max_parts if requested_max is None else min(requested_max, caps.max_parts)
        if requested_max is not None and requested_max < 1:
            raise ValidationError("max_parts must be at least 1", field="max_parts")
        too_many_characters = (
            caps.max_characters is not None and len(message.text) > caps.max_characters
        )
        if message.parts > max_parts or too_many_characters:
            limit = caps.max_characters if too_many_characters else None
            raise MessageTooLongError(
                parts=message.parts, max_parts=max_parts, units=message.units, max_units=limit
            )

    @staticmethod
    def _check_send_at(send_at: datetime | None, now: datetime | None) -> datetime | None:
        if send_at is None:
            return None
        if send_at.tzinfo is None or send_at.utcoffset() is None:
            raise InvalidScheduleError("the date has no time zone")
        if send_at <= (now or datetime.now(UTC)):
            raise InvalidScheduleError("the date is in the past")
        return send_at

    # --- life cycle -----------------------------------------------------------------------

    async def close(self) -> None:  # noqa: B027 - a route that owns nothing has nothing to close
        """Release what the client owns (an HTTP route: the session it opened itself)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- what each route implements ----------------------------------------------------

    async def send(self, request: SendRequest) -> SendResult:
        """Prepare then send ``request``; raise a ``GatewayError`` on any failure."""
        return await self._send(self.prepare(request))

    @abstractmethod
    async def _send(self, prepared: PreparedSend) -> SendResult:
        """Put a prepared send on the wire and read the gateway's answer."""

    @abstractmethod
    async def get_balance(self) -> Balance:
        """The account's balance; also the way to check credentials without sending."""

    async def estimate(self, request: SendRequest) -> Estimate:
        """What ``request`` would cost; the gateway is asked only where it can price it."""
        prepared = self.prepare(request)
        return Estimate(
            message=prepared.message,
            recipients=len(prepared.recipients),
            billed_parts=prepared.billed_parts,
        )

    async def cancel(self, sent: SendResult) -> None:
        """Cancel a scheduled send."""
        raise UnsupportedFeatureError("cancel", self.route)

    async def fetch_delivery_reports(self, message_id: str) -> list[DeliveryReport]:
        """Delivery reports of one send, by polling the gateway."""
        raise UnsupportedFeatureError("delivery_reports", self.route)

    async def fetch_replies(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[InboundMessage]:
        """Replies received, by polling the gateway.

        A gateway that hands each reply over once (AllMySMS) ignores the dates; one that
        lists replies by date (``capabilities.poll_replies_by_date``, smsmode) lists those
        between ``since`` and ``until`` (now when absent), or its latest without ``since``.
        """
        raise UnsupportedFeatureError("replies", self.route)

    async def find_send(
        self, prepared: PreparedSend, *, since: datetime, known: Container[str] = ()
    ) -> SendSearch:
        """Look for a send whose answer was lost among those the gateway made.

        ``prepared`` is the send as prepared then; ``since`` when its request left;
        ``known`` the message ids the caller already has an answer for (another send of
        the same text). Found: the result as the gateway knows it. Not found: it never
        arrived, a resend is safe. Routes that cannot list their sends cannot tell.
        """
        return SendSearch(SearchOutcome.CANNOT_TELL)

    @classmethod
    def parse_callback(cls, params: Mapping[str, str]) -> DeliveryReport | InboundMessage | None:
        """Read a webhook call's parameters (query or form, already decoded).

        Return None for a call that carries nothing to report (a reachability check);
        raise ``CallbackError`` for a malformed one.
        """
        raise UnsupportedFeatureError("callbacks", cls.route)


class HttpGateway(Gateway):
    """A route over HTTP: its transport holds the session (the caller's, or its own)."""

    _transport: Transport

    async def close(self) -> None:
        """Close the HTTP session the client opened itself; a caller's session stays open."""
        await self._transport.close()
