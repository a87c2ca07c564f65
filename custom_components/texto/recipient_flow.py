"""Recipient subentries: a name and a phone number, one notify entity each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_NAME,
)
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_PHONE_NUMBER,
)
from .flow_common import (
    TEXT_SELECTOR,
)
from .gateway.errors import (
    InvalidPhoneNumberError,
)
from .gateway.phone import normalize

# --- recipients ----------------------------------------------------------------------------

RECIPIENT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_NAME): TEXT_SELECTOR,
        vol.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
        ),
    }
)


def recipient_title(name: str, number: str) -> str:
    """How the recipient's row reads: its name and the end of its number ("Alice · •• 56 78").

    Two recipients of the same name are told apart; the number is not shown whole.
    """
    digits = number[-4:]
    ending = f"•• {digits[:2]} {digits[2:]}"
    # a recipient left without a name is named by its number: its ending says enough
    return ending if name == number else f"{name} · {ending}"


def _read_recipient(user_input: Mapping[str, Any]) -> dict[str, str] | None:
    """``{name, phone_number}`` with the number in E.164, or None when it is not valid."""
    try:
        number = normalize(user_input[CONF_PHONE_NUMBER])
    except InvalidPhoneNumberError:
        return None
    # a blank name would make a nameless entity: the number names it then
    return {CONF_NAME: user_input[CONF_NAME].strip() or number, CONF_PHONE_NUMBER: number}


class RecipientSubentryFlowHandler(ConfigSubentryFlow):
    """A recipient: a name and a phone number, one notify entity.

    Adding, changing or removing one does not reload the account: the notify platform
    follows the entry's subentries (see notify.py).
    """

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recipient."""
        errors: dict[str, str] = {}
        if user_input is not None:
            recipient = _read_recipient(user_input)
            if recipient is None:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            elif self._number_taken(recipient[CONF_PHONE_NUMBER]):
                return self.async_abort(reason="already_configured")
            else:
                return self.async_create_entry(
                    title=recipient_title(recipient[CONF_NAME], recipient[CONF_PHONE_NUMBER]),
                    data=recipient,
                    unique_id=recipient[CONF_PHONE_NUMBER],
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(RECIPIENT_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Rename a recipient or change its number."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            recipient = _read_recipient(user_input)
            if recipient is None:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            elif self._number_taken(recipient[CONF_PHONE_NUMBER], but=subentry.subentry_id):
                return self.async_abort(reason="already_configured")
            else:
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=recipient_title(recipient[CONF_NAME], recipient[CONF_PHONE_NUMBER]),
                    data=recipient,
                    unique_id=recipient[CONF_PHONE_NUMBER],
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECIPIENT_SCHEMA, user_input or subentry.data
            ),
            errors=errors,
        )

    def _number_taken(self, number: str, *, but: str | None = None) -> bool:
        """Whether another recipient of this entry already has ``number``."""
        return any(
            subentry.unique_id == number and subentry.subentry_id != but
            for subentry in self._get_entry().subentries.values()
        )
