"""What the config, options and recipient flows share: gateways and selectors."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .gateway.allmysms import AllMySmsGateway
from .gateway.base import Gateway
from .gateway.models import Provider
from .gateway.sms123 import Sms123Gateway
from .gateway.smsmode import SmsmodeGateway

#: the gateways a user can set up, each with its own step (and step id)
GATEWAY_CLASSES: Mapping[Provider, type[Gateway]] = {
    Provider.ALLMYSMS: AllMySmsGateway,
    Provider.SMSMODE: SmsmodeGateway,
    Provider.SMS123: Sms123Gateway,
}
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
USERNAME_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)
TEXT_SELECTOR = TextSelector()


def select_selector(options: list[str], translation_key: str) -> SelectSelector:
    """A drop-down of ``options`` translated under ``selector.<translation_key>``."""
    return SelectSelector(
        SelectSelectorConfig(
            options=options, translation_key=translation_key, mode=SelectSelectorMode.DROPDOWN
        )
    )
