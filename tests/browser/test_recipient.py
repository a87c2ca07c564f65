"""Adding a recipient to an account: an invalid number, then a valid one."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .harness import Demo
from .ui import (
    fill_settled,
    flow_dialog,
    ha_text,
    open_page,
    raw_keys,
    texto_text,
    visible_text,
)

#: a new recipient per language (a number already taken would abort the flow)
NUMBERS = {"en": "06 11 22 33 01", "fr": "06 11 22 33 02"}


def test_add_recipient_invalid_number_then_valid(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/integrations/integration/texto")
    page.get_by_role(
        "button", name=texto_text(language, "config_subentries.recipient.initiate_flow.user")
    ).click()
    # the account to add it to, in the picker (the page behind it names smsmode too)
    page.locator("dialog-pick-config-entry").get_by_text("smsmode", exact=True).click()
    dialog = flow_dialog(page)
    expect(dialog).to_contain_text(
        texto_text(language, "config_subentries.recipient.step.user.title")
    )
    name = f"Denise {language}"
    fill_settled(dialog, "name", name)
    fill_settled(dialog, "phone_number", "06 12")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(
        texto_text(language, "config_subentries.recipient.error.invalid_phone_number")
    )
    assert raw_keys(visible_text(dialog)) == []

    fill_settled(dialog, "phone_number", NUMBERS[language])
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(
        ha_text(language, "ui.panel.config.integrations.config_flow.success")
    )
    dialog.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.integrations.config_flow.finish")
    ).click()
    expect(page.locator("ha-config-entry-row").filter(has_text=name).first).to_be_visible()
