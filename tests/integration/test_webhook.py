"""The webhook: gateways calling Home Assistant back over loopback, URLs, flows, cloudhooks."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.components.webhook import async_generate_path
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.texto.config_flow import TextoConfigFlow
from custom_components.texto.const import (
    CONF_ADVANCED,
    CONF_ALLOW_INTERNAL_URL,
    CONF_CLOUDHOOK_URL,
    CONF_MESSAGE_CLASS,
    CONF_RECEIVE_MODE,
    CONF_UNVERIFIED_PER_MINUTE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
)
from custom_components.texto.polling import get_poller
from custom_components.texto.webhook import MAX_BODY, callback_url
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .callbacks import url_of
from .common import ALICE, allmysms_entry, set_up, sms123_entry, smsmode_entry
from .common import send_sms as send_to
from .conftest import TRANSLATIONS

type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]

REPORT_KEYS = {
    "entry_id",
    "provider",
    "message_id",
    "recipient",
    "status",
    "provider_status",
    "detail",
    "reported_at",
    "reference",
    "device_id",
    "route",
    "account",
    "account_name",
}
REPLY_KEYS = {
    "entry_id",
    "provider",
    "sender",
    "sender_name",
    "sender_entity_id",
    "recipient",
    "text",
    "received_at",
    "message_id",
    "in_reply_to",
    "verified",
    "in_reply_to_sent_at",
    "device_id",
    "complete",
}


def webhook_path(entry: MockConfigEntry) -> str:
    return async_generate_path(entry.data[CONF_WEBHOOK_ID])


async def send_sms(hass: HomeAssistant, entry_id: str, **fields: Any) -> dict[str, Any]:
    """``common.send_sms`` with this module's usual alert: "Alarme" to Alice."""
    return await send_to(hass, entry_id, **{"recipients": [ALICE], "message": "Alarme", **fields})


# --- the whole loop, each gateway with its real callback format ------------------------------


async def test_smsmode_send_passes_the_url_and_its_report_fires_an_event(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    sent = await send_sms(hass, entry.entry_id, reference="alarm-1")
    [message] = smsmode_sim.messages
    assert message.notification_url == url_of(client, entry)
    assert message.notification_url_reponse is None  # a standard message takes no reply
    [call] = await smsmode_sim.deliver(sent["message_id"])
    await hass.async_block_till_done()

    assert call.status == 200
    [event] = reports
    assert set(event.data) == REPORT_KEYS
    assert event.data["entry_id"] == entry.entry_id
    assert event.data["provider"] == "smsmode"
    assert event.data["message_id"] == sent["message_id"]
    assert event.data["recipient"] == ALICE
    assert event.data["status"] == "delivered"
    assert event.data["provider_status"] == "11"
    assert event.data["reference"] == "alarm-1"
    assert event.data["reported_at"].endswith(("+01:00", "+02:00"))


async def test_smsmode_reply_through_the_webhook_is_verified(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim, options={CONF_MESSAGE_CLASS: "replies_allowed"})
    await set_up(hass, entry)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    sent = await send_sms(hass, entry.entry_id)
    [message] = smsmode_sim.messages
    assert message.notification_url_reponse == url_of(client, entry)
    reply_id = await smsmode_sim.inject_reply(ALICE, "Désarmer 1", sent["message_id"])
    await hass.async_block_till_done()

    [event] = replies
    assert set(event.data) == REPLY_KEYS
    assert event.data["sender"] == ALICE
    assert event.data["text"] == "Désarmer 1"
    assert event.data["message_id"] == reply_id
    assert event.data["in_reply_to"] == sent["message_id"]
    assert event.data["verified"] is True
    assert event.data["sender_name"] == "Alice"


async def test_smsmode_same_report_twice_fires_once(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    sent = await send_sms(hass, entry.entry_id)

    await smsmode_sim.deliver(sent["message_id"], status=13)
    await smsmode_sim.deliver(sent["message_id"], status=13)
    await smsmode_sim.deliver(sent["message_id"], status=11)
    await hass.async_block_till_done()

    assert [event.data["provider_status"] for event in reports] == ["13", "11"]


async def test_allmysms_report_and_reply_by_webhook(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.webhook_url = url_of(client, entry)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    sent = await send_sms(hass, entry.entry_id)
    await allmysms_sim.deliver(sent["message_id"])
    mo_id = await allmysms_sim.inject_reply(ALICE, "OK merci")
    await hass.async_block_till_done()

    assert [call.status for call in allmysms_sim.callbacks] == [200, 200]
    [report] = reports
    assert report.data["provider"] == "allmysms"
    assert report.data["message_id"] == sent["message_id"]
    assert (report.data["recipient"], report.data["status"]) == (ALICE, "delivered")
    [reply] = replies
    assert (reply.data["sender"], reply.data["text"]) == (ALICE, "OK merci")
    assert reply.data["message_id"] == mo_id


async def test_allmysms_accepts_json_and_query_strings(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    allmysms_sim.webhook_url = url_of(client, entry)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reply = {"smsMoId": "mo-json", "message": "json", "phoneNumber": "33612345678"}

    await allmysms_sim.call_back(allmysms_sim.webhook_url, reply, method="POST", as_json=True)
    await allmysms_sim.call_back(
        allmysms_sim.webhook_url, {**reply, "smsMoId": "mo-get", "message": "get"}
    )
    await hass.async_block_till_done()

    assert [call.status for call in allmysms_sim.callbacks] == [200, 200]
    assert [event.data["text"] for event in replies] == ["json", "get"]


async def test_sms123_report_is_answered_ok_and_mapped_to_the_send(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.callback_url = url_of(client, entry)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    sent = await send_sms(hass, entry.entry_id, reference="porte")
    [sms] = sms123_sim.messages
    call = await sms123_sim.deliver(sms.reference, erreur="")
    await hass.async_block_till_done()

    assert call is not None
    assert (call.status, call.body) == (200, "OK")
    [event] = reports
    assert event.data["provider"] == "sms123"
    assert event.data["message_id"] == sent["message_id"]
    assert (event.data["recipient"], event.data["status"]) == (ALICE, "delivered")
    assert event.data["reference"] == "porte"


async def test_sms123_always_answers_ok(
    hass: HomeAssistant, sms123_sim: Sms123Simulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.callback_url = url_of(client, entry)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    ping = await sms123_sim.ping_callback()
    malformed = await sms123_sim.call_back(sms123_sim.callback_url, {"gsm": "33612345678"})
    posted = await client.post(webhook_path(entry), data=b"\xff\xfe" * 10)
    huge = await client.post(webhook_path(entry), data=b"a" * (MAX_BODY + 1))
    await hass.async_block_till_done()

    assert ping is not None
    assert (ping.status, ping.body) == (200, "OK")
    assert (malformed.status, malformed.body) == (200, "OK")
    assert (posted.status, await posted.text()) == (200, "OK")
    assert (huge.status, await huge.text()) == (200, "OK")
    assert reports == []


# --- bad input: no event, a 4xx, a masked debug line -------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        (b"status=", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400),
        (b'{"message": "\\ud800", "smsMoId": "1"}', {"Content-Type": "application/json"}, 400),
        (b"message=%E9t%E9&smsMoId=1", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        (b"x" * (MAX_BODY + 1), {"Content-Type": "application/x-www-form-urlencoded"}, 413),
        (b"unknown=field", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
    ],
)
async def test_allmysms_refuses_what_it_cannot_read(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    client: TestClient[Any, Any],
    case: tuple[bytes, dict[str, str], int],
) -> None:
    body, headers, status = case
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    events += async_capture_events(hass, EVENT_DELIVERY_REPORT)

    response = await client.post(webhook_path(entry), data=body, headers=headers)
    await hass.async_block_till_done()

    assert response.status == status
    assert events == []


async def test_a_refused_callback_is_logged_at_debug_masked(
    hass: HomeAssistant,
    smsmode_sim: SmsmodeSimulator,
    client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    caplog.set_level(logging.DEBUG, logger="custom_components.texto.webhook")

    # a reply without its sender: the parser refuses it
    response = await client.get(
        webhook_path(entry), params={"message": "code secret 4242", "numero": "33612345678"}
    )

    assert response.status == 400
    [record] = [r for r in caplog.records if r.name == "custom_components.texto.webhook"]
    assert record.levelno == logging.DEBUG
    assert "Refused a callback" in record.getMessage()
    assert "4242" not in record.getMessage()
    assert "33612345678" not in record.getMessage()
    assert entry.data[CONF_WEBHOOK_ID] not in record.getMessage()


async def test_smsmode_reply_in_iso_8859_15_is_read(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)

    # "Désarmé €" as smsmode's documented charset encodes it
    query = "numero=36180&emetteur=33612345678&message=D%E9sarm%E9+%A4&responseID=r-1"
    response = await client.get(f"{webhook_path(entry)}?{query}")
    await hass.async_block_till_done()

    assert response.status == 200
    [event] = replies
    assert event.data["text"] == "Désarmé €"
    assert event.data["verified"] is False  # it answers nothing Texto sent


async def test_multipart_form_is_read(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    boundary = "texto-boundary"
    fields = {"smsMoId": "mo-mp", "message": "Réponse", "phoneNumber": "33612345678"}
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    body += f"--{boundary}--\r\n"

    response = await client.post(
        webhook_path(entry),
        data=body.encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    await hass.async_block_till_done()

    assert response.status == 200
    assert [event.data["text"] for event in replies] == ["Réponse"]


async def test_an_unloaded_entry_fires_nothing(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED

    response = await client.post(
        webhook_path(entry), data={"smsMoId": "1", "message": "x", "phoneNumber": "33612345678"}
    )
    await hass.async_block_till_done()

    assert response.status == 200  # HA's answer for a webhook it does not know
    assert events == []


async def test_an_old_entry_gets_a_webhook_id(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    current = allmysms_entry(allmysms_sim)
    data = {key: value for key, value in current.data.items() if key != CONF_WEBHOOK_ID}
    entry = MockConfigEntry(
        domain=DOMAIN, title=current.title, unique_id=current.unique_id, data=data, minor_version=1
    )

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == TextoConfigFlow.MINOR_VERSION
    assert len(entry.data[CONF_WEBHOOK_ID]) == 64


# --- which URL the gateways get -----------------------------------------------------------------


async def test_no_url_without_an_external_one_unless_internal_is_allowed(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, socket_enabled: None
) -> None:
    await hass.config.async_update(internal_url="http://192.168.1.10:8123")
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options={CONF_RECEIVE_MODE: "webhook"}))
    assert callback_url(hass, entry) is None
    await send_sms(hass, entry.entry_id)
    assert smsmode_sim.messages[-1].notification_url is None

    hass.config_entries.async_update_entry(
        entry, options={CONF_RECEIVE_MODE: "webhook", CONF_ALLOW_INTERNAL_URL: True}
    )
    await hass.async_block_till_done()

    expected = f"http://192.168.1.10:8123{webhook_path(entry)}"
    assert callback_url(hass, entry) == expected
    await send_sms(hass, entry.entry_id)
    assert smsmode_sim.messages[-1].notification_url == expected


async def test_polling_mode_gives_no_url(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, client: TestClient[Any, Any]
) -> None:
    entry = smsmode_entry(smsmode_sim, options={CONF_RECEIVE_MODE: "polling"})
    await set_up(hass, entry)

    await send_sms(hass, entry.entry_id)

    assert smsmode_sim.messages[-1].notification_url is None


# --- the config flow shows the URL ----------------------------------------------------------


async def _create_allmysms(hass: HomeAssistant, sim: AllMySmsSimulator) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "allmysms"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: sim.login,
            CONF_API_KEY: sim.api_key,
            CONF_ADVANCED: {CONF_URL: sim.base_url},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return dict(result)


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_create_entry_shows_the_webhook_url(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    await hass.config.async_update(external_url="https://maison.example.fr")

    result = await _create_allmysms(hass, allmysms_sim)

    webhook_id = result["result"].data[CONF_WEBHOOK_ID]
    assert result["description"] == "allmysms"
    assert result["description_placeholders"] == {
        "webhook_url": f"https://maison.example.fr/api/webhook/{webhook_id}"
    }


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_create_entry_without_any_url_says_so(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await _create_allmysms(hass, allmysms_sim)

    webhook_id = result["result"].data[CONF_WEBHOOK_ID]
    # AllMySMS's own words: polling until there is a URL, then where to paste it
    assert result["description"] == "allmysms_no_url"
    assert result["description_placeholders"] == {"webhook_path": f"/api/webhook/{webhook_id}"}
    # stored as chosen now: a URL appearing later does not switch it to the webhook
    assert result["result"].options == {"receive_mode": "polling"}


def test_create_entry_descriptions_are_translated() -> None:
    for language in ("en", "fr"):
        strings = json.loads((TRANSLATIONS / f"{language}.json").read_text())
        descriptions = strings["config"]["create_entry"]
        for key in ("allmysms", "smsmode", "sms123"):
            assert "{webhook_url}" in descriptions[key]
        # smsmode needs nothing pasted: no path to show
        for key in ("allmysms_no_url", "sms123_no_url"):
            assert "{webhook_path}" in descriptions[key]
        assert "{webhook" not in descriptions["smsmode_no_url"]


# --- HA Cloud -----------------------------------------------------------------------------------

CLOUDHOOK = "https://hooks.nabu.casa/texto-test"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> dict[str, AsyncMock]:
    """HA Cloud logged in with a subscription.

    Cloud cannot run here, and importing it needs packages the tests do not install (it
    pulls in camera, voice, OpenAI): a stand-in module with the three functions Texto calls
    takes its place in ``sys.modules``, so Texto's own import of it is exercised unchanged.
    """
    create = AsyncMock(return_value=CLOUDHOOK)
    delete = AsyncMock()
    stand_in = ModuleType("homeassistant.components.cloud")
    stand_in.async_active_subscription = lambda hass: True  # type: ignore[attr-defined]
    stand_in.async_get_or_create_cloudhook = create  # type: ignore[attr-defined]
    stand_in.async_delete_cloudhook = delete  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", stand_in)
    return {"create": create, "delete": delete}


async def test_cloudhook_is_the_url_and_is_deleted_with_the_entry(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, cloud: dict[str, AsyncMock]
) -> None:
    hass.config.components.add("cloud")
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    cloud["create"].assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    await send_sms(hass, entry.entry_id)
    assert smsmode_sim.messages[-1].notification_url == CLOUDHOOK

    await hass.config_entries.async_remove(entry.entry_id)
    cloud["delete"].assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])


async def test_cloud_failure_leaves_the_account_working(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, cloud: dict[str, AsyncMock]
) -> None:
    hass.config.components.add("cloud")
    cloud["create"].side_effect = RuntimeError("cloud not connected")

    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    assert entry.state is ConfigEntryState.LOADED
    assert CONF_CLOUDHOOK_URL not in entry.data


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_create_entry_with_cloud_shows_the_cloudhook(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, cloud: dict[str, AsyncMock]
) -> None:
    hass.config.components.add("cloud")

    result = await _create_allmysms(hass, allmysms_sim)

    assert result["result"].data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    assert result["description_placeholders"] == {"webhook_url": CLOUDHOOK}


# --- options: receiving -------------------------------------------------------------------------


async def _receiving(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "receiving" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "receiving"}
    )
    assert result["type"] is FlowResultType.FORM
    return dict(result)


def _suggested(result: dict[str, Any], name: str) -> Any:
    for marker in result["data_schema"].schema:
        if str(marker) == name:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(name)


def _select_options(result: dict[str, Any], name: str) -> list[str]:
    for marker, selector in result["data_schema"].schema.items():
        if str(marker) == name:
            return list(selector.config["options"])
    raise KeyError(name)


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_receiving_without_url_defaults_to_polling_and_says_why(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_WEBHOOK_ID: "abc"})

    result = await _receiving(hass, entry)

    # smsmode's own text for a home without a URL, and no red error before anything is sent
    assert result["step_id"] == "receiving_smsmode_no_url"
    assert not result["errors"]
    assert result["description_placeholders"] == {
        "account": "smsmode",
        "webhook_path": "/api/webhook/abc",
    }
    assert _suggested(result, CONF_RECEIVE_MODE) == "polling"
    assert _select_options(result, CONF_RECEIVE_MODE) == ["webhook", "polling", "both"]

    assert _suggested(result, CONF_UNVERIFIED_PER_MINUTE) == 30

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_RECEIVE_MODE: "both",
            CONF_ALLOW_INTERNAL_URL: True,
            CONF_UNVERIFIED_PER_MINUTE: 5,
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_RECEIVE_MODE: "both",
        CONF_ALLOW_INTERNAL_URL: True,
        CONF_UNVERIFIED_PER_MINUTE: 5,
    }


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_receiving_with_an_external_url_shows_it_and_keeps_other_options(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    await hass.config.async_update(external_url="https://maison.example.fr")
    entry = allmysms_entry(allmysms_sim, options={"max_parts": 2})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_WEBHOOK_ID: "abc"})

    result = await _receiving(hass, entry)

    assert result["step_id"] == "receiving_allmysms"
    assert not result["errors"]
    assert result["description_placeholders"] == {
        "account": "AllMySMS (demo)",
        "webhook_url": "https://maison.example.fr/api/webhook/abc",
    }
    assert _suggested(result, CONF_RECEIVE_MODE) == "webhook"

    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RECEIVE_MODE: "webhook"}
    )
    assert entry.options == {
        "max_parts": 2,
        CONF_RECEIVE_MODE: "webhook",
        CONF_ALLOW_INTERNAL_URL: False,
        CONF_UNVERIFIED_PER_MINUTE: 30,
    }


@pytest.mark.usefixtures("mock_setup_entry", "check_flow_translations")
async def test_sms123_receiving_offers_only_the_webhook(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = sms123_entry(sms123_sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_WEBHOOK_ID: "abc"})

    result = await _receiving(hass, entry)

    assert result["step_id"] == "receiving_sms123_no_url"
    assert _select_options(result, CONF_RECEIVE_MODE) == ["webhook"]
    # 123-SMS takes no replies: no bound on them to set
    assert CONF_UNVERIFIED_PER_MINUTE not in {str(key) for key in result["data_schema"].schema}
    assert _suggested(result, CONF_RECEIVE_MODE) == "webhook"


# --- edges of reading a request -------------------------------------------------------------------


async def test_too_many_fields_are_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    query = "&".join(f"f{n}=1" for n in range(100))

    response = await client.get(f"{webhook_path(entry)}?smsMoId=1&message=x&{query}")

    assert response.status == 400


async def test_multipart_files_are_ignored_and_bad_charsets_refused(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, client: TestClient[Any, Any]
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    with_file = (
        '--b\r\nContent-Disposition: form-data; name="message"; filename="a.txt"\r\n\r\nx\r\n'
        "--b\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
        "--b--\r\n"
    )
    bad_charset = (
        '--b\r\nContent-Disposition: form-data; name="message"\r\n'
        "Content-Type: text/plain; charset=no-such-charset\r\n\r\nx\r\n--b--\r\n"
    )

    first = await client.post(webhook_path(entry), data=with_file.encode(), headers=headers)
    second = await client.post(webhook_path(entry), data=bad_charset.encode(), headers=headers)
    await hass.async_block_till_done()

    assert first.status == 200  # nothing left: a reachability check
    assert second.status == 400
    assert replies == []


async def test_a_bug_in_the_inbox_still_answers_the_gateway(
    hass: HomeAssistant,
    sms123_sim: Sms123Simulator,
    client: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))

    with patch.object(
        entry.runtime_data.inbox, "async_receive", AsyncMock(side_effect=RuntimeError("bug"))
    ):
        response = await client.get(
            webhook_path(entry), params={"erreur": "", "refenvoi": "1", "gsm": "33612345678"}
        )

    assert (response.status, await response.text()) == (200, "OK")
    [record] = [r for r in caplog.records if "could not handle a callback" in r.getMessage()]
    # a warning, without the traceback (it could quote what arrived)
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)


async def test_cloudhook_deletion_failure_does_not_stop_the_removal(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, cloud: dict[str, AsyncMock]
) -> None:
    hass.config.components.add("cloud")
    cloud["delete"].side_effect = RuntimeError("cloud away")
    entry = await set_up(hass, smsmode_entry(smsmode_sim))

    await hass.config_entries.async_remove(entry.entry_id)

    assert hass.config_entries.async_get_entry(entry.entry_id) is None


# --- the same report and reply by webhook AND by polling ---------------------------------------


async def test_what_arrives_both_ways_fires_once(
    hass: HomeAssistant, client: TestClient[Any, Any], allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"receive_mode": "both"}))
    allmysms_sim.webhook_url = url_of(client, entry)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    sent = await send_sms(hass, entry.entry_id)

    await allmysms_sim.deliver(sent["message_id"])
    await allmysms_sim.inject_reply("33612345678", "1", campaign_id=sent["message_id"])
    await hass.async_block_till_done()
    assert (len(reports), len(replies)) == (1, 1)  # by webhook

    poller = get_poller(hass, entry.entry_id)
    assert poller is not None
    later = dt_util.utcnow() + timedelta(minutes=5)
    # the gateway lists them again when asked: nothing new for Home Assistant
    assert await poller.async_poll_reports(later) == 0
    assert await poller.async_poll_replies(later) == 0
    await hass.async_block_till_done()
    assert (len(reports), len(replies)) == (1, 1)
    assert allmysms_sim.requests_to("/http/9.0/getAcks/")
    assert replies[0].data["verified"] is True
