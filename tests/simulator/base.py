"""What every fake gateway shares: an aiohttp server on 127.0.0.1, a log of what it
received, callbacks into Home Assistant, and faults a test can ask for.

A fault applies to the next ``count`` requests (optionally only to one path):

* connection refused: not a fault of this list, see ``refuse_connections``
* ``http_404`` / ``http_429`` / ``http_500`` / ``http_503`` - answered with that status, nothing
  processed (a 404: a proxy in front of the gateway that does not know the path)
* ``slow``            - the answer comes after ``delay`` seconds, nothing processed before
* ``slow_after_accept`` - processed (message accepted, credit taken), answered after ``delay``
* ``drop_after_accept`` - processed, then the connection is closed without an answer
* ``malformed``       - processed, answered with a body no documentation describes
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from aiohttp import web

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultKind(StrEnum):
    """A way for the simulated gateway to misbehave."""

    HTTP_404 = "http_404"
    HTTP_429 = "http_429"
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    SLOW = "slow"
    SLOW_AFTER_ACCEPT = "slow_after_accept"
    DROP_AFTER_ACCEPT = "drop_after_accept"
    MALFORMED = "malformed"


@dataclass
class Fault:
    """A fault waiting for requests."""

    kind: FaultKind
    count: int = 1
    path: str | None = None
    delay: float = 5.0
    body: str = "<html><body>502 Bad Gateway</body></html>"


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the simulator received it, before any parsing."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    content_type: str


@dataclass(frozen=True)
class CallbackCall:
    """A callback the simulator made, and how it was answered."""

    method: str
    url: str
    params: Mapping[str, str]
    status: int | None
    body: str | None


@dataclass
class SimulatorBase:
    """Base of the fake gateways. Subclasses add routes and state."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    callbacks: list[CallbackCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _site: web.TCPSite | None = field(default=None, init=False, repr=False)
    _client: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    # --- to implement -----------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The gateway's documented endpoints."""
        raise NotImplementedError

    # --- life cycle -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Scheme, host and port: what a gateway client takes as its base URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        """Serve on ``host``:``port`` (a free port when 0) and return the base URL."""
        app = web.Application(middlewares=[self._record_and_fault], client_max_size=4 * 1024**2)
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        return self.base_url

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        if self.port == 0:
            server = self._site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and close the callback client."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def refuse_connections(self) -> None:
        """Close the listening socket: "connection refused" until ``accept_connections``.

        Open keep-alive connections are closed too, as when a server goes down: otherwise a
        client would go on using its pooled connection.
        """
        if self._site is not None:
            await self._site.stop()
        if self._runner is not None and self._runner.server is not None:
            for connection in list(self._runner.server.connections):
                connection.force_close()
            await asyncio.sleep(0.01)  # let the clients see the connections close
            self._site = None

    async def accept_connections(self) -> None:
        """Listen again on the same port after ``refuse_connections``."""
        if self._site is None:
            await self._listen()

    # --- faults -----------------------------------------------------------------------

    def fail_next(
        self,
        kind: FaultKind | str,
        *,
        count: int = 1,
        path: str | None = None,
        delay: float = 5.0,
        body: str | None = None,
    ) -> None:
        """Make the next ``count`` requests (to ``path``, if given) fail as ``kind``."""
        fault = Fault(FaultKind(kind), count=count, path=path, delay=delay)
        if body is not None:
            fault.body = body
        self.faults.append(fault)

    def clear_faults(self) -> None:
        """Behave again."""
        self.faults.clear()

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path is None or path.rstrip("/") == fault.path.rstrip("/"):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @web.middleware
    async def _record_and_fault(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        body = await request.read()
        self.requests.append(
            ReceivedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                body=body,
                content_type=request.headers.get("Content-Type", ""),
            )
        )
        fault = self._take_fault(request.path)
        if fault is None:
            return await handler(request)
        if fault.kind is FaultKind.HTTP_404:
            return web.Response(status=404, text="Not Found")
        if fault.kind is FaultKind.HTTP_429:
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        if fault.kind is FaultKind.HTTP_503:
            return web.Response(status=503, text="Service Unavailable")
        if fault.kind is FaultKind.HTTP_500:
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind is FaultKind.SLOW:
            await asyncio.sleep(fault.delay)
            return await handler(request)
        response = await handler(request)  # the gateway accepts and processes the request
        if fault.kind is FaultKind.SLOW_AFTER_ACCEPT:
            await asyncio.sleep(fault.delay)
            return response
        if fault.kind is FaultKind.MALFORMED:
            return web.Response(text=fault.body, content_type="text/html")
        # DROP_AFTER_ACCEPT: the connection dies before the answer is written
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        """The requests received on ``path`` (trailing slash ignored)."""
        wanted = path.rstrip("/")
        return [r for r in self.requests if r.path.rstrip("/") == wanted]

    # --- callbacks into Home Assistant ------------------------------------------------

    async def call_back(
        self, url: str, params: Mapping[str, str], *, method: str = "GET", as_json: bool = False
    ) -> CallbackCall:
        """Call ``url`` the way the gateway calls its customers' callback URLs.

        GET puts ``params`` in the query string; POST sends a form (or JSON with ``as_json``).
        A failure to reach the URL is recorded, not raised: a gateway just logs it.
        """
        if self._client is None:
            self._client = aiohttp.ClientSession()
        kwargs: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=10)}
        if method == "GET":
            kwargs["params"] = dict(params)
        elif as_json:
            kwargs["json"] = dict(params)
        else:
            kwargs["data"] = dict(params)
        status: int | None = None
        text: str | None = None
        try:
            async with self._client.request(method, url, **kwargs) as response:
                status = response.status
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug("callback to %s failed: %s", url, err)
        call = CallbackCall(method=method, url=url, params=dict(params), status=status, body=text)
        self.callbacks.append(call)
        return call
