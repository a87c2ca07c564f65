"""Devices of a Texto account: the account itself, and one per recipient."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_NAME
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .account import TextoConfigEntry
from .const import DOMAIN, PROVIDER_NAMES
from .gateway.models import Provider

#: Home Assistant 2026.8+ links a device to its parent by registry id (``via_device_id``); its
#: ``via_device`` (the parent's identifiers) is deprecated there and stops working in 2027.8.
#: Older versions only know ``via_device``.
_LINK_BY_DEVICE_ID = "via_device_id" in getattr(DeviceInfo, "__optional_keys__", ())

CUSTOMER_AREAS: dict[Provider, str] = {
    Provider.ALLMYSMS: "https://manager.allmysms.com",
    Provider.MAIL2SMS: "https://manager.allmysms.com",
    Provider.SMSMODE: "https://ui.smsmode.com",
    Provider.SMS123: "https://www.123-sms.net",
}


def account_device(entry: TextoConfigEntry) -> DeviceInfo:
    """The account's device (a service)."""
    provider = entry.runtime_data.gateway.provider
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=PROVIDER_NAMES[provider],
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=CUSTOMER_AREAS[provider],
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


class TextoAccountEntity(Entity):
    """An entity of the account's device."""

    _attr_has_entity_name = True

    def __init__(self, entry: TextoConfigEntry, key: str) -> None:
        self.account = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = account_device(entry)
