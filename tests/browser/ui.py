"""What the browser tests read and click: texts as the page shows them, in its language.

Labels come from the translations themselves, so each check reads the same in English and
French: Home Assistant's own (``ha_text``, from the installed web interface) and Texto's
(``texto_text``, from ``translations/<language>.json``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import hass_frontend
from playwright.sync_api import Locator, Page, expect

from .harness import REPOSITORY, Demo

#: seconds the web interface may take to show a page (the first load compiles much)
LOAD_TIMEOUT = 30_000
_FRONTEND_TRANSLATIONS = Path(hass_frontend.where()) / "static" / "translations"
_TEXTO_TRANSLATIONS = REPOSITORY / "custom_components" / "texto" / "translations"
#: what a missing translation looks like on a page: a dotted key, or a snake_case word
_RAW_KEY = re.compile(
    r"(?<![\w./-])(?:component\.texto\.|ui\.(?:panel|dialogs|common)\.)[\w.-]+"
    r"|(?<![\w./:@-])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w./-])"
)
#: the text of every element the page shows, shadow roots included, one line per element
_VISIBLE_TEXT = """(root) => {
  const lines = [];
  const visit = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const text = child.textContent.trim();
        const parent = child.parentElement;
        if (text && parent && !['STYLE', 'SCRIPT'].includes(parent.tagName)
            && parent.getClientRects().length > 0) {
          lines.push(text);
        }
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.shadowRoot) visit(child.shadowRoot);
        if (child.tagName === 'SLOT') {
          for (const assigned of child.assignedNodes()) visit({childNodes: [assigned]});
        } else {
          visit(child);
        }
      }
    }
  };
  visit(root.shadowRoot || root);
  return lines.join('\\n');
}"""


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        else:
            flat[path] = str(value)
    return flat


@cache
def _frontend_strings(language: str) -> dict[str, str]:
    strings: dict[str, str] = {}
    # <language>-<hash>.json, in the folder and its subfolders (en-GB-<hash>.json is another)
    for path in sorted(_FRONTEND_TRANSLATIONS.glob(f"**/{language}-[0-9a-f]*.json")):
        strings.update(_flatten(json.loads(path.read_text(encoding="utf-8"))))
    return strings


def ha_text(language: str, key: str) -> str:
    """Home Assistant's own text for ``key`` (``ui.common.submit``) in ``language``."""
    return _frontend_strings(language).get(key) or _frontend_strings("en")[key]


@cache
def _texto_strings(language: str) -> dict[str, str]:
    path = _TEXTO_TRANSLATIONS / f"{language}.json"
    return _flatten(json.loads(path.read_text(encoding="utf-8")))


def texto_text(language: str, key: str, **placeholders: str) -> str:
    """Texto's text for ``key`` (``config.error.invalid_auth``), placeholders filled."""
    text = _texto_strings(language)[key]
    for name, value in placeholders.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def first_sentence(text: str) -> str:
    """The first sentence of a translation: plain words, whatever markdown follows."""
    return text.split(". ", maxsplit=1)[0].split("\n", maxsplit=1)[0]


# --- reading and waiting ---------------------------------------------------------------------


def visible_text(where: Page | Locator) -> str:
    """Every text shown, shadow DOM included."""
    if isinstance(where, Page):
        return str(where.evaluate(f"({_VISIBLE_TEXT})(document.body)"))
    return str(where.evaluate(_VISIBLE_TEXT))


def raw_keys(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """The words of ``text`` that look like translation keys rather than words."""
    return [key for key in _RAW_KEY.findall(text) if key not in allowed]


def open_page(page: Page, demo: Demo, path: str) -> None:
    """Go to ``path`` and wait until the web interface shows it (past "Loading data")."""
    page.goto(f"{demo.url}{path}")
    wait_until_loaded(page)


def wait_until_loaded(page: Page) -> None:
    """Wait for the interface itself: the loading screen gives way to the main layout."""
    page.locator("home-assistant-main").wait_for(state="attached", timeout=LOAD_TIMEOUT)
    page.locator("ha-init-page").wait_for(state="detached", timeout=LOAD_TIMEOUT)


def flow_dialog(page: Page) -> Locator:
    """The open config, options or subentry flow dialog."""
    return page.locator("dialog-data-entry-flow")


def field(dialog: Locator, name: str) -> Locator:
    """A form field by its key (``api_key``), the input Home Assistant renders for it."""
    return dialog.locator(f'input[name="{name}"], textarea[name="{name}"]')


#: the error ha-form shows for a field or a section: an alert just before the field's element
_ERROR_OF = """(form, name) => {
  for (const alert of form.shadowRoot.querySelectorAll('ha-alert')) {
    const next = alert.nextElementSibling;
    if (next && next.schema && next.schema.name === name) return alert.textContent.trim();
  }
  return '';
}"""


def error_of(dialog: Locator, name: str) -> str:
    """The error the dialog's form shows for the field or section ``name`` ("" for none)."""
    return str(dialog.locator("ha-form").first.evaluate(_ERROR_OF, name))


def fill_settled(dialog: Locator, name: str, value: str) -> None:
    """Fill a field of a form that may still render itself again (a dialog just opened).

    The frontend can redraw a new flow step's form a moment after it first shows it, which
    empties what was typed meanwhile: fill, let it settle, and fill again if it was lost.
    """
    target = field(dialog, name)
    for _ in range(3):
        target.fill(value)
        dialog.page.wait_for_timeout(150)
        if target.input_value() == value:
            return
    expect(target).to_have_value(value)
