"""The registry: what the library knows of each provider, for a caller that serves several.

A caller reads ``PROVIDERS`` rather than testing client classes: the provider's name, its
official URLs, the credentials it takes (and which one is secret), how its callbacks are
encoded and must be answered, and the client of its HTTP API (whose ``capabilities`` say
what it can do, down to how a lost send can be checked).

The user's own modem (``Provider.MODEM``) is no gateway company: it has no HTTP API, no
credentials and no callbacks, so it is not here; its client is ``modem.ModemGateway``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from . import allmysms, sms123, smsmode
from .allmysms import AllMySmsGateway
from .base import HttpGateway
from .models import Capabilities, DeliveryReport, InboundMessage, Provider, Route
from .sender import SenderRule
from .sms123 import Sms123Gateway
from .smsmode import SmsmodeGateway

if TYPE_CHECKING:
    import aiohttp

#: the names of the credentials, as ``ProviderInfo.create_client`` takes them
LOGIN: Final = "username"
API_KEY: Final = "api_key"
ACCESS_TOKEN: Final = "access_token"  # noqa: S105 - a field name

type ClientFactory = Callable[[Mapping[str, str], "aiohttp.ClientSession | None", str], HttpGateway]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderInfo:
    """One provider, as a caller needs to know it."""

    provider: Provider
    #: the name as the company writes it
    name: str
    default_base_url: str
    #: where the account holder manages the account (credit, sender names, callback URLs)
    customer_area_url: str
    #: the credential naming the account, None when a token is all there is
    login_field: str | None
    #: the credential to keep secret
    secret_field: str
    #: how the text of a callback may be encoded, tried in order
    callback_charsets: tuple[str, ...]
    #: the body every callback must be answered with, whatever it carried (123-SMS
    #: considers the URL broken otherwise); None: an HTTP status is enough
    callback_answer: str | None
    #: the client of the provider's HTTP API
    client_class: type[HttpGateway]
    #: the provider also carries SMS sent as e-mails (AllMySMS Mail2SMS, ``Mail2SmsGateway``)
    has_mail2sms: bool
    #: some genuine callbacks cannot reach a webhook, so a caller should poll as well:
    #: smsmode calls back by GET with the reply's text in the query, and a text holding a
    #: line break, a tab, ``../`` or ``<script`` is refused by the receiving web server's
    #: security filter (Home Assistant's answers 400) before any webhook sees it
    poll_alongside_webhook: bool = False
    _factory: ClientFactory

    @property
    def route(self) -> Route:
        """The route of the provider's HTTP API."""
        return self.client_class.route

    @property
    def capabilities(self) -> Capabilities:
        """What the HTTP API can do."""
        return self.client_class.capabilities

    @property
    def sender_rule(self) -> SenderRule:
        """What a custom sender must look like on the HTTP API."""
        return self.client_class.sender_rule

    def create_client(
        self,
        credentials: Mapping[str, str],
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str | None = None,
    ) -> HttpGateway:
        """The HTTP API's client for these credentials (``login_field``, ``secret_field``).

        With ``session`` the client uses it and leaves it open; without, it opens its own
        and closes it with the client. ``base_url`` defaults to the official one.
        """
        return self._factory(credentials, session, base_url or self.default_base_url)

    def parse_callback(self, params: Mapping[str, str]) -> DeliveryReport | InboundMessage | None:
        """Read one of the provider's callbacks (see ``Gateway.parse_callback``)."""
        return self.client_class.parse_callback(params)


def _allmysms(
    credentials: Mapping[str, str], session: aiohttp.ClientSession | None, base_url: str
) -> HttpGateway:
    return AllMySmsGateway(
        credentials[LOGIN], credentials[API_KEY], session=session, base_url=base_url
    )


def _smsmode(
    credentials: Mapping[str, str], session: aiohttp.ClientSession | None, base_url: str
) -> HttpGateway:
    return SmsmodeGateway(credentials[ACCESS_TOKEN], session=session, base_url=base_url)


def _sms123(
    credentials: Mapping[str, str], session: aiohttp.ClientSession | None, base_url: str
) -> HttpGateway:
    return Sms123Gateway(
        credentials[LOGIN], credentials[API_KEY], session=session, base_url=base_url
    )


PROVIDERS: Final[Mapping[Provider, ProviderInfo]] = {
    Provider.ALLMYSMS: ProviderInfo(
        provider=Provider.ALLMYSMS,
        name="AllMySMS",
        default_base_url=allmysms.DEFAULT_BASE_URL,
        customer_area_url="https://manager.allmysms.com",
        login_field=LOGIN,
        secret_field=API_KEY,
        callback_charsets=("utf-8",),
        callback_answer=None,
        client_class=AllMySmsGateway,
        has_mail2sms=True,
        _factory=_allmysms,
    ),
    Provider.SMSMODE: ProviderInfo(
        provider=Provider.SMSMODE,
        name="smsmode",
        default_base_url=smsmode.DEFAULT_BASE_URL,
        customer_area_url="https://ui.smsmode.com",
        login_field=None,
        secret_field=ACCESS_TOKEN,
        # the manual documents ISO-8859-15 for what smsmode sends (a reply's text)
        callback_charsets=("utf-8", "iso-8859-15"),
        callback_answer=None,
        client_class=SmsmodeGateway,
        has_mail2sms=False,
        poll_alongside_webhook=True,
        _factory=_smsmode,
    ),
    Provider.SMS123: ProviderInfo(
        provider=Provider.SMS123,
        name="123-SMS",
        default_base_url=sms123.DEFAULT_BASE_URL,
        customer_area_url="https://www.123-sms.net",
        login_field=LOGIN,
        secret_field=API_KEY,
        callback_charsets=("utf-8",),
        callback_answer="OK",
        client_class=Sms123Gateway,
        has_mail2sms=False,
        _factory=_sms123,
    ),
}


def route_provider(route: Route) -> ProviderInfo:
    """The provider a route sends through (Mail2SMS: AllMySMS); not for ``Route.MODEM``."""
    return PROVIDERS[route.provider]
