"""Adding a modem account through the config flow, as a person does: a wrong port, then the modem.

The demo has an account on the fake modem's ``socket://`` URL already; the test adds the same
fake modem through its other address, its pty (a path, as ``/dev/serial/by-id/...``), and
removes that account afterwards. Each step leaves a screenshot (``tests/browser/screenshots``),
to be looked at in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .harness import Demo
from .ui import (
    error_of,
    first_sentence,
    flow_dialog,
    ha_text,
    open_page,
    raw_keys,
    texto_text,
    visible_text,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"
#: a port nothing answers on
NO_MODEM = "/dev/serial/by-id/usb-Nothing_Here-if02-port0"
#: the accounts the demo starts with (its own modem account on the socket:// URL among them)
_DEMO_ENTRIES: set[str] = set()

_DEVICES = """async (entryId) => {
  const hass = document.querySelector('home-assistant').hass;
  const devices = await hass.callWS({type: 'config/device_registry/list'});
  return devices.filter((d) => d.config_entries.includes(entryId)).map((d) => d.id);
}"""


def screenshot(page: Page, name: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"modem_{name}_{language}.png")


def open_modem_form(page: Page, demo: Demo, language: str) -> Locator:
    """Settings > Texto > Add service > the menu's modem: the modem's form."""
    open_page(page, demo, "/config/integrations/integration/texto")
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.integrations.integration_page.add_service"),
    ).click()
    dialog = flow_dialog(page)
    expect(dialog).to_contain_text(texto_text(language, "config.step.user.title"))
    modem = dialog.get_by_text(
        texto_text(language, "config.step.user.menu_options.modem"), exact=True
    )
    expect(modem).to_be_visible()
    description = first_sentence(texto_text(language, "config.step.user.description"))
    expect(dialog).to_contain_text(description)
    screenshot(page, "1_menu", language)
    modem.click()
    expect(dialog).to_contain_text(
        first_sentence(texto_text(language, "config.step.modem.description"))
    )
    return dialog


def choose_port(dialog: Locator, device: str) -> None:
    """Type a port the list does not hold, and take it as the list offers (a custom item)."""
    dialog.locator("ha-generic-picker").first.click()
    dialog.locator("ha-picker-combo-box input").fill(device)
    dialog.locator("ha-combo-box-item").filter(has_text=device).first.click()
    expect(dialog.locator("ha-generic-picker ha-picker-field").first).to_contain_text(device)


def submit(dialog: Locator, language: str) -> None:
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()


def test_add_modem_wrong_port_then_the_modem(page: Page, demo: Demo, language: str) -> None:
    dialog = open_modem_form(page, demo, language)
    # no port chosen for the person; the PIN is asked, the advanced settings folded
    picker = dialog.locator("ha-generic-picker").first
    port = picker.locator("ha-picker-field")
    expect(port).to_contain_text(texto_text(language, "config.step.modem.data.device"))
    expect(port).not_to_contain_text("/")
    expect(dialog).to_contain_text(texto_text(language, "config.step.modem.data.pin"))
    advanced = "config.step.modem.sections.advanced"
    expect(dialog.get_by_text(texto_text(language, f"{advanced}.name"))).to_be_visible()
    expect(dialog.get_by_text(texto_text(language, f"{advanced}.data.baudrate"))).to_be_hidden()
    assert raw_keys(visible_text(dialog)) == []
    screenshot(page, "2_form", language)

    choose_port(dialog, NO_MODEM)
    submit(dialog, language)
    error = first_sentence(texto_text(language, "config.error.cannot_connect"))
    expect(dialog).to_contain_text(error, timeout=30_000)
    # the error stands right above the port (the frontend's place for a list's error), the
    # port keeps what was typed
    assert error in error_of(dialog, "device")
    expect(port).to_contain_text(NO_MODEM)
    assert raw_keys(visible_text(dialog)) == []
    screenshot(page, "3_cannot_connect", language)

    choose_port(dialog, demo.settings["modem"]["device"])
    submit(dialog, language)
    created = texto_text(language, "config.create_entry.modem")
    expect(dialog).to_contain_text(first_sentence(created), timeout=30_000)
    assert raw_keys(visible_text(dialog)) == []
    screenshot(page, "4_created", language)
    dialog.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.integrations.config_flow.finish_skip")
    ).click()
    expect(dialog).to_be_hidden()
    (entry,) = added_accounts(demo)
    assert entry["state"] == "loaded"

    # its device shows what the modem tells: signal, network, SIM card. Home Assistant names
    # entities in its own language (English here), the page words their states in the reader's
    (device,) = page.evaluate(_DEVICES, entry["entry_id"])
    open_page(page, demo, f"/config/devices/device/{device}")
    sensors = "entity.sensor"
    for name, state in (
        ("signal_strength", "-73 dBm"),
        ("network", texto_text(language, f"{sensors}.network.state.home")),
        ("sim_state", texto_text(language, f"{sensors}.sim_state.state.ready")),
    ):
        sensor = page.get_by_text(texto_text("en", f"{sensors}.{name}.name"), exact=True).first
        sensor.scroll_into_view_if_needed()
        expect(sensor).to_be_visible()
        expect(page.locator("ha-config-device-page")).to_contain_text(state)
    assert raw_keys(visible_text(page)) == []
    screenshot(page, "5_device", language)


def test_the_demo_modem_again_is_already_configured(page: Page, demo: Demo, language: str) -> None:
    dialog = open_modem_form(page, demo, language)
    choose_port(dialog, demo.settings["modem"]["socket"])
    submit(dialog, language)
    expect(dialog).to_contain_text(texto_text(language, "config.abort.already_configured"))
    screenshot(page, "6_already_configured", language)
    assert added_accounts(demo) == []


def added_accounts(demo: Demo) -> list[dict[str, Any]]:
    """The accounts a test added: any the demo did not start with."""
    entries = demo.request("GET", "/api/config/config_entries/entry?domain=texto")
    return [entry for entry in entries if entry["entry_id"] not in _DEMO_ENTRIES]


@pytest.fixture(autouse=True)
def remove_added_account(demo: Demo) -> Iterator[None]:
    """The account a test added goes afterwards: the next language adds it again."""
    if not _DEMO_ENTRIES:
        entries = demo.request("GET", "/api/config/config_entries/entry?domain=texto")
        _DEMO_ENTRIES.update(entry["entry_id"] for entry in entries)
    yield
    for entry in added_accounts(demo):
        demo.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
