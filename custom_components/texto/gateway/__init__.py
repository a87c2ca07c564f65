"""Async clients for French SMS gateways: AllMySMS (HTTPS 9.0 and Mail2SMS), smsmode, 123-SMS.

Knows nothing of Home Assistant. Each route has its client (``AllMySmsGateway``,
``Mail2SmsGateway``, ``SmsmodeGateway``, ``Sms123Gateway``), an async context manager that
uses the caller's ``aiohttp.ClientSession`` or opens (and closes) its own; ``prepare``
checks a request without I/O, ``send`` sends it. ``PROVIDERS`` tells a caller what it
needs to know of each provider. Results are typed (``models``) and every failure is one of
``errors``, which also says whether a failed send may have gone out (``Outcome``).
"""

from .allmysms import AllMySmsGateway
from .base import Gateway, HttpGateway
from .errors import GatewayError, Outcome
from .mail2sms import Mail2SmsGateway, SmtpSecurity, SmtpSettings
from .models import (
    Balance,
    BalanceUnit,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    Estimate,
    InboundMessage,
    LostSendCheck,
    PreparedSend,
    Provider,
    Route,
    SearchOutcome,
    SendRequest,
    SendResult,
    SendSearch,
    SendStatus,
    StopMention,
    TextPolicy,
)
from .phases import AttemptTrace, Phase, phase_tracing, trace_attempt
from .providers import PROVIDERS, ProviderInfo, route_provider
from .sms123 import Sms123Gateway
from .smsmode import SmsmodeGateway

__all__ = [
    "PROVIDERS",
    "AllMySmsGateway",
    "AttemptTrace",
    "Balance",
    "BalanceUnit",
    "Capabilities",
    "DeliveryReport",
    "DeliveryStatus",
    "Encoding",
    "Estimate",
    "Gateway",
    "GatewayError",
    "HttpGateway",
    "InboundMessage",
    "LostSendCheck",
    "Mail2SmsGateway",
    "Outcome",
    "Phase",
    "PreparedSend",
    "Provider",
    "ProviderInfo",
    "Route",
    "SearchOutcome",
    "SendRequest",
    "SendResult",
    "SendSearch",
    "SendStatus",
    "Sms123Gateway",
    "SmsmodeGateway",
    "SmtpSecurity",
    "SmtpSettings",
    "StopMention",
    "TextPolicy",
    "phase_tracing",
    "route_provider",
    "trace_attempt",
]
