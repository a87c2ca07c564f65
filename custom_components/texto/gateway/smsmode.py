"""smsmode HTTP API 1.6 (seed 002): plain-text answers with fields separated by ``|``.

One POST to ``sendSMS.do`` carries every recipient. Standard messages travel as
percent-encoded ISO-8859-15, the gateway's own charset; a text with any character outside
the GSM-7 part of its table goes as ``classe_msg=9`` in UTF-8, so the gateway never turns a
character into ``?``. ``nbr_msg`` is always sent with the parts the library counted, so the
gateway (which cuts texts beyond ``nbr_msg``, 5 by default) never cuts one silently.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from .base import HttpGateway, accepted_by_all, from_paris, to_paris
from .errors import (
    AuthenticationError,
    CallbackError,
    CreditError,
    EncodingNotAllowedError,
    GatewayError,
    InvalidRequestError,
    InvalidSenderError,
    NotFoundError,
    OutcomeUnknownError,
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
    Encoding,
    InboundMessage,
    LostSendCheck,
    PreparedSend,
    Provider,
    Route,
    SearchOutcome,
    SendRequest,
    SendResult,
    SendSearch,
    StopMention,
)
from .phone import from_gateway, is_french, to_gateway
from .sender import SenderRule
from .transport import CONNECT_TIMEOUT, TOTAL_TIMEOUT, Transport

if TYPE_CHECKING:
    import aiohttp

DEFAULT_BASE_URL = "https://api.smsmode.com"

_API = "/http/1.6"
SEND_PATH = f"{_API}/sendSMS.do"
VOICE_PATH = f"{_API}/sendVoiceMessage.do"
CREDIT_PATH = f"{_API}/credit.do"
REPORT_PATH = f"{_API}/compteRendu.do"
STATUS_PATH = f"{_API}/smsStatus.do"
DELETE_PATH = f"{_API}/deleteSMS.do"
REPLIES_PATH = f"{_API}/responseList.do"
LIST_PATH = f"{_API}/smsList.do"

#: the seed's ISO-8859-15 table, typos fixed (the left quotes are ``'`` and ``"``, the second
#: ``Ü`` at %FC is ``ü``), keeping only what GSM-7 carries too (``È`` is not GSM-7): a
#: character outside this set makes the message Unicode (``classe_msg=9``)
SMSMODE_STANDARD_CHARSET: frozenset[str] = frozenset(
    "\n\r !\"#$%&'()*+,-./{|}~[\\]^0123456789:;<=>?@"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    "¡£€¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùü"
)

#: ``refClient`` is limited to 40 characters
MAX_REFERENCE_LENGTH = 40
#: POST has no recipient limit; this only bounds one request to something sane
MAX_RECIPIENTS = 10_000
#: replies listed per page when no dates are given (the gateway's default)
REPLIES_PAGE = 50
#: sends ``smsList.do`` lists by default ("par défaut les 50 derniers"), and at most
SENT_PAGE = 50
MAX_SENT_PAGE = 10_000
#: the latest sends searched for a lost one
LOST_SEND_DEPTH = 200
#: a listed send older than the lost one (minus this, for the clocks' difference) is another
CLOCK_SKEW = timedelta(minutes=2)
#: what smsmode may append to a stored text (its STOP mention: "\nSTOP 36034")
_STOP_SUFFIX_MAX = 20

_STANDARD_CHARSET = "ISO-8859-15"
_UNICODE_CHARSET = "UTF-8"
_DATE_FORMAT = "%d%m%Y-%H:%M"
_DELIVERY_CALLBACK_DATE = "%Y-%m-%d %H:%M:%S"
_REPLY_CALLBACK_DATE = "%d%m%Y-%H%M%S"

_CLASS_STANDARD = "2"
_CLASS_REPLIES = "4"
_CLASS_UNICODE = "9"
#: ``stop=2``: the gateway always appends its STOP mention (``stop=1`` drops it when the
#: text is over 149 characters, which would leave a custom sender without it)
_STOP_ALWAYS = "2"

#: the codes a read answers instead of its data (50, "temporairement inaccessible", is
#: documented for sends only but means the same anywhere)
_READ_ERRORS = ("31", "32", "35", "50")

_CODE_RE = re.compile(r"\d{1,9}", re.ASCII)
_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_AMOUNT_RE = re.compile(r"-?\d{1,15}(?:[.,]\d{1,10})?", re.ASCII)
_REPORT_RE = re.compile(r"(\+?\d{1,20}) +(\d{1,9})", re.ASCII)
#: a reply line starts with its id and its date; any other line continues the previous text
_REPLY_START_RE = re.compile(r"[^|\n]+\| *\d{8}-\d{2}:\d{2} *\|", re.ASCII)
#: a sent-list line starts with its id and a date (its layout is not documented: any digits)
_SENT_START_RE = re.compile(r" *[A-Za-z0-9_.-]{1,100} *\| *\d[\d/:. -]{2,30}\d *\|", re.ASCII)
#: the sent list's date layout is not documented: the manual's own first, then common ones
_SENT_DATE_FORMATS = (
    _DATE_FORMAT,
    "%d%m%Y-%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)
_NUMBER_SEPARATORS_RE = re.compile(r"[,; ]+")

# Annex "Liste récapitulative des statuts" (and the extra codes of items 4 and 11).
_PENDING = DeliveryStatus.PENDING
_DELIVERED = DeliveryStatus.DELIVERED
_FAILED = DeliveryStatus.FAILED
_STATUSES: dict[str, tuple[DeliveryStatus, str]] = {
    "0": (_PENDING, "Envoyé"),
    "1": (_PENDING, "En cours"),
    "2": (_FAILED, "Erreur interne"),
    "10": (_PENDING, "Programmé"),
    "11": (_DELIVERED, "Reçu"),
    "12": (_PENDING, "Partiellement délivré"),
    "13": (_PENDING, "Délivré opérateur (statut temporaire)"),
    "14": (_DELIVERED, "Délivré"),
    "15": (_PENDING, "Partiellement reçu"),
    "16": (_DELIVERED, "Ecouté"),
    "21": (_FAILED, "Non délivrable"),
    "22": (_FAILED, "Rejeté"),
    "33": (_FAILED, "Non envoyé - crédit insuffisant"),
    "34": (_FAILED, "Erreur routage"),
    "35": (_FAILED, "Erreur réception"),
    "36": (_FAILED, "Erreur message"),
    "37": (DeliveryStatus.EXPIRED, "Message expiré"),
    "38": (_FAILED, "Message trop long"),
    "39": (_FAILED, "Erreur réception"),
    "40": (DeliveryStatus.UNKNOWN, "Modèle"),
    "50": (_FAILED, "Non délivré"),
    "100": (_DELIVERED, "Lu"),
    "101": (_DELIVERED, "Non lu"),
    "999": (DeliveryStatus.UNKNOWN, "Indéfini"),
    "3501": (_PENDING, "Erreur temporaire opérateur"),
    "3502": (_PENDING, "Erreur temporaire absence"),
    "3503": (_PENDING, "Erreur temporaire téléphone"),
    "3504": (_PENDING, "Erreur temporaire portabilité"),
    "3521": (_FAILED, "Erreur permanente opérateur"),
    "3522": (_FAILED, "Erreur permanente absence"),
    "3523": (_FAILED, "Erreur permanente téléphone"),
    "3524": (_FAILED, "Erreur permanente anti spam"),
    "3525": (_FAILED, "Erreur permanente contenu"),
    "3526": (_FAILED, "Erreur permanente portabilité"),
    "3527": (_FAILED, "Erreur permanente roaming"),
    "3560": (_FAILED, "Erreur non routable"),
    "3599": (_FAILED, "Erreur autre"),
    "3998": (_FAILED, "Destinataire invalide"),
    "3999": (_FAILED, "Destinataire blacklisté"),
}

Redactor = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class SmsStatus:
    """A send's overall status, as ``smsStatus.do`` gives it (the campaign's, for many numbers)."""

    #: the gateway's status code, as text
    code: str
    #: the gateway's own description ("Envoyé", "Programmé" ...)
    description: str
    status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class SentSms:
    """A send as ``smsList.do`` lists it."""

    #: the send's smsID (its ``message_id``)
    message_id: str
    #: when it went (or goes) out; None when the date is unreadable
    sent_at: datetime | None
    #: the text as the gateway stored it (with the STOP mention it appended)
    text: str
    #: the number(s) the line shows: E.164 where they parse, else as given
    recipients: tuple[str, ...]
    #: credits the send cost, when readable
    cost: float | None
    #: how many recipients the send had, when readable
    recipient_count: int | None


def delivery_status(code: str) -> DeliveryStatus:
    """Return the delivery state an annex status code means (unknown codes: UNKNOWN)."""
    known = _STATUSES.get(code)
    return known[0] if known else DeliveryStatus.UNKNOWN


def status_description(code: str) -> str | None:
    """Return the annex's description of a status code, when it has one."""
    known = _STATUSES.get(code)
    return known[1] if known else None


class SmsmodeGateway(HttpGateway):
    """The smsmode HTTP API 1.6 route."""

    route: ClassVar[Route] = Route.SMSMODE
    provider: ClassVar[Provider] = Provider.SMSMODE
    capabilities: ClassVar[Capabilities] = Capabilities(
        balance=True,
        balance_unit=BalanceUnit.CREDITS,
        schedule=True,
        cancel=True,
        flash=False,
        voice=True,
        replies=True,
        delivery_reports=True,
        poll_delivery_reports=True,
        poll_replies=True,
        poll_replies_by_date=True,
        replies_on_request=True,
        lost_send_check=LostSendCheck.LISTING,
        max_parts=5,
        recipients_per_request=MAX_RECIPIENTS,
    )
    #: "Maximum 11 caractères, sans accent ni espace", "Numéro de téléphone non autorisé"
    sender_rule: ClassVar[SenderRule] = SenderRule(
        1, 11, allow_space=False, must_start_with_letter=False, forbid_digits_only=True
    )
    #: the gateway writes the STOP mention itself (``stop=2``): "\nSTOP 36034", 11 characters
    stop_mention: ClassVar[str | None] = None
    gateway_stop_units: ClassVar[int] = 11
    standard_charset: ClassVar[frozenset[str]] = SMSMODE_STANDARD_CHARSET

    def __init__(
        self,
        access_token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
    ) -> None:
        if not access_token.strip():
            raise ValidationError("the access token is empty", field="access_token")
        self._token = access_token.strip()
        self._transport = Transport(
            session,
            base_url,
            secrets=(self._token,),
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
        )

    # --- checks ------------------------------------------------------------------------

    def prepare(self, request: SendRequest, *, now: datetime | None = None) -> PreparedSend:
        """Validate ``request``: the shared checks, then smsmode's own limits."""
        # counted before the numbers are parsed: refusing a huge list should be cheap
        if len(request.recipients) > MAX_RECIPIENTS:
            raise ValidationError(
                f"at most {MAX_RECIPIENTS} recipients per send", field="recipients"
            )
        prepared = super().prepare(request, now=now)
        _check_latin9(request.reference, "reference")
        if request.reference is not None and len(request.reference) > MAX_REFERENCE_LENGTH:
            raise ValidationError(
                f"the reference is limited to {MAX_REFERENCE_LENGTH} characters",
                field="reference",
            )
        _check_latin9(request.delivery_report_url, "delivery_report_url")
        _check_latin9(request.reply_url, "reply_url")
        if request.reply_url is not None and not request.replies_allowed:
            raise ValidationError("a reply URL needs replies_allowed", field="reply_url")
        if request.voice:
            self._check_voice(prepared)
        if request.replies_allowed:
            self._check_replies(prepared)
        return prepared

    @staticmethod
    def _check_voice(prepared: PreparedSend) -> None:
        request = prepared.request
        if prepared.sender is not None:
            raise InvalidSenderError("a voice message has no sender")
        if request.replies_allowed:
            raise ValidationError("a voice message cannot take replies", field="replies_allowed")
        if request.delivery_report_url is not None:
            raise ValidationError(
                "smsmode sends no delivery report for voice messages",
                field="delivery_report_url",
            )
        # the voice endpoint has no Unicode class: its text travels in ISO-8859-15
        _check_latin9(prepared.message.text, "text")

    @staticmethod
    def _check_replies(prepared: PreparedSend) -> None:
        # classe_msg=4 cannot be combined with classe_msg=9 (Unicode)
        if prepared.message.encoding is Encoding.UCS2:
            outside = sorted(set(prepared.message.text) - SMSMODE_STANDARD_CHARSET)
            raise EncodingNotAllowedError(outside)
        if not all(is_french(number) for number in prepared.recipients):
            raise ValidationError(
                "replies are available for French numbers only", field="recipients"
            )

    # --- sending ---------------------------------------------------------------------

    async def _send(self, prepared: PreparedSend) -> SendResult:
        if prepared.request.voice:
            path, fields, charset = VOICE_PATH, self._voice_fields(prepared), _STANDARD_CHARSET
        else:
            path, fields = SEND_PATH, self._sms_fields(prepared)
            unicode = prepared.message.encoding is Encoding.UCS2
            charset = _UNICODE_CHARSET if unicode else _STANDARD_CHARSET
        # The body is encoded here: aiohttp would always use UTF-8, which the gateway
        # reads as ISO-8859-15 for standard messages ("é" would arrive as "Ã©").
        body = urllib.parse.urlencode(fields, encoding=charset).encode("ascii")
        answer = await self._transport.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
            log_fields=fields,
        )
        sms_id = parse_send_answer(answer.text, self._transport.redact)
        # smsmode reports no per-number rejection: every number is taken
        return accepted_by_all(self.route, prepared, message_id=sms_id)

    def _sms_fields(self, prepared: PreparedSend) -> dict[str, str]:
        request = prepared.request
        fields = self._common_fields(prepared)
        if prepared.message.encoding is Encoding.UCS2:
            fields["classe_msg"] = _CLASS_UNICODE
        elif request.replies_allowed:
            fields["classe_msg"] = _CLASS_REPLIES
        else:
            fields["classe_msg"] = _CLASS_STANDARD
        if prepared.sender is not None:
            fields["emetteur"] = prepared.sender
        if prepared.send_at is not None:
            fields["date_envoi"] = _format_date(prepared.send_at)
        if request.reference is not None:
            fields["refClient"] = request.reference
        # always sent: past it the gateway cuts the text (default 5)
        fields["nbr_msg"] = str(prepared.message.parts)
        if self._needs_stop(prepared):
            fields["stop"] = _STOP_ALWAYS
        if request.delivery_report_url is not None:
            fields["notification_url"] = request.delivery_report_url
        if request.replies_allowed and request.reply_url is not None:
            fields["notification_url_reponse"] = request.reply_url
        return fields

    def _voice_fields(self, prepared: PreparedSend) -> dict[str, str]:
        fields = self._common_fields(prepared)
        if prepared.send_at is not None:
            fields["date_envoi"] = _format_date(prepared.send_at)
        fields["language"] = "fr-FR"
        return fields

    def _common_fields(self, prepared: PreparedSend) -> dict[str, str]:
        return {
            "accessToken": self._token,
            "message": prepared.message.text,
            "numero": ",".join(to_gateway(number) for number in prepared.recipients),
        }

    @staticmethod
    def _needs_stop(prepared: PreparedSend) -> bool:
        """Tell whether to ask for the STOP mention: the rule ``prepare`` counted it by."""
        return (
            prepared.sender is not None
            and prepared.request.stop_mention is not StopMention.OFF
            and any(is_french(number) for number in prepared.recipients)
        )

    # --- account, reports, replies -----------------------------------------------------

    async def get_balance(self) -> Balance:
        """Return the account's credits (negative on a post-paid account)."""
        text = await self._get(CREDIT_PATH)
        return parse_balance(text, self._transport.redact)

    async def cancel(self, sent: SendResult) -> None:
        """Delete a send (``deleteSMS.do``): a scheduled one then never goes out."""
        answer = await self._transport.request(
            "POST",
            DELETE_PATH,
            form={"accessToken": self._token, "smsID": sent.message_id},
        )
        parse_delete_answer(answer.text, self._transport.redact)

    async def fetch_delivery_reports(self, message_id: str) -> list[DeliveryReport]:
        """One report per recipient of a send of the last 30 days (``compteRendu.do``)."""
        text = await self._get(REPORT_PATH, {"smsID": message_id})
        return parse_reports(text, message_id, self._transport.redact)

    async def get_status(self, message_id: str) -> SmsStatus:
        """Return a send's overall status (``smsStatus.do``)."""
        text = await self._get(STATUS_PATH, {"smsID": message_id})
        return parse_status(text, self._transport.redact)

    async def fetch_replies(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[InboundMessage]:
        """List replies received between two dates, or the 50 latest (``responseList.do``).

        ``since`` alone lists up to now; ``until`` alone is refused.
        """
        if since is None and until is None:
            params = {"start": "0", "offset": str(REPLIES_PAGE)}
        else:
            params = _date_range(since, until)
        text = await self._get(REPLIES_PATH, params)
        return parse_replies(text, self._transport.redact)

    async def find_send(
        self, prepared: PreparedSend, *, since: datetime, known: Container[str] = ()
    ) -> SendSearch:
        """Look for a lost send among the latest ``LOST_SEND_DEPTH`` (``smsList.do``).

        A listed send matches by its text (maybe with the STOP mention smsmode appended),
        its numbers, and a date not before ``since`` (less the clocks' difference). A line
        whose date cannot be read matches: wrongly thinking a send went out reports it
        sent; wrongly thinking it did not sends it twice. The list unavailable: cannot tell.
        """
        try:
            listed = await self.list_sent(LOST_SEND_DEPTH)
        except GatewayError:
            return SendSearch(SearchOutcome.CANNOT_TELL)
        for sms in listed:
            if sms.message_id not in known and _is_send(sms, prepared, since - CLOCK_SKEW):
                result = accepted_by_all(
                    self.route, prepared, message_id=sms.message_id, credits_used=sms.cost
                )
                return SendSearch(SearchOutcome.FOUND, result)
        return SendSearch(SearchOutcome.NOT_FOUND)

    async def list_sent(self, offset: int = SENT_PAGE, *, start: int = 0) -> list[SentSms]:
        """List the latest sends (``smsList.do``): ``offset`` of them from the ``start``-th.

        The way to learn whether a send whose answer was lost reached the gateway.
        """
        if not 1 <= offset <= MAX_SENT_PAGE:
            raise ValidationError(f"offset must be 1 to {MAX_SENT_PAGE}", field="offset")
        if start < 0:
            raise ValidationError("start cannot be negative", field="start")
        params = {"start": str(start), "offset": str(offset)}
        text = await self._get(LIST_PATH, params)
        return parse_sent_list(text, self._transport.redact)

    async def _get(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
    ) -> str:
        """GET a read-only endpoint (so repeatable on a broken connection)."""
        query = {"accessToken": self._token, **(params or {})}
        answer = await self._transport.request("GET", path, params=query, idempotent=True)
        return answer.text

    # --- callbacks ---------------------------------------------------------------------

    @classmethod
    def parse_callback(cls, params: Mapping[str, str]) -> DeliveryReport | InboundMessage | None:
        """Read a delivery-report or reply callback (GET query parameters).

        Parameter names are matched without regard to case (the manual writes ``smsid``,
        its examples ``smsID``). An empty call is a reachability check: None.
        """
        fields = {str(key).lower(): str(value) for key, value in params.items()}
        if not fields:
            return None
        if any(key in fields for key in ("responseid", "emetteur", "message")):
            return _reply_callback(fields)
        if "statut" in fields or "smsid" in fields:
            return _delivery_callback(fields)
        raise CallbackError("not a smsmode delivery report or reply")


# --- answers -------------------------------------------------------------------------


def parse_send_answer(text: str, redact: Redactor) -> str:
    """Return the smsID of ``code | description | smsID``, or raise what its code means."""
    fields = _split(text)
    code = _code(fields[0])
    if code == "0":
        if len(fields) >= 3 and _ID_RE.fullmatch(fields[2]):
            return fields[2]
        raise UnexpectedResponseError(
            "smsmode accepted the message without giving its id", code=code, raw=redact(text)
        )
    if code in ("31", "32", "33", "35", "50"):
        raise _error(code, write=True)
    raise _unexpected(text, redact)


def parse_delete_answer(text: str, redact: Redactor) -> None:
    """Check ``deleteSMS.do``'s ``code | description``: 0 is deleted."""
    code = _code(_split(text)[0])
    if code == "0":
        return
    if code in ("31", "32", "35", "61"):
        raise _error(code, write=True)
    raise _unexpected(text, redact)


def parse_balance(text: str, redact: Redactor) -> Balance:
    """``credit.do``'s bare number (``212.5``; negative when post-paid), or its error."""
    stripped = text.strip()
    if _AMOUNT_RE.fullmatch(stripped):
        amount = float(stripped.replace(",", "."))
        return Balance(amount=amount, unit=BalanceUnit.CREDITS, postpaid=amount < 0)
    code = _code(_split(stripped)[0]) if "|" in stripped else None
    if code in _READ_ERRORS:
        raise _error(code, write=False)
    raise _unexpected(text, redact)


def parse_reports(text: str, message_id: str, redact: Redactor) -> list[DeliveryReport]:
    """``compteRendu.do``'s ``number status | number status ...``, one report per number."""
    chunks = [chunk for chunk in _split(text) if chunk]
    if not chunks:
        return []  # no report yet
    code = _code(chunks[0])
    if code is not None:
        if code in (*_READ_ERRORS, "61"):
            raise _error(code, write=False)
        raise _unexpected(text, redact)
    reports = []
    for chunk in chunks:
        match = _REPORT_RE.fullmatch(chunk)
        if match is None:
            raise _unexpected(text, redact)
        number, status = match.groups()
        reports.append(
            DeliveryReport(
                provider=Provider.SMSMODE,
                message_id=message_id,
                recipient=_number(number),
                status=delivery_status(status),
                provider_status=status,
                detail=status_description(status),
            )
        )
    return reports


def parse_status(text: str, redact: Redactor) -> SmsStatus:
    """``smsStatus.do``'s ``status | description`` (``0 | Envoyé``), or its error."""
    fields = _split(text)
    code = _code(fields[0])
    if code is None:
        raise _unexpected(text, redact)
    # In this answer 32, 35 and 61 are errors of the request, not statuses of the SMS
    if code in ("31", "32", "35", "61"):
        raise _error(code, write=False)
    description = fields[1] if len(fields) > 1 and fields[1] else None
    return SmsStatus(
        code=code,
        description=description or status_description(code) or "",
        status=delivery_status(code),
    )


def parse_replies(text: str, redact: Redactor) -> list[InboundMessage]:
    """``responseList.do``: one ``id | date | from | text | to | message_ID`` a line.

    The text itself may hold ``|`` or line breaks: three fields are read from the left and
    two from the right, and a line that does not start with an id and a date continues the
    previous reply.
    """
    lines = [line.removesuffix("\r") for line in text.strip().split("\n")]
    if not lines[0]:
        return []  # no reply
    if _REPLY_START_RE.match(lines[0]) is None:
        fields = _split(text)
        code = _code(fields[0])
        if len(fields) == 2 and code in _READ_ERRORS:
            raise _error(code, write=False)
        raise _unexpected(text, redact)
    return [_reply(record, text, redact) for record in _records(lines, _REPLY_START_RE)]


def _records(lines: list[str], start: re.Pattern[str]) -> list[str]:
    """Group answer lines into records.

    A line that does not match ``start`` continues the previous record (a text with a line
    break).
    """
    records: list[str] = []
    for line in lines:
        if start.match(line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


def _reply(record: str, text: str, redact: Redactor) -> InboundMessage:
    parts = record.split("|")
    if len(parts) < 6:
        raise _unexpected(text, redact)
    response_id, date, sender = (part.strip() for part in parts[:3])
    recipient, message_id = (part.strip() for part in parts[-2:])
    return InboundMessage(
        provider=Provider.SMSMODE,
        message_id=response_id,
        sender=_number(sender),
        text=_unpad("|".join(parts[3:-2])),
        received_at=_parse_date(date, _DATE_FORMAT),
        recipient=recipient or None,
        in_reply_to=message_id or None,
    )


def parse_sent_list(text: str, redact: Redactor) -> list[SentSms]:
    """``smsList.do``: one ``smsId | date | text | number | cost | recipients |`` a line.

    As for replies, the text may hold ``|`` or line breaks: two fields are read from the
    left and three from the right, and a line that does not start with an id and a date
    continues the previous send's text.
    """
    lines = [line.removesuffix("\r") for line in text.strip().split("\n")]
    if not lines[0]:
        return []  # nothing sent
    if _SENT_START_RE.match(lines[0]) is None:
        fields = _split(text)
        if fields[-1] == "":
            fields.pop()  # a trailing separator
        code = _code(fields[0])
        if len(fields) == 2 and code in _READ_ERRORS:
            raise _error(code, write=False)
        raise _unexpected(text, redact)
    return [_sent_sms(record, text, redact) for record in _records(lines, _SENT_START_RE)]


def _sent_sms(record: str, text: str, redact: Redactor) -> SentSms:
    # the documented line ends with a separator: what follows it is not a field
    parts = record.rstrip().removesuffix("|").split("|")
    if len(parts) < 6:
        raise _unexpected(text, redact)
    sms_id, date = parts[0].strip(), parts[1].strip()
    numbers, cost, count = (part.strip() for part in parts[-3:])
    return SentSms(
        message_id=sms_id,
        sent_at=_parse_any_date(date, _SENT_DATE_FORMATS),
        text=_unpad("|".join(parts[2:-3])),
        recipients=tuple(_number(n) for n in _NUMBER_SEPARATORS_RE.split(numbers) if n),
        cost=float(cost.replace(",", ".")) if _AMOUNT_RE.fullmatch(cost) else None,
        recipient_count=int(count) if _CODE_RE.fullmatch(count) else None,
    )


# --- callbacks -----------------------------------------------------------------------


def _delivery_callback(fields: Mapping[str, str]) -> DeliveryReport:
    sms_id = _required(fields, "smsid")
    status = _required(fields, "statut")
    number = _required(fields, "numero")
    if _CODE_RE.fullmatch(status) is None:
        raise CallbackError("the delivery status is not a number")
    return DeliveryReport(
        provider=Provider.SMSMODE,
        message_id=sms_id,
        recipient=_number(number),
        status=delivery_status(status),
        provider_status=status,
        detail=status_description(status),
        reported_at=_callback_date(fields, _DELIVERY_CALLBACK_DATE),
        reference=fields.get("refclient", "").strip() or None,
    )


def _reply_callback(fields: Mapping[str, str]) -> InboundMessage:
    response_id = _required(fields, "responseid")
    sender = _required(fields, "emetteur")
    if "message" not in fields:
        raise CallbackError("the reply has no message")
    return InboundMessage(
        provider=Provider.SMSMODE,
        message_id=response_id,
        sender=_number(sender),
        text=fields["message"],
        received_at=_callback_date(fields, _REPLY_CALLBACK_DATE),
        recipient=fields.get("numero", "").strip() or None,
        in_reply_to=fields.get("smsid", "").strip() or None,
        reference=fields.get("refclient", "").strip() or None,
    )


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise CallbackError(f"the callback has no {name}")
    return value


def _callback_date(fields: Mapping[str, str], fmt: str) -> datetime | None:
    raw = fields.get("date_reception", "").strip()
    if not raw:
        return None
    moment = _parse_date(raw, fmt)
    if moment is None:
        raise CallbackError("the callback's date is malformed")
    return moment


# --- helpers -------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [field.strip() for field in text.strip().split("|")]


def _code(field: str) -> str | None:
    """Read a bare status code (``061`` gives ``61``); None for anything else."""
    if _CODE_RE.fullmatch(field) is None:
        return None
    return str(int(field))


def _unpad(field: str) -> str:
    """Remove the one space the `` | `` separator puts on each side."""
    return field.removeprefix(" ").removesuffix(" ")


def _number(raw: str) -> str:
    """E.164 when ``raw`` is a phone number, else ``raw`` as given (a short code)."""
    return from_gateway(raw) or raw


def _parse_date(raw: str, fmt: str) -> datetime | None:
    try:
        return from_paris(datetime.strptime(raw, fmt))  # noqa: DTZ007 - Paris, made aware
    except ValueError:
        return None


def _parse_any_date(raw: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        if (moment := _parse_date(raw, fmt)) is not None:
            return moment
    return None


def _format_date(moment: datetime) -> str:
    return to_paris(moment).strftime(_DATE_FORMAT)


def _date_range(start: datetime | None, end: datetime | None) -> dict[str, str]:
    if start is None:
        raise ValidationError("an end date needs a start date", field="since")
    end = end or datetime.now(UTC)
    for moment, field in ((start, "since"), (end, "until")):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValidationError("the date has no time zone", field=field)
    if end < start:
        raise ValidationError("the end date is before the start date", field="until")
    return {"startDate": _format_date(start), "endDate": _format_date(end)}


def _check_latin9(value: str | None, field: str) -> None:
    """Refuse a value the gateway's charset (ISO-8859-15) cannot carry."""
    if value is None:
        return
    try:
        value.encode("iso-8859-15")
    except UnicodeEncodeError:
        raise ValidationError(
            "the value has characters ISO-8859-15 cannot carry", field=field
        ) from None


def _error(code: str, *, write: bool) -> GatewayError:
    """Build the error a documented smsmode code means.

    ``write``: the request changes something (send, delete), so an internal error leaves
    its outcome unknown; for a read, trying again later is safe.
    """
    if code == "31":
        if write:
            return OutcomeUnknownError(
                "smsmode reported an internal error: the request may have been carried out",
                code=code,
            )
        return TemporarilyUnavailableError("smsmode reported an internal error", code=code)
    if code == "32":
        return AuthenticationError("smsmode refused the access token", code=code)
    if code == "33":
        return CreditError("the smsmode account has not enough credit", code=code)
    if code == "35":
        return InvalidRequestError("smsmode refused a missing or invalid parameter", code=code)
    if code == "50":
        return TemporarilyUnavailableError("smsmode is temporarily unavailable", code=code)
    return NotFoundError("smsmode does not know this message (or no longer)", code=code)


def _unexpected(text: str, redact: Redactor) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        "smsmode answered something its documentation does not describe", raw=redact(text)
    )


def _is_send(sms: SentSms, prepared: PreparedSend, since: datetime) -> bool:
    """Whether a listed send is ``prepared``: same text, same numbers, not older than it."""
    if sms.sent_at is not None and sms.sent_at < since:
        return False
    if not _same_text(sms.text, prepared.message.text):
        return False
    ours = set(prepared.recipients)
    shown = set(sms.recipients)
    if not shown or not shown <= ours:
        return False
    if sms.recipient_count is not None:
        return sms.recipient_count == len(ours)
    return shown == ours


def _same_text(listed: str, sent: str) -> bool:
    """The listed text is the sent one, maybe with the STOP mention smsmode appended."""
    listed, sent = listed.replace("\r\n", "\n"), sent.replace("\r\n", "\n")
    if listed == sent:
        return True
    rest = listed.removeprefix(sent)
    return rest != listed and rest.startswith("\n") and len(rest) <= _STOP_SUFFIX_MAX
