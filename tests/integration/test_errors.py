"""The translation of gateway errors that no simulated gateway can produce."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from homeassistant.exceptions import HomeAssistantError

from custom_components.texto.errors import raise_translated
from custom_components.texto.gateway.allmysms import AllMySmsGateway
from custom_components.texto.gateway.errors import (
    CallbackError,
    GatewayError,
    InvalidSenderError,
    UnsupportedFeatureError,
    ValidationError,
)
from custom_components.texto.gateway.models import Route
from custom_components.texto.gateway.sender import SenderRule, validate_sender
from custom_components.texto.gateway.sms123 import Sms123Gateway
from custom_components.texto.gateway.smsmode import SmsmodeGateway


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


# --- messages that name what failed ------------------------------------------------------------

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "texto" / "translations"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _message(key: str, language: str) -> str:
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    return str(strings["exceptions"][key]["message"])


def _raised(err: GatewayError) -> HomeAssistantError:
    with pytest.raises(HomeAssistantError) as raised:
        raise_translated(err)
    return raised.value


@pytest.mark.parametrize(
    ("sender", "rule", "key"),
    [
        ("AB", AllMySmsGateway.sender_rule, "sender_length"),
        ("MA-MAISON", AllMySmsGateway.sender_rule, "sender_characters_spaces"),
        ("MA MAISON", SmsmodeGateway.sender_rule, "sender_characters"),
        ("0612345678", Sms123Gateway.sender_rule, "sender_digits_only"),
        ("1MAISON", AllMySmsGateway.sender_rule, "sender_first_letter"),
    ],
)
def test_a_refused_sender_is_told_which_rule_failed(
    sender: str, rule: SenderRule, key: str
) -> None:
    with pytest.raises(InvalidSenderError) as refused:
        validate_sender(sender, rule)

    error = _raised(refused.value)

    assert error.translation_key == key
    for language in ("en", "fr"):
        # every placeholder the message names has its value, and no other
        wanted = set(_PLACEHOLDER.findall(_message(key, language)))
        assert wanted == set(error.translation_placeholders or {})


def test_a_sender_where_none_is_allowed() -> None:
    error = _raised(InvalidSenderError("a voice message has no sender"))
    assert error.translation_key == "sender_not_allowed"


@pytest.mark.parametrize("feature", ["flash", "voice", "send_at", "replies", "cancel"])
def test_a_missing_feature_is_named_in_words(feature: str) -> None:
    error = _raised(UnsupportedFeatureError(feature, Route.MAIL2SMS))
    assert error.translation_key == f"unsupported_{feature}"
    assert error.translation_placeholders == {"gateway": "AllMySMS"}


def test_another_missing_feature_keeps_its_name() -> None:
    error = _raised(UnsupportedFeatureError("balance", Route.MAIL2SMS))
    assert error.translation_key == "unsupported_feature"
    assert error.translation_placeholders == {"feature": "balance", "gateway": "AllMySMS"}
