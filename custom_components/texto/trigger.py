"""Texto's triggers in the automation editor: replies, reports, failures, alerts, Assist.

Each one follows a bus event (``texto_sms_received``, ``texto_delivery_report``,
``texto_send_failed``, ``texto_alert``, ``texto_assist``) and narrows it by its options; the
automation gets the event as ``trigger.event`` (``trigger.event.data.text``), as with Home
Assistant's event trigger. The options name an account (a config entry) and a recipient (its
notify entity); a recipient is matched by its device, which the events carry as
``device_id``. An alert's trigger is narrowed by what happened (``type``) and the alert's
``tag``; an Assist exchange's by its account and recipient, which its event names directly,
and whether it was answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

import voluptuous as vol
from homeassistant.const import CONF_OPTIONS
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.trigger import Trigger, TriggerActionRunner, TriggerConfig
from homeassistant.helpers.typing import ConfigType

from .const import (
    ALERT_EVENT_TYPES,
    EVENT_ALERT,
    EVENT_ASSIST,
    EVENT_DELIVERY_REPORT,
    EVENT_SEND_FAILED,
    EVENT_SMS_RECEIVED,
    SendState,
)
from .gateway.models import DeliveryStatus
from .outbox import LOST_STATES

CONF_ACCOUNT: Final = "account"
CONF_RECIPIENT: Final = "recipient"
CONF_TEXT_EQUALS: Final = "text_equals"
CONF_TEXT_CONTAINS: Final = "text_contains"
CONF_VERIFIED_ONLY: Final = "verified_only"
CONF_STATUSES: Final = "statuses"
CONF_FINAL_STATUSES: Final = "final_statuses"
CONF_TYPE: Final = "type"
CONF_TAG: Final = "tag"
CONF_ANSWERED_ONLY: Final = "answered_only"

REPORT_STATUSES: Final = [str(status) for status in DeliveryStatus]
FINAL_STATUSES: Final = [str(state) for state in SendState if state in LOST_STATES]

_ACCOUNT_AND_RECIPIENT: dict[vol.Marker, Any] = {
    vol.Optional(CONF_ACCOUNT): cv.string,
    vol.Optional(CONF_RECIPIENT): cv.entity_id,
}


def _same_text(text: str) -> str:
    """Texts compared as a person reads them: case and surrounding spaces aside."""
    return text.strip().casefold()


def text_checks(
    equals: str | None, contains: str | None
) -> list[Callable[[Mapping[str, Any]], bool]]:
    """The checks of a reply's ``text_equals`` and ``text_contains`` (here and on a device)."""
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    if equals is not None:
        wanted = _same_text(equals)
        checks.append(lambda data: _same_text(str(data.get("text", ""))) == wanted)
    if contains is not None:
        part = _same_text(contains)
        checks.append(lambda data: part in _same_text(str(data.get("text", ""))))
    return checks


class _TextoEventTrigger(Trigger):
    """A Texto bus event, narrowed by the trigger's options."""

    event_type: ClassVar[str]
    options_schema: ClassVar[vol.Schema]

    @classmethod
    async def async_validate_config(cls, hass: HomeAssistant, config: ConfigType) -> ConfigType:
        """Every option is optional: no options follows every event of the kind."""
        schema = vol.Schema({vol.Required(CONF_OPTIONS, default={}): cls.options_schema})
        validated: ConfigType = schema(config)
        return validated

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        super().__init__(hass, config)
        self._options: dict[str, Any] = dict(config.options or {})

    async def async_attach_runner(self, run_action: TriggerActionRunner) -> CALLBACK_TYPE:
        """Run the action for each event the options let through."""
        matches = self._matcher()

        @callback
        def handle(event: Event) -> None:
            if matches(event.data):
                run_action({"event": event}, f"{self.event_type} event", event.context)

        return self._hass.bus.async_listen(self.event_type, handle)

    def _matcher(self) -> Callable[[Mapping[str, Any]], bool]:
        """What an event's data must say, from the options (read once, at attach time)."""
        account = self._options.get(CONF_ACCOUNT)
        device_id = self._recipient_device()
        checks = self._checks()

        def matches(data: Mapping[str, Any]) -> bool:
            if account is not None and data.get("entry_id") != account:
                return False
            if device_id is not None and data.get("device_id") != device_id:
                return False
            return all(check(data) for check in checks)

        return matches

    def _recipient_device(self) -> str | None:
        """The device of the recipient entity the options name (a device that cannot be)."""
        entity_id = self._options.get(CONF_RECIPIENT)
        if entity_id is None:
            return None
        entity = er.async_get(self._hass).async_get(entity_id)
        # an entity without a device matches nothing rather than everything
        return (entity.device_id if entity is not None else None) or f"no device for {entity_id}"

    def _checks(self) -> list[Callable[[Mapping[str, Any]], bool]]:
        """The checks of this trigger's own options."""
        return []


class SmsReceivedTrigger(_TextoEventTrigger):
    """A reply arrived: from an account, a recipient, with a text; verified only by default."""

    event_type = EVENT_SMS_RECEIVED
    options_schema = vol.Schema(
        {
            **_ACCOUNT_AND_RECIPIENT,
            vol.Optional(CONF_TEXT_EQUALS): cv.string,
            vol.Optional(CONF_TEXT_CONTAINS): cv.string,
            vol.Optional(CONF_VERIFIED_ONLY, default=True): cv.boolean,
        }
    )

    def _checks(self) -> list[Callable[[Mapping[str, Any]], bool]]:
        checks: list[Callable[[Mapping[str, Any]], bool]] = []
        if self._options[CONF_VERIFIED_ONLY]:
            checks.append(lambda data: data.get("verified") is True)
        return checks + text_checks(
            self._options.get(CONF_TEXT_EQUALS), self._options.get(CONF_TEXT_CONTAINS)
        )


class DeliveryReportTrigger(_TextoEventTrigger):
    """A delivery report arrived: for an account, a recipient, with one of some statuses."""

    event_type = EVENT_DELIVERY_REPORT
    options_schema = vol.Schema(
        {
            **_ACCOUNT_AND_RECIPIENT,
            vol.Optional(CONF_STATUSES, default=REPORT_STATUSES): vol.All(
                cv.ensure_list, [vol.In(REPORT_STATUSES)]
            ),
        }
    )

    def _checks(self) -> list[Callable[[Mapping[str, Any]], bool]]:
        statuses = set(self._options[CONF_STATUSES])
        return [lambda data: data.get("status") in statuses]


class SendFailedTrigger(_TextoEventTrigger):
    """A send of an account ended failed, expired or unconfirmed (some of them)."""

    event_type = EVENT_SEND_FAILED
    options_schema = vol.Schema(
        {
            vol.Optional(CONF_ACCOUNT): cv.string,
            vol.Optional(CONF_FINAL_STATUSES, default=FINAL_STATUSES): vol.All(
                cv.ensure_list, [vol.In(FINAL_STATUSES)]
            ),
        }
    )

    def _checks(self) -> list[Callable[[Mapping[str, Any]], bool]]:
        statuses = set(self._options[CONF_FINAL_STATUSES])
        return [lambda data: data.get("final_status") in statuses]


class AlertTrigger(_TextoEventTrigger):
    """An alert was raised, escalated, acknowledged, cancelled or ended unanswered.

    Narrowed by what happened (some types) and by the alert's tag (exactly).
    """

    event_type = EVENT_ALERT
    options_schema = vol.Schema(
        {
            vol.Optional(CONF_TYPE, default=list(ALERT_EVENT_TYPES)): vol.All(
                cv.ensure_list, [vol.In(ALERT_EVENT_TYPES)]
            ),
            vol.Optional(CONF_TAG): cv.string,
        }
    )

    def _checks(self) -> list[Callable[[Mapping[str, Any]], bool]]:
        types = set(self._options[CONF_TYPE])
        checks: list[Callable[[Mapping[str, Any]], bool]] = [lambda data: data.get("type") in types]
        if (tag := self._options.get(CONF_TAG)) is not None:
            checks.append(lambda data: data.get("tag") == tag)
        return checks


class AssistTrigger(_TextoEventTrigger):
    """Someone texted Assist: from an account, a recipient; answered ones only if asked.

    ``texto_assist`` names the account (``account``) and the recipient's notify entity
    (``recipient``) itself: no device to go through.
    """

    event_type = EVENT_ASSIST
    options_schema = vol.Schema(
        {
            **_ACCOUNT_AND_RECIPIENT,
            vol.Optional(CONF_ANSWERED_ONLY, default=False): cv.boolean,
        }
    )

    def _matcher(self) -> Callable[[Mapping[str, Any]], bool]:
        account = self._options.get(CONF_ACCOUNT)
        recipient = self._options.get(CONF_RECIPIENT)
        answered_only = self._options[CONF_ANSWERED_ONLY]

        def matches(data: Mapping[str, Any]) -> bool:
            if account is not None and data.get("account") != account:
                return False
            if recipient is not None and data.get("recipient") != recipient:
                return False
            return not answered_only or data.get("answered") is True

        return matches


TRIGGERS: dict[str, type[Trigger]] = {
    "sms_received": SmsReceivedTrigger,
    "delivery_report": DeliveryReportTrigger,
    "send_failed": SendFailedTrigger,
    "alert": AlertTrigger,
    "assist": AssistTrigger,
}


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
    """Texto's triggers: ``texto.sms_received``, ``delivery_report``, ``send_failed``, ``alert``.

    And ``texto.assist``.
    """
    return TRIGGERS
