"""The account's balance, polled every 30 minutes and after each send.

While the gateway cannot be reached, it is asked every 5 minutes instead.
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import BALANCE_INTERVAL, BALANCE_RETRY_INTERVAL, DOMAIN
from .gateway.base import Gateway
from .gateway.errors import AuthenticationError, GatewayError
from .gateway.models import Balance

_LOGGER = logging.getLogger(__name__)


class BalanceCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches the balance; unavailable (and logged once) while the gateway is unreachable."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, gateway: Gateway) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} balance",
            update_interval=BALANCE_INTERVAL,
        )
        self.gateway = gateway

    async def _async_update_data(self) -> Balance:
        try:
            balance = await self.gateway.get_balance()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except GatewayError as err:
            # back sooner than the usual half hour once the gateway answers again
            self.update_interval = BALANCE_RETRY_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="balance_unavailable"
            ) from err
        self.update_interval = BALANCE_INTERVAL
        return balance
