"""Texto's triggers are found in the automation editor, by searching "SMS" under Add trigger."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .harness import Demo
from .ui import ha_text, open_page, raw_keys, texto_text, visible_text


def test_searching_sms_finds_textos_triggers(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/automation/edit/new")
    page.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.automation.editor.triggers.add")
    ).first.click()
    # the search field takes focus only on wide screens: fill it, do not type into the void
    page.locator("add-automation-element-dialog search-input input").fill("SMS")
    for trigger in ("sms_received", "delivery_report", "send_failed"):
        name = texto_text(language, f"triggers.{trigger}.name")
        expect(page.get_by_text(name, exact=True).first).to_be_visible()

    page.get_by_text(texto_text(language, "triggers.sms_received.name"), exact=True).first.click()
    # its options, named and explained in the page's language
    for option in ("account", "recipient", "text_equals", "text_contains", "verified_only"):
        label = texto_text(language, f"triggers.sms_received.fields.{option}.name")
        expect(page.get_by_text(label, exact=True).first).to_be_visible()
    assert raw_keys(visible_text(page), allowed=("received_at",)) == []
