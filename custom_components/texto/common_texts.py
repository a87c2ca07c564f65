"""Texto's own texts sent by SMS (translations ``common``), in Home Assistant's language."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN


async def async_common_texts(hass: HomeAssistant, english: Mapping[str, str]) -> dict[str, str]:
    """The ``common`` texts ``english`` names, in Home Assistant's language.

    A text the language lacks (or that cannot be read) is the English one given: an SMS
    always has words.
    """
    strings = await async_get_translations(hass, hass.config.language, "common", {DOMAIN})
    prefix = f"component.{DOMAIN}.common."
    return {key: strings.get(prefix + key) or text for key, text in english.items()}
