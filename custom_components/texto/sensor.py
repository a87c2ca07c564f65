"""Sensors of a Texto account: balance, last send status, parts sent, the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .account import TextoConfigEntry, delivery_counts
from .const import FALLBACK_MAIL2SMS, SendState
from .coordinator import BalanceCoordinator
from .entity import TextoAccountEntity
from .gateway.models import Balance, Provider

# Read-only platform: nothing here talks to the gateway (the coordinator does).
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class BalanceSensorDescription(SensorEntityDescription):
    """A sensor computed from the account's balance."""

    value_fn: Callable[[Balance], float | None]
    providers: frozenset[Provider]


BALANCE_SENSORS: tuple[BalanceSensorDescription, ...] = (
    BalanceSensorDescription(
        key="credit",
        translation_key="credit",
        state_class=SensorStateClass.MEASUREMENT,
        # 14985 credits, not 14985.0; a fraction (smsmode's 212.5) shows as it is
        value_fn=lambda balance: _whole(balance.amount),
        providers=frozenset({Provider.ALLMYSMS, Provider.SMSMODE}),
    ),
    BalanceSensorDescription(
        key="remaining_sms",
        translation_key="remaining_sms",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda balance: _whole(
            balance.sms_estimate if balance.sms_estimate is not None else balance.amount
        ),
        providers=frozenset({Provider.ALLMYSMS, Provider.SMS123}),
    ),
)


def _whole(amount: float) -> float | int:
    """A whole number without its decimal point."""
    return int(amount) if amount.is_integer() else amount


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    account = entry.runtime_data
    provider = account.gateway.provider
    entities: list[SensorEntity] = [
        BalanceSensor(entry, account.coordinator, description)
        for description in BALANCE_SENSORS
        if provider in description.providers
    ]
    entities += [LastStatusSensor(entry), SentPartsSensor(entry), OutboxSensor(entry)]
    async_add_entities(entities)


class BalanceSensor(CoordinatorEntity[BalanceCoordinator], TextoAccountEntity, SensorEntity):
    """The balance, as credits or as SMS."""

    entity_description: BalanceSensorDescription

    def __init__(
        self,
        entry: TextoConfigEntry,
        coordinator: BalanceCoordinator,
        description: BalanceSensorDescription,
    ) -> None:
        CoordinatorEntity.__init__(self, coordinator)
        TextoAccountEntity.__init__(self, entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | None:
        """The balance in this sensor's unit."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Whether the account is post-paid (no low-credit warning then)."""
        return {"postpaid": self.coordinator.data.postpaid}


class _AccountListenerSensor(TextoAccountEntity, SensorEntity):
    """A sensor updated when the account sends.

    One send notifies the listeners several times (submitted, sending, done); each sensor
    writes its state only when what it shows changed — state writes are the send path's
    largest cost after the request itself.
    """

    _attr_should_poll = False
    _shown: tuple[object, object] | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the account's sends."""
        await super().async_added_to_hass()
        self.async_on_remove(self.account.async_add_listener(self._handle_send))

    @callback
    def _handle_send(self) -> None:
        shown = (self.native_value, self.extra_state_attributes)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class LastStatusSensor(_AccountListenerSensor):
    """What the last message sent through the account became."""

    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "last_status")
        self._attr_options = [str(state) for state in SendState]

    @property
    def native_value(self) -> str | None:
        """The last send's state, None before the first send."""
        last = self.account.last_send
        return None if last is None else str(last.state)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which message, its recipients and parts, the error if it failed, its route.

        Also how many recipients the delivery reports say were delivered, failed, expired
        or are still pending.
        """
        last = self.account.last_send
        if last is None:
            return {}
        # counts only for a send the gateway accepted (None while sending or after a refusal)
        counts: dict[str, int | None] = dict.fromkeys(("delivered", "failed", "expired", "pending"))
        if last.accepted:
            counts.update(delivery_counts(last))
        attributes: dict[str, Any] = {
            "message_id": last.message_id,
            "recipients": last.recipients,
            "parts": last.parts,
            "billed_parts": last.billed_parts,
            "updated_at": last.at.isoformat(),
            # what carried it: this entry's id, "mail2sms", or the fallback entry's id
            "route": last.route,
            "route_name": self._route_name(last.route),
            "outbox_id": last.outbox_id,
            **counts,
        }
        # only when there is one: Home Assistant shows a missing value as "Error: Unknown"
        if last.error is not None:
            attributes["error"] = last.error
        return attributes

    def _route_name(self, route: str | None) -> str | None:
        """The title of the account whose route carried the send (Mail2SMS named as such)."""
        entry = self.account.entry
        if route is None:
            return None
        if route == FALLBACK_MAIL2SMS:
            return f"{entry.title} (Mail2SMS)"
        if route == entry.entry_id:
            return entry.title
        other = self.hass.config_entries.async_get_entry(route)
        return other.title if other is not None else route


class SentPartsSensor(_AccountListenerSensor, RestoreSensor):
    """Billed parts sent through Texto: a total that only grows (restored at start-up)."""

    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "sent_parts")

    async def async_added_to_hass(self) -> None:
        """Continue the count from before the restart."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self.account.sent_parts += int(last.native_value)

    @property
    def native_value(self) -> int:
        """The parts billed so far."""
        return self.account.sent_parts


class OutboxSensor(_AccountListenerSensor):
    """Messages waiting in the outbox (queued or being sent), and how long the oldest has.

    Polled too: the oldest message's age grows while nothing else changes.
    """

    _attr_should_poll = True
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "outbox")

    @property
    def native_value(self) -> int:
        """Messages not final yet."""
        return self.account.outbox.waiting

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The oldest waiting message's age in seconds, and the messages by state.

        Final states count the recent messages the outbox still remembers.
        """
        age = self.account.outbox.oldest_age()
        return {
            "oldest_age": None if age is None else round(age),
            **self.account.outbox.counts(),
        }
