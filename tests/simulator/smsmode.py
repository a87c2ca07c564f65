"""A fake smsmode HTTP API 1.6 (seed 002), faithful to what the manual documents.

Every endpoint answers GET (query) and POST (form body, query merged in) with the manual's
plain-text ``code | description | ...`` answers. Parameter names are the examples'
spellings (``accessToken``, ``smsID``, ``refClient``, ``startDate``) and nothing else.

``sendSMS.do`` reads its body the way the real gateway does: percent-decoded bytes read as
ISO-8859-15 for ``classe_msg`` 2 and 4, UTF-8 for ``classe_msg=9`` (a ``charset`` in the
Content-Type wins). A standard message whose bytes are really UTF-8 ("é" sent as C3 A9,
read "Ã©") is the client bug it flags in ``encoding_violations``. Characters outside the
manual's table become ``?``, the STOP mention is appended for ``stop=1``/``stop=2`` and the
text is cut to ``nbr_msg`` parts (default 5), like the real one: a test can then show that
the library never lets that happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import secrets
import string
import urllib.parse
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from .base import CallbackCall, SimulatorBase

PARIS = ZoneInfo("Europe/Paris")
API = "/http/1.6"
SEND = f"{API}/sendSMS.do"
VOICE = f"{API}/sendVoiceMessage.do"
CREDIT = f"{API}/credit.do"
REPORT = f"{API}/compteRendu.do"
STATUS = f"{API}/smsStatus.do"
DELETE = f"{API}/deleteSMS.do"
REPLIES = f"{API}/responseList.do"
SENT_LIST = f"{API}/smsList.do"
#: "Nombre de SMS à visualiser (par défaut les 50 derniers) maximum 10000"
MAX_SENT_LIST = 10_000

#: the short code replies come to and the STOP mention names (the manual's example)
SHORT_CODE = "36034"
#: stop=1/2 to a French number: 11 characters
STOP_FRANCE = f"\nSTOP {SHORT_CODE}"
#: "la forme de no-sms.eu pour tout message envoyé à l'international"
STOP_ABROAD = "\nno-sms.eu"
_FRENCH_PREFIXES = ("33", "262", "269", "508", "590", "594", "596")

#: the manual's "Caractères et encodage" table (typos fixed: the left quotes are ' and ", the second
#: Ü is ü); anything else in a standard message becomes "?"
TABLE = frozenset(
    "\n\r !\"#$%&'()*+,-./{|}~[\\]^0123456789:;<=>?@"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    "¡£€¥§¿ÄÅÆÇÈÉÑÖØÜßàäåæèéìñòöøùü"
)
#: "ces caractères comptent double"
DOUBLE = frozenset("{|}~[\\]^€")
LANGUAGES = frozenset({"fr-FR", "en-GB", "de-DE", "es-ES"})
DATE_FORMAT = "%d%m%Y-%H:%M"
MAX_GET_RECIPIENTS = 300

#: descriptions of the answer codes, as the manual words them
DESCRIPTIONS = {
    0: "Accepté",
    31: "Erreur interne",
    32: "Erreur d'authentification",
    33: "Crédits insuffisants",
    35: "Paramètre obligatoire manquant",
    50: "Temporairement inaccessible",
    61: "SMS non trouvé",
}
#: the annex's status descriptions
STATUS_DESCRIPTIONS = {
    0: "Envoyé",
    1: "En cours",
    2: "Erreur interne",
    10: "Programmé",
    11: "Reçu",
    12: "Partiellement délivré",
    13: "Délivré opérateur",
    14: "Délivré",
    15: "Partiellement reçu",
    16: "Ecouté",
    21: "Non délivrable",
    22: "Rejeté",
    33: "Non envoyé - crédit insuffisant",
    34: "Erreur routage",
    35: "Erreur réception",
    36: "Erreur message",
    37: "Message expiré",
    38: "Message trop long",
    50: "Non délivré",
    100: "Lu",
    101: "Non lu",
    999: "Indéfini",
}


@dataclass
class SimMessage:
    """One SMS (or voice message) the gateway accepted, for one number."""

    sms_id: str
    #: international form without "+" (33612345678)
    number: str
    #: the text as the gateway stored it: "?" replacements, STOP mention, cut to nbr_msg
    text: str
    sender: str | None
    #: 2, 4 or 9; None for a voice message
    classe_msg: int | None
    #: when it is to go out (naive Paris time), for a scheduled send
    date_envoi: datetime | None
    ref_client: str | None
    nbr_msg: int
    parts: int
    notification_url: str | None
    notification_url_reponse: str | None
    status: int
    voice: bool = False
    language: str | None = None
    title: str | None = None
    deleted: bool = False
    #: when the gateway took it (naive Paris time)
    accepted_at: datetime = field(default_factory=lambda: _now())  # noqa: PLW0108 - defined below


@dataclass
class SimReply:
    """A reply (SMS-MO) received on the short code."""

    response_id: str
    #: naive Paris time
    received_at: datetime
    sender: str
    text: str
    to: str
    sms_id: str | None
    ref_client: str | None


@dataclass
class _Params:
    """A request's parameters: percent-decoded bytes, plus the Content-Type's charset."""

    values: dict[str, bytes]
    charset: str | None
    method: str

    def ascii(self, name: str) -> str | None:
        raw = self.values.get(name)
        return None if raw is None else raw.decode("ascii", "replace").strip()

    def text(self, name: str, charset: str) -> str | None:
        raw = self.values.get(name)
        return None if raw is None else raw.decode(charset, "replace")


@dataclass
class SmsmodeSimulator(SimulatorBase):
    """The fake gateway. Tests read ``messages``, ``replies`` and ``encoding_violations``."""

    access_token: str = "demo-smsmode-token"
    credits: float = 1000.0
    #: a post-paid account is never refused for credit; its balance may go negative
    postpaid: bool = False
    #: seconds after which an immediate send is reported received (status 11), for the demo
    auto_deliver_after: float | None = None
    #: the account setting "URL notification réception SMS"
    reply_callback_url: str | None = None
    messages: list[SimMessage] = field(default_factory=list)
    replies: list[SimReply] = field(default_factory=list)
    #: standard messages whose bytes were UTF-8, as the gateway decoded them (mojibake)
    encoding_violations: list[str] = field(default_factory=list)
    _forced: list[tuple[str, int]] = field(default_factory=list, init=False, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    def routes(self) -> list[web.RouteDef]:
        endpoints = {
            SEND: self._send_sms,
            VOICE: self._send_voice,
            CREDIT: self._credit,
            REPORT: self._report,
            STATUS: self._status,
            DELETE: self._delete,
            REPLIES: self._replies,
            SENT_LIST: self._sent_list,
        }
        routes = [
            web.route(method, path, handler)
            for path, handler in endpoints.items()
            for method in ("GET", "POST")
        ]
        routes += [
            web.post("/_sim/reply", self._control_reply),
            web.post("/_sim/deliver", self._control_deliver),
        ]
        return routes

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().stop()

    # --- what a test drives ------------------------------------------------------------

    def answer_next(self, code: int, path: str, *, count: int = 1) -> None:
        """Answer the next ``count`` requests to ``path`` with ``code | description``.

        Nothing is processed: this is how the gateway's own 31 (internal error) and 50
        (temporarily unavailable) look.
        """
        self._forced.extend([(path, code)] * count)

    async def deliver(
        self, sms_id: str, status: int = 11, *, number: str | None = None
    ) -> list[CallbackCall]:
        """Update the send's report (one number, or all) and call its ``notification_url``."""
        targets = [
            m
            for m in self._live(sms_id)
            if number is None or m.number == (_gateway_number(number) or number)
        ]
        if not targets:
            raise KeyError(sms_id)
        calls = []
        for message in targets:
            message.status = status
            if message.notification_url:
                params = {
                    "numero": message.number,
                    "date_reception": _now().strftime("%Y-%m-%d %H:%M:%S"),
                    "statut": str(status),
                    "smsID": message.sms_id,
                    "refClient": message.ref_client or "",
                    "mcc_mnc": "20801",
                    "cost": str(message.parts),
                }
                calls.append(await self.call_back(message.notification_url, params))
        return calls

    async def inject_reply(self, phone: str, text: str, sms_id: str | None = None) -> str:
        """Receive a reply from ``phone``; call the reply URL; return the reply's id."""
        origin = None
        if sms_id is not None:
            live = self._live(sms_id)
            if not live:
                raise KeyError(sms_id)
            origin = live[0]
        reply = SimReply(
            response_id=_new_id(),
            received_at=_now(),
            sender=_gateway_number(phone) or phone,
            text=text,
            to=SHORT_CODE,
            sms_id=sms_id,
            ref_client=origin.ref_client if origin else None,
        )
        self.replies.append(reply)
        url = (origin.notification_url_reponse if origin else None) or self.reply_callback_url
        if url:
            await self.call_back(
                url,
                {
                    "numero": SHORT_CODE,
                    "message": text,
                    "emetteur": reply.sender,
                    "date_reception": reply.received_at.strftime("%d%m%Y-%H%M%S"),
                    "smsID": sms_id or "",
                    "refClient": reply.ref_client or "",
                    "responseID": reply.response_id,
                },
            )
        return reply.response_id

    # --- sendSMS.do ---------------------------------------------------------------------

    async def _send_sms(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        classe = params.ascii("classe_msg") or "2"
        if classe not in ("2", "4", "9"):
            return _answer(35)
        unicode = classe == "9"
        charset = params.charset or ("utf-8" if unicode else "iso-8859-15")
        message = self._message_text(params, charset)
        sender = params.ascii("emetteur") or None
        if message is None or (sender is not None and (classe == "4" or not _valid_sender(sender))):
            return _answer(35)
        common = self._common(params, charset)
        if isinstance(common, int):
            return _answer(common)
        numbers, date_envoi, ref_client = common
        nbr_msg = _positive_int(params.ascii("nbr_msg") or "5")
        if nbr_msg is None:
            return _answer(35)
        if not unicode:
            message = "".join(c if c in TABLE else "?" for c in message)
        stop = params.ascii("stop")
        texts = {
            number: _cut(_with_stop(message, stop, number), nbr_msg, unicode=unicode)
            for number in numbers
        }
        return self._accept(
            texts,
            unicode=unicode,
            template=SimMessage(
                sms_id="",
                number="",
                text="",
                sender=sender,
                classe_msg=int(classe),
                date_envoi=date_envoi,
                ref_client=ref_client,
                nbr_msg=nbr_msg,
                parts=0,
                notification_url=params.text("notification_url", charset) or None,
                notification_url_reponse=params.text("notification_url_reponse", charset) or None,
                status=0,
            ),
        )

    def _message_text(self, params: _Params, charset: str) -> str | None:
        raw = params.values.get("message")
        if not raw:
            return None
        text = raw.decode(charset, "replace")
        if charset.lower().replace("_", "-") in ("iso-8859-15", "latin-9", "latin9"):
            if _is_utf8(raw):
                self.encoding_violations.append(text)
            text = text.replace("\x80", "€")  # the table's "€ %80" (Windows-1252)
        return text

    def _common(
        self, params: _Params, charset: str
    ) -> int | tuple[list[str], datetime | None, str | None]:
        """Recipients, date and refClient, or the code refusing them."""
        numbers = [_gateway_number(n) for n in (params.ascii("numero") or "").split(",") if n]
        if not numbers or None in numbers:
            return 35
        if params.method == "GET" and len(numbers) > MAX_GET_RECIPIENTS:
            return 35
        date_envoi = None
        if raw_date := params.ascii("date_envoi"):
            try:
                date_envoi = datetime.strptime(raw_date, DATE_FORMAT)
            except ValueError:
                return 35
        ref_client = params.text("refClient", charset) or None
        if ref_client is not None and len(ref_client) > 40:
            return 35
        return [n for n in numbers if n], date_envoi, ref_client

    def _accept(
        self, texts: dict[str, str], *, unicode: bool, template: SimMessage
    ) -> web.Response:
        parts = {number: _parts(text, unicode=unicode) for number, text in texts.items()}
        needed = sum(parts.values())
        if not self.postpaid and self.credits < needed:
            return _answer(33)
        self.credits -= needed
        sms_id = _new_id()
        scheduled = template.date_envoi is not None and template.date_envoi > _now()
        for number, text in texts.items():
            self.messages.append(
                replace(
                    template,
                    sms_id=sms_id,
                    number=number,
                    text=text,
                    parts=parts[number],
                    status=10 if scheduled else 0,
                    accepted_at=_now(),
                )
            )
        if self.auto_deliver_after is not None and not scheduled:
            task = asyncio.create_task(self._auto_deliver(sms_id, self.auto_deliver_after))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return _answer(0, sms_id)

    async def _auto_deliver(self, sms_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if self._live(sms_id):
            await self.deliver(sms_id)

    # --- sendVoiceMessage.do --------------------------------------------------------------

    async def _send_voice(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        charset = params.charset or "iso-8859-15"
        message = self._message_text(params, charset)
        language = params.ascii("language") or "fr-FR"
        if message is None or language not in LANGUAGES:
            return _answer(35)
        common = self._common(params, charset)
        if isinstance(common, int):
            return _answer(common)
        numbers, date_envoi, _ = common
        return self._accept(
            dict.fromkeys(numbers, message),
            unicode=False,
            template=SimMessage(
                sms_id="",
                number="",
                text="",
                sender=None,
                classe_msg=None,
                date_envoi=date_envoi,
                ref_client=None,
                nbr_msg=5,
                parts=0,
                notification_url=None,
                notification_url_reponse=None,
                status=0,
                voice=True,
                language=language,
                title=params.text("title", charset),
            ),
        )

    # --- account, reports, replies --------------------------------------------------------

    async def _credit(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        return _plain(f"{self.credits:.2f}".rstrip("0").rstrip("."))

    async def _report(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        sms_id = params.ascii("smsID")
        if not sms_id:
            return _answer(35)
        live = self._live(sms_id)
        if not live:
            return _plain("61 | SMS n'existant pas ou plus")
        return _plain(" | ".join(f"{m.number} {m.status}" for m in live))

    async def _status(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        sms_id = params.ascii("smsID")
        if not sms_id:
            return _answer(35)
        live = self._live(sms_id)
        if not live:
            return _plain("61 | smsID invalide")
        statuses = {m.status for m in live}
        # several numbers: the campaign's status
        status = statuses.pop() if len(statuses) == 1 else 12
        return _plain(f"{status} | {STATUS_DESCRIPTIONS.get(status, 'Indéfini')}")

    async def _delete(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        sms_id = params.ascii("smsID")
        number = params.ascii("numero")
        if not sms_id and not number:
            return _answer(35)
        if not sms_id:
            # "seul le SMS le plus récent correspondant à ce critère sera supprimé"
            wanted = _gateway_number(number or "")
            matching = [m for m in self.messages if m.number == wanted and not m.deleted]
            sms_id = matching[-1].sms_id if matching else ""
        live = self._live(sms_id)
        if not live:
            return _answer(61)
        for message in live:
            message.deleted = True
            if message.status == 10:  # never went out: nothing billed
                self.credits += message.parts
        return _plain("0 | SMS supprimé")

    async def _replies(self, request: web.Request) -> web.Response:
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        paging = [params.ascii(name) for name in ("start", "offset")]
        dates = [params.ascii(name) for name in ("startDate", "endDate")]
        newest_first = sorted(self.replies, key=lambda r: r.received_at, reverse=True)
        if any(dates):
            if any(paging) or not all(dates):
                return _answer(35)
            try:
                start, end = (datetime.strptime(d or "", DATE_FORMAT) for d in dates)
            except ValueError:
                return _answer(35)
            # dates are to the minute: the end minute is included whole
            selected = [
                r
                for r in newest_first
                if start <= r.received_at.replace(second=0, microsecond=0) <= end
            ]
        else:
            first = _non_negative_int(paging[0] or "0")
            count = _non_negative_int(paging[1] or "50")
            if first is None or count is None:
                return _answer(35)
            selected = newest_first[first : first + count]
        return _plain("\n".join(_reply_line(r) for r in selected))

    async def _sent_list(self, request: web.Request) -> web.Response:
        """One line per send (not per number), newest first, deleted sends left out.

        The manual names one ``téléphone_destinataire`` and a count of recipients: a send
        to several numbers shows its first number and that count.
        """
        if (forced := self._take_forced(request.path)) is not None:
            return _answer(forced)
        params = await _read(request)
        if (refused := self._check_token(params)) is not None:
            return _answer(refused)
        first = _non_negative_int(params.ascii("start") or "0")
        count = _positive_int(params.ascii("offset") or "50")
        if first is None or count is None or count > MAX_SENT_LIST:
            return _answer(35)
        sends: dict[str, list[SimMessage]] = {}
        for message in self.messages:
            if not message.deleted:
                sends.setdefault(message.sms_id, []).append(message)
        newest_first = list(reversed(sends.values()))[first : first + count]
        return _plain("\n".join(_sent_line(send) for send in newest_first))

    # --- control endpoints for the demo ----------------------------------------------------

    async def _control_reply(self, request: web.Request) -> web.Response:
        form = await request.post()
        sms_id = str(form.get("sms_id", "")) or None
        try:
            response_id = await self.inject_reply(
                str(form.get("phone", "")), str(form.get("text", "")), sms_id
            )
        except KeyError:
            return web.Response(status=404, text="unknown sms_id")
        return _plain(response_id)

    async def _control_deliver(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            await self.deliver(str(form.get("sms_id", "")), int(str(form.get("status", "11"))))
        except (KeyError, ValueError):
            return web.Response(status=404, text="unknown sms_id")
        return _plain("ok")

    # --- helpers ---------------------------------------------------------------------------

    def _check_token(self, params: _Params) -> int | None:
        token = params.ascii("accessToken")
        if not token:
            return 35
        return None if token == self.access_token else 32

    def _take_forced(self, path: str) -> int | None:
        for index, (forced_path, code) in enumerate(self._forced):
            if forced_path == path:
                del self._forced[index]
                return code
        return None

    def _live(self, sms_id: str) -> list[SimMessage]:
        return [m for m in self.messages if m.sms_id == sms_id and not m.deleted]


async def _read(request: web.Request) -> _Params:
    """Query and form parameters as percent-decoded bytes (decoding is the endpoint's job)."""
    raw = [request.rel_url.raw_query_string]
    if request.method == "POST":
        raw.append((await request.read()).decode("latin-1"))
    values: dict[str, bytes] = {}
    for chunk in raw:
        # latin-1 maps each byte to one character: the bytes come back intact below
        for name, value in urllib.parse.parse_qsl(
            chunk, keep_blank_values=True, encoding="latin-1"
        ):
            values[name] = value.encode("latin-1")
    charset = request.charset if request.method == "POST" else None
    return _Params(values=values, charset=charset, method=request.method)


def _answer(code: int, sms_id: str | None = None) -> web.Response:
    parts = [str(code), DESCRIPTIONS.get(code, "Erreur")]
    if sms_id is not None:
        parts.append(sms_id)
    return _plain(" | ".join(parts))


def _plain(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def _reply_line(reply: SimReply) -> str:
    return " | ".join(
        (
            reply.response_id,
            reply.received_at.strftime(DATE_FORMAT),
            reply.sender,
            reply.text,
            reply.to,
            reply.sms_id or "",
        )
    )


def _sent_line(send: list[SimMessage]) -> str:
    """ "smsId | date_envoi | texte_sms | téléphone_destinataire | coût | nbre |"."""
    first = send[0]
    date = first.date_envoi or first.accepted_at
    fields = (
        first.sms_id,
        date.strftime(DATE_FORMAT),
        first.text,
        first.number,
        str(sum(message.parts for message in send)),
        str(len(send)),
    )
    return " | ".join(fields) + " |"


def _is_utf8(raw: bytes) -> bool:
    """Bytes that hold UTF-8 multi-byte sequences: what a client sends when it forgets latin-9."""
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _gateway_number(raw: str) -> str | None:
    """``06…`` (France only) or ``336…`` / ``+336…`` as ``336…``; None when neither."""
    number = raw.strip().replace(" ", "")
    if re.fullmatch(r"0[1-9][0-9]{8}", number):
        return "33" + number[1:]
    if re.fullmatch(r"\+?[1-9][0-9]{7,14}", number):
        return number.removeprefix("+")
    return None


def _valid_sender(sender: str) -> bool:
    """ "Maximum 11 caractères, sans accent ni espace"; "Numéro de téléphone non autorisé"."""
    return re.fullmatch(r"[!-~]{1,11}", sender) is not None and not sender.isdigit()


def _positive_int(raw: str) -> int | None:
    value = _non_negative_int(raw)
    return value if value else None


def _non_negative_int(raw: str) -> int | None:
    return int(raw) if re.fullmatch(r"[0-9]{1,6}", raw) else None


def _with_stop(text: str, stop: str | None, number: str) -> str:
    """The STOP mention smsmode appends: stop=1 only if the text has ≤ 149 characters."""
    if stop not in ("1", "2") or (stop == "1" and len(text) > 149):
        return text
    return text + (STOP_FRANCE if number.startswith(_FRENCH_PREFIXES) else STOP_ABROAD)


def _units(char: str, *, unicode: bool) -> int:
    if unicode:
        return 2 if ord(char) > 0xFFFF else 1
    return 2 if char in DOUBLE else 1


def _limits(*, unicode: bool) -> tuple[int, int]:
    """Units of a one-part message and of each part of a long one."""
    return (70, 67) if unicode else (160, 153)


def _cut(text: str, nbr_msg: int, *, unicode: bool) -> str:
    """ "Le message sera coupé s'il dépasse cette limite"."""
    single, each = _limits(unicode=unicode)
    limit = single if nbr_msg == 1 else each * nbr_msg
    total = 0
    for index, char in enumerate(text):
        total += _units(char, unicode=unicode)
        if total > limit:
            return text[:index]
    return text


def _parts(text: str, *, unicode: bool) -> int:
    single, each = _limits(unicode=unicode)
    units = sum(_units(char, unicode=unicode) for char in text)
    return 1 if units <= single else math.ceil(units / each)


def _new_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))


def _now() -> datetime:
    """Paris wall-clock time, naive: how the gateway writes its dates."""
    return datetime.now(PARIS).replace(tzinfo=None)
