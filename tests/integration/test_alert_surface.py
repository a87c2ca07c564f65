"""What Home Assistant shows of an alert: the logbook's story and the open-alerts sensor.

The logbook reads ``texto_alert`` events as the engine fires them (recorded, then read back
through the logbook's websocket API, as the frontend does); the sensor is read from the
state machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import translation
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.texto.alerts import AlertView
from custom_components.texto.const import (
    CONF_MESSAGE_CLASS,
    DOMAIN,
    EVENT_ALERT,
    EVENT_ASSIST,
    MESSAGE_CLASS_REPLIES,
)
from custom_components.texto.logbook import elapsed
from custom_components.texto.sensor import open_alerts_attributes
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import ALICE, BOB, allmysms_entry, recipient, set_up, smsmode_entry

type Story = Callable[[], Coroutine[Any, Any, list[tuple[str, str, str | None]]]]


# The recorder (which the logbook reads) must start before Home Assistant: the conftest's
# autouse fixtures, which take ``hass``, are taken over here to ask for it first.


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Let Home Assistant load Texto, the recorder running."""


@pytest.fixture(autouse=True)
def own_config_dir(recorder_mock: Any, hass: HomeAssistant, tmp_path: Path) -> None:
    """Each test's Home Assistant keeps its files in a folder of its own."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
async def account(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> MockConfigEntry:
    """An AllMySMS account with Alice and Bob, and the logbook."""
    entry = await set_up(
        hass,
        allmysms_entry(
            allmysms_sim, subentries_data=[recipient("Alice", ALICE), recipient("Bob", BOB)]
        ),
    )
    assert await async_setup_component(hass, "logbook", {})
    return entry


@pytest.fixture
def story(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> Story:
    """The logbook's lines of Texto's alerts: (name, message, entity)."""

    async def read() -> list[tuple[str, str, str | None]]:
        await hass.async_block_till_done()
        await async_wait_recording_done(hass)
        client = await hass_ws_client(hass)
        now = dt_util.utcnow()
        await client.send_json_auto_id(
            {
                "type": "logbook/get_events",
                "start_time": (now - timedelta(hours=1)).isoformat(),
                "end_time": (now + timedelta(seconds=1)).isoformat(),
            }
        )
        response = await client.receive_json()
        assert response["success"], response
        return [
            (line["name"], line["message"], line.get("entity_id"))
            for line in response["result"]
            if line.get("domain") == "texto"
        ]

    return read


def _alert(hass: HomeAssistant, kind: str, **data: Any) -> None:
    """A ``texto_alert`` event as the engine fires it."""
    defaults = {"alert_id": "01JALERT", "tag": None, "step": 1, "recipient": "notify.alice"}
    hass.bus.async_fire(EVENT_ALERT, {**defaults, "type": kind, "seconds": 0, "round": 1, **data})


def _a_night(hass: HomeAssistant) -> None:
    """Alice is texted, then Bob after 5 minutes, who answers after 6 min 12 s."""
    _alert(hass, "raised")
    _alert(hass, "escalated", step=2, recipient="notify.bob", seconds=300)
    _alert(hass, "acknowledged", step=2, recipient="notify.bob", seconds=372)


async def test_the_logbook_tells_an_alerts_story(
    hass: HomeAssistant, account: MockConfigEntry, story: Story
) -> None:
    _a_night(hass)
    _alert(hass, "raised", alert_id="2", tag="freezer")
    _alert(hass, "escalated", alert_id="2", tag="freezer", round=2, seconds=600)
    _alert(hass, "acknowledged", alert_id="2", tag="freezer", recipient=None, seconds=700)
    _alert(hass, "raised", alert_id="3")
    _alert(hass, "cancelled", alert_id="3", recipient=None, seconds=45)
    _alert(hass, "cancelled", alert_id="3b", recipient=None, seconds=50, reason="replaced")
    _alert(hass, "unanswered", alert_id="4", step=3, recipient="notify.bob", seconds=900)
    _alert(
        hass, "unanswered", alert_id="5", step=2, recipient=None, seconds=5, reason="spending_cap"
    )

    assert await story() == [
        ("Texto alert", "raised: texting Alice (step 1)", "notify.alice"),
        (
            "Texto alert",
            "escalated: texting Bob (step 2), 5 min after it was raised",
            "notify.bob",
        ),
        ("Texto alert", "acknowledged by Bob after 6 min 12 s", "notify.bob"),
        ("Texto alert freezer", "raised: texting Alice (step 1)", "notify.alice"),
        (
            "Texto alert freezer",
            "escalated: texting Alice (step 1, round 2), 10 min after it was raised",
            "notify.alice",
        ),
        ("Texto alert freezer", "acknowledged in Home Assistant after 11 min 40 s", None),
        ("Texto alert", "raised: texting Alice (step 1)", "notify.alice"),
        ("Texto alert", "cancelled after 45 s", None),
        ("Texto alert", "replaced by a new alert with its tag after 50 s", None),
        ("Texto alert", "ended unanswered after 15 min", "notify.bob"),
        (
            "Texto alert",
            "stopped by the daily cap at step 2, after 5 s: nobody further was texted",
            None,
        ),
    ]


async def test_the_logbook_speaks_home_assistants_language(
    hass: HomeAssistant, account: MockConfigEntry, story: Story
) -> None:
    await hass.config.async_update(language="fr")
    # what Home Assistant's start-up has it do on a change of language
    await translation.async_load_integrations(hass, {DOMAIN})
    _a_night(hass)

    assert [message for _, message, _ in await story()] == [
        "lancée : SMS à Alice (étape 1)",
        "passée au destinataire suivant : SMS à Bob (étape 2), 5 min après son lancement",
        "acquittée par Bob après 6 min 12 s",
    ]
    assert {name for name, _, _ in await story()} == {"Alerte Texto"}


async def test_the_logbook_shows_each_exchange_with_assist_masked(
    hass: HomeAssistant, account: MockConfigEntry, story: Story
) -> None:
    """One line per texto_assist event, on the recipient, with the text as the event masks it."""
    common = {"account": account.entry_id, "agent_id": "conversation.home_assistant"}
    hass.bus.async_fire(
        EVENT_ASSIST,
        {**common, "recipient": "notify.alice", "answered": True, "parts": 1, "text": "is the •••"},
    )
    hass.bus.async_fire(
        EVENT_ASSIST,
        {**common, "recipient": "notify.bob", "answered": False, "parts": 0, "text": "open"},
    )

    assert await story() == [
        (
            "Texto Assist",
            "Alice texted Assist “is the •••”: answered in 1 SMS part(s)",
            "notify.alice",
        ),
        ("Texto Assist", "Bob texted Assist “open”: no answer sent", "notify.bob"),
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (372, "6 min 12 s"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds: int, shown: str) -> None:
    assert elapsed(seconds) == shown


def test_the_open_alerts_attribute_stays_small_whatever_the_alerts() -> None:
    """Many alerts with long ladders and tags: the state stays well under 16 KiB."""
    alerts = [
        AlertView(
            alert_id=f"01J{n:023d}",
            tag="t" * 300,
            step=40,
            round=2,
            next_step_at=dt_util.utcnow(),
            texted=tuple(f"notify.recipient_with_a_long_name_{i}" for i in range(40)),
        )
        for n in range(100)
    ]

    listed = open_alerts_attributes(alerts)["alerts"]

    assert 0 < len(listed) <= 20
    assert len(json.dumps(listed)) < 16 * 1024 // 2
    first = listed[0]
    assert first["alert_id"] == alerts[0].alert_id  # the newest first
    assert len(first["tag"]) == 64
    # the last ones texted: who is being waited for now
    assert first["texted"][-1] == "notify.recipient_with_a_long_name_39"
    assert len(first["texted"]) == 10


# --- raised through the action, on the smsmode simulator ---------------------------------------


@pytest.fixture
async def smsmode_account(hass: HomeAssistant, smsmode_sim: SmsmodeSimulator) -> MockConfigEntry:
    """A smsmode account whose messages allow replies, with Alice and Bob, and the logbook."""
    base = smsmode_entry(smsmode_sim, options={CONF_MESSAGE_CLASS: MESSAGE_CLASS_REPLIES})
    entry = await set_up(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            minor_version=base.minor_version,
            title=base.title,
            unique_id=base.unique_id,
            data=dict(base.data),
            options=dict(base.options),
            subentries_data=[recipient("Alice", ALICE), recipient("Bob", BOB)],
        ),
    )
    assert await async_setup_component(hass, "logbook", {})
    return entry


def _open_alerts(hass: HomeAssistant) -> tuple[str, list[dict[str, Any]]]:
    state = hass.states.get("sensor.smsmode_open_alerts")
    assert state is not None
    return state.state, state.attributes["alerts"]


async def test_an_alert_raised_by_the_action_shows_on_the_sensor_and_in_the_logbook(
    hass: HomeAssistant,
    smsmode_account: MockConfigEntry,
    smsmode_sim: SmsmodeSimulator,
    freezer: FrozenDateTimeFactory,
    story: Story,
) -> None:
    assert _open_alerts(hass) == ("0", [])
    raised_at = dt_util.utcnow()
    response = await hass.services.async_call(
        DOMAIN,
        "raise_alert",
        {"message": "Fuite d'eau", "recipients": ["notify.alice", "notify.bob"], "tag": "leak"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    await smsmode_account.runtime_data.outbox.async_drain()
    await hass.async_block_till_done()

    count, [alert] = _open_alerts(hass)
    assert count == "1"
    assert alert == {
        "alert_id": response["alert_id"],
        "tag": "leak",
        "step": 1,
        "round": 1,
        "next_step_at": (raised_at + timedelta(minutes=5)).isoformat("T", "seconds"),
        "texted": ["notify.alice"],
    }

    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await smsmode_account.runtime_data.outbox.async_drain()
    await hass.async_block_till_done()
    count, [alert] = _open_alerts(hass)
    assert (count, alert["step"], alert["texted"]) == ("1", 2, ["notify.alice", "notify.bob"])
    assert [message.text for message in smsmode_sim.messages] == [
        "Fuite d'eau",
        "2nd alert: Alice has not answered. Fuite d'eau",
    ]

    freezer.tick(timedelta(seconds=30))
    await hass.services.async_call(DOMAIN, "acknowledge_alert", {"tag": "leak"}, blocking=True)
    await hass.async_block_till_done()
    assert _open_alerts(hass) == ("0", [])
    assert [(name, message) for name, message, _ in await story()] == [
        ("Texto alert leak", "raised: texting Alice (step 1)"),
        ("Texto alert leak", "escalated: texting Bob (step 2), 5 min after it was raised"),
        ("Texto alert leak", "acknowledged in Home Assistant after 5 min 30 s"),
    ]
