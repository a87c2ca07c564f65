"""smsmode's delivery-report and reply callbacks, as the simulator really calls them."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.base import PARIS
from texto_gateway.errors import CallbackError
from texto_gateway.models import (
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    Provider,
    SendRequest,
)
from texto_gateway.smsmode import SmsmodeGateway

from .conftest import CallbackReceiver

# The manual's own examples (items 12 and 13)
DELIVERY_EXAMPLE = {
    "numero": "33601020304",
    "date_reception": "2010-03-25 09:52:17",
    "statut": "11",
    "smsID": "S7EpYZ5kmS87",
    "refClient": "12azer34",
    "mcc_mnc": "20801",
    "cost": "1",
}
REPLY_EXAMPLE = {
    "numero": "36034",
    "message": "bonjour",
    "emetteur": "33601020304",
    "date_reception": "01012013-122233",
    "smsID": "abcd1234",
    "refClient": "monclient123",
    "responseID": "azertyu123",
}


def test_delivery_callback_of_the_manual() -> None:
    report = SmsmodeGateway.parse_callback(DELIVERY_EXAMPLE)
    assert report == DeliveryReport(
        provider=Provider.SMSMODE,
        message_id="S7EpYZ5kmS87",
        recipient="+33601020304",
        status=DeliveryStatus.DELIVERED,
        provider_status="11",
        detail="Reçu",
        reported_at=datetime(2010, 3, 25, 9, 52, 17, tzinfo=PARIS),
        reference="12azer34",
    )


def test_reply_callback_of_the_manual() -> None:
    reply = SmsmodeGateway.parse_callback(REPLY_EXAMPLE)
    assert reply == InboundMessage(
        provider=Provider.SMSMODE,
        message_id="azertyu123",
        sender="+33601020304",
        text="bonjour",
        received_at=datetime(2013, 1, 1, 12, 22, 33, tzinfo=PARIS),
        recipient="36034",
        in_reply_to="abcd1234",
        reference="monclient123",
    )


def test_keys_are_read_without_regard_to_case() -> None:
    lower = {key.lower(): value for key, value in DELIVERY_EXAMPLE.items()}
    assert SmsmodeGateway.parse_callback(lower) == SmsmodeGateway.parse_callback(DELIVERY_EXAMPLE)
    lower = {key.lower(): value for key, value in REPLY_EXAMPLE.items()}
    assert SmsmodeGateway.parse_callback(lower) == SmsmodeGateway.parse_callback(REPLY_EXAMPLE)


def test_optional_fields_may_be_missing_or_empty() -> None:
    report = SmsmodeGateway.parse_callback({"numero": "36034", "statut": "13", "smsID": "x"})
    assert isinstance(report, DeliveryReport)
    assert (report.recipient, report.reference, report.reported_at) == ("36034", None, None)
    assert report.status is DeliveryStatus.PENDING
    reply = SmsmodeGateway.parse_callback(
        {"message": "", "emetteur": "33601020304", "responseID": "r1", "smsID": "", "numero": ""}
    )
    assert isinstance(reply, InboundMessage)
    assert (reply.text, reply.in_reply_to, reply.recipient) == ("", None, None)


def test_an_empty_call_is_a_reachability_check() -> None:
    assert SmsmodeGateway.parse_callback({}) is None


@pytest.mark.parametrize(
    "params",
    [
        {key: v for key, v in DELIVERY_EXAMPLE.items() if key != "smsID"},
        {key: v for key, v in DELIVERY_EXAMPLE.items() if key != "statut"},
        {key: v for key, v in DELIVERY_EXAMPLE.items() if key != "numero"},
        {**DELIVERY_EXAMPLE, "statut": "reçu"},
        {**DELIVERY_EXAMPLE, "date_reception": "25/03/2010 09:52"},
        {key: v for key, v in REPLY_EXAMPLE.items() if key != "responseID"},
        {key: v for key, v in REPLY_EXAMPLE.items() if key != "emetteur"},
        {key: v for key, v in REPLY_EXAMPLE.items() if key != "message"},
        {**REPLY_EXAMPLE, "date_reception": "2013-01-01 12:22:33"},
        {"foo": "bar"},
    ],
)
def test_malformed_callbacks(params: dict[str, str]) -> None:
    with pytest.raises(CallbackError):
        SmsmodeGateway.parse_callback(params)


_KEYS = st.sampled_from(
    [*DELIVERY_EXAMPLE, *REPLY_EXAMPLE, "smsid", "responseid", "STATUT", "x"]
) | st.text(max_size=12)


@given(st.dictionaries(_KEYS, st.text(max_size=40), max_size=8))
def test_arbitrary_callbacks_raise_only_callback_error(params: dict[str, str]) -> None:
    try:
        result = SmsmodeGateway.parse_callback(params)
    except CallbackError:
        return
    assert result is None or isinstance(result, DeliveryReport | InboundMessage)


@given(
    st.fixed_dictionaries(
        {key: st.text(max_size=30) | st.just(value) for key, value in DELIVERY_EXAMPLE.items()}
    )
)
def test_delivery_callbacks_with_arbitrary_values(params: dict[str, str]) -> None:
    try:
        report = SmsmodeGateway.parse_callback(params)
    except CallbackError:
        return
    assert isinstance(report, DeliveryReport)
    assert report.message_id == params["smsID"].strip()


# --- end to end: the simulator calls a real web server -------------------------------------


async def test_delivery_callback_end_to_end(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, receiver: CallbackReceiver
) -> None:
    result = await gateway.send(
        SendRequest(
            recipients=("0612345678", "0756781234"),
            text="Hi",
            reference="order-7",
            delivery_report_url=receiver.url("dlr"),
        )
    )
    calls = await smsmode_sim.deliver(result.message_id, 3521)
    assert [call.status for call in calls] == [200, 200]

    reports = [SmsmodeGateway.parse_callback(params) for params in receiver.calls]
    assert [(r.recipient, r.status, r.message_id, r.reference) for r in reports] == [  # type: ignore[union-attr]
        ("+33612345678", DeliveryStatus.FAILED, result.message_id, "order-7"),
        ("+33756781234", DeliveryStatus.FAILED, result.message_id, "order-7"),
    ]
    assert all(isinstance(r, DeliveryReport) and r.reported_at for r in reports)


async def test_reply_callback_to_the_send_s_reply_url(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, receiver: CallbackReceiver
) -> None:
    smsmode_sim.reply_callback_url = receiver.url("account")
    result = await gateway.send(
        SendRequest(
            recipients=("0612345678",),
            text="Venez-vous ? OUI/NON",
            replies_allowed=True,
            reply_url=receiver.url("send"),
            reference="rdv-12",
        )
    )
    response_id = await smsmode_sim.inject_reply("0612345678", "OUI | à 14h", result.message_id)

    [params] = receiver.calls
    reply = SmsmodeGateway.parse_callback(params)
    assert isinstance(reply, InboundMessage)
    assert (reply.message_id, reply.in_reply_to, reply.sender, reply.text) == (
        response_id,
        result.message_id,
        "+33612345678",
        "OUI | à 14h",
    )
    assert (reply.recipient, reply.reference) == ("36034", "rdv-12")
    assert reply.received_at is not None
    assert smsmode_sim.callbacks[-1].url.startswith(receiver.url("send"))


async def test_reply_callback_falls_back_to_the_account_setting(
    smsmode_sim: SmsmodeSimulator, receiver: CallbackReceiver
) -> None:
    smsmode_sim.reply_callback_url = receiver.url("account")
    await smsmode_sim.inject_reply("+33612345678", "Stop")
    [params] = receiver.calls
    reply = SmsmodeGateway.parse_callback(params)
    assert isinstance(reply, InboundMessage)
    assert reply.in_reply_to is None
    assert smsmode_sim.callbacks[-1].url.startswith(receiver.url("account"))


async def test_simulator_refuses_unknown_ids(smsmode_sim: SmsmodeSimulator) -> None:
    with pytest.raises(KeyError):
        await smsmode_sim.deliver("nope")
    with pytest.raises(KeyError):
        await smsmode_sim.inject_reply("0612345678", "x", "nope")
