"""Polling: reports and replies read from the gateways when they cannot call Home Assistant.

The polls are driven directly (``Poller.async_poll_*`` with a moved ``now``): moving the
event loop's clock would also fire the HTTP keep-alive and timeout timers of the sockets
open to the simulators. The schedule itself is tested with small steps of the clock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.texto.const import EVENT_DELIVERY_REPORT, EVENT_SMS_RECEIVED
from custom_components.texto.polling import (
    FAST_REPLIES,
    MAX_SENDS_PER_POLL,
    SLOW_REPLIES,
    Poller,
    get_poller,
)
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import REPLIES, REPORT, SmsmodeSimulator

from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    device_id_of,
    send_sms,
    set_up,
    sms123_entry,
    smsmode_entry,
)

POLLING = {"receive_mode": "polling"}
GET_ACKS = "/http/9.0/getAcks/"
GET_PULLS = "/http/9.0/getPulls/"


async def send(hass: HomeAssistant, entry_id: str, **fields: Any) -> str:
    """Send through Texto's action; return the message id."""
    message_id = (await send_sms(hass, entry_id, **fields))["message_id"]
    assert isinstance(message_id, str)
    return message_id


def poller_of(hass: HomeAssistant, entry: MockConfigEntry) -> Poller:
    poller = get_poller(hass, entry.entry_id)
    assert poller is not None
    return poller


def later(minutes: float) -> datetime:
    return dt_util.utcnow() + timedelta(minutes=minutes)


def poll_requests(sim: AllMySmsSimulator | SmsmodeSimulator) -> list[str]:
    """The polling endpoints the simulator was asked."""
    wanted = ("getPulls", "getAcks", "responseList", "compteRendu")
    return [r.path for r in sim.requests if any(name in r.path for name in wanted)]


def texto_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components.texto")
    ]


def asked_campaigns(sim: AllMySmsSimulator) -> list[str]:
    """The campaign ids getAcks was asked about, in order (form-encoded POSTs)."""
    return [parse_qs(r.body.decode())["campId"][0] for r in sim.requests_to(GET_ACKS)]


@pytest.fixture
def reports(hass: HomeAssistant) -> list[Event[Any]]:
    return async_capture_events(hass, EVENT_DELIVERY_REPORT)


@pytest.fixture
def replies(hass: HomeAssistant) -> list[Event[Any]]:
    return async_capture_events(hass, EVENT_SMS_RECEIVED)


# --- AllMySMS: getAcks and getPulls ----------------------------------------------------------


async def test_allmysms_report_is_polled_and_fires_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, reports: list[Event[Any]]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(
        hass, entry.entry_id, recipients=[ALICE], message="Alarme", reference="alarme-1"
    )

    assert await poller.async_poll_reports() == 0  # nothing reported yet
    await allmysms_sim.deliver(message_id)
    assert await poller.async_poll_reports(later(1)) == 1
    await hass.async_block_till_done()

    [event] = reports
    assert event.data == {
        "entry_id": entry.entry_id,
        "provider": "allmysms",
        "message_id": message_id,
        "recipient": ALICE,
        "status": "delivered",
        "provider_status": "1",
        "detail": event.data["detail"],
        "reported_at": event.data["reported_at"],
        "reference": "alarme-1",
        "device_id": device_id_of(hass, entry, ALICE),
        "route": "allmysms",
        "account": entry.entry_id,
        "account_name": entry.title,
    }
    assert datetime.fromisoformat(event.data["reported_at"]).tzinfo is not None
    # every recipient has a final report: the send is not asked about again
    assert len(allmysms_sim.requests_to(GET_ACKS)) == 2
    assert await poller.async_poll_reports(later(2)) == 0
    assert await poller.async_poll_reports(later(30)) == 0
    assert len(allmysms_sim.requests_to(GET_ACKS)) == 2
    assert len(reports) == 1


async def test_allmysms_pending_report_is_asked_again_until_final(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, reports: list[Event[Any]]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE, BOB], message="x")

    await allmysms_sim.deliver(message_id, status=3)  # pending
    assert await poller.async_poll_reports() == 2
    # the same pending acks, a minute later: asked again, nothing new fires
    assert await poller.async_poll_reports(later(1)) == 0
    allmysms_sim.acks.clear()
    await allmysms_sim.deliver(message_id, status=1)
    assert await poller.async_poll_reports(later(2)) == 2
    assert await poller.async_poll_reports(later(3)) == 0
    await hass.async_block_till_done()

    assert [(e.data["recipient"], e.data["status"]) for e in reports] == [
        (ALICE, "pending"),
        (BOB, "pending"),
        (ALICE, "delivered"),
        (BOB, "delivered"),
    ]
    assert len(allmysms_sim.requests_to(GET_ACKS)) == 3


async def test_allmysms_reply_is_polled_verified_once(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, replies: list[Event[Any]]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="Désarmer ?")

    reply_id = await allmysms_sim.inject_reply(ALICE, "1", campaign_id=message_id)
    assert await poller.async_poll_replies() == 1
    assert await poller.async_poll_replies(later(1)) == 0
    await hass.async_block_till_done()

    [event] = replies
    assert event.data["entry_id"] == entry.entry_id
    assert event.data["provider"] == "allmysms"
    assert event.data["sender"] == ALICE
    assert event.data["sender_name"] == "Alice"
    assert event.data["sender_entity_id"] == "notify.alice"
    assert event.data["text"] == "1"
    assert event.data["message_id"] == reply_id
    assert event.data["in_reply_to"] == message_id
    assert event.data["verified"] is True
    assert datetime.fromisoformat(event.data["received_at"]).tzinfo is not None
    assert len(allmysms_sim.requests_to(GET_PULLS)) == 2


async def test_allmysms_pulled_replies_are_never_lost(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    replies: list[Event[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """getPulls hands each reply over once: every one must reach the inbox."""
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="x")
    await allmysms_sim.inject_reply(ALICE, "premier", campaign_id=message_id)
    await allmysms_sim.inject_reply("+33611111111", "inconnu")
    await allmysms_sim.inject_reply(ALICE, "troisième", campaign_id=message_id)

    # the inbox chokes on the first: the others still get in
    inbox = entry.runtime_data.inbox
    receive = inbox.async_receive
    calls = 0

    async def choke_once(item: Any, *, confirmed_by_gateway: bool = False) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("inbox bug")
        return await receive(item, confirmed_by_gateway=confirmed_by_gateway)

    inbox.async_receive = choke_once  # type: ignore[method-assign]
    assert await poller.async_poll_replies() == 2
    await hass.async_block_till_done()

    assert [e.data["text"] for e in replies] == ["inconnu", "troisième"]
    stranger = replies[0].data
    assert (stranger["sender_name"], stranger["sender_entity_id"]) == (None, None)
    assert "could not handle a polled InboundMessage" in caplog.text
    assert allmysms_sim.pending_replies == []


async def test_allmysms_failed_poll_keeps_replies_for_the_next(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    replies: list[Event[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    await allmysms_sim.inject_reply(ALICE, "oui")
    allmysms_sim.fail_next("http_503", count=2, path=GET_PULLS)

    with caplog.at_level(logging.DEBUG, logger="custom_components.texto.polling"):
        assert await poller.async_poll_replies() == 0
        assert await poller.async_poll_replies(later(1)) == 0
        assert await poller.async_poll_replies(later(2)) == 1
    await hass.async_block_till_done()

    assert [e.data["text"] for e in replies] == ["oui"]
    # Texto sent nothing to Alice, but the gateway's own API vouches for the reply
    assert replies[0].data["verified"] is True
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len([m for m in infos if "failed" in m]) == 1  # logged once, not at each poll
    assert len([m for m in infos if "works again" in m]) == 1
    assert not texto_warnings(caplog)


async def test_allmysms_failed_report_poll_is_tried_again(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, reports: list[Event[Any]]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="x")
    await allmysms_sim.deliver(message_id)
    allmysms_sim.fail_next("http_503", path=GET_ACKS)

    assert await poller.async_poll_reports() == 0
    assert await poller.async_poll_reports(later(1)) == 1
    await hass.async_block_till_done()

    assert [e.data["status"] for e in reports] == ["delivered"]


async def test_mail2sms_sends_are_not_polled(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, socket_enabled: None
) -> None:
    mail2sms = Mail2SmsSimulator(allmysms_sim)
    await mail2sms.start()
    try:
        options = {
            **POLLING,
            "route": "email",
            "smtp_host": mail2sms.host,
            "smtp_port": mail2sms.port,
            "smtp_security": "none",
            "smtp_sender": "maison@example.fr",
        }
        entry = await set_up(hass, allmysms_entry(allmysms_sim, options=options))
        await send(hass, entry.entry_id, recipients=[ALICE], message="Par e-mail")
        poller = poller_of(hass, entry)

        assert poller.sends_to_check(later(1)) == []
        assert await poller.async_poll_reports(later(1)) == 0
        assert allmysms_sim.requests_to(GET_ACKS) == []
        # its replies come through getPulls like any other: replies are awaited eagerly
        assert poller.reply_interval(later(1)) == FAST_REPLIES
    finally:
        await mail2sms.stop()


async def test_report_checks_are_bounded_and_fair(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    sent = [
        await send(hass, entry.entry_id, recipients=[ALICE], message=f"n°{n}")
        for n in range(MAX_SENDS_PER_POLL + 5)
    ]

    await poller.async_poll_reports()
    first = asked_campaigns(allmysms_sim)
    await poller.async_poll_reports(later(1))
    second = asked_campaigns(allmysms_sim)[len(first) :]

    # the newest first, then those that waited longest: every send gets its turn
    assert first == sent[::-1][:MAX_SENDS_PER_POLL]
    assert second[:5] == sent[:5][::-1]
    assert len(second) == MAX_SENDS_PER_POLL


async def test_old_pending_sends_are_checked_less_often(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=POLLING))
    poller = poller_of(hass, entry)
    await send(hass, entry.entry_id, recipients=[ALICE], message="x")

    checked = []
    for minutes in (0, 1, 2, 61, 62, 70, 77, 60 * 47, 60 * 49):
        before = len(allmysms_sim.requests_to(GET_ACKS))
        await poller.async_poll_reports(later(minutes))
        checked.append(len(allmysms_sim.requests_to(GET_ACKS)) - before)

    # every minute for an hour, every 15 minutes afterwards, never after 48 hours
    assert checked == [1, 1, 1, 1, 0, 0, 1, 1, 0]


# --- smsmode: compteRendu.do and responseList.do ----------------------------------------------


async def test_smsmode_reports_13_then_11_fire_once_each(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, reports: list[Event[Any]]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=POLLING))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    await smsmode_sim.deliver(message_id, 13)
    assert await poller.async_poll_reports() == 1
    assert await poller.async_poll_reports(later(1)) == 0  # 13 again: seen
    await smsmode_sim.deliver(message_id, 11)
    assert await poller.async_poll_reports(later(2)) == 1
    assert await poller.async_poll_reports(later(3)) == 0
    await hass.async_block_till_done()

    assert [(e.data["status"], e.data["provider_status"]) for e in reports] == [
        ("pending", "13"),
        ("delivered", "11"),
    ]
    assert reports[1].data["message_id"] == message_id
    assert reports[1].data["recipient"] == ALICE
    assert len(smsmode_sim.requests_to(REPORT)) == 3  # not asked once final


async def test_smsmode_forgotten_send_is_not_asked_again(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, reports: list[Event[Any]]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=POLLING))
    poller = poller_of(hass, entry)
    await send(hass, entry.entry_id, recipients=[ALICE], message="x")
    smsmode_sim.answer_next(61, REPORT)  # "SMS n'existant pas ou plus"

    assert await poller.async_poll_reports() == 0
    assert await poller.async_poll_reports(later(1)) == 0
    assert len(smsmode_sim.requests_to(REPORT)) == 1
    assert reports == []


async def test_smsmode_reply_is_polled_verified_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, replies: list[Event[Any]]
) -> None:
    options = {**POLLING, "message_class": "replies_allowed"}
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=options))
    poller = poller_of(hass, entry)
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="Désarmer ?")
    assert poller.reply_interval(dt_util.utcnow()) == FAST_REPLIES

    reply_id = await smsmode_sim.inject_reply(ALICE, "oui", sms_id=message_id)
    assert await poller.async_poll_replies() == 1
    # the next poll's dates overlap: the gateway lists the reply again, nothing fires
    assert await poller.async_poll_replies(later(0.5)) == 0
    await hass.async_block_till_done()

    [event] = replies
    assert event.data["provider"] == "smsmode"
    assert event.data["sender"] == ALICE
    assert event.data["sender_entity_id"] == "notify.alice"
    assert event.data["message_id"] == reply_id
    assert event.data["in_reply_to"] == message_id
    assert event.data["recipient"] == "36034"
    assert event.data["text"] == "oui"
    assert event.data["verified"] is True
    [first, second] = smsmode_sim.requests_to(REPLIES)
    assert set(first.query) >= {"startDate", "endDate"}
    assert second.query["startDate"] >= first.query["startDate"]


async def test_smsmode_first_poll_reaches_back_to_the_sends_awaiting_replies(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, replies: list[Event[Any]]
) -> None:
    """A reply received while Home Assistant was down is read at the first poll."""
    options = {**POLLING, "message_class": "replies_allowed"}
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=options))
    message_id = await send(hass, entry.entry_id, recipients=[ALICE], message="?")
    await smsmode_sim.inject_reply(ALICE, "reçu pendant l'arrêt", sms_id=message_id)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    # 20 minutes later: the send (and its reply) are older than the overlap
    assert await poller_of(hass, entry).async_poll_replies(later(20)) == 1
    await hass.async_block_till_done()

    assert [e.data["text"] for e in replies] == ["reçu pendant l'arrêt"]


async def test_smsmode_reply_interval_follows_reply_allowed_sends(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=POLLING))
    poller = poller_of(hass, entry)
    assert poller.reply_interval(dt_util.utcnow()) == SLOW_REPLIES

    # a standard send cannot be answered: replies are not awaited eagerly
    await send(hass, entry.entry_id, recipients=[ALICE], message="x")
    assert poller.reply_interval(dt_util.utcnow()) == SLOW_REPLIES


async def test_smsmode_refused_token_starts_reauth_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=POLLING))
    poller = poller_of(hass, entry)
    smsmode_sim.answer_next(32, REPLIES, count=3)

    for minutes in (0, 5, 10):
        assert await poller.async_poll_replies(later(minutes)) == 0
    await hass.async_block_till_done()

    flows = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert len(list(flows)) == 1
    assert entry.state is ConfigEntryState.LOADED
    assert not texto_warnings(caplog)


# --- when Texto does not poll ------------------------------------------------------------------


async def test_no_polling_in_webhook_mode(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, smsmode_sim: SmsmodeSimulator
) -> None:
    """Receiving by webhook only: no poller, no polling request, ever."""
    webhook_only = {"receive_mode": "webhook"}
    amsms = await set_up(hass, allmysms_entry(allmysms_sim, options=webhook_only))
    smode = await set_up(hass, smsmode_entry(smsmode_sim, options=webhook_only))
    message_id = await send(hass, amsms.entry_id, recipients=[ALICE], message="x")
    await send(hass, smode.entry_id, recipients=[ALICE], message="x")
    await allmysms_sim.inject_reply(ALICE, "1", campaign_id=message_id)

    for minutes in (1, 2, 6, 12):
        async_fire_time_changed(hass, later(minutes))
        await hass.async_block_till_done(wait_background_tasks=True)

    assert get_poller(hass, amsms.entry_id) is None
    assert get_poller(hass, smode.entry_id) is None
    assert poll_requests(allmysms_sim) == []
    assert poll_requests(smsmode_sim) == []


async def test_no_polling_for_123sms(hass: HomeAssistant, sms123_sim: Sms123Simulator) -> None:
    """123-SMS has no API to read reports or replies: polling is a no-op."""
    entry = await set_up(hass, sms123_entry(sms123_sim, options=POLLING))
    before = len(sms123_sim.requests)

    for minutes in (1, 2, 6):
        async_fire_time_changed(hass, later(minutes))
        await hass.async_block_till_done(wait_background_tasks=True)

    assert get_poller(hass, entry.entry_id) is None
    assert len(sms123_sim.requests) == before


# --- the schedule -----------------------------------------------------------------------------


@pytest.fixture
async def polling_allmysms(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> MockConfigEntry:
    """An AllMySMS account receiving both ways (no webhook set at the simulator)."""
    return await set_up(hass, allmysms_entry(allmysms_sim, options={"receive_mode": "both"}))


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the clock ``seconds`` forward (small steps: sockets are open) and run what fires."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_schedule_polls_replies_every_5_minutes_when_nothing_awaits(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    polling_allmysms: MockConfigEntry,
) -> None:
    pulls = []
    for _ in range(11):
        await tick(hass, freezer, 31)
        pulls.append(len(allmysms_sim.requests_to(GET_PULLS)))

    # the first tick reads the replies, the next read is five minutes later
    assert pulls == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    # no send: no delivery report is asked for
    assert allmysms_sim.requests_to(GET_ACKS) == []


async def test_schedule_polls_every_30_s_after_a_send(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    polling_allmysms: MockConfigEntry,
) -> None:
    message_id = await send(hass, polling_allmysms.entry_id, recipients=[ALICE], message="?")
    await allmysms_sim.deliver(message_id)
    await allmysms_sim.inject_reply(ALICE, "1", campaign_id=message_id)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    for _ in range(4):
        await tick(hass, freezer, 31)

    assert len(allmysms_sim.requests_to(GET_PULLS)) == 4
    # reports: read at the first tick, final, then never again
    assert len(allmysms_sim.requests_to(GET_ACKS)) == 1
    assert [e.data["status"] for e in reports] == ["delivered"]
    assert [e.data["text"] for e in replies] == ["1"]


async def test_schedule_stops_when_the_entry_unloads(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    polling_allmysms: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_unload(polling_allmysms.entry_id)
    await hass.async_block_till_done()

    await tick(hass, freezer, 31)

    assert get_poller(hass, polling_allmysms.entry_id) is None
    assert poll_requests(allmysms_sim) == []


async def test_schedule_skips_a_tick_while_a_poll_still_runs(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    polling_allmysms: MockConfigEntry,
) -> None:
    """A slow gateway never gets overlapping polls."""
    poller = poller_of(hass, polling_allmysms)

    async with poller._lock:  # a poll is running
        await tick(hass, freezer, 31)
    assert allmysms_sim.requests_to(GET_PULLS) == []

    await tick(hass, freezer, 31)
    assert len(allmysms_sim.requests_to(GET_PULLS)) == 1
