"""The typed config entry of a Texto account: its runtime data is the account."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry

from .account import TextoAccount

type TextoConfigEntry = ConfigEntry[TextoAccount]
