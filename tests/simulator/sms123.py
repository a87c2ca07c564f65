"""A fake 123-SMS, as seed 004 describes it.

``POST /api/send/`` and ``POST /api/solde/`` take a JSON body (``Content-Type:
application/json``) or an XML ``<sms>…</sms>`` one (``application/xml``), with ``user`` +
``cleAPI`` or ``email`` + ``pass``. The answer is plain text: the return code, then
`` <reference>`` when delivery reports are on (the vendor's examples). ``numero`` is one
number. Any other URL answers ``-3`` ("l'url est incorrecte").

Control endpoints for the local demo (not recorded, no faults):
``GET /_sim/state``, ``POST /_sim/deliver`` ``{"reference", "erreur"}``,
``POST /_sim/ping``, ``POST /_sim/config`` ``{"credits", "callback_url", ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from .base import CallbackCall, SimulatorBase
from .billing import parts_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

PARIS = ZoneInfo("Europe/Paris")
STOP_MENTION = "stop SMS au 36177"


#: country codes of the overseas departments and territories (DOM TOM)
_OVERSEAS_PREFIXES = ("262", "269", "508", "590", "594", "596", "681", "687", "689")
_FRENCH_MOBILE = re.compile(r"33[67][0-9]{8}")
_FRENCH_FIXED = re.compile(r"33[1-59][0-9]{8}")
_INTERNATIONAL = re.compile(r"[1-9][0-9]{7,14}")
_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
_DIFF = re.compile(r"([0-9]{12})(s?)")
_DAY = timedelta(hours=24)


@dataclass
class AcceptedSms:
    """An SMS the simulator accepted (sent, scheduled or later deleted)."""

    reference: str
    number: str
    text: str
    sender: str | None
    flash: bool
    tts: bool
    #: the ``diff`` value as received, None for an immediate send
    diff: str | None
    parts: int
    accepted_at: datetime
    deleted: bool = False


@dataclass
class Sms123Simulator(SimulatorBase):
    """A 123-SMS account: credentials, options, credits and what was sent."""

    user: str = "client@example.fr"
    api_key: str = "cle-api-secrete"
    #: the account password, for the ``email`` + ``pass`` form
    password: str = "mot-de-passe"
    #: SMS left on the account
    credits: int = 500
    #: the account option "envoi de sms longs par http"
    long_sms_enabled: bool = True
    #: the account option for overseas departments (code 93 when off)
    dom_tom_enabled: bool = True
    #: numbers (gateway form, 33612345678) blocked or blacklisted: code 101
    blocked_numbers: set[str] = field(default_factory=set)
    #: client IPs allowed (None = any): code 96
    allowed_ips: set[str] | None = None
    #: answer the reference after the code (delivery reports requested)
    delivery_reports: bool = True
    #: the delivery-report URL declared "in the customer area"
    callback_url: str | None = None
    #: seconds after which an accepted immediate send is reported delivered (demo)
    auto_deliver_after: float | None = None
    #: requests to answer ``-2`` (technical error) without processing them
    technical_errors: int = 0
    #: seconds each send request takes (gateway latency), to observe concurrency
    latency: float = 0.0
    #: the simulator's clock: tests move it to step over the 24-hour duplicate window
    now: Callable[[], datetime] = field(default_factory=lambda: _utc_now)
    messages: list[AcceptedSms] = field(default_factory=list)
    #: send requests being handled right now, and the most seen at once
    in_flight: int = 0
    max_in_flight: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    @property
    def scheduled(self) -> list[AcceptedSms]:
        """Scheduled sends not deleted."""
        return [sms for sms in self.messages if sms.diff is not None and not sms.deleted]

    @property
    def history(self) -> list[AcceptedSms]:
        """What counts for the 24-hour duplicate rule (code 91)."""
        return [sms for sms in self.messages if not sms.deleted]

    def routes(self) -> list[web.RouteDef]:
        """Send, balance, the demo's control endpoints, and ``-3`` for any other URL."""
        return [
            web.get("/_sim/state", self._sim_state),
            web.post("/_sim/deliver", self._sim_deliver),
            web.post("/_sim/ping", self._sim_ping),
            web.post("/_sim/config", self._sim_config),
            web.post("/api/send/", self._send),
            web.post("/api/solde/", self._balance),
            web.route("*", "/{tail:.*}", self._wrong_url),
        ]

    async def stop(self) -> None:
        """Cancel pending automatic delivery reports, then stop serving."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().stop()

    # --- /api/send/ -------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._handle_send(request)
        finally:
            self.in_flight -= 1

    async def _handle_send(self, request: web.Request) -> web.Response:
        fields = await _read_body(request)
        if fields is None:
            return _answer("-1")
        if self.technical_errors > 0:
            self.technical_errors -= 1
            return _answer("-2")
        if self.allowed_ips is not None and request.remote not in self.allowed_ips:
            return _answer("96")
        refusal = self._check_credentials(fields, empty=("87", "88"), wrong="82")
        if refusal is None:
            refusal = self._check_message(fields)
        if refusal is not None:
            return _answer(refusal)
        diff = _DIFF.fullmatch(fields.get("diff", "")) if fields.get("diff") else None
        if diff is not None and diff.group(2):
            return _answer(self._delete(fields, diff.group(1)))
        return self._accept(fields, diff.group(1) if diff else None)

    def _check_credentials(
        self, fields: Mapping[str, str], *, empty: tuple[str, str], wrong: str
    ) -> str | None:
        if "user" in fields or "cleAPI" in fields:
            login, secret, expected = fields.get("user", ""), fields.get("cleAPI", ""), self.api_key
        else:
            login, secret, expected = fields.get("email", ""), fields.get("pass", ""), self.password
        if not login.strip():
            return empty[0]
        if not secret.strip():
            return empty[1]
        if login != self.user or secret != expected:
            return wrong
        return None

    def _check_message(self, fields: Mapping[str, str]) -> str | None:
        """The first refusal code the send's fields earn, in the order the seed lists them."""
        number, text = fields.get("numero", "").strip(), fields.get("message", "")
        if not number:
            return "89"
        if not text.strip():
            return "90"
        if fields.get("flash", "") not in ("", "o") or fields.get("TTS", "") not in ("", "o"):
            return "-1"
        diff = fields.get("diff", "")
        if diff and self._diff_time(diff) is None:
            return "85"
        number_refusal = self._check_number(number, tts=fields.get("TTS") == "o")
        if number_refusal is not None:
            return number_refusal
        sender = fields.get("senderid", "")
        if sender and not _SENDER.fullmatch(sender):
            return "97"
        if sender and not text.rstrip().lower().endswith(STOP_MENTION.lower()):
            return "102"
        if not self.long_sms_enabled and len(text) > 160:
            return "-1"
        return None

    def _check_number(self, number: str, *, tts: bool) -> str | None:
        gateway_form = _gateway_form(number)
        french = _FRENCH_MOBILE.fullmatch(gateway_form) or (
            tts and _FRENCH_FIXED.fullmatch(gateway_form)
        )
        international = not gateway_form.startswith("33") and _INTERNATIONAL.fullmatch(gateway_form)
        if not french and not international:
            return "84"
        if gateway_form.startswith(_OVERSEAS_PREFIXES) and not self.dom_tom_enabled:
            return "93"
        if gateway_form in self.blocked_numbers:
            return "101"
        return None

    def _diff_time(self, diff: str) -> datetime | None:
        """The ``diff`` date (Paris time), or None when badly formed or past."""
        match = _DIFF.fullmatch(diff)
        if match is None:
            return None
        try:
            moment = datetime.strptime(match.group(1), "%H%M%d%m%Y").replace(tzinfo=PARIS)
        except ValueError:
            return None
        if not match.group(2) and moment <= self.now():
            return None
        return moment

    def _accept(self, fields: Mapping[str, str], diff: str | None) -> web.Response:
        number, text = _gateway_form(fields["numero"]), fields["message"]
        now = self.now()
        if any(
            sms.number == number and sms.text == text and now - sms.accepted_at < _DAY
            for sms in self.history
        ):
            return _answer("91")
        parts = parts_of(text)
        if parts > self.credits:
            return _answer("83")
        if fields.get("test") == "o":
            return _answer("92")  # validated: nothing stored, nothing billed
        sms = AcceptedSms(
            reference=secrets.token_hex(4),
            number=number,
            text=text,
            sender=fields.get("senderid") or None,
            flash=fields.get("flash") == "o",
            tts=fields.get("TTS") == "o",
            diff=diff,
            parts=parts,
            accepted_at=now,
        )
        self.credits -= parts
        self.messages.append(sms)
        if diff is None and self.auto_deliver_after is not None:
            self._later(self.auto_deliver_after, sms.reference)
        code = "81" if diff else "80"
        return _answer(f"{code} {sms.reference}" if self.delivery_reports else code)

    def _delete(self, fields: Mapping[str, str], diff: str) -> str:
        number, text = _gateway_form(fields["numero"]), fields["message"]
        for sms in self.scheduled:
            if sms.number == number and sms.diff == diff and sms.text == text:
                sms.deleted = True
                self.credits += sms.parts
                return "94"
        return "95"

    # --- /api/solde/ ------------------------------------------------------------------

    async def _balance(self, request: web.Request) -> web.Response:
        fields = await _read_body(request)
        if fields is None:
            return _answer("-1")
        if self.technical_errors > 0:
            self.technical_errors -= 1
            return _answer("-2")
        refusal = self._check_credentials(fields, empty=("E501", "E502"), wrong="E505")
        return _answer(refusal or str(self.credits))

    async def _wrong_url(self, request: web.Request) -> web.Response:
        return _answer("-3")

    # --- delivery reports -------------------------------------------------------------

    async def deliver(self, reference: str, erreur: str = "") -> CallbackCall | None:
        """Report ``reference`` to the callback URL (``erreur`` empty = delivered)."""
        sms = next((sms for sms in self.messages if sms.reference == reference), None)
        if sms is None or self.callback_url is None:
            return None
        params = {"erreur": erreur, "refenvoi": reference, "gsm": sms.number}
        return await self.call_back(self.callback_url, params)

    async def ping_callback(self) -> CallbackCall | None:
        """Call the callback URL with no parameters, as the provider checks it answers "OK"."""
        if self.callback_url is None:
            return None
        return await self.call_back(self.callback_url, {})

    def _later(self, delay: float, reference: str) -> None:
        async def deliver_later() -> None:
            await asyncio.sleep(delay)
            await self.deliver(reference)

        task = asyncio.get_running_loop().create_task(deliver_later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- control endpoints for the demo -----------------------------------------------

    async def _sim_state(self, request: web.Request) -> web.Response:
        state = {
            "credits": self.credits,
            "callback_url": self.callback_url,
            "messages": [
                {**asdict(sms), "accepted_at": sms.accepted_at.isoformat()} for sms in self.messages
            ],
            "callbacks": [asdict(call) for call in self.callbacks],
        }
        return web.json_response(state)

    async def _sim_deliver(self, request: web.Request) -> web.Response:
        data = await request.json()
        call = await self.deliver(str(data["reference"]), str(data.get("erreur", "")))
        return web.json_response(None if call is None else asdict(call))

    async def _sim_ping(self, request: web.Request) -> web.Response:
        call = await self.ping_callback()
        return web.json_response(None if call is None else asdict(call))

    async def _sim_config(self, request: web.Request) -> web.Response:
        data = await request.json()
        for name in (
            "credits",
            "callback_url",
            "auto_deliver_after",
            "long_sms_enabled",
            "dom_tom_enabled",
            "delivery_reports",
        ):
            if name in data:
                setattr(self, name, data[name])
        if "blocked_numbers" in data:
            self.blocked_numbers = set(data["blocked_numbers"])
        return web.json_response({"ok": True})


async def _read_body(request: web.Request) -> dict[str, str] | None:
    """The body's fields, by its declared type (JSON or XML), or None when unreadable."""
    raw = await request.read()
    content_type = request.content_type
    try:
        if content_type == "application/json":
            data = json.loads(raw)
            if not isinstance(data, dict):
                return None
            return {str(key): _field(value) for key, value in data.items()}
        if content_type in ("application/xml", "text/xml"):
            root = ET.fromstring(raw)
            if root.tag != "sms":
                return None
            return {child.tag: (child.text or "").strip() for child in root}
    except (ValueError, ET.ParseError):
        return None
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _field(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _gateway_form(number: str) -> str:
    """``0612345678`` / ``+33612345678`` -> ``33612345678``."""
    number = number.strip().removeprefix("+")
    if number.startswith("00"):
        return number[2:]
    if len(number) == 10 and number.startswith("0"):
        return "33" + number[1:]
    return number


def _answer(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain")
