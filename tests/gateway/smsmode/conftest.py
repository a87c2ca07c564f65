"""Fixtures of the smsmode tests: simulator, session, gateway and a callback receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.smsmode import SmsmodeGateway

TOKEN = "smsmode-test-token-0123456789abcdef"


@pytest.fixture
async def smsmode_sim() -> AsyncIterator[SmsmodeSimulator]:
    sim = SmsmodeSimulator(access_token=TOKEN)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def gateway(smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession) -> SmsmodeGateway:
    return SmsmodeGateway(TOKEN, session=http_session, base_url=smsmode_sim.base_url)


@dataclass
class CallbackReceiver:
    """A customer's web server: records the query of every GET it receives."""

    base_url: str = ""
    calls: list[dict[str, str]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    received = CallbackReceiver()

    async def handle(request: web.Request) -> web.Response:
        received.calls.append(dict(request.query))
        return web.Response(text="OK")

    app = web.Application()
    app.add_routes([web.get("/{name}", handle)])
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    received.base_url = f"http://127.0.0.1:{port}"
    yield received
    await runner.cleanup()
