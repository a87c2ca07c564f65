"""The translation of gateway errors that no simulated gateway can produce."""

from __future__ import annotations

import pytest
from homeassistant.exceptions import HomeAssistantError

from custom_components.texto.errors import raise_translated
from custom_components.texto.gateway.errors import CallbackError, ValidationError


def test_an_unlisted_gateway_error_keeps_its_code() -> None:
    with pytest.raises(HomeAssistantError) as raised:
        raise_translated(CallbackError("malformed", code="E9"))
    assert raised.value.translation_key == "gateway_error"
    assert raised.value.translation_placeholders == {"code": "E9"}


def test_an_unlisted_validation_error_names_its_field() -> None:
    with pytest.raises(HomeAssistantError) as raised:
        raise_translated(ValidationError("bad", field="reference"))
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders == {"field": "reference"}
