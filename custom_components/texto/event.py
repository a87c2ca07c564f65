"""Event entities of a Texto account: incoming SMS and delivery reports.

They show the last reply and the last report on the account's device, with the same data
as the bus events (``texto_sms_received``, ``texto_delivery_report``) but the entry id.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account import TextoConfigEntry
from .entity import TextoAccountEntity
from .gateway.models import DeliveryStatus
from .inbox import DeliveryReportData, SmsReceivedData

# Push only: nothing here talks to the gateway.
PARALLEL_UPDATES = 0

EVENT_RECEIVED = "received"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's event entities (incoming SMS only where replies exist)."""
    entities: list[EventEntity] = [DeliveryReportEventEntity(entry)]
    # 123-SMS has no reply API: nothing would ever come in
    if entry.runtime_data.gateway.capabilities.replies:
        entities.append(IncomingSmsEventEntity(entry))
    async_add_entities(entities)


def _attributes(data: Mapping[str, object]) -> dict[str, object]:
    """The event's data as attributes: entry and device are the entity's own."""
    return {name: value for name, value in data.items() if name not in ("entry_id", "device_id")}


class DeliveryReportEventEntity(TextoAccountEntity, EventEntity):
    """The last delivery report of the account; its event type is the status."""

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "delivery_report")
        self._attr_event_types = [str(status) for status in DeliveryStatus]

    async def async_added_to_hass(self) -> None:
        """Follow the account's delivery reports."""
        await super().async_added_to_hass()
        self.async_on_remove(self.account.inbox.async_listen_reports(self._handle_report))

    @callback
    def _handle_report(self, report: DeliveryReportData) -> None:
        self._trigger_event(report["status"], _attributes(report))
        self.async_write_ha_state()


class IncomingSmsEventEntity(TextoAccountEntity, EventEntity):
    """The last SMS received by the account (a reply)."""

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "incoming_sms")
        self._attr_event_types = [EVENT_RECEIVED]

    async def async_added_to_hass(self) -> None:
        """Follow the account's incoming SMS."""
        await super().async_added_to_hass()
        self.async_on_remove(self.account.inbox.async_listen_replies(self._handle_reply))

    @callback
    def _handle_reply(self, reply: SmsReceivedData) -> None:
        self._trigger_event(EVENT_RECEIVED, _attributes(reply))
        self.async_write_ha_state()
