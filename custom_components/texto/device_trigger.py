"""Device triggers: on a recipient's device and on an account's device (the nest/zha pattern).

A recipient's device offers ``reply_received`` (its verified replies, unless told otherwise;
narrowed by ``text_equals`` and ``text_contains`` as Texto's own reply trigger),
``delivered`` and ``delivery_failed`` (a report of ``failed`` or ``expired`` for a message to
it) and ``alert_acknowledged`` (this recipient acknowledged an alert); an account's device
offers ``sms_received``, ``delivery_report`` and ``send_failed``. Each is Home Assistant's
event trigger on a Texto bus event, narrowed by the event's ``device_id`` (a recipient) or
``entry_id`` (an account); a ``texto_alert`` event names its recipient by notify entity,
whose device is looked up when the event comes (a renamed entity still matches).
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any, Final

import voluptuous as vol
from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .const import (
    DOMAIN,
    EVENT_ALERT,
    EVENT_DELIVERY_REPORT,
    EVENT_SEND_FAILED,
    EVENT_SMS_RECEIVED,
)
from .trigger import CONF_TEXT_CONTAINS, CONF_TEXT_EQUALS, CONF_VERIFIED_ONLY, text_checks

#: what a reply trigger of a recipient's device can be told (its "extra fields")
REPLY_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(CONF_VERIFIED_ONLY, default=True): cv.boolean,
    vol.Optional(CONF_TEXT_EQUALS): cv.string,
    vol.Optional(CONF_TEXT_CONTAINS): cv.string,
}

#: trigger type -> (event, the data it must carry; several: any of them)
RECIPIENT_TRIGGERS: Final[dict[str, tuple[str, list[dict[str, Any]]]]] = {
    "reply_received": (EVENT_SMS_RECEIVED, [{}]),
    "delivered": (EVENT_DELIVERY_REPORT, [{"status": "delivered"}]),
    "delivery_failed": (EVENT_DELIVERY_REPORT, [{"status": "failed"}, {"status": "expired"}]),
    "alert_acknowledged": (EVENT_ALERT, [{"type": "acknowledged"}]),
}
ACCOUNT_TRIGGERS: Final[dict[str, str]] = {
    "sms_received": EVENT_SMS_RECEIVED,
    "delivery_report": EVENT_DELIVERY_REPORT,
    "send_failed": EVENT_SEND_FAILED,
}

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In([*RECIPIENT_TRIGGERS, *ACCOUNT_TRIGGERS]),
        **REPLY_FIELDS,
    }
)


def _texto_identifier(hass: HomeAssistant, device_id: str) -> str:
    """The device's Texto identifier: the entry id, or ``<entry id>_<subentry id>``."""
    device = dr.async_get(hass).async_get(device_id)
    identifier = next(
        (value for domain, value in (device.identifiers if device else ()) if domain == DOMAIN),
        None,
    )
    if identifier is None:
        raise InvalidDeviceAutomationConfig(f"not a Texto device: {device_id}")
    return identifier


def _is_recipient(identifier: str) -> bool:
    # entry ids have no underscore; a recipient's device is named after entry and subentry
    return "_" in identifier


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The triggers a Texto device offers."""
    identifier = _texto_identifier(hass, device_id)
    types = RECIPIENT_TRIGGERS if _is_recipient(identifier) else ACCOUNT_TRIGGERS
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in types
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """A reply trigger can take unverified replies too (off by default), and a text."""
    if config[CONF_TYPE] != "reply_received":
        return {}
    return {"extra_fields": vol.Schema(REPLY_FIELDS)}


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Attach the event trigger (or triggers) the device trigger stands for."""
    kind: str = config[CONF_TYPE]
    identifier = _texto_identifier(hass, config[CONF_DEVICE_ID])
    if kind == "reply_received":
        action = _with_text_checks(action, config)
    if kind == "alert_acknowledged":
        event_type, variants = RECIPIENT_TRIGGERS[kind]
        action = _by_recipient_of(hass, action, config[CONF_DEVICE_ID])
        narrowed: dict[str, Any] = {}
    elif kind in RECIPIENT_TRIGGERS:
        event_type, variants = RECIPIENT_TRIGGERS[kind]
        narrowed = {CONF_DEVICE_ID: config[CONF_DEVICE_ID]}
        if kind == "reply_received" and config[CONF_VERIFIED_ONLY]:
            narrowed["verified"] = True
    else:
        event_type, variants = ACCOUNT_TRIGGERS[kind], [{}]
        narrowed = {"entry_id": identifier.split("_", 1)[0]}
    detach = [
        await event_trigger.async_attach_trigger(
            hass,
            event_trigger.TRIGGER_SCHEMA(
                {
                    CONF_PLATFORM: "event",
                    event_trigger.CONF_EVENT_TYPE: event_type,
                    CONF_EVENT_DATA: {**narrowed, **variant},
                }
            ),
            action,
            trigger_info,
            platform_type="device",
        )
        for variant in variants
    ]

    def detach_all() -> None:
        for remove in detach:
            remove()

    return detach_all


def _with_text_checks(action: TriggerActionType, config: ConfigType) -> TriggerActionType:
    """``action``, run only for a reply whose text passes the trigger's text options."""
    checks = text_checks(config.get(CONF_TEXT_EQUALS), config.get(CONF_TEXT_CONTAINS))
    if not checks:
        return action

    async def async_checked(run_variables: dict[str, Any], context: Context | None = None) -> None:
        data = run_variables["trigger"]["event"].data
        if all(check(data) for check in checks) and isawaitable(
            run := action(run_variables, context)
        ):
            await run

    return async_checked


def _by_recipient_of(
    hass: HomeAssistant, action: TriggerActionType, device_id: str
) -> TriggerActionType:
    """``action``, run only for an alert event whose recipient entity is on that device."""
    entities = er.async_get(hass)

    async def async_checked(run_variables: dict[str, Any], context: Context | None = None) -> None:
        recipient = run_variables["trigger"]["event"].data.get("recipient")
        entity = entities.async_get(recipient) if isinstance(recipient, str) else None
        if (
            entity is not None
            and entity.device_id == device_id
            and isawaitable(run := action(run_variables, context))
        ):
            await run

    return async_checked
