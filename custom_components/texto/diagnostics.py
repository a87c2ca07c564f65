"""Diagnostics: what helps a bug report, without secrets, numbers or texts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_KEY, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .account import TextoAccount
from .assist_settings import AssistSettings
from .const import (
    CONF_ASSIST,
    CONF_CLOUDHOOK_URL,
    CONF_DEFAULT_SENDER,
    CONF_PIN,
    CONF_PROVIDER,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
    CONF_WEBHOOK_ID,
)
from .entry import TextoConfigEntry
from .gateway.models import Provider
from .modem_balance import UssdBalanceCoordinator
from .webhook import calls_back, receive_mode

TO_REDACT = {
    CONF_API_KEY,
    CONF_ACCESS_TOKEN,
    CONF_USERNAME,
    CONF_URL,
    CONF_DEFAULT_SENDER,
    CONF_SMTP_HOST,
    CONF_SMTP_USERNAME,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_SENDER,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    # the SIM's PIN (a modem account)
    CONF_PIN,
}


def _ussd_balance(balance: UssdBalanceCoordinator | None) -> dict[str, Any] | None:
    """Whether the SIM's balance was read by USSD, and its amount (None: no USSD code)."""
    if balance is None:
        return None
    read = balance.data
    return {"read": read is not None, "amount": None if read is None else read.amount}


def _assist(account: TextoAccount) -> list[dict[str, Any]]:
    """Each recipient's Talk to Assist settings and this hour's counts.

    Whether a PIN is set, never its hash; no name, number or text.
    """
    shown = []
    for subentry in account.entry.subentries.values():
        if CONF_ASSIST not in subentry.data:
            continue
        settings = AssistSettings.of(subentry.data)
        shown.append(
            {
                "enabled": settings.enabled,
                "agent_id": settings.agent_id,
                "trust": settings.trust,
                "pin_set": settings.pin_set,
                # an id, not a person's name
                "user_id": settings.user_id,
                "max_per_hour": settings.max_per_hour,
                "max_parts": settings.max_parts,
                "locked_out": settings.locked_out,
                **account.assist.counts(subentry.subentry_id),
            }
        )
    return shown


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TextoConfigEntry
) -> dict[str, Any]:
    """The entry's settings (redacted), balance or modem, capabilities, last send and outbox."""
    account = entry.runtime_data
    balance = None if account.coordinator is None else account.coordinator.data
    modem = account.modem
    last = account.last_send
    provider = Provider(entry.data[CONF_PROVIDER])
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
            "recipients": len(entry.subentries),
        },
        "provider": str(account.gateway.provider),
        "mail2sms_configured": account.mail2sms is not None,
        "capabilities": asdict(account.gateway.capabilities),
        "balance": None if balance is None else asdict(balance),
        "balance_update_success": None
        if account.coordinator is None
        else account.coordinator.last_update_success,
        # what the modem says of itself: signal, network, operator, SIM state (no number)
        "modem": None
        if modem is None
        else {
            "connected": modem.modem.connected,
            "status_update_success": modem.last_update_success,
            "status": None if modem.data is None else asdict(modem.data),
            # the amount only: the operator's text stays on the sensor
            "ussd_balance": _ussd_balance(account.ussd_balance),
        },
        "last_send": None
        if last is None
        else {
            "state": str(last.state),
            "recipients": last.recipients,
            "parts": last.parts,
            "billed_parts": last.billed_parts,
            "error": last.error,
            "route": last.route,
        },
        "sent_parts": account.sent_parts,
        "receive_mode": receive_mode(hass, entry) if calls_back(provider) else None,
        "callback_url_available": account.callback_url() is not None,
        "scheduled_sends": len(account.scheduled),
        # counts only: the items hold numbers and texts
        "outbox": {"waiting": account.outbox.waiting, "by_status": account.outbox.counts()},
        # keys of reports and replies forgotten because their room was full (a flood)
        "inbox_dropped_keys": account.inbox.dropped_keys,
        # unverified replies over the per-minute bound, counted and not fired (a flood)
        "unverified_replies_held_back": account.inbox.unverified_bound.held_back_total,
        # per recipient that has the settings (in no particular order)
        "assist": _assist(account),
    }
