"""The routes an account's messages may take, as its options and Home Assistant's entries say.

Its own HTTP API (named by its entry id), its Mail2SMS route (``mail2sms``), and another
Texto account as a fallback (named by that account's entry id, carried by that account's
first route). Delivery asks for them at each attempt: an option changed, or a fallback
account unloaded, counts from the next attempt on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import (
    CONF_FALLBACK,
    CONF_ROUTE,
    CONF_UNCONFIRMED_POLICY,
    DOMAIN,
    FALLBACK_MAIL2SMS,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    ROUTE_EMAIL,
    UNCONFIRMED_REPORT,
    UNCONFIRMED_RESEND,
)
from .delivery import AccountRoute
from .gateway.base import Gateway
from .outbox import OutboxItem
from .sent_log import SentLog


class RouteOwner(Protocol):
    """What another account offers as a fallback: its routes."""

    routes: AccountRoutes


class AccountRoutes:
    """The routes of one account (``delivery.Routes``)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        gateway: Gateway,
        mail2sms: Gateway | None,
        *,
        sent_log: SentLog,
        persist: Callable[[OutboxItem], Awaitable[None]],
        callback_url: Callable[[], str | None],
    ) -> None:
        self._hass = hass
        self._entry = entry
        self.gateway = gateway
        self.mail2sms = mail2sms
        self._sent_log = sent_log
        self._persist = persist
        self._callback_url = callback_url

    def _route(self, name: str, gateway: Gateway) -> AccountRoute:
        return AccountRoute(name, gateway, self._sent_log, self._start_reauth, self._callback_url())

    def _start_reauth(self) -> None:
        self._entry.async_start_reauth(self._hass)

    @property
    def first_gateway(self) -> Gateway:
        """The client a send tries first: the API, or Mail2SMS for the e-mail route."""
        return self.primary().gateway

    def primary(self) -> AccountRoute:
        """The API, or Mail2SMS when the account's route is e-mail."""
        route = self._entry.options.get(CONF_ROUTE, ROUTE_API)
        if route == ROUTE_EMAIL and self.mail2sms is not None:
            return self._route(FALLBACK_MAIL2SMS, self.mail2sms)
        return self._route(self._entry.entry_id, self.gateway)

    def email(self) -> AccountRoute | None:
        """Mail2SMS as the ``api_then_email`` route's second way, when the API is unavailable."""
        route = self._entry.options.get(CONF_ROUTE, ROUTE_API)
        if route != ROUTE_API_THEN_EMAIL or self.mail2sms is None:
            return None
        return self._route(FALLBACK_MAIL2SMS, self.mail2sms)

    def fallback(self) -> AccountRoute | None:
        """The fallback the options name, when it can be used now."""
        name = self._entry.options.get(CONF_FALLBACK) or ""
        if name == FALLBACK_MAIL2SMS:
            if self.mail2sms is None or self.primary().name == FALLBACK_MAIL2SMS:
                return None
            return self._route(FALLBACK_MAIL2SMS, self.mail2sms)
        if not name or name == self._entry.entry_id:
            return None
        return self._other_account_route(name)

    def named(self, name: str | None) -> AccountRoute | None:
        """The route an item's ``route`` names (None: the primary), when it still exists."""
        if name is None:
            return self.primary()
        if name == FALLBACK_MAIL2SMS:
            return None if self.mail2sms is None else self._route(name, self.mail2sms)
        if name == self._entry.entry_id:
            return self._route(name, self.gateway)
        return self._other_account_route(name)

    async def async_persist(self, item: OutboxItem) -> None:
        """Write ``item`` now (its attempt is about to send by another route)."""
        await self._persist(item)

    def resends_unconfirmed(self) -> bool:
        """Whether the account's policy for unconfirmed outcomes is ``resend``."""
        policy = self._entry.options.get(CONF_UNCONFIRMED_POLICY, UNCONFIRMED_REPORT)
        return bool(policy == UNCONFIRMED_RESEND)

    def _other_account_route(self, entry_id: str) -> AccountRoute | None:
        """Another loaded Texto account's first route, named by its entry id."""
        entry = self._hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return None
        other: RouteOwner = entry.runtime_data
        first = other.routes.primary()
        # its reports and replies go to that account's webhook: its log knows the send
        return replace(first, name=entry_id)
