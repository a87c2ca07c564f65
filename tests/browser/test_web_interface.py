"""The demo's web interface loads, and the login page signs a person in, in both languages."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from .conftest import LOCALES, log_in
from .harness import Demo
from .ui import ha_text, open_page, raw_keys, visible_text


def test_login_page_signs_in(browser: Browser, demo: Demo, language: str) -> None:
    context = browser.new_context(locale=LOCALES[language])
    try:
        page = context.new_page()
        log_in(page, demo, language)
        expect(page.locator("ha-sidebar")).to_contain_text(ha_text(language, "panel.config"))
    finally:
        context.close()


def test_home_page_leaves_loading_data(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/")
    expect(page.locator("ha-sidebar")).to_contain_text(ha_text(language, "panel.config"))
    assert "Loading data" not in visible_text(page)


def test_texto_page_lists_the_demo_accounts(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/integrations/integration/texto")
    entries = page.locator("ha-config-entry-row")
    expect(entries.filter(has_text="AllMySMS").first).to_be_visible()
    expect(entries.filter(has_text="smsmode").first).to_be_visible()
    assert raw_keys(visible_text(page)) == []
