"""Delivery reports: the simulator calls the customer's URL, the route reads the call."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.simulator.sms123 import Sms123Simulator
from texto_gateway.errors import CallbackError
from texto_gateway.models import DeliveryReport, DeliveryStatus, SendRequest
from texto_gateway.sms123 import Sms123Gateway

from .conftest import MOBILE, Receiver


@pytest.mark.parametrize(
    ("erreur", "status"),
    [
        ("", DeliveryStatus.DELIVERED),
        ("0", DeliveryStatus.DELIVERED),
        ("OK", DeliveryStatus.DELIVERED),
        ("1", DeliveryStatus.FAILED),
        ("numero invalide", DeliveryStatus.FAILED),
    ],
)
async def test_delivery_report_round_trip(
    gateway: Sms123Gateway,
    sim: Sms123Simulator,
    receiver: Receiver,
    erreur: str,
    status: DeliveryStatus,
) -> None:
    sent = await gateway.send(SendRequest(recipients=(MOBILE,), text="Colis"))

    call = await sim.deliver(sent.message_id, erreur=erreur)

    assert call is not None
    assert (call.status, call.body) == (200, "OK")
    report = Sms123Gateway.parse_callback(receiver.calls[-1])
    assert isinstance(report, DeliveryReport)
    assert report.message_id == sent.message_id
    assert report.recipient_message_id == sent.recipient_ids[MOBILE]
    assert report.recipient == MOBILE
    assert report.status is status
    assert report.provider_status == erreur


async def test_reports_of_a_multi_recipient_send(
    gateway: Sms123Gateway, sim: Sms123Simulator, receiver: Receiver
) -> None:
    sent = await gateway.send(SendRequest(recipients=(MOBILE, "+33612345679"), text="Colis"))

    for number, reference in sent.recipient_ids.items():
        await sim.deliver(reference)
        report = Sms123Gateway.parse_callback(receiver.calls[-1])
        assert isinstance(report, DeliveryReport)
        assert (report.recipient, report.recipient_message_id) == (number, reference)


async def test_ping_without_parameters_is_nothing_to_report(
    sim: Sms123Simulator, receiver: Receiver
) -> None:
    call = await sim.ping_callback()

    assert call is not None
    assert (call.status, call.body) == (200, "OK")
    assert receiver.calls == [{}]
    assert Sms123Gateway.parse_callback(receiver.calls[0]) is None


async def test_automatic_delivery(
    gateway: Sms123Gateway, sim: Sms123Simulator, receiver: Receiver
) -> None:
    sim.auto_deliver_after = 0.01
    sent = await gateway.send(SendRequest(recipients=(MOBILE,), text="Colis"))

    async with asyncio.timeout(2):
        while not receiver.calls:  # noqa: ASYNC110 - the simulator's own timer fires it
            await asyncio.sleep(0.01)

    assert receiver.calls[0]["refenvoi"] == sent.message_id


async def test_nothing_to_call_without_url_or_message(sim: Sms123Simulator) -> None:
    assert await sim.ping_callback() is None
    sim.callback_url = "http://127.0.0.1:9/callback"
    assert await sim.deliver("unknown") is None


@pytest.mark.parametrize(
    "params",
    [
        {"erreur": "0", "gsm": "33612345678"},
        {"refenvoi": "  ", "erreur": ""},
        {"gsm": "33612345678"},
    ],
)
def test_report_without_reference_is_malformed(params: dict[str, str]) -> None:
    with pytest.raises(CallbackError):
        Sms123Gateway.parse_callback(params)


def test_report_with_an_unreadable_number() -> None:
    report = Sms123Gateway.parse_callback({"refenvoi": "r1", "gsm": "36034"})

    assert isinstance(report, DeliveryReport)
    assert report.recipient is None
    assert report.status is DeliveryStatus.DELIVERED


def test_report_with_only_a_reference() -> None:
    report = Sms123Gateway.parse_callback({"refenvoi": "r1"})

    assert isinstance(report, DeliveryReport)
    assert report.recipient is None


@given(st.dictionaries(st.sampled_from(["erreur", "refenvoi", "gsm"]) | st.text(), st.text()))
def test_any_callback_is_a_report_none_or_callback_error(params: dict[str, str]) -> None:
    try:
        result = Sms123Gateway.parse_callback(params)
    except CallbackError:
        return
    assert result is None or isinstance(result, DeliveryReport)
    if result is None:
        assert not params
