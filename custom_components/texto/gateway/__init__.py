"""Async clients for French SMS gateways: AllMySMS (HTTPS 9.0 and Mail2SMS), smsmode, 123-SMS.

Knows nothing of Home Assistant: the HTTP routes take the caller's ``aiohttp.ClientSession``,
every route is a ``Gateway`` (``prepare`` checks a request without I/O, ``send`` sends it),
results are typed (``models``) and every failure is one of ``errors`` — which also says
whether a failed send may have gone out (``Outcome``).
"""

from .allmysms import AllMySmsGateway
from .base import Gateway
from .errors import GatewayError, Outcome
from .mail2sms import Mail2SmsGateway, SmtpSecurity, SmtpSettings
from .models import (
    Balance,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    Estimate,
    InboundMessage,
    Provider,
    SendRequest,
    SendResult,
    SendStatus,
    StopMention,
    TextPolicy,
)
from .sms123 import Sms123Gateway
from .smsmode import SmsmodeGateway

__all__ = [
    "AllMySmsGateway",
    "Balance",
    "DeliveryReport",
    "DeliveryStatus",
    "Encoding",
    "Estimate",
    "Gateway",
    "GatewayError",
    "InboundMessage",
    "Mail2SmsGateway",
    "Outcome",
    "Provider",
    "SendRequest",
    "SendResult",
    "SendStatus",
    "Sms123Gateway",
    "SmsmodeGateway",
    "SmtpSecurity",
    "SmtpSettings",
    "StopMention",
    "TextPolicy",
]
