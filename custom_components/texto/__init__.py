"""Texto: send and receive SMS through French gateways (AllMySMS, smsmode, 123-SMS) or a modem."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.components.webhook import async_generate_id as generate_webhook_id
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_USERNAME, EVENT_HOMEASSISTANT_STARTED, Platform
from homeassistant.core import CoreState, Event, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.typing import ConfigType

from .account import TextoAccount
from .alert_sender import OutboxSender
from .alert_store import AlertStore, alerts_journal_path
from .alerts import DATA_ALERTS, AlertManager
from .clients import create_client, create_mail2sms, create_modem, is_modem
from .config_flow import default_title
from .const import (
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_RECEIVE_MODE,
    CONF_USSD_CODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    RECEIVE_BOTH,
    RECEIVE_WEBHOOK,
    SUBENTRY_TYPE_RECIPIENT,
)
from .coordinator import BalanceCoordinator
from .entity import account_device
from .entry import TextoConfigEntry
from .gateway.models import Provider
from .gateway.phases import phase_tracing
from .gateway.providers import PROVIDERS
from .issues import async_check_credit, async_clear_assist_locked_out, async_clear_issues
from .journal import JournalFiles
from .modem_balance import UssdBalanceCoordinator
from .modem_status import ModemStatusCoordinator
from .polling import async_start_polling
from .recipient_flow import recipient_title
from .services import async_setup_services
from .stores import AccountStores
from .webhook import async_remove_cloudhook, async_setup_webhook, calls_back, receive_mode

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Texto's actions (they exist even before an account is set up); load the alerts.

    The alerts are the installation's, not an account's: a ladder may cross accounts. Their
    timers start once their accounts are loaded (``async_setup_entry``) or Home Assistant
    has started, and stop with the last account or Home Assistant.
    """
    async_setup_services(hass)
    alerts = AlertManager(
        hass, AlertStore(hass, JournalFiles(alerts_journal_path(hass))), OutboxSender(hass)
    )
    await alerts.async_load()
    hass.data[DATA_ALERTS] = alerts

    async def async_started(_event: Event) -> None:
        await alerts.async_resume()

    if hass.state is not CoreState.running:
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, async_started)
    hass.async_add_shutdown_job(HassJob(alerts.async_stop))
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Connect an account: a gateway company's, or the user's own modem."""
    if is_modem(entry.data):
        account = await _async_modem_account(hass, entry)
    else:
        account = await _async_gateway_account(hass, entry)
    # the account's device first: recipients' devices hang from it
    dr.async_get(hass).async_get_or_create(config_entry_id=entry.entry_id, **account_device(entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if calls_back(Provider(entry.data[CONF_PROVIDER])):
        await async_setup_webhook(hass, entry)
    # what a previous run left in the outbox goes out now (the sensors already follow it);
    # unloading stops the workers and writes what still waits, then closes the modem's port
    # (the status coordinator stops by itself)
    account.outbox.async_start()
    entry.async_on_unload(account.async_stop)
    # the alerts texting this account's recipients go on
    alerts = hass.data[DATA_ALERTS]
    alerts.async_listen()
    if hass.state is CoreState.running:
        # once the entry is LOADED, not before: resuming looks a step left *starting* up in
        # this account's outbox and sends through it, which only a loaded account offers
        resumed = False

        @callback
        def async_resume_when_loaded() -> None:
            nonlocal resumed
            if entry.state is ConfigEntryState.LOADED and not resumed:
                resumed = True
                entry.async_create_task(
                    hass, alerts.async_resume(entry.entry_id), f"{DOMAIN} alerts resume"
                )

        entry.async_on_unload(entry.async_on_state_change(async_resume_when_loaded))
    entry.async_on_unload(async_start_polling(hass, entry))
    # Data and options change routes and entities: reload to apply them. Recipients do not:
    # the notify platform follows them (a reload would make the sensors unavailable and the
    # event entities look as if something had arrived).
    settings = _settings(entry)

    recipients = set(entry.subentries)

    async def async_reload_on_settings(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
        # a recipient removed takes its Talk to Assist lock-out issue with it
        for removed in recipients - set(entry.subentries):
            async_clear_assist_locked_out(hass, removed)
        recipients.clear()
        recipients.update(entry.subentries)
        if _settings(entry) != settings:
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(entry.add_update_listener(async_reload_on_settings))
    return True


async def _async_gateway_account(hass: HomeAssistant, entry: TextoConfigEntry) -> TextoAccount:
    """A gateway company's account: its balance proves the credentials without sending."""
    # Home Assistant's connection pool, in a session that traces how far each request got:
    # an attempt cut short by a stop is then known not sent when it never wrote its request
    session = async_create_clientsession(hass, trace_configs=[phase_tracing()])
    gateway = create_client(session, entry.data)
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
    return account


async def _async_modem_account(hass: HomeAssistant, entry: TextoConfigEntry) -> TextoAccount:
    """The user's modem: it loads even unplugged, and alerts wait in the outbox meanwhile."""
    modem = create_modem(entry.data)
    status = ModemStatusCoordinator(hass, entry, modem)
    account = TextoAccount(hass, entry, modem, None, None, modem=status)
    entry.runtime_data = account
    # the modem back (reopened, restarted): alerts waiting for their backoff go at once
    status.on_modem_back = account.async_route_back
    await account.async_load()
    # replies and reports read from the SIM: deleted there once their key is on disk
    modem.set_inbound_handler(account.inbox.async_receive_stored)
    # opens the port; one that cannot be opened yet is tried again (the entry loads anyway)
    try:
        await status.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        _LOGGER.warning(
            "%s: the modem cannot be reached; messages wait in the outbox until it answers",
            entry.title,
        )
    # the status is read (and the modem watched) even with every modem entity disabled;
    # the device shows the maker and model once the modem named them
    entry.async_on_unload(status.async_add_listener(lambda: _follow_modem_identity(hass, entry)))
    # the SIM's balance only when the user gave its USSD code
    if code := entry.options.get(CONF_USSD_CODE):
        account.ussd_balance = UssdBalanceCoordinator(hass, entry, modem, code)
        entry.async_on_unload(account.ussd_balance.async_start(status))
    return account


@callback
def _follow_modem_identity(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """The modem's maker and model on its device, once known (a modem reached after setup)."""
    status = entry.runtime_data.modem
    known = status.data if status is not None else None
    if known is None or not (known.manufacturer or known.model):
        return
    registry = dr.async_get(hass)
    device = registry.async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    if device is not None and (device.manufacturer, device.model) != (
        known.manufacturer,
        known.model,
    ):
        registry.async_update_device(device.id, manufacturer=known.manufacturer, model=known.model)


def _settings(entry: TextoConfigEntry) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a reload applies: the entry's data and options (not its title or subentries)."""
    return dict(entry.data), dict(entry.options)


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
    if entry.minor_version < 3:
        _migrate_to_1_3(hass, entry)
    if entry.minor_version < 4:
        _migrate_to_1_4(hass, entry)
    return True


def _migrate_to_1_4(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """1.4: smsmode receives by webhook *and* polling where it received by webhook alone.

    Home Assistant's security filter refuses smsmode's GET callback for a reply holding a
    line break (and a few other texts) before Texto sees it: polling recovers those. The
    old default cannot be told from a choice, so every smsmode webhook account moves.
    """
    options = dict(entry.options)
    provider = PROVIDERS[Provider(entry.data[CONF_PROVIDER])]
    if provider.poll_alongside_webhook and options.get(CONF_RECEIVE_MODE) == RECEIVE_WEBHOOK:
        options[CONF_RECEIVE_MODE] = RECEIVE_BOTH
    hass.config_entries.async_update_entry(entry, options=options, minor_version=4)


def _migrate_to_1_3(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """1.3: titles without personal data, recipients told apart, the receive mode stored.

    A title Texto made from the login ("123-SMS (jean@example.fr)") becomes the gateway's
    name, numbered when taken; a title the user set is kept. A recipient's row shows its
    name and the end of its number. The receive mode chosen by default then (webhook when
    Home Assistant had a public URL, else polling) is stored, so a URL appearing later does
    not switch it.
    """
    provider = Provider(entry.data[CONF_PROVIDER])
    title = entry.title
    if title == f"{PROVIDERS[provider].name} ({entry.data.get(CONF_USERNAME)})":
        others = hass.config_entries.async_entries(DOMAIN)
        title = default_title(provider, (other.title for other in others if other is not entry))
    options = dict(entry.options)
    options.setdefault(CONF_RECEIVE_MODE, receive_mode(hass, entry))
    for subentry in entry.subentries.values():
        name, number = subentry.data.get(CONF_NAME), subentry.data.get(CONF_PHONE_NUMBER)
        if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT and name and number:
            hass.config_entries.async_update_subentry(
                entry, subentry, title=recipient_title(name, number)
            )
    hass.config_entries.async_update_entry(entry, title=title, options=options, minor_version=3)


async def async_unload_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Disconnect an account; the alerts stop with the last one (and start with the next)."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    others = [e for e in hass.config_entries.async_loaded_entries(DOMAIN) if e is not entry]
    if unloaded and not others and DATA_ALERTS in hass.data:
        await hass.data[DATA_ALERTS].async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """Forget what an account stored, and its repair issues."""
    await AccountStores.of(hass, entry.entry_id).async_remove()
    async_clear_issues(hass, entry)
    await async_remove_cloudhook(hass, entry)
