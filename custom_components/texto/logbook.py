"""The logbook: an alert's story and each exchange with Assist, one line per event.

One line per ``texto_alert``: "Texto alert raised: texting Alice (step 1)", "… escalated:
texting Bob (step 2), 5 min after it was raised", "… acknowledged by Bob after 6 min 12 s".
One per ``texto_assist``: "Alice texted Assist “turn on the •••”: answered in 1 SMS part(s)",
the text as the event carries it (masked beyond its first three words). The lines are in Home
Assistant's language (translations ``common``, loaded with the integration); each names the
recipient's notify entity, so it shows in that recipient's logbook too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN, EVENT_ALERT, EVENT_ASSIST

ICON: Final = "mdi:bell-alert"
ASSIST_ICON: Final = "mdi:message-processing"
#: the reason an alert ended unanswered when the daily cap refused one of its steps
REASON_SPENDING_CAP: Final = "spending_cap"
#: the reason an alert was cancelled when another one with its tag was raised
REASON_REPLACED: Final = "replaced"


def elapsed(seconds: int) -> str:
    """A duration as a person reads it: "45 s", "5 min", "6 min 12 s", "1 h 5 min"."""
    minutes, seconds = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe Texto's alert and Assist events."""

    def text(key: str, **placeholders: object) -> str:
        path = f"component.{DOMAIN}.common.{key}"
        # English while Home Assistant loads the language it was just switched to
        for language in (hass.config.language, "en"):
            strings = async_get_cached_translations(hass, language, "common", DOMAIN)
            if path in strings:
                return strings[path].format(**placeholders)
        return key

    def name_of(entity_id: object) -> str:
        if not isinstance(entity_id, str):
            return "?"
        state = hass.states.get(entity_id)
        return state.name if state is not None else entity_id

    @callback
    def async_describe(event: Event) -> dict[str, Any]:
        data = event.data
        tag = data.get("tag")
        recipient = data.get("recipient")
        return {
            LOGBOOK_ENTRY_NAME: text("logbook_alert_tagged", tag=tag)
            if tag
            else text("logbook_alert"),
            LOGBOOK_ENTRY_MESSAGE: _message(data, text, name_of(recipient)),
            LOGBOOK_ENTRY_ENTITY_ID: recipient if isinstance(recipient, str) else None,
            LOGBOOK_ENTRY_ICON: ICON,
        }

    @callback
    def async_describe_assist(event: Event) -> dict[str, Any]:
        data = event.data
        recipient = data.get("recipient")
        said = str(data.get("text") or "")
        message = (
            text(
                "logbook_assist_answered",
                recipient=name_of(recipient),
                text=said,
                parts=int(data.get("parts") or 0),
            )
            if data.get("answered") is True
            else text("logbook_assist_unanswered", recipient=name_of(recipient), text=said)
        )
        return {
            LOGBOOK_ENTRY_NAME: text("logbook_assist"),
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ENTITY_ID: recipient if isinstance(recipient, str) else None,
            LOGBOOK_ENTRY_ICON: ASSIST_ICON,
        }

    async_describe_event(DOMAIN, EVENT_ALERT, async_describe)
    async_describe_event(DOMAIN, EVENT_ASSIST, async_describe_assist)


def _message(data: Mapping[str, Any], text: Callable[..., str], recipient: str) -> str:
    """What happened, from the event's type."""
    kind = data.get("type")
    after = elapsed(int(data.get("seconds") or 0))
    step = int(data.get("step") or 1)
    rounds = int(data.get("round") or 1)
    where = (
        text("logbook_step", step=step)
        if rounds <= 1
        else text("logbook_step_of_round", step=step, round=rounds)
    )
    if kind == "raised":
        return text("logbook_raised", recipient=recipient, where=where)
    if kind == "escalated":
        return text("logbook_escalated", recipient=recipient, where=where, elapsed=after)
    if kind == "acknowledged":
        if data.get("recipient") is None:  # by the action: a dashboard, a notification
            return text("logbook_acknowledged_by_action", elapsed=after)
        return text("logbook_acknowledged", recipient=recipient, elapsed=after)
    if kind == "cancelled" and data.get("reason") == REASON_REPLACED:
        return text("logbook_replaced", elapsed=after)
    if kind == "cancelled":
        return text("logbook_cancelled", elapsed=after)
    if kind == "unanswered" and data.get("reason") == REASON_SPENDING_CAP:
        return text("logbook_stopped_by_cap", where=where, elapsed=after)
    return text("logbook_unanswered", elapsed=after)
