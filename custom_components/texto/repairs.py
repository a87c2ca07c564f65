"""Fix flows of Texto's repair issues, from the issue itself.

The daily cap raised or removed; Talk to Assist turned back on for a locked-out recipient.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .assist_settings import AssistSettings, with_settings
from .const import CONF_DAILY_PARTS_CAP, DAILY_PARTS_CAP_LIMIT, DOMAIN
from .issues import ASSIST_LOCKED_OUT_ISSUE, SPENDING_CAP_ISSUE


class SpendingCapFixFlow(RepairsFlow):
    """Raise the account's daily cap, or remove it (0): its options change, it reloads.

    The issue goes away with the reload when the new cap lets more parts through today.
    """

    def __init__(self, entry_id: str) -> None:
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """The flow starts on the cap's form."""
        return await self.async_step_cap()

    async def async_step_cap(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """Show today's figures and take the new cap."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is not None:
            cap = int(user_input[CONF_DAILY_PARTS_CAP])
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, CONF_DAILY_PARTS_CAP: cap}
            )
            return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        placeholders = dict(issue.translation_placeholders or {}) if issue else {}
        placeholders["account"] = entry.title
        cap = int(entry.options.get(CONF_DAILY_PARTS_CAP) or 0)
        schema = vol.Schema(
            {
                vol.Required(CONF_DAILY_PARTS_CAP, default=cap): NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=DAILY_PARTS_CAP_LIMIT, step=1, mode=NumberSelectorMode.BOX
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="cap", data_schema=schema, description_placeholders=placeholders
        )


class AssistLockoutFixFlow(RepairsFlow):
    """Turn Talk to Assist back on for a recipient it was turned off for (failed checks).

    The settings are kept as they were (agent, trust, PIN): the owner who doubts the PIN
    changes it in the recipient's *Reconfigure* instead. The issue goes once this is done.
    """

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """The flow starts on its confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """Say what happened; turn Assist back on once confirmed."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        subentry = None if entry is None else entry.subentries.get(self._subentry_id)
        if entry is None or subentry is None:
            return self.async_abort(reason="recipient_removed")
        if user_input is not None:
            settings = AssistSettings.of(subentry.data).turned_on()
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data=with_settings(subentry.data, settings)
            )
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={"recipient": subentry.title, "account": entry.title},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable Texto issue: the daily cap's, or an Assist lock-out's."""
    if issue_id.startswith(f"{ASSIST_LOCKED_OUT_ISSUE}_"):
        return AssistLockoutFixFlow(str((data or {})["entry_id"]), str((data or {})["subentry_id"]))
    assert issue_id.startswith(f"{SPENDING_CAP_ISSUE}_")
    return SpendingCapFixFlow(str((data or {})["entry_id"]))
