"""Config flow of Texto: a gateway or modem account (options, recipients: their own flows)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_NAME, CONF_URL
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from yarl import URL

from .clients import create_client
from .const import (
    CONF_ADVANCED,
    CONF_BAUDRATE,
    CONF_CLOUDHOOK_URL,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PIN,
    CONF_PROVIDER,
    CONF_RECEIVE_MODE,
    CONF_WEBHOOK_ID,
    DEFAULT_BAUDRATE,
    DOMAIN,
    PROVIDER_MODEM,
    SUBENTRY_TYPE_RECIPIENT,
)
from .flow_common import PASSWORD_SELECTOR, TEXT_SELECTOR, USERNAME_SELECTOR
from .gateway.errors import AuthenticationError, GatewayError
from .gateway.models import Provider
from .gateway.providers import PROVIDERS
from .modem_flow import (
    EXAMPLE_URLS,
    HILINK,
    HILINK_NAME,
    USB_MODEMS,
    async_check_modem,
    async_port_options,
    at_port,
    modem_key,
    modem_schema,
    modem_title,
    modem_unique_id,
    read_modem_input,
    shown_input,
)
from .options_flow import TextoOptionsFlow
from .recipient_flow import RecipientSubentryFlowHandler
from .webhook import async_get_cloudhook, default_receive_mode, webhook_url

_LOGGER = logging.getLogger(__name__)

#: what the URL field's help and error show as an example (hassfest wants URLs out of texts)
EXAMPLE_URL = "http://192.168.1.10:8080"

# --- config entry data -------------------------------------------------------------------


def _credentials_schema(
    provider: Provider, errors: Mapping[str, str], *, new_account: bool, url: str = ""
) -> vol.Schema:
    """The provider's fields, with the base URL in an ``advanced`` section.

    A new account also takes a name (optional); a known one keeps its stored secret when the
    field is left empty. The section is folded unless it holds a URL (``url``, as shown) or
    its error: after a refusal, the URL typed there may be what is wrong.
    """
    info = PROVIDERS[provider]
    fields: dict[vol.Marker, Any] = {}
    if new_account:
        fields[vol.Optional(CONF_NAME)] = TEXT_SELECTOR
    if info.login_field is not None:
        fields[vol.Required(info.login_field)] = USERNAME_SELECTOR
    secret = vol.Required if new_account else vol.Optional
    fields[secret(info.secret_field)] = PASSWORD_SELECTOR
    fields[vol.Required(CONF_ADVANCED)] = section(
        vol.Schema(
            {vol.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))}
        ),
        {"collapsed": CONF_ADVANCED not in errors and not url.strip()},
    )
    return vol.Schema(fields)


def _url_of(shown: Mapping[str, Any] | None) -> str:
    """The URL a credentials form shows in its ``advanced`` section."""
    return str(((shown or {}).get(CONF_ADVANCED) or {}).get(CONF_URL) or "")


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


def account_unique_id(provider: Provider, data: Mapping[str, Any]) -> str:
    """One entry per account: its name where the gateway has one, else a token hash."""
    info = PROVIDERS[provider]
    if info.login_field is not None:
        return f"{provider}:{data[info.login_field].lower()}"
    digest = hashlib.sha256(data[info.secret_field].encode()).hexdigest()
    return f"{provider}:{digest[:16]}"


def default_title(provider: Provider, taken: Iterable[str]) -> str:
    """The gateway's name, numbered when another account has it ("smsmode 2").

    Never the login: an e-mail there would reach entity ids, warnings and notifications.
    """
    taken = {title.casefold() for title in taken}
    name = PROVIDERS[provider].name
    number = 1
    title = name
    while title.casefold() in taken:
        number += 1
        title = f"{name} {number}"
    return title


class TextoConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a gateway or modem account."""

    VERSION = 1
    MINOR_VERSION = 4

    def __init__(self) -> None:
        """A flow remembers the modem USB discovery found, to offer it in the form."""
        self._discovered_device: str | None = None
        self._discovered_name = ""

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
        """Pick the gateway, or a modem."""
        return self.async_show_menu(
            step_id="user", menu_options=[*(str(p) for p in PROVIDERS), PROVIDER_MODEM]
        )

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
                # the credentials first: a wrong key for a known login says so, and keeps
                # what was typed, rather than "already configured"
                errors = await self._async_check_credentials(data)
            if not errors:
                await self.async_set_unique_id(account_unique_id(provider, data))
                self._abort_if_unique_id_configured()
                name = (user_input.get(CONF_NAME) or "").strip()
                return await self._async_create_account(provider, data, name)
        return self.async_show_form(
            step_id=str(provider),
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(provider, errors, new_account=True, url=_url_of(user_input)),
                user_input,
            ),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_URL},
        )

    async def _async_create_account(
        self, provider: Provider, data: dict[str, Any], name: str
    ) -> ConfigFlowResult:
        """Create the entry with its webhook, and say what the gateway needs to call it.

        The receive mode is stored as it is now (webhook when Home Assistant has a public
        URL, else polling): a URL that appears later does not switch it silently.
        """
        webhook_id = webhook.async_generate_id()
        data[CONF_WEBHOOK_ID] = webhook_id
        if cloudhook_url := await async_get_cloudhook(self.hass, webhook_id):
            data[CONF_CLOUDHOOK_URL] = cloudhook_url
        url = webhook_url(self.hass, webhook_id, cloudhook_url=cloudhook_url)
        title = name or default_title(
            provider, (entry.title for entry in self._async_current_entries())
        )
        options = {CONF_RECEIVE_MODE: default_receive_mode(provider, has_url=url is not None)}
        if url is None:
            return self.async_create_entry(
                title=title,
                data=data,
                options=options,
                description=f"{provider}_no_url",
                description_placeholders={"webhook_path": webhook.async_generate_path(webhook_id)},
            )
        return self.async_create_entry(
            title=title,
            data=data,
            options=options,
            description=str(provider),
            description_placeholders={"webhook_url": url},
        )

    # --- modem -------------------------------------------------------------------------

    async def async_step_modem(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A modem: its port, the SIM's PIN, and under Advanced the baud rate and init commands."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            read = read_modem_input(user_input)
            errors, placeholders = read.errors, read.placeholders
            if not errors:
                device = read.data[CONF_DEVICE]
                # before the port is opened: a configured entry's modem is left undisturbed
                await self.async_set_unique_id(modem_unique_id(device), raise_on_progress=False)
                self._abort_if_unique_id_configured()
                self._abort_if_modem_configured(device)
                check = await async_check_modem(read.data)
                errors, placeholders = check.errors, check.placeholders
                if not errors and check.status is not None:
                    registered = check.status.registered
                    return self.async_create_entry(
                        title=modem_title(device, check.status.model),
                        data=read.data,
                        description=PROVIDER_MODEM if registered else "modem_no_network",
                    )
        shown = shown_input(user_input)
        if user_input is None and self._discovered_device is not None:
            shown[CONF_DEVICE] = self._discovered_device
        return self.async_show_form(
            step_id="modem",
            data_schema=self.add_suggested_values_to_schema(
                modem_schema(await async_port_options(), errors, shown), shown
            ),
            errors=errors,
            description_placeholders={**EXAMPLE_URLS, **placeholders},
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """A modem plugged in: one offer per modem (each of its ports is discovered)."""
        ids = (discovery_info.vid.upper(), discovery_info.pid.upper())
        known = USB_MODEMS.get(ids)
        device = at_port(discovery_info.device, known)
        await self.async_set_unique_id(modem_unique_id(device))
        self._abort_if_unique_id_configured()
        self._abort_if_modem_configured(device)
        self._abort_if_modem_in_progress(device)
        self._discovered_device = device
        if ids == HILINK:
            self._discovered_name = HILINK_NAME
            self.context["title_placeholders"] = {"name": HILINK_NAME}
            return await self.async_step_hilink()
        self._discovered_name = known.name if known else discovery_info.description or device
        self.context["title_placeholders"] = {"name": self._discovered_name}
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the modem found; the form comes next, with its port filled in."""
        if user_input is not None:
            return await self.async_step_modem()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="usb_confirm",
            description_placeholders={
                "name": self._discovered_name,
                "device": self._discovered_device or "",
            },
        )

    async def async_step_hilink(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A HiLink stick has no AT port: say so where the user looks (a discovery)."""
        if user_input is not None:
            return self.async_abort(reason="hilink_no_at_port")
        self._set_confirm_only()
        return self.async_show_form(step_id="hilink")

    @callback
    def _abort_if_modem_configured(self, device: str) -> None:
        """Abort when an account uses this modem, through this port or another of its ports."""
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_PROVIDER) == PROVIDER_MODEM and modem_key(
                entry.data.get(CONF_DEVICE, "")
            ) == modem_key(device):
                raise AbortFlow("already_configured")

    @callback
    def _abort_if_modem_in_progress(self, device: str) -> None:
        """Abort when another flow already offers this modem (through another of its ports)."""
        prefix = modem_unique_id("")
        for flow in self._async_in_progress(include_uninitialized=True):
            unique_id = flow["context"].get("unique_id") or ""
            if (
                flow["flow_id"] != self.flow_id
                and unique_id.startswith(prefix)
                and modem_key(unique_id.removeprefix(prefix)) == modem_key(device)
            ):
                raise AbortFlow("already_in_progress")

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
        secret_key = PROVIDERS[provider].secret_field
        errors: dict[str, str] = {}
        if user_input is not None:
            secret = user_input[secret_key].strip()
            data = {**entry.data, secret_key: secret}
            errors = {secret_key: "required"} if not secret else {}
            if not errors:
                self._abort_if_other_entry_has(entry, account_unique_id(provider, data))
                errors = await self._async_check_credentials(data)
                if errors.get("base") == "invalid_auth":
                    errors = {secret_key: "invalid_auth"}  # the form's only field
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    "reauth_successful",
                    unique_id=account_unique_id(provider, data),
                    data=data,
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(secret_key): PASSWORD_SELECTOR}),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    # --- reconfigure -------------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials or the URL of the same account."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_PROVIDER] == PROVIDER_MODEM:
            return await self.async_step_reconfigure_modem(user_input)
        provider = Provider(entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._read_credentials(provider, user_input, entry.data)
            if not errors:
                unique_id = account_unique_id(provider, data)
                if PROVIDERS[provider].login_field is not None:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_mismatch(reason="wrong_account")
                else:
                    # a token is the only identity smsmode gives: follow it
                    self._abort_if_other_entry_has(entry, unique_id)
                errors = await self._async_check_credentials(data)
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    "reconfigure_successful",
                    unique_id=account_unique_id(provider, data),
                    data=data,
                )
        # the stored secret is never sent back to the browser
        shown = dict(user_input or entry.data)
        shown.pop(PROVIDERS[provider].secret_field, None)
        shown.setdefault(CONF_ADVANCED, {CONF_URL: entry.data.get(CONF_URL, "")})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(provider, errors, new_account=False, url=_url_of(shown)),
                shown,
            ),
            errors=errors,
            description_placeholders={"account": entry.title, "example_url": EXAMPLE_URL},
        )

    async def async_step_reconfigure_modem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a modem account's port, PIN, baud rate or init commands.

        The port is not opened here: the running account holds it. The entry reloads with
        the new settings, and its sensors and repairs say how the modem answers. An empty
        PIN keeps the stored one (a PIN is never shown back).
        """
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            read = read_modem_input(user_input)
            errors, placeholders = read.errors, read.placeholders
            if not errors:
                data = dict(read.data)
                if CONF_PIN not in data and CONF_PIN in entry.data:
                    data[CONF_PIN] = entry.data[CONF_PIN]
                unique_id = modem_unique_id(data[CONF_DEVICE])
                self._abort_if_other_entry_has(entry, unique_id)
                return self._async_update_and_reload(
                    entry, "reconfigure_successful", unique_id=unique_id, data=data
                )
        shown = shown_input(user_input) if user_input is not None else _stored_modem(entry.data)
        return self.async_show_form(
            step_id="reconfigure_modem",
            data_schema=self.add_suggested_values_to_schema(
                modem_schema(await async_port_options(), errors, shown), shown
            ),
            errors=errors,
            description_placeholders={"account": entry.title, **EXAMPLE_URLS, **placeholders},
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
        info = PROVIDERS[provider]
        data: dict[str, Any] = {k: v for k, v in current.items() if k != CONF_URL}
        data[CONF_PROVIDER] = str(provider)
        if info.login_field is not None:
            data[info.login_field] = user_input[info.login_field].strip()
        secret_key = info.secret_field
        data[secret_key] = (user_input.get(secret_key) or "").strip() or current.get(secret_key)
        errors: dict[str, str] = {}
        raw_url = user_input[CONF_ADVANCED].get(CONF_URL, "")
        if raw_url.strip():
            try:
                data[CONF_URL] = normalize_base_url(raw_url)
            except ValueError:
                # keyed by the section, as core does (MQTT), so the form shows it above it
                errors[CONF_ADVANCED] = "invalid_url"
        if info.login_field is not None and not data[info.login_field]:
            errors[info.login_field] = "required"
        if not data[secret_key]:
            errors[secret_key] = "required"
        return data, errors

    async def _async_check_credentials(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Ask the gateway for the balance: it proves the credentials, sends nothing."""
        try:
            client = create_client(async_get_clientsession(self.hass), data)
            await client.get_balance()
        except AuthenticationError:
            info = PROVIDERS[Provider(data[CONF_PROVIDER])]
            # a login and a secret are refused as a pair; a lone token is that field's error
            return {"base" if info.login_field else info.secret_field: "invalid_auth"}
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


def _stored_modem(data: Mapping[str, Any]) -> dict[str, Any]:
    """A modem entry's settings as its form shows them (never the PIN)."""
    return {
        CONF_DEVICE: data[CONF_DEVICE],
        CONF_ADVANCED: {
            CONF_BAUDRATE: data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE),
            CONF_INIT_COMMANDS: list(data.get(CONF_INIT_COMMANDS) or []),
        },
    }
