"""Talk to Assist turned on in a recipient's options, as a person does (issue "Text your home").

Settings > Devices & services > Texto, the recipient's Reconfigure button: the folded *Talk to
Assist* section unfolded, switched on; no PIN, then one too short, each refused on the section;
then a good one, and the recipient is updated. What Home Assistant stored holds a hash of the
PIN, never the PIN; reconfigured again with the PIN left empty, the hash stays.

Each language changes a recipient of its own (English: Alice on AllMySMS, which receives every
reply; French: Bob on smsmode, whose form says only its *Replies allowed* class is answered),
and puts it back with Assist off afterwards, so that neither run nor the other tests see the
other's settings. Each step leaves a screenshot (``tests/browser/screenshots``), to be looked at
in both languages: the dialog is shown whole on a tall window.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .harness import Demo
from .ui import (
    error_of,
    field,
    fill_settled,
    first_sentence,
    flow_dialog,
    ha_text,
    open_page,
    raw_keys,
    texto_text,
    visible_text,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"
RECIPIENT = "config_subentries.recipient"
#: each language's recipient: its name and number (as the demo seeds them), and its form's step
#: (smsmode sends outside its replies class in the demo: its form's description says so)
RECIPIENTS = {
    "en": ("Alice", "+33612345678", "reconfigure"),
    "fr": ("Bob", "+33698765432", "reconfigure_replies_class_only"),
}
#: the note on smsmode's form, after the description's first paragraph
NOTE_STEP = "reconfigure_replies_class_only"
#: the PIN each run types: eight digits, which no hash or id of the file holds by chance
PINS = {"en": "48151623", "fr": "27182818"}
#: seconds Home Assistant may take to write its config entries (it saves them with a delay)
SAVE_TIMEOUT = 10.0


def screenshot(dialog: Locator, name: str, language: str) -> None:
    """The dialog alone, whole (the window is tall enough for it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialog.page.wait_for_timeout(300)  # the section's unfolding, the switch's slide
    surface = dialog.locator("ha-dialog .mdc-dialog__surface")
    surface.screenshot(path=SCREENSHOTS / f"assist_{name}_{language}.png")


def stored_recipient(demo: Demo, number: str) -> tuple[str, dict[str, Any]]:
    """The account's entry id and the recipient's subentry, as core.config_entries holds them."""
    path = demo.config_dir / ".storage" / "core.config_entries"
    for entry in json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]:
        for subentry in entry.get("subentries", []):
            if entry["domain"] == "texto" and subentry["unique_id"] == number:
                return str(entry["entry_id"]), dict(subentry)
    raise AssertionError(f"no recipient {number} stored")


def stored_assist_once(demo: Demo, number: str, **expected: object) -> dict[str, Any]:
    """The recipient's stored ``assist`` settings, once they hold ``expected`` (HA writes late)."""
    deadline = time.monotonic() + SAVE_TIMEOUT
    while True:
        assist: dict[str, Any] = stored_recipient(demo, number)[1]["data"].get("assist") or {}
        if all(assist.get(key) == value for key, value in expected.items()):
            return assist
        if time.monotonic() > deadline:
            raise AssertionError(f"not saved within {SAVE_TIMEOUT} s: {assist}")
        time.sleep(0.2)


def open_reconfigure(page: Page, demo: Demo, language: str, name: str, step: str) -> Locator:
    """The recipient's row on Texto's page, its Reconfigure button: the form, filled in.

    Its description in the reader's language, paragraph by paragraph (the note on the route).
    """
    open_page(page, demo, "/config/integrations/integration/texto")
    row = page.locator("ha-config-sub-entry-row").filter(has_text=f"{name} · ")
    row.get_by_role(
        "button", name=texto_text(language, f"{RECIPIENT}.initiate_flow.reconfigure")
    ).click()
    dialog = flow_dialog(page)
    expect(dialog).to_contain_text(texto_text(language, f"{RECIPIENT}.step.{step}.title"))
    expect(field(dialog, "name")).to_have_value(name)
    for paragraph in texto_text(language, f"{RECIPIENT}.step.{step}.description").split("\n\n"):
        expect(dialog).to_contain_text(paragraph)
    if step != NOTE_STEP:
        note = texto_text(language, f"{RECIPIENT}.step.{NOTE_STEP}.description").split("\n\n")[1]
        expect(dialog).not_to_contain_text(note)
    return dialog


def section(step: str) -> str:
    """Where the translations hold the Talk to Assist section of ``step``."""
    return f"{RECIPIENT}.step.{step}.sections.assist"


def unfold_assist(dialog: Locator, language: str, step: str) -> Locator:
    """Unfold the Talk to Assist section (folded as the form opens); its switch."""
    pin = field(dialog, "pin")
    expect(pin).to_be_hidden()
    dialog.locator("ha-expansion-panel").get_by_text(
        texto_text(language, f"{section(step)}.name"), exact=True
    ).first.click()
    expect(pin).to_be_visible()
    enabled = texto_text(language, f"{section(step)}.data.enabled")
    return dialog.get_by_role("switch", name=enabled)


def submit(dialog: Locator, language: str) -> None:
    dialog.get_by_role("button", name=ha_text(language, "ui.common.submit")).click()


def refused(dialog: Locator, language: str) -> None:
    """The PIN's error shows, above the section, which stays unfolded; the PIN is not shown."""
    error = texto_text(language, f"{RECIPIENT}.error.invalid_assist_pin")
    expect(dialog.locator("ha-alert").filter(has_text=error)).to_be_visible()
    assert error_of(dialog, "assist") == error
    expect(field(dialog, "pin")).to_be_visible()
    expect(field(dialog, "pin")).to_have_value("")
    assert raw_keys(visible_text(dialog)) == []


def updated(dialog: Locator, language: str) -> None:
    """The flow ends saying the recipient was updated; the dialog closed."""
    expect(dialog).to_contain_text(
        texto_text(language, f"{RECIPIENT}.abort.reconfigure_successful")
    )
    close = ha_text(language, "ui.common.close")
    dialog.locator("step-flow-abort").get_by_role("button", name=close).click()
    expect(dialog).to_be_hidden()


def test_talk_to_assist_turned_on_in_the_recipient_options(
    page: Page, demo: Demo, language: str
) -> None:
    name, number, step = RECIPIENTS[language]
    pin = PINS[language]
    assert "assist" not in stored_recipient(demo, number)[1]["data"], "left on by another run"
    page.set_viewport_size({"width": 1280, "height": 2000})
    try:
        dialog = open_reconfigure(page, demo, language, name, step)
        switch = unfold_assist(dialog, language, step)
        expect(switch).not_to_be_checked()
        texts = section(step)
        expect(dialog).to_contain_text(first_sentence(texto_text(language, f"{texts}.description")))
        for label in ("enabled", "agent_id", "trust", "pin", "user_id", "max_per_hour"):
            expect(dialog).to_contain_text(texto_text(language, f"{texts}.data.{label}"))
        expect(dialog).to_contain_text(texto_text(language, f"{texts}.data_description.pin"))
        trust = texto_text(language, "selector.assist_trust.options.pin")
        trust_field = dialog.locator("ha-selector-select").filter(
            has_text=texto_text(language, f"{texts}.data.trust")
        )
        expect(trust_field).to_contain_text(trust)
        assert raw_keys(visible_text(dialog)) == []
        screenshot(dialog, "1_section", language)

        # on, without a PIN: refused, on the section
        switch.click()
        expect(switch).to_be_checked()
        submit(dialog, language)
        refused(dialog, language)
        expect(switch).to_be_checked()
        screenshot(dialog, "2_no_pin", language)

        # a PIN too short: refused the same way
        fill_settled(dialog, "pin", "12")
        submit(dialog, language)
        refused(dialog, language)
        screenshot(dialog, "3_short_pin", language)

        fill_settled(dialog, "pin", pin)
        submit(dialog, language)
        updated(dialog, language)

        # stored: on, with a hash of the PIN; the PIN itself nowhere in the file
        assist = stored_assist_once(demo, number, enabled=True)
        assert assist["trust"] == "pin"
        assert str(assist["pin_hash"]).startswith("pbkdf2_sha256$")
        entries = demo.config_dir / ".storage" / "core.config_entries"
        assert pin not in entries.read_text(encoding="utf-8")

        # again, the PIN left empty: it is kept (the parts per answer changed, to see it saved)
        dialog = open_reconfigure(page, demo, language, name, step)
        switch = unfold_assist(dialog, language, step)
        expect(switch).to_be_checked()
        expect(field(dialog, "pin")).to_have_value("")
        parts = dialog.get_by_label(texto_text(language, f"{section(step)}.data.max_parts"))
        parts.fill("3")
        screenshot(dialog, "4_pin_kept", language)
        submit(dialog, language)
        updated(dialog, language)
        kept = stored_assist_once(demo, number, max_parts=3)
        assert kept["pin_hash"] == assist["pin_hash"]
        assert kept["enabled"] is True
    finally:
        turn_assist_off(demo, number)


def turn_assist_off(demo: Demo, number: str) -> None:
    """Put the recipient back with Assist off, through its reconfigure flow (the REST API)."""
    entry_id, subentry = stored_recipient(demo, number)
    flow = demo.request(
        "POST",
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, "recipient"], "subentry_id": subentry["subentry_id"]},
    )
    data = subentry["data"]
    result = demo.request(
        "POST",
        f"/api/config/config_entries/subentries/flow/{flow['flow_id']}",
        {
            "name": data["name"],
            "phone_number": data["phone_number"],
            "assist": {"enabled": False, "trust": "pin", "max_per_hour": 10, "max_parts": 2},
        },
    )
    assert result.get("reason") == "reconfigure_successful", result
    stored_assist_once(demo, number, enabled=False)
