"""The blueprints, loaded by Home Assistant's blueprint machinery and run against the simulators."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.texto.alerts import async_get_alerts
from custom_components.texto.const import CONF_WEBHOOK_ID, EVENT_ALERT
from tests.simulator.allmysms import AllMySmsSimulator

from .common import ALICE, BOB, allmysms_entry, recipient, send_sms, set_up

type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "texto"
DONE = "texto_blueprint_done"


@pytest.fixture
async def account(
    hass: HomeAssistant,
    tmp_path: Path,
    allmysms_sim: AllMySmsSimulator,
    hass_client_no_auth: ClientFactory,
    socket_enabled: None,
) -> MockConfigEntry:
    """An AllMySMS account (Alice, Bob) calling back; the blueprints where HA looks for them."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "texto")
    assert await async_setup_component(hass, "webhook", {})
    client = await hass_client_no_auth()
    entry = await set_up(
        hass,
        allmysms_entry(
            allmysms_sim, subentries_data=[recipient("Alice", ALICE), recipient("Bob", BOB)]
        ),
    )
    allmysms_sim.webhook_url = str(
        client.make_url(async_generate_path(entry.data[CONF_WEBHOOK_ID]))
    )
    return entry


async def _use_blueprint(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {automation.DOMAIN: [{"use_blueprint": {"path": f"texto/{path}", "input": inputs}}]},
    )
    await hass.async_block_till_done()
    [state] = hass.states.async_all(automation.DOMAIN)
    assert state.state == "on", state  # loaded, its inputs accepted


def _done_action(what: str) -> list[dict[str, Any]]:
    """The user's actions: an event carrying the blueprint's variables."""
    return [{"event": DONE, "event_data": {"what": what, "summary": "{{ summary | default('') }}"}}]


async def test_sms_on_alarm(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    long_name = "Détecteur de fumée du grenier au-dessus de la chambre des enfants, côté jardin"
    hass.states.async_set("binary_sensor.smoke", "off", {"friendly_name": long_name})
    await _use_blueprint(
        hass,
        "sms_on_alarm.yaml",
        {
            "watched": "binary_sensor.smoke",
            "to_state": "on",
            "recipients": ["notify.alice", "notify.bob"],
            "prefix": "Alerte maison :",
        },
    )

    hass.states.async_set("binary_sensor.smoke", "on", {"friendly_name": long_name})
    await hass.async_block_till_done()
    await hass.async_block_till_done()

    texts = sorted((sms.number, sms.text) for sms in allmysms_sim.messages)
    assert [number for number, _ in texts] == ["33612345678", "33698765432"]
    text = texts[0][1]
    assert text.startswith("Alerte maison : Détecteur de fumée")
    assert " à " in text
    # one part each: at most 160 GSM-7 characters
    assert {sms.parts for sms in allmysms_sim.messages} == {1}
    assert len(text) <= 160


async def test_act_on_a_reply_within_minutes_of_the_alert(
    hass: HomeAssistant,
    account: MockConfigEntry,
    allmysms_sim: AllMySmsSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    done = async_capture_events(hass, DONE)
    await _use_blueprint(
        hass,
        "act_on_reply.yaml",
        {
            "recipient": "notify.alice",
            "expected": "1",
            "within": 10,
            "reply_actions": _done_action("disarm"),
        },
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE, BOB], message="Répondez 1")

    await allmysms_sim.inject_reply(BOB, "1")  # not the chosen recipient
    await allmysms_sim.inject_reply(ALICE, "2")  # not the expected text
    await allmysms_sim.call_back(  # forged: claims Alice, but no Texto send vouches for it
        allmysms_sim.webhook_url,
        {"smsMoId": "forged", "message": "1", "phoneNumber": "33612345678"},
        method="POST",
    )
    await hass.async_block_till_done()
    assert done == []

    await allmysms_sim.inject_reply(ALICE, "1")
    await hass.async_block_till_done()
    assert [event.data["what"] for event in done] == ["disarm"]


@pytest.mark.parametrize(("minutes", "acted"), [(9, ["disarm"]), (11, [])])
async def test_a_reply_counts_only_within_the_minutes_given(
    *,
    hass: HomeAssistant,
    account: MockConfigEntry,
    allmysms_sim: AllMySmsSimulator,
    freezer: FrozenDateTimeFactory,
    minutes: int,
    acted: list[str],
) -> None:
    done = async_capture_events(hass, DONE)
    await _use_blueprint(
        hass,
        "act_on_reply.yaml",
        {"recipient": "notify.alice", "within": 10, "reply_actions": _done_action("disarm")},
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE], message="Répondez 1")

    # the reply arrives (the gateway's own date says so) some minutes after the alert
    freezer.tick(timedelta(minutes=minutes))
    await allmysms_sim.inject_reply(ALICE, "1")
    await hass.async_block_till_done()

    assert [event.data["what"] for event in done] == acted


#: each language's summaries: of a report that it did not arrive, of a send that failed
SUMMARIES = {
    "tell_when_not_delivered.yaml": (
        "An SMS did not reach {}",
        "An SMS to {} was not sent (failed:",
    ),
    "fr/tell_when_not_delivered.yaml": (
        "Un SMS n'est pas arrivé à {}",
        "Un SMS à {} n'est pas parti (failed :",
    ),
}


@pytest.mark.parametrize("path", list(SUMMARIES))
async def test_tell_someone_else_when_an_sms_did_not_get_through(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator, path: str
) -> None:
    not_reached, not_sent = SUMMARIES[path]
    done: list[Event] = async_capture_events(hass, DONE)
    await _use_blueprint(hass, path, {"tell_action": _done_action("tell")})
    delivered = await send_sms(hass, account.entry_id, recipients=[ALICE], message="a")
    lost = await send_sms(hass, account.entry_id, recipients=[BOB], message="b")

    await allmysms_sim.deliver(delivered["message_id"], status=1)
    await allmysms_sim.deliver(lost["message_id"], status=5)  # absent subscriber
    allmysms_sim.force_status = 117  # and a send refused for good
    with pytest.raises(HomeAssistantError):
        await send_sms(hass, account.entry_id, recipients=[ALICE], message="c")
    await hass.async_block_till_done()

    summaries = sorted(event.data["summary"] for event in done)
    assert len(summaries) == 2
    assert {summary.split(" ")[1] for summary in summaries} == {"SMS"}
    assert any(summary.startswith(not_reached.format(BOB)) for summary in summaries)
    assert any(summary.startswith(not_sent.format(ALICE)) for summary in summaries)


@pytest.mark.parametrize(
    ("path", "first_text"),
    [
        ("alert_until_answered.yaml", "Water detected at home! Reply OK once someone is on it."),
        (
            "fr/alert_until_answered.yaml",
            "Fuite d'eau à la maison ! Répondez OK quand quelqu'un s'en occupe.",
        ),
    ],
)
async def test_alert_the_household_until_someone_answers(
    *,
    hass: HomeAssistant,
    account: MockConfigEntry,
    allmysms_sim: AllMySmsSimulator,
    freezer: FrozenDateTimeFactory,
    path: str,
    first_text: str,
) -> None:
    alerts = async_capture_events(hass, EVENT_ALERT)
    hass.states.async_set("binary_sensor.leak", "off")
    await _use_blueprint(
        hass,
        path,
        {
            "watched": "binary_sensor.leak",
            "ladder": ["notify.bob", "notify.alice"],
            "wait": {"minutes": 2},
        },
    )

    hass.states.async_set("binary_sensor.leak", "on")
    await hass.async_block_till_done()
    await account.runtime_data.outbox.async_drain()
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await account.runtime_data.outbox.async_drain()

    # Bob first, with the blueprint's message; Alice two minutes later
    assert [(sms.number, sms.text) for sms in allmysms_sim.messages] == [
        ("33698765432", first_text),
        ("33612345678", f"2nd alert: Bob has not answered. {first_text}"),
    ]
    [automation_id] = hass.states.async_entity_ids(automation.DOMAIN)
    assert [(event.data["type"], event.data["tag"]) for event in alerts] == [
        ("raised", automation_id),
        ("escalated", automation_id),
    ]

    # the leak again: the automation's alert is replaced, not doubled
    hass.states.async_set("binary_sensor.leak", "off")
    hass.states.async_set("binary_sensor.leak", "on")
    await hass.async_block_till_done()
    assert [event.data["type"] for event in alerts][2:] == ["cancelled", "raised"]
    assert len(async_get_alerts(hass).open_alerts_for(account.entry_id)) == 1


# --- the blueprints in the list: short names, each in French too --------------------------------

#: the longest name the blueprint list shows whole (a narrow window cuts longer ones)
NAME_LIMIT = 36


def _blueprint(path: Path) -> dict[str, Any]:
    """A blueprint file's content, its ``!input`` tags read as plain markers."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!input", lambda loader, node: f"!input {node.value}")
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    return data


ENGLISH = sorted(BLUEPRINTS.glob("*.yaml"))


@pytest.mark.parametrize("english", ENGLISH, ids=lambda path: path.stem)
def test_each_blueprint_has_a_french_copy_that_works_the_same(english: Path) -> None:
    french = BLUEPRINTS / "fr" / english.name
    ours, theirs = _blueprint(english), _blueprint(french)
    assert set(ours["blueprint"]["input"]) == set(theirs["blueprint"]["input"])
    for key in ("triggers", "conditions", "actions", "mode"):
        assert ours.get(key) == theirs.get(key), key
    assert theirs["blueprint"]["source_url"].endswith(f"/texto/fr/{english.name}")
    assert ours["blueprint"]["name"] != theirs["blueprint"]["name"]


@pytest.mark.parametrize(
    "path", [*ENGLISH, *sorted((BLUEPRINTS / "fr").glob("*.yaml"))], ids=lambda path: path.stem
)
def test_blueprint_names_are_short_and_say_texto(path: Path) -> None:
    name = _blueprint(path)["blueprint"]["name"]
    assert name.startswith("Texto — ")
    assert len(name) <= NAME_LIMIT, name
