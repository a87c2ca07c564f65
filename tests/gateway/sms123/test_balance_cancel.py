"""Balance and cancellation of scheduled sends, over HTTP to the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator.sms123 import Sms123Simulator
from texto_gateway.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from texto_gateway.models import BalanceUnit, SendRequest, SendResult
from texto_gateway.sms123 import Sms123Gateway

from .conftest import MOBILE, MOBILE_2

SEND = "/api/send/"
SOLDE = "/api/solde/"


# --- balance --------------------------------------------------------------------------


async def test_balance_is_the_sms_left(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.credits = 321

    balance = await gateway.get_balance()

    assert balance.amount == 321
    assert balance.unit is BalanceUnit.SMS
    [request] = sim.requests_to(SOLDE)
    assert request.content_type == "application/json"
    assert json.loads(request.body) == {"user": sim.user, "cleAPI": sim.api_key}


async def test_balance_follows_sends(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    await gateway.send(SendRequest(recipients=(MOBILE,), text="a" * 200))

    assert (await gateway.get_balance()).amount == 498


@pytest.mark.parametrize(
    ("credentials", "code"),
    [({"username": ""}, "E501"), ({"api_key": ""}, "E502"), ({"api_key": "wrong"}, "E505")],
)
async def test_balance_credentials_refused(
    make_gateway: Callable[..., Sms123Gateway], credentials: dict[str, str], code: str
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make_gateway(**credentials).get_balance()

    assert caught.value.code == code


async def test_balance_technical_error(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.technical_errors = 1

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.get_balance()

    assert caught.value.code == "-2"
    assert (await gateway.get_balance()).amount == 500


async def test_balance_wrong_url(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await make_gateway(base_url=f"{sim.base_url}/v2").get_balance()

    assert caught.value.code == "-3"


async def test_balance_bad_format_answer(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("malformed", body="-1")

    with pytest.raises(InvalidRequestError) as caught:
        await gateway.get_balance()

    assert caught.value.code == "-1"


async def test_balance_as_json(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("malformed", body='{"solde": "42"}')

    assert (await gateway.get_balance()).amount == 42


async def test_balance_undocumented_answer(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("malformed")

    with pytest.raises(UnexpectedResponseError):
        await gateway.get_balance()


# --- cancel ---------------------------------------------------------------------------


def _later() -> datetime:
    return (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)


async def _schedule(
    gateway: Sms123Gateway, *recipients: str, sender: str | None = None
) -> SendResult:
    request = SendRequest(
        recipients=recipients or (MOBILE,), text="Arrosage", sender=sender, send_at=_later()
    )
    return await gateway.send(request)


async def test_cancel_deletes_the_scheduled_send(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sent = await _schedule(gateway, MOBILE, MOBILE_2, sender="Jardin")
    assert sim.credits == 498

    await gateway.cancel(sent)

    deletions = [json.loads(r.body) for r in sim.requests_to(SEND)[2:]]
    assert len(deletions) == 2
    diff = sim.messages[0].diff
    assert all(d["diff"] == f"{diff}s" for d in deletions)
    assert all(d["message"] == "Arrosage\nstop SMS au 36177" for d in deletions)
    assert all(d["senderid"] == "Jardin" for d in deletions)
    assert sim.scheduled == []
    assert sim.credits == 500


async def test_cancel_twice_is_not_found(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sent = await _schedule(gateway)
    await gateway.cancel(sent)

    with pytest.raises(NotFoundError) as caught:
        await gateway.cancel(sent)

    assert caught.value.code == "95"


async def test_cancel_needs_a_scheduled_send(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sent = await gateway.send(SendRequest(recipients=(MOBILE,), text="Tout de suite"))

    with pytest.raises(ValidationError) as caught:
        await gateway.cancel(sent)

    assert caught.value.field == "send_at"
    assert len(sim.requests) == 1


async def test_cancel_with_refused_credentials(
    make_gateway: Callable[..., Sms123Gateway], gateway: Sms123Gateway
) -> None:
    sent = await _schedule(gateway)

    with pytest.raises(AuthenticationError) as caught:
        await make_gateway(api_key="wrong").cancel(sent)

    assert caught.value.code == "82"


async def test_cancel_lost_answer_is_unknown_and_wins(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sent = await _schedule(gateway, MOBILE, MOBILE_2)
    sim.fail_next("http_503")
    sim.fail_next("drop_after_accept")

    with pytest.raises(OutcomeUnknownError):
        await gateway.cancel(sent)


@pytest.mark.parametrize("answer", ["80 abc", "<html>oops</html>"])
async def test_cancel_undocumented_answer(
    gateway: Sms123Gateway, sim: Sms123Simulator, answer: str
) -> None:
    sent = await _schedule(gateway)
    sim.fail_next("malformed", body=answer)

    with pytest.raises(UnexpectedResponseError):
        await gateway.cancel(sent)
