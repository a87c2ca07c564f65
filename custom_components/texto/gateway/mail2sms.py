"""AllMySMS Mail2SMS: an SMS sent as an e-mail through the user's own SMTP server.

The e-mail goes to ``mail2sms@allmysms.com``; its subject carries the parameters
(``login@apiKey|33611111111;33622222222|from=SENDER|date=YYYY-MM-DD hh:ii:ss``) and its
body the SMS text. AllMySMS answers nothing on success and e-mails an error report back to
the sender otherwise, so an accepted e-mail is only *handed over*: the library cannot
know whether the SMS went out. ``parse_error_reply`` reads those error e-mails.

The API key travels in the subject, in clear text, through every mail server on the way:
that is how the service works. Debug logs mask it.

SMTP failures are classified by the stage they happen at, which is why this module
drives the SMTP dialogue itself rather than calling ``aiosmtplib.send``: anything before
the message content was written cannot have sent anything (retry is safe); a dropped
connection or a missing reply after it may have (never resend blindly).
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

import aiosmtplib

from .base import Gateway, accepted_by_all, to_paris
from .errors import (
    AuthenticationError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    OutcomeUnknownError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    UnsupportedFeatureError,
    ValidationError,
)
from .models import (
    Balance,
    Capabilities,
    PreparedSend,
    Provider,
    Route,
    SendResult,
    SendStatus,
)
from .phases import mark_untraced
from .phone import to_gateway
from .redact import mask_text
from .sender import SenderRule

if TYPE_CHECKING:
    import ssl

_LOGGER = logging.getLogger(__name__)

DEFAULT_RECIPIENT_ADDRESS = "mail2sms@allmysms.com"
#: seconds for each SMTP step (connect, each command, the final reply)
DEFAULT_TIMEOUT = 30.0
#: seconds to wait for the QUIT reply once the message is accepted: nothing depends on it
_QUIT_TIMEOUT = 5.0
#: numbers one e-mail carries. Each takes up to 16 characters of the subject, which must
#: stay on one header line (RFC 5322: 998 characters) so no mail server folds it.
MAX_RECIPIENTS_PER_EMAIL = 50
#: RFC 5322's line limit, "Subject: " included
_MAX_HEADER_LINE = 998
#: the seed's date format, Paris wall-clock time
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_SMTP_READY_FOR_DATA = 354
_SMTP_OK = 250
#: dot-stuffing (RFC 5321 4.5.2): a line starting with "." gets a second one
_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
#: a plain ASCII address: it goes in an SMTP command and in headers as it is
_ADDRESS_RE = re.compile(r"[!-~]+@[A-Za-z0-9.-]+", re.ASCII)


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    #: plain connection upgraded with STARTTLS (usually port 587)
    STARTTLS = "starttls"
    #: implicit TLS from the first byte (usually port 465)
    TLS = "tls"
    #: no encryption at all (a local relay)
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    """The user's own SMTP server, used to send the e-mails."""

    host: str
    port: int
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: str | None = None
    #: the From address: AllMySMS e-mails its error reports back to it
    sender_address: str
    timeout: float = DEFAULT_TIMEOUT
    #: False only for a self-hosted server with a self-signed certificate
    verify_certificate: bool = True


class Mail2SmsGateway(Gateway):
    """AllMySMS Mail2SMS route: one e-mail per send, all recipients in its subject.

    ``lc=`` (low cost) is never written: the seed makes Premium the default, and Premium
    is the quality the HTTPS route sends too.
    """

    route: ClassVar[Route] = Route.MAIL2SMS
    provider: ClassVar[Provider] = Provider.ALLMYSMS
    capabilities: ClassVar[Capabilities] = Capabilities(
        balance=False,
        balance_unit=None,
        schedule=True,
        max_parts=8,
        recipients_per_request=MAX_RECIPIENTS_PER_EMAIL,
    )
    # seed 000, "from=": a letter first, letters, digits or spaces, 3 to 11 characters
    sender_rule: ClassVar[SenderRule] = SenderRule(
        3, 11, allow_space=True, must_start_with_letter=True
    )
    stop_mention: ClassVar[str | None] = "STOP au 36180"

    def __init__(
        self,
        login: str,
        api_key: str,
        smtp: SmtpSettings,
        *,
        recipient_address: str = DEFAULT_RECIPIENT_ADDRESS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """Build the route.

        ``tls_context`` lets the caller share a ready context (Home Assistant has one);
        without it aiosmtplib builds one from ``smtp.verify_certificate``.
        """
        for value in (login, api_key):
            # these go verbatim into the subject: a "|" or a line break would corrupt it
            if not value or any(bad in value for bad in "|@;\r\n"):
                raise ValueError(
                    "the login and API key must be non-empty, without | @ ; or line breaks"
                )
        for address in (smtp.sender_address, recipient_address):
            if not _ADDRESS_RE.fullmatch(address):
                raise ValueError("an e-mail address must look like name@domain")
        self._login = login
        self._api_key = api_key
        self._smtp = smtp
        self._recipient_address = recipient_address
        self._tls_context = tls_context
        self._secrets = tuple(s for s in (api_key, login, smtp.password, smtp.username) if s)

    # --- sending -------------------------------------------------------------------------

    async def _send(self, prepared: PreparedSend) -> SendResult:
        if len(prepared.recipients) > MAX_RECIPIENTS_PER_EMAIL:
            raise ValidationError(
                f"one e-mail carries at most {MAX_RECIPIENTS_PER_EMAIL} numbers "
                f"({len(prepared.recipients)} given): split the send",
                field="recipients",
            )
        message_id = uuid.uuid4().hex
        subject = self._subject(prepared)
        email = self._build_email(subject, prepared.message.text, message_id)
        _LOGGER.debug(
            "Mail2SMS %s: e-mail to %s via %s:%s, subject %r, %d part(s)",
            message_id,
            mask_text(self._recipient_address),
            self._smtp.host,
            self._smtp.port,
            mask_text(subject, self._secrets),
            prepared.message.parts,
        )
        mark_untraced()  # SMTP: how far it got is not known
        await self._deliver(email)
        _LOGGER.debug("Mail2SMS %s: accepted by the SMTP server", message_id)
        # AllMySMS says nothing on success, not even for a scheduled send
        return accepted_by_all(
            self.route, prepared, message_id=message_id, status=SendStatus.HANDED_OVER
        )

    def _subject(self, prepared: PreparedSend) -> str:
        """Return the subject for ``prepared`` as seed 000 defines it (``lc=`` left out)."""
        fields = [
            f"{self._login}@{self._api_key}",
            ";".join(to_gateway(number) for number in prepared.recipients),
        ]
        if prepared.sender is not None:
            fields.append(f"from={prepared.sender}")
        if prepared.send_at is not None:
            fields.append(f"date={to_paris(prepared.send_at).strftime(_DATE_FORMAT)}")
        return "|".join(fields)

    def _build_email(self, subject: str, text: str, message_id: str) -> bytes:
        """Return the e-mail as it goes on the wire: CRLF line endings, 7-bit, not dot-stuffed."""
        if len("Subject: ") + len(subject) > _MAX_HEADER_LINE:
            raise ValidationError(
                "the subject is too long for one header line: send to fewer numbers",
                field="recipients",
            )
        email = EmailMessage()
        email["From"] = self._smtp.sender_address
        email["To"] = self._recipient_address
        email["Subject"] = subject
        email["Date"] = formatdate(usegmt=True)
        domain = self._smtp.sender_address.rpartition("@")[2] or "texto.invalid"
        email["Message-ID"] = f"<{message_id}@{domain}>"
        email["MIME-Version"] = "1.0"
        email["Content-Type"] = 'text/plain; charset="utf-8"'
        email["Content-Transfer-Encoding"] = "quoted-printable"
        email.set_payload(_quoted_printable(text))
        # A wide line limit keeps the subject on one line: a folded subject would put a
        # line break (read back as a space) inside the "|" syntax.
        return email.as_bytes(policy=SMTP_POLICY.clone(max_line_length=_MAX_HEADER_LINE))

    async def check_login(self) -> None:
        """Connect to the SMTP server and log in, sending nothing (nothing is billed).

        Raise ``AuthenticationError`` when the server refuses the login (or offers none),
        ``TemporarilyUnavailableError`` when it cannot be reached, another ``GatewayError``
        for any other refusal.
        """
        client = self._client()
        stage = "connect"
        try:
            await client.connect()
            if self._smtp.username is not None:
                stage = "login"
                await client.login(self._smtp.username, self._smtp.password or "")
        except (aiosmtplib.SMTPException, OSError) as err:
            raise self._not_sent_error(err, stage) from err
        finally:
            await _async_say_goodbye(client)

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._smtp
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.security is SmtpSecurity.TLS,
            start_tls=settings.security is SmtpSecurity.STARTTLS,
            validate_certs=settings.verify_certificate,
            tls_context=self._tls_context,
            timeout=settings.timeout,
        )

    async def _deliver(self, email: bytes) -> None:
        """Hand ``email`` to the SMTP server, classifying any failure by its stage."""
        settings = self._smtp
        client = self._client()
        try:
            await self._open_envelope(client)
            await self._write_content(client, email)
            # the message is accepted: a bad goodbye changes nothing
            with contextlib.suppress(aiosmtplib.SMTPException):
                await client.quit(timeout=min(_QUIT_TIMEOUT, settings.timeout))
        finally:
            client.close()

    async def _open_envelope(self, client: aiosmtplib.SMTP) -> None:
        """Connect, log in, MAIL, RCPT, DATA: nothing of the message is sent yet."""
        stage = "connect"
        try:
            await client.connect()
            if self._smtp.username is not None:
                stage = "login"
                await client.login(self._smtp.username, self._smtp.password or "")
            stage = "sender"
            await client.mail(self._smtp.sender_address)
            stage = "recipient"
            await client.rcpt(self._recipient_address)
            stage = "data"
            reply = await client.execute_command(b"DATA")
        except (aiosmtplib.SMTPException, OSError) as err:
            raise self._not_sent_error(err, stage) from err
        if reply.code != _SMTP_READY_FOR_DATA:
            raise self._refusal(reply.code, reply.message, "DATA command")

    async def _write_content(self, client: aiosmtplib.SMTP, email: bytes) -> None:
        """Write the message and read the final reply: from here a failure is ambiguous."""
        # the e-mail always ends with a line break (its soft line break): "." follows it
        content = _LEADING_DOT.sub(b"..", _LINE_ENDINGS.sub(b"\r\n", email)) + b".\r\n"
        protocol = client.protocol
        if protocol is None or not protocol.is_connected:  # pragma: no cover - a race
            # closed between the 354 and now (a TLS close_notify right after it): not a
            # byte of the message left, so this one is certain
            raise TemporarilyUnavailableError("the SMTP server closed the connection")
        protocol.write(content)
        try:
            reply = await protocol.read_response(timeout=self._smtp.timeout)
        except aiosmtplib.SMTPResponseException as err:
            reply = aiosmtplib.SMTPResponse(err.code, err.message)
        except (aiosmtplib.SMTPException, OSError) as err:
            raise OutcomeUnknownError(
                "the SMTP server did not confirm the e-mail: it may have been sent "
                f"({type(err).__name__})"
            ) from err
        if reply.code != _SMTP_OK:
            raise self._refusal(reply.code, reply.message, "message")

    def _not_sent_error(self, err: Exception, stage: str) -> GatewayError:
        """Return the error for a failure before the message content was written."""
        if isinstance(err, aiosmtplib.SMTPAuthenticationError):
            return AuthenticationError(
                f"the SMTP server refused the SMTP login (SMTP {err.code})",
                code=str(err.code),
                raw=self._redact(err.message),
            )
        if isinstance(err, aiosmtplib.SMTPResponseException):
            return self._refusal(err.code, err.message, stage)
        if stage == "login":
            # aiosmtplib raises a bare SMTPException when the server offers no AUTH method
            return AuthenticationError(
                "the SMTP server offers no login method the library can use "
                "(does it need STARTTLS or TLS?)"
            )
        return TemporarilyUnavailableError(
            f"cannot hand the e-mail to the SMTP server ({stage}: {type(err).__name__})"
        )

    def _refusal(self, code: int, message: str, stage: str) -> GatewayError:
        """Return the error for an SMTP reply that is not the expected one.

        RFC 5321: a 4xx reply is a temporary refusal and a 5xx one a permanent refusal of
        the command; either way the server did not take the message. Anything else (a
        malformed reply, a 2xx where another was due) leaves the outcome open.
        """
        raw = self._redact(message)
        if 400 <= code < 500:
            return TemporarilyUnavailableError(
                f"the SMTP server asked to try again later ({stage}: SMTP {code})", code=str(code)
            )
        if 500 <= code < 600:
            error = InvalidRequestError(
                f"the SMTP server refused the e-mail ({stage}: SMTP {code})",
                code=str(code),
                field={"sender": "sender_address", "recipient": "recipient_address"}.get(stage),
            )
            error.raw = raw
            return error
        return UnexpectedResponseError(
            f"unexpected SMTP reply ({stage}: {code})", code=str(code), raw=raw
        )

    def _redact(self, raw: str) -> str:
        masked = mask_text(raw, self._secrets)
        for address in (self._smtp.sender_address, self._recipient_address):
            masked = masked.replace(address, "***")
        return masked

    async def get_balance(self) -> Balance:
        """Not available: an e-mail gets no answer."""
        raise UnsupportedFeatureError("balance", self.route)


async def _async_say_goodbye(client: aiosmtplib.SMTP) -> None:
    """QUIT when the server still listens, else just drop the connection."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit(timeout=_QUIT_TIMEOUT)
    client.close()


def _quoted_printable(text: str) -> str:
    """Return ``text`` in UTF-8 quoted-printable that decodes back to exactly ``text``.

    Line breaks are encoded (``=0A``) rather than written as mail line breaks, which a
    reader turns into CRLF: AllMySMS would count (and bill) the extra CR. For the same
    reason the body ends with a soft line break ("="), so no final line break is added.
    """
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=False)
    return encoded.decode("ascii") + "=\n"


# --- error e-mails --------------------------------------------------------------------

# "Status: 104" as the seed names the fields; also "<status>104" and '"status": "104"', in
# case the e-mail carries the XML or JSON answer of the HTTPS API (the seed shows no sample)
_STATUS_RE = re.compile(
    r"\bstatus\b\s*[\"']?\s*[:=>]\s*[\"']?\s*(\d{3})\b", re.IGNORECASE | re.ASCII
)
_CREDITS_RE = re.compile(
    r"A utiliser\s*:\s*(\d+(?:[.,]\d+)?)\s*Cr\S*?dits?\b.*?Disponibles?\s*:\s*(-?\d+(?:[.,]\d+)?)",
    re.IGNORECASE | re.DOTALL | re.ASCII,
)


def parse_error_reply(body: str) -> GatewayError | None:
    """Read an AllMySMS error e-mail's body (``Status`` and ``StatusText`` lines).

    The seed names the two fields but shows no sample e-mail: the status is looked for as
    ``Status: 104`` and also in XML or JSON form; the credit amounts of a 104 come from
    its StatusText ("A utiliser: 30 Crédits, Disponibles: 10 Crédits").

    Return the matching error, or None when ``body`` is not such a report (or carries a
    status the seed does not list for Mail2SMS). Never raises.
    """
    status_match = _STATUS_RE.search(body)
    if status_match is None:
        return None
    code = status_match.group(1)
    if code == "102":
        return AuthenticationError("AllMySMS refused the login or API key", code=code)
    if code == "104":
        required, available = _credits(body)
        return CreditError(
            "not enough AllMySMS credit for this send",
            code=code,
            required=required,
            available=available,
        )
    if code in ("105", "109"):
        return InvalidRequestError("AllMySMS could not read the e-mail", code=code)
    if code == "110":
        return InvalidRequestError("AllMySMS found the message empty", code=code, field="text")
    if code == "111":
        return InvalidRequestError(
            "the message is longer than AllMySMS allows", code=code, field="text"
        )
    if code == "114":
        return RecipientsRejectedError("AllMySMS found no valid number", code=code, numbers=[])
    if code == "115":
        return InvalidRequestError("AllMySMS could not read the date", code=code, field="send_at")
    return None


def _credits(text: str) -> tuple[float | None, float | None]:
    match = _CREDITS_RE.search(text)
    if match is None:
        return None, None
    return _number(match.group(1)), _number(match.group(2))


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))
