"""Build the gateway clients of a config entry from its stored data and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_KEY, CONF_URL, CONF_USERNAME

from .const import (
    CONF_PROVIDER,
    CONF_SMTP_HOST,
    CONF_SMTP_PASSWORD,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_SMTP_USERNAME,
)
from .gateway import allmysms, sms123, smsmode
from .gateway.allmysms import AllMySmsGateway
from .gateway.base import Gateway
from .gateway.mail2sms import Mail2SmsGateway, SmtpSecurity, SmtpSettings
from .gateway.models import Provider
from .gateway.sms123 import Sms123Gateway
from .gateway.smsmode import SmsmodeGateway

#: the official base URL of each HTTP gateway: what an empty URL field means
DEFAULT_URLS: dict[Provider, str] = {
    Provider.ALLMYSMS: allmysms.DEFAULT_BASE_URL,
    Provider.SMSMODE: smsmode.DEFAULT_BASE_URL,
    Provider.SMS123: sms123.DEFAULT_BASE_URL,
}


def create_gateway(session: aiohttp.ClientSession, data: Mapping[str, Any]) -> Gateway:
    """The HTTP gateway client an entry's data describes (the official URL when none is set)."""
    provider = Provider(data[CONF_PROVIDER])
    base_url: str = data.get(CONF_URL) or DEFAULT_URLS[provider]
    if provider is Provider.ALLMYSMS:
        return AllMySmsGateway(session, data[CONF_USERNAME], data[CONF_API_KEY], base_url=base_url)
    if provider is Provider.SMSMODE:
        return SmsmodeGateway(session, data[CONF_ACCESS_TOKEN], base_url=base_url)
    if provider is Provider.SMS123:
        return Sms123Gateway(session, data[CONF_USERNAME], data[CONF_API_KEY], base_url=base_url)
    raise ValueError(f"no HTTP gateway for {provider}")


def create_mail2sms(data: Mapping[str, Any], options: Mapping[str, Any]) -> Mail2SmsGateway | None:
    """The Mail2SMS route of an AllMySMS entry, when its options configure one."""
    if data[CONF_PROVIDER] != Provider.ALLMYSMS or not options.get(CONF_SMTP_HOST):
        return None
    smtp = SmtpSettings(
        host=options[CONF_SMTP_HOST],
        port=int(options[CONF_SMTP_PORT]),
        security=SmtpSecurity(options[CONF_SMTP_SECURITY]),
        username=options.get(CONF_SMTP_USERNAME) or None,
        password=options.get(CONF_SMTP_PASSWORD) or None,
        sender_address=options[CONF_SMTP_SENDER],
    )
    return Mail2SmsGateway(data[CONF_USERNAME], data[CONF_API_KEY], smtp)
