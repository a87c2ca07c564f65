"""A fake Mail2SMS platform (seed 000): a real SMTP server (aiosmtpd) on 127.0.0.1.

It plays both the user's SMTP server and AllMySMS behind it. Every e-mail is kept raw in
``received``; those addressed to ``mail2sms@allmysms.com`` are read like AllMySMS would:

* subject ``login@apiKey|mobile1;mobile2|from=SENDER|date=YYYY-MM-DD hh:ii:ss|lc=0``;
* checks, in this order: 105 empty subject, 102 login/API key (the AllMySMS simulator's
  account), 109 malformed subject (no numbers field, unknown option), 115 bad date,
  110 empty body, 111 over 8 parts, 114 no valid number, 104 not enough credit;
* the body is the SMS text, decoded from its MIME charset and transfer encoding; the first
  text/plain part of a multipart e-mail;
* an accepted e-mail is stored through ``AllMySmsSimulator.record_mail2sms`` (shared
  account and credit); a refused one gets an e-mail back to its sender, kept in
  ``error_replies`` as (address, body) with ``Status:`` and ``StatusText:`` lines.

The SMTP answer is 250 either way: AllMySMS reports by e-mail, later. The seed shows no
sample error e-mail; the ``Field: value`` layout here is this simulator's choice.

Faults (``fail_next``):

* ``auth``: 535 to a correct login, for the rest of that connection;
* ``temporary``: 451 to RCPT; ``temporary_data``: 451 to the DATA command;
* ``reject_recipient``: 550 to RCPT;
* ``reject_data``: 554 after the message was received (not kept);
* ``drop_after_data``: received and kept, connection closed before the final reply;
* ``slow_after_data``: received and kept, final reply after ``delay`` seconds;
* ``malformed_after_data``: received and kept, a reply that is not SMTP.

The server runs in the caller's event loop (no thread), as Home Assistant's test plugin
requires. ``security`` "starttls" or "tls" uses a self-signed certificate for 127.0.0.1
and localhost, made at start; ``certificate_pem`` lets a client trust it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import ssl
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .allmysms import (
    CREDITS_PER_PART,
    DATE_FORMAT,
    STATUS_TEXTS,
    AllMySmsSimulator,
    international,
    parts_of,
)

MAIL2SMS_ADDRESS = "mail2sms@allmysms.com"
MAX_PARTS = 8
FAULT_KINDS = frozenset(
    {
        "auth",
        "temporary",
        "temporary_data",
        "reject_recipient",
        "reject_data",
        "drop_after_data",
        "slow_after_data",
        "malformed_after_data",
    }
)
#: seed 000's 111 text for this route (the HTTPS table says 640 characters)
STATUS_TEXTS_MAIL2SMS = {**STATUS_TEXTS, 111: "Le message dépasse le nombre de caractères autorisé"}

_OPTION_RE = re.compile(r"(from|date|lc)=(.*)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ReceivedMail:
    """An e-mail as the SMTP server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    def parsed(self) -> EmailMessage:
        """The e-mail parsed by the standard library (modern policy)."""
        message = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(message, EmailMessage)
        return message


@dataclass(frozen=True)
class Mail2SmsSend:
    """An e-mail AllMySMS accepted, as it read it."""

    campaign_id: str
    numbers: tuple[str, ...]
    text: str
    sender: str | None
    date: str | None
    low_cost: bool


class _Refused(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, status: int, **extra: str) -> None:
        super().__init__(status)
        self.status = status
        self.extra = extra


class Mail2SmsSimulator:
    """The SMTP server and AllMySMS's reading of the e-mails it receives."""

    def __init__(
        self,
        allmysms: AllMySmsSimulator,
        *,
        username: str | None = None,
        password: str | None = None,
        security: str = "none",
        recipient_address: str = MAIL2SMS_ADDRESS,
        host: str = "127.0.0.1",
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(security)
        self.allmysms = allmysms
        self.username = username
        self.password = password
        self.security = security
        self.recipient_address = recipient_address
        self.host = host
        self.port = 0
        #: every e-mail received, in order
        self.received: list[ReceivedMail] = []
        #: e-mails AllMySMS accepted
        self.sends: list[Mail2SmsSend] = []
        #: (address, body) of each error e-mail AllMySMS sent back
        self.error_replies: list[tuple[str, str]] = []
        #: the self-signed certificate, PEM, when TLS is on
        self.certificate_pem: str | None = None
        self._faults: list[tuple[str, float]] = []
        self._server: asyncio.Server | None = None
        self._tls: ssl.SSLContext | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sessions: set[_SimulatedSmtp] = set()
        self._refused_sessions: set[int] = set()

    # --- server ----------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Listen on a free port; return (host, port)."""
        if self.security != "none" and self._tls is None:
            self._tls = self._make_tls_context()
        await self._listen()
        return self.host, self.port

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol,
            host=self.host,
            port=self.port,
            ssl=self._tls if self.security == "tls" else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every open connection, and wait for their tasks."""
        await self._close_listener()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        for session in list(self._sessions):
            task = getattr(session, "_handler_coroutine", None)
            if task is not None:
                self._tasks.add(task)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._sessions.clear()

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server.close_clients()
            await self._server.wait_closed()
            self._server = None

    async def refuse_connections(self) -> None:
        """Stop listening (connections are refused) but keep the port for later."""
        await self._close_listener()

    async def accept_connections(self) -> None:
        """Listen again on the same port."""
        await self._listen()

    def fail_next(self, kind: str, *, count: int = 1, delay: float = 5.0) -> None:
        """Misbehave on the next ``count`` occasions of ``kind`` (see the module doc)."""
        if kind not in FAULT_KINDS:
            raise ValueError(kind)
        self._faults.extend([(kind, delay)] * count)

    def _take_fault(self, *kinds: str) -> tuple[str, float] | None:
        for index, (kind, delay) in enumerate(self._faults):
            if kind in kinds:
                del self._faults[index]
                return kind, delay
        return None

    def _protocol(self) -> _SimulatedSmtp:
        session = _SimulatedSmtp(
            self,
            _Handler(self),
            hostname="smtp.simulator.test",
            tls_context=self._tls if self.security == "starttls" else None,
            require_starttls=self.security == "starttls",
            authenticator=self._authenticate if self.username is not None else None,
            # AUTH is advertised when a login is configured, after STARTTLS if that is on
            # (aiosmtpd does not count implicit TLS as TLS for this setting)
            auth_require_tls=self.username is None or self.security == "starttls",
            loop=asyncio.get_running_loop(),
        )
        self._sessions.add(session)
        return session

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # a refused login stays refused for the connection: clients try each mechanism
        if id(session) in self._refused_sessions or self._take_fault("auth") is not None:
            self._refused_sessions.add(id(session))
            return AuthResult(success=False, handled=False)
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (
            auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def _make_tls_context(self) -> ssl.SSLContext:
        """A server context with a fresh self-signed certificate for 127.0.0.1/localhost."""
        certificate, key = _self_signed_certificate()
        self.certificate_pem = certificate
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        with tempfile.TemporaryDirectory() as folder:
            cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert_path.write_text(certificate)
            key_path.write_text(key)
            context.load_cert_chain(cert_path, key_path)
        return context

    # --- AllMySMS's reading ------------------------------------------------------------

    def receive(self, mail: ReceivedMail) -> None:
        """Keep ``mail``; when it is for Mail2SMS, send it or e-mail an error back."""
        self.received.append(mail)
        if self.recipient_address.lower() not in (rcpt.lower() for rcpt in mail.rcpt_tos):
            return
        message = mail.parsed()
        reply_to = parseaddr(str(message.get("From", "")))[1] or mail.mail_from
        try:
            self.sends.append(self._read(message))
        except _Refused as refused:
            self.error_replies.append((reply_to, _error_body(refused)))

    def _read(self, message: EmailMessage) -> Mail2SmsSend:
        fields = [field.strip() for field in str(message.get("Subject", "")).split("|")]
        if not fields[0]:
            raise _Refused(105)
        login, _, api_key = fields[0].partition("@")
        if login != self.allmysms.login or api_key != self.allmysms.api_key:
            raise _Refused(102)
        if len(fields) < 2:
            raise _Refused(109)
        options = _options(fields[2:])
        date = options.get("date") or None
        if date is not None:
            try:
                dt.datetime.strptime(date, DATE_FORMAT)
            except ValueError as err:
                raise _Refused(115) from err
        text = _body_text(message)
        if not text.strip():
            raise _Refused(110)
        parts = parts_of(text)
        if parts > MAX_PARTS:
            raise _Refused(111)
        numbers = [n.strip() for n in fields[1].split(";") if n.strip()]
        valid = [international(n) for n in numbers if self.allmysms._routable(n)]
        if not valid:
            raise _Refused(114)
        cost = float(CREDITS_PER_PART * parts * len(valid))
        if self.allmysms.credits < cost:
            raise _Refused(104, required=_amount(cost), available=_amount(self.allmysms.credits))
        sender = options.get("from") or None
        low_cost = options.get("lc") == "1"
        campaign_id = self.allmysms.record_mail2sms(
            numbers=valid, text=text, sender=sender, date=date, low_cost=low_cost
        )
        return Mail2SmsSend(campaign_id, tuple(valid), text, sender, date, low_cost)


class _SimulatedSmtp(SMTP):  # type: ignore[misc]
    """aiosmtpd's server with the DATA-command fault and connection bookkeeping."""

    def __init__(self, simulator: Mail2SmsSimulator, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._simulator = simulator

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self._simulator._sessions.discard(self)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's naming
        if self.envelope.rcpt_tos and self._simulator._take_fault("temporary_data"):
            await self.push("451 4.3.0 Temporary failure, try again later")
            return
        await super().smtp_DATA(arg)


class _Handler:
    """aiosmtpd hooks: RCPT faults, then each received e-mail."""

    def __init__(self, simulator: Mail2SmsSimulator) -> None:
        self._simulator = simulator

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's naming
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        fault = self._simulator._take_fault("temporary", "reject_recipient")
        if fault is not None:
            if fault[0] == "temporary":
                return "451 4.7.1 Greylisted, try again later"
            return "550 5.1.1 Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's naming
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        simulator = self._simulator
        fault = simulator._take_fault(
            "reject_data", "drop_after_data", "slow_after_data", "malformed_after_data"
        )
        if fault is not None and fault[0] == "reject_data":
            return "554 5.7.1 Message rejected"
        content = envelope.original_content or b""
        simulator.receive(
            ReceivedMail(envelope.mail_from or "", tuple(envelope.rcpt_tos), bytes(content))
        )
        if fault is None:
            return "250 OK queued"
        kind, delay = fault
        if kind == "slow_after_data":
            await asyncio.sleep(delay)
            return "250 OK queued"
        if kind == "drop_after_data":
            server.transport.close()
        else:  # malformed_after_data
            server._writer.write(b"this is not SMTP\r\n")
        await asyncio.Event().wait()  # until the connection is lost, which cancels this
        return "250 OK queued"  # pragma: no cover


def _options(fields: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for raw in fields:
        if not raw:
            continue
        match = _OPTION_RE.fullmatch(raw)
        if match is None:
            raise _Refused(109)
        options[match.group(1).lower()] = match.group(2).strip()
    return options


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _error_body(refused: _Refused) -> str:
    text = STATUS_TEXTS_MAIL2SMS[refused.status].format(**refused.extra)
    return f"Status: {refused.status}\nStatusText: {text}\n"


def _self_signed_certificate() -> tuple[str, str]:
    """(certificate, private key), PEM, valid a day for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )
