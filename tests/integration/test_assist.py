"""Talk to Assist: a recipient's texts reach a conversation agent, answers come back by SMS.

Through real parts: the fake modem on a pseudo-terminal, the smsmode simulator calling
Home Assistant's webhook (or read by polling), Home Assistant's own conversation agent
with a real exposed template light, and a registered fake agent that records its calls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_USER, ConfigSubentryData
from homeassistant.const import CONF_NAME, MATCH_ALL
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.texto import assist
from custom_components.texto.assist_settings import (
    AssistSettings,
    hash_pin,
    pin_matches,
)
from custom_components.texto.assist_text import fit_answer, mask, needs_pin, split_pin
from custom_components.texto.const import (
    CONF_ASSIST,
    CONF_DAILY_PARTS_CAP,
    CONF_MESSAGE_CLASS,
    CONF_PHONE_NUMBER,
    CONF_RECEIVE_MODE,
    DOMAIN,
    EVENT_ALERT,
    EVENT_ASSIST,
    EVENT_SMS_RECEIVED,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.texto.gateway.base import PARIS
from custom_components.texto.gateway.encoding import encode
from custom_components.texto.gateway.models import TextPolicy
from custom_components.texto.polling import get_poller
from custom_components.texto.recipient_flow import recipient_title
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.modem import FakeModem
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.sms_pdus import deliver_pdus
from tests.simulator.smsmode import SmsmodeSimulator

from .callbacks import url_of
from .common import (
    ALICE,
    BOB,
    allmysms_entry,
    modem_entry,
    send_sms,
    set_up,
    sms123_entry,
    smsmode_entry,
)

_LOGGER = logging.getLogger(__name__)

#: the modem's timings in tenths of seconds (``common.fast_modem``)
pytestmark = pytest.mark.usefixtures("fast_modem")

PIN = "1234"
CAROL = "+33622334455"
LIGHT = "light.kitchen_light"
ASSIST_KEYS = {"account", "recipient", "agent_id", "answered", "parts", "text"}


# --- the parts ------------------------------------------------------------------------------


class FakeAgent(conversation.AbstractConversationAgent):
    """A conversation agent that records what it was asked and answers ``answer``."""

    def __init__(self, answer: str = "Done.") -> None:
        self.answer = answer
        self.calls: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> Literal["*"]:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.calls.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(self.answer)
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )

    @property
    def texts(self) -> list[str]:
        return [call.text for call in self.calls]


@pytest.fixture
async def fake_agent(hass: HomeAssistant) -> tuple[FakeAgent, str]:
    """A fake agent registered in Home Assistant's conversation component, and its id."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    owner = MockConfigEntry(domain="fake_agent", title="Fake agent")
    owner.add_to_hass(hass)
    agent = FakeAgent()
    conversation.async_set_agent(hass, owner, agent)
    return agent, owner.entry_id


@pytest.fixture
async def kitchen_light(hass: HomeAssistant) -> str:
    """A template light "Kitchen light", exposed to Home Assistant's own agent (warmed up)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"kitchen_power": {"name": "Kitchen power"}}}
    )
    power = {"entity_id": "input_boolean.kitchen_power"}
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "light": [
                        {
                            "name": "Kitchen light",
                            "unique_id": "kitchen_light",
                            "state": "{{ is_state('input_boolean.kitchen_power', 'on') }}",
                            "turn_on": {"action": "input_boolean.turn_on", "target": power},
                            "turn_off": {"action": "input_boolean.turn_off", "target": power},
                        }
                    ]
                }
            ]
        },
    )
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", LIGHT, True)
    async_expose_entity(hass, "conversation", "input_boolean.kitchen_power", False)
    # A running Home Assistant has loaded its sentences and matched a first one already
    # (about 0.5 s here, once); the test's does it here, unmeasured
    await conversation.async_prepare_agent(hass, None, hass.config.language)
    await conversation.async_converse(hass, "what time is it", None, Context())
    assert _light(hass) == "off"
    return LIGHT


@pytest.fixture
def no_loop_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts may follow an answer at once (the 10 s loop window is tested on its own)."""
    monkeypatch.setattr(assist, "LOOP_GUARD_SECONDS", 0.0)


def assisted(
    name: str = "Alice", number: str = ALICE, *, pin: str | None = PIN, **settings: Any
) -> ConfigSubentryData:
    """A recipient with Talk to Assist on (PIN trust, the PIN ``pin``), as the form stores it."""
    stored = AssistSettings(enabled=True, pin_hash=hash_pin(pin) if pin else None, **settings)
    return ConfigSubentryData(
        data={CONF_NAME: name, CONF_PHONE_NUMBER: number, CONF_ASSIST: stored.as_data()},
        subentry_type=SUBENTRY_TYPE_RECIPIENT,
        title=recipient_title(name, number),
        unique_id=number,
    )


def record(hass: HomeAssistant, event_type: str) -> list[dict[str, Any]]:
    """The data of each ``event_type`` event from now on, in the order they fired."""
    seen: list[dict[str, Any]] = []

    @callback  # in the event loop, as it fires (a plain function would run in a thread)
    def listener(event: Event) -> None:
        seen.append(dict(event.data))

    hass.bus.async_listen(event_type, listener)
    return seen


def record_events(hass: HomeAssistant, event_type: str) -> list[Event[Any]]:
    """Each ``event_type`` event from now on (``MATCH_ALL``: every event), in order."""
    seen: list[Event[Any]] = []

    @callback
    def listener(event: Event[Any]) -> None:
        seen.append(event)

    hass.bus.async_listen(event_type, listener)
    return seen


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def settle(hass: HomeAssistant) -> None:
    """Let a text's way through Texto end (webhook, inbox, any exchange and its send)."""
    await asyncio.sleep(0.05)
    # the exchanges are background tasks of the account
    await hass.async_block_till_done(wait_background_tasks=True)


def _light(hass: HomeAssistant) -> str:
    state = hass.states.get(LIGHT)
    assert state is not None
    return state.state


def _subentry_id(entry: MockConfigEntry, number: str = ALICE) -> str:
    return next(sub.subentry_id for sub in entry.subentries.values() if sub.unique_id == number)


def _settings(entry: MockConfigEntry, number: str = ALICE) -> AssistSettings:
    return AssistSettings.of(entry.subentries[_subentry_id(entry, number)].data)


async def _smsmode_on_webhook(
    hass: HomeAssistant,
    sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    *recipients: ConfigSubentryData,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A smsmode account whose replies reach the webhook (the account's reply URL setting)."""
    entry = smsmode_entry(
        sim,
        options={CONF_RECEIVE_MODE: "webhook", **(options or {})},
        subentries_data=list(recipients) or [assisted()],
    )
    await set_up(hass, entry)
    sim.reply_callback_url = url_of(client, entry)
    return entry


def _answers(sim: SmsmodeSimulator) -> list[str]:
    return [message.text for message in sim.messages if message.ref_client]


# --- "Done when": the kitchen light, from the modem and from smsmode ------------------------


async def test_the_modem_turns_the_kitchen_light_on_and_answers_within_a_second(
    hass: HomeAssistant, fake_modem: FakeModem, kitchen_light: str
) -> None:
    entry = await set_up(hass, modem_entry(fake_modem, subentries_data=[assisted()]))
    assists = record(hass, EVENT_ASSIST)
    received = record(hass, EVENT_SMS_RECEIVED)

    started = time.monotonic()
    await fake_modem.inject_reply(ALICE, f"{PIN} turn on the kitchen light")
    await eventually(lambda: bool(fake_modem.sent_texts()))
    elapsed = time.monotonic() - started

    _LOGGER.info("modem: text in to answer out in %.3f s", elapsed)
    assert elapsed <= 1.0
    assert _light(hass) == "on"
    [(number, answer)] = fake_modem.sent_texts()
    assert number == ALICE
    assert "light" in answer.lower() or "turned on" in answer.lower()
    await hass.async_block_till_done()
    [event] = assists
    assert event == {
        "account": entry.entry_id,
        "recipient": "notify.alice",
        "agent_id": "conversation.home_assistant",
        "answered": True,
        "parts": 1,
        "text": "turn on the •••",
    }
    # the reply's own event carries the command, the PIN cut off
    [reply] = received
    assert reply["text"] == "turn on the kitchen light"


async def test_smsmode_turns_the_kitchen_light_on_and_answers_within_a_second(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    kitchen_light: str,
) -> None:
    entry = await set_up(
        hass,
        smsmode_entry(
            smsmode_sim,
            options={CONF_RECEIVE_MODE: "webhook", CONF_MESSAGE_CLASS: "replies_allowed"},
            subentries_data=[assisted()],
        ),
    )
    assists = record(hass, EVENT_ASSIST)
    # smsmode passes on only answers to a message sent in its replies class: one starts it
    sent = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Maison : bonjour")

    started = time.monotonic()
    await smsmode_sim.inject_reply(ALICE, f"{PIN} turn on the kitchen light", sent["message_id"])
    await eventually(lambda: len(smsmode_sim.messages) == 2)
    elapsed = time.monotonic() - started

    _LOGGER.info("smsmode: text in to answer out in %.3f s", elapsed)
    assert elapsed <= 1.0
    assert _light(hass) == "on"
    answer = smsmode_sim.messages[-1]
    assert answer.number == "33612345678"
    assert answer.ref_client == f"assist-{_subentry_id(entry)}"
    # the answer takes replies too: the next text follows on
    assert answer.classe_msg == 4
    await hass.async_block_till_done()
    [event] = assists
    assert event["answered"] is True
    assert event["parts"] == 1


async def test_a_text_without_the_pin_from_another_number_or_a_disabled_recipient_does_nothing(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    kitchen_light: str,
) -> None:
    off = AssistSettings(pin_hash=hash_pin(PIN)).as_data()  # a PIN, but Assist left off
    carol = assisted("Carol", CAROL)
    carol["data"] = {**carol["data"], CONF_ASSIST: off}
    await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(), carol)
    assists = record(hass, EVENT_ASSIST)
    received = record(hass, EVENT_SMS_RECEIVED)

    await smsmode_sim.inject_reply(ALICE, "turn on the kitchen light")
    await smsmode_sim.inject_reply(BOB, f"{PIN} turn on the kitchen light")
    await smsmode_sim.inject_reply(CAROL, f"{PIN} turn on the kitchen light")
    await settle(hass)

    assert _light(hass) == "off"
    assert smsmode_sim.messages == []
    assert assists == []
    # ordinary replies, as before Assist: automations keep them
    assert [(event["sender"], event["text"]) for event in received] == [
        (ALICE, "turn on the kitchen light"),
        (BOB, f"{PIN} turn on the kitchen light"),
        # Assist off, her PIN still stored: the PIN is kept out of the event all the same
        (CAROL, "turn on the kitchen light"),
    ]


async def test_beyond_the_hourly_limit_nothing_changes_and_nothing_is_sent(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    kitchen_light: str,
    no_loop_window: None,
) -> None:
    entry = await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(max_per_hour=2))
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} turn on the kitchen light")
    await settle(hass)
    await smsmode_sim.inject_reply(ALICE, f"{PIN} turn off the kitchen light")
    await settle(hass)
    assert _light(hass) == "off"
    await smsmode_sim.inject_reply(ALICE, f"{PIN} turn on the kitchen light")
    await settle(hass)

    assert _light(hass) == "off"
    assert len(_answers(smsmode_sim)) == 2
    assert [(event["answered"], event["parts"]) for event in assists] == [
        (True, 1),
        (True, 1),
        (False, 0),
    ]
    assert entry.runtime_data.assist.counts(_subentry_id(entry))["exchanges_this_hour"] == 2


# --- the PIN ----------------------------------------------------------------------------------


async def test_the_right_pin_reaches_the_agent_without_the_pin(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    user = await hass.auth.async_create_user("Alice", group_ids=["system-users"])
    entry = await _smsmode_on_webhook(
        hass, smsmode_sim, client, assisted(agent_id=agent_id, user_id=user.id)
    )
    assists = record_events(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"  {PIN}, is the alarm on?")
    await settle(hass)

    [call] = agent.calls
    assert call.text == "is the alarm on?"
    # one conversation per recipient (not a ULID: kept as given), its texts with the PIN
    # apart from those without, acting as the user chosen
    assert call.conversation_id == f"texto-{_subentry_id(entry)}-pin"
    assert call.context.user_id == user.id
    assert call.language == hass.config.language
    assert _answers(smsmode_sim) == ["Done."]
    [event] = assists
    assert event.data["agent_id"] == agent_id
    assert event.context.user_id == user.id


async def test_a_wrong_pin_fires_nothing_and_five_turn_assist_off_until_repaired(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent, agent_id = fake_agent
    assert await async_setup_component(hass, "repairs", {})
    entry = await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(agent_id=agent_id))
    subentry_id = _subentry_id(entry)
    received = record(hass, EVENT_SMS_RECEIVED)
    assists = record(hass, EVENT_ASSIST)
    caplog.set_level(logging.DEBUG, "custom_components.texto")

    for guess in ("0000", "1111", "2222", "3333"):
        await smsmode_sim.inject_reply(ALICE, f"{guess} open the garage")
    await settle(hass)
    assert _settings(entry).enabled
    assert entry.runtime_data.assist.counts(subentry_id)["failures_this_hour"] == 4
    await smsmode_sim.inject_reply(ALICE, "4444 open the garage")
    await settle(hass)

    # no answer, no event of any kind: the guesses are nowhere
    assert agent.calls == []
    assert smsmode_sim.messages == []
    assert received == assists == []
    settings = _settings(entry)
    assert (settings.enabled, settings.locked_out) == (False, True)
    assert settings.pin_set  # the PIN is kept: the owner turns Assist back on
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"assist_locked_out_{subentry_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {"account": "smsmode", "recipient": "Alice · •• 56 78"}
    texto = [r for r in caplog.records if r.name.startswith("custom_components.texto.assist")]
    assert [r.levelname for r in texto] == ["DEBUG"] * 5 + ["INFO"]

    # the sixth, with the right PIN: nothing; nor does the PIN reach any event
    await smsmode_sim.inject_reply(ALICE, f"{PIN} open the garage")
    await settle(hass)
    assert agent.calls == []
    assert smsmode_sim.messages == []
    assert received == assists == []

    # the repair issue turns Assist back on, with its PIN
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {
        "recipient": "Alice · •• 56 78",
        "account": "smsmode",
    }
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (_settings(entry).enabled, _settings(entry).locked_out) == (True, False)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    await smsmode_sim.inject_reply(ALICE, f"{PIN} open the garage")
    await settle(hass)
    assert agent.texts == ["open the garage"]


async def test_a_lock_out_is_shown_again_after_a_restart(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    locked = assisted()
    locked["data"] = {
        **locked["data"],
        CONF_ASSIST: AssistSettings.of(locked["data"]).locked().as_data(),
    }
    entry = await set_up(hass, smsmode_entry(smsmode_sim, subentries_data=[locked]))

    issue_id = f"assist_locked_out_{_subentry_id(entry)}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


# --- the loop guard ---------------------------------------------------------------------------


async def test_no_answer_to_an_answer(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    fake_agent: tuple[FakeAgent, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent, agent_id = fake_agent
    agent.answer = "Kitchen light turned on."
    await set_up(
        hass,
        modem_entry(fake_modem, subentries_data=[assisted(trust="verified", agent_id=agent_id)]),
    )
    received = record(hass, EVENT_SMS_RECEIVED)
    assists = record(hass, EVENT_ASSIST)

    await fake_modem.inject_reply(ALICE, "turn on the kitchen light")
    await eventually(lambda: len(fake_modem.sent_texts()) == 1)
    # within 10 s of the answer: an auto-responder, whatever it says
    await fake_modem.inject_reply(ALICE, "I am driving, I will call you back")
    await eventually(lambda: not fake_modem.storage)
    await settle(hass)
    assert agent.texts == ["turn on the kitchen light"]
    assert len(received) == len(assists) == 1

    # later: one that repeats the answer is taken for an echo; another is a new question
    monkeypatch.setattr(assist, "LOOP_GUARD_SECONDS", 0.0)
    await fake_modem.inject_reply(ALICE, "  KITCHEN light turned on. ")
    await eventually(lambda: not fake_modem.storage)
    await settle(hass)
    assert agent.texts == ["turn on the kitchen light"]
    await fake_modem.inject_reply(ALICE, "is the heating on?")
    await eventually(lambda: len(fake_modem.sent_texts()) == 2)
    assert agent.texts == ["turn on the kitchen light", "is the heating on?"]


# --- verified mode ------------------------------------------------------------------------------


async def test_verified_mode_refuses_a_bare_webhook_text_and_takes_polled_ones(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
    no_loop_window: None,
) -> None:
    agent, agent_id = fake_agent
    entry = await _smsmode_on_webhook(
        hass,
        smsmode_sim,
        client,
        assisted(trust="verified", agent_id=agent_id),
        options={CONF_RECEIVE_MODE: "both"},
    )
    received = record(hass, EVENT_SMS_RECEIVED)

    # anyone holding the webhook's URL could have posted this one
    await smsmode_sim.inject_reply(ALICE, "is the alarm on?")
    await settle(hass)
    assert agent.calls == []
    assert smsmode_sim.messages == []
    [event] = received
    assert (event["text"], event["verified"]) == ("is the alarm on?", False)
    assert entry.runtime_data.assist.counts(_subentry_id(entry))["failures_this_hour"] == 1
    # one holding a PIN-shaped number fires nothing at all
    await smsmode_sim.inject_reply(ALICE, "9999 is the alarm on?")
    await settle(hass)
    assert len(received) == 1

    # read back from smsmode's own API: vouched for
    smsmode_sim.reply_callback_url = None
    await smsmode_sim.inject_reply(ALICE, "and the heating?")
    poller = get_poller(hass, entry.entry_id)
    assert poller is not None
    await poller.async_poll_replies()
    await settle(hass)
    assert agent.texts == ["and the heating?"]
    assert _answers(smsmode_sim) == ["Done."]


async def test_verified_mode_wants_the_pin_for_locks_alarms_doors_and_covers(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    fake_agent: tuple[FakeAgent, str],
    no_loop_window: None,
) -> None:
    agent, agent_id = fake_agent
    # covers named in no sensitive word: by their name, and by an alias Assist knows them by
    hass.states.async_set("cover.pergola", "closed", {"friendly_name": "Pergola"})
    registry = er.async_get(hass)
    awning = registry.async_get_or_create("cover", "demo", "awning", suggested_object_id="awning")
    registry.async_update_entity(awning.entity_id, aliases={"tonnelle"})
    hass.states.async_set(awning.entity_id, "closed", {"friendly_name": "Awning"})
    await set_up(
        hass,
        modem_entry(
            fake_modem,
            subentries_data=[
                assisted(trust="verified", agent_id=agent_id),
                assisted("Bob", BOB, pin=None, trust="verified", agent_id=agent_id),
            ],
        ),
    )
    assists = record(hass, EVENT_ASSIST)

    texts = ("open the garage", "Déverrouille la porte", "raise the Pergola", "monte la tonnelle")
    for text in texts:
        await fake_modem.inject_reply(ALICE, text)
        await eventually(lambda: not fake_modem.storage)
        await settle(hass)
    await fake_modem.inject_reply(BOB, "disarm the alarm")
    await eventually(lambda: len(fake_modem.sent_texts()) == 5)

    assert agent.calls == []
    needs_pin_text = "Start your text with your PIN to act on locks, alarms, doors and covers."
    assert [text for _, text in fake_modem.sent_texts()] == [needs_pin_text] * 4 + [
        "Locks, alarms, doors and covers need a PIN: ask for one to be set for your number "
        "in Texto."
    ]
    await hass.async_block_till_done()
    assert [event["answered"] for event in assists] == [True] * 5

    # with the PIN in the same text, it goes
    await fake_modem.inject_reply(ALICE, f"{PIN} open the garage")
    await eventually(lambda: len(fake_modem.sent_texts()) == 6)
    assert agent.texts == ["open the garage"]
    # an agent other than Home Assistant's own (an LLM) with covers to act on: words cannot
    # bound what it understands, so any text without the PIN needs it (Bob has none)
    await fake_modem.inject_reply(BOB, "2024 was a good year")
    await eventually(lambda: len(fake_modem.sent_texts()) == 7)
    assert agent.texts == ["open the garage"]
    assert fake_modem.sent_texts()[-1][1].startswith("Locks, alarms, doors and covers need a PIN")


async def test_verified_mode_leaves_an_alerts_ok_to_the_alert(
    hass: HomeAssistant,
    fake_modem: FakeModem,
    fake_agent: tuple[FakeAgent, str],
    no_loop_window: None,
) -> None:
    """Alice, texted an alert, answers "OK": the alert is acknowledged, Assist is not asked."""
    agent, agent_id = fake_agent
    await set_up(
        hass,
        modem_entry(fake_modem, subentries_data=[assisted(trust="verified", agent_id=agent_id)]),
    )
    alerts = record(hass, EVENT_ALERT)
    await hass.services.async_call(
        DOMAIN,
        "raise_alert",
        {"message": "Fuite d'eau, répondez OK", "recipients": ["notify.alice"]},
        blocking=True,
        return_response=True,
    )
    await eventually(lambda: len(fake_modem.sent_texts()) == 1)

    await fake_modem.inject_reply(ALICE, "OK")
    await eventually(lambda: [event["type"] for event in alerts] == ["raised", "acknowledged"])
    await settle(hass)
    assert agent.calls == []
    assert len(fake_modem.sent_texts()) == 1  # no "I did not understand" paid for

    # the alert ended: Alice's texts are questions for Assist again
    await fake_modem.inject_reply(ALICE, "OK, is the water off?")
    await eventually(lambda: agent.texts == ["OK, is the water off?"])


async def test_a_text_received_long_ago_is_not_acted_on(
    hass: HomeAssistant, fake_modem: FakeModem, kitchen_light: str
) -> None:
    """ "1234 turn on the kitchen light" sent this morning, read from the SIM tonight."""
    await set_up(hass, modem_entry(fake_modem, subentries_data=[assisted()]))
    assists = record(hass, EVENT_ASSIST)
    received = record(hass, EVENT_SMS_RECEIVED)

    this_morning = datetime.now(PARIS).replace(microsecond=0) - timedelta(hours=12)
    [pdu] = deliver_pdus(ALICE, f"{PIN} turn on the kitchen light", when=this_morning)
    fake_modem.store_pdu(pdu)
    await eventually(lambda: bool(received))
    await settle(hass)

    assert _light(hass) == "off"
    assert fake_modem.sent_texts() == []
    assert assists == []
    # the reply itself still fires, without the PIN
    assert [event["text"] for event in received] == ["turn on the kitchen light"]


async def test_verified_mode_answers_nothing_to_a_text_assist_does_not_understand(
    hass: HomeAssistant, fake_modem: FakeModem, kitchen_light: str, no_loop_window: None
) -> None:
    """ "Thanks!", "👍": a paid "Sorry, I couldn't understand that" would help no one."""
    await set_up(hass, modem_entry(fake_modem, subentries_data=[assisted(trust="verified")]))
    assists = record(hass, EVENT_ASSIST)

    await fake_modem.inject_reply(ALICE, "Thanks a lot!")
    await eventually(lambda: bool(assists))
    assert fake_modem.sent_texts() == []
    assert (assists[0]["answered"], assists[0]["parts"]) == (False, 0)

    # with the PIN, the recipient asked on purpose: they are told it was not understood
    await fake_modem.inject_reply(ALICE, f"{PIN} blorp the flux")
    await eventually(lambda: len(fake_modem.sent_texts()) == 1)
    # and a question it understands is answered without the PIN
    await fake_modem.inject_reply(ALICE, "turn on the kitchen light")
    await eventually(lambda: len(fake_modem.sent_texts()) == 2)
    assert _light(hass) == "on"


def test_slow_guessing_is_locked_out_within_a_day(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four wrong PINs an hour never reach five in an hour: the tenth in a day locks out."""
    clock = [1000.0]

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return clock[0]

    monkeypatch.setattr(assist, "time", Clock)
    entry = MockConfigEntry(domain=DOMAIN, subentries_data=[assisted()])
    entry.add_to_hass(hass)
    [subentry] = entry.subentries.values()
    desk = assist.AssistDesk(hass, entry, outbox=None)  # type: ignore[arg-type]
    locked: list[str] = []
    monkeypatch.setattr(desk, "_lock_out", locked.append)

    for guess in range(9):
        clock[0] += 900.0 * (4 if guess % 4 == 0 else 1)  # 4 an hour at most
        desk.screen(subentry, ALICE, f"{1000 + guess} open", trusted=False)
    assert locked == []
    clock[0] += 900.0
    desk.screen(subentry, ALICE, "2000 open", trusted=False)
    assert locked == [subentry.subentry_id]


async def test_verified_mode_asks_home_assistants_agent_what_a_text_would_reach(
    hass: HomeAssistant, fake_modem: FakeModem, kitchen_light: str, no_loop_window: None
) -> None:
    """ "set the kitchen to 100%" names no cover, yet would reach the kitchen's pergola."""
    kitchen = ar.async_get(hass).async_create("Kitchen")
    registry = er.async_get(hass)
    pergola = registry.async_get_or_create("cover", "demo", "pergola", suggested_object_id="p1")
    registry.async_update_entity(pergola.entity_id, area_id=kitchen.id)
    hass.states.async_set(pergola.entity_id, "closed", {"friendly_name": "P1"})
    async_expose_entity(hass, "conversation", pergola.entity_id, True)
    registry.async_update_entity(LIGHT, area_id=kitchen.id)
    await set_up(hass, modem_entry(fake_modem, subentries_data=[assisted(trust="verified")]))
    needs_pin_text = "Start your text with your PIN to act on locks, alarms, doors and covers."

    await fake_modem.inject_reply(ALICE, "set the kitchen to 100%")
    await eventually(lambda: len(fake_modem.sent_texts()) == 1)
    assert fake_modem.sent_texts()[-1][1] == needs_pin_text
    assert _light(hass) == "off"

    # the light alone, or a question, reaches no cover: no PIN needed
    await fake_modem.inject_reply(ALICE, "turn on the kitchen light")
    await eventually(lambda: len(fake_modem.sent_texts()) == 2)
    assert _light(hass) == "on"
    await fake_modem.inject_reply(ALICE, "is the kitchen light on?")
    await eventually(lambda: len(fake_modem.sent_texts()) == 3)
    assert fake_modem.sent_texts()[-1][1] != needs_pin_text


# --- the answer -------------------------------------------------------------------------------


async def test_a_long_answer_is_cut_to_the_parts_allowed_on_a_word(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    agent.answer = "Le salon est à 21 °C, la chambre à 19 °C 🌡️ et la cuisine à 22 °C. " * 6
    await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(agent_id=agent_id, max_parts=1))
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} quelle température ?")
    await settle(hass)

    [message] = smsmode_sim.messages
    assert message.parts == 1
    assert message.text.endswith("…")
    cut = message.text.removesuffix("…")
    assert agent.answer.startswith(cut)
    # on a word: the answer goes on with a space where it was cut
    assert agent.answer[len(cut)] == " "
    [event] = assists
    assert event["parts"] == 1


async def test_an_answer_the_daily_cap_refuses_is_not_sent_and_a_repair_says_so(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    entry = await _smsmode_on_webhook(
        hass,
        smsmode_sim,
        client,
        assisted(agent_id=agent_id),
        options={CONF_DAILY_PARTS_CAP: 1},
    )
    await send_sms(hass, entry.entry_id, recipients=[BOB], message="Alerte")
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} is the alarm on?")
    await settle(hass)

    assert agent.texts == ["is the alarm on?"]
    assert len(smsmode_sim.messages) == 1
    [event] = assists
    assert (event["answered"], event["parts"]) == (False, 0)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"assist_capped_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"account": "smsmode", "recipient": "Alice · •• 56 78"}


async def test_an_agent_that_is_gone_answers_nothing(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(agent_id="no_such_agent"))
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} is the alarm on?")
    await settle(hass)

    assert smsmode_sim.messages == []
    [event] = assists
    assert (event["answered"], event["parts"]) == (False, 0)
    warnings = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components.texto")
    ]
    assert [r.getMessage() for r in warnings] == [
        "smsmode: the conversation agent chosen for a recipient is not there"
    ]


@pytest.fixture
def short_agent_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent is given 0.2 s, not a minute."""
    monkeypatch.setattr(assist, "AGENT_TIMEOUT", 0.2)


class FailingAgent(FakeAgent):
    """An agent that breaks, or never answers."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.calls.append(user_input)
        if self.how == "hangs":
            await asyncio.sleep(30)
        raise RuntimeError(user_input.text)


@pytest.mark.parametrize(
    "case",
    [
        ("raises", "smsmode: the conversation agent failed (RuntimeError)"),
        ("hangs", "smsmode: the conversation agent did not answer within 0.2 s"),
    ],
)
@pytest.mark.usefixtures("short_agent_timeout")
async def test_an_agent_that_breaks_or_hangs_answers_nothing(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str],
) -> None:
    how, warning = case
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    owner = MockConfigEntry(domain="fake_agent", title="Broken agent")
    owner.add_to_hass(hass)
    conversation.async_set_agent(hass, owner, FailingAgent(how))
    await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(agent_id=owner.entry_id))
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} is the heating on?")
    await settle(hass)

    assert smsmode_sim.messages == []
    [event] = assists
    assert (event["answered"], event["parts"]) == (False, 0)
    texto = [r for r in caplog.records if r.name.startswith("custom_components.texto")]
    # the agent's own words (here, the text) are not logged; nothing above a warning
    assert [r.getMessage() for r in texto if r.levelno >= logging.WARNING] == [warning]
    assert all("heating" not in r.getMessage() for r in texto)


async def test_a_user_removed_since_is_not_acted_as(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    user = await hass.auth.async_create_user("Ancien")
    await _smsmode_on_webhook(
        hass, smsmode_sim, client, assisted(agent_id=agent_id, user_id=user.id)
    )
    await hass.auth.async_remove_user(user)

    await smsmode_sim.inject_reply(ALICE, f"{PIN} is the heating on?")
    await settle(hass)

    assert agent.calls == []
    assert smsmode_sim.messages == []


@pytest.mark.usefixtures("no_loop_window")
async def test_the_pin_reaches_no_event_and_no_diagnostics(
    hass: HomeAssistant,
    hass_client: Any,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    entry = await _smsmode_on_webhook(
        hass, smsmode_sim, client, assisted(agent_id=agent_id, pin="908172")
    )
    every_event = record_events(hass, MATCH_ALL)

    await smsmode_sim.inject_reply(ALICE, "908172 turn on the kitchen light please")
    await smsmode_sim.inject_reply(ALICE, "111111 turn on the kitchen light please")
    await settle(hass)

    assert agent.texts == ["turn on the kitchen light please"]
    assert every_event
    for event in every_event:
        assert "908172" not in repr(event.data)
        assert "111111" not in repr(event.data)
    [assist_event] = [event for event in every_event if event.event_type == EVENT_ASSIST]
    assert set(assist_event.data) == ASSIST_KEYS
    assert assist_event.data["text"] == "turn on the •••"

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    flat = repr(diagnostics)
    stored = entry.subentries[_subentry_id(entry)].data[CONF_ASSIST]["pin_hash"]
    for secret in ("908172", stored, "33612345678", "kitchen"):
        assert secret not in flat
    assert diagnostics["assist"] == [
        {
            "enabled": True,
            "agent_id": agent_id,
            "trust": "pin",
            "pin_set": True,
            "user_id": None,
            "max_per_hour": 10,
            "max_parts": 2,
            "locked_out": False,
            "failures_this_hour": 1,
            "exchanges_this_hour": 1,
        }
    ]


# --- the recipient's form ---------------------------------------------------------------------


async def _recipient_form(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )


def _fields(result: Any) -> dict[str, Any]:
    return {str(marker): value for marker, value in result["data_schema"].schema.items()}


def _form(enabled: bool = True, **fields: Any) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "agent_id": "conversation.home_assistant",
        "trust": "pin",
        "max_per_hour": 10,
        "max_parts": 2,
        **fields,
    }


@pytest.mark.usefixtures("check_flow_translations")
async def test_the_section_is_offered_where_texts_arrive(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
    fake_modem: FakeModem,
) -> None:
    shown = {}
    for name, entry in (
        ("allmysms", allmysms_entry(allmysms_sim)),
        (
            "smsmode_replies",
            smsmode_entry(smsmode_sim, options={CONF_MESSAGE_CLASS: "replies_allowed"}),
        ),
        ("smsmode_standard", smsmode_entry(smsmode_sim)),
        ("sms123", sms123_entry(sms123_sim)),
        ("modem", modem_entry(fake_modem)),
    ):
        entry.add_to_hass(hass)
        result = await _recipient_form(hass, entry)
        assist_section = _fields(result).get(CONF_ASSIST)
        # the note is the step's own description, in the reader's language (a placeholder the
        # server filled in would be in Home Assistant's)
        shown[name] = (isinstance(assist_section, section), result["step_id"])
        assert not result["description_placeholders"]

    assert shown == {
        "allmysms": (True, "user"),
        "smsmode_replies": (True, "user"),
        "smsmode_standard": (True, "user_replies_class_only"),
        "sms123": (False, "user_no_assist"),
        "modem": (True, "user"),
    }


@pytest.mark.usefixtures("check_flow_translations")
async def test_the_forms_with_a_note_save_as_the_others(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    """Their steps (``user_no_assist``, ``reconfigure_replies_class_only``) take the form."""
    sms123 = sms123_entry(sms123_sim)
    sms123.add_to_hass(hass)
    result = await _recipient_form(hass, sms123)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: BOB}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_ASSIST not in result["data"]

    smsmode = smsmode_entry(smsmode_sim)
    smsmode.add_to_hass(hass)
    result = await smsmode.start_subentry_reconfigure_flow(hass, _subentry_id(smsmode))
    assert result["step_id"] == "reconfigure_replies_class_only"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE, CONF_ASSIST: _form(pin="4821")},
    )
    assert result["reason"] == "reconfigure_successful"
    assert _settings(smsmode).enabled


@pytest.mark.usefixtures("check_flow_translations")
async def test_the_form_stores_a_hash_of_the_pin_and_refuses_a_bad_one(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim, subentries_data=[])
    entry.add_to_hass(hass)
    result = await _recipient_form(hass, entry)
    assist_section = _fields(result)[CONF_ASSIST]
    assert assist_section.options["collapsed"] is True

    for pin in ("123", "123456789", "12a4", "١٢٣٤"):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE, CONF_ASSIST: _form(pin=pin)},
        )
        assert result["errors"] == {CONF_ASSIST: "invalid_assist_pin"}, pin
        # the section opens on its error; the PIN typed is not sent back
        assert _fields(result)[CONF_ASSIST].options["collapsed"] is False
        shown = _fields(result)[CONF_ASSIST].schema.schema
        pin_marker = next(marker for marker in shown if str(marker) == "pin")
        assert (pin_marker.description or {}).get("suggested_value") is None
    # on, with PIN trust, and no PIN at all
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE, CONF_ASSIST: _form()}
    )
    assert result["errors"] == {CONF_ASSIST: "invalid_assist_pin"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Alice", CONF_PHONE_NUMBER: ALICE, CONF_ASSIST: _form(pin=" 4821 ")},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = entry.subentries.values()
    stored = subentry.data[CONF_ASSIST]
    assert "4821" not in repr(dict(subentry.data))
    assert pin_matches(stored["pin_hash"], "4821")
    assert stored == {
        "enabled": True,
        "agent_id": "conversation.home_assistant",
        "trust": "pin",
        "pin_hash": stored["pin_hash"],
        "user_id": None,
        "max_per_hour": 10,
        "max_parts": 2,
        "locked_out": False,
    }


@pytest.mark.usefixtures("check_flow_translations")
async def test_reconfigure_keeps_the_pin_and_turning_on_lifts_a_lock_out(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    user = await hass.auth.async_create_user("Alice")
    locked = assisted(user_id=user.id, max_parts=3)
    locked["data"] = {
        **locked["data"],
        CONF_ASSIST: AssistSettings.of(locked["data"]).locked().as_data(),
    }
    entry = await set_up(hass, allmysms_entry(allmysms_sim, subentries_data=[locked]))
    subentry_id = _subentry_id(entry)
    issue_id = f"assist_locked_out_{subentry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    stored_hash = _settings(entry).pin_hash

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    shown = {str(marker): marker for marker in _fields(result)[CONF_ASSIST].schema.schema}
    suggested = {
        name: (marker.description or {}).get("suggested_value") for name, marker in shown.items()
    }
    assert suggested == {
        "enabled": False,
        "agent_id": "conversation.home_assistant",
        "trust": "pin",
        "pin": None,
        "user_id": user.id,
        "max_per_hour": 10,
        "max_parts": 3,
    }
    user_options = _fields(result)[CONF_ASSIST].schema.schema
    user_selector = next(
        value for marker, value in user_options.items() if str(marker) == "user_id"
    )
    assert {"value": user.id, "label": "Alice"} in user_selector.config["options"]

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Alice",
            CONF_PHONE_NUMBER: ALICE,
            CONF_ASSIST: _form(user_id=user.id, max_parts=3.0, pin=""),
        },
    )

    assert result["reason"] == "reconfigure_successful"
    settings = _settings(entry)
    assert settings.pin_hash == stored_hash
    assert (settings.enabled, settings.locked_out, settings.max_parts) == (True, False, 3)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


# --- the pure helpers ---------------------------------------------------------------------------


def test_a_pin_is_hashed_with_a_salt_and_checked() -> None:
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second
    assert first.startswith("pbkdf2_sha256$10000$")
    assert pin_matches(first, "1234")
    assert pin_matches(second, "1234")
    assert not pin_matches(first, "1235")
    assert not pin_matches(None, "1234")
    assert not pin_matches("damaged", "1234")
    assert not pin_matches("md5$1$00$00", "1234")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234 is the alarm on?", ("1234", "is the alarm on?")),
        ("  12345678: allume", ("12345678", "allume")),
        ("1234, turn on", ("1234", "turn on")),
        ("1234", ("1234", "")),
        ("1234-open the garage", ("1234", "open the garage")),
        ("1234… open", ("1234", "open")),
        ("(1234) open", ("1234", "open")),
        ("\u200b1234 open", ("1234", "open")),
        ("１２３４ open", ("1234", "open")),
        ("0612345678 call me", None),
        ("123 is it on", None),
        ("123456789 is it on", None),
        ("1234a turn on", None),
        ("OK", None),
        ("1", None),
    ],
)
def test_the_pin_opens_the_text(text: str, expected: tuple[str, str] | None) -> None:
    assert split_pin(text) == expected


@pytest.mark.parametrize(
    ("command", "sensitive"),
    [
        ("open the garage", True),
        ("Déverrouille la porte d'entrée", True),
        ("désarme l'alarme", True),
        ("lock the front", True),
        ("raise the Pergola", True),
        ("raise the shades in the kitchen", True),
        ("kitchen windows down", True),
        ("monte les bannes du jardin", True),
        ("baisse les fenêtres du salon", True),
        ("ferme la vanne d'eau", True),
        ("turn on the kitchen light", False),
        ("quelle température fait-il ?", False),
        ("is the armchair lamp on", False),
    ],
)
def test_words_and_names_that_need_the_pin(command: str, sensitive: bool) -> None:
    assert needs_pin(command, ["Pergola", "Front door lock"]) is sensitive


def test_the_text_is_masked_beyond_three_words() -> None:
    assert mask("turn on the kitchen light") == "turn on the •••"
    assert mask(" is it on ") == "is it on"
    assert mask("") == ""


def _fits_in(parts: int) -> Callable[[str], bool]:
    return lambda text: encode(text, TextPolicy.AUTO).parts <= parts


@pytest.mark.parametrize(
    "answer",
    [
        "Il fait 21 °C au salon, 19 °C dans la chambre et la fenêtre de la cuisine est ouverte. "
        * 5,
        "Tout va bien 👍🏽 à la maison ; le chauffage 🔥 est allumé et la porte 🚪 est fermée. "
        * 5,
        "Réponse " + "é" * 400,
        "👨‍👩‍👧‍👦" * 100,
    ],
)
def test_a_long_answer_is_cut_on_a_word_with_accents_and_emoji(answer: str) -> None:
    for parts in (1, 2):
        fitted = fit_answer(answer, _fits_in(parts))
        assert fitted.endswith("…")
        assert _fits_in(parts)(fitted)
        kept = fitted.removesuffix("…")
        assert answer.startswith(kept)
        rest = answer[len(kept) :]
        if " " in answer[: len(kept) + 2]:
            # cut between words: the next word would not have fitted
            assert rest[0] == " "
            next_word = rest.split()[0]
            assert not _fits_in(parts)(f"{kept} {next_word}…")
        # never inside a character as seen: no lone joiner, modifier or combining mark
        assert not kept.endswith("\u200d")
        assert not rest.startswith(("\u200d", "\U0001f3fd"))


def test_a_short_answer_is_kept_as_it_is() -> None:
    assert fit_answer("  Done.  ", _fits_in(1)) == "Done."
    assert fit_answer("x" * 10, lambda text: False) == ""


async def test_nothing_after_the_pin_asks_nothing(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    fake_agent: tuple[FakeAgent, str],
) -> None:
    agent, agent_id = fake_agent
    await _smsmode_on_webhook(hass, smsmode_sim, client, assisted(agent_id=agent_id))
    received = record(hass, EVENT_SMS_RECEIVED)
    assists = record(hass, EVENT_ASSIST)

    await smsmode_sim.inject_reply(ALICE, f"{PIN}")
    await settle(hass)

    assert agent.calls == []
    assert smsmode_sim.messages == []
    assert assists == []
    # the PIN was right: the reply fires, without it
    assert [event["text"] for event in received] == [""]


async def test_the_fix_flow_of_a_removed_recipient_stops(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    locked = assisted()
    locked["data"] = {
        **locked["data"],
        CONF_ASSIST: AssistSettings.of(locked["data"]).locked().as_data(),
    }
    entry = await set_up(hass, smsmode_entry(smsmode_sim, subentries_data=[locked]))
    subentry_id = _subentry_id(entry)
    issue_id = f"assist_locked_out_{subentry_id}"
    flows = repairs_flow_manager(hass)
    assert flows is not None
    # the repair opened, then the recipient removed (in another tab)
    result = await flows.async_init(DOMAIN, data={"issue_id": issue_id})
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    # the issue went with the recipient
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    result = await flows.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "recipient_removed"


@pytest.mark.usefixtures("check_flow_translations")
async def test_a_form_without_the_section_keeps_the_settings(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = allmysms_entry(allmysms_sim, subentries_data=[assisted()])
    entry.add_to_hass(hass)
    before = dict(entry.subentries[_subentry_id(entry)].data[CONF_ASSIST])

    result = await entry.start_subentry_reconfigure_flow(hass, _subentry_id(entry))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alicia", CONF_PHONE_NUMBER: ALICE}
    )

    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[_subentry_id(entry)].data[CONF_ASSIST] == before
