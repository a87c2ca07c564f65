"""Webhook calls (configured in the customer area): delivery reports and replies."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.base import PARIS
from texto_gateway.errors import CallbackError
from texto_gateway.models import (
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    Provider,
    SendRequest,
)

from .conftest import ALICE, BOB, WebhookReceiver

REPORT = {
    "smsId": "2f1c5c1e-0000-4000-8000-000000000001",
    "phoneNumber": "33612345678",
    "campaignId": "C42",
    "status": "1",
    "statusText": "Delivered",
    "receptionDate": "2014-02-19 11:40:35",
}
REPLY = {
    "smsMoId": "mo-1",
    "message": "Oui, à demain",
    "phoneNumber": "33612345678",
    "campaignId": "C42",
    "smsId": "2f1c5c1e-0000-4000-8000-000000000001",
    "receptionDate": "2014-02-19 11:40:35",
}


def test_delivery_report() -> None:
    report = AllMySmsGateway.parse_callback(REPORT)

    assert report == DeliveryReport(
        provider=Provider.ALLMYSMS,
        message_id="C42",
        recipient=ALICE,
        status=DeliveryStatus.DELIVERED,
        provider_status="1",
        detail="Delivered",
        reported_at=datetime(2014, 2, 19, 11, 40, 35, tzinfo=PARIS),
        recipient_message_id=REPORT["smsId"],
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1", DeliveryStatus.DELIVERED),
        ("2", DeliveryStatus.FAILED),
        ("3", DeliveryStatus.PENDING),
        ("4", DeliveryStatus.FAILED),
        ("5", DeliveryStatus.FAILED),
        ("0", DeliveryStatus.UNKNOWN),
        ("42", DeliveryStatus.UNKNOWN),
        ("delivered", DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_codes(code: str, status: DeliveryStatus) -> None:
    report = AllMySmsGateway.parse_callback({**REPORT, "status": code})

    assert isinstance(report, DeliveryReport)
    assert (report.status, report.provider_status) == (status, code)


def test_reply() -> None:
    reply = AllMySmsGateway.parse_callback(REPLY)

    assert reply == InboundMessage(
        provider=Provider.ALLMYSMS,
        message_id="mo-1",
        sender=ALICE,
        text="Oui, à demain",
        received_at=datetime(2014, 2, 19, 11, 40, 35, tzinfo=PARIS),
        in_reply_to="C42",
    )


def test_keys_in_any_case_and_optional_fields() -> None:
    report = AllMySmsGateway.parse_callback(
        {"SMSID": "s1", "PhoneNumber": "+33612345678", "STATUS": "3"}
    )
    reply = AllMySmsGateway.parse_callback(
        {"smsmoid": "m", "MESSAGE": "", "phonenumber": "36180", "receptiondate": ""}
    )

    assert isinstance(report, DeliveryReport)
    assert (report.message_id, report.recipient, report.status) == (
        None,
        ALICE,
        DeliveryStatus.PENDING,
    )
    assert report.reported_at is None
    assert isinstance(reply, InboundMessage)
    assert (reply.sender, reply.text, reply.in_reply_to, reply.received_at) == (
        "36180",
        "",
        None,
        None,
    )


def test_iso_date_with_offset_kept() -> None:
    report = AllMySmsGateway.parse_callback(
        {**REPORT, "receptionDate": "2014-02-19T10:40:35+00:00"}
    )

    assert isinstance(report, DeliveryReport)
    assert report.reported_at == datetime(2014, 2, 19, 11, 40, 35, tzinfo=PARIS)


def test_empty_call_is_a_reachability_check() -> None:
    assert AllMySmsGateway.parse_callback({}) is None


@pytest.mark.parametrize(
    "params",
    [
        {"foo": "bar"},
        {k: v for k, v in REPORT.items() if k != "phoneNumber"},
        {**REPORT, "status": " "},
        {k: v for k, v in REPORT.items() if k not in ("smsId", "campaignId")},
        {**REPORT, "receptionDate": "19/02/2014 11:40"},
        {**REPORT, "receptionDate": "2014-02-30 11:40:35"},
        {k: v for k, v in REPLY.items() if k != "smsMoId"},
        {k: v for k, v in REPLY.items() if k != "message"},
        {k: v for k, v in REPLY.items() if k != "phoneNumber"},
        {**REPLY, "receptionDate": "demain"},
        {**REPLY, "message": None},
        {**REPLY, "receptionDate": 1392806435},
    ],
    ids=[
        "unknown",
        "report-no-phone",
        "report-blank-status",
        "report-no-ids",
        "report-bad-date",
        "report-impossible-date",
        "reply-no-id",
        "reply-no-message",
        "reply-no-phone",
        "reply-bad-date",
        "reply-null-message",
        "reply-date-as-number",
    ],
)
def test_malformed_calls(params: dict[str, object]) -> None:
    with pytest.raises(CallbackError) as caught:
        AllMySmsGateway.parse_callback(params)  # type: ignore[arg-type]

    assert "612345678" not in str(caught.value)
    assert "demain" not in str(caught.value)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.sampled_from(["1", "5", "33612345678", "2014-02-19 11:40:35", "", "+33612345678"]),
    st.lists(st.text(), max_size=2),
    st.dictionaries(st.text(), st.text(), max_size=2),
)
_keys = st.one_of(
    st.sampled_from(
        [
            "smsId",
            "smsid",
            "SMSID",
            "phoneNumber",
            "campaignId",
            "status",
            "statusText",
            "receptionDate",
            "smsMoId",
            "message",
        ]
    ),
    st.text(max_size=12),
    st.integers(),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=8))
def test_arbitrary_calls_raise_only_callback_error(params: dict[object, object]) -> None:
    try:
        parsed = AllMySmsGateway.parse_callback(params)  # type: ignore[arg-type]
    except CallbackError:
        return
    assert parsed is None or isinstance(parsed, DeliveryReport | InboundMessage)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {k: st.one_of(st.just(v), st.text(max_size=30)) for k, v in {**REPORT, **REPLY}.items()}
    )
)
def test_nearly_valid_calls_raise_only_callback_error(params: dict[str, str]) -> None:
    with contextlib.suppress(CallbackError):
        AllMySmsGateway.parse_callback(params)


# --- end to end: the simulator calls the customer's webhook -----------------------------


async def test_simulator_posts_delivery_reports_to_the_webhook(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, webhook: WebhookReceiver
) -> None:
    allmysms_sim.webhook_url = webhook.url
    result = await allmysms.send(SendRequest(recipients=(ALICE, BOB), text="Bonjour"))

    await allmysms_sim.deliver(result.message_id, status=2)

    assert [call.method for call in allmysms_sim.callbacks] == ["POST", "POST"]
    reports = [AllMySmsGateway.parse_callback(params) for params in webhook.calls]
    assert all(isinstance(r, DeliveryReport) for r in reports)
    assert [(r.recipient, r.message_id, r.status) for r in reports] == [  # type: ignore[union-attr]
        (ALICE, result.message_id, DeliveryStatus.FAILED),
        (BOB, result.message_id, DeliveryStatus.FAILED),
    ]
    assert {r.recipient_message_id for r in reports} == set(result.recipient_ids.values())  # type: ignore[union-attr]


async def test_simulator_posts_replies_to_the_webhook(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, webhook: WebhookReceiver
) -> None:
    allmysms_sim.webhook_url = webhook.url
    result = await allmysms.send(SendRequest(recipients=(ALICE,), text="Bonjour"))

    mo_id = await allmysms_sim.inject_reply("33612345678", "Bien reçu")

    [params] = webhook.calls
    assert params["smsId"] == result.recipient_ids[ALICE]
    reply = AllMySmsGateway.parse_callback(params)
    assert isinstance(reply, InboundMessage)
    assert (reply.message_id, reply.sender, reply.text, reply.in_reply_to) == (
        mo_id,
        ALICE,
        "Bien reçu",
        result.message_id,
    )
