"""The base of every Texto entity, and the devices they belong to: the account, each recipient."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .entry import TextoConfigEntry
from .gateway.providers import PROVIDERS, route_provider

#: Home Assistant 2026.8+ links a device to its parent by registry id (``via_device_id``); its
#: ``via_device`` (the parent's identifiers) is deprecated there and stops working in 2027.8.
#: Older versions only know ``via_device``.
_LINK_BY_DEVICE_ID = "via_device_id" in getattr(DeviceInfo, "__optional_keys__", ())


def account_device(entry: TextoConfigEntry) -> DeviceInfo:
    """The account's device: a service linking to the provider's customer area, or the modem."""
    route = entry.runtime_data.gateway.route
    if route.provider not in PROVIDERS:
        # the user's own modem: a device of the house, named by its entry's title, with the
        # maker and model it named (AT+CGMI, AT+CGMM) once it was reached
        device = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)}, name=entry.title)
        status = entry.runtime_data.modem
        known = status.data if status is not None else None
        if known is not None and known.manufacturer:
            device["manufacturer"] = known.manufacturer
        if known is not None and known.model:
            device["model"] = known.model
        return device
    provider = route_provider(route)
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=provider.name,
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=provider.customer_area_url,
    )


def recipient_device(entry: TextoConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """A recipient's device, removed with its subentry, linked to the account's device.

    Named after the recipient (its notify entity is ``notify.<name>``); no manufacturer: a
    person's phone is not the gateway's.
    """
    device = DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        name=subentry.data.get(CONF_NAME) or subentry.title,
        entry_type=DeviceEntryType.SERVICE,
    )
    account = (DOMAIN, entry.entry_id)
    if not _LINK_BY_DEVICE_ID:
        device["via_device"] = account
    # the account's device is registered in async_setup_entry, before the platforms
    elif parent := dr.async_get(entry.runtime_data.hass).async_get_device(identifiers={account}):
        device["via_device_id"] = parent.id  # type: ignore[typeddict-unknown-key]  # HA < 2026.8
    return device


class TextoEntity(Entity):
    """Every Texto entity: pushed (never polled unless it says so), named by translation."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: TextoConfigEntry, key: str, device: DeviceInfo) -> None:
        self.entry = entry
        self.account = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = device


class TextoAccountEntity(TextoEntity):
    """An entity of the account's device, described by its entity description."""

    def __init__(self, entry: TextoConfigEntry, description: EntityDescription) -> None:
        super().__init__(entry, description.key, account_device(entry))
        self.entity_description = description
