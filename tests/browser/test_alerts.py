"""Alerts in the web interface: the blueprint saved as an automation, an alert raised from the
action page, then read on the account's open-alerts sensor and in the logbook.

Home Assistant writes the logbook's lines and the alert's SMS in its own language, not the
browser's: the demo's is English, so the French run reads French pages with English logbook
lines. The server's language is not switched here: the demo is shared by the whole suite and
names already given stay in the language they were given in (the logbook in French is
checked in ``tests/integration/test_alert_surface.py``). Each test saves screenshots of what
it checked (``tests/browser/screenshots``), to be looked at.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Page, expect

from .harness import Demo
from .test_screens import open_more_info
from .ui import ha_text, open_page, raw_keys, texto_text, visible_text

REPOSITORY = Path(__file__).parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
BLUEPRINT = "alert_until_answered.yaml"
SENSOR = "sensor.allmysms_open_alerts"


def screenshot(page: Page, name: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"alerts_{name}_{language}.png", full_page=True)


def _blueprint_name(language: str) -> str:
    path = Path("fr", BLUEPRINT) if language == "fr" else Path(BLUEPRINT)
    source = REPOSITORY / "blueprints" / "automation" / "texto" / path
    return str(
        yaml.safe_load(source.read_text(encoding="utf-8").split("\nmode:")[0])["blueprint"]["name"]
    )


def _inputs(language: str) -> dict[str, dict[str, str]]:
    path = Path("fr", BLUEPRINT) if language == "fr" else Path(BLUEPRINT)
    text = (REPOSITORY / "blueprints" / "automation" / "texto" / path).read_text(encoding="utf-8")
    # the blueprint part only: what follows holds !input tags
    inputs: dict[str, dict[str, str]] = yaml.safe_load(text.split("\nmode:")[0])["blueprint"][
        "input"
    ]
    return inputs


def _pick_entity(page: Page, row_name: str, entity_id: str) -> None:
    """Choose an entity in the picker of the form's row named ``row_name``."""
    row = page.locator("ha-settings-row").filter(has_text=row_name).first
    row.locator("ha-entity-picker").last.click()
    search = page.locator("ha-picker-combo-box input").last
    search.fill(entity_id)
    # the best match comes first (the list shows names, not ids)
    page.locator("ha-picker-combo-box").last.locator("ha-combo-box-item").first.click()


def _saved_automation(demo: Demo, alias: str) -> dict[str, Any]:
    """The automation ``alias`` once the editor wrote it to automations.yaml."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        text = (demo.config_dir / "automations.yaml").read_text(encoding="utf-8")
        saved = yaml.safe_load(text) or []
        if found := next((a for a in saved if a.get("alias") == alias), None):
            return dict(found)
        time.sleep(0.2)
    raise AssertionError(f"{alias} was not saved")


def test_the_blueprint_saved_as_an_automation(page: Page, demo: Demo, language: str) -> None:
    target = demo.config_dir / "blueprints" / "automation" / "texto"
    shutil.copytree(REPOSITORY / "blueprints" / "automation" / "texto", target, dirs_exist_ok=True)
    inputs = _inputs(language)

    open_page(page, demo, "/config/blueprint/dashboard")
    page.get_by_text(_blueprint_name(language), exact=True).first.click()
    for field in ("message", "ladder", "wait", "acknowledge_by", "then"):
        expect(page.get_by_text(inputs[field]["name"], exact=True).first).to_be_visible()
    assert raw_keys(visible_text(page)) == []
    _pick_entity(page, inputs["watched"]["name"], "sensor.allmysms_outbox")
    _pick_entity(page, inputs["ladder"]["name"], "notify.alice")
    screenshot(page, "blueprint_form", language)

    page.get_by_role("button", name=ha_text(language, "ui.common.save")).last.click()
    dialog = page.locator("ha-dialog, ha-md-dialog, ha-wa-dialog").last
    name = f"Fuite ({language})"
    dialog.locator("input").first.fill(name)
    dialog.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.automation.editor.rename")
    ).click()

    # saved: automations.yaml uses the blueprint with the inputs chosen
    ours = _saved_automation(demo, name)
    path = f"texto/{'fr/' if language == 'fr' else ''}{BLUEPRINT}"
    assert ours["use_blueprint"]["path"] == path
    assert ours["use_blueprint"]["input"]["ladder"] == ["notify.alice"]


def test_an_alert_raised_from_the_action_page_is_read_on_the_sensor_and_in_the_logbook(
    page: Page, demo: Demo, language: str
) -> None:
    tag = f"browser_{language}"
    open_page(page, demo, "/developer-tools/action")
    page.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.developer-tools.tabs.actions.yaml_mode")
    ).click()
    page.locator("ha-code-editor .cm-content").first.fill(
        "action: texto.raise_alert\n"
        "data:\n"
        "  message: Fuite au sous-sol, répondez OK\n"
        "  recipients: [notify.alice, notify.david]\n"
        f"  tag: {tag}\n"
    )
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.developer-tools.tabs.actions.call_service"),
    ).click()
    response = page.locator("ha-card").filter(has=page.locator("ha-yaml-editor[read-only]"))
    expect(response).to_contain_text("alert_id:")
    screenshot(page, "action_response", language)

    try:
        dialog = open_more_info(page, demo, SENSOR)
        dialog.locator("ha-dropdown").last.click()
        page.get_by_text(
            ha_text(language, "ui.dialogs.more_info_control.attributes"), exact=True
        ).last.click()
        expect(dialog).to_contain_text(
            texto_text(language, "entity.sensor.open_alerts.state_attributes.alerts.name")
        )
        expect(dialog).to_contain_text(tag)
        expect(dialog).to_contain_text("notify.alice")
        screenshot(page, "sensor", language)
        page.keyboard.press("Escape")

        open_page(page, demo, "/logbook")
        # the logbook's lines are in the server's language (English), the page in the browser's
        raised = texto_text("en", "common.logbook_raised", recipient="Alice", where="")
        expect(page.get_by_text(raised.split(" (")[0]).first).to_be_visible()
        expect(
            page.get_by_text(texto_text("en", "common.logbook_alert_tagged", tag=tag)).first
        ).to_be_visible()
        page.wait_for_timeout(1500)  # the lines fade in
        screenshot(page, "logbook", language)
    finally:
        demo.request("POST", "/api/services/texto/cancel_alert", {"tag": tag})
