"""123-SMS: one JSON POST per recipient to ``/api/send/``, the balance from ``/api/solde/``.

The seed (004) documents return codes but no response layout. The vendor's examples answer
plain text: the code, then a message reference when delivery reports are on (``80 ab12cd``).
Both that and a JSON object carrying the code are read. ``numero`` takes one number, so a
send to N recipients is N requests, run with bounded concurrency; an account-level refusal
(credentials, credit, sender ...) stops launching the rest.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import phone
from .base import HttpGateway, to_paris
from .errors import (
    AuthenticationError,
    CallbackError,
    CreditError,
    DuplicateRefusedError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PartialSendError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from .models import (
    Balance,
    BalanceUnit,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Estimate,
    InboundMessage,
    LostSendCheck,
    PreparedSend,
    Provider,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
)
from .redact import mask_text
from .sender import SenderRule
from .transport import CONNECT_TIMEOUT, TOTAL_TIMEOUT, Transport

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    import aiohttp

DEFAULT_BASE_URL = "https://www.123-sms.net"
SEND_PATH = "/api/send/"
BALANCE_PATH = "/api/solde/"
#: the mention code 102 asks for at the end of a message with a custom sender
STOP_MENTION = "stop SMS au 36177"
#: characters an account takes without its "envoi de sms longs par http" option
SHORT_SMS_LIMIT = 160
#: the estimate's warning for a longer text
LONG_SMS_OPTION = "long_sms_option"

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
#: ``diff``: hour, minute, day, month, year in Paris time (12 September 2018 15:30 = 153012092018)
_DIFF_FORMAT = "%H%M%d%m%Y"
#: appended to ``diff`` to delete a scheduled send
_DELETE_SUFFIX = "s"
_YES = "o"

_CODE_KEYS = ("code", "retour", "status")
_REFERENCE_KEYS = ("ref", "refenvoi", "reference", "id")
_BALANCE_KEYS = ("solde", "balance", "credits", "credit", "sms")
#: a leading code: up to 6 ASCII digits (with a minus) or E + digits, then the end or a separator
_CODE_RE = re.compile(r"(-?[0-9]{1,6}|E[0-9]{1,6})(?=$|[\s;|])", re.ASCII)
_AMOUNT_RE = re.compile(r"([0-9]{1,12}(?:[.,][0-9]{1,6})?)(?=$|[\s;|])", re.ASCII)
_SEPARATORS = " \t\r\n\f\v;|"
#: dashes a copy from the PDF seed (or a gateway) may use for the minus sign
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})

_SEND_STATUSES = {"80": SendStatus.SENT, "81": SendStatus.SCHEDULED, "92": SendStatus.TEST}
_CANCELLED = "94"
_NOT_CANCELLED = "95"
#: codes that refuse one number, not the account or the message
_RECIPIENT_REFUSALS = {
    "84": "the gateway refused a number as invalid",
    "93": "sending to overseas departments is not enabled on the account",
    "101": "the gateway refused a blocked or blacklisted number",
}
_DELIVERED_VALUES = frozenset({"", "0", "ok"})


@dataclass(frozen=True, slots=True)
class SendAnswer:
    """An accepted send's answer: its code, status and reference (when one was given)."""

    code: str
    status: SendStatus
    reference: str | None


def parse_answer(text: str) -> tuple[str, str | None] | None:
    """Read ``(code, reference)`` from a gateway answer, or None when it carries no code.

    Plain text: a leading code (``80``, ``-1``, ``E505``) optionally followed by a space,
    newline, ``;`` or ``|`` and a reference. JSON: an object with a code key (``code``,
    ``retour``, ``status``) and a reference key (``ref``, ``refenvoi``, ``reference``, ``id``).
    """
    stripped = text.translate(_DASHES).strip().lstrip("\ufeff").strip()
    if stripped.startswith(("{", "[")):
        return _parse_json_answer(stripped)
    match = _CODE_RE.match(stripped)
    if match is None:
        return None
    rest = stripped[match.end() :].strip(_SEPARATORS)
    reference = re.split(r"[\s;|]+", rest, maxsplit=1)[0] if rest else None
    return _normalise_code(match.group(1)), reference or None


def _parse_json_answer(text: str) -> tuple[str, str | None] | None:
    data = _json_object(text)
    if data is None:
        return None
    code = _scalar(data, _CODE_KEYS)
    if code is None or not _CODE_RE.fullmatch(code):
        return None
    return _normalise_code(code), _scalar(data, _REFERENCE_KEYS)


def _json_object(text: str) -> dict[str, object] | None:
    """``text`` as a JSON object with lower-cased keys, or None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(key).lower(): value for key, value in data.items()}


def _scalar(data: Mapping[str, object], keys: tuple[str, ...]) -> str | None:
    """Return the first of ``keys`` holding a non-empty string or number, stripped."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float | str):
            text = str(value).translate(_DASHES).strip()
            if text:
                return text
    return None


def _normalise_code(code: str) -> str:
    # "080" and "80" are one code; "E505" keeps its letter
    return code if code.startswith("E") else str(int(code))


def interpret_send_answer(text: str, redact: Callable[[str], str] = mask_text) -> SendAnswer:
    """Read the answer to one send request, or raise the ``GatewayError`` its code means.

    ``redact`` masks the raw text kept on an unexpected answer's error.
    """
    parsed = parse_answer(text)
    if parsed is None:
        raise UnexpectedResponseError(
            "the gateway's answer carries no return code", raw=redact(text)
        )
    code, reference = parsed
    status = _SEND_STATUSES.get(code)
    if status is None:
        raise send_error(code, redact(text))
    return SendAnswer(code=code, status=status, reference=reference)


def send_error(code: str, raw: str) -> GatewayError:
    """Return the error a ``/api/send/`` code (not a success) means; ``raw`` is redacted."""
    if code in _RECIPIENT_REFUSALS:
        return RecipientsRejectedError(_RECIPIENT_REFUSALS[code], code=code, numbers=[])
    match code:
        case "82":
            return AuthenticationError("the login or API key was refused", code=code)
        case "96":
            return AuthenticationError("this IP address is not allowed on the account", code=code)
        case "83":
            return CreditError("the account has no credit left", code=code)
        case "85":
            return InvalidRequestError(
                "the gateway refused the send date's format", code=code, field="send_at"
            )
        case "87":
            return InvalidRequestError("the login is empty or invalid", code=code, field="username")
        case "88":
            return InvalidRequestError("the API key is empty", code=code, field="api_key")
        case "89":
            return InvalidRequestError("the number is empty", code=code, field="recipients")
        case "90":
            return InvalidRequestError("the message is empty", code=code, field="text")
        case "91":
            return DuplicateRefusedError(
                "the same message went to this number in the last 24 hours", code=code
            )
        case "97":
            return InvalidRequestError(
                "the gateway refused the sender id", code=code, field="sender"
            )
        case "102":
            return InvalidRequestError(
                f"a custom sender needs '{STOP_MENTION}' at the end of the message",
                code=code,
                field="text",
            )
        case "-1":
            return InvalidRequestError("the gateway could not read the request", code=code)
        case "-2":
            return OutcomeUnknownError("the gateway reported a technical error", code=code)
        case "-3":
            # listed for the balance only, but a wrong URL is wrong for a send too
            return InvalidRequestError("the gateway says the URL is wrong", code=code, field="url")
    return UnexpectedResponseError(f"undocumented return code {code}", code=code, raw=raw)


def interpret_balance_answer(text: str, redact: Callable[[str], str] = mask_text) -> Balance:
    """Read the ``/api/solde/`` answer: the SMS left, or raise the error its code means."""
    stripped = text.translate(_DASHES).strip().lstrip("\ufeff").strip()
    if stripped.startswith(("{", "[")):
        data = _json_object(stripped)
        amount = None if data is None else _scalar(data, _BALANCE_KEYS)
        if amount is not None and _AMOUNT_RE.fullmatch(amount):
            return _balance(amount)
        code = None if data is None else _scalar(data, _CODE_KEYS)
    else:
        amount_match = _AMOUNT_RE.match(stripped)
        if amount_match is not None:
            return _balance(amount_match.group(1))
        code_match = _CODE_RE.match(stripped)
        code = None if code_match is None else code_match.group(1)
    if code is None or not _CODE_RE.fullmatch(code):
        raise UnexpectedResponseError(
            "the gateway's balance answer carries no amount", raw=redact(text)
        )
    raise _balance_error(_normalise_code(code), redact(text))


def _balance(amount: str) -> Balance:
    return Balance(amount=float(amount.replace(",", ".")), unit=BalanceUnit.SMS)


def _balance_error(code: str, raw: str) -> GatewayError:
    match code:
        case "E501":
            return AuthenticationError("the login is empty", code=code)
        case "E502":
            return AuthenticationError("the API key is empty", code=code)
        case "E505":
            return AuthenticationError("the login or API key was refused", code=code)
        case "-1":
            return InvalidRequestError("the gateway could not read the request", code=code)
        case "-2":
            return TemporarilyUnavailableError("the gateway reported a technical error", code=code)
        case "-3":
            return InvalidRequestError("the gateway says the URL is wrong", code=code, field="url")
    return UnexpectedResponseError(f"undocumented return code {code}", code=code, raw=raw)


@dataclass(slots=True)
class _Outcomes:
    """What became of each number of a send, in the order they were given."""

    accepted: dict[str, SendAnswer] = field(default_factory=dict)
    #: the number itself was refused (invalid, blocked, overseas not enabled)
    refused: dict[str, GatewayError] = field(default_factory=dict)
    #: any other failure (a duplicate refusal lets the other numbers go on)
    failed: dict[str, GatewayError] = field(default_factory=dict)
    #: the account-level or transport error that stopped launching requests
    stopped_by: GatewayError | None = None


class Sms123Gateway(HttpGateway):
    """The 123-SMS HTTP API (JSON bodies)."""

    route = Route.SMS123
    provider = Provider.SMS123
    # The seed caps a message at 160 characters unless the account option "envoi de sms
    # longs par http" is on, and documents no maximum then: 10 parts is this library's cap.
    capabilities = Capabilities(
        balance=True,
        balance_unit=BalanceUnit.SMS,
        schedule=True,
        cancel=True,
        cancel_needs_text=True,
        flash=True,
        voice=True,
        delivery_reports=True,
        test_mode=True,
        lost_send_check=LostSendCheck.DUPLICATE_RESEND,
        duplicate_refusal_hours=24,
        max_parts=10,
        recipients_per_request=1,
    )
    sender_rule = SenderRule(
        1, 11, allow_space=True, must_start_with_letter=False, forbid_digits_only=True
    )
    stop_mention = STOP_MENTION

    def __init__(
        self,
        username: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_concurrency: int = 4,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._username = username
        self._api_key = api_key
        self._max_concurrency = max_concurrency
        self._transport = Transport(
            session,
            base_url,
            secrets=(api_key, username),
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
        )

    async def estimate(self, request: SendRequest) -> Estimate:
        """Parts x recipients; a text over 160 characters needs the account's long-SMS option.

        The seed: "160 caractères maxi si l'option « envoi de sms longs par http » n'est pas
        choisie". Texto cannot read the option: the estimate says so, the send is tried.
        """
        estimate = await super().estimate(request)
        if len(estimate.message.text) > SHORT_SMS_LIMIT:
            return replace(estimate, warnings=(*estimate.warnings, LONG_SMS_OPTION))
        return estimate

    # --- sending ---------------------------------------------------------------------

    def prepare(self, request: SendRequest, *, now: datetime | None = None) -> PreparedSend:
        """Validate ``request``; a custom sender needs the STOP mention for every number.

        Code 102 asks for the mention whenever the sender id is changed, whatever the
        country, while the shared checks add it only for French numbers.
        """
        prepared = super().prepare(request, now=now)
        if prepared.sender is None or any(phone.is_french(n) for n in prepared.recipients):
            return prepared
        text = self._apply_stop_mention(request.text, request.stop_mention, STOP_MENTION)
        if text == request.text:
            return prepared
        with_mention = super().prepare(replace(request, text=text), now=now)
        return replace(with_mention, request=request)

    async def _send(self, prepared: PreparedSend) -> SendResult:
        fields = self._message_fields(prepared)
        outcomes = _Outcomes()
        stop = asyncio.Event()
        semaphore = asyncio.Semaphore(self._max_concurrency)

        async def send_to(number: str) -> None:
            async with semaphore:
                if stop.is_set():
                    return  # never attempted: an earlier request stopped the send
                answer = await self._send_one(number, fields)
            if isinstance(answer, SendAnswer):
                outcomes.accepted[number] = answer
            elif isinstance(answer, RecipientsRejectedError):
                outcomes.refused[number] = answer
            else:
                outcomes.failed[number] = answer
                if not isinstance(answer, DuplicateRefusedError):
                    # the account, the request or the gateway is at fault: send no more
                    outcomes.stopped_by = outcomes.stopped_by or answer
                    stop.set()

        await asyncio.gather(*(send_to(number) for number in prepared.recipients))
        return self._aggregate(prepared, outcomes)

    def _message_fields(self, prepared: PreparedSend) -> dict[str, str]:
        """Every field but ``numero``: the same for each recipient."""
        request = prepared.request
        fields = {"message": prepared.message.text}
        if prepared.sender is not None:
            fields["senderid"] = prepared.sender
        if prepared.send_at is not None:
            fields["diff"] = to_paris(prepared.send_at).strftime(_DIFF_FORMAT)
        if request.flash:
            fields["flash"] = _YES
        if request.voice:
            fields["TTS"] = _YES
        if request.test:
            fields["test"] = _YES
        return fields

    async def _send_one(self, number: str, fields: Mapping[str, str]) -> SendAnswer | GatewayError:
        """One number's request: its accepted answer, or the error it ended with."""
        try:
            text = await self._post(SEND_PATH, {"numero": phone.to_gateway(number), **fields})
            return interpret_send_answer(text, self._transport.redact)
        except RecipientsRejectedError as err:
            err.numbers = [number]
            return err
        except GatewayError as err:
            return err

    def _aggregate(self, prepared: PreparedSend, outcomes: _Outcomes) -> SendResult:
        order = prepared.recipients
        accepted = tuple(number for number in order if number in outcomes.accepted)
        refused = tuple(number for number in order if number in outcomes.refused)
        if not accepted:
            raise self._nothing_accepted(order, outcomes)
        answers = [outcomes.accepted[number] for number in accepted]
        status = _overall_status(answers)
        only = answers[0].reference if len(order) == 1 else None
        result = SendResult(
            route=self.route,
            message_id=only or uuid.uuid4().hex,
            status=status,
            recipients=accepted,
            invalid_recipients=refused,
            recipient_ids={
                number: answer.reference
                for number, answer in zip(accepted, answers, strict=True)
                if answer.reference
            },
            message=prepared.message,
            billed_parts=0 if status is SendStatus.TEST else prepared.message.parts * len(accepted),
            sender=prepared.sender,
            send_at=prepared.send_at,
            reference=prepared.request.reference,
        )
        if len(accepted) + len(refused) == len(order):
            return result
        raise PartialSendError(result, self._failures(order, outcomes))

    @staticmethod
    def _failures(order: tuple[str, ...], outcomes: _Outcomes) -> dict[str, GatewayError]:
        """Each number not accepted -> its error (never attempted: what stopped the send)."""
        failures: dict[str, GatewayError] = {}
        for number in order:
            if number in outcomes.accepted:
                continue
            error = outcomes.refused.get(number) or outcomes.failed.get(number)
            if error is None:
                assert outcomes.stopped_by is not None  # only a stop leaves a number untried
                error = _not_attempted(outcomes.stopped_by)
            failures[number] = error
        return failures

    @staticmethod
    def _nothing_accepted(order: tuple[str, ...], outcomes: _Outcomes) -> GatewayError:
        if len(outcomes.refused) == len(order):
            codes = {error.code for error in outcomes.refused.values()}
            return RecipientsRejectedError(
                f"the gateway refused all {len(order)} number(s)",
                code=codes.pop() if len(codes) == 1 else None,
                numbers=list(order),
            )
        failures = list(outcomes.failed.values())
        # a request that may have gone out matters most: the caller must not resend blindly
        unknown = [error for error in failures if isinstance(error, OutcomeUnknownError)]
        if unknown:
            return unknown[0]
        return outcomes.stopped_by or failures[0]

    async def _post(self, path: str, fields: Mapping[str, str], *, read: bool = False) -> str:
        body = {"user": self._username, "cleAPI": self._api_key, **fields}
        answer = await self._transport.request(
            "POST", path, json=body, headers=_HEADERS, log_fields=body, idempotent=read
        )
        return answer.text

    # --- other endpoints ---------------------------------------------------------------

    async def get_balance(self) -> Balance:
        """Return the SMS left on the account (``/api/solde/``)."""
        text = await self._post(BALANCE_PATH, {}, read=True)
        return interpret_balance_answer(text, self._transport.redact)

    async def cancel(self, sent: SendResult) -> None:
        """Delete a scheduled send: the same request again, ``s`` after the ``diff`` date.

        Raise ``NotFoundError`` (code 95) when the gateway could not delete it for a number.
        """
        if sent.send_at is None:
            raise ValidationError("only a scheduled send can be cancelled", field="send_at")
        fields = {"message": sent.message.text}
        if sent.sender is not None:
            fields["senderid"] = sent.sender
        fields["diff"] = to_paris(sent.send_at).strftime(_DIFF_FORMAT) + _DELETE_SUFFIX
        semaphore = asyncio.Semaphore(self._max_concurrency)

        async def cancel_for(number: str) -> GatewayError | None:
            async with semaphore:
                try:
                    await self._cancel_one(number, fields)
                except GatewayError as err:
                    return err
                return None

        errors = await asyncio.gather(*(cancel_for(number) for number in sent.recipients))
        failed = [error for error in errors if error is not None]
        unknown = [error for error in failed if isinstance(error, OutcomeUnknownError)]
        if unknown or failed:
            raise (unknown or failed)[0]

    async def _cancel_one(self, number: str, fields: Mapping[str, str]) -> None:
        text = await self._post(SEND_PATH, {"numero": phone.to_gateway(number), **fields})
        redacted = self._transport.redact
        parsed = parse_answer(text)
        if parsed is None:
            raise UnexpectedResponseError(
                "the gateway's answer carries no return code", raw=redacted(text)
            )
        code = parsed[0]
        if code == _CANCELLED:
            return
        if code == _NOT_CANCELLED:
            raise NotFoundError("the gateway could not delete the scheduled send", code=code)
        if code in _SEND_STATUSES:
            # the gateway took the deletion for a new send: never expected, reported as such
            raise UnexpectedResponseError(
                f"the gateway answered {code} to a deletion", code=code, raw=redacted(text)
            )
        raise send_error(code, redacted(text))

    @classmethod
    def parse_callback(cls, params: Mapping[str, str]) -> DeliveryReport | InboundMessage | None:
        """Read a delivery report (GET ``erreur``, ``refenvoi``, ``gsm``).

        A call with no parameters is the gateway checking the URL answers: None.
        """
        if not params:
            return None
        reference = _param(params, "refenvoi")
        if not reference:
            raise CallbackError("the delivery report has no message reference")
        erreur = _param(params, "erreur")
        gsm = _param(params, "gsm")
        delivered = erreur.lower() in _DELIVERED_VALUES
        return DeliveryReport(
            provider=cls.provider,
            message_id=reference,
            recipient=phone.from_gateway(gsm) if gsm else None,
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=erreur,
            recipient_message_id=reference,
        )


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _overall_status(answers: list[SendAnswer]) -> SendStatus:
    statuses = {answer.status for answer in answers}
    for status in (SendStatus.TEST, SendStatus.SCHEDULED):
        if status in statuses:
            return status
    return SendStatus.SENT


def _not_attempted(cause: GatewayError) -> GatewayError:
    """Return the error of a number never sent because ``cause`` stopped the send."""
    if isinstance(cause, OutcomeUnknownError | TemporarilyUnavailableError):
        # the gateway misbehaved on another number; this one certainly did not go
        return TemporarilyUnavailableError(
            "not attempted: an earlier request of the send failed", code=cause.code
        )
    # an account-level refusal applies to every number alike
    return cause
