"""No secret, number or message text in errors or in logs above debug."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.simulator.sms123 import Sms123Simulator
from texto_gateway.errors import GatewayError, PartialSendError
from texto_gateway.models import SendRequest, StopMention
from texto_gateway.sms123 import Sms123Gateway

from .conftest import LANDLINE, MOBILE, MOBILE_2

TEXT = "Code secret du portail 4812"


def _assert_private(error: GatewayError, sim: Sms123Simulator) -> None:
    shown = f"{error} {error.raw or ''}"
    for private in (sim.api_key, sim.user, TEXT, "33612345678", "33612345679", "33140000000"):
        assert private not in shown


async def test_errors_say_nothing_private(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    errors: list[GatewayError] = []
    scenarios: list[tuple[dict[str, object], Callable[[], None], SendRequest]] = [
        ({"api_key": "wrong"}, lambda: None, SendRequest(recipients=(MOBILE,), text=TEXT)),
        ({}, lambda: None, SendRequest(recipients=(LANDLINE,), text=TEXT)),
        (
            {},
            lambda: sim.fail_next("malformed", body=f"Erreur {sim.api_key} {sim.user} 33612345678"),
            SendRequest(recipients=(MOBILE,), text=TEXT),
        ),
        (
            {},
            lambda: None,
            SendRequest(
                recipients=(MOBILE,), text=TEXT, sender="Maison", stop_mention=StopMention.OFF
            ),
        ),
    ]
    for kwargs, prepare, request in scenarios:
        prepare()
        with pytest.raises(GatewayError) as caught:
            await make_gateway(**kwargs).send(request)
        errors.append(caught.value)

    sim.credits = 1
    with pytest.raises(PartialSendError) as partial:
        await make_gateway(max_concurrency=1).send(
            SendRequest(recipients=(MOBILE_2, MOBILE), text=TEXT)
        )
    errors.extend([partial.value, *partial.value.failures.values()])

    for error in errors:
        _assert_private(error, sim)


async def test_logs_mask_credentials_numbers_and_text(
    gateway: Sms123Gateway, sim: Sms123Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="texto_gateway")

    await gateway.send(SendRequest(recipients=(MOBILE,), text=TEXT))
    await gateway.get_balance()

    assert caplog.records  # the exchange is logged at debug level
    assert all(record.levelno <= logging.DEBUG for record in caplog.records)
    for private in (sim.api_key, sim.user, TEXT, "33612345678"):
        assert private not in caplog.text
