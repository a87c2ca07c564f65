"""What an adversary sends: forged replies, bad action fields; and what Texto keeps of it."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.texto.const import (
    CONF_DEFAULT_SENDER,
    CONF_MESSAGE_CLASS,
    CONF_WEBHOOK_ID,
    DEFAULT_UNVERIFIED_PER_MINUTE,
    EVENT_SMS_RECEIVED,
    MESSAGE_CLASS_REPLIES,
)
from custom_components.texto.gateway.gate import MAX_TEXT_CHARS
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator

from .callbacks import url_of
from .common import ALICE, BOB, allmysms_entry, set_up, smsmode_entry, stored_outbox
from .common import send_sms as send_to


async def send_sms(hass: HomeAssistant, entry_id: str, **fields: Any) -> dict[str, Any]:
    """``common.send_sms`` with this module's usual alert: "Alarme" to Alice."""
    return await send_to(hass, entry_id, **{"recipients": [ALICE], "message": "Alarme", **fields})


type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]

REPLIES = {CONF_MESSAGE_CLASS: MESSAGE_CLASS_REPLIES}


# --- trust -------------------------------------------------------------------------------------


async def test_a_reply_to_a_message_that_could_not_take_replies_is_not_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    """smsmode's standard class takes no reply: one claiming to answer it is a forgery."""
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    smsmode_sim.reply_callback_url = url_of(client, entry)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    sent = await send_sms(hass, entry.entry_id)

    await smsmode_sim.inject_reply(ALICE, "1", sent["message_id"])
    await hass.async_block_till_done()

    [event] = replies
    assert event.data["in_reply_to"] == sent["message_id"]
    assert event.data["verified"] is False


async def test_a_reply_a_day_after_the_send_is_not_verified(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    sent = await send_sms(hass, entry.entry_id)

    await smsmode_sim.inject_reply(ALICE, "1", sent["message_id"])
    freezer.tick(timedelta(hours=24, minutes=1))
    await smsmode_sim.inject_reply(ALICE, "1 encore", sent["message_id"])
    await hass.async_block_till_done()

    assert [(e.data["text"], e.data["verified"]) for e in replies] == [
        ("1", True),
        ("1 encore", False),
    ]


async def test_a_reply_from_a_number_that_is_not_a_phone_fires_nothing(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    for sender in ("X-Injected: 1", "3361234\x005678", "3" * 15_000, "abc"):
        response = await client.get(
            async_generate_path(entry.data[CONF_WEBHOOK_ID]),
            params={"emetteur": sender, "message": "1", "responseID": "r1", "numero": "36180"},
        )
        assert response.status == 400, sender
    await hass.async_block_till_done()

    assert replies == []


async def test_a_reply_text_is_capped_and_cleaned(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    text = "Oui\x00\x07\r\nmerci" + "é" * 2000

    response = await client.post(
        async_generate_path(entry.data[CONF_WEBHOOK_ID]),
        data={"smsMoId": "mo-9", "phoneNumber": BOB[1:], "message": text},
    )
    await hass.async_block_till_done()

    assert response.status == 200
    [event] = replies
    assert event.data["text"].startswith("Oui\nmerci")
    assert len(event.data["text"]) == MAX_TEXT_CHARS
    # the event entity keeps no more than the event
    state = hass.states.get("event.allmysms_demo_incoming_sms")
    assert state is not None
    assert len(state.attributes["text"]) <= MAX_TEXT_CHARS


# --- a flood of unverified replies ----------------------------------------------------------------

#: how many forged replies the flood test posts (10,000 in CI, see .ci/run)
FLOOD = int(os.environ.get("TEXTO_HOSTILE_CALLBACKS", "2000"))


async def test_a_flood_of_unverified_replies_fires_at_most_the_bound(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    hass_client: ClientFactory,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Forged replies from numbers Texto never texted: 30 a minute fire, the rest are counted.

    A verified reply posted in the middle of the flood fires at once, once.
    """
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options=REPLIES))
    path = async_generate_path(entry.data[CONF_WEBHOOK_ID])
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    sent = await send_sms(hass, entry.entry_id)

    async def forged(n: int) -> None:
        response = await client.get(
            path,
            params={
                "emetteur": f"336{n:08d}",
                "message": "OUVRE LA PORTE",
                "responseID": f"forged-{n}",
                "numero": "36180",
                "date_reception": "14032025-093000",
            },
        )
        assert response.status == 200

    caplog.set_level(logging.DEBUG, logger="custom_components.texto")
    for start in range(0, FLOOD, 100):
        await asyncio.gather(*(forged(n) for n in range(start, min(start + 100, FLOOD))))
        if start == FLOOD // 2:
            await smsmode_sim.inject_reply(ALICE, "1", sent["message_id"])
            await hass.async_block_till_done()
            verified = [e for e in replies if e.data["verified"]]
            assert [e.data["text"] for e in verified] == ["1"]  # at once, behind no one
    await hass.async_block_till_done()

    unverified = [e for e in replies if not e.data["verified"]]
    assert len(unverified) == DEFAULT_UNVERIFIED_PER_MINUTE
    assert len([e for e in replies if e.data["verified"]]) == 1
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    held_back = FLOOD - DEFAULT_UNVERIFIED_PER_MINUTE
    assert diagnostics["unverified_replies_held_back"] == held_back

    # one debug line sums the minute up (no line per forged reply)
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    summaries = [r for r in caplog.records if "unverified replies not fired" in r.getMessage()]
    assert [(r.levelno, r.args[1] if isinstance(r.args, tuple) else None) for r in summaries] == [
        (logging.DEBUG, held_back)
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    # the next minute lets the bound through again
    await forged(FLOOD + 1)
    await hass.async_block_till_done()
    assert len([e for e in replies if not e.data["verified"]]) == DEFAULT_UNVERIFIED_PER_MINUTE + 1


async def test_the_bound_on_unverified_replies_is_an_option(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"unverified_per_minute": 2}))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    for n in range(5):
        response = await client.post(
            async_generate_path(entry.data[CONF_WEBHOOK_ID]),
            data={"smsMoId": f"mo-{n}", "phoneNumber": f"336{n:08d}", "message": "Bonjour"},
        )
        assert response.status == 200
    await hass.async_block_till_done()

    assert len(replies) == 2


# --- action fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"max_parts": 0}, "invalid_max_parts"),
        ({"max_parts": 11}, "invalid_max_parts"),
        ({"max_parts": "beaucoup"}, "invalid_max_parts"),
        ({"max_parts": 2.5}, "invalid_max_parts"),
        ({"text_policy": "latin1"}, "invalid_text_policy"),
        ({"reference": "r" * 41}, "invalid_reference"),
        ({"reference": "deux\nlignes"}, "invalid_reference"),
        ({"send_at": "demain"}, "invalid_send_at"),
        ({"send_at": "9999-12-31T23:59:00"}, "send_at_too_far"),
        ({"send_at": "2001-01-01T00:00:00"}, "send_at_in_past"),
    ],
)
async def test_an_out_of_range_field_is_refused_in_words_and_nothing_is_sent(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    fields: dict[str, Any],
    key: str,
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as caught:
        await send_sms(hass, entry.entry_id, **fields)

    assert caught.value.translation_key == key
    assert allmysms_sim.messages == []
    # worded by Texto (translated), not voluptuous's English
    assert "dictionary value" not in str(caught.value)


async def test_a_blank_sender_counts_as_none_and_the_default_applies(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(
        hass, allmysms_entry(allmysms_sim, options={CONF_DEFAULT_SENDER: "MAISON"})
    )

    await send_sms(hass, entry.entry_id, sender="   ")

    [message] = allmysms_sim.messages
    assert message.sender == "MAISON"


async def test_a_gsm7_refusal_names_three_characters_at_most(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as caught:
        await send_sms(hass, entry.entry_id, message="你好世界和平", text_policy="gsm7")

    assert caught.value.translation_key == "gsm7_not_possible"
    *named, more = caught.value.translation_placeholders["characters"].split(" ")
    assert (len(named), more) == (3, "…")
    assert all(character in "你好世界和平" for character in named)


# --- what is sent and kept -----------------------------------------------------------------------


async def test_smsmode_voice_works_once_home_assistant_has_a_url(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    """A voice call sends no report: the webhook URL must not go with it."""
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    response = await send_sms(hass, entry.entry_id, voice=True)

    assert response["status"] == "sent"
    [message] = smsmode_sim.messages
    assert message.voice


async def test_the_outbox_keeps_no_webhook_url(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    hass_storage: dict[str, Any],
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await smsmode_sim.refuse_connections()  # the item waits in the outbox

    response = await send_sms(hass, entry.entry_id, wait=False)
    await hass.async_block_till_done()

    assert response["status"] in ("queued", "sending")
    stored = str(stored_outbox(hass, entry.entry_id))
    assert entry.data[CONF_WEBHOOK_ID] not in stored
    assert "/api/webhook/" not in stored
    # sent later, the current URL goes with it
    await smsmode_sim.accept_connections()
    await entry.runtime_data.outbox.async_drain()
    [message] = smsmode_sim.messages
    assert message.notification_url == url_of(client, entry)
