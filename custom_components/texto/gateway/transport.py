"""HTTP with bounded timeouts, failures classified as *not sent* or *outcome unknown*.

The classification is what makes safe retries possible: a failure before the request
was written (refused connection, DNS, TLS handshake, connect timeout) or an explicit
"come back later" (HTTP 429 / 503) cannot have sent anything; anything after the request
left (read timeout, dropped connection, other 5xx) may have.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp

from .errors import InvalidRequestError, OutcomeUnknownError, TemporarilyUnavailableError
from .phases import TRACE_KEY, Phase, phase_tracing, start_request
from .redact import mask_fields, mask_text

_LOGGER = logging.getLogger(__name__)

#: seconds to get a connection; nothing is sent before it is made
CONNECT_TIMEOUT = 10.0
#: seconds for a whole request, answer included
TOTAL_TIMEOUT = 30.0
#: bytes of an answer read at most: every documented answer is far smaller
MAX_RESPONSE_BYTES = 1_000_000

_RETRY_LATER_STATUSES = frozenset({429, 503})

#: tries of a read whose connection broke: each stale pooled connection fails once
_READ_ATTEMPTS = 3

#: how a keep-alive connection the server closed while idle breaks when reused
_BROKEN_CONNECTION = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A gateway's HTTP answer, decoded."""

    status: int
    text: str
    content_type: str


class Transport:
    """Sends requests to one gateway through an ``aiohttp.ClientSession``.

    The caller's session when it gives one (it stays the caller's to close); else one the
    transport opens at its first request and ``close`` closes.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        base_url: str,
        *,
        secrets: Iterable[str] = (),
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self.base_url = base_url.rstrip("/")
        self._secrets = tuple(secret for secret in secrets if secret)
        self._timeout = aiohttp.ClientTimeout(
            total=total_timeout, connect=connect_timeout, sock_connect=connect_timeout
        )

    async def close(self) -> None:
        """Close the session this transport opened itself (a caller's is left alone)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(trace_configs=[phase_tracing()])
        return self._session

    def redact(self, raw: str) -> str:
        """``raw`` with this gateway's secrets and any phone numbers masked."""
        return mask_text(raw, self._secrets)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        body: bytes | None = None,
        json: object | None = None,
        headers: Mapping[str, str] | None = None,
        log_fields: Mapping[str, object] | None = None,
        idempotent: bool = False,
    ) -> HttpAnswer:
        """Send one request and return the answer of any 2xx-4xx status but 429.

        ``log_fields`` is what the debug log shows of the request (masked); by default the
        query parameters and form fields. Raise ``TemporarilyUnavailableError`` (nothing
        sent), ``OutcomeUnknownError`` (maybe sent) or ``InvalidRequestError`` (4xx).

        An ``idempotent`` request (a read: balance, status, lists) is tried again (3 tries
        in all) when the connection breaks: a pooled keep-alive connection the gateway
        already closed fails that way, and repeating a read has no effect. Sends are never
        repeated. The debug log shows an answer's size only.
        """
        attempts = _READ_ATTEMPTS if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._request_once(
                    method,
                    path,
                    params=params,
                    form=form,
                    body=body,
                    json=json,
                    headers=headers,
                    log_fields=log_fields,
                )
            except OutcomeUnknownError as err:
                if attempt == attempts or not isinstance(err.__cause__, _BROKEN_CONNECTION):
                    raise
                _LOGGER.debug("%s %s: connection broke, reading again", method, path)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _request_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        body: bytes | None,
        json: object | None,
        headers: Mapping[str, str] | None,
        log_fields: Mapping[str, object] | None,
    ) -> HttpAnswer:
        url = f"{self.base_url}{path}"
        debug = _LOGGER.isEnabledFor(logging.DEBUG)
        if debug:  # masking costs time on every send: only when someone reads it
            shown = log_fields if log_fields is not None else {**(params or {}), **(form or {})}
            _LOGGER.debug("%s %s %s", method, url, mask_fields(shown))
        if form is not None and body is None:
            # encoded here rather than by aiohttp's FormData: same bytes, a third of the time
            body = urllib.parse.urlencode(form).encode("ascii")
            headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        # how far it gets, for an attempt cut short (``phases``)
        trace = start_request()
        try:
            async with self._open_session().request(
                method,
                url,
                params=params,
                data=body,
                json=json,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                trace_request_ctx={TRACE_KEY: trace},
            ) as response:
                raw = await response.content.read(MAX_RESPONSE_BYTES)
                status = response.status
                content_type = response.content_type
                charset = response.charset
                retry_after = response.headers.get("Retry-After")
            trace.reached(Phase.ANSWER_READ)
        except aiohttp.ConnectionTimeoutError as err:
            raise TemporarilyUnavailableError("timed out connecting to the gateway") from err
        except aiohttp.ClientConnectorError as err:
            # refused, DNS, TLS handshake: the request was never written
            raise TemporarilyUnavailableError(
                f"cannot connect to the gateway ({type(err).__name__})"
            ) from err
        except TimeoutError as err:
            raise OutcomeUnknownError("no answer from the gateway in time") from err
        except aiohttp.ClientError as err:
            raise OutcomeUnknownError(
                f"the connection broke before the gateway answered ({type(err).__name__})"
            ) from err

        text = _decode(raw, charset)
        if debug:
            # the length only: answers echo the message text, the account holder's name
            # and e-mail (AllMySMS getInfo), none of which a log may hold
            _LOGGER.debug("%s %s -> HTTP %s, %d characters", method, url, status, len(text))
        if status in _RETRY_LATER_STATUSES:
            raise TemporarilyUnavailableError(
                f"the gateway answered HTTP {status}",
                code=f"HTTP {status}",
                retry_after=_seconds(retry_after),
            )
        if status >= 500:
            raise OutcomeUnknownError(f"the gateway answered HTTP {status}", code=f"HTTP {status}")
        if status >= 400:
            raise InvalidRequestError(
                f"the gateway refused the request with HTTP {status}", code=f"HTTP {status}"
            )
        return HttpAnswer(status=status, text=text, content_type=content_type)


def _decode(raw: bytes, charset: str | None) -> str:
    """Decode with the declared charset, else UTF-8, else ISO-8859-15 (smsmode's own)."""
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return raw.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("iso-8859-15")


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds (the date form is rare for APIs and ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
