"""AllMySMS HTTPS API 9.0: one POST per send, every recipient in the same ``smsData``.

Every call is a form POST to ``/http/9.0/<endpoint>/`` with ``login``, ``apiKey`` and
``returnformat=json``. No live account was available: the answers are read tolerantly
(numbers given as strings, unknown fields ignored, both ``statut`` and ``status``) as
``providers.md`` asks, and anything the documentation does not describe becomes an
``UnexpectedResponseError`` carrying the redacted answer.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final
from uuid import uuid4

from .base import HttpGateway, from_paris, to_paris
from .errors import (
    AuthenticationError,
    CallbackError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    RecipientsRejectedError,
    UnexpectedResponseError,
)
from .models import (
    Balance,
    BalanceUnit,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Estimate,
    InboundMessage,
    PreparedSend,
    Provider,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
)
from .phone import from_gateway, to_gateway
from .sender import SenderRule
from .transport import CONNECT_TIMEOUT, TOTAL_TIMEOUT, Transport

_LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    import aiohttp

#: the warning of an estimate the gateway could not price (its parts counted locally)
PRICE_UNAVAILABLE = "price_unavailable"
DEFAULT_BASE_URL: Final = "https://api.allmysms.com"
API_PATH: Final = "/http/9.0"
#: what one SMS to France costs in AllMySMS credits (providers.md)
CREDITS_PER_SMS: Final = 15
#: the mention a custom sender to France needs at the end of the text (seed 000)
STOP_MENTION: Final = "STOP au 36180"
#: the gateway's date format, Paris wall-clock time
DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

#: status 113 "some numbers invalid", 114 "no valid number"
_SOME_INVALID: Final = 113
_NONE_VALID: Final = 114

#: the seed's error statuses, in words of our own (the gateway's texts stay in ``raw``)
_ERROR_MESSAGES: Final[Mapping[int, str]] = {
    102: "AllMySMS refused the login or API key",
    103: "the AllMySMS account has no credit left",
    104: "the AllMySMS account has not enough credit for this send",
    105: "AllMySMS received no message data",
    106: "AllMySMS found the message data invalid or incomplete",
    107: "AllMySMS found the message data invalid or incomplete",
    108: "AllMySMS found a client code that does not match the login",
    109: "AllMySMS found the message data invalid or incomplete",
    110: "AllMySMS found the message empty",
    111: "AllMySMS refused a message longer than 640 characters",
    112: "AllMySMS found the message data invalid or incomplete",
    113: "AllMySMS refused some of the phone numbers",
    114: "AllMySMS found no valid phone number",
    115: "AllMySMS refused the send date",
    117: "AllMySMS refused a link longer than 80 characters",
    118: "the AllMySMS master account does not exist",
}
_AUTHENTICATION: Final = frozenset({102, 118})
#: the request field each "invalid request" status blames
_INVALID_FIELDS: Final[Mapping[int, str]] = {
    105: "smsData",
    106: "smsData",
    107: "smsData",
    108: "smsData",
    109: "smsData",
    112: "smsData",
    110: "text",
    111: "text",
    115: "send_at",
    117: "text",
}
#: webhook and getAcks delivery codes (davaxi/AllMySMS WebHook classes)
_DELIVERY_STATUSES: Final[Mapping[int, DeliveryStatus]] = {
    1: DeliveryStatus.DELIVERED,
    2: DeliveryStatus.FAILED,
    3: DeliveryStatus.PENDING,
    4: DeliveryStatus.FAILED,
    5: DeliveryStatus.FAILED,
}
_AMOUNTS_RE: Final = re.compile(
    r"utiliser\s*:\s*(\d+(?:[.,]\d+)?).*?disponibles?\s*:\s*(-?\d+(?:[.,]\d+)?)",
    re.IGNORECASE | re.DOTALL | re.ASCII,
)
_CODE_RE: Final = re.compile(r"\s*(\d{1,6})\s*", re.ASCII)
_NUMBER_LIST_RE: Final = re.compile(r"[;,\s]+")


@dataclass(frozen=True, slots=True)
class _Answer:
    """A decoded JSON answer, and its text for errors."""

    payload: Mapping[str, object]
    text: str
    redact: Callable[[str], str]

    @property
    def raw(self) -> str:
        """The answer with secrets and numbers masked: computed only for an error."""
        return self.redact(self.text)[:2000]

    @property
    def code(self) -> int | None:
        return _code(self.payload.get("status"))


class AllMySmsGateway(HttpGateway):
    """The AllMySMS HTTPS API 9.0 route."""

    route = Route.ALLMYSMS
    provider = Provider.ALLMYSMS
    capabilities = Capabilities(
        balance=True,
        balance_unit=BalanceUnit.CREDITS,
        balance_sms_estimate=True,
        credit_estimate=True,
        schedule=True,
        cancel=True,
        flash=True,
        voice=False,
        replies=True,
        delivery_reports=True,
        poll_delivery_reports=True,
        poll_replies=True,
        test_mode=False,
        # status 111 caps the text at 640 characters; 10 UCS-2 parts hold 640 characters
        max_parts=10,
        max_characters=640,
        # the API takes a whole campaign in one smsData: never split a send
        recipients_per_request=1_000_000,
    )
    sender_rule = SenderRule(3, 11, allow_space=True, must_start_with_letter=True)
    stop_mention = STOP_MENTION

    def __init__(
        self,
        login: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
    ) -> None:
        self._login = login
        self._api_key = api_key
        self._transport = Transport(
            session,
            base_url,
            secrets=(api_key, login),
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
        )

    # --- sending -------------------------------------------------------------------------

    async def _send(self, prepared: PreparedSend) -> SendResult:
        answer = await self._call("sendSms", {"smsData": _sms_data(prepared)})
        code = answer.code
        campaign_id = _text(answer.payload.get("campaignId"))
        invalid = _invalid_numbers(answer.payload.get("invalidNumbers"))
        if code in (100, 101) or (code == _SOME_INVALID and campaign_id):
            return self._result(prepared, answer, campaign_id, invalid)
        raise self._error(answer, prepared, invalid)

    def _result(
        self,
        prepared: PreparedSend,
        answer: _Answer,
        campaign_id: str | None,
        invalid: tuple[str, ...],
    ) -> SendResult:
        refused = set(invalid)
        accepted = tuple(number for number in prepared.recipients if number not in refused)
        scheduled = answer.code == 101 or (
            answer.code == _SOME_INVALID and prepared.send_at is not None
        )
        return SendResult(
            route=self.route,
            # a "sent" status without a campaign id is still a send: give it an id of ours
            message_id=campaign_id or f"local-{uuid4().hex}",
            status=SendStatus.SCHEDULED if scheduled else SendStatus.SENT,
            recipients=accepted,
            invalid_recipients=invalid,
            recipient_ids=_recipient_ids(answer.payload.get("smsIds")),
            message=prepared.message,
            billed_parts=prepared.message.parts * len(accepted),
            credits_used=_number(answer.payload.get("creditsUsed")),
            balance=_number(answer.payload.get("credits")),
            sender=prepared.sender,
            send_at=prepared.send_at,
            reference=prepared.request.reference,
        )

    async def estimate(self, request: SendRequest) -> Estimate:
        """Price ``request`` with ``simulateCampaign``: the gateway sends nothing.

        The parts and the encoding are counted here whatever the price lookup does: when
        it fails (unreachable, a timeout, an HTTP error such as a proxy's 404 or a 5xx, an
        answer that does not parse or has no price), ``credits`` is None and ``warnings``
        says ``price_unavailable``. A refusal the gateway states (credentials, numbers)
        still raises.
        """
        prepared = self.prepare(request)
        try:
            answer = await self._call(
                "simulateCampaign", {"smsData": _sms_data(prepared)}, read=True
            )
        except GatewayError as err:
            # the price is a nicety; what the send would be is known without it
            return _unpriced(prepared, type(err).__name__)
        invalid = _invalid_numbers(answer.payload.get("invalidNumbers"))
        priced = _number(answer.payload.get("nbCredits"))
        code = answer.code
        if code in _ERROR_MESSAGES and not (code == _SOME_INVALID and priced is not None):
            raise self._error(answer, prepared, invalid)
        if priced is None:
            return _unpriced(prepared, "an answer without a price")
        refused = set(invalid)
        accepted = [number for number in prepared.recipients if number not in refused]
        return Estimate(
            message=prepared.message,
            recipients=len(accepted),
            billed_parts=prepared.message.parts * len(accepted),
            credits=priced,
        )

    async def cancel(self, sent: SendResult) -> None:
        """Delete a scheduled campaign with ``deleteCampaign``."""
        answer = await self._call("deleteCampaign", {"campId": sent.message_id})
        status = answer.payload.get("status")
        if isinstance(status, str) and status.strip().upper() == "OK":
            return
        if answer.code in _ERROR_MESSAGES:
            raise self._error(answer)
        if status is None:
            raise UnexpectedResponseError(
                "AllMySMS did not say whether the campaign was cancelled", raw=answer.raw
            )
        raise NotFoundError(
            "AllMySMS did not cancel the campaign (unknown, or already sent)",
            code=self._transport.redact(str(status))[:40],
            raw=answer.raw,
        )

    # --- account -------------------------------------------------------------------------

    async def get_balance(self) -> Balance:
        """Return the credits left (``getInfo``), with the SMS to France they buy."""
        answer = await self._call("getInfo", read=True)
        if answer.code in _ERROR_MESSAGES:
            raise self._error(answer)
        amount = _number(answer.payload.get("credits"))
        if amount is None:
            raise UnexpectedResponseError("AllMySMS gave no credit balance", raw=answer.raw)
        return Balance(
            amount=amount,
            unit=BalanceUnit.CREDITS,
            sms_estimate=float(max(math.floor(amount / CREDITS_PER_SMS), 0)),
        )

    # --- delivery reports and replies, by polling ----------------------------------------

    async def fetch_delivery_reports(self, message_id: str) -> list[DeliveryReport]:
        """Return the acknowledgements of one campaign (``getAcks``); [] while none."""
        answer = await self._call("getAcks", {"campId": message_id}, read=True)
        acks = self._list_or_none(answer, "acks")
        reference = _text(answer.payload.get("cliMsgId"))
        return [
            _delivery_report(ack, message_id=message_id, reference=reference)
            for ack in acks
            if isinstance(ack, Mapping)
        ]

    async def fetch_replies(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[InboundMessage]:
        """Return the replies received since the previous call (``getPulls``).

        The gateway hands each reply over once, whatever the dates: they are ignored.
        """
        answer = await self._call("getPulls")
        replies = self._list_or_none(answer, "mos")
        return [_inbound(reply) for reply in replies if isinstance(reply, Mapping)]

    async def get_reply(self, sms_id: str) -> InboundMessage:
        """Return the reply to one sent SMS (``getPullBySmsId``).

        ``sms_id`` is the sent SMS's id, from ``SendResult.recipient_ids``; the gateway
        gives the reply no id of its own here, so ``sms_id`` is the reply's ``message_id``.
        """
        answer = await self._call("getPullBySmsId", {"smsId": sms_id}, read=True)
        if answer.code in _ERROR_MESSAGES:
            raise self._error(answer)
        if _text(answer.payload.get("phoneNumber")) is None:
            raise NotFoundError("AllMySMS has no reply to this SMS", raw=answer.raw)
        return _inbound(answer.payload, default_id=sms_id)

    def _list_or_none(self, answer: _Answer, key: str) -> list[object]:
        """``answer[key]`` as a list; [] for the ``{"status": "0"}`` "nothing yet" answer."""
        items = answer.payload.get(key)
        if isinstance(items, list):
            return items
        if answer.code in _ERROR_MESSAGES:
            raise self._error(answer)
        if items is None and answer.code == 0:
            return []
        raise UnexpectedResponseError(f"AllMySMS gave no '{key}' list", raw=answer.raw)

    # --- webhooks ------------------------------------------------------------------------

    @classmethod
    def parse_callback(cls, params: Mapping[str, str]) -> DeliveryReport | InboundMessage | None:
        """Read a webhook call: a delivery report (``status``) or a reply (``smsMoId``).

        Keys are matched whatever their case; an empty call is a reachability check (None).
        """
        fields = _callback_fields(params)
        if not fields:
            return None
        if "smsmoid" in fields or "message" in fields:
            return _callback_reply(fields)
        if "status" in fields:
            return _callback_report(fields)
        raise CallbackError("neither an AllMySMS delivery report nor a reply")

    # --- the wire --------------------------------------------------------------------------

    async def _call(
        self,
        endpoint: str,
        fields: Mapping[str, str] | None = None,
        *,
        read: bool = False,
    ) -> _Answer:
        """Call an endpoint and read its JSON answer.

        A ``read`` may be repeated on a broken connection.
        """
        form = {
            "login": self._login,
            "apiKey": self._api_key,
            "returnformat": "json",
            **(fields or {}),
        }
        answer = await self._transport.request(
            "POST",
            f"{API_PATH}/{endpoint}/",
            form=form,
            idempotent=read,
        )
        decoded = _Answer(payload={}, text=answer.text, redact=self._transport.redact)
        try:
            payload = json.loads(answer.text)
        except (ValueError, RecursionError) as err:
            raise UnexpectedResponseError(
                "AllMySMS answered something not JSON", raw=decoded.raw
            ) from err
        if not isinstance(payload, dict):
            raise UnexpectedResponseError(
                "AllMySMS answered JSON that is not an object", raw=decoded.raw
            )
        return _Answer(payload=payload, text=answer.text, redact=self._transport.redact)

    def _error(
        self,
        answer: _Answer,
        prepared: PreparedSend | None = None,
        invalid: tuple[str, ...] = (),
    ) -> GatewayError:
        """Return the typed error for an answer's status (every status of the seed's table)."""
        code = answer.code
        if code is None or code not in _ERROR_MESSAGES:
            return UnexpectedResponseError(
                "AllMySMS answered a status its documentation does not describe",
                code=None if code is None else str(code),
                raw=answer.raw,
            )
        text = str(code)
        message = f"{_ERROR_MESSAGES[code]} (status {text})"
        if code in _AUTHENTICATION:
            return AuthenticationError(message, code=text)
        if code == 103:
            return CreditError(message, code=text)
        if code == 104:
            required, available = _amounts(answer.payload.get("statusText"))
            return CreditError(message, code=text, required=required, available=available)
        if code in (_SOME_INVALID, _NONE_VALID):
            # 114 refuses every number; when the gateway does not list them, they all are
            everyone = prepared.recipients if prepared is not None else ()
            numbers = invalid or (everyone if code == _NONE_VALID else ())
            return RecipientsRejectedError(message, code=text, numbers=list(numbers))
        return InvalidRequestError(message, code=text, field=_INVALID_FIELDS[code])


# --- request ---------------------------------------------------------------------------


def _sms_data(prepared: PreparedSend) -> str:
    """Return the ``smsData`` JSON of a send; optional keys only when they have a value."""
    request = prepared.request
    data: dict[str, object] = {"MESSAGE": prepared.message.text}
    if prepared.sender:
        data["TPOA"] = prepared.sender
    if prepared.send_at is not None:
        data["DATE"] = to_paris(prepared.send_at).strftime(DATE_FORMAT)
    if request.flash:
        data["FLASH"] = "1"
    if request.campaign_name:
        data["CAMPAIGN_NAME"] = request.campaign_name
    if request.reference:
        data["CLIMSGID"] = request.reference
    data["SMS"] = [{"MOBILEPHONE": to_gateway(number)} for number in prepared.recipients]
    return json.dumps({"DATA": data}, ensure_ascii=False)


# --- tolerant readers of the gateway's values -------------------------------------------


def _code(value: object) -> int | None:
    """Read a status code given as a number or as digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (match := _CODE_RE.fullmatch(value)):
        return int(match.group(1))
    return None


def _text(value: object) -> str | None:
    """Read a non-empty identifier or word given as text or as a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _number(value: object) -> float | None:
    """Read an amount given as a number or as text ("1847", "12,5"); None if unreadable."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            amount = float(value)
        elif isinstance(value, str):
            amount = float(value.strip().replace(" ", "").replace(",", "."))
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return amount if math.isfinite(amount) else None


def _phone(raw: str) -> str:
    """E.164 when ``raw`` reads as a phone number, else ``raw`` as the gateway wrote it."""
    return from_gateway(raw) or raw


def _invalid_numbers(value: object) -> tuple[str, ...]:
    """``invalidNumbers`` given as a list or as a comma / semicolon separated string."""
    if isinstance(value, str):
        items: list[object] = list(_NUMBER_LIST_RE.split(value))
    elif isinstance(value, list):
        items = value
    else:
        return ()
    numbers = (_text(item) for item in items)
    return tuple(dict.fromkeys(_phone(number) for number in numbers if number))


def _recipient_ids(value: object) -> dict[str, str]:
    """``smsIds`` ([{phoneNumber, smsId}]) keyed by E.164."""
    if not isinstance(value, list):
        return {}
    ids: dict[str, str] = {}
    for item in value:
        if not isinstance(item, Mapping):
            continue
        number, sms_id = _text(item.get("phoneNumber")), _text(item.get("smsId"))
        if number and sms_id:
            ids[_phone(number)] = sms_id
    return ids


def _amounts(status_text: object) -> tuple[float | None, float | None]:
    """Read (required, available) in "A utiliser: XX Crédits, Disponibles: YY Crédits"."""
    if not isinstance(status_text, str):
        return None, None
    match = _AMOUNTS_RE.search(status_text)
    if match is None:
        return None, None
    return _number(match.group(1)), _number(match.group(2))


def _date(value: object) -> datetime | None:
    """Read a gateway date (naive Paris time, "2014-02-19 11:40:35") as an aware datetime.

    None when absent; ``ValueError`` when present but unreadable.
    """
    text = _text(value)
    if text is None:
        return None
    if not isinstance(value, str):
        raise ValueError("a date given as a number")  # noqa: TRY004 - callers catch ValueError
    moment = datetime.fromisoformat(text)
    return from_paris(moment) if moment.tzinfo is None else moment


def _date_or_none(value: object) -> datetime | None:
    """Read a polled date: an unreadable one is dropped, the report or reply is kept."""
    try:
        return _date(value)
    except ValueError:
        return None


def _delivery_status(code: int | None) -> DeliveryStatus:
    if code is None:
        return DeliveryStatus.UNKNOWN
    return _DELIVERY_STATUSES.get(code, DeliveryStatus.UNKNOWN)


# --- polled reports and replies ----------------------------------------------------------


def _delivery_report(
    ack: Mapping[str, object], *, message_id: str, reference: str | None
) -> DeliveryReport:
    """One entry of ``getAcks``: {phoneNumber, statut|status, comment, receptionDate}."""
    raw_status = ack.get("statut", ack.get("status"))
    number = _text(ack.get("phoneNumber"))
    return DeliveryReport(
        provider=Provider.ALLMYSMS,
        message_id=message_id,
        recipient=_phone(number) if number else None,
        status=_delivery_status(_code(raw_status)),
        provider_status=_text(raw_status) or "",
        detail=_text(ack.get("comment")),
        reported_at=_date_or_none(ack.get("receptionDate")),
        recipient_message_id=_text(ack.get("smsId")),
        reference=reference,
    )


def _inbound(mo: Mapping[str, object], *, default_id: str | None = None) -> InboundMessage:
    """Read a reply of ``getPulls`` or ``getPullBySmsId``; none is dropped (read only once)."""
    number = _text(mo.get("phoneNumber"))
    message = mo.get("message")
    message_id = (
        _text(mo.get("id")) or _text(mo.get("smsMoId")) or default_id or f"local-{uuid4().hex}"
    )
    return InboundMessage(
        provider=Provider.ALLMYSMS,
        message_id=message_id,
        sender=_phone(number) if number else "",
        text=message if isinstance(message, str) else (_text(message) or ""),
        received_at=_date_or_none(mo.get("receptionDate")),
        in_reply_to=_text(mo.get("campaignId")),
    )


# --- webhooks ----------------------------------------------------------------------------


def _callback_fields(params: Mapping[str, object]) -> dict[str, object]:
    """Key the call's fields in lower case (first spelling wins), non-text keys ignored."""
    fields: dict[str, object] = {}
    for key, value in params.items():
        if isinstance(key, str):
            fields.setdefault(key.strip().lower(), value)
    return fields


def _required(fields: Mapping[str, object], key: str) -> str:
    value = _text(fields.get(key))
    if value is None:
        raise CallbackError(f"the AllMySMS callback has no '{key}'")
    return value


def _callback_date(fields: Mapping[str, object]) -> datetime | None:
    try:
        return _date(fields.get("receptiondate"))
    except ValueError as err:
        raise CallbackError("the AllMySMS callback has an unreadable receptionDate") from err


def _callback_report(fields: Mapping[str, object]) -> DeliveryReport:
    """Delivery report: smsId, campaignId, phoneNumber, status, statusText, receptionDate."""
    status = _required(fields, "status")
    number = _required(fields, "phonenumber")
    sms_id, campaign_id = _text(fields.get("smsid")), _text(fields.get("campaignid"))
    if sms_id is None and campaign_id is None:
        raise CallbackError("the AllMySMS delivery report names no SMS and no campaign")
    return DeliveryReport(
        provider=Provider.ALLMYSMS,
        message_id=campaign_id,
        recipient=_phone(number),
        status=_delivery_status(_code(status)),
        provider_status=status,
        detail=_text(fields.get("statustext")),
        reported_at=_callback_date(fields),
        recipient_message_id=sms_id,
    )


def _callback_reply(fields: Mapping[str, object]) -> InboundMessage:
    """Reply (SMS-MO): smsMoId, message, phoneNumber, campaignId, smsId, receptionDate."""
    mo_id = _required(fields, "smsmoid")
    number = _required(fields, "phonenumber")
    message = fields.get("message")
    if not isinstance(message, str):
        raise CallbackError("the AllMySMS reply has no 'message'")
    return InboundMessage(
        provider=Provider.ALLMYSMS,
        message_id=mo_id,
        sender=_phone(number),
        text=message,
        received_at=_callback_date(fields),
        in_reply_to=_text(fields.get("campaignid")),
    )


def _unpriced(prepared: PreparedSend, why: str) -> Estimate:
    """The local count of a send the gateway could not price (said in one debug line)."""
    _LOGGER.debug("AllMySMS could not price the estimate (%s): parts counted locally", why)
    return Estimate(
        message=prepared.message,
        recipients=len(prepared.recipients),
        billed_parts=prepared.billed_parts,
        credits=None,
        warnings=(PRICE_UNAVAILABLE,),
    )
