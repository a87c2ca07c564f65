"""What every test run shares: which folders it collects.

Three kinds of tests, in three runs (scripts/test): tests/gateway in the library's own
environment, without Home Assistant; the others with Home Assistant's test plugin; the
browser tests without it.
"""

from __future__ import annotations

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
