"""What carried a send, in the words users read: the kind of route, and the account.

The outbox names the way an attempt took by an internal name: the entry id of the account
whose API (or whose first route, for a fallback account) carried it, or ``mail2sms`` for the
account's own Mail2SMS. Users read a route as *how* a message went, so the actions, the
events and ``last_status`` say ``route`` in the library's words (``allmysms``, ``mail2sms``,
``smsmode``, ``sms123``, ``modem``), and the account that carried it as ``account`` (its
entry id) and ``account_name`` (its title). Outbox items and journal records keep the
internal way, as earlier versions stored it; ``last_status`` stored it as ``route`` before
it had ``account``: both are read through this mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import CONF_PROVIDER, DOMAIN, FALLBACK_MAIL2SMS
from .gateway.models import Route
from .routes import RouteOwner


@dataclass(frozen=True, slots=True)
class Carrier:
    """The route kind and the account that carried a send (all None: nothing carried it)."""

    route: str | None = None
    account: str | None = None
    account_name: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The keys the responses, the events and ``last_status`` show."""
        return {"route": self.route, "account": self.account, "account_name": self.account_name}


def account_name(hass: HomeAssistant, entry_id: str | None) -> str | None:
    """The title of a Texto account (None when it no longer exists)."""
    entry = None if entry_id is None else hass.config_entries.async_get_entry(entry_id)
    return None if entry is None or entry.domain != DOMAIN else entry.title


def carrier_of(
    hass: HomeAssistant, entry: ConfigEntry[Any], way: str | None, carried_by: Route | None = None
) -> Carrier:
    """What the internal ``way`` of an item of ``entry`` means to a user.

    ``carried_by`` is the route the gateway's answer names, when there was one: it is exact.
    Without it (a send that failed) the route is the one the way tries first.
    """
    if way is None:
        return Carrier()
    if way == FALLBACK_MAIL2SMS:
        return Carrier(str(Route.MAIL2SMS), entry.entry_id, entry.title)
    route = str(carried_by) if carried_by is not None else _first_route_of(hass, entry, way)
    return Carrier(route, way, account_name(hass, way))


def _first_route_of(hass: HomeAssistant, entry: ConfigEntry[Any], entry_id: str) -> str | None:
    """The route a way named by an entry id takes: the account's API, a fallback's first."""
    if entry_id == entry.entry_id:
        return str(entry.data[CONF_PROVIDER])
    other = hass.config_entries.async_get_entry(entry_id)
    if other is None or other.domain != DOMAIN:
        return None
    if other.state is ConfigEntryState.LOADED:
        owner: RouteOwner = other.runtime_data
        return str(owner.routes.primary().gateway.route)
    return str(other.data[CONF_PROVIDER])
