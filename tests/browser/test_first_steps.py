"""What a newcomer meets first (issue 23): finding the triggers, the blueprints, the errors
where they belong, and a test SMS that shows the whole chain at work.

Each test saves a screenshot of what it checked (``tests/browser/screenshots``), to be looked at.
"""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .harness import Demo
from .test_options import open_options
from .test_screens import _MORE_INFO, entry_id, open_more_info
from .ui import field, flow_dialog, ha_text, open_page, raw_keys, texto_text, visible_text

REPOSITORY = Path(__file__).parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
TEXTO_TRIGGERS = ("sms_received", "delivery_report", "send_failed", "alert")


def screenshot(page: Page, name: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"first_steps_{name}_{language}.png")


def test_searching_texto_lists_every_texto_trigger(page: Page, demo: Demo, language: str) -> None:
    open_page(page, demo, "/config/automation/edit/new")
    page.get_by_role(
        "button", name=ha_text(language, "ui.panel.config.automation.editor.triggers.add")
    ).first.click()
    page.locator("add-automation-element-dialog search-input input").fill("texto")
    for trigger in TEXTO_TRIGGERS:
        name = texto_text(language, f"triggers.{trigger}.name")
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    screenshot(page, "trigger_search", language)


def _is_cut_off(text: Locator) -> bool:
    """Whether the element showing a text, or a box around it, hides part of it."""
    return bool(
        text.evaluate(
            """(element) => {
              for (let node = element, depth = 0; node && depth < 4; depth++) {
                if (node.scrollWidth > node.clientWidth + 1) return true;
                node = node.parentElement;
              }
              return false;
            }"""
        )
    )


def test_the_blueprints_list_shows_every_name_whole(page: Page, demo: Demo, language: str) -> None:
    # where Home Assistant looks for them, as a user who imported them would have them
    target = demo.config_dir / "blueprints" / "automation" / "texto"
    shutil.copytree(REPOSITORY / "blueprints" / "automation" / "texto", target, dirs_exist_ok=True)
    names = [
        line.split("name:", 1)[1].strip()
        for path in sorted(target.rglob("*.yaml"))
        for line in path.read_text(encoding="utf-8").splitlines()[:3]
        if line.startswith("  name:")
    ]
    assert len(names) == 8  # four in English, four in French

    open_page(page, demo, "/config/blueprint/dashboard")
    for name in names:
        shown = page.get_by_text(name, exact=True).first
        expect(shown).to_be_visible()
        assert not _is_cut_off(shown), name
    screenshot(page, "blueprints", language)


def test_a_refused_sender_shows_on_its_field(page: Page, demo: Demo, language: str) -> None:
    open_options(page, demo, language, "smsmode")
    dialog = flow_dialog(page)
    dialog.get_by_text(texto_text(language, "options.step.init.menu_options.general")).click()
    sender = field(dialog, "sender")
    sender.fill("É!")
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()

    alert = dialog.locator("ha-alert[alert-type=error]")
    expect(alert).to_have_count(1)
    # the form's own alert sits just before the field it is about, not at the top
    assert alert.evaluate("a => a.nextElementSibling && a.nextElementSibling.name") == "sender"
    box, field_box = alert.bounding_box(), sender.bounding_box()
    assert box is not None
    assert field_box is not None
    assert 0 <= field_box["y"] - (box["y"] + box["height"]) < 40
    assert raw_keys(visible_text(dialog)) == []
    screenshot(page, "sender_error", language)
    page.keyboard.press("Escape")


def test_the_advanced_section_stays_open_after_a_refused_key(
    page: Page, demo: Demo, language: str
) -> None:
    sms123 = demo.settings["sms123"]
    open_page(page, demo, "/config/integrations/integration/texto")
    page.get_by_role(
        "button",
        name=ha_text(language, "ui.panel.config.integrations.integration_page.add_service"),
    ).click()
    dialog = flow_dialog(page)
    dialog.get_by_text(
        texto_text(language, "config.step.user.menu_options.sms123"), exact=True
    ).click()
    field(dialog, "username").fill(sms123["username"])
    field(dialog, "api_key").fill("not-the-key")
    dialog.get_by_text(texto_text(language, "config.step.sms123.sections.advanced.name")).click()
    field(dialog, "url").fill(sms123["url"])
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()

    expect(dialog).to_contain_text(texto_text(language, "config.error.invalid_auth"))
    # the URL typed may be what is wrong: it stays in sight
    expect(field(dialog, "url")).to_be_visible()
    expect(field(dialog, "url")).to_have_value(sms123["url"])
    screenshot(page, "advanced_open", language)
    page.keyboard.press("Escape")


def _smsmode_sends(demo: Demo, text: str) -> int:
    """How many sends the smsmode simulator lists with ``text`` (its API, as the gateway's)."""
    smsmode = demo.settings["smsmode"]
    query = urllib.parse.urlencode({"accessToken": smsmode["access_token"]})
    with urllib.request.urlopen(f"{smsmode['url']}/http/1.6/smsList.do?{query}") as answer:
        lines = answer.read().decode("iso-8859-15").splitlines()
    return sum(1 for line in lines if text[:30] in line)


_ENABLE = """async ([entityId]) => {
  const hass = document.querySelector('home-assistant').hass;
  await hass.callWS({type: 'config/entity_registry/update', entity_id: entityId,
                     disabled_by: null});
}"""
_BUTTONS = """async () => {
  const hass = document.querySelector('home-assistant').hass;
  const entities = await hass.callWS({type: 'config/entity_registry/list'});
  return entities.filter(e => e.platform === 'texto' && e.entity_id.startsWith('button.'))
                 .map(e => [e.entity_id, e.disabled_by, e.config_entry_id]);
}"""


def _wait_for_state(demo: Demo, entity_id: str) -> None:
    for _ in range(100):
        try:
            demo.request("GET", f"/api/states/{entity_id}")
        except urllib.error.HTTPError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"{entity_id} has no state")


def test_the_test_button_sends_one_sms_seen_by_last_status(
    page: Page, demo: Demo, language: str
) -> None:
    account = entry_id(demo, "smsmode")
    open_page(page, demo, "/config/integrations/integration/texto")
    [(button, disabled_by, _)] = [b for b in page.evaluate(_BUTTONS) if b[2] == account]
    if disabled_by is not None:  # disabled by default: enabled as a user does, then reloaded
        page.evaluate(_ENABLE, [button])
        demo.request("POST", f"/api/config/config_entries/entry/{account}/reload")
        _wait_for_state(demo, button)
    text = texto_text("en", "common.test_sms")  # the server speaks English in the demo
    before = _smsmode_sends(demo, text)

    # its more-info dialog (named after the button, its device apart in new frontends)
    page.evaluate(_MORE_INFO, button)
    dialog = page.locator("ha-more-info-dialog")
    dialog.get_by_role("button", name=ha_text(language, "ui.card.button.press")).click()

    for _ in range(50):
        if _smsmode_sends(demo, text) > before:
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)  # a second SMS would have come by now
    assert _smsmode_sends(demo, text) == before + 1
    last = demo.request("GET", "/api/states/sensor.smsmode_last_status")
    assert (last["attributes"]["route"], last["attributes"]["account_name"]) == (
        "smsmode",
        "smsmode",
    )
    screenshot(page, "test_button", language)
    open_page(page, demo, "/config/integrations/integration/texto")

    status = open_more_info(page, demo, "sensor.smsmode_last_status")
    status.locator("ha-dropdown").last.click()
    page.get_by_text(
        ha_text(language, "ui.dialogs.more_info_control.attributes"), exact=True
    ).last.click()
    for attribute in ("route", "account_name"):
        label = texto_text(language, f"entity.sensor.last_status.state_attributes.{attribute}.name")
        expect(status.get_by_text(label, exact=True).first).to_be_visible()
    assert raw_keys(visible_text(status)) == []
    screenshot(page, "last_status", language)
