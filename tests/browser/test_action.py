"""texto.send_sms from Developer tools' action form: the SMS leaves, its response is shown."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import Page, expect

from .harness import Demo
from .ui import ha_text, open_page, texto_text


def test_send_sms_from_the_action_form(page: Page, demo: Demo, language: str) -> None:
    text = f"Test depuis les outils ({language})"
    open_page(page, demo, "/developer-tools/action")
    picker = page.locator("ha-service-picker")
    picker.click()
    picker.locator("ha-picker-combo-box input").fill("texto.send_sms")
    picker.get_by_text("texto.send_sms").click()
    expect(page.locator("ha-service-control")).to_contain_text(
        texto_text(language, "services.send_sms.description")
    )

    page.locator("ha-config-entry-picker").click()
    page.locator("ha-config-entry-picker").get_by_text("AllMySMS").first.click()
    rows = page.locator("ha-settings-row")
    recipients = rows.filter(
        has_text=texto_text(language, "services.send_sms.fields.recipients.name")
    )
    recipients.get_by_role("button", name=ha_text(language, "ui.common.add")).click()
    recipients.locator("input").last.fill("06 12 34 56 78")
    rows.filter(has_text=texto_text(language, "services.send_sms.fields.message.name")).locator(
        "textarea"
    ).fill(text)
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.developer-tools.tabs.actions.call_service"),
    ).click()

    response = page.locator("ha-card").filter(has=page.locator("ha-yaml-editor[read-only]"))
    expect(response).to_contain_text(
        ha_text(language, "ui.panel.config.developer-tools.tabs.actions.response")
    )
    expect(response).to_contain_text("status: sent")
    expect(response).to_contain_text('"+33612345678"')
    expect(response).to_contain_text("billed_parts: 1")
    # the gateway took it: the campaign the response names is the simulator's
    yaml = response.locator("ha-code-editor").evaluate("editor => editor.value")
    shown = re.search(r"message_id: (\S+)", yaml)
    assert shown is not None
    with urllib.request.urlopen(f"{demo.settings['allmysms']['url']}/_sim/state") as answer:
        campaigns = json.loads(answer.read())["campaigns"]
    assert campaigns[shown[1]]["numbers"] == ["33612345678"]
