"""getInfo (balance) and simulateCampaign (estimate): nothing is sent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    RecipientsRejectedError,
    UnexpectedResponseError,
)
from texto_gateway.models import BalanceUnit, SendRequest

from .conftest import ALICE, API_KEY, BOB, CAROL, form_of, sms_data_of


async def test_balance_in_credits_and_sms(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.credits = 1847

    balance = await allmysms.get_balance()

    assert balance.amount == 1847
    assert balance.unit is BalanceUnit.CREDITS
    assert balance.sms_estimate == 123  # 15 credits an SMS to France
    [call] = allmysms_sim.requests
    assert (call.method, call.path) == ("POST", "/http/9.0/getInfo/")
    assert form_of(call)["returnformat"] == "json"


async def test_balance_follows_sends(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms.send(SendRequest(recipients=(ALICE, BOB), text="x"))

    assert (await allmysms.get_balance()).amount == 15000 - 30


async def test_balance_with_bad_credentials(make_allmysms) -> None:  # type: ignore[no-untyped-def]
    gateway = make_allmysms(login="nobody")

    with pytest.raises(AuthenticationError) as caught:
        await gateway.get_balance()

    assert caught.value.code == "102"
    assert "nobody" not in str(caught.value)


@pytest.mark.parametrize(
    "body", ['{"status": "Active Account"}', '{"credits": "lots"}', "[]", "credits=12"]
)
async def test_balance_unreadable(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(UnexpectedResponseError):
        await allmysms.get_balance()


async def test_balance_given_as_a_number(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("malformed", body='{"credits": 22.5, "apiKey": "x"}')

    balance = await allmysms.get_balance()

    assert (balance.amount, balance.sms_estimate) == (22.5, 1)


async def test_negative_balance_buys_no_sms(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("malformed", body='{"credits": "-30"}')

    balance = await allmysms.get_balance()

    assert (balance.amount, balance.sms_estimate) == (-30, 0)


async def test_balance_redacts_the_echoed_key(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("malformed", body=f'{{"apiKey": "{API_KEY}"}}')

    with pytest.raises(UnexpectedResponseError) as caught:
        await allmysms.get_balance()

    assert API_KEY not in (caught.value.raw or "")


# --- estimate ---------------------------------------------------------------------------


async def test_estimate_sends_nothing(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    estimate = await allmysms.estimate(
        SendRequest(recipients=(ALICE, BOB, CAROL), text="a" * 200, sender="Maison")
    )

    assert estimate.message.parts == 2
    assert estimate.recipients == 3
    assert estimate.billed_parts == 6
    assert estimate.credits == 6 * 15
    assert allmysms_sim.messages == []
    assert allmysms_sim.campaigns == {}
    assert allmysms_sim.credits == 15000
    [call] = allmysms_sim.requests
    assert call.path == "/http/9.0/simulateCampaign/"
    # priced with the text as it would be sent, STOP mention included
    assert sms_data_of(call)["MESSAGE"].endswith("\nSTOP au 36180")
    assert sms_data_of(call)["TPOA"] == "Maison"


async def test_estimate_leaves_out_refused_numbers(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.unroutable_numbers = {"33698765432"}

    estimate = await allmysms.estimate(SendRequest(recipients=(ALICE, BOB), text="x"))

    assert (estimate.recipients, estimate.billed_parts, estimate.credits) == (1, 1, 15)


async def test_estimate_with_no_valid_number(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.unroutable_numbers = {"33612345678"}

    with pytest.raises(RecipientsRejectedError) as caught:
        await allmysms.estimate(SendRequest(recipients=(ALICE,), text="x"))

    assert caught.value.numbers == [ALICE]


async def test_estimate_beyond_the_credit(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.credits = 10

    with pytest.raises(CreditError) as caught:
        await allmysms.estimate(SendRequest(recipients=(ALICE,), text="x"))

    assert (caught.value.required, caught.value.available) == (15, 10)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"status": "113", "invalidNumbers": ["33612345678"]}', RecipientsRejectedError),
        ('{"status": "115"}', InvalidRequestError),
    ],
)
async def test_estimate_errors(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    body: str,
    error: type[GatewayError],
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(error):
        await allmysms.estimate(SendRequest(recipients=(ALICE,), text="x"))


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "malformed", "body": '{"status": "100"}'},
        {"kind": "malformed", "body": '{"status": "100", "nbCredits": "beaucoup"}'},
        {"kind": "malformed", "body": "<html>maintenance</html>"},
        {"kind": "malformed", "body": "[1, 2]"},
        {"kind": "http_404"},
        {"kind": "http_500"},
        {"kind": "http_503"},
        {"kind": "slow", "delay": 1.0},
    ],
)
async def test_estimate_the_gateway_cannot_price_is_counted_here(
    make_allmysms: Callable[..., AllMySmsGateway],
    allmysms_sim: AllMySmsSimulator,
    fault: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The parts are local: a price lookup that fails still says what the send costs."""
    allmysms = make_allmysms(total_timeout=0.3)
    fault = dict(fault)
    allmysms_sim.fail_next(fault.pop("kind"), count=5, **fault)

    with caplog.at_level(logging.DEBUG):
        estimate = await allmysms.estimate(SendRequest(recipients=(ALICE, BOB), text="a" * 200))

    assert (estimate.recipients, estimate.billed_parts, estimate.credits) == (2, 4, None)
    assert estimate.warnings == ("price_unavailable",)
    assert estimate.message.encoding == "gsm7"
    said = [r for r in caplog.records if "could not price" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.DEBUG]


async def test_estimate_of_an_invalid_request_asks_nothing(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    with pytest.raises(GatewayError):
        await allmysms.estimate(SendRequest(recipients=(ALICE,), text="a" * 641))

    assert allmysms_sim.requests == []
