"""Fixtures: a 123-SMS simulator on 127.0.0.1, a client session, gateways pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.simulator.sms123 import Sms123Simulator
from texto_gateway.sms123 import Sms123Gateway

MOBILE = "+33612345678"
MOBILE_2 = "+33612345679"
MOBILE_3 = "+33612345680"
#: a French landline: valid for the library, refused by the gateway for SMS (code 84)
LANDLINE = "+33140000000"
#: Réunion: an overseas department (code 93 unless enabled)
REUNION = "+262692123456"
BELGIUM = "+32470123456"


class Clock:
    """The simulator's clock, which a test can move."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sim(clock: Clock) -> AsyncIterator[Sms123Simulator]:
    simulator = Sms123Simulator(now=clock)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def make_gateway(
    sim: Sms123Simulator, session: aiohttp.ClientSession
) -> Callable[..., Sms123Gateway]:
    def make(**kwargs: Any) -> Sms123Gateway:
        username = kwargs.pop("username", sim.user)
        api_key = kwargs.pop("api_key", sim.api_key)
        kwargs.setdefault("base_url", sim.base_url)
        return Sms123Gateway(username, api_key, session=session, **kwargs)

    return make


@pytest.fixture
def gateway(make_gateway: Callable[..., Sms123Gateway]) -> Sms123Gateway:
    return make_gateway()


class Receiver:
    """The customer's delivery-report URL (Home Assistant's side): answers 200 "OK"."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls.append(dict(request.query))
        return web.Response(text="OK")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/callback", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/callback"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receiver(sim: Sms123Simulator) -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    sim.callback_url = server.url
    yield server
    await server.stop()
