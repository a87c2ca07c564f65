"""The account's webhook: the URL gateways call with delivery reports and replies.

A webhook is an open door: whatever arrives, the handler never raises, never answers 5xx
and logs nothing above debug. A body is read up to ``MAX_BODY`` bytes; its fields pass the
library's gate (``gate.check_fields``: bounded count and lengths, no control characters)
before the provider's parser sees them, and what the parser makes of them passes it again
in the inbox (``gate.screen``). Anything refused is logged at debug (masked), answered 4xx
and brings no event. A provider that wants a fixed answer to every call (123-SMS: ``OK``
with HTTP 200, or it considers the URL broken) gets it whatever happened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from email import message_from_bytes
from email.message import Message
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl

from aiohttp import ClientError, hdrs, web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import (
    CONF_ALLOW_INTERNAL_URL,
    CONF_CLOUDHOOK_URL,
    CONF_PROVIDER,
    CONF_RECEIVE_MODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    RECEIVE_BOTH,
    RECEIVE_POLLING,
    RECEIVE_WEBHOOK,
)
from .entry import TextoConfigEntry
from .gateway.errors import CallbackError
from .gateway.gate import MAX_FIELDS, check_fields
from .gateway.models import Provider
from .gateway.providers import PROVIDERS, ProviderInfo
from .gateway.redact import mask_text

_LOGGER = logging.getLogger(__name__)

#: bytes of body read at most: real callbacks are a few hundred bytes
MAX_BODY: Final = 16 * 1024
#: characters of each field name kept in a debug log line
_LOG_NAME_CHARS: Final = 40
#: GET for smsmode and 123-SMS; AllMySMS's method is not documented: GET and POST for all
ALLOWED_METHODS: Final = (hdrs.METH_GET, hdrs.METH_POST)


class RefusedCallbackError(Exception):
    """A request that cannot be read: no event, a 4xx answer (123-SMS: still ``OK``)."""

    def __init__(self, reason: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(reason)
        self.status = status


# --- setting up and removing ---------------------------------------------------------------


async def async_setup_webhook(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """Register the entry's webhook (unregistered with the entry, ``async_on_unload``)."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    provider = PROVIDERS[Provider(entry.data[CONF_PROVIDER])]

    async def async_handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        return await async_handle_callback(entry, provider, request)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        async_handle,
        local_only=False,
        allowed_methods=ALLOWED_METHODS,
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    await _async_update_cloudhook(hass, entry)
    entry.runtime_data.callback_url = lambda: callback_url(hass, entry)


def _cloud_subscribed(hass: HomeAssistant) -> bool:
    """Whether HA Cloud is set up with an active subscription."""
    if "cloud" not in hass.config.components:
        return False
    # imported only once the cloud integration loaded it: a heavy module otherwise
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_get_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """With HA Cloud, the public URL of ``webhook_id`` (None without, or on failure)."""
    if not _cloud_subscribed(hass):
        return None
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except Exception as err:  # noqa: BLE001 - the cloud being away must not stop the account
        _LOGGER.warning("Home Assistant Cloud gave no webhook URL: %s", err)
        return None


async def _async_update_cloudhook(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """With HA Cloud, the cloudhook is the public URL: keep it in the entry's data."""
    url = await async_get_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    if url is not None and entry.data.get(CONF_CLOUDHOOK_URL) != url:
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CLOUDHOOK_URL: url})


async def async_remove_cloudhook(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
    """Delete the entry's cloudhook, if it has one (the entry is being removed)."""
    if CONF_CLOUDHOOK_URL not in entry.data or "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except Exception as err:  # noqa: BLE001 - removing the entry must go on
        _LOGGER.warning("Could not delete the cloudhook of %s: %s", entry.title, err)


# --- URLs ----------------------------------------------------------------------------------


def webhook_url(
    hass: HomeAssistant,
    webhook_id: str,
    *,
    cloudhook_url: str | None = None,
    allow_internal: bool = False,
) -> str | None:
    """The URL a gateway can call for ``webhook_id``, or None when there is none.

    The cloudhook, else the external URL, else (only with ``allow_internal``) the internal one.
    """
    if cloudhook_url:
        return cloudhook_url
    try:
        return webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        pass
    if not allow_internal:
        return None
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_external=False)
    except NoURLAvailableError:
        return None


def entry_webhook_url(hass: HomeAssistant, entry: TextoConfigEntry) -> str | None:
    """The URL of the entry's webhook, whatever the receive mode."""
    return webhook_url(
        hass,
        entry.data[CONF_WEBHOOK_ID],
        cloudhook_url=entry.data.get(CONF_CLOUDHOOK_URL),
        allow_internal=bool(entry.options.get(CONF_ALLOW_INTERNAL_URL, False)),
    )


def has_public_url(hass: HomeAssistant, entry: TextoConfigEntry) -> bool:
    """Whether gateways can reach HA from the internet: a cloudhook or an external URL."""
    if entry.data.get(CONF_CLOUDHOOK_URL) or _cloud_subscribed(hass):
        return True
    return webhook_url(hass, entry.data[CONF_WEBHOOK_ID]) is not None


def calls_back(provider: Provider) -> bool:
    """Whether the provider calls a webhook (the registry's companies; not the modem).

    The user's own modem hands over what it reads itself.
    """
    return provider in PROVIDERS


def can_poll(provider: Provider) -> bool:
    """Whether the provider's API lets Texto read reports or replies back (123-SMS: no)."""
    if not calls_back(provider):
        return False
    capabilities = PROVIDERS[provider].capabilities
    return capabilities.poll_replies or capabilities.poll_delivery_reports


def default_receive_mode(provider: Provider, *, has_url: bool) -> str:
    """How a new account receives: by webhook when HA has a public URL, else by polling.

    A provider with nothing to poll (123-SMS): always webhook. One some of whose genuine
    callbacks cannot pass Home Assistant's security filter (smsmode: a reply holding a
    line break): webhook and polling, so polling recovers what the webhook never saw.
    """
    if not can_poll(provider):
        return RECEIVE_WEBHOOK
    if not has_url:
        return RECEIVE_POLLING
    return RECEIVE_BOTH if PROVIDERS[provider].poll_alongside_webhook else RECEIVE_WEBHOOK


def receive_mode(hass: HomeAssistant, entry: TextoConfigEntry) -> str:
    """How reports and replies arrive: ``webhook``, ``polling`` or ``both``.

    The option, stored when the account was created (or migrated); a provider with
    nothing to poll (123-SMS) always webhook.
    """
    provider = Provider(entry.data[CONF_PROVIDER])
    if not can_poll(provider):
        return RECEIVE_WEBHOOK
    mode = entry.options.get(CONF_RECEIVE_MODE)
    if mode in (RECEIVE_WEBHOOK, RECEIVE_POLLING, RECEIVE_BOTH):
        return str(mode)
    return default_receive_mode(provider, has_url=has_public_url(hass, entry))


def callback_url(hass: HomeAssistant, entry: TextoConfigEntry) -> str | None:
    """The URL to give gateways with each send, or None.

    The cloudhook, else the external URL, else (only when the options allow it) the
    internal one; None when there is none or when the receive mode leaves the webhook out.
    """
    if receive_mode(hass, entry) == RECEIVE_POLLING:
        return None
    return entry_webhook_url(hass, entry)


# --- the handler -----------------------------------------------------------------------------


async def async_handle_callback(
    entry: TextoConfigEntry, provider: ProviderInfo, request: web.Request
) -> web.Response:
    """Answer one gateway call; hand a report or a reply to the account's inbox."""
    params: dict[str, str] = {}
    try:
        params = await async_read_params(request, provider.callback_charsets)
        item = provider.parse_callback(check_fields(params))
        account = getattr(entry, "runtime_data", None)
        if item is not None and account is not None:
            await account.inbox.async_receive(item)
    except RefusedCallbackError as err:
        _log_refused(entry, str(err), params)
        return _answer(provider, err.status)
    except CallbackError as err:
        _log_refused(entry, str(err), params)
        return _answer(provider, HTTPStatus.BAD_REQUEST)
    except Exception as err:  # noqa: BLE001 - a bug of ours, never the caller's to see
        # said without the traceback (it may quote what arrived); the gateway still gets an
        # answer it accepts, and the request cannot tell a bug from a refusal
        _LOGGER.warning(
            "Texto could not handle a callback for %s (%s): please report it",
            entry.title,
            type(err).__name__,
        )
    return _answer(provider, HTTPStatus.OK)


def _answer(provider: ProviderInfo, status: HTTPStatus) -> web.Response:
    if provider.callback_answer is not None:
        # anything else and the gateway considers the URL broken (123-SMS)
        return web.Response(status=HTTPStatus.OK, text=provider.callback_answer)
    return web.Response(status=status)


def _log_refused(entry: TextoConfigEntry, reason: str, params: Mapping[str, str]) -> None:
    """Say at debug why a callback was refused, naming its fields and their lengths.

    Never their values: a forged or garbled call may carry a text or a number in any field.
    """
    if not _LOGGER.isEnabledFor(logging.DEBUG):
        return
    shown = {mask_text(key[:_LOG_NAME_CHARS]): len(value) for key, value in params.items()}
    _LOGGER.debug("Refused a callback for %s (%s), fields: %s", entry.title, reason, shown)


# --- reading a request -----------------------------------------------------------------------


async def async_read_params(request: web.Request, charsets: tuple[str, ...]) -> dict[str, str]:
    """The query string merged with a POST body (form, multipart or JSON object).

    Raise ``RefusedCallbackError`` for a body over ``MAX_BODY`` or one that does not decode.
    """
    params = _parse_query(request.rel_url.raw_query_string, charsets)
    if request.method == hdrs.METH_POST:
        params.update(await _async_read_body(request, charsets))
    for key, value in params.items():
        try:
            key.encode("utf-8")
            value.encode("utf-8")
        except UnicodeError as err:  # a lone surrogate, from a JSON escape
            raise RefusedCallbackError("text that is not Unicode") from err
    return params


def _parse_query(raw: str, charsets: tuple[str, ...]) -> dict[str, str]:
    """Decode ``a=1&b=%C3%A9``, trying each charset in turn; the first value of a key wins."""
    for charset in charsets:
        try:
            pairs = parse_qsl(
                raw,
                keep_blank_values=True,
                encoding=charset,
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except UnicodeError:
            continue
        except LookupError as err:  # an unknown charset named by the request
            raise RefusedCallbackError("unknown charset") from err
        except ValueError as err:  # too many fields
            raise RefusedCallbackError("too many fields") from err
        params: dict[str, str] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        return params
    raise RefusedCallbackError("undecodable text")


async def _async_read_body(request: web.Request, charsets: tuple[str, ...]) -> dict[str, str]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RefusedCallbackError("body too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    try:
        body = await request.content.read(MAX_BODY + 1)
    except (ClientError, ConnectionError) as err:
        raise RefusedCallbackError("body not fully received") from err
    if len(body) > MAX_BODY:
        raise RefusedCallbackError("body too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    if not body.strip():
        return {}
    content_type = request.content_type
    if content_type == "multipart/form-data":
        return _parse_multipart(body, request.headers.get(hdrs.CONTENT_TYPE, ""))
    if content_type == "application/json" or body.lstrip().startswith(b"{"):
        return _parse_json(body)
    if request.charset:
        charsets = (request.charset, *charsets)
    try:
        text = body.decode("ascii")  # a form is percent-encoded
    except UnicodeError as err:
        raise RefusedCallbackError("form body is not percent-encoded") from err
    return _parse_query(text, charsets)


def _parse_json(body: bytes) -> dict[str, str]:
    """The scalar fields of a JSON object, as text; nested values are ignored."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as err:  # UnicodeError is a ValueError
        raise RefusedCallbackError("invalid JSON") from err
    if not isinstance(payload, dict):
        raise RefusedCallbackError("JSON that is not an object")
    params: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            params[key] = str(value)
    return params


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a ``multipart/form-data`` body (files are ignored).

    The e-mail parser reads what it is given, but each part names its own charset, and a
    name such as ``undefined`` fails in ways of its own (``UnicodeError``, ``LookupError``):
    every one of them refuses the body.
    """
    try:
        return _read_multipart(body, content_type)
    except (UnicodeError, LookupError, ValueError, TypeError, AttributeError) as err:
        raise RefusedCallbackError("undecodable multipart body") from err


def _read_multipart(body: bytes, content_type: str) -> dict[str, str]:
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = message_from_bytes(header + body)
    if not message.is_multipart():
        raise RefusedCallbackError("broken multipart body")
    params: dict[str, str] = {}
    parts = message.get_payload()
    if not isinstance(parts, list):
        raise RefusedCallbackError("broken multipart body")
    for part in parts[:MAX_FIELDS]:
        if not isinstance(part, Message) or part.get_filename() is not None:
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        params.setdefault(name, payload.decode(part.get_content_charset() or "utf-8"))
    return params
