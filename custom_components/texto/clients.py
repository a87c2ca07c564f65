"""Build the gateway clients of a config entry from its stored data and options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from homeassistant.const import CONF_URL
from homeassistant.util.ssl import client_context

from .const import (
    CONF_PROVIDER,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
)
from .gateway import PROVIDERS, HttpGateway, Mail2SmsGateway, Provider, SmtpSecurity, SmtpSettings
from .gateway.providers import API_KEY, LOGIN


def create_client(session: aiohttp.ClientSession, data: Mapping[str, Any]) -> HttpGateway:
    """The HTTP API client an entry's data describes (the official URL when none is set)."""
    provider = PROVIDERS[Provider(data[CONF_PROVIDER])]
    credentials = {key: data[key] for key in (provider.login_field, provider.secret_field) if key}
    return provider.create_client(credentials, session=session, base_url=data.get(CONF_URL))


def create_mail2sms(
    data: Mapping[str, Any], options: Mapping[str, Any], *, timeout: float | None = None
) -> Mail2SmsGateway | None:
    """The Mail2SMS route of an entry whose options configure one (AllMySMS only).

    ``timeout``: seconds for each SMTP step, when not the library's. Raise ValueError when
    the login or API key cannot travel in an e-mail's subject.
    """
    if not PROVIDERS[Provider(data[CONF_PROVIDER])].has_mail2sms or not options.get(CONF_SMTP_HOST):
        return None
    security = SmtpSecurity(options[CONF_SMTP_SECURITY])
    smtp = SmtpSettings(
        host=options[CONF_SMTP_HOST],
        port=int(options[CONF_SMTP_PORT]),
        security=security,
        username=options.get(CONF_SMTP_USERNAME) or None,
        password=options.get(CONF_SMTP_PASSWORD) or None,
        sender_address=options[CONF_SMTP_SENDER],
    )
    if timeout is not None:
        smtp = replace(smtp, timeout=timeout)
    # Home Assistant's shared context: building one reads the CA bundle (blocking I/O)
    tls_context = client_context() if security is not SmtpSecurity.NONE else None
    return Mail2SmsGateway(data[LOGIN], data[API_KEY], smtp, tls_context=tls_context)
