"""Every step of an account's options, opened, submitted and saved from the web interface."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .harness import Demo
from .ui import flow_dialog, ha_text, open_page, raw_keys, texto_text, visible_text

PROVIDERS = {"AllMySMS": "allmysms", "smsmode": "smsmode"}
STEPS = [
    ("AllMySMS", "general"),
    ("AllMySMS", "mail2sms"),
    ("AllMySMS", "route"),
    ("AllMySMS", "delivery"),
    ("AllMySMS", "receiving"),
    ("smsmode", "general"),
    ("smsmode", "delivery"),
    ("smsmode", "receiving"),
]


def open_options(page: Page, demo: Demo, language: str, account: str) -> None:
    """Open the options of the account titled ``account`` (its Configure button)."""
    open_page(page, demo, "/config/integrations/integration/texto")
    header = page.locator("ha-config-entry-row ha-md-list-item.config_entry").filter(
        has=page.locator("[slot=headline]", has_text=account)
    )
    header.first.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.integrations.config_entry.configure")
    ).click()


@pytest.mark.parametrize(("account", "step"), STEPS)
def test_options_step_saves(page: Page, demo: Demo, language: str, account: str, step: str) -> None:
    open_options(page, demo, language, account)
    dialog = flow_dialog(page)
    expect(dialog).to_contain_text(texto_text(language, "options.step.init.title"))
    dialog.get_by_text(texto_text(language, f"options.step.init.menu_options.{step}")).click()
    # the gateway's own form: its sender rule and unit, its instructions (the demo has no URL)
    form_step = {
        "general": f"general_{PROVIDERS[account]}",
        "receiving": f"receiving_{PROVIDERS[account]}_no_url",
    }.get(step, step)
    # the dialog names the account
    title = texto_text(language, f"options.step.{form_step}.title", account=account)
    expect(
        dialog.locator("[slot=headline], h2, .header-title, ha-dialog-header").first
    ).to_contain_text(title)
    # nothing was submitted: no error
    expect(dialog.locator("ha-alert[alert-type=error]")).to_have_count(0)
    assert raw_keys(visible_text(dialog)) == []
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(ha_text(language, "ui.dialogs.options_flow.success.description"))
