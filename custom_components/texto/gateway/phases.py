"""How far an attempt got: what a cut-short attempt may have sent.

An attempt cancelled before its request was written cannot have sent anything; one cut
after may have. The transport records the phases of each request in the ``AttemptTrace``
the caller opened (``trace_attempt``); it learns when a connection is made and when the
request is written from aiohttp's tracing, so the session must carry ``phase_tracing()``
(a session the transport opens itself does). Without it the trace cannot tell: a request
that started counts as maybe sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from types import SimpleNamespace
from typing import Final

import aiohttp


class Phase(IntEnum):
    """What an attempt's requests reached, in order."""

    #: no request started, or none got a connection
    NOT_CONNECTED = 0
    #: a connection to the gateway was made; no request written on it yet
    CONNECTED = 1
    #: a request was written: the gateway may act on it
    REQUEST_WRITTEN = 2
    #: its answer was read
    ANSWER_READ = 3


@dataclass(slots=True)
class AttemptTrace:
    """The phases one attempt's requests reached."""

    requests: list[RequestTrace] = field(default_factory=list)
    #: something left by a way nobody traces (SMTP): the trace cannot tell
    untraced: bool = False

    @property
    def phase(self) -> Phase:
        """The furthest phase any of its requests reached."""
        return max((request.phase for request in self.requests), default=Phase.NOT_CONNECTED)

    @property
    def nothing_sent(self) -> bool:
        """Whether the attempt certainly sent nothing: no request of it was written.

        A request whose session does not trace phases may have been: it counts as sent.
        """
        return not self.untraced and all(
            request.traced and request.phase < Phase.REQUEST_WRITTEN for request in self.requests
        )


_CURRENT: Final[ContextVar[AttemptTrace | None]] = ContextVar("texto_attempt", default=None)


@contextmanager
def trace_attempt() -> Iterator[AttemptTrace]:
    """Record the phases of the requests made inside the ``with`` block (same task)."""
    trace = AttemptTrace()
    token = _CURRENT.set(trace)
    try:
        yield trace
    finally:
        _CURRENT.reset(token)


def current_attempt() -> AttemptTrace | None:
    """The trace of the attempt being made, when a caller opened one."""
    return _CURRENT.get()


@dataclass(slots=True)
class RequestTrace:
    """One request's phase, passed to aiohttp in its ``trace_request_ctx``."""

    phase: Phase = Phase.NOT_CONNECTED
    #: set by ``phase_tracing``'s first callback: the session traces this request
    traced: bool = False

    def reached(self, phase: Phase) -> None:
        """The request got to ``phase`` (tracing saw it)."""
        self.traced = True
        self.phase = max(self.phase, phase)


def start_request() -> RequestTrace:
    """A new request's trace, counted in the current attempt's (when one is open)."""
    request = RequestTrace()
    if (attempt := _CURRENT.get()) is not None:
        attempt.requests.append(request)
    return request


def mark_untraced() -> None:
    """Something leaves by a way phases are not known for (SMTP): maybe sent if cut short."""
    if (attempt := _CURRENT.get()) is not None:
        attempt.untraced = True


#: the key of a request's trace in aiohttp's ``trace_request_ctx`` (a mapping)
TRACE_KEY: Final = "texto_request"


def _request_trace(context: SimpleNamespace) -> RequestTrace | None:
    holder = context.trace_request_ctx
    trace = holder.get(TRACE_KEY) if isinstance(holder, Mapping) else None
    return trace if isinstance(trace, RequestTrace) else None


async def _on_start(_session: object, context: SimpleNamespace, _params: object) -> None:
    if (trace := _request_trace(context)) is not None:
        trace.traced = True


async def _on_connected(_session: object, context: SimpleNamespace, _params: object) -> None:
    if (trace := _request_trace(context)) is not None:
        trace.reached(Phase.CONNECTED)


async def _on_written(_session: object, context: SimpleNamespace, _params: object) -> None:
    if (trace := _request_trace(context)) is not None:
        trace.reached(Phase.REQUEST_WRITTEN)


def phase_tracing() -> aiohttp.TraceConfig:
    """The tracing a session needs for the transport to know its requests' phases."""
    config = aiohttp.TraceConfig(trace_config_ctx_factory=SimpleNamespace)
    config.on_request_start.append(_on_start)
    config.on_connection_create_end.append(_on_connected)
    config.on_connection_reuseconn.append(_on_connected)
    # headers are written first: from then on the gateway may have the request
    config.on_request_headers_sent.append(_on_written)
    return config
