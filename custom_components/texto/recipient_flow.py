"""Recipient subentries: a name and a phone number, one notify entity each; Talk to Assist.

On an account whose route receives texts, the form has a folded ``assist`` section: the
recipient's texts may go to a conversation agent (``assist.py``), off by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_NAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .assist_settings import (
    MAX_PARTS_RANGE,
    MAX_PER_HOUR_RANGE,
    TRUSTS,
    AssistSettings,
    InvalidPinError,
    settings_from_form,
    with_settings,
)
from .const import (
    CONF_AGENT_ID,
    CONF_ASSIST,
    CONF_ASSIST_ENABLED,
    CONF_ASSIST_PIN,
    CONF_MAX_PARTS,
    CONF_MAX_PER_HOUR,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_TRUST,
    CONF_USER_ID,
    DEFAULT_AGENT_ID,
    PROVIDER_MODEM,
    TRUST_PIN,
)
from .flow_common import (
    TEXT_SELECTOR,
    select_selector,
)
from .gateway.errors import (
    InvalidPhoneNumberError,
)
from .gateway.models import Capabilities, Provider
from .gateway.modem import ModemGateway
from .gateway.phone import normalize
from .gateway.providers import PROVIDERS
from .issues import async_clear_assist_locked_out
from .requests import replies_come_back

#: the PIN's field: never filled in by the browser (it is not the user's password)
PIN_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)

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


def _number_selector(bounds: tuple[int, int, int]) -> NumberSelector:
    low, high, _default = bounds
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
    )


def _assist_section(users: list[SelectOptionDict], *, folded: bool) -> section:
    """The ``assist`` section: off by default; the PIN is never suggested back."""
    return section(
        vol.Schema(
            {
                vol.Optional(CONF_ASSIST_ENABLED, default=False): BooleanSelector(),
                vol.Optional(CONF_AGENT_ID, default=DEFAULT_AGENT_ID): ConversationAgentSelector(),
                vol.Required(CONF_TRUST, default=TRUST_PIN): select_selector(
                    list(TRUSTS), "assist_trust"
                ),
                vol.Optional(CONF_ASSIST_PIN): PIN_SELECTOR,
                vol.Optional(CONF_USER_ID): SelectSelector(
                    SelectSelectorConfig(options=users, mode=SelectSelectorMode.DROPDOWN)
                ),
                vol.Optional(CONF_MAX_PER_HOUR, default=MAX_PER_HOUR_RANGE[2]): _number_selector(
                    MAX_PER_HOUR_RANGE
                ),
                vol.Optional(CONF_MAX_PARTS, default=MAX_PARTS_RANGE[2]): _number_selector(
                    MAX_PARTS_RANGE
                ),
            }
        ),
        {"collapsed": folded},
    )


def _capabilities(entry: ConfigEntry[Any]) -> Capabilities | None:
    """What the account's route can do (None for a provider this version does not know)."""
    provider = entry.data.get(CONF_PROVIDER)
    if provider == PROVIDER_MODEM:
        return ModemGateway.capabilities
    try:
        return PROVIDERS[Provider(str(provider))].capabilities
    except (KeyError, ValueError):
        return None


def receives_texts(entry: ConfigEntry[Any]) -> bool:
    """Whether the account's route receives texts (modem, AllMySMS, smsmode; not 123-SMS)."""
    capabilities = _capabilities(entry)
    return capabilities is not None and capabilities.replies


def _form_variant(entry: ConfigEntry[Any]) -> str:
    """What the form says of Assist on this account: its step's suffix.

    ``""`` (offered), ``"_replies_class_only"`` (smsmode, sending outside the class its
    replies come back in) or ``"_no_assist"`` (a route that receives nothing). Each variant's
    description says it in the reader's language: a note the server filled in as a
    placeholder would be in Home Assistant's language, whatever the browser's.
    """
    capabilities = _capabilities(entry)
    if capabilities is None or not capabilities.replies:
        return "_no_assist"
    if not replies_come_back(capabilities, entry.options):
        # smsmode: only its "replies allowed" class can be answered
        return "_replies_class_only"
    return ""


async def _async_user_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    """The people the exchanges may act as: active users, not Home Assistant's own."""
    users = await hass.auth.async_get_users()
    return [
        SelectOptionDict(value=user.id, label=user.name or user.id)
        for user in sorted(users, key=lambda user: (user.name or "").casefold())
        if user.is_active and not user.system_generated
    ]


def _shown(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What a form shows again of its input: everything but the PIN typed."""
    shown = dict(user_input)
    if isinstance(assist := shown.get(CONF_ASSIST), Mapping):
        shown[CONF_ASSIST] = {k: v for k, v in assist.items() if k != CONF_ASSIST_PIN}
    return shown


def _read_recipient(user_input: Mapping[str, Any]) -> dict[str, str] | None:
    """``{name, phone_number}`` with the number in E.164, or None when it is not valid."""
    try:
        number = normalize(user_input[CONF_PHONE_NUMBER])
    except InvalidPhoneNumberError:
        return None
    # a blank name would make a nameless entity: the number names it then
    return {CONF_NAME: user_input[CONF_NAME].strip() or number, CONF_PHONE_NUMBER: number}


class RecipientSubentryFlowHandler(ConfigSubentryFlow):
    """A recipient: a name and a phone number, one notify entity; Talk to Assist.

    Adding, changing or removing one does not reload the account: the notify platform
    follows the entry's subentries (see notify.py), and the inbox reads them as texts come.
    """

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recipient."""
        errors: dict[str, str] = {}
        if user_input is not None:
            recipient = _read_recipient(user_input)
            assist = self._read_assist(user_input, AssistSettings(), errors)
            if recipient is None:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            elif self._number_taken(recipient[CONF_PHONE_NUMBER]):
                return self.async_abort(reason="already_configured")
            elif not errors:
                data: dict[str, Any] = dict(recipient)
                if assist is not None:
                    data = with_settings(data, assist)
                return self.async_create_entry(
                    title=recipient_title(recipient[CONF_NAME], recipient[CONF_PHONE_NUMBER]),
                    data=data,
                    unique_id=recipient[CONF_PHONE_NUMBER],
                )
        return await self._async_show("user", _shown(user_input or {}), errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Rename a recipient, change its number, or its Talk to Assist settings."""
        subentry = self._get_reconfigure_subentry()
        stored = AssistSettings.of(subentry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            recipient = _read_recipient(user_input)
            assist = self._read_assist(user_input, stored, errors)
            if recipient is None:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            elif self._number_taken(recipient[CONF_PHONE_NUMBER], but=subentry.subentry_id):
                return self.async_abort(reason="already_configured")
            elif not errors:
                data: dict[str, Any] = dict(recipient)
                if assist is not None:
                    data = with_settings(data, assist)
                    if assist.enabled:
                        # turned on again: a lock-out is lifted
                        async_clear_assist_locked_out(self.hass, subentry.subentry_id)
                elif CONF_ASSIST in subentry.data:
                    data[CONF_ASSIST] = subentry.data[CONF_ASSIST]
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=recipient_title(recipient[CONF_NAME], recipient[CONF_PHONE_NUMBER]),
                    data=data,
                    unique_id=recipient[CONF_PHONE_NUMBER],
                )
        shown = (
            _shown(user_input)
            if user_input is not None
            else {
                CONF_NAME: subentry.data.get(CONF_NAME),
                CONF_PHONE_NUMBER: subentry.data.get(CONF_PHONE_NUMBER),
                CONF_ASSIST: stored.as_form(),
            }
        )
        return await self._async_show("reconfigure", shown, errors)

    async def async_step_user_replies_class_only(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient on smsmode outside its replies class (the form says so)."""
        return await self.async_step_user(user_input)

    async def async_step_user_no_assist(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient on a route that receives nothing (the form says so)."""
        return await self.async_step_user(user_input)

    async def async_step_reconfigure_replies_class_only(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Reconfigure a recipient on smsmode outside its replies class."""
        return await self.async_step_reconfigure(user_input)

    async def async_step_reconfigure_no_assist(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Reconfigure a recipient on a route that receives nothing."""
        return await self.async_step_reconfigure(user_input)

    def _read_assist(
        self, user_input: Mapping[str, Any], stored: AssistSettings, errors: dict[str, str]
    ) -> AssistSettings | None:
        """The Assist settings submitted (None: the form had no section); errors noted."""
        form = user_input.get(CONF_ASSIST)
        if not isinstance(form, Mapping) or not receives_texts(self._get_entry()):
            return None
        try:
            return settings_from_form(form, stored)
        except InvalidPinError:
            # keyed by the section, as core does (MQTT): the form shows it above the section
            errors[CONF_ASSIST] = "invalid_assist_pin"
            return None

    async def _async_show(
        self, step_id: str, shown: Mapping[str, Any], errors: dict[str, str]
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        fields: dict[vol.Marker, Any] = dict(RECIPIENT_SCHEMA.schema)
        if receives_texts(entry):
            users = await _async_user_options(self.hass)
            known = {option["value"] for option in users}
            assist = shown.get(CONF_ASSIST)
            if isinstance(assist, Mapping) and assist.get(CONF_USER_ID) not in known:
                # a user removed since: not offered back (the list could not take it)
                shown = {
                    **shown,
                    CONF_ASSIST: {k: v for k, v in assist.items() if k != CONF_USER_ID},
                }
            fields[vol.Optional(CONF_ASSIST)] = _assist_section(
                users, folded=CONF_ASSIST not in errors
            )
        return self.async_show_form(
            step_id=f"{step_id}{_form_variant(entry)}",
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), shown),
            errors=errors,
        )

    def _number_taken(self, number: str, *, but: str | None = None) -> bool:
        """Whether another recipient of this entry already has ``number``."""
        return any(
            subentry.unique_id == number and subentry.subentry_id != but
            for subentry in self._get_entry().subentries.values()
        )
