"""Every screen right: what a person reads on each of Texto's screens, in English and French."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .harness import Demo
from .test_options import open_options
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

_CALL_SERVICE = """async ([domain, service, data]) => {
  const hass = document.querySelector('home-assistant').hass;
  try { await hass.callService(domain, service, data); return null; }
  catch (err) { return err.translation_key || err.message || String(err); }
}"""

_MORE_INFO = """(entityId) => document.querySelector('home-assistant').dispatchEvent(
  new CustomEvent('hass-more-info', {detail: {entityId}, bubbles: true, composed: true}))"""


def entry_id(demo: Demo, title: str) -> str:
    """The config entry id of the demo's account titled ``title``."""
    entries = demo.request("GET", "/api/config/config_entries/entry?domain=texto")
    return str(next(entry["entry_id"] for entry in entries if entry["title"] == title))


def _loaded(demo: Demo, entry: str) -> bool:
    entries = demo.request("GET", "/api/config/config_entries/entry?domain=texto")
    return any(e["entry_id"] == entry and e["state"] == "loaded" for e in entries)


def wait_until_loaded(demo: Demo, entry: str) -> None:
    """Wait for the account's reload (saved options reload it) to be over.

    First until it is seen unloading (up to 3 s: a quick reload may be missed), then until
    it is loaded again: an action sent in between is refused, and HA logs that as an error.
    """
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _loaded(demo, entry):
        time.sleep(0.05)
    deadline = time.monotonic() + 15
    while not _loaded(demo, entry):
        if time.monotonic() > deadline:
            raise AssertionError(f"the account {entry} did not load again")
        time.sleep(0.1)


def call_service(page: Page, domain: str, service: str, data: dict[str, Any]) -> str | None:
    """Perform an action as the web interface does (websocket); the error's key, if any."""
    result: str | None = page.evaluate(_CALL_SERVICE, [domain, service, data])
    return result


def open_more_info(page: Page, demo: Demo, entity_id: str) -> Locator:
    """The entity's more-info dialog, as a click on the entity opens it."""
    page.evaluate(_MORE_INFO, entity_id)
    dialog = page.locator("ha-more-info-dialog")
    name = demo.request("GET", f"/api/states/{entity_id}")["attributes"]["friendly_name"]
    expect(dialog.get_by_text(name).first).to_be_visible()
    return dialog


def test_recipients_are_told_apart(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/integrations/integration/texto")
    # the row gives the name and the end of the number, never the whole number
    expect(page.get_by_text("Alice · •• 56 78")).to_be_visible()
    expect(page.get_by_text("Bob · •• 54 32")).to_be_visible()
    assert "+33612345678" not in visible_text(page)


def test_config_flow_keeps_what_was_typed(page: Page, demo: Demo, language: str) -> None:
    allmysms = demo.settings["allmysms"]
    open_page(page, demo, "/config/integrations/integration/texto")
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.integrations.integration_page.add_service"),
    ).click()
    dialog = flow_dialog(page)
    dialog.get_by_text(
        texto_text(language, "config.step.user.menu_options.allmysms"), exact=True
    ).click()
    field(dialog, "username").fill(allmysms["username"])
    field(dialog, "api_key").fill(allmysms["api_key"])
    dialog.get_by_text(texto_text(language, "config.step.allmysms.sections.advanced.name")).click()
    field(dialog, "url").fill("ftp://passerelle/sms")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()

    # the error names the example in words, no backticks; the section stays open on it
    error = texto_text(language, "config.error.invalid_url", example_url="http://192.168.1.10:8080")
    expect(dialog).to_contain_text(error)
    assert "`" not in visible_text(dialog)
    expect(field(dialog, "url")).to_be_visible()

    # the demo has this login already: a wrong key says the key is wrong, not "configured"
    field(dialog, "url").fill(allmysms["url"])
    field(dialog, "api_key").fill("not-the-key")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(texto_text(language, "config.error.invalid_auth"))
    expect(field(dialog, "username")).to_have_value(allmysms["username"])


def test_sender_rule_is_the_one_enforced(page: Page, demo: Demo, language: str) -> None:
    open_options(page, demo, language, "AllMySMS")
    dialog = flow_dialog(page)
    dialog.get_by_text(texto_text(language, "options.step.init.menu_options.general")).click()
    # the help says what AllMySMS takes: spaces yes, a letter first
    help_text = texto_text(
        language,
        "options.step.general_allmysms.data_description.sender",
        sender_min="3",
        sender_max="11",
    )
    expect(dialog).to_contain_text(help_text)

    field(dialog, "sender").fill("1MAISON")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(texto_text(language, "options.error.sender_first_letter"))

    field(dialog, "sender").fill("MA MAISON")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(dialog).to_contain_text(ha_text(language, "ui.dialogs.options_flow.success.description"))
    # put back: the other language starts from the same options
    flow = demo.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id(demo, "AllMySMS")}
    )
    flow = demo.request(
        "POST",
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"next_step_id": "general"},
    )
    defaults = {
        "low_credit_threshold": 150,
        "text_policy": "auto",
        "max_parts": 10,
        "stop_mention": "add",
    }
    demo.request("POST", f"/api/config/config_entries/options/flow/{flow['flow_id']}", defaults)


def test_fallback_list_names_the_other_accounts(page: Page, demo: Demo, language: str) -> None:
    open_options(page, demo, language, "AllMySMS")
    dialog = flow_dialog(page)
    dialog.get_by_text(texto_text(language, "options.step.init.menu_options.delivery")).click()
    select = dialog.locator("ha-select").first
    # on the field itself (its box also holds the help text below, which does not open it)
    select.click(position={"x": 30, "y": 28})
    # the other accounts by their titles, Mail2SMS by its translated name
    expect(page.get_by_role("option", name="smsmode", exact=True)).to_be_visible()
    mail2sms = texto_text(language, "selector.fallback.options.mail2sms")
    expect(page.get_by_role("option", name=mail2sms, exact=True)).to_be_visible()


def test_action_form_preselects_no_optional_switch(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/developer-tools/action")
    picker = page.locator("ha-service-picker")
    picker.click()
    picker.locator("ha-picker-combo-box input").fill("texto.send_sms")
    picker.get_by_text("texto.send_sms").click()
    rows = page.locator("ha-settings-row")
    for name in ("flash", "voice", "wait"):
        label = texto_text(language, f"services.send_sms.fields.{name}.name")
        row = rows.filter(has_text=label).first
        expect(row).to_be_visible()
        # not ticked: the automation editor would write it into the user's YAML unasked
        assert row.locator("ha-checkbox").evaluate("box => box.checked") is False


def test_last_status_and_credit_read_naturally(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/integrations/integration/texto")
    account = entry_id(demo, "AllMySMS")
    assert (
        call_service(
            page,
            "texto",
            "send_sms",
            {"config_entry_id": account, "recipients": ["06 12 34 56 78"], "message": "Bonjour"},
        )
        is None
    )

    dialog = open_more_info(page, demo, "sensor.allmysms_last_status")
    dialog.locator("ha-dropdown").last.click()
    page.get_by_text(
        ha_text(language, "ui.dialogs.more_info_control.attributes"), exact=True
    ).last.click()
    expect(dialog).to_contain_text(
        texto_text(language, "entity.sensor.last_status.state_attributes.account_name.name")
    )
    expect(dialog).to_contain_text("AllMySMS")
    # a send without an error has no "Error: Unknown" line
    error = texto_text(language, "entity.sensor.last_status.state_attributes.error.name")
    expect(dialog.get_by_text(error, exact=True)).to_have_count(0)
    open_page(page, demo, "/config/integrations/integration/texto")

    credit = open_more_info(page, demo, "sensor.allmysms_credit")
    unit = texto_text(language, "entity.sensor.credit.unit_of_measurement")
    state = demo.request("GET", "/api/states/sensor.allmysms_credit")["state"]
    assert re.fullmatch(r"\d+", state), state  # 14985, not 14985.0
    # shown with the language's thousands separator, and no decimal: 14 985 crédits
    expect(credit).to_contain_text(re.compile(rf"{state[:-3]}\D?{state[-3:]} {unit}"))
    expect(credit).not_to_contain_text(re.compile(rf"{state[-3:]}[.,]0 {unit}"))


def test_daily_cap_issue_is_fixed_from_its_own_form(page: Page, demo: Demo, language: str) -> None:
    account = entry_id(demo, "smsmode")
    flow = demo.request("POST", "/api/config/config_entries/options/flow", {"handler": account})
    flow = demo.request(
        "POST",
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"next_step_id": "delivery"},
    )
    demo.request(
        "POST",
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"max_age": 60, "fallback": "none", "daily_parts_cap": 1},
    )
    wait_until_loaded(demo, account)
    open_page(page, demo, "/config/repairs")
    message = {"config_entry_id": account, "recipients": ["06 98 76 54 32"], "message": "Alerte"}
    refused = [call_service(page, "texto", "send_sms", message) for _ in range(2)]
    assert refused[-1] is not None, refused  # the cap refused it (and made the issue)

    title = texto_text(language, "issues.spending_cap.title", account="smsmode")
    page.reload()
    page.get_by_text(title).first.click()
    fix_title = texto_text(
        language, "issues.spending_cap.fix_flow.step.cap.title", account="smsmode"
    )
    dialog = page.locator("ha-dialog", has_text=fix_title)
    # today's figures in words, the account named (the parts billed so far: any number)
    sentence = first_sentence(
        texto_text(
            language,
            "issues.spending_cap.fix_flow.step.cap.description",
            account="smsmode",
            used="USED",
            cap="1",
        )
    )
    before, after = sentence.split("USED")
    expect(dialog).to_contain_text(re.compile(re.escape(before) + r"\d+" + re.escape(after)))
    assert raw_keys(visible_text(dialog)) == []
    dialog.get_by_role("spinbutton").fill("0")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()
    expect(page.get_by_text(title)).to_have_count(0)
    wait_until_loaded(demo, account)  # the new cap reloads the account
    assert call_service(page, "texto", "send_sms", message) is None
