"""Texto's actions: send to a recipient entity, send to numbers, estimate, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import service
from homeassistant.helpers.translation import async_get_translations

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
    SERVICE_CANCEL_SCHEDULED,
    SERVICE_ESTIMATE,
    SERVICE_SEND_MESSAGE,
    SERVICE_SEND_SMS,
)
from .entry import TextoConfigEntry
from .errors import validation_error
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
