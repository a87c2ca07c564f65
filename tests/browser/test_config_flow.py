"""Adding an account through the config flow, as a person does: a wrong key, then the right one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .harness import Demo
from .ui import (
    field,
    first_sentence,
    flow_dialog,
    ha_text,
    open_page,
    raw_keys,
    texto_text,
    visible_text,
)


def test_add_account_wrong_key_then_right(page: Page, demo: Demo, language: str) -> None:
    sms123 = demo.settings["sms123"]
    open_page(page, demo, "/config/integrations/integration/texto")
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.integrations.integration_page.add_service"),
    ).click()
    dialog = flow_dialog(page)
    expect(dialog).to_contain_text(texto_text(language, "config.step.user.title"))
    dialog.get_by_text(
        texto_text(language, "config.step.user.menu_options.sms123"), exact=True
    ).click()

    field(dialog, "username").fill(sms123["username"])
    field(dialog, "api_key").fill("not-the-key")
    dialog.get_by_text(texto_text(language, "config.step.sms123.sections.advanced.name")).click()
    field(dialog, "url").fill(sms123["url"])
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(texto_text(language, "config.error.invalid_auth"))
    assert raw_keys(visible_text(dialog)) == []

    field(dialog, "api_key").fill(sms123["api_key"])
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    # the demo has no public URL: the gateway cannot call back, the text says what to do
    instructions = first_sentence(texto_text(language, "config.create_entry.sms123_no_url"))
    expect(dialog).to_contain_text(instructions)
    # 123-SMS cannot be polled: its text never says to
    polling = texto_text(language, "selector.receive_mode.options.polling")
    expect(dialog).not_to_contain_text(re.compile(polling, re.IGNORECASE))
    assert raw_keys(visible_text(dialog)) == []
    dialog.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.integrations.config_flow.finish_skip")
    ).click()
    expect(dialog.get_by_text(instructions)).to_be_hidden()
    assert [entry["state"] for entry in added_accounts(demo)] == ["loaded"]


def added_accounts(demo: Demo) -> list[dict[str, Any]]:
    """The 123-SMS accounts: the demo as the suite runs it has none but the one a test adds."""
    entries = demo.request("GET", "/api/config/config_entries/entry?domain=texto")
    return [entry for entry in entries if entry["title"].startswith("123-SMS")]


@pytest.fixture(autouse=True)
def remove_added_account(demo: Demo) -> Iterator[None]:
    """The account a test added goes afterwards: the next language adds it again."""
    yield
    for entry in added_accounts(demo):
        demo.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
