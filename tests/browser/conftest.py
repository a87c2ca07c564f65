"""Fixtures of the browser tests: the demo in real processes, Chromium driven by Playwright.

This suite runs on its own (``scripts/test`` runs it after the others): Home Assistant's test
plugin, which the other tests use, blocks sockets and rejects the threads Playwright keeps,
so it is disabled here (``-p no:homeassistant``) and this folder is left out when it is on.

Chromium is the system's (``/usr/bin/chromium``, or ``TEXTO_CHROMIUM``): Playwright's own
browser download is not used. A failed test leaves a screenshot of its page in
``tests/browser/screenshots/`` (or ``TEXTO_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .harness import PASSWORD, REPOSITORY, USERNAME, Demo, LogRecord, read_records
from .ui import ha_text, wait_until_loaded

CHROMIUM = Path(os.environ.get("TEXTO_CHROMIUM", "/usr/bin/chromium"))
#: headless as root, and quiet on a machine without internet access: without the background
#: networking flags Chromium floods the closed network with connections
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("TEXTO_SCREENSHOTS", REPOSITORY / "tests" / "browser" / "screenshots")
)
#: the browser's language, as a person's browser would send it
LOCALES = {"en": "en-GB", "fr": "fr-FR"}

#: ERROR records of Home Assistant's own that the suite accepts, each with the reason. The
#: logger name and a pattern of the line: anything else at ERROR fails the test it came in.
TOLERATED_ERRORS: list[tuple[str, re.Pattern[str], str]] = [
    (
        "homeassistant.components.camera.img_util",
        re.compile("Error loading libturbojpeg"),
        "the action list imports camera, whose PyTurboJPEG (installed) looks for the system's"
        " libturbojpeg: camera snapshots only, and not installed by the demo",
    ),
    (
        "homeassistant.components.websocket_api.http.connection",
        re.compile(r"\] Daily cap reached: "),
        "Home Assistant logs at ERROR the translated error of an action the web interface"
        " performed; the daily-cap test makes Texto refuse sends on purpose",
    ),
]


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """Remember each phase's outcome on the test, for the screenshot of a failure."""
    if call.when == "call":
        item.stash[_FAILED] = call.excinfo is not None


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo running, onboarded; the 123-SMS account is left for the config flow test."""
    demo = Demo(tmp_path_factory.mktemp("demo"), without=("sms123",))
    try:
        demo.start()
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Chromium, headless."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (set TEXTO_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def log_in(page: Page, demo: Demo, language: str) -> None:
    """Sign in through the login page, as the owner the onboarding created."""
    page.goto(demo.url)
    form = "ui.panel.page-authorize.form"
    fields = f"{form}.providers.homeassistant.step.init.data"
    page.get_by_label(ha_text(language, f"{fields}.username")).fill(USERNAME)
    page.get_by_label(ha_text(language, f"{fields}.password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=ha_text(language, f"{form}.next")).click()
    wait_until_loaded(page)


@pytest.fixture(scope="session")
def signed_in(demo: Demo, browser: Browser) -> dict[str, Any]:
    """The browser state of a person who logged in through the login page (its tokens)."""
    context = browser.new_context(locale=LOCALES["en"])
    log_in(context.new_page(), demo, "en")
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


@pytest.fixture(params=list(LOCALES))
def language(request: pytest.FixtureRequest) -> str:
    """Each test runs in English and in French."""
    return str(request.param)


@pytest.fixture
def page(
    browser: Browser,
    signed_in: dict[str, Any],
    language: str,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A signed-in page in the test's language; a screenshot of it when the test fails."""
    context = browser.new_context(
        locale=LOCALES[language], storage_state=signed_in, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    context.close()


@pytest.fixture(autouse=True)
def no_error_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which Home Assistant logged an ERROR the suite does not tolerate."""
    if "demo" not in request.fixturenames:
        yield
        return
    demo: Demo = request.getfixturevalue("demo")
    start = len(demo.log_text())
    yield
    new = read_records(demo.log_text()[start:])
    errors = [record.text for record in new if _is_error(record)]
    assert errors == [], "Home Assistant logged errors:\n" + "\n".join(errors)


def _is_error(record: LogRecord) -> bool:
    if record.level not in ("ERROR", "CRITICAL"):
        return False
    return not any(
        record.logger == logger and pattern.search(record.text)
        for logger, pattern, _ in TOLERATED_ERRORS
    )
