"""The simulator itself: checks the seed describes, reached with hand-made requests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator.allmysms import AllMySmsSimulator, has_stop_mention
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.models import SendRequest

from .conftest import ALICE, API_KEY, LOGIN, WebhookReceiver

URL = "/http/9.0/sendSms/"


async def post(
    session: aiohttp.ClientSession,
    simulator: AllMySmsSimulator,
    path: str = URL,
    *,
    data: dict[str, Any] | None = None,
    sms_data: object = None,
    raw: str | None = None,
) -> dict[str, Any]:
    form = {"login": LOGIN, "apiKey": API_KEY, "returnformat": "json"}
    if sms_data is not None:
        form["smsData"] = json.dumps({"DATA": sms_data})
    if raw is not None:
        form["smsData"] = raw
    form.update(data or {})
    async with session.post(simulator.base_url + path, data=form) as response:
        answer: dict[str, Any] = await response.json()
        return answer


def sms(*numbers: str, text: str = "Bonjour", **extra: object) -> dict[str, object]:
    return {"MESSAGE": text, "SMS": [{"MOBILEPHONE": n} for n in numbers], **extra}


@pytest.mark.parametrize(
    ("sms_data", "raw", "status"),
    [
        (None, "", "105"),
        (None, "{not json", "106"),
        (None, '["DATA"]', "106"),
        ({"SMS": [{"MOBILEPHONE": "33612345678"}]}, None, "109"),
        (sms("33612345678", text="  "), None, "110"),
        (sms("33612345678", text="a" * 641), None, "111"),
        ({"MESSAGE": "x"}, None, "112"),
        ({"MESSAGE": "x", "SMS": [{"PHONE": "33612345678"}]}, None, "107"),
        (sms("33612345678", DATE="14/07/2030 10:00"), None, "115"),
        (sms("33612345678", DATE=20300714), None, "115"),
        (sms("+33612345678", "abc"), None, "114"),
    ],
)
async def test_send_refusals(
    allmysms_sim: AllMySmsSimulator,
    allmysms_session: aiohttp.ClientSession,
    sms_data: object,
    raw: str | None,
    status: str,
) -> None:
    answer = await post(allmysms_session, allmysms_sim, sms_data=sms_data, raw=raw)

    assert answer["status"] == status
    assert answer["statusText"]
    assert allmysms_sim.messages == []


async def test_national_and_international_numbers(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    answer = await post(
        allmysms_session, allmysms_sim, sms_data=sms("0612345678", "32470123456", "+33698765432")
    )

    assert answer["status"] == "113"
    assert answer["invalidNumbers"] == ["+33698765432"]
    assert [s.number for s in allmysms_sim.messages] == ["33612345678", "32470123456"]
    assert answer["nbContacts"] == 2
    assert answer["creditsUsed"] == 30


async def test_past_date_sends_at_once(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    answer = await post(
        allmysms_session, allmysms_sim, sms_data=sms("33612345678", DATE="2001-01-01 10:00:00")
    )

    assert answer["status"] == "100"
    assert allmysms_sim.messages[0].status == "sent"


async def test_get_query_and_xml_answer(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    params = {
        "login": LOGIN,
        "apiKey": API_KEY,
        "smsData": json.dumps({"DATA": sms("33612345678")}),
    }
    async with allmysms_session.get(
        allmysms_sim.base_url + "/http/9.0/sendSms", params=params
    ) as r:
        body = await r.text()

    assert r.content_type == "application/xml"
    assert "<status>100</status>" in body
    assert len(allmysms_sim.messages) == 1


async def test_other_methods_are_refused(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    async with allmysms_session.put(allmysms_sim.base_url + URL) as response:
        assert response.status == 405


async def test_getinfo_needs_the_right_key(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    answer = await post(allmysms_session, allmysms_sim, "/http/9.0/getInfo/", data={"apiKey": "x"})

    assert answer["status"] == 102


def test_stop_mention_rule() -> None:
    assert has_stop_mention("Bonjour STOP au 36180")
    assert has_stop_mention("Bonjour\nSTOP au 36180  ")
    assert has_stop_mention("STOP au 36180")
    assert not has_stop_mention("BonjourSTOP au 36180")
    assert not has_stop_mention("STOP au 36180 merci")


async def test_sender_outside_france_is_kept(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    await post(allmysms_session, allmysms_sim, sms_data=sms("32470123456", TPOA="Maison"))

    assert allmysms_sim.messages[0].sender_used == "Maison"


async def test_get_pulls_limit(
    allmysms_sim: AllMySmsSimulator, allmysms_session: aiohttp.ClientSession
) -> None:
    for text in ("un", "deux", "trois"):
        await allmysms_sim.inject_reply("33612345678", text)

    first = await post(allmysms_session, allmysms_sim, "/http/9.0/getPulls/", data={"limit": "2"})
    rest = await post(allmysms_session, allmysms_sim, "/http/9.0/getPulls/", data={"limit": "x"})

    assert [mo["message"] for mo in first["mos"]] == ["un", "deux"]
    assert [mo["message"] for mo in rest["mos"]] == ["trois"]


# --- Mail2SMS hand-over ----------------------------------------------------------------


async def test_record_mail2sms(allmysms_sim: AllMySmsSimulator) -> None:
    campaign_id = allmysms_sim.record_mail2sms(
        numbers=["0612345678", "33698765432"],
        text="a" * 200,
        sender="MAGASIN",
        date=None,
        low_cost=True,
    )

    assert [s.number for s in allmysms_sim.messages] == ["33612345678", "33698765432"]
    assert {s.campaign_id for s in allmysms_sim.messages} == {campaign_id}
    assert all(s.via == "mail2sms" and s.low_cost and s.parts == 2 for s in allmysms_sim.messages)
    assert allmysms_sim.messages[0].sender_used == "36180"  # no STOP mention
    assert allmysms_sim.credits == 15000 - 2 * 2 * 15


async def test_record_mail2sms_scheduled(allmysms_sim: AllMySmsSimulator) -> None:
    later = allmysms_sim.record_mail2sms(
        numbers=["33612345678"], text="x", sender=None, date="2099-01-01 10:00:00", low_cost=False
    )
    odd = allmysms_sim.record_mail2sms(
        numbers=["33612345678"], text="x", sender=None, date="demain", low_cost=False
    )

    assert allmysms_sim.campaigns[later].scheduled
    assert not allmysms_sim.campaigns[odd].scheduled


# --- deliveries and the demo's control endpoints -----------------------------------------


async def test_automatic_delivery(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, webhook: WebhookReceiver
) -> None:
    allmysms_sim.auto_deliver_after = 0.01
    allmysms_sim.webhook_url = webhook.url

    result = await allmysms.send(SendRequest(recipients=(ALICE,), text="x"))
    for _ in range(100):
        if webhook.calls:
            break
        await asyncio.sleep(0.01)

    assert webhook.calls[0]["status"] == "1"
    [report] = await allmysms.fetch_delivery_reports(result.message_id)
    assert report.recipient == ALICE


async def test_pending_automatic_delivery_is_cancelled_on_stop() -> None:
    simulator = AllMySmsSimulator(auto_deliver_after=60)
    await simulator.start()
    simulator.record_mail2sms(
        numbers=["33612345678"], text="x", sender=None, date=None, low_cost=False
    )

    await simulator.stop()

    assert simulator.acks == []


async def test_deliver_a_scheduled_campaign_then_no_cancel(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    campaign_id = allmysms_sim.record_mail2sms(
        numbers=["33612345678"], text="x", sender=None, date="2099-01-01 10:00:00", low_cost=False
    )
    await allmysms_sim.deliver(campaign_id)

    assert allmysms_sim.messages[0].status == "sent"
    assert not allmysms_sim.campaigns[campaign_id].scheduled


async def test_cancelled_campaign_cannot_be_delivered(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    from datetime import UTC, datetime

    result = await allmysms.send(
        SendRequest(recipients=(ALICE,), text="x", send_at=datetime(2099, 1, 1, tzinfo=UTC))
    )
    await allmysms.cancel(result)

    with pytest.raises(ValueError, match="cancelled"):
        await allmysms_sim.deliver(result.message_id)


async def test_control_endpoints(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    allmysms_session: aiohttp.ClientSession,
) -> None:
    result = await allmysms.send(SendRequest(recipients=(ALICE,), text="x"))
    base = allmysms_sim.base_url
    recorded = len(allmysms_sim.requests)

    async with allmysms_session.post(
        f"{base}/_sim/deliver", data={"campaign_id": result.message_id, "status": "3"}
    ) as response:
        assert await response.json() == {"acks": 1}
    async with allmysms_session.post(
        f"{base}/_sim/deliver", data={"campaign_id": "nope"}
    ) as response:
        assert response.status == 404
    async with allmysms_session.post(
        f"{base}/_sim/reply",
        data={"phone": "+33612345678", "text": "Oui", "campaign_id": result.message_id},
    ) as response:
        mo_id = (await response.json())["smsMoId"]
    async with allmysms_session.post(
        f"{base}/_sim/reply", data={"phone": "0612345678", "text": "Encore"}
    ) as response:
        assert response.status == 200
    async with allmysms_session.get(f"{base}/_sim/state") as response:
        state = await response.json()

    assert allmysms_sim.acks[0].status == 3
    assert allmysms_sim.replies[0].mo_id == mo_id
    assert state["messages"] == 1
    assert state["pending_replies"] == 2
    assert state["campaigns"][result.message_id]["numbers"] == ["33612345678"]
    assert len(allmysms_sim.requests) == recorded  # control calls are not gateway traffic
