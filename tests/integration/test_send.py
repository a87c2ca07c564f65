"""Sending from Home Assistant: notify entities, Texto's actions, their errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from custom_components.texto import delivery
from custom_components.texto.const import DOMAIN
from tests.simulator.allmysms import AllMySmsSimulator
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
)

# --- notify.send_message --------------------------------------------------------------------


async def test_notify_send_message_with_title(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "title": "Alarme", "message": "Porte du garage ouverte"},
        blocking=True,
    )
    await hass.async_block_till_done()

    [sms] = allmysms_sim.messages
    assert (sms.number, sms.text) == ("33612345678", "Alarme\nPorte du garage ouverte")
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "sent"
    assert hass.states.get("sensor.allmysms_demo_sent_parts").state == "1"
    # the balance is read again after a send
    assert hass.states.get("sensor.allmysms_demo_credit").state == "14985"
    assert hass.states.get("notify.alice").state not in ("unknown", None)
    attributes = hass.states.get("sensor.allmysms_demo_last_status").attributes
    # how it went, the account by id (for automations) and by name (for people); no error,
    # so no "Error: Unknown" line in the attributes Home Assistant shows
    assert attributes["route"] == "allmysms"
    assert (attributes["account"], attributes["account_name"]) == (entry.entry_id, entry.title)
    assert "error" not in attributes


async def test_notify_failure_is_raised_translated(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    await set_up(hass, allmysms_entry(allmysms_sim))
    # a definitive refusal: an unavailable gateway would be tried again (test_outbox)
    allmysms_sim.force_status = 117

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": "notify.alice", "message": "x"}, blocking=True
        )

    assert raised.value.translation_key == "gateway_refused"
    assert allmysms_sim.messages == []
    state = hass.states.get("sensor.allmysms_demo_last_status")
    assert state.state == "failed"
    assert state.attributes["error"] == "InvalidRequestError"


# --- texto.send_message (entity action) -------------------------------------------------------


async def test_entity_action_returns_what_the_send_cost(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    await set_up(hass, allmysms_entry(allmysms_sim))

    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.alice", "message": "Alarme d’intrusion", "sender": "MAISON"},
        blocking=True,
        return_response=True,
    )

    result = response["notify.alice"]
    assert result["recipients"] == [ALICE]
    assert result["invalid_recipients"] == []
    assert result["status"] == "sent"
    assert result["encoding"] == "gsm7"
    # look-alike apostrophe replaced; a custom sender to France gets the STOP mention
    assert result["text"] == "Alarme d'intrusion\nSTOP au 36180"
    assert result["parts"] == 1
    assert result["billed_parts"] == 1
    assert result["credits_used"] == 15
    assert result["message_id"] == allmysms_sim.messages[0].campaign_id
    assert allmysms_sim.messages[0].sender_used == "MAISON"


# --- texto.send_sms -------------------------------------------------------------------------


async def test_send_sms_to_several_numbers_in_one_request(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    before = len(allmysms_sim.requests_to("/http/9.0/sendSms/"))

    result = await send_sms(
        hass, entry.entry_id, recipients=["06 12 34 56 78", "+33 6 98 76 54 32"], message="Hi"
    )

    assert result["recipients"] == [ALICE, BOB]
    assert result["billed_parts"] == 2
    assert len(allmysms_sim.requests_to("/http/9.0/sendSms/")) == before + 1
    assert hass.states.get("sensor.allmysms_demo_sent_parts").state == "2"


async def test_invalid_number_refuses_the_whole_call(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE, "06 12"], message="Hi")

    # "Recipient #2 is not a valid phone number": named by its place, never the number
    assert raised.value.translation_key == "invalid_phone_number"
    assert raised.value.translation_placeholders == {"position": "#2"}
    assert "06 12" not in str(raised.value)
    assert allmysms_sim.messages == []


async def test_several_invalid_numbers_are_all_named(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=["06 12", ALICE, "abc"], message="Hi")

    assert raised.value.translation_key == "invalid_phone_numbers"
    assert raised.value.translation_placeholders == {"positions": "#1, #3"}
    assert allmysms_sim.messages == []


async def test_numbers_the_gateway_rejects_are_listed(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.unroutable_numbers.add("33698765432")

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Hi")

    assert result["recipients"] == [ALICE]
    assert result["invalid_recipients"] == [BOB]
    assert [sms.number for sms in allmysms_sim.messages] == ["33612345678"]


async def test_empty_and_too_long_messages_are_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as empty:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="   ")
    with pytest.raises(ServiceValidationError) as too_long:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="a" * 400, max_parts=2)
    with pytest.raises(ServiceValidationError) as over_cap:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="a" * 641)

    assert empty.value.translation_key == "empty_message"
    assert too_long.value.translation_key == "message_too_long"
    assert too_long.value.translation_placeholders == {
        "parts": "3",
        "max_parts": "2",
        "units": "400",
    }
    assert over_cap.value.translation_key == "message_too_long_characters"
    assert allmysms_sim.messages == []


async def test_gsm7_policy_refuses_what_it_cannot_encode(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(
            hass, entry.entry_id, recipients=[ALICE], message="Alerte 🔥", text_policy="gsm7"
        )

    assert raised.value.translation_key == "gsm7_not_possible"
    assert allmysms_sim.messages == []


async def test_bad_sender_and_stop_mention_policy(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"stop_mention": "require"}))

    with pytest.raises(ServiceValidationError) as bad_sender:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Hi", sender="Élodie")
    with pytest.raises(ServiceValidationError) as no_stop:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Hi", sender="MAISON")

    # the part of AllMySMS's rule the sender breaks: plain letters, digits and spaces
    assert bad_sender.value.translation_key == "sender_characters_spaces"
    assert no_stop.value.translation_key == "stop_mention_required"
    assert no_stop.value.translation_placeholders == {"mention": "STOP au 36180"}
    assert allmysms_sim.messages == []


async def test_options_give_the_default_sender_and_policy(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(
        hass,
        allmysms_entry(allmysms_sim, options={"sender": "MAISON", "text_policy": "unicode"}),
    )

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="L’alarme")

    assert result["encoding"] == "ucs2"
    assert allmysms_sim.messages[0].sender_used == "MAISON"


async def test_schedule_then_cancel(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    # a naive date is Home Assistant's local time
    when = (dt_util.now() + timedelta(hours=2)).replace(tzinfo=None, microsecond=0)

    result = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Rappel", send_at=when.isoformat()
    )

    assert result["status"] == "scheduled"
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "scheduled"
    campaign = allmysms_sim.campaigns[result["message_id"]]
    assert campaign.scheduled
    paris = when.replace(tzinfo=dt_util.get_default_time_zone()).astimezone(
        dt_util.get_time_zone("Europe/Paris")
    )
    assert campaign.sms[0].date == paris.strftime("%Y-%m-%d %H:%M:%S")

    await hass.services.async_call(
        DOMAIN,
        "cancel_scheduled",
        {"config_entry_id": entry.entry_id, "message_id": result["message_id"]},
        blocking=True,
    )
    assert allmysms_sim.campaigns[result["message_id"]].cancelled

    with pytest.raises(ServiceValidationError) as again:
        await hass.services.async_call(
            DOMAIN,
            "cancel_scheduled",
            {"config_entry_id": entry.entry_id, "message_id": result["message_id"]},
            blocking=True,
        )
    assert again.value.translation_key == "scheduled_message_not_found"


async def test_send_at_in_the_past_is_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(
            hass,
            entry.entry_id,
            recipients=[ALICE],
            message="x",
            send_at=(dt_util.now() - timedelta(minutes=1)).isoformat(),
        )

    assert raised.value.translation_key == "send_at_in_past"
    assert allmysms_sim.messages == []


async def test_auth_failure_on_send_starts_reauth(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.api_key = "rotated"

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")
    await hass.async_block_till_done()

    assert raised.value.translation_key == "auth_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_credit_errors_say_how_much(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.credits = 20

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="x")

    assert raised.value.translation_key == "credit_insufficient"
    assert raised.value.translation_placeholders == {"required": "30.0", "available": "20.0"}


async def test_an_unconfirmed_send_is_not_called_a_failure(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.fail_next("drop_after_accept", path="/http/9.0/sendSms/")

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    assert raised.value.translation_key == "send_unconfirmed"
    assert len(allmysms_sim.messages) == 1
    # not Home Assistant's own "unknown", which would read as "never sent"
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "unconfirmed"


async def test_flash_where_the_gateway_cannot(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x", flash=True)

    # "smsmode cannot send flash SMS": the feature in words, the gateway by its name
    assert raised.value.translation_key == "unsupported_flash"
    assert raised.value.translation_placeholders == {"gateway": "smsmode"}
    assert smsmode_sim.messages == []


async def test_voice_through_smsmode(hass: HomeAssistant, smsmode_sim: SmsmodeSimulator) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme", voice=True)

    assert result["status"] == "sent"
    assert smsmode_sim.requests_to("/http/1.6/sendVoiceMessage.do")


async def test_smsmode_replies_allowed_forbids_a_sender(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(
        hass, smsmode_entry(smsmode_sim, options={"message_class": "replies_allowed"})
    )

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x", sender="MAISON")
    assert raised.value.translation_key == "sender_with_replies"

    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Répondez 1")
    assert smsmode_sim.messages[0].classe_msg == 4


async def test_sms123_one_request_per_number(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Hi")

    assert result["recipients"] == [ALICE, BOB]
    assert result["credits_used"] is None
    assert len(sms123_sim.requests_to("/api/send/")) == 2


async def test_estimate_sends_nothing(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    response = await hass.services.async_call(
        DOMAIN,
        "estimate",
        {
            "config_entry_id": entry.entry_id,
            "message": "Prix\u00a0: 10\u00a0€",
            "recipients": [ALICE, BOB],
        },
        blocking=True,
        return_response=True,
    )

    assert response == {
        "parts": 1,
        "billed_parts": 2,
        "encoding": "gsm7",
        "text": "Prix : 10 €",
        "units": 12,
        "replaced": [{"from": "\u00a0", "to": " "}],
        "credits": 30.0,
        "warnings": [],
        "notes": [],
    }
    assert allmysms_sim.messages == []


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_404"},
        {"kind": "http_500"},
        {"kind": "slow", "delay": 1.0},
        {"kind": "malformed", "body": "<html>Erreur</html>"},
    ],
    ids=["404", "500", "timeout", "junk"],
)
@pytest.mark.parametrize(
    ("language", "note"),
    [("en", "could not price this message"), ("fr", "pas pu chiffrer ce message")],
)
async def test_estimate_without_a_price_still_counts_the_parts(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    fault: dict[str, Any],
    language: str,
    note: str,
) -> None:
    """The price lookup failing (a proxy's 404, a 5xx, no answer, junk) is no error."""
    hass.config.language = language
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    short_read_timeout(entry)
    fault = dict(fault)  # the parameter is shared by both languages' runs
    allmysms_sim.fail_next(fault.pop("kind"), count=5, path="/http/9.0/simulateCampaign/", **fault)

    response = await hass.services.async_call(
        DOMAIN,
        "estimate",
        {"config_entry_id": entry.entry_id, "message": "Fuite d'eau " * 20, "recipients": [ALICE]},
        blocking=True,
        return_response=True,
    )

    assert response is not None
    assert (response["parts"], response["billed_parts"], response["encoding"]) == (2, 2, "gsm7")
    assert response["credits"] is None
    assert response["warnings"] == ["price_unavailable"]
    assert len(response["notes"]) == 1
    assert note in response["notes"][0]
    assert allmysms_sim.messages == []


@pytest.mark.parametrize(("length", "warnings"), [(160, []), (161, ["long_sms_option"])])
async def test_sms123_estimate_over_160_characters_names_the_long_sms_option(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, length: int, warnings: list[str]
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))

    response = await hass.services.async_call(
        DOMAIN,
        "estimate",
        {"config_entry_id": entry.entry_id, "message": "a" * length},
        blocking=True,
        return_response=True,
    )

    # the account's "envoi de sms longs par http" option decides: Texto cannot read it
    assert response is not None
    assert response["warnings"] == warnings
    assert len(response["notes"]) == len(warnings)
    assert response["parts"] == (1 if length <= 160 else 2)
    assert sms123_sim.requests_to("/api/send/") == []


async def test_actions_need_a_loaded_texto_entry(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    with pytest.raises(ServiceValidationError) as unknown:
        await send_sms(hass, "nope", recipients=[ALICE], message="x")
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as unloaded:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    assert unknown.value.translation_key == "entry_not_found"
    assert unloaded.value.translation_key == "entry_not_loaded"


# --- Mail2SMS routes ------------------------------------------------------------------------


@pytest.fixture
async def mail2sms_sim(allmysms_sim: AllMySmsSimulator) -> AsyncIterator[Mail2SmsSimulator]:
    sim = Mail2SmsSimulator(allmysms_sim)
    await sim.start()
    yield sim
    await sim.stop()


def mail2sms_options(sim: Mail2SmsSimulator, route: str) -> dict[str, Any]:
    return {
        "route": route,
        "smtp_host": sim.host,
        "smtp_port": sim.port,
        "smtp_security": "none",
        "smtp_sender": "maison@example.fr",
    }


async def test_email_route(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    entry = await set_up(
        hass, allmysms_entry(allmysms_sim, options=mail2sms_options(mail2sms_sim, "email"))
    )

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Par e-mail")

    assert result["status"] == "sent"
    assert [send.text for send in mail2sms_sim.sends] == ["Par e-mail"]
    assert allmysms_sim.requests_to("/http/9.0/sendSms/") == []


async def test_api_then_email_when_the_api_is_down(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    entry = await set_up(
        hass,
        allmysms_entry(allmysms_sim, options=mail2sms_options(mail2sms_sim, "api_then_email")),
    )
    allmysms_sim.fail_next("http_503", path="/http/9.0/sendSms/")

    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Secours")

    assert [send.text for send in mail2sms_sim.sends] == ["Secours"]
    # the HTTPS API never took it: exactly one SMS exists
    assert len(allmysms_sim.messages) == 1


async def test_api_then_email_never_after_an_unknown_outcome(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    entry = await set_up(
        hass,
        allmysms_entry(allmysms_sim, options=mail2sms_options(mail2sms_sim, "api_then_email")),
    )
    allmysms_sim.fail_next("drop_after_accept", path="/http/9.0/sendSms/")

    with pytest.raises(HomeAssistantError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Une fois")

    assert mail2sms_sim.sends == []
    assert len(allmysms_sim.messages) == 1


# --- the gateway's refusals, translated --------------------------------------------------------


async def test_every_number_refused_by_the_gateway(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.unroutable_numbers.update({"33612345678", "33698765432"})

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="x")

    assert raised.value.translation_key == "recipients_rejected"
    assert raised.value.translation_placeholders == {"count": "2"}


async def test_gateway_refusal_names_its_code(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.force_status = 117  # link longer than 80 characters

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="x")

    assert raised.value.translation_key == "gateway_refused"
    assert raised.value.translation_placeholders == {"code": "117", "field": "text"}


async def test_sms123_duplicate_within_24_hours(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    with pytest.raises(HomeAssistantError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alarme")

    assert raised.value.translation_key == "duplicate_refused"
    assert len(sms123_sim.messages) == 1


async def test_sms123_partial_send_completes_the_rest_once(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "VERIFY_DELAY", 0.01)
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.technical_errors = 1  # the first request gets "-2, technical error"

    result = await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="x")

    # the number whose outcome was unknown got the identical resend (123-SMS refuses a
    # duplicate, so it cannot go twice): each number has it exactly once
    assert result["status"] == "sent"
    assert sorted(result["recipients"]) == [ALICE, BOB]
    assert result["billed_parts"] == 2
    assert sorted(sms.number for sms in sms123_sim.messages) == ["33612345678", "33698765432"]
    assert hass.states.get(f"sensor.{slugify(entry.title)}_sent_parts").state == "2"
    assert hass.states.get(f"sensor.{slugify(entry.title)}_last_status").state == "sent"


async def test_smsmode_cancel_of_a_message_the_gateway_no_longer_has(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    when = dt_util.now() + timedelta(hours=1)
    result = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="x", send_at=when.isoformat()
    )
    smsmode_sim.messages.clear()  # deleted in the customer area meanwhile

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "cancel_scheduled",
            {"config_entry_id": entry.entry_id, "message_id": result["message_id"]},
            blocking=True,
        )

    assert raised.value.translation_key == "message_not_found"


async def test_scheduled_sends_can_be_cancelled_after_a_restart(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    when = dt_util.now() + timedelta(days=1)
    result = await send_sms(
        hass, entry.entry_id, recipients=[ALICE], message="Demain", send_at=when.isoformat()
    )
    assert [sms.number for sms in sms123_sim.scheduled] == ["33612345678"]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.services.async_call(
        DOMAIN,
        "cancel_scheduled",
        {"config_entry_id": entry.entry_id, "message_id": result["message_id"]},
        blocking=True,
    )

    # 123-SMS deletes by repeating the whole send: Texto kept it across the reload
    assert sms123_sim.scheduled == []


async def test_smsmode_replies_allowed_needs_gsm7(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(
        hass, smsmode_entry(smsmode_sim, options={"message_class": "replies_allowed"})
    )

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Répondez 1 🔥")

    assert raised.value.translation_key == "replies_need_gsm7"
    assert smsmode_sim.messages == []


async def test_refused_input_leaves_last_status_alone(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Première")

    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=["not a number"], message="x")

    # nothing was attempted: the last send is still the one that went out
    assert hass.states.get("sensor.allmysms_demo_last_status").state == "sent"


async def test_a_partial_send_is_still_recognised_by_its_reports(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "VERIFY_DELAY", 0.01)
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.technical_errors = 1

    await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="x")

    # the part accepted first and the part sent after the check: both find their send
    for accepted in sms123_sim.messages:
        sent = entry.runtime_data.sent_log.by_recipient_id(accepted.reference)
        assert sent is not None
        assert sent.recipients == (f"+{accepted.number}",)
