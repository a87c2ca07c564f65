"""The simulator's own behaviour where the library never goes (XML, email+pass, control)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.simulator.sms123 import Sms123Simulator

from .conftest import Receiver

XML = "application/xml"
JSON = "application/json"


async def _post(
    session: aiohttp.ClientSession,
    sim: Sms123Simulator,
    path: str,
    body: str | bytes | dict[str, object],
    content_type: str = JSON,
) -> str:
    if isinstance(body, dict):
        async with session.post(f"{sim.base_url}{path}", json=body) as response:
            return await response.text()
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type}
    async with session.post(f"{sim.base_url}{path}", data=data, headers=headers) as response:
        return await response.text()


def _creds(sim: Sms123Simulator) -> dict[str, object]:
    return {"user": sim.user, "cleAPI": sim.api_key}


async def test_xml_body(session: aiohttp.ClientSession, sim: Sms123Simulator) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><sms>'
        f"<email>\n{sim.user}\n</email><pass>{sim.password}</pass>"
        "<numero>0612345678</numero><message>Bonjour</message></sms>"
    )

    answer = await _post(session, sim, "/api/send/", xml, XML)

    assert answer.startswith("80 ")
    assert sim.messages[0].number == "33612345678"
    assert await _post(session, sim, "/api/solde/", xml, XML) == "499"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("not json", JSON),
        ("[1, 2]", JSON),
        ("<sms><oops></sms>", XML),
        ("<other/>", XML),
        ("user=a&cleAPI=b", "application/x-www-form-urlencoded"),
    ],
)
async def test_unreadable_body(
    session: aiohttp.ClientSession, sim: Sms123Simulator, body: str, content_type: str
) -> None:
    assert await _post(session, sim, "/api/send/", body, content_type) == "-1"
    assert await _post(session, sim, "/api/solde/", body, content_type) == "-1"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email": "", "pass": "x"}, "87"),
        ({"email": "client@example.fr", "pass": ""}, "88"),
        ({"email": "client@example.fr", "pass": "wrong"}, "82"),
        ({"user": "client@example.fr", "cleAPI": "cle-api-secrete"}, "89"),
    ],
)
async def test_send_credentials(
    session: aiohttp.ClientSession, sim: Sms123Simulator, fields: dict[str, object], code: str
) -> None:
    assert await _post(session, sim, "/api/send/", fields) == code


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"numero": "0612345678", "message": "x", "flash": "yes"}, "-1"),
        ({"numero": "0612345678", "message": "x", "diff": "2501"}, "85"),
        ({"numero": "0612345678", "message": "x", "diff": "996112202099"}, "85"),
        ({"numero": "12", "message": "x"}, "84"),
        ({"numero": "+33612345678", "message": "x", "diff": "120001012099s"}, "95"),
        ({"numero": "0033612345678", "message": "x", "test": "o"}, "92"),
        ({"numero": "33140000000", "message": "x", "TTS": "o"}, "80"),
        ({"numero": 33612345678, "message": "x", "senderid": None}, "80"),
    ],
)
async def test_send_fields(
    session: aiohttp.ClientSession, sim: Sms123Simulator, fields: dict[str, object], code: str
) -> None:
    answer = await _post(session, sim, "/api/send/", {**_creds(sim), **fields})
    assert answer.split()[0] == code


async def test_without_delivery_reports_only_the_code(
    session: aiohttp.ClientSession, sim: Sms123Simulator
) -> None:
    sim.delivery_reports = False
    fields = {**_creds(sim), "numero": "0612345678", "message": "x", "diff": "120001012099"}

    assert await _post(session, sim, "/api/send/", fields) == "81"


async def test_deleted_send_can_be_scheduled_again(
    session: aiohttp.ClientSession, sim: Sms123Simulator
) -> None:
    fields = {**_creds(sim), "numero": "0612345678", "message": "x", "diff": "120001012099"}
    await _post(session, sim, "/api/send/", fields)
    assert await _post(session, sim, "/api/send/", {**fields, "diff": "120001012099s"}) == "94"

    assert (await _post(session, sim, "/api/send/", fields)).startswith("81")


async def test_not_enough_credit_for_every_part(
    session: aiohttp.ClientSession, sim: Sms123Simulator
) -> None:
    sim.credits = 1
    fields = {**_creds(sim), "numero": "0612345678", "message": "x" * 161}

    assert await _post(session, sim, "/api/send/", fields) == "83"


async def test_clock_moves_the_duplicate_window(session: aiohttp.ClientSession) -> None:
    moment = [datetime(2030, 1, 1, tzinfo=UTC)]
    sim = Sms123Simulator(now=lambda: moment[0])
    await sim.start()
    try:
        fields = {**_creds(sim), "numero": "0612345678", "message": "x"}
        assert (await _post(session, sim, "/api/send/", fields)).startswith("80")
        assert await _post(session, sim, "/api/send/", fields) == "91"
        moment[0] += timedelta(days=1)
        assert (await _post(session, sim, "/api/send/", fields)).startswith("80")
    finally:
        await sim.stop()


async def test_control_endpoints(
    session: aiohttp.ClientSession, sim: Sms123Simulator, receiver: Receiver
) -> None:
    async with session.post(
        f"{sim.base_url}/_sim/config",
        json={"credits": 10, "blocked_numbers": ["33612345679"], "long_sms_enabled": False},
    ) as response:
        assert response.status == 200
    assert (sim.credits, sim.blocked_numbers, sim.long_sms_enabled) == (10, {"33612345679"}, False)

    fields = {**_creds(sim), "numero": "0612345678", "message": "x"}
    reference = (await _post(session, sim, "/api/send/", fields)).split()[1]
    async with session.get(f"{sim.base_url}/_sim/state") as response:
        state = await response.json()
    assert state["credits"] == 9
    assert state["messages"][0]["reference"] == reference

    async with session.post(
        f"{sim.base_url}/_sim/deliver", json={"reference": reference, "erreur": "1"}
    ) as response:
        assert (await response.json())["status"] == 200
    async with session.post(f"{sim.base_url}/_sim/ping") as response:
        assert (await response.json())["body"] == "OK"
    assert receiver.calls == [{"erreur": "1", "refenvoi": reference, "gsm": "33612345678"}, {}]
    assert sim.requests_to("/_sim/state") == []  # control calls are not recorded


async def test_control_endpoints_without_callback_url(
    session: aiohttp.ClientSession, sim: Sms123Simulator
) -> None:
    async with session.post(f"{sim.base_url}/_sim/ping") as response:
        assert await response.json() is None
    async with session.post(f"{sim.base_url}/_sim/deliver", json={"reference": "x"}) as response:
        assert await response.json() is None


async def test_pending_automatic_reports_are_cancelled_on_stop(
    session: aiohttp.ClientSession,
) -> None:
    sim = Sms123Simulator(auto_deliver_after=30, callback_url="http://127.0.0.1:9/")
    await sim.start()
    fields = {**_creds(sim), "numero": "0612345678", "message": "x"}
    await _post(session, sim, "/api/send/", fields)
    assert sim._tasks

    await sim.stop()

    await asyncio.sleep(0)
    assert not sim._tasks
