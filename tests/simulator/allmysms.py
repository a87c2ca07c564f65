"""A fake AllMySMS HTTPS API 9.0 (seed 001), with the webhook calls of the customer area.

Endpoints, by POST form or GET query (the seed allows both), under ``/http/9.0/``:
``sendSms``, ``simulateCampaign``, ``getInfo``, ``getAcks``, ``getPulls``, ``getPullBySmsId``
and ``deleteCampaign``. Answers are JSON with ``returnformat=json`` (the library always asks
for it), else a small XML document.

What the platform does and the simulator copies:

* status codes of the seed's table, checked in this order: 102 credentials, 105 no
  ``smsData``, 106 not JSON / no ``DATA``, 109 no ``MESSAGE``, 110 empty message, 111 more
  than 640 characters, 112 no ``SMS`` list, 107 an ``SMS`` entry without ``MOBILEPHONE``,
  115 bad ``DATE``, 114 / 113 numbers, 103 / 104 credit. ``force_status`` makes the next
  send answer any status (108, 117, 118 cannot come from a well-formed request);
* numbers: digits in international form without ``+`` (``33612345678``) or French national
  form (``0612345678``); those in ``unroutable_numbers`` are "non pris en charge";
* 15 credits per part per recipient; a future ``DATE`` (Paris time) is a scheduled campaign
  (status 101) kept until ``deleteCampaign`` (which refunds it) or ``deliver``;
* a custom ``TPOA`` to France is honoured only when the text ends with "STOP au 36180"
  after a space or a line break: otherwise the platform's short code is used instead.

Tests drive it with Python methods (``deliver``, ``inject_reply``); the demo uses the
``/_sim/`` HTTP endpoints (``/_sim/deliver``, ``/_sim/reply``, ``/_sim/state``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from aiohttp import web

from .base import SimulatorBase
from .billing import parts_of as _billed_parts

PATH = "/http/9.0"
CREDITS_PER_PART = 15
MAX_CHARACTERS = 640
STOP_MENTION = "STOP au 36180"
#: the sender the platform puts instead of a custom one it does not honour
SHORT_CODE = "36180"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: country codes of France and its overseas departments and territories
FRENCH_PREFIXES = ("33", "262", "269", "508", "590", "594", "596", "681", "687", "689")

# the seed's own texts, typography included
STATUS_TEXTS: dict[int, str] = {
    100: "Le message a été envoyé",
    101: "Le message a été programmé pour un envoi différé",
    102: "Problème de connexion – Aucun compte ne correspond aux clientcode et passcode spécifiés",
    103: "Crédit SMS épuisé. Veuillez re-créditer votre compte sur AllMySMS.com",
    104: (
        "Crédit insuffisant pour traiter cet envoi. A utiliser: {required} Crédits, "
        "Disponibles: {available} Crédits. Veuillez re-créditer votre compte sur AllMySMS.com"
    ),
    105: "Flux XML Vide",
    106: "Flux XML invalide ou incomplet après la balise <DATA>",
    107: "Flux XML invalide ou incomplet après la balise <MOBILEPHONE>",
    108: (
        "Le code CLIENT donné dans le flux XML est incorrect, il doit correspondre au "
        "clientcode en majuscule"
    ),
    109: "Flux XML invalide ou incomplet après la balise <MESSAGE>",
    110: "Message non défini (vide) dans le flux XML",
    111: "Le message dépasse 640 caractères",
    112: "Flux XML invalide ou incomplet après la balise <SMS>",
    113: "Certains numéros de téléphone sont invalides ou non pris en charge",
    114: (
        "Aucun numéro de téléphone valide dans le flux. Veuillez-vous référer à la "
        "documentation en ligne pour connaitre les formats valides."
    ),
    115: "Flux XML invalide ou date mal formatée entre les balises <DATE> et </DATE>",
    117: "Balise <LINK> – Lien trop long, dépasse les 80 caractères",
    118: "Le compte maître spécifié n’existe pas",
}
DELIVERY_TEXTS: dict[int, str] = {
    1: "Delivered",
    2: "Not delivered",
    3: "Transmitted to operator",
    4: "Message rejected",
    5: "Unknown or absent subscriber",
}

_INTERNATIONAL_RE = re.compile(r"[1-9]\d{7,14}", re.ASCII)
PARIS = ZoneInfo("Europe/Paris")
_FRENCH_NATIONAL_RE = re.compile(r"0[1-9]\d{8}", re.ASCII)


def paris_now() -> datetime:
    """The platform's clock: Paris wall-clock time, naive like its dates."""
    return datetime.now(PARIS).replace(tzinfo=None)


def parts_of(text: str) -> int:
    """Parts the platform bills for ``text`` (GSM-7 when it can, UCS-2 otherwise)."""
    return _billed_parts(text)


def international(number: str) -> str:
    """``0612345678`` -> ``33612345678``; international numbers unchanged."""
    return "33" + number[1:] if _FRENCH_NATIONAL_RE.fullmatch(number) else number


def has_stop_mention(text: str) -> bool:
    """The text ends with the STOP mention after a space or a line break (seed 000)."""
    stripped = text.rstrip()
    if not stripped.endswith(STOP_MENTION):
        return False
    head = stripped[: -len(STOP_MENTION)]
    return not head or head[-1] in " \r\n"


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class SentSms:
    """One SMS the platform accepted (one per recipient)."""

    campaign_id: str
    sms_id: str
    number: str
    text: str
    #: the sender asked for (TPOA, Mail2SMS from=), None for the platform's own
    sender: str | None
    #: the sender the recipient sees: the TPOA, or the short code that replaced it
    sender_used: str
    flash: bool
    date: str | None
    reference: str | None
    campaign_name: str | None
    parts: int
    low_cost: bool = False
    via: str = "https"
    #: "sent", "scheduled" or "cancelled"
    status: str = "sent"


@dataclass
class Campaign:
    """One accepted send and its SMS."""

    campaign_id: str
    sms: list[SentSms]
    credits_used: float
    reference: str | None
    scheduled: bool
    cancelled: bool = False


@dataclass
class Ack:
    """A delivery report for one SMS."""

    sms_id: str
    campaign_id: str
    number: str
    status: int
    reception_date: str


@dataclass
class Reply:
    """A reply (SMS-MO) received from a recipient."""

    mo_id: str
    sms_id: str
    campaign_id: str
    number: str
    text: str
    reception_date: str


class _Refusal(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A send refused with one of the seed's statuses."""

    def __init__(self, status: int, **extra: Any) -> None:
        super().__init__(status)
        self.status = status
        self.extra = extra


@dataclass
class _Checked:
    """A validated ``smsData``."""

    text: str
    sender: str | None
    date: str | None
    scheduled: bool
    flash: bool
    reference: str | None
    campaign_name: str | None
    valid: list[str]
    invalid: list[str]
    parts: int

    @property
    def cost(self) -> float:
        return float(CREDITS_PER_PART * self.parts * len(self.valid))


@dataclass
class AllMySmsSimulator(SimulatorBase):
    """The fake AllMySMS platform and its state."""

    login: str = "demo"
    api_key: str = "demo-allmysms-key"
    credits: float = 15000.0
    #: numbers (international form, no "+") the platform does not route: "non pris en charge"
    unroutable_numbers: set[str] = field(default_factory=set)
    #: the webhook URL configured in the customer area, for reports and replies
    webhook_url: str | None = None
    #: seconds after which an immediate send is reported delivered; None: only ``deliver``
    auto_deliver_after: float | None = None
    #: the next send or simulation answers this status without doing anything
    force_status: int | None = None
    messages: list[SentSms] = field(default_factory=list)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    acks: list[Ack] = field(default_factory=list)
    #: replies not yet read by getPulls
    pending_replies: list[Reply] = field(default_factory=list)
    #: every reply ever received (getPullBySmsId reads them again)
    replies: list[Reply] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    # --- server ----------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The API endpoints (GET and POST, with or without the trailing slash)."""
        endpoints = {
            "sendSms": self._send_sms,
            "simulateCampaign": self._simulate_campaign,
            "getInfo": self._get_info,
            "getAcks": self._get_acks,
            "getPulls": self._get_pulls,
            "getPullBySmsId": self._get_pull_by_sms_id,
            "deleteCampaign": self._delete_campaign,
        }
        routes = [
            web.route("*", path, self._endpoint(handler))
            for name, handler in endpoints.items()
            for path in (f"{PATH}/{name}", f"{PATH}/{name}/")
        ]
        routes += [
            web.post("/_sim/deliver", self._sim_deliver),
            web.post("/_sim/reply", self._sim_reply),
            web.get("/_sim/state", self._sim_state),
        ]
        return routes

    async def stop(self) -> None:
        """Cancel pending automatic deliveries, then stop serving."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await super().stop()

    def _endpoint(self, handler: Any) -> Any:
        async def serve(request: web.Request) -> web.StreamResponse:
            if request.method not in ("GET", "POST"):
                raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
            fields: dict[str, str] = dict(request.query)
            if request.method == "POST":
                fields.update({k: str(v) for k, v in (await request.post()).items()})
            as_json = fields.get("returnformat", "").lower() == "json"
            if fields.get("login") != self.login or fields.get("apiKey") != self.api_key:
                return _answer({"status": 102, "statusText": STATUS_TEXTS[102]}, as_json)
            payload: dict[str, Any] = await handler(fields)
            return _answer(payload, as_json)

        return serve

    # --- sendSms / simulateCampaign ----------------------------------------------------

    async def _send_sms(self, fields: Mapping[str, str]) -> dict[str, Any]:
        try:
            checked = self._check(fields)
        except _Refusal as refusal:
            return _refusal(refusal)
        campaign = self._accept(checked)
        status = 101 if checked.scheduled else (113 if checked.invalid else 100)
        return {
            "status": str(status),
            "statusText": STATUS_TEXTS[status],
            "invalidNumbers": checked.invalid,
            "campaignId": campaign.campaign_id,
            "credits": _number(self.credits),
            "creditsUsed": _number(campaign.credits_used),
            "nbContacts": len(checked.valid),
            "nbSms": checked.parts * len(checked.valid),
            "smsIds": [{"phoneNumber": sms.number, "smsId": sms.sms_id} for sms in campaign.sms],
        }

    async def _simulate_campaign(self, fields: Mapping[str, str]) -> dict[str, Any]:
        try:
            checked = self._check(fields)
        except _Refusal as refusal:
            return _refusal(refusal)
        # the seed does not say which status a simulation answers: 100 unless numbers failed
        status = 113 if checked.invalid else 100
        return {
            "status": str(status),
            "statusText": "Simulation" if status == 100 else STATUS_TEXTS[status],
            "invalidNumbers": checked.invalid,
            "nbCredits": _amount(checked.cost),
            "nbContacts": str(len(checked.valid)),
            "nbSms": str(checked.parts * len(checked.valid)),
        }

    def _check(self, fields: Mapping[str, str]) -> _Checked:
        """Validate ``smsData`` as the platform does, or raise ``_Refusal``."""
        if self.force_status is not None:
            status, self.force_status = self.force_status, None
            raise _Refusal(status, required=_amount(CREDITS_PER_PART), available="0")
        data = self._data(fields.get("smsData", ""))
        text = data.get("MESSAGE")
        if not isinstance(text, str):
            raise _Refusal(109)
        if not text.strip():
            raise _Refusal(110)
        if len(text) > MAX_CHARACTERS:
            raise _Refusal(111)
        numbers = self._numbers(data.get("SMS"))
        date, scheduled = self._date(data.get("DATE"))
        valid = [international(n) for n in numbers if self._routable(n)]
        invalid = [n for n in numbers if not self._routable(n)]
        if not valid:
            raise _Refusal(114, invalidNumbers=invalid)
        checked = _Checked(
            text=text,
            sender=_optional(data.get("TPOA")),
            date=date,
            scheduled=scheduled,
            flash=str(data.get("FLASH", "")).strip() in ("1", "true", "True"),
            reference=_optional(data.get("CLIMSGID")),
            campaign_name=_optional(data.get("CAMPAIGN_NAME")),
            valid=valid,
            invalid=invalid,
            parts=parts_of(text),
        )
        if self.credits <= 0:
            raise _Refusal(103)
        if self.credits < checked.cost:
            raise _Refusal(104, required=_amount(checked.cost), available=_amount(self.credits))
        return checked

    @staticmethod
    def _data(sms_data: str) -> dict[str, Any]:
        if not sms_data.strip():
            raise _Refusal(105)
        try:
            document = json.loads(sms_data)
        except ValueError as err:
            raise _Refusal(106) from err
        data = document.get("DATA") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise _Refusal(106)
        return data

    @staticmethod
    def _numbers(sms: object) -> list[str]:
        if not isinstance(sms, list) or not sms:
            raise _Refusal(112)
        numbers = []
        for entry in sms:
            number = entry.get("MOBILEPHONE") if isinstance(entry, dict) else None
            if not isinstance(number, str | int) or isinstance(number, bool):
                raise _Refusal(107)
            numbers.append(str(number).strip())
        return numbers

    def _routable(self, number: str) -> bool:
        well_formed = bool(
            _INTERNATIONAL_RE.fullmatch(number) or _FRENCH_NATIONAL_RE.fullmatch(number)
        )
        return well_formed and international(number) not in self.unroutable_numbers

    @staticmethod
    def _date(value: object) -> tuple[str | None, bool]:
        """(the date, whether it is in the future); a past date sends at once."""
        if value is None or value == "":
            return None, False
        if not isinstance(value, str):
            raise _Refusal(115)
        try:
            moment = datetime.strptime(value.strip(), DATE_FORMAT)
        except ValueError as err:
            raise _Refusal(115) from err
        return value.strip(), moment > paris_now()

    # --- state changes -----------------------------------------------------------------

    def _accept(self, checked: _Checked) -> Campaign:
        return self._store(
            numbers=checked.valid,
            text=checked.text,
            sender=checked.sender,
            date=checked.date,
            scheduled=checked.scheduled,
            flash=checked.flash,
            reference=checked.reference,
            campaign_name=checked.campaign_name,
            low_cost=False,
            via="https",
        )

    def _store(
        self,
        *,
        numbers: list[str],
        text: str,
        sender: str | None,
        date: str | None,
        scheduled: bool,
        flash: bool,
        reference: str | None,
        campaign_name: str | None,
        low_cost: bool,
        via: str,
    ) -> Campaign:
        campaign_id = str(uuid.uuid4())
        parts = parts_of(text)
        sms = [
            SentSms(
                campaign_id=campaign_id,
                sms_id=str(uuid.uuid4()),
                number=number,
                text=text,
                sender_used=self._sender_used(sender, text, number),
                sender=sender,
                flash=flash,
                date=date,
                reference=reference,
                campaign_name=campaign_name,
                parts=parts,
                low_cost=low_cost,
                via=via,
                status="scheduled" if scheduled else "sent",
            )
            for number in numbers
        ]
        cost = float(CREDITS_PER_PART * parts * len(numbers))
        self.credits -= cost
        campaign = Campaign(campaign_id, sms, cost, reference, scheduled=scheduled)
        self.campaigns[campaign_id] = campaign
        self.messages.extend(sms)
        if not scheduled and self.auto_deliver_after is not None:
            self._deliver_later(campaign_id, self.auto_deliver_after)
        return campaign

    @staticmethod
    def _sender_used(sender: str | None, text: str, number: str) -> str:
        """A custom sender to France needs the STOP mention, else the short code is used."""
        if not sender:
            return SHORT_CODE
        if number.startswith(FRENCH_PREFIXES) and not has_stop_mention(text):
            return SHORT_CODE
        return sender

    def _deliver_later(self, campaign_id: str, delay: float) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            campaign = self.campaigns[campaign_id]
            if not campaign.cancelled and not campaign.scheduled:
                await self.deliver(campaign_id)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def record_mail2sms(
        self,
        *,
        numbers: list[str],
        text: str,
        sender: str | None,
        date: str | None,
        low_cost: bool,
    ) -> str:
        """Store a Mail2SMS send like sendSms would (no validation); return its campaign id."""
        scheduled = False
        if date:
            try:
                scheduled = datetime.strptime(date.strip(), DATE_FORMAT) > paris_now()
            except ValueError:
                scheduled = False
        campaign = self._store(
            numbers=[international(number) for number in numbers],
            text=text,
            sender=sender,
            date=date,
            scheduled=scheduled,
            flash=False,
            reference=None,
            campaign_name=None,
            low_cost=low_cost,
            via="mail2sms",
        )
        return campaign.campaign_id

    # --- delivery reports and replies ---------------------------------------------------

    async def deliver(self, campaign_id: str, status: int = 1) -> list[Ack]:
        """Report each SMS of a campaign with ``status`` (1 delivered ... 5 absent subscriber).

        A scheduled campaign is sent first (its date has come). The webhook, when configured,
        is called once per SMS (POST form).
        """
        campaign = self.campaigns[campaign_id]
        if campaign.cancelled:
            raise ValueError(f"campaign {campaign_id} was cancelled")
        campaign.scheduled = False
        now = paris_now().strftime(DATE_FORMAT)
        acks = []
        for sms in campaign.sms:
            sms.status = "sent"
            ack = Ack(sms.sms_id, campaign_id, sms.number, status, now)
            self.acks.append(ack)
            acks.append(ack)
            if self.webhook_url:
                await self.call_back(
                    self.webhook_url,
                    {
                        "smsId": ack.sms_id,
                        "phoneNumber": ack.number,
                        "campaignId": campaign_id,
                        "status": str(status),
                        "statusText": DELIVERY_TEXTS.get(status, "Unknown"),
                        "receptionDate": now,
                    },
                    method="POST",
                )
        return acks

    async def inject_reply(self, phone: str, text: str, campaign_id: str | None = None) -> str:
        """A recipient answers: store it for getPulls and call the webhook. Return smsMoId.

        ``phone`` is read like MOBILEPHONE (``33612345678``, ``0612345678``; a leading "+"
        is dropped). The reply answers the latest SMS sent to it (in ``campaign_id``).
        """
        number = international(phone.strip().removeprefix("+"))
        answered = next(
            (
                sms
                for sms in reversed(self.messages)
                if sms.number == number and campaign_id in (None, sms.campaign_id)
            ),
            None,
        )
        reply = Reply(
            mo_id=str(uuid.uuid4()),
            sms_id=answered.sms_id if answered else "",
            campaign_id=campaign_id or (answered.campaign_id if answered else ""),
            number=number,
            text=text,
            reception_date=paris_now().strftime(DATE_FORMAT),
        )
        self.replies.append(reply)
        self.pending_replies.append(reply)
        if self.webhook_url:
            await self.call_back(
                self.webhook_url,
                {
                    "smsMoId": reply.mo_id,
                    "message": reply.text,
                    "phoneNumber": reply.number,
                    "campaignId": reply.campaign_id,
                    "smsId": reply.sms_id,
                    "receptionDate": reply.reception_date,
                },
                method="POST",
            )
        return reply.mo_id

    # --- the other endpoints --------------------------------------------------------------

    async def _get_info(self, fields: Mapping[str, str]) -> dict[str, Any]:
        return {
            "status": "Active Account",
            "credits": _amount(self.credits),
            "lastName": "Demo",
            "firstName": "Texto",
            "society": "Texto",
            "email": "demo@example.invalid",
            "apiKey": self.api_key,
        }

    async def _get_acks(self, fields: Mapping[str, str]) -> dict[str, Any]:
        campaign_id = fields.get("campId", "")
        acks = [ack for ack in self.acks if ack.campaign_id == campaign_id]
        if not acks:
            return {"status": "0"}
        campaign = self.campaigns[campaign_id]
        return {
            "acks": [
                {
                    "phoneNumber": ack.number,
                    "statut": str(ack.status),
                    "comment": DELIVERY_TEXTS.get(ack.status, "Unknown"),
                    "receptionDate": ack.reception_date,
                    "smsId": ack.sms_id,
                }
                for ack in acks
            ],
            "cliMsgId": campaign.reference or "",
        }

    async def _get_pulls(self, fields: Mapping[str, str]) -> dict[str, Any]:
        try:
            limit = max(int(fields.get("limit", "1000")), 0)
        except ValueError:
            limit = 1000
        taken, self.pending_replies = (
            self.pending_replies[:limit],
            self.pending_replies[limit:],
        )
        if not taken:
            return {"status": "0"}
        return {
            "mos": [
                {
                    "phoneNumber": reply.number,
                    "id": reply.mo_id,
                    "campaignId": reply.campaign_id,
                    "message": reply.text,
                    "receptionDate": reply.reception_date,
                }
                for reply in taken
            ]
        }

    async def _get_pull_by_sms_id(self, fields: Mapping[str, str]) -> dict[str, Any]:
        # the seed names the sent SMS's id; the reply's own id is accepted too
        wanted = fields.get("smsId", "")
        reply = next(
            (r for r in reversed(self.replies) if wanted and wanted in (r.sms_id, r.mo_id)),
            None,
        )
        if reply is None:
            return {"status": "0"}
        return {
            "phoneNumber": reply.number,
            "campaignId": reply.campaign_id,
            "message": reply.text,
            "receptionDate": reply.reception_date,
        }

    async def _delete_campaign(self, fields: Mapping[str, str]) -> dict[str, Any]:
        campaign = self.campaigns.get(fields.get("campId", ""))
        if campaign is None or not campaign.scheduled or campaign.cancelled:
            return {"status": "KO", "statusText": "Campagne introuvable ou déjà envoyée"}
        campaign.cancelled = True
        campaign.scheduled = False
        self.credits += campaign.credits_used
        for sms in campaign.sms:
            sms.status = "cancelled"
        return {"status": "OK"}

    # --- control endpoints for the demo ---------------------------------------------------

    async def _sim_deliver(self, request: web.Request) -> web.Response:
        form = await request.post()
        campaign_id = str(form.get("campaign_id", ""))
        if campaign_id not in self.campaigns:
            return web.json_response({"error": "unknown campaign"}, status=404)
        acks = await self.deliver(campaign_id, int(str(form.get("status", "1"))))
        return web.json_response({"acks": len(acks)})

    async def _sim_reply(self, request: web.Request) -> web.Response:
        form = await request.post()
        campaign_id = str(form["campaign_id"]) if form.get("campaign_id") else None
        mo_id = await self.inject_reply(str(form["phone"]), str(form["text"]), campaign_id)
        return web.json_response({"smsMoId": mo_id})

    async def _sim_state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "credits": self.credits,
                "messages": len(self.messages),
                "campaigns": {
                    cid: {
                        "scheduled": c.scheduled,
                        "cancelled": c.cancelled,
                        "numbers": [sms.number for sms in c.sms],
                    }
                    for cid, c in self.campaigns.items()
                },
                "pending_replies": len(self.pending_replies),
            }
        )


def _optional(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _refusal(refusal: _Refusal) -> dict[str, Any]:
    text = STATUS_TEXTS.get(refusal.status, "Erreur")
    if refusal.status == 104:
        text = text.format(**refusal.extra)
    payload: dict[str, Any] = {"status": str(refusal.status), "statusText": text}
    if "invalidNumbers" in refusal.extra:
        payload["invalidNumbers"] = refusal.extra["invalidNumbers"]
    return payload


def _answer(payload: Mapping[str, Any], as_json: bool) -> web.Response:
    """JSON when ``returnformat=json``, else a flat XML document (the default format)."""
    if as_json:
        return web.json_response(dict(payload))
    return web.Response(text=_xml(payload), content_type="application/xml")


def _xml(payload: Mapping[str, Any]) -> str:
    def element(name: str, value: Any) -> str:
        if isinstance(value, Mapping):
            inner = "".join(element(k, v) for k, v in value.items())
        elif isinstance(value, list):
            inner = "".join(element("item", item) for item in value)
        else:
            inner = escape(str(value))
        return f"<{name}>{inner}</{name}>"

    body = "".join(element(key, value) for key, value in payload.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><DATA>{body}</DATA>'
