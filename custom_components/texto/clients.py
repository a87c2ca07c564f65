"""Build the gateway clients of a config entry from its stored data and options.

An entry is a gateway company's account (its HTTP API, and AllMySMS's Mail2SMS) or the
user's own modem (``provider: "modem"``): the registry (``PROVIDERS``) knows the companies,
the modem is not one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from homeassistant.const import CONF_URL
from homeassistant.util.ssl import client_context

from .const import (
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PIN,
    CONF_PROVIDER,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
    DEFAULT_BAUDRATE,
)
from .gateway import (
    PROVIDERS,
    Gateway,
    HttpGateway,
    Mail2SmsGateway,
    Provider,
    SmtpSecurity,
    SmtpSettings,
)
from .gateway.modem import ModemGateway
from .gateway.providers import API_KEY, LOGIN

# The modem's timings: the library's own figures (constants, so that tests can shorten them;
# users have no reason to change them).
#: seconds the network may take to answer a written PDU (modems document up to 120 s)
MODEM_ANSWER_TIMEOUT: float = 120.0
#: seconds for the ``> `` prompt after ``AT+CMGS``
MODEM_PROMPT_TIMEOUT: float = 10.0
#: seconds for any other command's answer
MODEM_COMMAND_TIMEOUT: float = 10.0
#: seconds between quiet ``AT`` checks of an idle modem (two missed: the port is reopened)
MODEM_KEEPALIVE_INTERVAL: float = 60.0
#: the first and the longest delay between tries to reopen a port that went
MODEM_REOPEN_DELAYS: tuple[float, float] = (1.0, 60.0)
#: seconds a long reply waits for its missing parts before what arrived is fired
MODEM_PART_TIMEOUT: float = 600.0


def is_modem(data: Mapping[str, Any]) -> bool:
    """Whether an entry's data describe the user's own modem (not a gateway company)."""
    return bool(data[CONF_PROVIDER] == Provider.MODEM)


def gateway_class(provider: Provider) -> type[Gateway]:
    """The client class of a provider's first route: its capabilities and sender rule."""
    if provider is Provider.MODEM:
        return ModemGateway
    return PROVIDERS[provider].client_class


def create_modem(data: Mapping[str, Any]) -> ModemGateway:
    """The modem an entry's data describe (not connected yet: ``connect``)."""
    return ModemGateway(
        data[CONF_DEVICE],
        pin=data.get(CONF_PIN) or None,
        baudrate=int(data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE)),
        init_commands=tuple(data.get(CONF_INIT_COMMANDS, ())),
        answer_timeout=MODEM_ANSWER_TIMEOUT,
        prompt_timeout=MODEM_PROMPT_TIMEOUT,
        command_timeout=MODEM_COMMAND_TIMEOUT,
        keepalive_interval=MODEM_KEEPALIVE_INTERVAL,
        reopen_delays=MODEM_REOPEN_DELAYS,
        part_timeout=MODEM_PART_TIMEOUT,
    )


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
    provider = PROVIDERS.get(Provider(data[CONF_PROVIDER]))
    if provider is None or not provider.has_mail2sms or not options.get(CONF_SMTP_HOST):
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
