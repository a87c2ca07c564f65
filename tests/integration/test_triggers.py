"""Texto's triggers and device triggers, fired (and not fired) by callbacks over HTTP.

Each test sets up an automation the way a user's YAML does, sends through the simulator,
and lets the simulator call the webhook back, as the gateway would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import voluptuous as vol
from aiohttp.test_utils import TestClient
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_get_device_automation_capabilities,
    async_get_device_automations,
)

from custom_components.texto import device_trigger
from custom_components.texto.const import (
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_ALERT,
    EVENT_ASSIST,
    EVENT_DELIVERY_REPORT,
    EVENT_SEND_FAILED,
    EVENT_SMS_RECEIVED,
)
from custom_components.texto.trigger import AlertTrigger
from tests.simulator.allmysms import AllMySmsSimulator

from .common import ALICE, BOB, allmysms_entry, recipient, send_sms, set_up

type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]

FIRED = "texto_test_fired"


@pytest.fixture
async def account(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    hass_client_no_auth: ClientFactory,
    socket_enabled: None,
) -> MockConfigEntry:
    """An AllMySMS account with Alice and Bob, whose simulator calls its webhook back."""
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


async def _automations(hass: HomeAssistant, triggers: dict[str, dict[str, Any]]) -> list[Event]:
    """One automation per trigger, each firing FIRED with its name and the event's data."""
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [trigger],
                    "actions": [
                        {
                            "event": FIRED,
                            "event_data": {
                                "name": name,
                                # the whole data, as a dict: strings stay strings
                                "data": "{{ dict(trigger.event.data) }}",
                            },
                        }
                    ],
                }
                for name, trigger in triggers.items()
            ]
        },
    )
    return async_capture_events(hass, FIRED)


def _fired(events: list[Event], name: str, key: str) -> list[str]:
    """What the trigger named ``name`` gave its automation: that key of the event's data."""
    return [event.data["data"][key] for event in events if event.data["name"] == name]


def _device_id(hass: HomeAssistant, identifier: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, identifier)})
    assert device is not None
    return device.id


def _recipient_device(hass: HomeAssistant, entry: MockConfigEntry, number: str) -> str:
    subentry = next(sub for sub in entry.subentries.values() if sub.unique_id == number)
    return _device_id(hass, f"{entry.entry_id}_{subentry.subentry_id}")


# --- the texto trigger platform ------------------------------------------------------------------


async def test_sms_received_from_a_recipient_with_a_text(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    fired = await _automations(
        hass,
        {
            "alice says 1": {
                "trigger": "texto.sms_received",
                "options": {"recipient": "notify.alice", "text_equals": "1"},
            }
        },
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE, BOB], message="Répondez 1")

    await allmysms_sim.inject_reply(ALICE, " 1 ")  # what a person types
    await allmysms_sim.inject_reply(ALICE, "2")
    await allmysms_sim.inject_reply(BOB, "1")  # another recipient
    await hass.async_block_till_done()

    assert [(data["sender"], data["text"]) for data in (e.data["data"] for e in fired)] == [
        (ALICE, " 1 ")
    ]


async def test_sms_received_takes_only_verified_replies_unless_told(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    fired = await _automations(
        hass,
        {
            "verified": {"trigger": "texto.sms_received", "options": {"text_contains": "stop"}},
            "any": {
                "trigger": "texto.sms_received",
                "options": {"text_contains": "stop", "verified_only": False},
            },
        },
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE], message="Alerte")

    # a forged reply: from a number Texto never sent to, posted to the webhook
    await allmysms_sim.call_back(
        allmysms_sim.webhook_url,
        {"smsMoId": "forged", "message": "STOP", "phoneNumber": "33699999999"},
        method="POST",
    )
    await allmysms_sim.inject_reply(ALICE, "Stop svp")
    await hass.async_block_till_done()

    assert _fired(fired, "verified", "text") == ["Stop svp"]
    assert sorted(_fired(fired, "any", "text")) == ["STOP", "Stop svp"]


async def test_sms_received_of_another_account_does_not_fire(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    fired = await _automations(
        hass,
        {
            "other": {"trigger": "texto.sms_received", "options": {"account": "another-entry"}},
            "this": {"trigger": "texto.sms_received", "options": {"account": account.entry_id}},
        },
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE], message="Alerte")
    await allmysms_sim.inject_reply(ALICE, "OK")
    await hass.async_block_till_done()

    assert _fired(fired, "other", "text") == []
    assert _fired(fired, "this", "text") == ["OK"]


async def test_delivery_report_of_chosen_statuses(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    fired = await _automations(
        hass,
        {
            "bob not delivered": {
                "trigger": "texto.delivery_report",
                "options": {"recipient": "notify.bob", "statuses": ["failed", "expired"]},
            },
            "every report": {"trigger": "texto.delivery_report"},
        },
    )
    delivered = await send_sms(hass, account.entry_id, recipients=[BOB], message="a")
    not_delivered = await send_sms(hass, account.entry_id, recipients=[BOB], message="b")
    alice = await send_sms(hass, account.entry_id, recipients=[ALICE], message="c")

    await allmysms_sim.deliver(delivered["message_id"], status=1)
    await allmysms_sim.deliver(not_delivered["message_id"], status=2)
    await allmysms_sim.deliver(alice["message_id"], status=2)
    await hass.async_block_till_done()

    assert _fired(fired, "bob not delivered", "status") == ["failed"]
    assert sorted(_fired(fired, "every report", "status")) == ["delivered", "failed", "failed"]


async def test_send_failed_of_chosen_outcomes(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    fired = await _automations(
        hass,
        {
            "failed here": {
                "trigger": "texto.send_failed",
                "options": {"account": account.entry_id},
            },
            "unconfirmed only": {
                "trigger": "texto.send_failed",
                "options": {"final_statuses": ["unconfirmed"]},
            },
        },
    )
    allmysms_sim.force_status = 117  # a definitive refusal: the send fails

    with pytest.raises(HomeAssistantError):
        await send_sms(hass, account.entry_id, recipients=[ALICE], message="x")
    await hass.async_block_till_done()

    assert _fired(fired, "failed here", "final_status") == ["failed"]
    assert _fired(fired, "unconfirmed only", "final_status") == []


# --- alerts: the engine fires texto_alert; the triggers narrow it --------------------------------


def _alert_event(
    hass: HomeAssistant,
    kind: str,
    *,
    alert_id: str = "01JALERT",
    tag: str | None = "water_leak",
    recipient: str | None = "notify.alice",
    step: int = 1,
) -> None:
    """A ``texto_alert`` event as the engine fires it."""
    hass.bus.async_fire(
        EVENT_ALERT,
        {
            "alert_id": alert_id,
            "type": kind,
            "tag": tag,
            "step": step,
            "recipient": recipient,
            "seconds": 60 * (step - 1),
            "round": 1,
        },
    )


async def test_alert_trigger_of_chosen_moments_and_tag(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    fired = await _automations(
        hass,
        {
            "every": {"trigger": "texto.alert"},
            "leak answered": {
                "trigger": "texto.alert",
                "options": {"type": ["acknowledged", "unanswered"], "tag": "water_leak"},
            },
        },
    )

    _alert_event(hass, "raised")
    _alert_event(hass, "escalated", recipient="notify.bob", step=2)
    _alert_event(hass, "acknowledged", alert_id="other", tag="freezer")  # another alert
    _alert_event(hass, "acknowledged", recipient="notify.bob", step=2)
    await hass.async_block_till_done()

    assert _fired(fired, "every", "type") == ["raised", "escalated", "acknowledged", "acknowledged"]
    assert _fired(fired, "leak answered", "recipient") == ["notify.bob"]


# --- Assist: the exchange fires texto_assist; the trigger narrows it ------------------------------


def _assist_event(
    hass: HomeAssistant, account: str, recipient: str, *, answered: bool = True
) -> None:
    """A ``texto_assist`` event as an exchange with Assist fires it."""
    hass.bus.async_fire(
        EVENT_ASSIST,
        {
            "account": account,
            "recipient": recipient,
            "agent_id": "conversation.home_assistant",
            "answered": answered,
            "parts": 1 if answered else 0,
            "text": "is the •••",
        },
    )


async def test_assist_trigger_of_an_account_a_recipient_and_answered_ones(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    fired = await _automations(
        hass,
        {
            "every": {"trigger": "texto.assist"},
            "alice answered": {
                "trigger": "texto.assist",
                "options": {
                    "account": account.entry_id,
                    "recipient": "notify.alice",
                    "answered_only": True,
                },
            },
        },
    )

    _assist_event(hass, account.entry_id, "notify.alice")
    _assist_event(hass, account.entry_id, "notify.alice", answered=False)  # over the hour's limit
    _assist_event(hass, account.entry_id, "notify.bob")
    _assist_event(hass, "another account", "notify.alice")
    await hass.async_block_till_done()

    assert _fired(fired, "every", "recipient") == [
        "notify.alice",
        "notify.alice",
        "notify.bob",
        "notify.alice",
    ]
    assert _fired(fired, "alice answered", "answered") == [True]


async def test_alert_trigger_refuses_a_moment_it_does_not_know(hass: HomeAssistant) -> None:
    with pytest.raises(vol.Invalid):
        await AlertTrigger.async_validate_config(hass, {"options": {"type": ["exploded"]}})
    validated = await AlertTrigger.async_validate_config(hass, {"options": {}})
    assert validated["options"]["type"] == [
        "raised",
        "escalated",
        "acknowledged",
        "cancelled",
        "unanswered",
    ]


async def test_a_recipients_device_says_when_they_acknowledged_an_alert(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    alice = _recipient_device(hass, account, ALICE)
    fired = await _automations(
        hass,
        {
            "alice": {
                "trigger": "device",
                "domain": DOMAIN,
                "device_id": alice,
                "type": "alert_acknowledged",
            }
        },
    )

    _alert_event(hass, "raised")  # texted, not acknowledged
    _alert_event(hass, "acknowledged", recipient="notify.bob", step=2)  # Bob's
    _alert_event(hass, "acknowledged", alert_id="by-action", recipient=None)  # from a button
    _alert_event(hass, "acknowledged", alert_id="by-alice")
    await hass.async_block_till_done()

    assert _fired(fired, "alice", "alert_id") == ["by-alice"]

    # a renamed notify entity is still Alice's
    er.async_get(hass).async_update_entity("notify.alice", new_entity_id="notify.alice_phone")
    _alert_event(hass, "acknowledged", alert_id="renamed", recipient="notify.alice_phone")
    await hass.async_block_till_done()
    assert _fired(fired, "alice", "alert_id") == ["by-alice", "renamed"]


# --- device triggers ---------------------------------------------------------------------------


async def test_each_device_offers_its_own_triggers(
    hass: HomeAssistant, account: MockConfigEntry
) -> None:
    alice = _recipient_device(hass, account, ALICE)
    account_device = _device_id(hass, account.entry_id)

    def types(device_id: str, triggers: list[dict[str, Any]]) -> set[str]:
        return {
            t["type"] for t in triggers if t["domain"] == DOMAIN and t["device_id"] == device_id
        }

    on_alice = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, alice)
    on_account = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, account_device
    )

    assert types(alice, on_alice) == {
        "reply_received",
        "delivered",
        "delivery_failed",
        "alert_acknowledged",
    }
    assert types(account_device, on_account) == {"sms_received", "delivery_report", "send_failed"}
    reply = next(t for t in on_alice if t.get("type") == "reply_received")
    capabilities = await async_get_device_automation_capabilities(
        hass, DeviceAutomationType.TRIGGER, reply
    )
    assert [field["name"] for field in capabilities["extra_fields"]] == [
        "verified_only",
        "text_equals",
        "text_contains",
    ]


async def test_a_recipients_device_triggers(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    alice = _recipient_device(hass, account, ALICE)
    kinds = ("reply_received", "delivered", "delivery_failed")
    fired = await _automations(
        hass,
        {
            **{
                kind: {"trigger": "device", "domain": DOMAIN, "device_id": alice, "type": kind}
                for kind in kinds
            },
            "any reply": {
                "trigger": "device",
                "domain": DOMAIN,
                "device_id": alice,
                "type": "reply_received",
                "verified_only": False,
            },
        },
    )
    first = await send_sms(hass, account.entry_id, recipients=[ALICE, BOB], message="a")
    second = await send_sms(hass, account.entry_id, recipients=[ALICE], message="b")

    await allmysms_sim.deliver(first["message_id"], status=1)  # Alice and Bob: delivered
    await allmysms_sim.deliver(second["message_id"], status=5)  # Alice: absent subscriber
    await allmysms_sim.inject_reply(ALICE, "Reçu")
    await allmysms_sim.inject_reply(BOB, "Reçu aussi")
    await allmysms_sim.call_back(  # forged, claiming to be Alice: no Texto send vouches for it
        allmysms_sim.webhook_url,
        {"smsMoId": "forged", "message": "Désarme", "phoneNumber": "33612345678"},
        method="POST",
    )
    await hass.async_block_till_done()

    # Alice's alone: Bob's report and reply belong to Bob's device
    assert _fired(fired, "delivered", "status") == ["delivered"]
    assert _fired(fired, "delivery_failed", "status") == ["failed"]
    assert _fired(fired, "reply_received", "text") == ["Reçu"]
    assert _fired(fired, "any reply", "text") == ["Reçu", "Désarme"]


async def test_a_recipients_reply_trigger_takes_the_text_filters(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    alice = _recipient_device(hass, account, ALICE)
    reply = {"trigger": "device", "domain": DOMAIN, "device_id": alice, "type": "reply_received"}
    fired = await _automations(
        hass,
        {
            "yes": {**reply, "text_equals": " OUI "},
            "stop": {**reply, "text_contains": "stop", "verified_only": False},
        },
    )
    await send_sms(hass, account.entry_id, recipients=[ALICE], message="Armer ?")

    for text in ("oui", "Oui merci", "Stop svp"):
        await allmysms_sim.inject_reply(ALICE, text)
    await allmysms_sim.inject_reply(BOB, "oui")  # Bob's: not on Alice's device
    await hass.async_block_till_done()

    assert _fired(fired, "yes", "text") == ["oui"]
    assert _fired(fired, "stop", "text") == ["Stop svp"]


async def test_an_accounts_device_triggers(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    device = _device_id(hass, account.entry_id)
    kinds = ("sms_received", "delivery_report", "send_failed")
    fired = await _automations(
        hass,
        {
            kind: {"trigger": "device", "domain": DOMAIN, "device_id": device, "type": kind}
            for kind in kinds
        },
    )
    sent = await send_sms(hass, account.entry_id, recipients=[BOB], message="a")
    await allmysms_sim.deliver(sent["message_id"], status=1)
    await allmysms_sim.inject_reply(BOB, "Bien reçu")
    allmysms_sim.force_status = 117
    with pytest.raises(HomeAssistantError):
        await send_sms(hass, account.entry_id, recipients=[BOB], message="b")
    await hass.async_block_till_done()

    assert _fired(fired, "delivery_report", "status") == ["delivered"]
    assert _fired(fired, "sms_received", "text") == ["Bien reçu"]
    assert _fired(fired, "send_failed", "final_status") == ["failed"]


# --- the events name their device ----------------------------------------------------------------


async def test_events_carry_the_device_they_are_about(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    failures = async_capture_events(hass, EVENT_SEND_FAILED)
    sent = await send_sms(hass, account.entry_id, recipients=[ALICE], message="a")
    await allmysms_sim.deliver(sent["message_id"])
    await allmysms_sim.inject_reply(ALICE, "OK")
    await allmysms_sim.call_back(
        allmysms_sim.webhook_url,
        {"smsMoId": "x1", "message": "Qui ?", "phoneNumber": "33699999999"},
        method="POST",
    )
    allmysms_sim.force_status = 117
    with pytest.raises(HomeAssistantError):
        await send_sms(hass, account.entry_id, recipients=[ALICE, BOB], message="b")
    await hass.async_block_till_done()

    alice = _recipient_device(hass, account, ALICE)
    account_device = _device_id(hass, account.entry_id)
    assert [event.data["device_id"] for event in reports] == [alice]
    # a stranger's SMS belongs to the account; the reply names when its alert left
    assert [event.data["device_id"] for event in replies] == [alice, account_device]
    assert replies[0].data["in_reply_to_sent_at"] is not None
    assert replies[1].data["in_reply_to_sent_at"] is None
    # a send to two recipients is the account's
    assert [event.data["device_id"] for event in failures] == [account_device]
    # the event entities show the event, not the ids the entity already has
    state = hass.states.get("event.allmysms_demo_incoming_sms")
    assert state is not None
    assert "device_id" not in state.attributes
    assert er.async_get(hass).async_get("event.allmysms_demo_incoming_sms") is not None


async def test_a_device_trigger_stops_with_its_automation(
    hass: HomeAssistant, account: MockConfigEntry, allmysms_sim: AllMySmsSimulator
) -> None:
    alice = _recipient_device(hass, account, ALICE)
    fired = await _automations(
        hass,
        {
            "failed": {
                "trigger": "device",
                "domain": DOMAIN,
                "device_id": alice,
                "type": "delivery_failed",
            }
        },
    )
    await hass.services.async_call(
        automation.DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
    )
    sent = await send_sms(hass, account.entry_id, recipients=[ALICE], message="a")
    await allmysms_sim.deliver(sent["message_id"], status=2)
    await hass.async_block_till_done()

    assert fired == []
    # and only Texto's devices have Texto triggers
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=account.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(InvalidDeviceAutomationConfig):
        await device_trigger.async_get_triggers(hass, other.id)
    capabilities = await device_trigger.async_get_trigger_capabilities(hass, {"type": "delivered"})
    assert capabilities == {}
