"""Options flow of Texto: sending, delivery, receiving, and Mail2SMS and the route for AllMySMS.

A modem account has the sending options its SIM allows (no sender) and the delivery ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
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

from .clients import create_mail2sms, gateway_class
from .const import (
    CONF_ALLOW_INTERNAL_URL,
    CONF_DAILY_PARTS_CAP,
    CONF_DEFAULT_SENDER,
    CONF_FALLBACK,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_MAX_AGE,
    CONF_MAX_PARTS,
    CONF_MESSAGE_CLASS,
    CONF_PROVIDER,
    CONF_RECEIVE_MODE,
    CONF_ROUTE,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
    CONF_STOP_MENTION,
    CONF_TEXT_POLICY,
    CONF_UNCONFIRMED_POLICY,
    CONF_UNVERIFIED_PER_MINUTE,
    CONF_USSD_CODE,
    CONF_WEBHOOK_ID,
    DAILY_PARTS_CAP_LIMIT,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_MAX_AGE,
    DEFAULT_UNVERIFIED_PER_MINUTE,
    DOMAIN,
    FALLBACK_MAIL2SMS,
    MESSAGE_CLASS_REPLIES,
    MESSAGE_CLASS_STANDARD,
    RECEIVE_BOTH,
    RECEIVE_POLLING,
    RECEIVE_WEBHOOK,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    ROUTE_EMAIL,
    UNCONFIRMED_REPORT,
    UNCONFIRMED_RESEND,
)
from .errors import sender_error
from .flow_common import PASSWORD_SELECTOR, TEXT_SELECTOR, USERNAME_SELECTOR, select_selector
from .gateway import Gateway, SmtpSecurity
from .gateway.errors import AuthenticationError, GatewayError, InvalidSenderError
from .gateway.models import Provider, StopMention, TextPolicy
from .gateway.modem import InvalidUssdCodeError, validate_ussd_code
from .gateway.providers import PROVIDERS
from .gateway.sender import validate_sender
from .webhook import calls_back, can_poll, entry_webhook_url, receive_mode

_LOGGER = logging.getLogger(__name__)

DEFAULT_SMTP_PORT = 587
#: seconds for each step of the SMTP check (connect, STARTTLS, login): the form waits
SMTP_CHECK_TIMEOUT = 15.0
#: a plausible address: something, "@", a domain with a dot; the SMTP server has the last word
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# --- options -----------------------------------------------------------------------------

#: the options each step owns: saving a step replaces these and keeps the others
GENERAL_KEYS = (
    CONF_DEFAULT_SENDER,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_TEXT_POLICY,
    CONF_MAX_PARTS,
    CONF_STOP_MENTION,
    CONF_MESSAGE_CLASS,
    CONF_USSD_CODE,
)
SMTP_KEYS = (
    CONF_SMTP_HOST,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_USERNAME,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_SENDER,
)
RECEIVING_KEYS = (CONF_RECEIVE_MODE, CONF_ALLOW_INTERNAL_URL, CONF_UNVERIFIED_PER_MINUTE)
#: unverified replies a minute: beyond this, a flood is what the bound is for
UNVERIFIED_PER_MINUTE_LIMIT = 1000
DELIVERY_KEYS = (CONF_MAX_AGE, CONF_FALLBACK, CONF_DAILY_PARTS_CAP, CONF_UNCONFIRMED_POLICY)
#: minutes: a day at most (an alert a day late is no alert)
MAX_AGE_LIMIT = 24 * 60
DEFAULT_MAX_AGE_MINUTES = int(DEFAULT_MAX_AGE.total_seconds()) // 60
#: the form's value for "no fallback" (stored as ""): a select option needs a translatable key
FALLBACK_NONE = "none"
ROUTES = [ROUTE_API, ROUTE_EMAIL, ROUTE_API_THEN_EMAIL]

MAIL2SMS_SCHEMA = vol.Schema(
    {
        # empty: no Mail2SMS (removes it when it was set up)
        vol.Optional(CONF_SMTP_HOST): TEXT_SELECTOR,
        vol.Required(CONF_SMTP_PORT, default=DEFAULT_SMTP_PORT): vol.All(
            NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Coerce(int),
        ),
        vol.Required(CONF_SMTP_SECURITY, default=str(SmtpSecurity.STARTTLS)): select_selector(
            [str(security) for security in SmtpSecurity], CONF_SMTP_SECURITY
        ),
        vol.Optional(CONF_SMTP_USERNAME): USERNAME_SELECTOR,
        vol.Optional(CONF_SMTP_PASSWORD): PASSWORD_SELECTOR,
        vol.Optional(CONF_SMTP_SENDER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")
        ),
    }
)
ROUTE_SCHEMA = vol.Schema(
    {vol.Required(CONF_ROUTE, default=ROUTE_API): select_selector(ROUTES, CONF_ROUTE)}
)


def _general_schema(route: type[Gateway], *, ussd: bool) -> vol.Schema:
    """The sending options the route has.

    No sender (nor STOP mention) from a modem's SIM, no low-credit threshold without a balance;
    a modem's SIM may tell its balance by USSD (``ussd``).
    """
    max_parts = route.capabilities.max_parts
    fields: dict[vol.Marker, Any] = {}
    if _takes_sender(route):
        fields[vol.Optional(CONF_DEFAULT_SENDER)] = TEXT_SELECTOR
    if route.capabilities.balance:
        fields[vol.Required(CONF_LOW_CREDIT_THRESHOLD, default=DEFAULT_LOW_CREDIT_THRESHOLD)] = (
            NumberSelector(NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX))
        )
    fields[vol.Required(CONF_TEXT_POLICY, default=str(TextPolicy.AUTO))] = select_selector(
        [str(policy) for policy in TextPolicy], CONF_TEXT_POLICY
    )
    fields[vol.Required(CONF_MAX_PARTS, default=max_parts)] = vol.All(
        NumberSelector(
            NumberSelectorConfig(min=1, max=max_parts, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Coerce(int),
    )
    if _takes_sender(route):
        fields[vol.Required(CONF_STOP_MENTION, default=str(StopMention.ADD))] = select_selector(
            [str(mention) for mention in StopMention], CONF_STOP_MENTION
        )
    # the message class exists where replies must be asked for (smsmode)
    if route.capabilities.replies_on_request:
        fields[vol.Required(CONF_MESSAGE_CLASS, default=MESSAGE_CLASS_STANDARD)] = select_selector(
            [MESSAGE_CLASS_STANDARD, MESSAGE_CLASS_REPLIES], CONF_MESSAGE_CLASS
        )
    if ussd:
        fields[vol.Optional(CONF_USSD_CODE)] = TEXT_SELECTOR
    return vol.Schema(fields)


def _takes_sender(route: type[Gateway]) -> bool:
    """Whether the route sends from a name the user chooses (a modem's SIM does not)."""
    return route.sender_rule.max_length > 0


def _delivery_schema(fallbacks: list[SelectOptionDict]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_MAX_AGE, default=DEFAULT_MAX_AGE_MINUTES): vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=MAX_AGE_LIMIT,
                        step=1,
                        unit_of_measurement="min",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Coerce(int),
            ),
            # labelled options: other accounts show their titles, the rest is translated
            vol.Required(CONF_FALLBACK, default=FALLBACK_NONE): SelectSelector(
                SelectSelectorConfig(
                    options=fallbacks,
                    translation_key=CONF_FALLBACK,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(CONF_DAILY_PARTS_CAP, default=0): vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=DAILY_PARTS_CAP_LIMIT, step=1, mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Coerce(int),
            ),
            vol.Required(CONF_UNCONFIRMED_POLICY, default=UNCONFIRMED_REPORT): select_selector(
                [UNCONFIRMED_REPORT, UNCONFIRMED_RESEND], CONF_UNCONFIRMED_POLICY
            ),
        }
    )


def _receiving_schema(provider: Provider) -> vol.Schema:
    # without an API to read reports back (123-SMS), the webhook is the only way
    modes = (
        [RECEIVE_WEBHOOK, RECEIVE_POLLING, RECEIVE_BOTH]
        if can_poll(provider)
        else [RECEIVE_WEBHOOK]
    )
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_RECEIVE_MODE): select_selector(modes, CONF_RECEIVE_MODE),
        vol.Required(CONF_ALLOW_INTERNAL_URL, default=False): BooleanSelector(),
    }
    if PROVIDERS[provider].capabilities.replies:
        fields[vol.Required(CONF_UNVERIFIED_PER_MINUTE, default=DEFAULT_UNVERIFIED_PER_MINUTE)] = (
            vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=UNVERIFIED_PER_MINUTE_LIMIT, step=1, mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Coerce(int),
            )
        )
    return vol.Schema(fields)


class TextoOptionsFlow(OptionsFlow):
    """Sending options; AllMySMS entries also set up Mail2SMS and the route.

    Every form names the account (``{account}`` in its title). Where the help depends on
    the gateway (its sender rule, its balance unit, where to paste the webhook URL), the
    form's step id names the gateway (``general_<provider>``, ``receiving_<provider>``, and
    ``receiving_<provider>_no_url`` while Home Assistant has no URL a gateway can reach).
    The entry's update listener reloads it when the options change.
    """

    @property
    def _provider(self) -> Provider:
        return Provider(self.config_entry.data[CONF_PROVIDER])

    @property
    def _route(self) -> type[Gateway]:
        return gateway_class(self._provider)

    @property
    def _account(self) -> dict[str, str]:
        return {"account": self.config_entry.title}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A menu: sending, delivery, receiving, and Mail2SMS and the route for AllMySMS.

        A modem receives by itself: no receiving page.
        """
        if not calls_back(self._provider):
            menu = ["general", "delivery"]
        elif PROVIDERS[self._provider].has_mail2sms:
            menu = ["general", "mail2sms", "route", "delivery", "receiving"]
        else:
            menu = ["general", "delivery", "receiving"]
        return self.async_show_menu(
            step_id="init", menu_options=menu, description_placeholders=self._account
        )

    async def async_step_general(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Default sender, low-credit threshold, text policy, parts, STOP mention, class."""
        route = self._route
        errors: dict[str, str] = {}
        rule = route.sender_rule
        placeholders = {
            **self._account,
            "sender_min": str(rule.min_length),
            "sender_max": str(rule.max_length),
            "max_parts": str(route.capabilities.max_parts),
        }
        if user_input is not None:
            values, errors, placeholders_of_errors = _read_general(route, user_input)
            if not errors:
                return self._async_save(values, GENERAL_KEYS)
            placeholders |= placeholders_of_errors
        return self.async_show_form(
            step_id=f"general_{self._provider}",
            data_schema=self.add_suggested_values_to_schema(
                _general_schema(route, ussd=self._provider is Provider.MODEM),
                user_input or self.config_entry.options,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_general_allmysms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sending options of an AllMySMS entry."""
        return await self.async_step_general(user_input)

    async def async_step_general_smsmode(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sending options of a smsmode entry."""
        return await self.async_step_general(user_input)

    async def async_step_general_sms123(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sending options of a 123-SMS entry."""
        return await self.async_step_general(user_input)

    async def async_step_general_modem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sending options of a modem entry."""
        return await self.async_step_general(user_input)

    async def async_step_mail2sms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user's SMTP server for AllMySMS Mail2SMS, checked by logging in.

        An empty server removes Mail2SMS: the route goes back to the HTTPS API, and a
        fallback that named Mail2SMS is cleared.
        """
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            if not (user_input.get(CONF_SMTP_HOST) or "").strip():
                return self._async_remove_mail2sms()
            settings, errors = _read_smtp(user_input, options)
            if not errors:
                errors = await _async_check_mail2sms(self.config_entry.data, settings)
            if not errors:
                return self._async_save(settings, SMTP_KEYS)
        # the stored password is never sent back to the browser
        shown = {k: v for k, v in (user_input or options).items() if k != CONF_SMTP_PASSWORD}
        return self.async_show_form(
            step_id="mail2sms",
            data_schema=self.add_suggested_values_to_schema(MAIL2SMS_SCHEMA, shown),
            errors=errors,
            description_placeholders=self._account,
        )

    @callback
    def _async_remove_mail2sms(self) -> ConfigFlowResult:
        options = self.config_entry.options
        values: dict[str, Any] = {}
        if options.get(CONF_ROUTE) in (ROUTE_EMAIL, ROUTE_API_THEN_EMAIL):
            values[CONF_ROUTE] = ROUTE_API
        if options.get(CONF_FALLBACK) == FALLBACK_MAIL2SMS:
            values[CONF_FALLBACK] = ""
        return self._async_save(values, (*SMTP_KEYS, *values))

    async def async_step_route(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The HTTPS API, Mail2SMS, or the API with Mail2SMS when the API is unreachable."""
        errors: dict[str, str] = {}
        if user_input is not None:
            route = user_input[CONF_ROUTE]
            if route != ROUTE_API and not self.config_entry.options.get(CONF_SMTP_HOST):
                errors[CONF_ROUTE] = "mail2sms_not_configured"
            else:
                return self._async_save({CONF_ROUTE: route}, (CONF_ROUTE,))
        return self.async_show_form(
            step_id="route",
            data_schema=self.add_suggested_values_to_schema(
                ROUTE_SCHEMA, user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders=self._account,
        )

    async def async_step_delivery(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The outbox's maximum age, the fallback route and the daily cap on billed parts."""
        fallbacks = self._fallback_options()
        if user_input is not None:
            fallback = user_input[CONF_FALLBACK]
            values = {
                CONF_MAX_AGE: user_input[CONF_MAX_AGE],
                CONF_FALLBACK: "" if fallback == FALLBACK_NONE else fallback,
                CONF_DAILY_PARTS_CAP: user_input[CONF_DAILY_PARTS_CAP],
                CONF_UNCONFIRMED_POLICY: user_input[CONF_UNCONFIRMED_POLICY],
            }
            return self._async_save(values, DELIVERY_KEYS)
        options = self.config_entry.options
        fallback = options.get(CONF_FALLBACK) or FALLBACK_NONE
        if fallback not in {option["value"] for option in fallbacks}:
            fallback = FALLBACK_NONE  # that account was removed, or Mail2SMS was
        shown = {
            CONF_MAX_AGE: options.get(CONF_MAX_AGE, DEFAULT_MAX_AGE_MINUTES),
            CONF_FALLBACK: fallback,
            CONF_DAILY_PARTS_CAP: options.get(CONF_DAILY_PARTS_CAP, 0),
            CONF_UNCONFIRMED_POLICY: options.get(CONF_UNCONFIRMED_POLICY, UNCONFIRMED_REPORT),
        }
        return self.async_show_form(
            step_id="delivery",
            data_schema=self.add_suggested_values_to_schema(_delivery_schema(fallbacks), shown),
            description_placeholders=self._account,
        )

    def _fallback_options(self) -> list[SelectOptionDict]:
        """No fallback; Mail2SMS when this AllMySMS entry has it; every other Texto account.

        An option labelled with its own value is translated (``selector.fallback``).
        """
        entry = self.config_entry
        options = [SelectOptionDict(value=FALLBACK_NONE, label=FALLBACK_NONE)]
        provider = PROVIDERS.get(self._provider)
        if provider is not None and provider.has_mail2sms and entry.options.get(CONF_SMTP_HOST):
            options.append(SelectOptionDict(value=FALLBACK_MAIL2SMS, label=FALLBACK_MAIL2SMS))
        others = [
            other
            for other in self.hass.config_entries.async_entries(DOMAIN)
            if other.entry_id != entry.entry_id and other.disabled_by is None
        ]
        options += [
            SelectOptionDict(value=other.entry_id, label=other.title)
            for other in sorted(others, key=lambda other: other.title.casefold())
        ]
        return options

    async def async_step_receiving(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How reports and replies arrive; shows the webhook URL and where to paste it.

        The form's step id names the gateway, and whether Home Assistant has a URL the
        gateway can reach: its description tells what to do in that gateway's customer area,
        or how to give Home Assistant a URL.
        """
        if user_input is not None:
            values = {
                CONF_RECEIVE_MODE: user_input[CONF_RECEIVE_MODE],
                CONF_ALLOW_INTERNAL_URL: bool(user_input.get(CONF_ALLOW_INTERNAL_URL, False)),
            }
            if CONF_UNVERIFIED_PER_MINUTE in user_input:
                values[CONF_UNVERIFIED_PER_MINUTE] = user_input[CONF_UNVERIFIED_PER_MINUTE]
            return self._async_save(values, RECEIVING_KEYS)
        entry = self.config_entry
        url = entry_webhook_url(self.hass, entry)
        shown = {
            CONF_RECEIVE_MODE: receive_mode(self.hass, entry),
            CONF_ALLOW_INTERNAL_URL: entry.options.get(CONF_ALLOW_INTERNAL_URL, False),
            CONF_UNVERIFIED_PER_MINUTE: entry.options.get(
                CONF_UNVERIFIED_PER_MINUTE, DEFAULT_UNVERIFIED_PER_MINUTE
            ),
        }
        return self.async_show_form(
            step_id=f"receiving_{self._provider}" + ("" if url else "_no_url"),
            data_schema=self.add_suggested_values_to_schema(
                _receiving_schema(self._provider), shown
            ),
            description_placeholders={
                **self._account,
                **(
                    {"webhook_url": url}
                    if url
                    else {"webhook_path": webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])}
                ),
            },
        )

    async def async_step_receiving_allmysms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of an AllMySMS entry."""
        return await self.async_step_receiving(user_input)

    async def async_step_receiving_allmysms_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of an AllMySMS entry without a URL the gateway reaches."""
        return await self.async_step_receiving(user_input)

    async def async_step_receiving_smsmode(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of a smsmode entry."""
        return await self.async_step_receiving(user_input)

    async def async_step_receiving_smsmode_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of a smsmode entry without a URL the gateway reaches."""
        return await self.async_step_receiving(user_input)

    async def async_step_receiving_sms123(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of a 123-SMS entry."""
        return await self.async_step_receiving(user_input)

    async def async_step_receiving_sms123_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The receiving form of a 123-SMS entry without a URL the gateway reaches."""
        return await self.async_step_receiving(user_input)

    @callback
    def _async_save(self, values: Mapping[str, Any], owned: tuple[str, ...]) -> ConfigFlowResult:
        """Store ``values`` in place of the options the step owns, keep the others."""
        kept = {k: v for k, v in self.config_entry.options.items() if k not in owned}
        return self.async_create_entry(data={**kept, **values})


def _read_general(
    route: type[Gateway], user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The general options from the form, what is wrong with them, and the errors' values.

    A refused sender is named by the part of the gateway's rule it breaks.
    """
    values = {k: v for k, v in user_input.items() if k not in {CONF_DEFAULT_SENDER, CONF_USSD_CODE}}
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    # empty: no balance sensor
    if ussd_code := (user_input.get(CONF_USSD_CODE) or "").strip():
        try:
            values[CONF_USSD_CODE] = validate_ussd_code(ussd_code)
        except InvalidUssdCodeError:
            errors[CONF_USSD_CODE] = "invalid_ussd_code"
    sender = (user_input.get(CONF_DEFAULT_SENDER) or "").strip()
    if sender:
        try:
            values[CONF_DEFAULT_SENDER] = validate_sender(sender, route.sender_rule)
        except InvalidSenderError as err:
            errors[CONF_DEFAULT_SENDER], placeholders = sender_error(err)
        # smsmode's class 4 (replies) always goes out from its own number
        if user_input.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES:
            errors[CONF_MESSAGE_CLASS] = "sender_with_replies"
    return values, errors, placeholders


def _read_smtp(
    user_input: Mapping[str, Any], options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The SMTP settings from the form (the stored password kept when left empty)."""
    settings: dict[str, Any] = {
        CONF_SMTP_HOST: user_input[CONF_SMTP_HOST].strip(),
        CONF_SMTP_PORT: user_input[CONF_SMTP_PORT],
        CONF_SMTP_SECURITY: user_input[CONF_SMTP_SECURITY],
        CONF_SMTP_SENDER: (user_input.get(CONF_SMTP_SENDER) or "").strip(),
    }
    if username := (user_input.get(CONF_SMTP_USERNAME) or "").strip():
        settings[CONF_SMTP_USERNAME] = username
        password = user_input.get(CONF_SMTP_PASSWORD) or options.get(CONF_SMTP_PASSWORD)
        if password:
            settings[CONF_SMTP_PASSWORD] = password
    errors: dict[str, str] = {}
    if not _EMAIL.fullmatch(settings[CONF_SMTP_SENDER]):
        errors[CONF_SMTP_SENDER] = "invalid_email"
    return settings, errors


async def _async_check_mail2sms(
    data: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, str]:
    """Check Mail2SMS can work: a usable login, and an SMTP server that lets us in.

    Only connects (with the chosen security) and logs in: no e-mail is sent, so nothing
    is billed and no SMS goes out.
    """
    try:
        mail2sms = create_mail2sms(data, settings, timeout=SMTP_CHECK_TIMEOUT)
    except ValueError:
        # the login or API key has a character the e-mail subject cannot carry
        return {"base": "mail2sms_unusable_login"}
    assert mail2sms is not None  # an AllMySMS entry with a host always has one
    try:
        await mail2sms.check_login()
    except AuthenticationError:
        return {"base": "invalid_auth_smtp"}
    except GatewayError as err:
        _LOGGER.debug("SMTP check failed: %s", err)
        return {"base": "cannot_connect_smtp"}
    except Exception:
        _LOGGER.exception("Unexpected error while checking the SMTP server")
        return {"base": "unknown"}
    return {}
