"""Fixtures shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest

# Imported before Home Assistant's `hass` fixture puts its own testing config on sys.path,
# so that HA finds this project's custom_components package (see home-assistant.md).
import custom_components.texto  # noqa: F401

BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the browser tests to their own run (``-p no:homeassistant``, see their conftest).

    Home Assistant's test plugin blocks sockets and rejects lingering threads: under it they
    cannot run (and the other tests cannot run without it).
    """
    if collection_path == BROWSER_TESTS and config.pluginmanager.has_plugin("homeassistant"):
        return True
    return None
