"""Event entities of a Texto account: incoming SMS and delivery reports.

They show the last reply and the last report on the account's device, with the same data
as the bus events (``texto_sms_received``, ``texto_delivery_report``) but the entry and
device ids, which are the entity's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.signal_type import SignalTypeFormat

from .entity import TextoAccountEntity
from .entry import TextoConfigEntry
from .gateway.models import Capabilities, DeliveryStatus
from .signals import SIGNAL_DELIVERY_REPORT, SIGNAL_SMS_RECEIVED

# Push only: nothing here talks to the gateway.
PARALLEL_UPDATES = 0

EVENT_RECEIVED = "received"
#: keys of the event data naming the account or its device: the entity's own, not shown
_ACCOUNT_KEYS = frozenset({"entry_id", "device_id", "account", "account_name"})


@dataclass(frozen=True, kw_only=True)
class TextoEventDescription(EventEntityDescription):
    """An event entity of the account, fed by one of its signals."""

    signal: SignalTypeFormat[Any]
    #: the event type of one signal's data
    event_type_fn: Callable[[Mapping[str, Any]], str]
    exists_fn: Callable[[Capabilities], bool]


EVENTS: tuple[TextoEventDescription, ...] = (
    TextoEventDescription(
        key="delivery_report",
        translation_key="delivery_report",
        event_types=[str(status) for status in DeliveryStatus],
        signal=SIGNAL_DELIVERY_REPORT,
        # the event type is the status
        event_type_fn=lambda data: str(data["status"]),
        exists_fn=lambda capabilities: True,
    ),
    TextoEventDescription(
        key="incoming_sms",
        translation_key="incoming_sms",
        event_types=[EVENT_RECEIVED],
        signal=SIGNAL_SMS_RECEIVED,
        event_type_fn=lambda data: EVENT_RECEIVED,
        # a gateway without replies (123-SMS) would never bring one in
        exists_fn=lambda capabilities: capabilities.replies,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's event entities."""
    capabilities = entry.runtime_data.gateway.capabilities
    async_add_entities(
        TextoEventEntity(entry, description)
        for description in EVENTS
        if description.exists_fn(capabilities)
    )


class TextoEventEntity(TextoAccountEntity, EventEntity):
    """The last report or reply of the account: its data as the event's attributes."""

    entity_description: TextoEventDescription

    async def async_added_to_hass(self) -> None:
        """Follow the account's signal."""
        await super().async_added_to_hass()
        signal = self.entity_description.signal.format(self.entry.entry_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._async_handle))

    @callback
    def _async_handle(self, data: Mapping[str, Any]) -> None:
        attributes = {k: v for k, v in data.items() if k not in _ACCOUNT_KEYS}
        self._trigger_event(self.entity_description.event_type_fn(data), attributes)
        self.async_write_ha_state()
