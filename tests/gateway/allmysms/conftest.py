"""Fixtures: the AllMySMS simulator on 127.0.0.1, a client session and the gateway."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.base import ReceivedRequest
from texto_gateway.allmysms import AllMySmsGateway

LOGIN = "demo"
API_KEY = "demo-allmysms-key"
ALICE = "+33612345678"
BOB = "+33698765432"
CAROL = "+33751234567"


def form_of(request: ReceivedRequest) -> dict[str, str]:
    """The form fields a request carried."""
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def sms_data_of(request: ReceivedRequest) -> dict[str, Any]:
    """The ``DATA`` object of a request's ``smsData``."""
    data: dict[str, Any] = json.loads(form_of(request)["smsData"])["DATA"]
    return data


@pytest.fixture
async def allmysms_sim() -> AsyncIterator[AllMySmsSimulator]:
    simulator = AllMySmsSimulator(login=LOGIN, api_key=API_KEY)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def allmysms_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_allmysms(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> Callable[..., AllMySmsGateway]:
    """Build a gateway on the simulator; keyword arguments override the defaults."""

    def make(**overrides: Any) -> AllMySmsGateway:
        options: dict[str, Any] = {
            "login": LOGIN,
            "api_key": API_KEY,
            "base_url": allmysms_sim.base_url,
        }
        options.update(overrides)
        return AllMySmsGateway(
            options.pop("login"), options.pop("api_key"), session=allmysms_session, **options
        )

    return make


@pytest.fixture
def allmysms(make_allmysms: Callable[..., AllMySmsGateway]) -> AllMySmsGateway:
    return make_allmysms()


@dataclass
class WebhookReceiver:
    """A customer's webhook endpoint: records what the gateway posted."""

    url: str = ""
    calls: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def webhook() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    async def handle(request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        receiver.calls.append(params)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/hook", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    yield receiver
    await runner.cleanup()
