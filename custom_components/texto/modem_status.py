"""A modem account's status: signal, network and SIM read every minute, and what they call for.

The library keeps the modem going once it was reached (a port that goes is reopened, a
modem that stops answering too). This coordinator reaches it at start-up, and keeps trying
while it never was: the entry loads all the same and alerts wait in the outbox. It reads the
status every minute, restarts the radio once when the modem has had no network for
``NO_NETWORK_GRACE``, and raises the repair issues: the SIM needs a person (its PIN, its PUK,
a SIM at all), or still no network after the restart. Each time the modem is ready to send
again (reached, reopened, restarted), it says so (``on_modem_back``): what waits goes then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, MODEM_CONNECT_INTERVAL, MODEM_STATUS_INTERVAL
from .gateway.errors import GatewayError
from .gateway.modem import (
    InvalidPinError,
    ModemError,
    ModemGateway,
    ModemStatus,
    PinRequiredError,
    SimError,
)
from .issues import async_set_no_network_issue, async_set_sim_issue

_LOGGER = logging.getLogger(__name__)

#: how long without a network before the radio is restarted, then before the repair issue
NO_NETWORK_GRACE = timedelta(minutes=5)
#: the SIM states a person must see to, and the repair issue each one raises
_SIM_PROBLEMS = {
    "pin_required": "sim_pin_required",
    "puk_required": "sim_puk_required",
    "not_inserted": "sim_not_inserted",
}
#: SIM states that say nothing either way (the SIM answers later): the issue stays as it is
_SIM_UNSETTLED = frozenset({"busy", "unknown"})


def _locked(sim_state: str) -> ModemStatus:
    """What the sensors show of a modem whose SIM stopped the initialisation."""
    return ModemStatus(
        signal_dbm=None,
        registered=False,
        registration="unknown",
        operator=None,
        sim_state=sim_state,
    )


class ModemStatusCoordinator(DataUpdateCoordinator[ModemStatus]):
    """Reaches the modem, then reads its status; unavailable while it cannot be read."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, modem: ModemGateway) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} modem status",
            update_interval=MODEM_STATUS_INTERVAL,
        )
        self.modem = modem
        #: reached once: from then on the library reopens the port by itself
        self._reached = False
        #: when the network went (the repair says for how long), and since the radio restart
        self._no_network_at: datetime | None = None
        self._no_network_since: datetime | None = None
        self._radio_restarted = False
        #: told when the modem is ready to send again (the account's outbox retries then)
        self.on_modem_back: Callable[[], None] = lambda: None
        # the library says so, in the event loop: reached, reopened, radio restarted
        # (late-bound: the account sets ``on_modem_back`` once it exists)
        modem.set_ready_handler(lambda: self.on_modem_back())  # noqa: PLW0108

    async def _async_update_data(self) -> ModemStatus:
        if not self._reached:
            return await self._async_connect()
        try:
            status = await self.modem.status()
        except GatewayError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="modem_unavailable"
            ) from err
        self._check_sim(status.sim_state)
        await self._async_check_network(status)
        return status

    async def _async_connect(self) -> ModemStatus:
        """Open the port and initialise the modem; a SIM problem is shown, not retried blindly."""
        # a SIM problem is retried every minute: the library never sends a refused PIN again
        self.update_interval = MODEM_STATUS_INTERVAL
        try:
            status = await self.modem.connect()
        except PinRequiredError:
            return self._sim_stopped("sim_pin_required", "pin_required")
        except InvalidPinError:
            return self._sim_stopped("sim_pin_refused", "pin_required")
        except SimError as err:
            return self._sim_stopped(_SIM_PROBLEMS.get(err.sim_state), err.sim_state)
        except ModemError as err:
            # missing, held by another program, silent: tried again soon
            self.update_interval = MODEM_CONNECT_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="modem_unavailable"
            ) from err
        self._reached = True
        self._check_sim(status.sim_state)
        await self._async_check_network(status)
        return status

    def _sim_stopped(self, problem: str | None, sim_state: str) -> ModemStatus:
        async_set_sim_issue(self.hass, self._entry, problem)
        return _locked(sim_state)

    def _check_sim(self, sim_state: str) -> None:
        if sim_state not in _SIM_UNSETTLED:
            async_set_sim_issue(self.hass, self._entry, _SIM_PROBLEMS.get(sim_state))

    async def _async_check_network(self, status: ModemStatus) -> None:
        """No network for a while: the radio restarted once, then a repair issue."""
        if status.registered or status.sim_state != "ready":
            # without a usable SIM there is no network to wait for: the SIM issue says why
            self._no_network_at = self._no_network_since = None
            self._radio_restarted = False
            async_set_no_network_issue(self.hass, self._entry, None)
            return
        now = dt_util.utcnow()
        if self._no_network_at is None or self._no_network_since is None:
            self._no_network_at = self._no_network_since = now
            return
        if now - self._no_network_since < NO_NETWORK_GRACE:
            return
        if not self._radio_restarted:
            _LOGGER.info("%s: no network for a while; restarting the radio", self._entry.title)
            self._radio_restarted = True
            self._no_network_since = now
            try:
                await self.modem.restart_radio()
            except GatewayError as err:
                _LOGGER.debug("%s: the radio did not restart: %s", self._entry.title, err)
            return
        minutes = round((now - self._no_network_at).total_seconds() / 60)
        async_set_no_network_issue(self.hass, self._entry, minutes)

    @property
    def _entry(self) -> ConfigEntry:
        assert self.config_entry is not None
        return self.config_entry

    async def async_restart(self) -> None:
        """Radio off and on, then Texto's initialisation again (the button)."""
        try:
            await self.modem.restart_radio()
        except GatewayError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="modem_restart_failed"
            ) from err
        await self.async_request_refresh()
