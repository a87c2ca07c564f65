"""A modem account's SIM balance, asked by USSD with the code the user gave (e.g. ``#123#``).

A USSD request is a network exchange (some operators answer with a text message too), so it
is never polled faster than hourly: read once the modem is reached, then every hour, and
when a person asks (``homeassistant.update_entity``). A failed read makes the sensor
unavailable and says so in one warning line, not an error: an operator's USSD service that
is down is no fault of Home Assistant's, and Texto keeps sending all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, USSD_BALANCE_INTERVAL
from .gateway.errors import GatewayError, TemporarilyUnavailableError
from .gateway.modem import ModemGateway
from .gateway.modem_ussd import first_amount
from .modem_status import ModemStatusCoordinator

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UssdBalance:
    """What the operator answered, and the amount it tells (None when it tells none)."""

    amount: float | None
    reply: str


class UssdBalanceCoordinator(DataUpdateCoordinator[UssdBalance | None]):
    """Reads the balance by USSD; None when the last read failed (the sensor unavailable)."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, modem: ModemGateway, code: str
    ) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} USSD balance",
            update_interval=USSD_BALANCE_INTERVAL,
        )
        self.modem = modem
        self._code = code
        #: no read tried yet: the first waits for the modem to be reached
        self._first_read_due = True
        #: the last read failed: said once, not at every hour
        self._failing = False

    async def _async_update_data(self) -> UssdBalance | None:
        self._first_read_due = False
        try:
            reply = await self.modem.read_ussd(self._code)
        except GatewayError as err:
            self._log_failure(err)
            return None
        self._failing = False
        return UssdBalance(first_amount(reply), reply)

    def _log_failure(self, err: GatewayError) -> None:
        assert self.config_entry is not None
        # the modem away is said by the status already; an operator's refusal once
        if self._failing or isinstance(err, TemporarilyUnavailableError):
            _LOGGER.debug("%s: the balance could not be read: %s", self.config_entry.title, err)
        else:
            _LOGGER.warning(
                "%s: the balance could not be read by USSD (%s); tried again in an hour",
                self.config_entry.title,
                err,
            )
        self._failing = True

    @callback
    def async_start(self, status: ModemStatusCoordinator) -> CALLBACK_TYPE:
        """The first read: now if the modem is reached, else once it is; the unsubscriber."""

        @callback
        def read_once_reached() -> None:
            if self._first_read_due and self.modem.connected:
                self._first_read_due = False
                assert self.config_entry is not None
                # in the background: a USSD answer may take 20 s, and an unload cancels it
                self.config_entry.async_create_background_task(
                    self.hass, self.async_refresh(), f"{DOMAIN} first USSD balance"
                )

        read_once_reached()
        return status.async_add_listener(read_once_reached)
