"""Fixtures shared by every test."""

from __future__ import annotations

# Imported before Home Assistant's `hass` fixture puts its own testing config on sys.path,
# so that HA finds this project's custom_components package (see home-assistant.md).
import custom_components.texto  # noqa: F401
