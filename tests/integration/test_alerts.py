"""Alerts that escalate until someone answers, on the smsmode simulator and HA's clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.loader import DATA_CUSTOM_COMPONENTS
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.texto.account import TextoAccount
from custom_components.texto.alert_sender import OutboxSender, resolve_rung
from custom_components.texto.alert_store import alerts_journal_path
from custom_components.texto.alerts import Rung, async_get_alerts
from custom_components.texto.const import (
    CONF_DAILY_PARTS_CAP,
    CONF_MESSAGE_CLASS,
    DOMAIN,
    EVENT_ALERT,
    EVENT_SMS_RECEIVED,
    MESSAGE_CLASS_REPLIES,
)
from tests.integration.common import (
    ALICE,
    BOB,
    allmysms_entry,
    recipient,
    set_up,
    sms123_entry,
    smsmode_entry,
)
from tests.integration.test_outbox_stop import _same_entry
from tests.integration.test_send import mail2sms_options
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

CHLOE = "+33611223344"
LADDER = ["notify.alice", "notify.bob", "notify.chloe"]


def _entry(sim: SmsmodeSimulator, **options: Any) -> MockConfigEntry:
    entry = smsmode_entry(sim, options={CONF_MESSAGE_CLASS: MESSAGE_CLASS_REPLIES, **options})
    return MockConfigEntry(
        domain=entry.domain,
        minor_version=entry.minor_version,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=[
            recipient("Alice", ALICE),
            recipient("Bob", BOB),
            recipient("Chloé", CHLOE),
        ],
    )


async def _drain(hass: HomeAssistant, entry: MockConfigEntry | None = None) -> None:
    """Wait until every SMS submitted so far has left (every loaded account's outbox)."""
    await hass.async_block_till_done()
    for loaded in hass.config_entries.async_loaded_entries(DOMAIN):
        account: TextoAccount = loaded.runtime_data
        await account.outbox.async_drain()
    await hass.async_block_till_done()


def _texts(sim: SmsmodeSimulator) -> list[tuple[str, str]]:
    return [("+" + m.number, m.text) for m in sim.messages]


async def _raise(hass: HomeAssistant, **fields: Any) -> str:
    response = await hass.services.async_call(
        DOMAIN,
        "raise_alert",
        {"message": "Fuite d'eau", "recipients": LADDER, **fields},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return str(response["alert_id"])


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    """Move the clock on, once nothing is in flight.

    freezegun moves the event loop's clock too: a request still on its way when the clock
    jumps by minutes would hit its timeout at once (outcome unknown), and the outbox's retry
    would then wait on a loop clock that never moves again.
    """
    await _drain(hass)
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # what the new time made due (a step's SMS) goes through the outbox's workers: wait for
    # it too, or a loaded machine asserts before the gateway got it
    await _drain(hass)


def _reply(hass: HomeAssistant, sender: str, text: str, *, verified: bool = True) -> None:
    hass.bus.async_fire(
        EVENT_SMS_RECEIVED,
        {
            "entry_id": "x",
            "sender": sender,
            "text": text,
            "verified": verified,
            "in_reply_to": None,
        },
    )


async def test_a_three_step_ladder_escalates_on_time_and_stops_on_a_reply(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    events = async_capture_events(hass, EVENT_ALERT)
    alert_id = await _raise(hass)
    await _drain(hass, entry)
    assert _texts(smsmode_sim) == [(ALICE, "Fuite d'eau")]

    await _later(hass, freezer, 4.9)
    await _drain(hass, entry)
    assert len(smsmode_sim.messages) == 1  # not yet

    await _later(hass, freezer, 0.2)
    await _drain(hass, entry)
    assert _texts(smsmode_sim)[-1] == (BOB, "2nd alert: Alice has not answered. Fuite d'eau")
    views = async_get_alerts(hass).open_alerts_for(entry.entry_id)
    assert [(v.alert_id, v.step, v.texted) for v in views] == [
        (alert_id, 2, ("notify.alice", "notify.bob"))
    ]

    # neither an unverified reply nor an unmatched text acknowledges
    _reply(hass, BOB, " O K ", verified=False)
    _reply(hass, BOB, "peut-être")
    await _drain(hass, entry)
    await _later(hass, freezer, 5)
    await _drain(hass, entry)
    assert _texts(smsmode_sim)[-1] == (
        CHLOE,
        "3rd alert: Alice, Bob have not answered. Fuite d'eau",
    )

    _reply(hass, CHLOE, " Oui ")
    await _drain(hass, entry)
    await _later(hass, freezer, 30)
    await _drain(hass, entry)
    told = _texts(smsmode_sim)[3:]
    assert sorted(told) == [
        (ALICE, "Alert acknowledged by Chloé: Fuite d'eau"),
        (BOB, "Alert acknowledged by Chloé: Fuite d'eau"),
    ]
    assert [(e.data["type"], e.data["step"], e.data["recipient"]) for e in events] == [
        ("raised", 1, "notify.alice"),
        ("escalated", 2, "notify.bob"),
        ("escalated", 3, "notify.chloe"),
        ("acknowledged", 3, "notify.chloe"),
    ]
    assert events[-1].data["seconds"] == 606  # 4.9 + 0.2 + 5 minutes
    assert async_get_alerts(hass).open_alerts_for(entry.entry_id) == []


async def test_the_action_acknowledges_by_tag_and_a_tag_replaces(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    events = async_capture_events(hass, EVENT_ALERT)
    first = await _raise(hass, tag="leak")
    second = await _raise(hass, tag="leak", tell_others=False)
    assert first != second
    await hass.services.async_call(DOMAIN, "acknowledge_alert", {"tag": "leak"}, blocking=True)
    await _later(hass, freezer, 20)
    await _drain(hass, entry)
    assert [(e.data["alert_id"], e.data["type"]) for e in events] == [
        (first, "raised"),
        (first, "cancelled"),
        (second, "raised"),
        (second, "acknowledged"),
    ]
    assert len(smsmode_sim.messages) == 2  # each first step, nothing after


async def test_repeat_runs_the_ladder_again_then_ends_unanswered(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    events = async_capture_events(hass, EVENT_ALERT)
    await _raise(hass, recipients=["notify.alice"], then="repeat", rounds=2)
    for _ in range(3):
        await _later(hass, freezer, 5)
        await _drain(hass, entry)
    assert _texts(smsmode_sim) == [
        (ALICE, "Fuite d'eau"),
        (ALICE, "2nd alert: Alice has not answered. Fuite d'eau"),
    ]
    assert [(e.data["type"], e.data["round"]) for e in events] == [
        ("raised", 1),
        ("escalated", 2),
        ("unanswered", 2),
    ]


async def test_then_call_places_one_voice_message_per_recipient(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    await _raise(hass, recipients=["notify.alice", "notify.bob"], then="call")
    for _ in range(3):
        await _later(hass, freezer, 5)
        await _drain(hass, entry)
    voices = [("+" + m.number) for m in smsmode_sim.messages if m.voice]
    assert sorted(voices) == sorted([ALICE, BOB])
    assert len(smsmode_sim.messages) == 4


async def test_delivered_acknowledges(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    events = async_capture_events(hass, EVENT_ALERT)
    alert_id = await _raise(hass, acknowledge_by="delivered")
    await _drain(hass, entry)
    hass.bus.async_fire(
        "texto_delivery_report",
        {"status": "delivered", "reference": f"alert-{alert_id}-r1-s1"},
    )
    await _drain(hass, entry)
    assert events[-1].data["type"] == "acknowledged"
    assert events[-1].data["recipient"] == "notify.alice"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_refusals_are_translated(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    language: str,
) -> None:
    hass.config.language = language
    await set_up(hass, smsmode_entry(smsmode_sim))  # standard class: no replies
    cases = [
        ({"recipients": ["notify.alice"]}, "alert_reply_not_received"),
        ({"recipients": ["notify.nobody"]}, "alert_recipient_unknown"),
        (
            {"recipients": ["notify.alice"], "acknowledge_by": "delivered", "rounds": 12},
            "alert_invalid_rounds",
        ),
    ]
    for fields, key in cases:
        with pytest.raises(ServiceValidationError) as caught:
            await _raise(hass, **fields)
        assert caught.value.translation_key == key
        assert str(caught.value)
        assert key not in str(caught.value)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "acknowledge_alert", {"alert_id": "nope"}, blocking=True
        )
    assert caught.value.translation_key == "alert_not_found"


async def test_the_cap_stops_an_escalation_and_says_so(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim, **{CONF_DAILY_PARTS_CAP: 1}))
    events = async_capture_events(hass, EVENT_ALERT)
    await _raise(hass)
    await _drain(hass, entry)
    await _later(hass, freezer, 5)
    await _drain(hass, entry)
    assert len(smsmode_sim.messages) == 1
    assert (events[-1].data["type"], events[-1].data.get("reason")) == (
        "unanswered",
        "spending_cap",
    )
    [notification] = hass.data["persistent_notification"].values()
    assert notification["title"] == "Texto: an alert was stopped by the spending cap"
    assert notification["message"].startswith("The daily cap refused step 2 of an alert")


# --- restarts: Home Assistant stopped and started again on the same configuration folder ----


class PowerCutError(Exception):
    """The process dies here: nothing after it runs (only what was on the disk remains)."""


@contextlib.asynccontextmanager
async def _started_again(
    stopped: HomeAssistant, *entries: MockConfigEntry
) -> AsyncIterator[tuple[HomeAssistant, list[Event]]]:
    """A new Home Assistant on the stopped one's configuration folder; its alert events."""
    async with async_test_home_assistant(config_dir=stopped.config.config_dir) as again:
        again.data.pop(DATA_CUSTOM_COMPONENTS, None)  # the test's custom integrations
        events = async_capture_events(again, EVENT_ALERT)
        for entry in entries:
            await set_up(again, _same_entry(entry))
        await _drain(again)
        yield again, events
        await _drain(again)
        await again.async_stop(force=True)


def _to(sim: SmsmodeSimulator, number: str) -> list[str]:
    return [text for sent, text in _texts(sim) if sent == number]


async def test_a_restart_resumes_with_the_time_left(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    alert_id = await _raise(hass)
    await _later(hass, freezer, 3)
    await hass.async_stop()

    async with _started_again(hass, entry) as (again, events):
        assert _texts(smsmode_sim) == [(ALICE, "Fuite d'eau")]  # Bob is not due yet
        await _later(again, freezer, 1.9)
        assert len(smsmode_sim.messages) == 1  # 4.9 minutes since raised: not yet
        await _later(again, freezer, 0.2)
        await _drain(again)
        assert _to(smsmode_sim, BOB) == ["2nd alert: Alice has not answered. Fuite d'eau"]
        assert [(e.data["alert_id"], e.data["type"], e.data["step"]) for e in events] == [
            (alert_id, "escalated", 2)
        ]
        assert events[0].data["seconds"] == 306
    assert len(smsmode_sim.messages) == 2  # no step twice


async def test_a_step_due_while_stopped_runs_once_at_start_up(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, _entry(smsmode_sim))
    await _raise(hass)
    await _drain(hass)
    await hass.async_stop()
    freezer.tick(timedelta(minutes=7))  # Bob's step fell due while Home Assistant was down

    async with _started_again(hass, entry) as (again, _events):
        assert _to(smsmode_sim, BOB) == ["2nd alert: Alice has not answered. Fuite d'eau"]
        await _later(again, freezer, 4.9)  # the next step waits its full time from then
        assert _to(smsmode_sim, CHLOE) == []
    async with _started_again(hass, entry) as (again, _events):
        await _later(again, freezer, 0.2)
        assert _to(smsmode_sim, CHLOE) == ["3rd alert: Alice, Bob have not answered. Fuite d'eau"]
    assert [number for number, _text in _texts(smsmode_sim)] == [ALICE, BOB, CHLOE]


@pytest.mark.parametrize("submitted", ["sent", "never"])
async def test_a_step_left_starting_is_settled_by_its_outbox_reference(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    freezer: FrozenDateTimeFactory,
    submitted: str,
) -> None:
    """The power goes after the step's synced *starting* record, before *submitted*."""
    entry = await set_up(hass, _entry(smsmode_sim))
    alerts = async_get_alerts(hass)
    submit = alerts.sender.async_submit

    async def cut(rung: Any, text: str, **fields: Any) -> str:
        if submitted != "never":
            await submit(rung, text, **fields)
        raise PowerCutError

    with patch.object(alerts.sender, "async_submit", cut), pytest.raises(PowerCutError):
        await _raise(hass)
    await _drain(hass)
    await hass.async_stop()
    assert len(smsmode_sim.messages) == (1 if submitted == "sent" else 0)
    freezer.tick(timedelta(minutes=1))

    async with _started_again(hass, entry) as (again, _events):
        # found by its reference (outbox or sent log): not again; not found: sent now
        assert _texts(smsmode_sim) == [(ALICE, "Fuite d'eau")]
        await _later(again, freezer, 4)
        assert _to(smsmode_sim, BOB) == ["2nd alert: Alice has not answered. Fuite d'eau"]
    assert len(smsmode_sim.messages) == 2


# --- other routes --------------------------------------------------------------------------


async def test_then_call_places_one_voice_message_per_recipient_on_123_sms(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """123-SMS receives no replies: acknowledged by delivery; its calls are text-to-speech."""
    entry = sms123_entry(sms123_sim)
    await set_up(hass, _with_recipients(entry, recipient("Alice", ALICE), recipient("Bob", BOB)))
    events = async_capture_events(hass, EVENT_ALERT)
    await _raise(
        hass,
        recipients=["notify.alice", "notify.bob"],
        acknowledge_by="delivered",
        then="call",
    )
    for _ in range(2):
        await _later(hass, freezer, 5)
    await _drain(hass)
    sent = [(sms.number, sms.tts, sms.text) for sms in sms123_sim.messages]
    assert sorted(sent) == sorted(
        [
            (ALICE[1:], False, "Fuite d'eau"),
            (BOB[1:], False, "2nd alert: Alice has not answered. Fuite d'eau"),
            (ALICE[1:], True, "Alert: Fuite d'eau"),
            (BOB[1:], True, "Alert: Fuite d'eau"),
        ]
    )
    assert [e.data["type"] for e in events] == ["raised", "escalated", "unanswered"]


def _with_recipients(entry: MockConfigEntry, *recipients: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=entry.domain,
        minor_version=entry.minor_version,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=list(recipients),
    )


@pytest.fixture
async def mail2sms_sim(allmysms_sim: AllMySmsSimulator) -> AsyncIterator[Mail2SmsSimulator]:
    """AllMySMS's e-mail route (SMTP on 127.0.0.1)."""
    sim = Mail2SmsSimulator(allmysms_sim)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.mark.parametrize(
    ("route", "fields", "key"),
    [
        ("123-SMS", {}, "alert_reply_not_received"),
        ("Mail2SMS", {}, "alert_reply_not_received"),
        ("AllMySMS", {"acknowledge_by": "delivered", "then": "call"}, "alert_call_not_possible"),
    ],
)
async def test_what_a_route_cannot_do_is_refused_at_once(
    hass: HomeAssistant,
    *,
    sms123_sim: Sms123Simulator,
    allmysms_sim: AllMySmsSimulator,
    mail2sms_sim: Mail2SmsSimulator,
    route: str,
    fields: dict[str, Any],
    key: str,
) -> None:
    if route == "123-SMS":
        entry = sms123_entry(sms123_sim)
    elif route == "Mail2SMS":
        entry = allmysms_entry(allmysms_sim, options=mail2sms_options(mail2sms_sim, "email"))
    else:
        entry = allmysms_entry(allmysms_sim)
    await set_up(hass, entry)
    events = async_capture_events(hass, EVENT_ALERT)
    with pytest.raises(ServiceValidationError) as caught:
        await _raise(hass, recipients=["notify.alice"], **fields)
    assert caught.value.translation_key == key
    assert route in str(caught.value)
    await _drain(hass)
    assert events == []  # nothing raised, nothing sent


async def test_a_reply_acknowledges_the_alert_it_answers(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    """Two alerts open for Alice: her reply names the older one (in_reply_to)."""
    entry = await set_up(hass, _entry(smsmode_sim))
    older = await _raise(hass, message="Fuite d'eau", recipients=["notify.alice"])
    newer = await _raise(hass, message="Fumée", recipients=["notify.alice"])
    await _drain(hass)
    account: TextoAccount = entry.runtime_data
    [answered] = [
        sent.message_id
        for sent in account.sent_log.recent(dt_util.utcnow() - timedelta(hours=1))
        if sent.reference == f"alert-{older}-r1-s1"
    ]
    hass.bus.async_fire(
        EVENT_SMS_RECEIVED,
        {
            "entry_id": entry.entry_id,
            "sender": ALICE,
            "text": "ok",
            "verified": True,
            "in_reply_to": answered,
        },
    )
    await _drain(hass)
    alerts = async_get_alerts(hass)
    assert [view.alert_id for view in alerts.open_alerts_for(entry.entry_id)] == [newer]

    # an in_reply_to no send of Texto's has: the most recent one texted to her
    hass.bus.async_fire(
        EVENT_SMS_RECEIVED,
        {
            "entry_id": entry.entry_id,
            "sender": ALICE,
            "text": "ok",
            "verified": True,
            "in_reply_to": "unknown",
        },
    )
    await _drain(hass)
    assert alerts.open_alerts_for(entry.entry_id) == []


# --- texts that do not fit, ladders across accounts, a damaged journal ----------------------


@pytest.mark.parametrize(("length", "prefix"), [(140, "2nd alert: "), (155, "")])
async def test_a_step_text_is_shortened_to_fit_never_cut(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    freezer: FrozenDateTimeFactory,
    length: int,
    prefix: str,
) -> None:
    """One part: the prefix is shortened (then left out) rather than the message cut."""
    await set_up(hass, _entry(smsmode_sim))
    message = "L" * length
    with pytest.raises(ServiceValidationError) as caught:
        await _raise(hass, message="L" * 200, max_parts=1)
    assert caught.value.translation_domain == DOMAIN
    assert len(smsmode_sim.messages) == 0

    await _raise(hass, message=message, recipients=["notify.alice", "notify.bob"], max_parts=1)
    await _later(hass, freezer, 5)
    _reply(hass, BOB, "OK")
    await _drain(hass)
    assert _texts(smsmode_sim) == [
        (ALICE, message),
        (BOB, prefix + message),
        (ALICE, "Alert acknowledged by Bob."),
    ]


async def test_a_ladder_across_accounts_survives_a_restart(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    allmysms_sim: AllMySmsSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Alice on smsmode, Bob on AllMySMS: each step through its recipient's account."""
    first = await set_up(hass, _with_recipients(_entry(smsmode_sim), recipient("Alice", ALICE)))
    second = await set_up(
        hass, allmysms_entry(allmysms_sim, subentries_data=[recipient("Bob", BOB)])
    )
    across = await _raise(hass, recipients=["notify.alice", "notify.bob"])
    alone = await _raise(hass, message="Fumée", recipients=["notify.alice"])
    await _later(hass, freezer, 3)
    await hass.async_stop()

    async with _started_again(hass, second, first) as (again, events):
        await _later(again, freezer, 2)
        await _drain(again)
        assert [(sms.number, sms.text) for sms in allmysms_sim.messages] == [
            (BOB[1:], "2nd alert: Alice has not answered. Fuite d'eau")
        ]
        await _later(again, freezer, 5)
        assert sorted((e.data["alert_id"], e.data["type"]) for e in events) == sorted(
            [(across, "escalated"), (alone, "unanswered"), (across, "unanswered")]
        )
    assert _texts(smsmode_sim) == [(ALICE, "Fuite d'eau"), (ALICE, "Fumée")]


async def test_a_step_whose_account_went_is_passed_over(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    allmysms_sim: AllMySmsSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bob's account was unloaded: his step cannot go, the alert does not stop there."""
    await set_up(hass, _with_recipients(_entry(smsmode_sim), recipient("Alice", ALICE)))
    second = await set_up(
        hass, allmysms_entry(allmysms_sim, subentries_data=[recipient("Bob", BOB)])
    )
    events = async_capture_events(hass, EVENT_ALERT)
    await _raise(hass, recipients=["notify.alice", "notify.bob"])
    await hass.config_entries.async_unload(second.entry_id)
    await _later(hass, freezer, 5)
    assert allmysms_sim.messages == []
    assert "could not be submitted (entry_not_loaded)" in caplog.text
    await _later(hass, freezer, 5)
    assert [e.data["type"] for e in events] == ["raised", "escalated", "unanswered"]


async def test_a_damaged_journal_loses_only_what_it_cannot_read(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A line cut short, a record of another version, an alert unreadable: the rest goes on."""
    entry = await set_up(hass, _entry(smsmode_sim))
    await _raise(hass)
    await _drain(hass)
    await hass.async_stop()
    with alerts_journal_path(hass).open("ab") as journal:
        journal.write(b'{"kind": "snapshot", "version": 99, "alerts": []}\n')
        journal.write(b'{"kind": "alert", "alert": {"alert_id": "broken"}}\n')
        journal.write(b'{"kind": "alert", "alert": {"alert_')

    async with _started_again(hass, entry) as (again, _events):
        assert caplog.text.count("Alerts journal: 2 unreadable record(s) skipped") == 1
        assert "a stored alert cannot be read and is skipped" in caplog.text
        await _later(again, freezer, 5)
        assert _to(smsmode_sim, BOB) == ["2nd alert: Alice has not answered. Fuite d'eau"]
        # the start-up rewrote the journal as one snapshot: nothing damaged is left
        lines = alerts_journal_path(again).read_bytes().splitlines()
        assert lines[0].startswith(b'{"kind":"snapshot"')


async def test_a_step_still_in_the_outbox_is_found_by_its_reference(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    """What start-up asks of the outboxes: an SMS still waiting there counts as submitted."""
    entry = await set_up(hass, _entry(smsmode_sim))
    account: TextoAccount = entry.runtime_data
    sender = OutboxSender(hass)
    rung, _account = resolve_rung(hass, "notify.alice")
    reference = "alert-01ABC-r1-s1"
    since = dt_util.utcnow() - timedelta(minutes=1)
    assert sender.find_submitted(rung, reference, since) is None
    request = account.build_request(
        [ALICE], "Fuite d'eau", reference=reference, send_at=dt_util.utcnow() + timedelta(hours=1)
    )
    outcome = await account.async_send(request, wait=False)  # scheduled: it waits there
    assert sender.find_submitted(rung, reference, since) == outcome.item.outbox_id
    gone = Rung("notify.alice", "unloaded", "", ALICE, "Alice")
    assert sender.find_submitted(gone, reference, since) is None
    assert sender.fits(gone, "x" * 2000, 1)  # an account gone: its submission says so
    # refused for another reason than its length (no emoji in the replies class): not
    # this check's to say
    assert sender.fits(rung, "Fuite d'eau \U0001f4a7", 1)
    assert not sender.fits(rung, "x" * 200, 1)
