"""The spending guard: a daily cap on billed parts, so an automation loop cannot empty the account.

CONTRACT (to be implemented by helper H3): see the docstrings.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .account import TextoConfigEntry


class SpendingGuard:
    """Counts the parts billed today (Home Assistant's local day) against the option's cap."""

    def __init__(self, hass: HomeAssistant, entry: TextoConfigEntry) -> None:
        self.hass = hass
        self.entry = entry

    async def async_load(self) -> None:
        """Read today's count."""
        raise NotImplementedError

    def check(self, parts: int) -> None:
        """Refuse ``parts`` more when they would pass the cap.

        Raise a translated ServiceValidationError (and the repair issue saying why); do
        nothing when the cap is off (0).
        """
        raise NotImplementedError

    def record(self, parts: int) -> None:
        """Count ``parts`` billed (an accepted send)."""
        raise NotImplementedError
