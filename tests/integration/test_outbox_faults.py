"""Fault injection, end to end: what the simulated gateways really received.

Every send goes through ``texto.send_sms``; nothing on the gateway path is patched. The
ground truth is each simulator's ``messages`` (what the gateway accepted): every alert
must be there exactly once, or never twice and reported. Only the outbox's backoff and
the delay before a verification are shortened, so the tests stay fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.texto import delivery, outbox
from custom_components.texto.const import EVENT_SEND_FAILED, SendState
from custom_components.texto.outbox import Outbox
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.base import SimulatorBase
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    send_sms,
    set_up,
    short_read_timeout,
    sms123_entry,
    smsmode_entry,
    stored_outbox,
)

SEND_PATHS = {
    "allmysms": "/http/9.0/sendSms/",
    "smsmode": "/http/1.6/sendSMS.do",
    "sms123": "/api/send/",
}
ENTRIES: dict[str, Callable[..., MockConfigEntry]] = {
    "allmysms": allmysms_entry,
    "smsmode": smsmode_entry,
    "sms123": sms123_entry,
}


class _Sent(Protocol):
    text: str


@pytest.fixture(autouse=True)
def fast_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff in hundredths of a second; verify almost at once."""
    monkeypatch.setattr(outbox, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(outbox, "BACKOFF_CAP", 0.05)
    monkeypatch.setattr(delivery, "VERIFY_DELAY", 0.01)


@pytest.fixture
async def mail2sms_sim(allmysms_sim: AllMySmsSimulator) -> AsyncIterator[Mail2SmsSimulator]:
    sim = Mail2SmsSimulator(allmysms_sim)
    await sim.start()
    yield sim
    await sim.stop()


SIMULATORS: dict[str, Callable[[], SimulatorBase]] = {
    "allmysms": AllMySmsSimulator,
    "smsmode": SmsmodeSimulator,
    "sms123": Sms123Simulator,
}


@pytest.fixture
async def sim(request: pytest.FixtureRequest, socket_enabled: None) -> AsyncIterator[Any]:
    """The simulator of the provider the test is parametrized with."""
    started = SIMULATORS[request.param]()
    await started.start()
    yield started
    await started.stop()


def entry_on(sim: SimulatorBase, **kwargs: Any) -> MockConfigEntry:
    return ENTRIES[provider_of(sim)](sim, **kwargs)


def provider_of(sim: SimulatorBase) -> str:
    return next(name for name, kind in SIMULATORS.items() if isinstance(sim, kind))  # type: ignore[arg-type]


def delivered(sim: Any) -> Counter[str]:
    """How many times the gateway accepted each text."""
    messages: list[_Sent] = sim.messages
    return Counter(message.text for message in messages)


def outbox_of(entry: MockConfigEntry) -> Outbox:
    box: Outbox = entry.runtime_data.outbox
    return box


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until the outbox's state satisfies ``condition`` (it has no event to wait on)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling the outbox is the point
            await asyncio.sleep(0.01)


async def burst(hass: HomeAssistant, entry: MockConfigEntry, count: int) -> list[str]:
    """``count`` alerts (different texts) sent with ``wait: false``; their texts."""
    texts = [f"Alerte {index:02d}" for index in range(count)]
    responses = [
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=text, wait=False)
        for text in texts
    ]
    # not sent yet: queued, or its first attempt under way
    assert {response["status"] for response in responses} <= {"queued", "sending"}
    assert len({response["outbox_id"] for response in responses}) == count
    return texts


def states(box: Outbox) -> Counter[SendState]:
    return Counter(item.state for item in box.items)


# --- not sent: retried until delivered, exactly once -----------------------------------------


@pytest.mark.parametrize("sim", ["allmysms", "smsmode", "sms123"], indirect=True)
async def test_connection_refused_during_a_burst_then_recovery(
    hass: HomeAssistant, sim: Any
) -> None:
    entry = await set_up(hass, entry_on(sim))
    await sim.refuse_connections()

    texts = await burst(hass, entry, 50)
    box = outbox_of(entry)
    # every alert has been tried at least once against the closed port
    await until(lambda: all(item.attempts >= 1 for item in box.items))
    assert delivered(sim) == Counter()

    await sim.accept_connections()
    await box.async_drain()

    assert delivered(sim) == Counter(texts)
    assert states(box) == Counter({SendState.SENT: 50})
    assert {item.route for item in box.items} == {entry.entry_id}


@pytest.mark.parametrize("sim", ["allmysms", "smsmode", "sms123"], indirect=True)
async def test_gateway_down_when_home_assistant_starts(
    hass: HomeAssistant, sim: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The account is set up anyway: alerts wait in the outbox instead of being refused."""
    await sim.refuse_connections()
    entry = await set_up(hass, entry_on(sim))

    assert entry.state is ConfigEntryState.LOADED
    balance = [
        state
        for state in hass.states.async_all("sensor")
        if state.entity_id.endswith(("_credit", "_remaining_sms"))
    ]
    assert balance
    assert {state.state for state in balance} == {"unavailable"}
    [warning] = [
        r for r in caplog.records if r.levelno == logging.WARNING and "outbox" in r.message
    ]
    assert entry.title in warning.message
    texts = await burst(hass, entry, 5)
    box = outbox_of(entry)
    await until(lambda: all(item.attempts >= 1 for item in box.items))
    assert delivered(sim) == Counter()

    await sim.accept_connections()
    await box.async_drain()

    assert delivered(sim) == Counter(texts)
    assert states(box) == Counter({SendState.SENT: 5})
    # each accepted send asked for the balance: the sensors are back
    await hass.async_block_till_done()
    assert {hass.states.get(state.entity_id).state for state in balance} != {"unavailable"}


@pytest.mark.parametrize(
    ("sim", "fault"),
    [
        ("allmysms", "http_429"),
        ("allmysms", "http_503"),
        ("smsmode", "http_429"),
        ("smsmode", "http_503"),
        ("smsmode", "code_50"),
        ("sms123", "http_429"),
        ("sms123", "http_503"),
    ],
    indirect=["sim"],
)
async def test_unavailable_bursts_are_delivered_exactly_once(
    hass: HomeAssistant, sim: Any, fault: str
) -> None:
    entry = await set_up(hass, entry_on(sim))
    path = SEND_PATHS[provider_of(sim)]
    if fault == "code_50":
        # smsmode's own "50 | Temporairement inaccessible"
        sim.answer_next(50, path, count=30)
    else:
        sim.fail_next(fault, count=30, path=path)

    texts = await burst(hass, entry, 20)
    await outbox_of(entry).async_drain()

    assert delivered(sim) == Counter(texts)
    # 30 refusals, then one accepted request per alert: nothing was ever sent twice
    assert len(sim.requests_to(path)) == 30 + 20
    assert states(outbox_of(entry)) == Counter({SendState.SENT: 20})


async def test_wait_false_answers_queued_at_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    """The issue: "With `wait: false` it returns at once with `status: queued`"."""
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    response = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x", wait=False)

    assert response["status"] == "queued"
    await outbox_of(entry).async_drain()


# --- maybe sent: checked with the gateway, never resent blindly ----------------------------------


@pytest.mark.parametrize("fault", ["http_500", "slow_after_accept", "drop_after_accept"])
async def test_smsmode_finds_a_lost_answer_in_its_list_of_sends(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, fault: str
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    short_read_timeout(entry)
    smsmode_sim.fail_next(fault, count=3, path=SEND_PATHS["smsmode"], delay=1.0)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    texts = await burst(hass, entry, 3)
    box = outbox_of(entry)
    await box.async_drain()

    assert delivered(smsmode_sim) == Counter(texts)
    assert states(box) == Counter({SendState.SENT: 3})
    assert failed == []
    sends = smsmode_sim.requests_to(SEND_PATHS["smsmode"])
    if fault == "http_500":
        # the gateway never took them: not in its list, so sent again (once)
        assert len(sends) == 6
    else:
        # the gateway had them: found by the list, with the gateway's own id, never resent
        assert len(sends) == 3
        ids = {message.text: message.sms_id for message in smsmode_sim.messages}
        assert all(item.result is not None for item in box.items)
        assert {item.request.text: item.result.message_id for item in box.items} == ids  # type: ignore[union-attr]
    assert smsmode_sim.requests_to("/http/1.6/smsList.do")


@pytest.mark.parametrize("fault", ["http_500", "slow_after_accept", "drop_after_accept"])
async def test_sms123_identical_resend_tells_whether_it_went(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, fault: str
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    short_read_timeout(entry)
    sms123_sim.fail_next(fault, count=3, path=SEND_PATHS["sms123"], delay=1.0)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    texts = await burst(hass, entry, 3)
    box = outbox_of(entry)
    await box.async_drain()

    # each identical resend was answered 80 (it had not gone) or 91 (it had): once each
    assert delivered(sms123_sim) == Counter(texts)
    assert len(sms123_sim.requests_to(SEND_PATHS["sms123"])) == 6
    assert states(box) == Counter({SendState.SENT: 3})
    assert failed == []


async def test_sms123_refusal_that_may_be_about_an_earlier_alert_is_reported_unknown(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    """The same text went to the same number an hour ago: a 91 proves nothing then."""
    entry = await set_up(hass, sms123_entry(sms123_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    # the second alert's answer is an HTTP 500: nothing was processed, the outcome is unknown
    sms123_sim.fail_next("http_500", count=1, path=SEND_PATHS["sms123"])
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme", wait=False)
    await outbox_of(entry).async_drain()

    # the identical resend was refused (91) because of the first alert: not taken as sent
    assert delivered(sms123_sim) == Counter({"Alarme": 1})
    assert len(sms123_sim.requests_to(SEND_PATHS["sms123"])) == 3
    [event] = failed
    assert event.data["final_status"] == "unconfirmed"
    assert event.data["recipients"] == [ALICE]
    assert event.data["reason"] == "DuplicateRefusedError"


async def test_sms123_refusal_about_an_earlier_alert_leaves_only_that_number_unknown(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")
    sms123_sim.fail_next("http_500", count=2, path=SEND_PATHS["sms123"])
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alarme", wait=False)
    box = outbox_of(entry)
    await box.async_drain()

    # Bob's copy went with the check; Alice's 91 may be about the first alert
    assert sorted(sms.number for sms in sms123_sim.messages) == ["33612345678", "33698765432"]
    [event] = failed
    assert event.data["final_status"] == "unconfirmed"
    assert event.data["recipients"] == [ALICE]
    [item] = [item for item in box.items if item.state is SendState.UNCONFIRMED]
    assert item.result is not None
    assert item.result.recipients == (BOB,)


async def test_sms123_technical_error_is_checked_by_the_identical_resend(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.technical_errors = 1  # "-2": the gateway's own "maybe"

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Fuite d'eau")

    assert result["status"] == "sent"
    assert delivered(sms123_sim) == Counter({"Fuite d'eau": 1})


@pytest.mark.parametrize("fault", ["http_500", "slow_after_accept", "drop_after_accept"])
async def test_allmysms_cannot_tell_so_it_is_reported_unknown(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, fault: str
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    short_read_timeout(entry)
    allmysms_sim.fail_next(fault, count=3, path=SEND_PATHS["allmysms"], delay=1.0)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    texts = await burst(hass, entry, 3)
    box = outbox_of(entry)
    await box.async_drain()

    # never twice: one request each, and no resend
    assert len(allmysms_sim.requests_to(SEND_PATHS["allmysms"])) == 3
    expected = Counter() if fault == "http_500" else Counter(texts)
    assert delivered(allmysms_sim) == expected
    assert states(box) == Counter({SendState.UNCONFIRMED: 3})
    assert sorted(event.data["outbox_id"] for event in failed) == sorted(
        item.outbox_id for item in box.items
    )
    for event in failed:
        assert event.data["final_status"] == "unconfirmed"
        assert event.data["entry_id"] == entry.entry_id
        assert event.data["recipients"] == [ALICE]
        assert event.data["attempts"] == 1


async def test_the_resend_policy_sends_an_unconfirmed_alert_again_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    """At least once: the lost answer's alert goes again, by the same route, and only once."""
    options = {
        **mail2sms_options(mail2sms_sim, fallback="mail2sms"),
        "unconfirmed_policy": "resend",
        "daily_parts_cap": 10,
    }
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=options))
    short_read_timeout(entry)
    # the first answer is lost, and so is the resend's: no third try
    allmysms_sim.fail_next("slow_after_accept", count=2, path=SEND_PATHS["allmysms"], delay=1.0)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await burst(hass, entry, 1)
    box = outbox_of(entry)
    await box.async_drain()

    assert len(allmysms_sim.requests_to(SEND_PATHS["allmysms"])) == 2
    assert sum(delivered(allmysms_sim).values()) == 2  # it arrived twice, as the policy says
    assert mail2sms_sim.received == []  # never by the fallback
    assert states(box) == Counter({SendState.UNCONFIRMED: 1})
    [event] = failed
    assert event.data["attempts"] == 2


async def test_the_resend_policy_counts_a_delivered_resend_as_sent(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(
        hass, allmysms_entry(allmysms_sim, options={"unconfirmed_policy": "resend"})
    )
    short_read_timeout(entry)
    allmysms_sim.fail_next("slow_after_accept", count=1, path=SEND_PATHS["allmysms"], delay=1.0)

    await burst(hass, entry, 1)
    box = outbox_of(entry)
    await box.async_drain()

    assert sum(delivered(allmysms_sim).values()) == 2
    assert states(box) == Counter({SendState.SENT: 1})
    # both sends are billed, and counted against the daily cap
    assert entry.runtime_data.spending.used == 2


# --- failover ------------------------------------------------------------------------------------


def mail2sms_options(sim: Mail2SmsSimulator, **extra: str) -> dict[str, Any]:
    return {
        "route": "api",
        "smtp_host": sim.host,
        "smtp_port": sim.port,
        "smtp_security": "none",
        "smtp_sender": "maison@example.fr",
        **extra,
    }


async def test_api_down_fails_over_to_mail2sms(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    options = mail2sms_options(mail2sms_sim, fallback="mail2sms")
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=options))
    await allmysms_sim.refuse_connections()

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Intrusion")

    assert (result["status"], result["route"]) == ("sent", "mail2sms")
    assert (result["account"], result["account_name"]) == (entry.entry_id, entry.title)
    assert [send.text for send in mail2sms_sim.sends] == ["Intrusion"]
    assert delivered(allmysms_sim) == Counter({"Intrusion": 1})
    [item] = outbox_of(entry).items
    # the API had its retries first
    assert item.attempts == delivery.RETRIES_BEFORE_FAILOVER + 1
    last = hass.states.get("sensor.allmysms_demo_last_status")
    assert last is not None
    assert last.state == "sent"


async def sms123_fallback_of_smsmode(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """A 123-SMS account, and a smsmode account that falls back on it."""
    backup = await set_up(hass, sms123_entry(sms123_sim))
    primary = await set_up(hass, smsmode_entry(smsmode_sim, options={"fallback": backup.entry_id}))
    return primary, backup


async def test_gateway_down_fails_over_to_another_texto_account(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    primary, backup = await sms123_fallback_of_smsmode(hass, smsmode_sim, sms123_sim)
    await smsmode_sim.refuse_connections()

    result = await send_sms(hass, primary.entry_id, recipients=[ALICE], message="Incendie")

    # the fallback account carried it, by its own route
    assert (result["status"], result["route"]) == ("sent", "sms123")
    assert (result["account"], result["account_name"]) == (backup.entry_id, backup.title)
    assert delivered(sms123_sim) == Counter({"Incendie": 1})
    assert delivered(smsmode_sim) == Counter()
    [item] = outbox_of(primary).items
    assert item.attempts == delivery.RETRIES_BEFORE_FAILOVER + 1


async def test_the_fallback_route_is_on_disk_before_its_request_leaves(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    hass_storage: dict[str, Any],
) -> None:
    """A restart in the middle verifies the fallback that may have sent it, not the primary."""
    primary, backup = await sms123_fallback_of_smsmode(hass, smsmode_sim, sms123_sim)
    smsmode_sim.credits = 0
    sms123_sim.fail_next("slow", count=1, path=SEND_PATHS["sms123"], delay=0.5)

    sending = hass.async_create_task(
        send_sms(hass, primary.entry_id, recipients=[ALICE], message="Incendie")
    )
    await until(lambda: bool(sms123_sim.requests_to(SEND_PATHS["sms123"])))

    [stored] = stored_outbox(hass, primary.entry_id)
    assert (stored["state"], stored["route"]) == ("sending", backup.entry_id)
    result = await sending
    assert (result["status"], result["route"], result["account"]) == (
        "sent",
        "sms123",
        backup.entry_id,
    )


async def test_credit_exhausted_fails_over_at_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    primary, backup = await sms123_fallback_of_smsmode(hass, smsmode_sim, sms123_sim)
    smsmode_sim.credits = 0

    result = await send_sms(hass, primary.entry_id, recipients=[ALICE], message="Gel")

    assert (result["route"], result["account"]) == ("sms123", backup.entry_id)
    assert delivered(sms123_sim) == Counter({"Gel": 1})
    [item] = outbox_of(primary).items
    assert item.attempts == 1


async def test_a_burst_with_the_primary_down_goes_by_the_fallback_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    primary, backup = await sms123_fallback_of_smsmode(hass, smsmode_sim, sms123_sim)
    smsmode_sim.fail_next("http_503", count=1000, path=SEND_PATHS["smsmode"])

    texts = await burst(hass, primary, 20)
    box = outbox_of(primary)
    await box.async_drain()

    assert delivered(sms123_sim) == Counter(texts)
    assert delivered(smsmode_sim) == Counter()
    assert {item.route for item in box.items} == {backup.entry_id}


@pytest.mark.parametrize("fault", ["slow_after_accept", "drop_after_accept", "http_500"])
async def test_an_unknown_outcome_never_fails_over(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    sms123_sim: Sms123Simulator,
    fault: str,
) -> None:
    backup = await set_up(hass, sms123_entry(sms123_sim))
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"fallback": backup.entry_id}))
    short_read_timeout(entry)
    allmysms_sim.fail_next(fault, path=SEND_PATHS["allmysms"], delay=1.0)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)

    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Une seule fois", wait=False)
    await outbox_of(entry).async_drain()

    assert delivered(sms123_sim) == Counter()
    assert len(allmysms_sim.requests_to(SEND_PATHS["allmysms"])) == 1
    [event] = failed
    assert event.data["final_status"] == "unconfirmed"
    [item] = outbox_of(entry).items
    assert (item.state, item.route) == (SendState.UNCONFIRMED, entry.entry_id)


async def test_after_an_unknown_outcome_smsmode_retries_itself_not_the_fallback(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    primary, _ = await sms123_fallback_of_smsmode(hass, smsmode_sim, sms123_sim)
    # the gateway fails without taking it, then stays unavailable for a while
    smsmode_sim.fail_next("http_500", path=SEND_PATHS["smsmode"])
    smsmode_sim.fail_next("http_503", count=5, path=SEND_PATHS["smsmode"])

    await send_sms(hass, primary.entry_id, recipients=[ALICE], message="Vérifié", wait=False)
    box = outbox_of(primary)
    await box.async_drain()

    assert delivered(sms123_sim) == Counter()
    assert delivered(smsmode_sim) == Counter({"Vérifié": 1})
    [item] = box.items
    assert (item.state, item.route) == (SendState.SENT, primary.entry_id)
    assert item.attempts > delivery.RETRIES_BEFORE_FAILOVER
