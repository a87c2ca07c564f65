"""The outbox: written before the first attempt, retried, expired, bounded, resumed.

Everything goes over real HTTP to the simulators; what they received is the ground truth
("delivered exactly once"). The outbox's clock, sleep and jitter are replaced where a test
needs time to pass without waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.texto import account as account_module
from custom_components.texto import outbox as outbox_module
from custom_components.texto.account import TextoAccount
from custom_components.texto.const import DOMAIN, EVENT_SEND_FAILED, SendState
from custom_components.texto.gateway.models import SendRequest
from custom_components.texto.outbox import Outbox, OutboxItem
from tests.simulator.allmysms import AllMySmsSimulator

from .common import ALICE, BOB, allmysms_entry, device_id_of, send_sms, set_up, stored_outbox

SEND_PATH = "/http/9.0/sendSms/"


def account_of(hass: HomeAssistant, entry_id: str) -> TextoAccount:
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    account: TextoAccount = entry.runtime_data
    return account


class VirtualTime:
    """A clock for the outbox: its sleeps pass at once and move the clock on."""

    def __init__(self) -> None:
        self.now = dt_util.utcnow()
        self.sleeps: list[float] = []
        #: called after each sleep (a test recovers the gateway there)
        self.after_sleep: Callable[[int], Awaitable[None]] | None = None

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.after_sleep is not None:
            await self.after_sleep(len(self.sleeps))
        await asyncio.sleep(0)


def run_on(outbox: Outbox, time: VirtualTime) -> None:
    """Drive ``outbox`` by ``time``, with the longest delay the jitter allows."""
    outbox.clock = time.clock
    outbox.sleep = time.sleep
    outbox.jitter = lambda low, high: high


class Parking:
    """A sleep that lasts until the worker is cancelled: items stay queued after a try."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.parked = 0
        self.all_parked = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.parked += 1
        if self.parked == self.expected:
            self.all_parked.set()
        await asyncio.Event().wait()

    async def wait(self) -> None:
        """Until every expected item failed its first try and sleeps."""
        async with asyncio.timeout(5):
            await self.all_parked.wait()


def texts(sim: AllMySmsSimulator) -> list[str]:
    return sorted(sms.text for sms in sim.messages)


# --- the answer of a send ------------------------------------------------------------------


async def test_a_quick_send_names_its_outbox_item_and_route(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    assert result["status"] == "sent"
    # how it went, and the account that carried it
    assert (result["route"], result["account"], result["account_name"]) == (
        "allmysms",
        entry.entry_id,
        entry.title,
    )
    assert result["message_id"] == allmysms_sim.messages[0].campaign_id
    item = account_of(hass, entry.entry_id).outbox.get(result["outbox_id"])
    assert item is not None
    assert (item.state, item.attempts) == (SendState.SENT, 1)
    await hass.async_block_till_done()
    last = hass.states.get("sensor.allmysms_demo_last_status")
    assert (last.attributes["route"], last.attributes["outbox_id"]) == (
        "allmysms",
        result["outbox_id"],
    )
    assert (last.attributes["account"], last.attributes["account_name"]) == (
        entry.entry_id,
        entry.title,
    )


async def test_wait_false_answers_queued_at_once_and_sends_later(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = account_of(hass, entry.entry_id)

    result = await send_sms(
        hass, entry.entry_id, recipients=["06 12 34 56 78"], message="Plus tard", wait=False
    )

    assert result["status"] == "queued"
    assert (result["message_id"], result["route"], result["account"]) == (None, None, None)
    assert result["billed_parts"] is None
    # what was validated is known already
    assert (result["recipients"], result["parts"], result["text"]) == ([ALICE], 1, "Plus tard")
    await account.outbox.async_drain()
    item = account.outbox.get(result["outbox_id"])
    assert item is not None
    assert item.state is SendState.SENT
    assert item.result is not None
    assert item.result.message_id == allmysms_sim.messages[0].campaign_id
    assert texts(allmysms_sim) == ["Plus tard"]
    await hass.async_block_till_done()
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "sent"


async def test_wait_gives_up_after_the_limit_and_the_outbox_goes_on(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "WAIT_LIMIT", 0.1)
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.fail_next("slow", path=SEND_PATH, delay=0.4)

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Lent")

    assert result["status"] == "queued"
    assert allmysms_sim.messages == []
    assert hass.states.get("sensor.allmysms_demo_outbox").state == "1"
    await account_of(hass, entry.entry_id).outbox.async_drain()
    await hass.async_block_till_done()
    assert texts(allmysms_sim) == ["Lent"]
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "sent"
    assert hass.states.get("sensor.allmysms_demo_outbox").state == "0"


async def test_notify_waits_for_the_outcome(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.fail_next("http_503", path=SEND_PATH)
    account = next(iter(hass.config_entries.async_entries(DOMAIN))).runtime_data
    time = VirtualTime()
    run_on(account.outbox, time)

    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.alice", "message": "Retenté"}, blocking=True
    )

    # the 503 said nothing was sent: tried again after the backoff, sent once
    assert texts(allmysms_sim) == ["Retenté"]
    assert len(allmysms_sim.requests_to(SEND_PATH)) == 2
    assert time.sleeps == [1.0]


# --- retries ---------------------------------------------------------------------------------


async def test_retries_back_off_exponentially_until_the_gateway_is_back(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = account_of(hass, entry.entry_id)
    time = VirtualTime()
    run_on(account.outbox, time)

    async def recover(sleeps: int) -> None:
        if sleeps == 8:
            await allmysms_sim.accept_connections()

    time.after_sleep = recover
    await allmysms_sim.refuse_connections()

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Enfin", wait=False)
    await account.outbox.async_drain()

    # full jitter: each delay is drawn in [0, min(60, 2**n)] (here its upper bound)
    assert time.sleeps == [1, 2, 4, 8, 16, 32, 60, 60]
    assert texts(allmysms_sim) == ["Enfin"]
    item = account.outbox.get(result["outbox_id"])
    assert item is not None
    assert (item.state, item.attempts) == (SendState.SENT, 9)


async def test_retry_after_is_a_minimum(hass: HomeAssistant) -> None:
    outbox = Outbox.__new__(Outbox)
    outbox.jitter = lambda low, high: low

    assert outbox.backoff(1, None) == 0
    assert outbox.backoff(3, 7.5) == 7.5
    outbox.jitter = lambda low, high: high
    assert outbox.backoff(3, 2.0) == 4
    assert outbox.backoff(30, None) == outbox_module.BACKOFF_CAP


# --- expiry and the user told ----------------------------------------------------------------


async def test_an_alert_older_than_the_maximum_age_expires_and_is_reported(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_client: ClientSessionGenerator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"max_age": 2}))
    account = account_of(hass, entry.entry_id)
    time = VirtualTime()
    run_on(account.outbox, time)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    await allmysms_sim.refuse_connections()

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(
            hass, entry.entry_id, recipients=[ALICE], message="Trop tard", reference="alarm-1"
        )

    assert raised.value.translation_key == "send_expired"
    assert raised.value.translation_placeholders == {"minutes": "2"}
    # 1 + 2 + 4 + 8 + 16 + 32 = 63 s, then 57 s to reach the two minutes: not sent late
    assert time.sleeps == [1, 2, 4, 8, 16, 32, 57]
    await allmysms_sim.accept_connections()
    assert allmysms_sim.messages == []
    [event] = failed
    outbox_id = event.data["outbox_id"]
    assert event.data == {
        "entry_id": entry.entry_id,
        "outbox_id": outbox_id,
        "message_id": None,
        "recipients": [ALICE],
        "reason": "expired",
        "attempts": 7,
        "final_status": "expired",
        "reference": "alarm-1",
        # one recipient Texto knows: Alice's device
        "device_id": device_id_of(hass, entry, ALICE),
        # the way its last attempt tried: the account's API
        "route": "allmysms",
        "account": entry.entry_id,
        "account_name": entry.title,
    }
    await hass.async_block_till_done()
    last = hass.states.get("sensor.allmysms_demo_last_status")
    assert last is not None
    assert last.state == "expired"
    # the way it tried, as the event says it
    assert (last.attributes["route"], last.attributes["account_name"]) == ("allmysms", entry.title)

    notification = hass.data["persistent_notification"][f"{DOMAIN}_{outbox_id}"]
    assert notification["title"] == "AllMySMS (demo): an SMS expired unsent"
    assert outbox_id in notification["message"]
    assert "7 attempt(s)" in notification["message"]
    # no number and no text in a notification
    for private in ("612345678", "Trop tard"):
        assert private not in notification["message"] + notification["title"]

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["outbox"]["waiting"] == 0
    assert diagnostics["outbox"]["by_status"]["expired"] == 1
    assert "Trop tard" not in repr(diagnostics)


async def test_the_notification_is_in_the_user_language(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    hass.config.language = "fr"
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.force_status = 117  # a definitive refusal

    with pytest.raises(HomeAssistantError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    [notification] = hass.data["persistent_notification"].values()
    assert notification["title"] == "AllMySMS (demo) : un SMS n'a pas pu être envoyé"
    assert "InvalidRequestError" in notification["message"]


# --- bounded -----------------------------------------------------------------------------------


async def test_a_full_outbox_refuses_the_next_send(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "MAX_WAITING", 3)
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = account_of(hass, entry.entry_id)
    parking = Parking(3)
    account.outbox.sleep = parking.sleep
    await allmysms_sim.refuse_connections()
    for number in range(3):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"{number}", wait=False)
    await parking.wait()

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[BOB], message="De trop", wait=False)

    assert raised.value.translation_key == "outbox_full"
    assert raised.value.translation_placeholders == {"capacity": "3"}
    # what was refused is not in the outbox: three wait, all queued for their next try
    state = hass.states.get("sensor.allmysms_demo_outbox")
    assert state.state == "3"
    assert state.attributes["queued"] == 3
    assert state.attributes["sending"] == 0
    assert isinstance(state.attributes["oldest_age"], int)
    assert [item.request.text for item in account.outbox.items] == ["0", "1", "2"]


# --- restarts ----------------------------------------------------------------------------------


async def test_twenty_queued_survive_a_restart_and_go_out_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = account_of(hass, entry.entry_id)
    parking = Parking(20)
    account.outbox.sleep = parking.sleep
    await allmysms_sim.refuse_connections()
    for number in range(20):
        result = await send_sms(
            hass, entry.entry_id, recipients=[ALICE], message=f"Alerte {number}", wait=False
        )
        assert result["status"] == "queued"
    await parking.wait()

    # Home Assistant stops: the workers stop, the outbox is written
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = stored_outbox(hass, entry.entry_id)
    assert len(stored) == 20
    assert {item["state"] for item in stored} == {"queued"}
    assert allmysms_sim.messages == []

    # ... and starts again with the gateway back
    await allmysms_sim.accept_connections()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await account_of(hass, entry.entry_id).outbox.async_drain()

    assert texts(allmysms_sim) == sorted(f"Alerte {number}" for number in range(20))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.allmysms_demo_outbox").state == "0"
    assert hass.states.get("sensor.allmysms_demo_outbox").attributes["sent"] == 20


async def test_home_assistant_stopping_writes_what_waits(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    account = account_of(hass, entry.entry_id)
    parking = Parking(3)
    account.outbox.sleep = parking.sleep
    await allmysms_sim.refuse_connections()
    for number in range(3):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"{number}", wait=False)
    await parking.wait()

    await hass.async_stop(force=True)

    stored = stored_outbox(hass, entry.entry_id)
    assert sorted(item["request"]["text"] for item in stored) == ["0", "1", "2"]
    assert {item["state"] for item in stored} == {"queued"}


def stored_item(entry_id: str, state: SendState, created_at: datetime) -> dict[str, Any]:
    item = OutboxItem(
        outbox_id="0123456789abcdef0123456789abcdef",
        entry_id=entry_id,
        created_at=created_at,
        request=SendRequest(recipients=(ALICE,), text="D'avant", reference="before"),
        state=state,
        attempts=1,
    )
    return {"version": 2, "minor_version": 1, "key": "", "data": {"items": [item.to_dict()]}}


async def test_an_item_caught_sending_by_a_stop_is_never_resent_blindly(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = stored_item(
        entry.entry_id, SendState.SENDING, dt_util.utcnow()
    )
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await set_up(hass, entry)
    await account_of(hass, entry.entry_id).outbox.async_drain()

    # AllMySMS cannot say whether it went out: reported unknown, not sent again
    assert allmysms_sim.messages == []
    [event] = failed
    assert event.data["final_status"] == "unconfirmed"
    assert event.data["reference"] == "before"


async def test_an_item_queued_before_a_restart_is_sent_after_it(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = stored_item(
        entry.entry_id, SendState.QUEUED, dt_util.utcnow() - timedelta(minutes=5)
    )

    await set_up(hass, entry)
    await account_of(hass, entry.entry_id).outbox.async_drain()

    assert texts(allmysms_sim) == ["D'avant"]
    await hass.async_block_till_done()
    assert hass.states.get("sensor.allmysms_demo_outbox").attributes["sent"] == 1


async def test_an_item_too_old_after_a_restart_is_not_sent_late(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = stored_item(
        entry.entry_id, SendState.QUEUED, dt_util.utcnow() - timedelta(hours=2)
    )
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await set_up(hass, entry)
    await account_of(hass, entry.entry_id).outbox.async_drain()

    assert allmysms_sim.messages == []
    [event] = failed
    assert (event.data["final_status"], event.data["reason"]) == ("expired", "expired")


async def test_an_item_the_gateway_now_refuses_to_check_fails_and_is_reported(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    """Queued before a restart; since then the sender it names is no longer allowed."""
    entry = allmysms_entry(allmysms_sim)
    stored = stored_item(entry.entry_id, SendState.QUEUED, dt_util.utcnow())
    stored["data"]["items"][0]["request"]["sender"] = "Trop long pour un émetteur"
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = stored
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await set_up(hass, entry)
    await account_of(hass, entry.entry_id).outbox.async_drain()

    assert allmysms_sim.messages == []
    [event] = failed
    assert event.data["final_status"] == "failed"
    assert event.data["reason"] == "InvalidSenderError"


async def test_a_bug_before_any_request_left_ends_failed_and_is_reported(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    with (
        patch.object(account_module, "async_attempt", side_effect=RuntimeError("bug")),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    # no request had been written: certainly not sent
    assert raised.value.translation_key == "send_internal_error"
    [event] = failed
    assert (event.data["final_status"], event.data["reason"]) == ("failed", "internal_error")
    assert allmysms_sim.messages == []
    assert "failed unexpectedly" in caplog.text


async def test_a_bug_after_the_request_left_ends_unconfirmed(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    gateway = account_of(hass, entry.entry_id).gateway
    send = gateway.send

    async def send_then_fail(request: Any) -> Any:
        await send(request)
        raise RuntimeError("bug")

    with (
        patch.object(gateway, "send", send_then_fail),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    # the request had gone: whatever came of it is unknown, never tried again
    assert raised.value.translation_key == "send_unconfirmed"
    [event] = failed
    assert (event.data["final_status"], event.data["reason"]) == ("unconfirmed", "internal_error")
    assert len(allmysms_sim.messages) == 1
