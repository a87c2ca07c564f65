"""Transport faults through the route: not sent vs outcome unknown, never a silent resend."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.errors import (
    InvalidRequestError,
    Outcome,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)
from texto_gateway.models import SendRequest

from .conftest import ALICE, API_KEY

REQUEST = SendRequest(recipients=(ALICE,), text="Alarme cuisine")


@pytest.mark.parametrize("kind", ["http_429", "http_503"])
async def test_retry_later_sends_nothing(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, kind: str
) -> None:
    allmysms_sim.fail_next(kind)

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await allmysms.send(REQUEST)

    assert caught.value.outcome is Outcome.NOT_SENT
    assert caught.value.retryable
    assert allmysms_sim.messages == []
    assert allmysms_sim.credits == 15000
    assert len(allmysms_sim.requests) == 1  # no retry by the library


async def test_retry_after_is_passed_on(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("http_429")

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await allmysms.send(REQUEST)

    assert caught.value.retry_after == 1


async def test_refused_connection_sends_nothing(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms_sim.refuse_connections()

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await allmysms.send(REQUEST)

    assert caught.value.outcome is Outcome.NOT_SENT
    await allmysms_sim.accept_connections()
    assert allmysms_sim.requests == []
    # and the route works again once the gateway is back
    await allmysms.send(REQUEST)
    assert len(allmysms_sim.messages) == 1


@pytest.mark.parametrize("kind", ["http_500", "drop_after_accept"])
async def test_outcome_unknown_after_the_gateway_took_it(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, kind: str
) -> None:
    allmysms_sim.fail_next(kind, path="/http/9.0/sendSms/")

    with pytest.raises(OutcomeUnknownError) as caught:
        await allmysms.send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN
    assert not caught.value.retryable
    assert len(allmysms_sim.requests) == 1
    if kind == "drop_after_accept":
        # the message did go out: resending would send it twice
        assert len(allmysms_sim.messages) == 1


async def test_slow_answer_after_accepting(
    make_allmysms: Callable[..., AllMySmsGateway], allmysms_sim: AllMySmsSimulator
) -> None:
    gateway = make_allmysms(total_timeout=0.3)
    allmysms_sim.fail_next("slow_after_accept", delay=0.8)

    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN
    assert len(allmysms_sim.messages) == 1


async def test_malformed_body(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    allmysms_sim.fail_next("malformed")

    with pytest.raises(UnexpectedResponseError) as caught:
        await allmysms.send(REQUEST)

    assert caught.value.outcome is Outcome.UNKNOWN
    assert caught.value.raw == "<html><body>502 Bad Gateway</body></html>"


async def test_unreachable_host(allmysms_session) -> None:  # type: ignore[no-untyped-def]
    # port 9 on 127.0.0.1: nothing listens there
    gateway = AllMySmsGateway("demo", "k", session=allmysms_session, base_url="http://127.0.0.1:9")

    with pytest.raises(TemporarilyUnavailableError):
        await gateway.get_balance()


async def test_http_4xx_is_an_invalid_request(
    make_allmysms: Callable[..., AllMySmsGateway], allmysms_sim: AllMySmsSimulator
) -> None:
    # a base URL with a path: the gateway's paths end up somewhere the server does not know
    gateway = make_allmysms(base_url=f"{allmysms_sim.base_url}/nowhere")

    with pytest.raises(InvalidRequestError) as caught:
        await gateway.get_balance()

    assert caught.value.code == "HTTP 404"


@pytest.mark.parametrize(
    "call",
    ["get_balance", "fetch_replies", "fetch_delivery_reports"],
)
async def test_faults_on_other_endpoints(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, call: str
) -> None:
    allmysms_sim.fail_next("http_503")
    method = getattr(allmysms, call)

    with pytest.raises(TemporarilyUnavailableError):
        await (method("C1") if call == "fetch_delivery_reports" else method())


async def test_debug_logs_mask_secrets_numbers_and_text(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="texto_gateway")

    await allmysms.send(REQUEST)
    await allmysms.get_balance()  # getInfo echoes the API key

    logged = caplog.text
    assert "sendSms" in logged
    for secret in (API_KEY, "33612345678", "Alarme cuisine"):
        assert secret not in logged
    assert all(record.levelno <= logging.DEBUG for record in caplog.records)
