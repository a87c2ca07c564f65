"""Repair issues the user can act on: credit, the daily cap, a modem's SIM or network, Assist.

Credit running low or exhausted, the daily cap reached; a modem's SIM that needs a person,
a modem without a network; Talk to Assist turned off for a recipient by failed checks, or
an Assist answer the daily cap refused.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_LOW_CREDIT_THRESHOLD, DOMAIN
from .gateway.models import Balance

# The issues need an entry's id, title and options only: any entry will do (the typed one
# would import the account, which raises these issues through its spending guard).

_LOW = "low_credit"
_EXHAUSTED = "credit_exhausted"
SPENDING_CAP_ISSUE = "spending_cap"
#: a modem's SIM needs a person: its PIN (none given, or refused), its PUK, or a SIM at all
MODEM_SIM_ISSUE = "modem_sim"
#: a modem without a network for minutes, even after a radio restart
MODEM_NO_NETWORK_ISSUE = "modem_no_network"
#: Talk to Assist turned off for one recipient after failed checks (one issue per recipient)
ASSIST_LOCKED_OUT_ISSUE = "assist_locked_out"
#: an Assist answer was not sent: the daily cap refused it (goes with the cap's issue)
ASSIST_CAPPED_ISSUE = "assist_capped"


def _issue_id(entry: ConfigEntry[Any], kind: str) -> str:
    return f"{kind}_{entry.entry_id}"


@callback
def async_check_credit(hass: HomeAssistant, entry: ConfigEntry[Any], balance: Balance) -> None:
    """Raise or clear the credit issues after a balance update.

    A post-paid account (smsmode's negative balance) never runs out: no issue for it.
    """
    threshold = float(entry.options.get(CONF_LOW_CREDIT_THRESHOLD) or 0)
    exhausted = not balance.postpaid and balance.amount <= 0
    low = not balance.postpaid and not exhausted and balance.amount < threshold
    for kind, active in ((_EXHAUSTED, exhausted), (_LOW, low)):
        issue_id = _issue_id(entry, kind)
        if not active:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR if kind == _EXHAUSTED else ir.IssueSeverity.WARNING,
            translation_key=kind,
            translation_placeholders={
                "account": entry.title,
                "balance": f"{balance.amount:g}",
                "unit": str(balance.unit),
                "threshold": f"{threshold:g}",
            },
        )


@callback
def async_raise_spending_cap(
    hass: HomeAssistant, entry: ConfigEntry[Any], *, cap: int, used: int
) -> None:
    """Say that a send was refused: today's billed parts reached the daily cap."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry, SPENDING_CAP_ISSUE),
        # its fix flow (repairs.py) raises or removes the cap
        is_fixable=True,
        data={"entry_id": entry.entry_id},
        severity=ir.IssueSeverity.ERROR,
        translation_key=SPENDING_CAP_ISSUE,
        translation_placeholders={"account": entry.title, "cap": str(cap), "used": str(used)},
    )


@callback
def async_clear_spending_cap(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Withdraw the daily-cap issue (a new day, or the cap raised or removed).

    The issue saying an Assist answer was capped goes with it: the same cause, lifted.
    """
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, SPENDING_CAP_ISSUE))
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, ASSIST_CAPPED_ISSUE))


@callback
def async_raise_assist_capped(hass: HomeAssistant, entry: ConfigEntry[Any], recipient: str) -> None:
    """Say an Assist answer to ``recipient`` (a name) was not sent: the daily cap refused it."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry, ASSIST_CAPPED_ISSUE),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ASSIST_CAPPED_ISSUE,
        translation_placeholders={"account": entry.title, "recipient": recipient},
    )


def assist_locked_out_issue_id(subentry_id: str) -> str:
    """The id of a recipient's lock-out issue (subentry ids are unique across entries)."""
    return f"{ASSIST_LOCKED_OUT_ISSUE}_{subentry_id}"


@callback
def async_raise_assist_locked_out(
    hass: HomeAssistant, entry: ConfigEntry[Any], subentry_id: str, recipient: str
) -> None:
    """Say Talk to Assist was turned off for ``recipient`` (a name, never its number).

    Its fix flow (repairs.py) turns it back on.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        assist_locked_out_issue_id(subentry_id),
        is_fixable=True,
        data={"entry_id": entry.entry_id, "subentry_id": subentry_id},
        severity=ir.IssueSeverity.WARNING,
        translation_key=ASSIST_LOCKED_OUT_ISSUE,
        translation_placeholders={"account": entry.title, "recipient": recipient},
    )


@callback
def async_clear_assist_locked_out(hass: HomeAssistant, subentry_id: str) -> None:
    """Withdraw a recipient's lock-out issue (Assist turned back on, or the recipient gone)."""
    ir.async_delete_issue(hass, DOMAIN, assist_locked_out_issue_id(subentry_id))


@callback
def async_set_sim_issue(hass: HomeAssistant, entry: ConfigEntry[Any], problem: str | None) -> None:
    """Say what the modem's SIM needs (``problem``: a translation key), or withdraw it (None).

    One issue per entry: its translation key names the problem (``sim_pin_required``,
    ``sim_pin_refused``, ``sim_puk_required``, ``sim_not_inserted``).
    """
    _async_set_modem_issue(hass, entry, MODEM_SIM_ISSUE, problem, {})


@callback
def async_set_no_network_issue(
    hass: HomeAssistant, entry: ConfigEntry[Any], minutes: int | None
) -> None:
    """Say the modem found no network for ``minutes`` despite a radio restart (None: withdraw)."""
    problem = None if minutes is None else MODEM_NO_NETWORK_ISSUE
    _async_set_modem_issue(hass, entry, MODEM_NO_NETWORK_ISSUE, problem, {"minutes": str(minutes)})


@callback
def _async_set_modem_issue(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    kind: str,
    translation_key: str | None,
    placeholders: dict[str, str],
) -> None:
    """Raise the modem's issue of ``kind`` with this text, or withdraw it (None)."""
    issue_id = _issue_id(entry, kind)
    if translation_key is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=translation_key,
        translation_placeholders={"account": entry.title, **placeholders},
    )


@callback
def async_clear_issues(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Remove the entry's issues (the entry is removed)."""
    for kind in (
        _EXHAUSTED,
        _LOW,
        SPENDING_CAP_ISSUE,
        ASSIST_CAPPED_ISSUE,
        MODEM_SIM_ISSUE,
        MODEM_NO_NETWORK_ISSUE,
    ):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, kind))
    for subentry_id in entry.subentries:
        async_clear_assist_locked_out(hass, subentry_id)
