"""The options step ``delivery``: the outbox's maximum age, the fallback route, the daily cap.

The entries are not set up (the flow only reads their options and the other entries);
every flow result is checked against en.json (``check_flow_translations``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_KEY, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers.selector import SelectSelector
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.const import (
    CONF_DAILY_PARTS_CAP,
    CONF_FALLBACK,
    CONF_MAX_AGE,
    CONF_MAX_PARTS,
    CONF_PROVIDER,
    CONF_SMTP_HOST,
    CONF_SMTP_PORT,
    CONF_SMTP_SECURITY,
    CONF_SMTP_SENDER,
    CONF_UNCONFIRMED_POLICY,
    DOMAIN,
)

from .common import CURRENT_MINOR_VERSION

pytestmark = pytest.mark.usefixtures("check_flow_translations", "mock_setup_entry")

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "texto" / "translations"
SMTP = {
    CONF_SMTP_HOST: "smtp.example.fr",
    CONF_SMTP_PORT: 587,
    CONF_SMTP_SECURITY: "starttls",
    CONF_SMTP_SENDER: "maison@example.fr",
}


def _allmysms(hass: HomeAssistant, login: str, options: dict[str, Any] | None = None) -> str:
    entry = MockConfigEntry(
        domain=DOMAIN,
        minor_version=CURRENT_MINOR_VERSION,
        title=f"AllMySMS ({login})",
        unique_id=f"allmysms:{login}",
        data={
            CONF_PROVIDER: "allmysms",
            CONF_USERNAME: login,
            CONF_API_KEY: "key",
            CONF_URL: "http://127.0.0.1:9",
        },
        options=options or {},
    )
    entry.add_to_hass(hass)
    return entry.entry_id


def _smsmode(hass: HomeAssistant, title: str, **kwargs: Any) -> str:
    entry = MockConfigEntry(
        domain=DOMAIN,
        minor_version=CURRENT_MINOR_VERSION,
        title=title,
        unique_id=f"smsmode:{title}",
        data={CONF_PROVIDER: "smsmode", CONF_ACCESS_TOKEN: "token", CONF_URL: ""},
        **kwargs,
    )
    entry.add_to_hass(hass)
    return entry.entry_id


def _sms123(hass: HomeAssistant, title: str) -> str:
    entry = MockConfigEntry(
        domain=DOMAIN,
        minor_version=CURRENT_MINOR_VERSION,
        title=title,
        unique_id=f"sms123:{title}",
        data={CONF_PROVIDER: "sms123", CONF_USERNAME: "u", CONF_API_KEY: "k", CONF_URL: ""},
    )
    entry.add_to_hass(hass)
    return entry.entry_id


async def _delivery_step(hass: HomeAssistant, entry_id: str) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "delivery" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "delivery"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "delivery"
    return result


def _fallbacks(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The fallback choices the form offers: (value, label)."""
    selector = result["data_schema"].schema[CONF_FALLBACK]
    assert isinstance(selector, SelectSelector)
    return [(option["value"], option["label"]) for option in selector.config["options"]]


def _suggested(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(marker): (marker.description or {}).get("suggested_value")
        for marker in result["data_schema"].schema
    }


async def test_every_gateway_has_the_step_with_its_defaults(hass: HomeAssistant) -> None:
    entry_ids = [_allmysms(hass, "maison"), _smsmode(hass, "smsmode"), _sms123(hass, "123")]
    for entry_id in entry_ids:
        result = await _delivery_step(hass, entry_id)
        assert _suggested(result) == {
            CONF_MAX_AGE: 60,
            CONF_FALLBACK: "none",
            CONF_DAILY_PARTS_CAP: 0,
            CONF_UNCONFIRMED_POLICY: "report",
        }
        hass.config_entries.options.async_abort(result["flow_id"])


async def test_saved_values_keep_the_other_options(hass: HomeAssistant) -> None:
    entry_id = _smsmode(hass, "smsmode", options={CONF_MAX_PARTS: 2})
    result = await _delivery_step(hass, entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MAX_AGE: 15,
            CONF_FALLBACK: "none",
            CONF_DAILY_PARTS_CAP: 40,
            CONF_UNCONFIRMED_POLICY: "resend",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    # "none" is stored as no fallback; numbers as integers
    assert entry.options == {
        CONF_MAX_PARTS: 2,
        CONF_MAX_AGE: 15,
        CONF_FALLBACK: "",
        CONF_DAILY_PARTS_CAP: 40,
        CONF_UNCONFIRMED_POLICY: "resend",
    }
    assert isinstance(entry.options[CONF_MAX_AGE], int)


async def test_empty_form_takes_the_defaults(hass: HomeAssistant) -> None:
    entry_id = _sms123(hass, "123")
    result = await _delivery_step(hass, entry_id)

    await hass.config_entries.options.async_configure(result["flow_id"], {})

    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.options == {
        CONF_MAX_AGE: 60,
        CONF_FALLBACK: "",
        CONF_DAILY_PARTS_CAP: 0,
        CONF_UNCONFIRMED_POLICY: "report",
    }


async def test_fallbacks_are_mail2sms_and_the_other_accounts(hass: HomeAssistant) -> None:
    own = _allmysms(hass, "maison", options=SMTP)
    smsmode = _smsmode(hass, "smsmode bureau")
    sms123 = _sms123(hass, "123-SMS secours")
    _smsmode(hass, "smsmode disabled", disabled_by=ConfigEntryDisabler.USER)

    result = await _delivery_step(hass, own)

    # none, Mail2SMS (configured here), then the other enabled accounts by title; not itself
    assert _fallbacks(result) == [
        ("none", "none"),
        ("mail2sms", "mail2sms"),
        (sms123, "123-SMS secours"),
        (smsmode, "smsmode bureau"),
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FALLBACK: smsmode}
    )
    entry = hass.config_entries.async_get_entry(own)
    assert entry is not None
    assert entry.options[CONF_FALLBACK] == smsmode
    assert entry.options[CONF_SMTP_HOST] == SMTP[CONF_SMTP_HOST]  # Mail2SMS kept

    # the form shows the choice again
    result = await _delivery_step(hass, own)
    assert _suggested(result)[CONF_FALLBACK] == smsmode


async def test_mail2sms_fallback_is_chosen_and_stored(hass: HomeAssistant) -> None:
    own = _allmysms(hass, "maison", options=SMTP)
    result = await _delivery_step(hass, own)

    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FALLBACK: "mail2sms", CONF_MAX_AGE: 1440}
    )

    entry = hass.config_entries.async_get_entry(own)
    assert entry is not None
    assert entry.options[CONF_FALLBACK] == "mail2sms"
    assert entry.options[CONF_MAX_AGE] == 1440


@pytest.mark.parametrize("provider", ["allmysms", "smsmode"])
async def test_mail2sms_needs_an_allmysms_entry_with_mail2sms(
    hass: HomeAssistant, provider: str
) -> None:
    # an AllMySMS entry without Mail2SMS set up, or another gateway
    own = _allmysms(hass, "maison") if provider == "allmysms" else _smsmode(hass, "smsmode")
    result = await _delivery_step(hass, own)
    assert _fallbacks(result) == [("none", "none")]

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_FALLBACK: "mail2sms"}
        )
    entry = hass.config_entries.async_get_entry(own)
    assert entry is not None
    assert entry.options == {}


async def test_an_account_cannot_fall_back_on_itself(hass: HomeAssistant) -> None:
    own = _smsmode(hass, "smsmode")
    _sms123(hass, "123")
    result = await _delivery_step(hass, own)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {CONF_FALLBACK: own})


async def test_a_removed_fallback_shows_as_none(hass: HomeAssistant) -> None:
    other = _sms123(hass, "123")
    own = _smsmode(hass, "smsmode", options={CONF_FALLBACK: other, CONF_DAILY_PARTS_CAP: 9})
    await hass.config_entries.async_remove(other)

    result = await _delivery_step(hass, own)

    assert _suggested(result) == {
        CONF_MAX_AGE: 60,
        CONF_FALLBACK: "none",
        CONF_DAILY_PARTS_CAP: 9,
        CONF_UNCONFIRMED_POLICY: "report",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_MAX_AGE, 0),
        (CONF_MAX_AGE, 1441),
        (CONF_DAILY_PARTS_CAP, -1),
        (CONF_DAILY_PARTS_CAP, 100_001),
        (CONF_FALLBACK, "somewhere"),
    ],
)
async def test_out_of_range_values_are_refused(hass: HomeAssistant, field: str, value: Any) -> None:
    own = _smsmode(hass, "smsmode")
    result = await _delivery_step(hass, own)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {field: value})
    entry = hass.config_entries.async_get_entry(own)
    assert entry is not None
    assert entry.options == {}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_fixed_fallback_choices_are_translated(language: str) -> None:
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    labels = strings["selector"]["fallback"]["options"]
    assert set(labels) == {"none", "mail2sms"}
    assert all(labels.values())
