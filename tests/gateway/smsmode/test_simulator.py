"""The smsmode simulator itself: it refuses what the real gateway would, and drives the demo."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.simulator.smsmode import DELETE, SEND, VOICE, SmsmodeSimulator

from .conftest import TOKEN, CallbackReceiver

VALID = {"accessToken": TOKEN, "message": "Hello", "numero": "0612345678"}


async def post(
    session: aiohttp.ClientSession, sim: SmsmodeSimulator, path: str, form: dict[str, str]
) -> str:
    async with session.post(f"{sim.base_url}{path}", data=form) as response:
        return await response.text()


@pytest.mark.parametrize(
    "changes",
    [
        {"accessToken": ""},
        {"message": ""},
        {"numero": ""},
        {"numero": "0612345678,hello"},
        {"classe_msg": "7"},
        {"classe_msg": "4", "emetteur": "Shop"},
        {"emetteur": "ABCDEFGHIJKL"},
        {"emetteur": "Ma Boutique"},
        {"emetteur": "0612345678"},
        {"nbr_msg": "0"},
        {"nbr_msg": "deux"},
        {"date_envoi": "2030-07-14 12:30"},
        {"refClient": "r" * 41},
    ],
)
async def test_send_refusals(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession, changes: dict[str, str]
) -> None:
    answer = await post(http_session, smsmode_sim, SEND, {**VALID, **changes})
    assert answer.startswith("35 | ")
    assert smsmode_sim.messages == []


async def test_get_is_limited_to_300_numbers(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    numbers = ",".join(f"0612{index:06d}" for index in range(301))
    params = {**VALID, "numero": numbers}
    async with http_session.get(f"{smsmode_sim.base_url}{SEND}", params=params) as response:
        assert (await response.text()).startswith("35 | ")
    assert (await post(http_session, smsmode_sim, SEND, params)).startswith("0 | ")
    assert len(smsmode_sim.messages) == 301


@pytest.mark.parametrize(
    ("changes", "suffix"),
    [
        ({"stop": "1", "message": "s" * 149}, "\nSTOP 36034"),
        ({"stop": "1", "message": "s" * 150}, ""),
        ({"stop": "2", "message": "s" * 150}, "\nSTOP 36034"),
        ({"stop": "2", "numero": "+447911123456"}, "\nno-sms.eu"),
        ({"stop": "3"}, ""),
    ],
)
async def test_stop_rules(
    smsmode_sim: SmsmodeSimulator,
    http_session: aiohttp.ClientSession,
    changes: dict[str, str],
    suffix: str,
) -> None:
    form = {**VALID, **changes}
    assert (await post(http_session, smsmode_sim, SEND, form)).startswith("0 | ")
    assert smsmode_sim.messages[0].text == form["message"] + suffix


async def test_voice_refusals_and_defaults(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    answer = await post(http_session, smsmode_sim, VOICE, {**VALID, "language": "it-IT"})
    assert answer.startswith("35 | ")
    answer = await post(http_session, smsmode_sim, VOICE, {**VALID, "numero": "x"})
    assert answer.startswith("35 | ")
    answer = await post(http_session, smsmode_sim, VOICE, {**VALID, "title": "Société"})
    assert answer.startswith("0 | ")
    [message] = smsmode_sim.messages
    assert (message.voice, message.language, message.classe_msg) == (True, "fr-FR", None)


async def test_delete_of_an_unknown_number(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    form = {"accessToken": TOKEN, "numero": "0612345678"}
    assert (await post(http_session, smsmode_sim, DELETE, form)).startswith("61 | ")


async def test_control_endpoints_drive_replies_and_reports(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession, receiver: CallbackReceiver
) -> None:
    form = {**VALID, "notification_url": receiver.url("dlr")}
    sms_id = (await post(http_session, smsmode_sim, SEND, form)).split(" | ")[2]

    answer = await post(http_session, smsmode_sim, "/_sim/deliver", {"sms_id": sms_id})
    assert answer == "ok"
    assert receiver.calls[-1]["statut"] == "11"
    assert smsmode_sim.messages[0].status == 11
    reply = {"phone": "0612345678", "text": "Merci", "sms_id": sms_id}
    response_id = await post(http_session, smsmode_sim, "/_sim/reply", reply)
    assert smsmode_sim.replies[0].response_id == response_id
    assert smsmode_sim.replies[0].sms_id == sms_id

    unknown = {"phone": "0612345678", "text": "x", "sms_id": "nope"}
    async with http_session.post(f"{smsmode_sim.base_url}/_sim/reply", data=unknown) as response:
        assert response.status == 404
    async with http_session.post(
        f"{smsmode_sim.base_url}/_sim/deliver", data={"sms_id": "nope"}
    ) as response:
        assert response.status == 404
    assert all(not r.path.startswith("/_sim/") for r in smsmode_sim.requests)


async def test_auto_delivery_for_the_demo(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession, receiver: CallbackReceiver
) -> None:
    smsmode_sim.auto_deliver_after = 0.01
    form = {**VALID, "notification_url": receiver.url("dlr")}
    assert (await post(http_session, smsmode_sim, SEND, form)).startswith("0 | ")
    for _ in range(100):
        if receiver.calls:
            break
        await asyncio.sleep(0.01)
    assert receiver.calls[0]["statut"] == "11"


async def test_stopping_cancels_pending_auto_deliveries(
    http_session: aiohttp.ClientSession,
) -> None:
    sim = SmsmodeSimulator(access_token=TOKEN, auto_deliver_after=60)
    await sim.start()
    try:
        assert (await post(http_session, sim, SEND, VALID)).startswith("0 | ")
    finally:
        await sim.stop()
    assert sim.messages[0].status == 0


async def test_a_declared_charset_wins(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    body = f"accessToken={TOKEN}&message=Caf%C3%A9&numero=0612345678"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    url = f"{smsmode_sim.base_url}{SEND}"
    async with http_session.post(url, data=body, headers=headers) as response:
        assert (await response.text()).startswith("0 | ")
    assert smsmode_sim.messages[0].text == "Café"
    assert smsmode_sim.encoding_violations == []
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-15"}
    async with http_session.post(url, data=body, headers=headers) as response:
        assert (await response.text()).startswith("0 | ")
    assert smsmode_sim.encoding_violations == ["CafÃ©"]
