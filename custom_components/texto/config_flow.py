"""Config flow of Texto: the gateway account, its options and its recipients."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

import aiosmtplib
import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_NAME,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util.ssl import client_context
from yarl import URL

from .const import (
    CONF_ADVANCED,
    CONF_DEFAULT_SENDER,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_MAX_PARTS,
    CONF_MESSAGE_CLASS,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_ROUTE,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
    CONF_STOP_MENTION,
    CONF_TEXT_POLICY,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DOMAIN,
    MESSAGE_CLASS_REPLIES,
    MESSAGE_CLASS_STANDARD,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    ROUTE_EMAIL,
    SUBENTRY_TYPE_RECIPIENT,
)
from .gateway.allmysms import AllMySmsGateway
from .gateway.base import Gateway
from .gateway.errors import (
    AuthenticationError,
    GatewayError,
    InvalidPhoneNumberError,
    InvalidSenderError,
)
from .gateway.mail2sms import SmtpSecurity
from .gateway.models import Provider, StopMention, TextPolicy
from .gateway.phone import normalize
from .gateway.sender import validate_sender
from .gateway.sms123 import Sms123Gateway
from .gateway.smsmode import SmsmodeGateway
from .routes import create_gateway, create_mail2sms

_LOGGER = logging.getLogger(__name__)

#: the gateways a user can set up, each with its own step (and step id)
GATEWAY_CLASSES: Mapping[Provider, type[Gateway]] = {
    Provider.ALLMYSMS: AllMySmsGateway,
    Provider.SMSMODE: SmsmodeGateway,
    Provider.SMS123: Sms123Gateway,
}
#: the secret each gateway authenticates with
SECRET_KEY: Mapping[Provider, str] = {
    Provider.ALLMYSMS: CONF_API_KEY,
    Provider.SMSMODE: CONF_ACCESS_TOKEN,
    Provider.SMS123: CONF_API_KEY,
}
#: gateways that name the account (the others only know a token)
ACCOUNT_NAMES = frozenset({Provider.ALLMYSMS, Provider.SMS123})
TITLES: Mapping[Provider, str] = {
    Provider.ALLMYSMS: "AllMySMS",
    Provider.SMSMODE: "smsmode",
    Provider.SMS123: "123-SMS",
}

DEFAULT_SMTP_PORT = 587
#: seconds for the whole SMTP check (connect, STARTTLS, login)
SMTP_CHECK_TIMEOUT = 15.0
#: a plausible address: something, "@", a domain with a dot; the SMTP server has the last word
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_PASSWORD = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
_USERNAME = TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username"))
_TEXT = TextSelector()


def _select(options: list[str], translation_key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options, translation_key=translation_key, mode=SelectSelectorMode.DROPDOWN
        )
    )


# --- config entry data -------------------------------------------------------------------


def _credentials_schema(provider: Provider, *, secret_required: bool = True) -> vol.Schema:
    """The provider's fields, with the base URL in a collapsed ``advanced`` section."""
    fields: dict[vol.Marker, Any] = {}
    if provider in ACCOUNT_NAMES:
        fields[vol.Required(CONF_USERNAME)] = _USERNAME
    secret = vol.Required if secret_required else vol.Optional
    fields[secret(SECRET_KEY[provider])] = _PASSWORD
    fields[vol.Required(CONF_ADVANCED)] = section(
        vol.Schema(
            {vol.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))}
        ),
        {"collapsed": True},
    )
    return vol.Schema(fields)


def normalize_base_url(raw: str) -> str:
    """``scheme://host[:port]`` from what the user typed, or ValueError.

    Only http(s), a host and an optional port: the routes append their own paths, so a
    path, query, fragment or credentials here would be lost or leak.
    """
    url = URL(raw.strip())
    if (
        url.scheme not in ("http", "https")
        or not url.host
        or url.user is not None
        or url.password is not None
        or url.path not in ("", "/")
        or url.query_string
        or url.fragment
    ):
        raise ValueError("not a base URL")
    url.port  # noqa: B018 - raises ValueError for a port out of range
    return f"{url.scheme}://{url.raw_authority}"


def _unique_id(provider: Provider, data: Mapping[str, Any]) -> str:
    """One entry per account: its name where the gateway has one, else a token hash."""
    if provider in ACCOUNT_NAMES:
        return f"{provider}:{data[CONF_USERNAME].lower()}"
    digest = hashlib.sha256(data[SECRET_KEY[provider]].encode()).hexdigest()
    return f"{provider}:{digest[:16]}"


def _title(provider: Provider, data: Mapping[str, Any]) -> str:
    if provider in ACCOUNT_NAMES:
        return f"{TITLES[provider]} ({data[CONF_USERNAME]})"
    return TITLES[provider]


class TextoConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a gateway account."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TextoOptionsFlow:
        """The options of an entry."""
        return TextoOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Recipients are subentries."""
        return {SUBENTRY_TYPE_RECIPIENT: RecipientSubentryFlowHandler}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the gateway."""
        return self.async_show_menu(step_id="user", menu_options=[str(p) for p in GATEWAY_CLASSES])

    async def async_step_allmysms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """AllMySMS: login and API key."""
        return await self._async_step_account(Provider.ALLMYSMS, user_input)

    async def async_step_smsmode(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smsmode: access token."""
        return await self._async_step_account(Provider.SMSMODE, user_input)

    async def async_step_sms123(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """123-SMS: user and API key."""
        return await self._async_step_account(Provider.SMS123, user_input)

    async def _async_step_account(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._read_credentials(provider, user_input, {})
            if not errors:
                await self.async_set_unique_id(_unique_id(provider, data))
                self._abort_if_unique_id_configured()
                errors = await self._async_check_credentials(data)
            if not errors:
                return self.async_create_entry(title=_title(provider, data), data=data)
        return self.async_show_form(
            step_id=str(provider),
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(provider), user_input
            ),
            errors=errors,
        )

    # --- reauth ------------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The gateway refused the stored secret."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new secret only; the account stays the same."""
        entry = self._get_reauth_entry()
        provider = Provider(entry.data[CONF_PROVIDER])
        secret_key = SECRET_KEY[provider]
        errors: dict[str, str] = {}
        if user_input is not None:
            secret = user_input[secret_key].strip()
            data = {**entry.data, secret_key: secret}
            errors = {"base": "invalid_auth"} if not secret else {}
            if not errors:
                self._abort_if_other_entry_has(entry, _unique_id(provider, data))
                errors = await self._async_check_credentials(data)
            if not errors:
                return self._async_update_and_reload(
                    entry, "reauth_successful", unique_id=_unique_id(provider, data), data=data
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(secret_key): _PASSWORD}),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    # --- reconfigure -------------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials or the URL of the same account."""
        entry = self._get_reconfigure_entry()
        provider = Provider(entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._read_credentials(provider, user_input, entry.data)
            if not errors:
                unique_id = _unique_id(provider, data)
                if provider in ACCOUNT_NAMES:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_mismatch(reason="wrong_account")
                else:
                    # a token is the only identity smsmode gives: follow it
                    self._abort_if_other_entry_has(entry, unique_id)
                errors = await self._async_check_credentials(data)
            if not errors:
                return self._async_update_and_reload(
                    entry, "reconfigure_successful", unique_id=_unique_id(provider, data), data=data
                )
        # the stored secret is never sent back to the browser
        shown = dict(user_input or entry.data)
        shown.pop(SECRET_KEY[provider], None)
        shown.setdefault(CONF_ADVANCED, {CONF_URL: entry.data.get(CONF_URL, "")})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(provider, secret_required=False), shown
            ),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    # --- shared ------------------------------------------------------------------------

    @staticmethod
    def _read_credentials(
        provider: Provider, user_input: Mapping[str, Any], current: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The entry data the form describes, and the errors found without any I/O.

        ``current`` is the stored data when reconfiguring: its secret is kept when the
        field is left empty, and keys this form does not own are kept as they are.
        """
        data: dict[str, Any] = {k: v for k, v in current.items() if k != CONF_URL}
        data[CONF_PROVIDER] = str(provider)
        if provider in ACCOUNT_NAMES:
            data[CONF_USERNAME] = user_input[CONF_USERNAME].strip()
        secret_key = SECRET_KEY[provider]
        data[secret_key] = (user_input.get(secret_key) or "").strip() or current.get(secret_key)
        errors: dict[str, str] = {}
        raw_url = user_input[CONF_ADVANCED].get(CONF_URL, "")
        if raw_url.strip():
            try:
                data[CONF_URL] = normalize_base_url(raw_url)
            except ValueError:
                # keyed by the section, as core does (MQTT), so the form shows it above it
                errors[CONF_ADVANCED] = "invalid_url"
        if not data[secret_key] or (provider in ACCOUNT_NAMES and not data[CONF_USERNAME]):
            errors["base"] = "invalid_auth"
        return data, errors

    async def _async_check_credentials(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Ask the gateway for the balance: it proves the credentials, sends nothing."""
        try:
            gateway = create_gateway(async_get_clientsession(self.hass), data)
            await gateway.get_balance()
        except AuthenticationError:
            return {"base": "invalid_auth"}
        except GatewayError as err:
            _LOGGER.debug("Gateway check failed: %s", err)
            return {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while checking the gateway credentials")
            return {"base": "unknown"}
        return {}

    @callback
    def _async_update_and_reload(
        self, entry: ConfigEntry, reason: str, *, unique_id: str, data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Store the new data and reload the entry once.

        A loaded entry reloads through its update listener when the data changed (a flow
        reload on top of it is deprecated from HA 2026.6); otherwise the flow reloads it,
        so an entry that failed to set up is retried with the new credentials.
        """
        # read first: the listener's reload may start, and unload the entry, during the update
        has_listener = bool(entry.update_listeners)
        changed = self.hass.config_entries.async_update_entry(entry, unique_id=unique_id, data=data)
        if not changed or not has_listener:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason=reason)

    @callback
    def _abort_if_other_entry_has(self, entry: ConfigEntry, unique_id: str) -> None:
        """Abort when another entry already uses the account ``unique_id`` names."""
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                raise AbortFlow("already_configured")


# --- options -----------------------------------------------------------------------------

#: the options each step owns: saving a step replaces these and keeps the others
GENERAL_KEYS = (
    CONF_DEFAULT_SENDER,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_TEXT_POLICY,
    CONF_MAX_PARTS,
    CONF_STOP_MENTION,
    CONF_MESSAGE_CLASS,
)
SMTP_KEYS = (
    CONF_SMTP_HOST,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_USERNAME,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_SENDER,
)
ROUTES = [ROUTE_API, ROUTE_EMAIL, ROUTE_API_THEN_EMAIL]

MAIL2SMS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SMTP_HOST): _TEXT,
        vol.Required(CONF_SMTP_PORT, default=DEFAULT_SMTP_PORT): vol.All(
            NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Coerce(int),
        ),
        vol.Required(CONF_SMTP_SECURITY, default=str(SmtpSecurity.STARTTLS)): _select(
            [str(security) for security in SmtpSecurity], CONF_SMTP_SECURITY
        ),
        vol.Optional(CONF_SMTP_USERNAME): _USERNAME,
        vol.Optional(CONF_SMTP_PASSWORD): _PASSWORD,
        vol.Required(CONF_SMTP_SENDER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")
        ),
    }
)
ROUTE_SCHEMA = vol.Schema(
    {vol.Required(CONF_ROUTE, default=ROUTE_API): _select(ROUTES, CONF_ROUTE)}
)


def _general_schema(provider: Provider) -> vol.Schema:
    max_parts = GATEWAY_CLASSES[provider].capabilities.max_parts
    fields: dict[vol.Marker, Any] = {
        vol.Optional(CONF_DEFAULT_SENDER): _TEXT,
        vol.Required(CONF_LOW_CREDIT_THRESHOLD, default=DEFAULT_LOW_CREDIT_THRESHOLD): (
            NumberSelector(NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX))
        ),
        vol.Required(CONF_TEXT_POLICY, default=str(TextPolicy.AUTO)): _select(
            [str(policy) for policy in TextPolicy], CONF_TEXT_POLICY
        ),
        vol.Required(CONF_MAX_PARTS, default=max_parts): vol.All(
            NumberSelector(
                NumberSelectorConfig(min=1, max=max_parts, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Coerce(int),
        ),
        vol.Required(CONF_STOP_MENTION, default=str(StopMention.ADD)): _select(
            [str(mention) for mention in StopMention], CONF_STOP_MENTION
        ),
    }
    if provider is Provider.SMSMODE:
        fields[vol.Required(CONF_MESSAGE_CLASS, default=MESSAGE_CLASS_STANDARD)] = _select(
            [MESSAGE_CLASS_STANDARD, MESSAGE_CLASS_REPLIES], CONF_MESSAGE_CLASS
        )
    return vol.Schema(fields)


class TextoOptionsFlow(OptionsFlow):
    """Sending options; AllMySMS entries also set up Mail2SMS and the route.

    The entry's update listener reloads it when the options change.
    """

    @property
    def _provider(self) -> Provider:
        return Provider(self.config_entry.data[CONF_PROVIDER])

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A menu for AllMySMS entries, the sending options directly for the others."""
        if self._provider is Provider.ALLMYSMS:
            return self.async_show_menu(
                step_id="init", menu_options=["general", "mail2sms", "route"]
            )
        return await self.async_step_general()

    async def async_step_general(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Default sender, low-credit threshold, text policy, parts, STOP mention, class."""
        gateway_class = GATEWAY_CLASSES[self._provider]
        errors: dict[str, str] = {}
        if user_input is not None:
            values, errors = _read_general(gateway_class, user_input)
            if not errors:
                return self._async_save(values, GENERAL_KEYS)
        rule = gateway_class.sender_rule
        return self.async_show_form(
            step_id="general",
            data_schema=self.add_suggested_values_to_schema(
                _general_schema(self._provider), user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders={
                "sender_min": str(rule.min_length),
                "sender_max": str(rule.max_length),
                "max_parts": str(gateway_class.capabilities.max_parts),
            },
        )

    async def async_step_mail2sms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user's SMTP server for AllMySMS Mail2SMS, checked by logging in."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
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
        )

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
        )

    @callback
    def _async_save(self, values: Mapping[str, Any], owned: tuple[str, ...]) -> ConfigFlowResult:
        """Store ``values`` in place of the options the step owns, keep the others."""
        kept = {k: v for k, v in self.config_entry.options.items() if k not in owned}
        return self.async_create_entry(data={**kept, **values})


def _read_general(
    gateway_class: type[Gateway], user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The general options from the form, and what is wrong with them."""
    values = {k: v for k, v in user_input.items() if k != CONF_DEFAULT_SENDER}
    errors: dict[str, str] = {}
    sender = (user_input.get(CONF_DEFAULT_SENDER) or "").strip()
    if sender:
        try:
            values[CONF_DEFAULT_SENDER] = validate_sender(sender, gateway_class.sender_rule)
        except InvalidSenderError:
            errors[CONF_DEFAULT_SENDER] = "invalid_sender"
        # smsmode's class 4 (replies) always goes out from its own number
        if user_input.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES:
            errors[CONF_MESSAGE_CLASS] = "sender_with_replies"
    return values, errors


def _read_smtp(
    user_input: Mapping[str, Any], options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The SMTP settings from the form (the stored password kept when left empty)."""
    settings: dict[str, Any] = {
        CONF_SMTP_HOST: user_input[CONF_SMTP_HOST].strip(),
        CONF_SMTP_PORT: user_input[CONF_SMTP_PORT],
        CONF_SMTP_SECURITY: user_input[CONF_SMTP_SECURITY],
        CONF_SMTP_SENDER: user_input[CONF_SMTP_SENDER].strip(),
    }
    if username := (user_input.get(CONF_SMTP_USERNAME) or "").strip():
        settings[CONF_SMTP_USERNAME] = username
        password = user_input.get(CONF_SMTP_PASSWORD) or options.get(CONF_SMTP_PASSWORD)
        if password:
            settings[CONF_SMTP_PASSWORD] = password
    errors: dict[str, str] = {}
    if not settings[CONF_SMTP_HOST]:
        errors[CONF_SMTP_HOST] = "cannot_connect_smtp"
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
        mail2sms = create_mail2sms(data, settings)
    except ValueError:
        # the login or API key has a character the e-mail subject cannot carry
        return {"base": "mail2sms_unusable_login"}
    assert mail2sms is not None  # an AllMySMS entry with a host always has one
    security = SmtpSecurity(settings[CONF_SMTP_SECURITY])
    smtp = aiosmtplib.SMTP(
        hostname=settings[CONF_SMTP_HOST],
        port=settings[CONF_SMTP_PORT],
        use_tls=security is SmtpSecurity.TLS,
        start_tls=security is SmtpSecurity.STARTTLS,
        tls_context=client_context() if security is not SmtpSecurity.NONE else None,
        timeout=SMTP_CHECK_TIMEOUT,
    )
    try:
        await smtp.connect()
        if username := settings.get(CONF_SMTP_USERNAME):
            await smtp.login(username, settings.get(CONF_SMTP_PASSWORD, ""))
    except aiosmtplib.SMTPAuthenticationError:
        return {"base": "invalid_auth_smtp"}
    except (aiosmtplib.SMTPException, OSError) as err:
        _LOGGER.debug("SMTP check failed: %s", err)
        return {"base": "cannot_connect_smtp"}
    except Exception:
        _LOGGER.exception("Unexpected error while checking the SMTP server")
        return {"base": "unknown"}
    finally:
        await _async_close(smtp)
    return {}


async def _async_close(smtp: aiosmtplib.SMTP) -> None:
    """Say goodbye when the server still listens, else just drop the connection."""
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


# --- recipients ----------------------------------------------------------------------------

RECIPIENT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_NAME): _TEXT,
        vol.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
        ),
    }
)


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

    The entry's update listener reloads it when a recipient is added, changed or
    removed, so its entity follows.
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
                    title=recipient[CONF_NAME],
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
                    title=recipient[CONF_NAME],
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
