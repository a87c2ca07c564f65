"""Transport faults through the smsmode route: never sent, or outcome unknown — and which."""

from __future__ import annotations

import aiohttp
import pytest

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.errors import (
    GatewayError,
    Outcome,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)
from texto_gateway.models import SendRequest
from texto_gateway.smsmode import SEND_PATH, SmsmodeGateway

from .conftest import TOKEN

TEXT = "Votre code secret est 4711"
REQUEST = SendRequest(recipients=("0612345678",), text=TEXT, sender="MaBoutique")


def assert_nothing_personal(error: GatewayError) -> None:
    for secret in (TOKEN, "0612345678", "33612345678", "612345678", TEXT, "MaBoutique"):
        assert secret not in str(error)
        assert secret not in (error.raw or "")


@pytest.mark.parametrize("kind", ["http_429", "http_503"])
async def test_retry_later_statuses_sent_nothing(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, kind: str
) -> None:
    smsmode_sim.fail_next(kind, path=SEND_PATH)
    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.send(REQUEST)
    assert caught.value.outcome is Outcome.NOT_SENT
    assert caught.value.retryable
    assert smsmode_sim.messages == []
    assert smsmode_sim.credits == 1000
    assert_nothing_personal(caught.value)


async def test_retry_after_is_kept(gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator) -> None:
    smsmode_sim.fail_next("http_429")
    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.get_balance()
    assert caught.value.retry_after == 1


async def test_http_500_leaves_the_outcome_unknown(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.fail_next("http_500", path=SEND_PATH)
    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(REQUEST)
    assert caught.value.outcome is Outcome.UNKNOWN
    assert not caught.value.retryable
    assert_nothing_personal(caught.value)


async def test_dropped_answer_after_accepting(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.fail_next("drop_after_accept", path=SEND_PATH)
    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(REQUEST)
    assert caught.value.outcome is Outcome.UNKNOWN
    assert len(smsmode_sim.messages) == 1  # it WAS sent: a blind resend would double it
    assert len(smsmode_sim.requests_to(SEND_PATH)) == 1  # and the library did not retry
    assert_nothing_personal(caught.value)


async def test_slow_answer_after_accepting(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    gateway = SmsmodeGateway(
        TOKEN, session=http_session, base_url=smsmode_sim.base_url, total_timeout=0.3
    )
    smsmode_sim.fail_next("slow_after_accept", path=SEND_PATH, delay=1.0)
    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(REQUEST)
    assert type(caught.value) is OutcomeUnknownError
    assert len(smsmode_sim.messages) == 1
    assert len(smsmode_sim.requests_to(SEND_PATH)) == 1


async def test_refused_connection_sent_nothing(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    await smsmode_sim.refuse_connections()
    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.send(REQUEST)
    assert caught.value.outcome is Outcome.NOT_SENT
    await smsmode_sim.accept_connections()
    await gateway.send(REQUEST)
    assert len(smsmode_sim.messages) == 1


async def test_malformed_answer_keeps_a_redacted_copy(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    body = f"<html>proxy error token={TOKEN} to 33612345678: {TEXT}</html>"
    smsmode_sim.fail_next("malformed", path=SEND_PATH, body=body)
    with pytest.raises(UnexpectedResponseError) as caught:
        await gateway.send(REQUEST)
    assert caught.value.outcome is Outcome.UNKNOWN
    assert caught.value.raw is not None
    assert "proxy error" in caught.value.raw
    assert TOKEN not in caught.value.raw
    assert "33612345678" not in caught.value.raw
    assert len(smsmode_sim.messages) == 1


async def test_gateway_errors_name_no_secret(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    errors: list[GatewayError] = []
    gateway = SmsmodeGateway(TOKEN, session=http_session, base_url=smsmode_sim.base_url)
    for code in (31, 32, 33, 35, 50, 77):
        smsmode_sim.answer_next(code, SEND_PATH)
        with pytest.raises(GatewayError) as caught:
            await gateway.send(REQUEST)
        errors.append(caught.value)
    assert [e.code for e in errors] == ["31", "32", "33", "35", "50", None]
    for error in errors:
        assert_nothing_personal(error)
