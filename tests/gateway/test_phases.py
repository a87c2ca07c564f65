"""How far an attempt got, over real sockets: what a cut-short attempt may have sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.unanswered import unanswered_url
from texto_gateway import AllMySmsGateway, SendRequest
from texto_gateway.errors import TemporarilyUnavailableError
from texto_gateway.phases import Phase, phase_tracing, trace_attempt

REQUEST = SendRequest(recipients=("+33612345678",), text="Alarme")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trace_configs=[phase_tracing()]) as session:
        yield session


@pytest.fixture
def unanswered() -> Iterator[str]:
    """A gateway URL whose connections never complete."""
    with unanswered_url() as url:
        yield url


async def _cut_short(coroutine: object, after: float) -> None:
    task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
    await asyncio.sleep(after)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cut_short_while_connecting_nothing_was_sent(
    session: aiohttp.ClientSession, unanswered: str
) -> None:
    client = AllMySmsGateway("demo", "key", session=session, base_url=unanswered)
    with trace_attempt() as trace:
        await _cut_short(client.send(REQUEST), after=0.3)
    assert trace.phase is Phase.NOT_CONNECTED
    assert trace.nothing_sent


async def test_refused_connections_sent_nothing(session: aiohttp.ClientSession) -> None:
    sim = AllMySmsSimulator()
    await sim.start()
    await sim.refuse_connections()
    client = AllMySmsGateway(sim.login, sim.api_key, session=session, base_url=sim.base_url)
    with trace_attempt() as trace, pytest.raises(TemporarilyUnavailableError):
        await client.send(REQUEST)
    await sim.stop()
    assert trace.nothing_sent


async def test_cut_short_while_the_answer_is_awaited_it_may_have_gone(
    session: aiohttp.ClientSession,
) -> None:
    sim = AllMySmsSimulator()
    await sim.start()
    sim.fail_next("slow_after_accept", delay=5.0)
    client = AllMySmsGateway(sim.login, sim.api_key, session=session, base_url=sim.base_url)
    with trace_attempt() as trace:
        await _cut_short(client.send(REQUEST), after=0.5)
    await sim.stop()
    assert trace.phase is Phase.REQUEST_WRITTEN
    assert not trace.nothing_sent
    assert len(sim.messages) == 1  # it had indeed gone


async def test_a_whole_request_reads_its_answer(session: aiohttp.ClientSession) -> None:
    sim = AllMySmsSimulator()
    await sim.start()
    client = AllMySmsGateway(sim.login, sim.api_key, session=session, base_url=sim.base_url)
    with trace_attempt() as trace:
        await client.send(REQUEST)
    await sim.stop()
    assert trace.phase is Phase.ANSWER_READ


async def test_a_session_without_tracing_cannot_tell(session: aiohttp.ClientSession) -> None:
    sim = AllMySmsSimulator()
    await sim.start()
    sim.fail_next("slow_after_accept", delay=5.0)
    async with aiohttp.ClientSession() as untraced:
        client = AllMySmsGateway(sim.login, sim.api_key, session=untraced, base_url=sim.base_url)
        with trace_attempt() as trace:
            await _cut_short(client.send(REQUEST), after=0.5)
    await sim.stop()
    assert not trace.nothing_sent


async def test_a_client_without_a_session_traces_its_own(unanswered: str) -> None:
    async with AllMySmsGateway("demo", "key", base_url=unanswered) as client:
        with trace_attempt() as trace:
            await _cut_short(client.send(REQUEST), after=0.3)
    assert trace.nothing_sent
