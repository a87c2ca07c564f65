"""Texto's actions: send to a recipient entity, send to numbers, estimate, cancel, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import service
from homeassistant.helpers.translation import async_get_translations

from .alert_sender import check_rung, resolve_rung
from .alerts import DEFAULT_ACKNOWLEDGE_TEXTS, AcknowledgeBy, Alert, Then, async_get_alerts
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_FLASH,
    ATTR_MAX_PARTS,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_RECIPIENTS,
    ATTR_REFERENCE,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TEXT_POLICY,
    ATTR_VOICE,
    ATTR_WAIT,
    DOMAIN,
    SERVICE_ACKNOWLEDGE_ALERT,
    SERVICE_CANCEL_ALERT,
    SERVICE_CANCEL_SCHEDULED,
    SERVICE_ESTIMATE,
    SERVICE_RAISE_ALERT,
    SERVICE_SEND_MESSAGE,
    SERVICE_SEND_SMS,
)
from .entry import TextoConfigEntry
from .errors import validation_error
from .requests import MAX_PARTS, MIN_PARTS
from .responses import estimate_response, send_response

#: the optional fields both send actions take
SEND_OPTIONS: dict[vol.Marker, Any] = {
    # values checked by requests.build_request, whose errors are translated
    vol.Optional(ATTR_SENDER): cv.string,
    vol.Optional(ATTR_SEND_AT): vol.Any(None, str, datetime),
    vol.Optional(ATTR_MAX_PARTS): vol.Any(None, int, float, str),
    vol.Optional(ATTR_TEXT_POLICY): vol.Any(None, str),
    vol.Optional(ATTR_REFERENCE): vol.Any(None, str, int),
    vol.Optional(ATTR_FLASH, default=False): cv.boolean,
    vol.Optional(ATTR_VOICE, default=False): cv.boolean,
    vol.Optional(ATTR_WAIT, default=True): cv.boolean,
}

SEND_MESSAGE_SCHEMA = cv.make_entity_service_schema(
    {vol.Required(ATTR_MESSAGE): cv.string, **SEND_OPTIONS}
)

SEND_SMS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_RECIPIENTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Required(ATTR_MESSAGE): cv.string,
        **SEND_OPTIONS,
    }
)

ESTIMATE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_RECIPIENTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_TEXT_POLICY): vol.Any(None, str),
    }
)

CANCEL_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_MESSAGE_ID): cv.string,
    }
)

#: the bounds of an alert: a step's wait, its ladder, its rounds (references stay short)
MIN_ESCALATE_AFTER = timedelta(minutes=1)
MAX_ESCALATE_AFTER = timedelta(days=1)
MAX_LADDER = 10
MAX_ROUNDS = 9

RAISE_ALERT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Required(ATTR_RECIPIENTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional("escalate_after", default={"minutes": 5}): vol.Any(None, cv.time_period),
        vol.Optional("acknowledge_by", default=str(AcknowledgeBy.REPLY)): vol.In(
            [str(value) for value in AcknowledgeBy]
        ),
        vol.Optional("acknowledge_texts", default=list(DEFAULT_ACKNOWLEDGE_TEXTS)): vol.All(
            cv.ensure_list, [cv.string]
        ),
        vol.Optional("then", default=str(Then.STOP)): vol.In([str(value) for value in Then]),
        vol.Optional("rounds", default=2): vol.Any(None, int, float, str),
        vol.Optional("tag"): vol.Any(None, cv.string),
        vol.Optional(ATTR_MAX_PARTS): vol.Any(None, int, float, str),
        vol.Optional("tell_others", default=True): cv.boolean,
    }
)

ALERT_SCHEMA = vol.Schema({vol.Optional("alert_id"): cv.string, vol.Optional("tag"): cv.string})

#: a number to price a message for when the caller names none: any valid French mobile
_PRICING_NUMBER = "+33612345678"


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> TextoConfigEntry:
    entry: TextoConfigEntry | None = hass.config_entries.async_get_entry(
        call.data[ATTR_CONFIG_ENTRY_ID]
    )
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("entry_not_found")
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("entry_not_loaded", title=entry.title)
    return entry


def _send_options(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "sender": data.get(ATTR_SENDER),
        "send_at": data.get(ATTR_SEND_AT),
        "max_parts": data.get(ATTR_MAX_PARTS),
        "text_policy": data.get(ATTR_TEXT_POLICY),
        "reference": data.get(ATTR_REFERENCE),
        "flash": data[ATTR_FLASH],
        "voice": data[ATTR_VOICE],
    }


async def _async_send_sms(call: ServiceCall) -> ServiceResponse:
    account = _loaded_entry(call.hass, call).runtime_data
    if not call.data[ATTR_RECIPIENTS]:
        raise validation_error("no_recipient")
    request = account.build_request(
        call.data[ATTR_RECIPIENTS], call.data[ATTR_MESSAGE], **_send_options(dict(call.data))
    )
    return send_response(await account.async_send(request, wait=call.data[ATTR_WAIT]))


async def _async_estimate(call: ServiceCall) -> ServiceResponse:
    account = _loaded_entry(call.hass, call).runtime_data
    recipients = call.data.get(ATTR_RECIPIENTS) or [_PRICING_NUMBER]
    request = account.build_request(
        recipients, call.data[ATTR_MESSAGE], text_policy=call.data.get(ATTR_TEXT_POLICY)
    )
    estimate = await account.async_estimate(request)
    return estimate_response(estimate, await _async_notes(call.hass, estimate.warnings))


async def _async_notes(hass: HomeAssistant, warnings: tuple[str, ...]) -> list[str]:
    """Each warning of an estimate in a sentence, in Home Assistant's language."""
    if not warnings:
        return []
    translations = await async_get_translations(hass, hass.config.language, "exceptions", [DOMAIN])
    return [
        translations.get(f"component.{DOMAIN}.exceptions.{warning}.message", warning)
        for warning in warnings
    ]


async def _async_cancel_scheduled(call: ServiceCall) -> None:
    account = _loaded_entry(call.hass, call).runtime_data
    await account.async_cancel(call.data[ATTR_MESSAGE_ID])


def _whole(value: object, key: str, low: int, high: int) -> int:
    """A whole number in ``low``..``high`` (the UI gives a number), else a translated refusal."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not low <= number <= high:
        raise validation_error(key, min=low, max=high)
    return number


async def _async_raise_alert(call: ServiceCall) -> ServiceResponse:
    data = call.data
    wait: timedelta = data["escalate_after"] or timedelta(minutes=5)
    if not MIN_ESCALATE_AFTER <= wait <= MAX_ESCALATE_AFTER:
        raise validation_error(
            "alert_invalid_escalate_after",
            min=int(MIN_ESCALATE_AFTER.total_seconds() // 60),
            max=int(MAX_ESCALATE_AFTER.total_seconds() // 60),
        )
    entity_ids: list[str] = data[ATTR_RECIPIENTS]
    if not 1 <= len(entity_ids) <= MAX_LADDER:
        raise validation_error("alert_invalid_recipients", max=MAX_LADDER)
    rounds = _whole(data["rounds"], "alert_invalid_rounds", 1, MAX_ROUNDS)
    max_parts = (
        None
        if data.get(ATTR_MAX_PARTS) in (None, "")
        else _whole(data[ATTR_MAX_PARTS], "invalid_max_parts", MIN_PARTS, MAX_PARTS)
    )
    texts = [text for text in data["acknowledge_texts"] if text.strip()]
    if not texts:
        raise validation_error("alert_no_acknowledge_text")
    acknowledge_by, then = AcknowledgeBy(data["acknowledge_by"]), Then(data["then"])
    ladder = []
    for entity_id in entity_ids:
        rung, account = resolve_rung(call.hass, entity_id)
        check_rung(
            account,
            rung,
            data[ATTR_MESSAGE],
            reply=acknowledge_by is AcknowledgeBy.REPLY,
            call=then is Then.CALL,
            max_parts=max_parts,
        )
        ladder.append(rung)
    alert = await async_get_alerts(call.hass).async_raise(
        message=data[ATTR_MESSAGE],
        ladder=ladder,
        escalate_after=wait,
        acknowledge_by=acknowledge_by,
        texts=texts,
        then=then,
        rounds=rounds,
        tag=data.get("tag") or None,
        max_parts=max_parts,
        tell_others=data["tell_others"],
    )
    return {"alert_id": alert.alert_id}


def _alert_of(call: ServiceCall) -> Alert:
    alert_id, tag = call.data.get("alert_id"), call.data.get("tag")
    if not alert_id and not tag:
        raise validation_error("alert_id_or_tag")
    alert = async_get_alerts(call.hass).find(alert_id=alert_id or None, tag=tag or None)
    if alert is None:
        raise validation_error("alert_not_found", alert=alert_id or tag)
    return alert


async def _async_acknowledge_alert(call: ServiceCall) -> None:
    alert = _alert_of(call)
    name = None
    if call.context.user_id and (user := await call.hass.auth.async_get_user(call.context.user_id)):
        name = user.name
    await async_get_alerts(call.hass).async_acknowledge(alert, name=name)


async def _async_cancel_alert(call: ServiceCall) -> None:
    await async_get_alerts(call.hass).async_cancel(_alert_of(call))


def async_setup_services(hass: HomeAssistant) -> None:
    """Register Texto's actions (once, whatever the number of accounts)."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        entity_domain=Platform.NOTIFY,
        schema=SEND_MESSAGE_SCHEMA,
        func="async_send_sms",
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_SMS,
        _async_send_sms,
        schema=SEND_SMS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ESTIMATE,
        _async_estimate,
        schema=ESTIMATE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_CANCEL_SCHEDULED, _async_cancel_scheduled, schema=CANCEL_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RAISE_ALERT,
        _async_raise_alert,
        schema=RAISE_ALERT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ACKNOWLEDGE_ALERT, _async_acknowledge_alert, schema=ALERT_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_CANCEL_ALERT, _async_cancel_alert, schema=ALERT_SCHEMA
    )
