"""What every test run shares: which folders it collects.

Three kinds of tests, in three runs (scripts/test): tests/gateway in the library's own
environment, without Home Assistant; the others with Home Assistant's test plugin; the
browser tests without it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

#: run without Home Assistant's test plugin: it blocks sockets and rejects the threads
#: Playwright keeps (``-p no:homeassistant``, see their conftest)
BROWSER_TESTS = Path(__file__).parent / "browser"
#: run in the library's environment, where Home Assistant is not even installed
GATEWAY_TESTS = Path(__file__).parent / "gateway"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the browser and library tests to their own runs when Home Assistant's plugin is on."""
    if collection_path in (BROWSER_TESTS, GATEWAY_TESTS) and config.pluginmanager.has_plugin(
        "homeassistant"
    ):
        return True
    return None


# --- what Texto's logs may never hold ------------------------------------------------------------

#: Texto's loggers: the integration's, and the library's under either of its names
TEXTO_LOGGERS = ("custom_components.texto", "texto_gateway")
#: the secrets the simulators and tests use
TEST_SECRETS = (
    "demo-allmysms-key",
    "cle-api-secrete",
    "demo-smsmode-token",
    "smsmode-token-0123456789",
    "k-0123456789",
    "relay-password",
)
#: what gives personal data or a secret away, unmasked (masked forms keep "***")
LEAKS = {
    # E.164, French national, or as the gateways write them (33...): not a date, not an id
    "a phone number": re.compile(
        r"(?<![\w*.+])(?:\+\d{9,15}|(?:00)?33[1-9]\d{8}|0[1-9]\d{8})(?![\w*])"
    ),
    # the gateway's own Mail2SMS address is not personal
    "an e-mail address": re.compile(
        r"(?<![\w.+*-])[\w.+-]*[\w+-]@(?!allmysms\.com)[\w-]+(?:\.[\w-]+)+"
    ),
    "a webhook URL": re.compile(r"/api/webhook/(?!\*)"),
    "a webhook id": re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"),
    "an account holder's name": re.compile(r"firstName|lastName"),
    "a message text": re.compile(r"Alarme(?! maison)|Désarmer|\bOui\b"),
}


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def leaks_in(message: str) -> list[str]:
    """What ``message`` gives away, by kind."""
    found = [kind for kind, pattern in LEAKS.items() if pattern.search(message)]
    return found + ["a secret" for secret in TEST_SECRETS if secret in message]


@pytest.fixture(autouse=True)
def texto_logs_hold_no_personal_data() -> Iterator[None]:
    """Every test runs with Texto's loggers at DEBUG; none of their lines may leak anything."""
    recorder = _Recorder()
    loggers = [logging.getLogger(name) for name in TEXTO_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(recorder)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(recorder)
        logger.setLevel(level)
    leaked = [(leaks_in(message), message) for message in recorder.messages if leaks_in(message)]
    assert not leaked, f"Texto logged what it must mask: {leaked[:5]}"
