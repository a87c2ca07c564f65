"""Devices of a Texto account: the account itself, and one per recipient."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .account import TextoConfigEntry
from .const import DOMAIN
from .gateway.models import Provider

PROVIDER_NAMES: dict[Provider, str] = {
    Provider.ALLMYSMS: "AllMySMS",
    Provider.MAIL2SMS: "AllMySMS",
    Provider.SMSMODE: "smsmode",
    Provider.SMS123: "123-SMS",
}

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
    """A recipient's device, removed with its subentry."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        name=subentry.title,
        manufacturer=PROVIDER_NAMES[entry.runtime_data.gateway.provider],
        entry_type=DeviceEntryType.SERVICE,
        via_device=(DOMAIN, entry.entry_id),
    )


class TextoAccountEntity(Entity):
    """An entity of the account's device."""

    _attr_has_entity_name = True

    def __init__(self, entry: TextoConfigEntry, key: str) -> None:
        self.account = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = account_device(entry)
