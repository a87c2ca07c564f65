"""Sensors of a Texto account: balance, last send, parts sent, outbox, modem, open alerts.

Each sensor is a description: what it shows (``value_fn``), its attributes (``attrs_fn``,
every key always present), and whether the account's gateway has it (``exists_fn``, from
the gateway's capabilities). A modem account also has the modem's signal, network and SIM,
and the SIM's balance when the user gave the USSD code that tells it. Every account has
the open alerts whose ladder has one of its recipients.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import SIGNAL_STRENGTH_DECIBELS_MILLIWATT, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .account import TextoAccount
from .alerts import AlertView, async_get_alerts
from .carriers import account_name
from .const import SendState
from .coordinator import BalanceCoordinator
from .entity import TextoAccountEntity
from .entry import TextoConfigEntry
from .gateway.models import Balance, BalanceUnit, Capabilities
from .gateway.modem import ModemStatus
from .last_status import delivery_counts
from .modem_balance import UssdBalance, UssdBalanceCoordinator
from .modem_status import ModemStatusCoordinator
from .signals import SIGNAL_ALERTS_CHANGED, SIGNAL_SENDS_CHANGED

# Read-only platform: nothing here talks to the gateway (the coordinator does).
PARALLEL_UPDATES = 0


def _always(capabilities: Capabilities) -> bool:
    return True


def _no_attributes(account: TextoAccount) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class TextoSensorDescription(SensorEntityDescription):
    """A sensor of the account."""

    value_fn: Callable[[TextoAccount], StateType]
    attrs_fn: Callable[[TextoAccount], Mapping[str, Any]] = _no_attributes
    exists_fn: Callable[[Capabilities], bool] = _always
    #: also polled: what it shows changes with time alone
    polled: bool = False


def _whole(amount: float) -> float | int:
    """A whole number without its decimal point (14985 credits, not 14985.0)."""
    return int(amount) if amount.is_integer() else amount


def _balance(account: TextoAccount) -> Balance:
    assert account.coordinator is not None  # the balance sensors exist only then
    return account.coordinator.data


def _remaining_sms(account: TextoAccount) -> float | int:
    balance = _balance(account)
    return _whole(balance.sms_estimate if balance.sms_estimate is not None else balance.amount)


BALANCE_SENSORS: tuple[TextoSensorDescription, ...] = (
    TextoSensorDescription(
        key="credit",
        translation_key="credit",
        state_class=SensorStateClass.MEASUREMENT,
        # a fraction (smsmode's 212.5) shows as it is
        value_fn=lambda account: _whole(_balance(account).amount),
        attrs_fn=lambda account: {"postpaid": _balance(account).postpaid},
        exists_fn=lambda capabilities: capabilities.balance_unit is BalanceUnit.CREDITS,
    ),
    TextoSensorDescription(
        key="remaining_sms",
        translation_key="remaining_sms",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_remaining_sms,
        attrs_fn=lambda account: {"postpaid": _balance(account).postpaid},
        exists_fn=lambda capabilities: (
            capabilities.balance_unit is BalanceUnit.SMS or capabilities.balance_sms_estimate
        ),
    ),
)


def _last_status(account: TextoAccount) -> str | None:
    last = account.last_send
    return None if last is None else str(last.state)


def _last_status_attributes(account: TextoAccount) -> dict[str, Any]:
    """Which message, its recipients and parts, its route, the error if it failed.

    Also how many recipients the delivery reports say were delivered, failed, expired or
    are still pending: None while nothing was accepted (before the first send, while
    sending, after a refusal).
    """
    last = account.last_send
    counts: dict[str, int | None] = dict.fromkeys(("delivered", "failed", "expired", "pending"))
    if last is not None and last.accepted:
        counts.update(delivery_counts(last))
    attributes: dict[str, Any] = {
        "message_id": None if last is None else last.message_id,
        "recipients": None if last is None else last.recipients,
        "parts": None if last is None else last.parts,
        "billed_parts": None if last is None else last.billed_parts,
        "updated_at": None if last is None else last.at.isoformat(),
        # what carried it: the kind of route, and the account (this one, or its fallback)
        "route": None if last is None else last.route,
        "account": None if last is None else last.account,
        "account_name": None if last is None else account_name(account.hass, last.account),
        "outbox_id": None if last is None else last.outbox_id,
        **counts,
    }
    # only when there is one: the frontend shows a missing error as "Error: Unknown"
    if last is not None and last.error is not None:
        attributes["error"] = last.error
    return attributes


def _outbox_attributes(account: TextoAccount) -> dict[str, Any]:
    """The oldest waiting message's age in seconds, and the messages by state.

    Final states count the recent messages the outbox still remembers.
    """
    age = account.outbox.oldest_age()
    return {"oldest_age": None if age is None else round(age), **account.outbox.counts()}


SEND_SENSORS: tuple[TextoSensorDescription, ...] = (
    TextoSensorDescription(
        key="last_status",
        translation_key="last_status",
        device_class=SensorDeviceClass.ENUM,
        options=[str(state) for state in SendState],
        value_fn=_last_status,
        attrs_fn=_last_status_attributes,
    ),
    TextoSensorDescription(
        key="outbox",
        translation_key="outbox",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda account: account.outbox.waiting,
        attrs_fn=_outbox_attributes,
        # the oldest message's age grows while nothing else changes
        polled=True,
    ),
)

SENT_PARTS = TextoSensorDescription(
    key="sent_parts",
    translation_key="sent_parts",
    state_class=SensorStateClass.TOTAL_INCREASING,
    value_fn=lambda account: account.sent_parts,
)


def _modem_status(account: TextoAccount) -> ModemStatus:
    assert account.modem is not None  # the modem's sensors exist only then
    return account.modem.data


#: what the modem tells of itself (``ModemStatus``), as its library words them
REGISTRATIONS = ["home", "roaming", "searching", "denied", "not_registered", "unknown"]
SIM_STATES = ["ready", "pin_required", "puk_required", "not_inserted", "busy", "unknown"]

MODEM_SENSORS: tuple[TextoSensorDescription, ...] = (
    TextoSensorDescription(
        key="signal_strength",
        translation_key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda account: _modem_status(account).signal_dbm,
    ),
    TextoSensorDescription(
        key="network",
        translation_key="network",
        device_class=SensorDeviceClass.ENUM,
        options=REGISTRATIONS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda account: _modem_status(account).registration,
        attrs_fn=lambda account: {"operator": _modem_status(account).operator},
    ),
    TextoSensorDescription(
        key="sim_state",
        translation_key="sim_state",
        device_class=SensorDeviceClass.ENUM,
        options=SIM_STATES,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda account: _modem_status(account).sim_state,
    ),
)


def _ussd_balance(account: TextoAccount) -> UssdBalance | None:
    assert account.ussd_balance is not None  # the sensor exists only then
    return account.ussd_balance.data


def _ussd_amount(account: TextoAccount) -> float | None:
    read = _ussd_balance(account)
    return None if read is None else read.amount


def _ussd_reply(account: TextoAccount) -> Mapping[str, Any]:
    read = _ussd_balance(account)
    return {"ussd_reply": None if read is None else read.reply}


USSD_BALANCE = TextoSensorDescription(
    key="balance",
    translation_key="ussd_balance",
    state_class=SensorStateClass.MEASUREMENT,
    # the amount the operator's text tells; the text itself, for what the amount is
    value_fn=_ussd_amount,
    attrs_fn=_ussd_reply,
)


#: the most alerts the ``alerts`` attribute lists (the state counts them all)
ALERTS_LISTED: Final = 20
#: the most notify entities one listed alert names (the last ones texted)
TEXTED_LISTED: Final = 10
#: the attribute's size in JSON, at most: well under the recorder's 16 KiB for a state
ALERTS_MAX_BYTES: Final = 8 * 1024
#: a tag is the user's; a long one is shown cut
TAG_LISTED_LENGTH: Final = 64


def _listed(alert: AlertView) -> dict[str, Any]:
    """One open alert as the attribute lists it."""
    return {
        "alert_id": alert.alert_id,
        "tag": None if alert.tag is None else alert.tag[:TAG_LISTED_LENGTH],
        "step": alert.step,
        "round": alert.round,
        "next_step_at": (
            None if alert.next_step_at is None else alert.next_step_at.isoformat("T", "seconds")
        ),
        "texted": list(alert.texted[-TEXTED_LISTED:]),
    }


def _open_alerts(account: TextoAccount) -> list[AlertView]:
    return async_get_alerts(account.hass).open_alerts_for(account.entry.entry_id)


def open_alerts_attributes(alerts: list[AlertView]) -> dict[str, Any]:
    """The newest open alerts, as many as fit the attribute's bounds."""
    listed = [_listed(alert) for alert in alerts[:ALERTS_LISTED]]
    while listed and len(json.dumps(listed)) > ALERTS_MAX_BYTES:
        listed.pop()
    return {"alerts": listed}


OPEN_ALERTS = TextoSensorDescription(
    key="open_alerts",
    translation_key="open_alerts",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda account: len(_open_alerts(account)),
    attrs_fn=lambda account: open_alerts_attributes(_open_alerts(account)),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the account's gateway has."""
    account = entry.runtime_data
    capabilities = account.gateway.capabilities
    entities: list[SensorEntity] = [
        BalanceSensor(entry, description)
        for description in BALANCE_SENSORS
        if description.exists_fn(capabilities)
    ]
    entities += [
        SendsSensor(entry, description)
        for description in SEND_SENSORS
        if description.exists_fn(capabilities)
    ]
    entities.append(SentPartsSensor(entry, SENT_PARTS))
    entities.append(OpenAlertsSensor(entry, OPEN_ALERTS))
    if account.modem is not None:
        entities += [ModemSensor(entry, description) for description in MODEM_SENSORS]
    if account.ussd_balance is not None:
        entities.append(UssdBalanceSensor(entry, USSD_BALANCE))
    async_add_entities(entities)


class TextoSensor(TextoAccountEntity, SensorEntity):
    """A sensor that shows what its description says."""

    entity_description: TextoSensorDescription

    def __init__(self, entry: TextoConfigEntry, description: TextoSensorDescription) -> None:
        super().__init__(entry, description)
        self._attr_should_poll = description.polled

    @property
    def native_value(self) -> StateType:
        """What the description reads from the account."""
        return self.entity_description.value_fn(self.account)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The attributes the description reads from the account."""
        return self.entity_description.attrs_fn(self.account)


class BalanceSensor(CoordinatorEntity[BalanceCoordinator], TextoSensor):
    """The balance, as credits or as SMS (unavailable while the gateway cannot be reached)."""

    def __init__(self, entry: TextoConfigEntry, description: TextoSensorDescription) -> None:
        coordinator = entry.runtime_data.coordinator
        assert coordinator is not None  # balance sensors exist only where there is a balance
        CoordinatorEntity.__init__(self, coordinator)
        TextoSensor.__init__(self, entry, description)


class ModemSensor(CoordinatorEntity[ModemStatusCoordinator], TextoSensor):
    """What the modem says of itself (unavailable while it cannot be read)."""

    def __init__(self, entry: TextoConfigEntry, description: TextoSensorDescription) -> None:
        modem = entry.runtime_data.modem
        assert modem is not None
        CoordinatorEntity.__init__(self, modem)
        TextoSensor.__init__(self, entry, description)


class UssdBalanceSensor(CoordinatorEntity[UssdBalanceCoordinator], TextoSensor):
    """The SIM's balance by USSD: unavailable when the last read failed.

    Updating the entity (``homeassistant.update_entity``) asks the operator now.
    """

    def __init__(self, entry: TextoConfigEntry, description: TextoSensorDescription) -> None:
        balance = entry.runtime_data.ussd_balance
        assert balance is not None
        CoordinatorEntity.__init__(self, balance)
        TextoSensor.__init__(self, entry, description)

    @property
    def available(self) -> bool:
        """Whether the last read gave an answer."""
        return super().available and self.coordinator.data is not None


class _ChangedSensor(TextoSensor):
    """A sensor told when what it shows may have changed, written only when it did."""

    _shown: tuple[object, object] | None = None

    @callback
    def _async_changed(self) -> None:
        shown = (self.native_value, self.extra_state_attributes)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class SendsSensor(_ChangedSensor):
    """A sensor updated when the account's sends change.

    The account says so once per event-loop turn; the state is written only when what the
    sensor shows changed: state writes are the send path's largest cost after the request.
    """

    async def async_added_to_hass(self) -> None:
        """Follow the account's sends."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_SENDS_CHANGED.format(self.entry.entry_id), self._async_changed
            )
        )


class SentPartsSensor(SendsSensor, RestoreSensor):
    """Billed parts sent through Texto: a total that only grows (restored at start-up)."""

    async def async_added_to_hass(self) -> None:
        """Continue the count from before the restart."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self.account.sent_parts += int(last.native_value)


class OpenAlertsSensor(_ChangedSensor):
    """The open alerts whose ladder has a recipient of this account: how many, and which.

    Updated when an alert is raised, escalates or ends (any account's: the signal is the
    installation's); written only when what this account's sensor shows changed.
    """

    async def async_added_to_hass(self) -> None:
        """Follow the alerts."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_ALERTS_CHANGED, self._async_changed)
        )
