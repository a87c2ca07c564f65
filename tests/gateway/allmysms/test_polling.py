"""getAcks, getPulls and getPullBySmsId: reports and replies by polling."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.base import PARIS
from texto_gateway.errors import (
    AuthenticationError,
    NotFoundError,
    UnexpectedResponseError,
)
from texto_gateway.models import DeliveryStatus, Provider, SendRequest

from .conftest import ALICE, BOB, form_of


async def send(gateway: AllMySmsGateway, *numbers: str, reference: str | None = None) -> str:
    result = await gateway.send(
        SendRequest(recipients=numbers or (ALICE,), text="Bonjour", reference=reference)
    )
    return result.message_id


async def test_no_report_yet(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    campaign_id = await send(allmysms)

    assert await allmysms.fetch_delivery_reports(campaign_id) == []
    call = allmysms_sim.requests[-1]
    assert call.path == "/http/9.0/getAcks/"
    assert form_of(call)["campId"] == campaign_id


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, DeliveryStatus.DELIVERED),
        (2, DeliveryStatus.FAILED),
        (3, DeliveryStatus.PENDING),
        (4, DeliveryStatus.FAILED),
        (5, DeliveryStatus.FAILED),
        (9, DeliveryStatus.UNKNOWN),
    ],
)
async def test_delivery_reports(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    code: int,
    status: DeliveryStatus,
) -> None:
    campaign_id = await send(allmysms, ALICE, BOB, reference="ref-7")
    await allmysms_sim.deliver(campaign_id, status=code)

    reports = await allmysms.fetch_delivery_reports(campaign_id)

    assert [r.recipient for r in reports] == [ALICE, BOB]
    sms_ids = {sms.number: sms.sms_id for sms in allmysms_sim.messages}
    for report in reports:
        assert report.provider is Provider.ALLMYSMS
        assert report.message_id == campaign_id
        assert report.status is status
        assert report.provider_status == str(code)
        assert report.reference == "ref-7"
        assert report.reported_at is not None
        assert report.reported_at.tzinfo is PARIS
        assert report.recipient_message_id == sms_ids[report.recipient.lstrip("+")]  # type: ignore[union-attr]


async def test_reports_read_tolerantly(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed",
        body=(
            '{"acks": [{"phoneNumber": "33612345678", "status": 1, "comment": "Delivered",'
            ' "receptionDate": "2014-02-19 11:40:35"},'
            ' {"phoneNumber": "36180", "statut": "x", "receptionDate": "hier"}, 7, {}]}'
        ),
    )

    first, second, third = await allmysms.fetch_delivery_reports("C1")

    assert first.status is DeliveryStatus.DELIVERED
    assert first.detail == "Delivered"
    assert first.reported_at == datetime(2014, 2, 19, 11, 40, 35, tzinfo=PARIS)
    assert first.reference is None
    assert (second.recipient, second.status, second.reported_at) == (
        "36180",
        DeliveryStatus.UNKNOWN,
        None,
    )
    assert (third.recipient, third.provider_status) == (None, "")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"status": "102", "statusText": "x"}', AuthenticationError),
        ('{"acks": "none"}', UnexpectedResponseError),
        ('{"status": "1"}', UnexpectedResponseError),
        ("<xml/>", UnexpectedResponseError),
    ],
)
async def test_report_errors(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str, error: type
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(error):
        await allmysms.fetch_delivery_reports("C1")


async def test_replies_are_read_once(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    campaign_id = await send(allmysms, ALICE, BOB)
    first = await allmysms_sim.inject_reply("33612345678", "Oui merci")
    second = await allmysms_sim.inject_reply("0698765432", "Non", campaign_id=campaign_id)

    replies = await allmysms.fetch_replies()

    assert [(r.message_id, r.sender, r.text) for r in replies] == [
        (first, ALICE, "Oui merci"),
        (second, BOB, "Non"),
    ]
    assert {r.in_reply_to for r in replies} == {campaign_id}
    assert all(r.provider is Provider.ALLMYSMS and r.received_at for r in replies)
    assert allmysms_sim.requests[-1].path == "/http/9.0/getPulls/"
    assert await allmysms.fetch_replies() == []


async def test_reply_from_an_unknown_number(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms_sim.inject_reply("+33698765432", "Qui est-ce ?")

    [reply] = await allmysms.fetch_replies()

    assert (reply.sender, reply.in_reply_to) == (BOB, None)


async def test_replies_read_tolerantly(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed",
        body=(
            '{"mos": [{"phoneNumber": 33612345678, "smsMoId": "m1", "message": 42,'
            ' "campaignId": 7, "receptionDate": "2014-13-45"}, {}, null]}'
        ),
    )

    first, second = await allmysms.fetch_replies()

    assert (first.message_id, first.sender, first.text) == ("m1", ALICE, "42")
    assert (first.in_reply_to, first.received_at) == ("7", None)
    # a reply is read only once: even an odd one is kept, with an id of ours
    assert second.message_id.startswith("local-")
    assert (second.sender, second.text) == ("", "")


async def test_replies_errors(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    allmysms_sim.fail_next("malformed", body='{"status": "118"}')
    with pytest.raises(AuthenticationError):
        await allmysms.fetch_replies()

    allmysms_sim.fail_next("malformed", body='{"mos": {}}')
    with pytest.raises(UnexpectedResponseError):
        await allmysms.fetch_replies()


async def test_reply_by_sms_id(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    result = await allmysms.send(SendRequest(recipients=(ALICE,), text="Venez-vous ?"))
    await allmysms_sim.inject_reply("33612345678", "Oui")

    reply = await allmysms.get_reply(result.recipient_ids[ALICE])

    assert (reply.sender, reply.text, reply.in_reply_to) == (ALICE, "Oui", result.message_id)
    assert reply.message_id == result.recipient_ids[ALICE]
    call = allmysms_sim.requests[-1]
    assert call.path == "/http/9.0/getPullBySmsId/"
    assert form_of(call)["smsId"] == result.recipient_ids[ALICE]
    # not consumed: getPulls still has it
    assert len(await allmysms.fetch_replies()) == 1


async def test_no_reply_for_that_sms(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    with pytest.raises(NotFoundError):
        await allmysms.get_reply("00000000-0000-0000-0000-000000000000")

    allmysms_sim.fail_next("malformed", body='{"status": "102"}')
    with pytest.raises(AuthenticationError):
        await allmysms.get_reply("x")
