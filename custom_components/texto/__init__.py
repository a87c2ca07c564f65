"""Texto: send and receive SMS through French gateways (AllMySMS, smsmode, 123-SMS)."""

from __future__ import annotations

import logging

from homeassistant.components.webhook import async_generate_id as generate_webhook_id
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .account import TextoAccount, TextoConfigEntry, last_send_store
from .const import CONF_WEBHOOK_ID, DOMAIN
from .coordinator import BalanceCoordinator
from .entity import account_device
from .inbox import seen_store
from .issues import async_check_credit, async_clear_issues
from .outbox import outbox_store
from .polling import async_start_polling
from .routes import create_gateway, create_mail2sms
from .scheduled import scheduled_store
from .sent_log import sent_log_store
from .services import async_setup_services
from .spending import spending_store
from .webhook import async_remove_cloudhook, async_setup_webhook

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Texto's actions: they exist even before an account is set up."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Connect an account: its balance proves the credentials without sending anything."""
    gateway = create_gateway(async_get_clientsession(hass), entry.data)
    coordinator = BalanceCoordinator(hass, entry, gateway)
    account = TextoAccount(
        hass, entry, gateway, create_mail2sms(entry.data, entry.options), coordinator
    )
    entry.runtime_data = account
    # The first balance read proves the credentials without sending anything: a refusal
    # starts reauth. An unreachable gateway does not stop the setup: an alert sent now must
    # be queued in the outbox and go out when the gateway answers, not be refused.
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        _LOGGER.warning(
            "%s: the gateway cannot be reached; messages wait in the outbox until it answers",
            entry.title,
        )
    await account.async_load()

    @callback
    def check_credit() -> None:
        if coordinator.last_update_success:
            async_check_credit(hass, entry, coordinator.data)

    check_credit()
    entry.async_on_unload(coordinator.async_add_listener(check_credit))
    # the account's device first: recipients' devices hang from it
    dr.async_get(hass).async_get_or_create(config_entry_id=entry.entry_id, **account_device(entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_setup_webhook(hass, entry)
    # what a previous run left in the outbox goes out now (the sensors already follow it);
    # unloading stops the workers and writes what still waits
    account.outbox.async_start()
    entry.async_on_unload(account.outbox.async_stop)
    entry.async_on_unload(async_start_polling(hass, entry))
    # Options and subentries change entities and routes: reload to apply them.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Bring an entry stored by an older Texto up to date."""
    if entry.version > 1:
        return False  # a newer Texto wrote it: downgrading is not supported
    if entry.minor_version < 2:
        # 1.2: every account has a webhook id, for delivery reports and replies
        hass.config_entries.async_update_entry(
            entry,
            data={CONF_WEBHOOK_ID: generate_webhook_id(), **entry.data},
            minor_version=2,
        )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Disconnect an account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """Forget what an account stored: its scheduled sends and its repair issues."""
    await scheduled_store(hass, entry.entry_id).async_remove()
    await sent_log_store(hass, entry.entry_id).async_remove()
    await last_send_store(hass, entry.entry_id).async_remove()
    await seen_store(hass, entry.entry_id).async_remove()
    await outbox_store(hass, entry.entry_id).async_remove()
    await spending_store(hass, entry.entry_id).async_remove()
    async_clear_issues(hass, entry)
    await async_remove_cloudhook(hass, entry)
