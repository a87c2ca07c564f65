"""requirements_ui.txt: what the web interface needs under --skip-pip, at Home Assistant's pins.

Home Assistant installs a core integration's requirements when it first loads it; with
``--skip-pip`` (the demo, the browser tests) nothing is installed, so the packages the
frontend's action list imports must be in ``.venv`` already, at the versions this Home
Assistant's manifests pin. A package no manifest names is another pinned package's own
requirement, and must satisfy it.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import homeassistant
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]
COMPONENTS = Path(homeassistant.__file__).parent / "components"


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"{line}: pin an exact version"
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def _manifest_pins() -> dict[str, set[str]]:
    """Every version any core manifest pins, by package."""
    pinned: dict[str, set[str]] = {}
    for manifest in COMPONENTS.glob("*/manifest.json"):
        for line in json.loads(manifest.read_text(encoding="utf-8")).get("requirements", []):
            requirement = Requirement(line)
            for specifier in requirement.specifier:
                if specifier.operator == "==":
                    pinned.setdefault(canonicalize_name(requirement.name), set()).add(
                        specifier.version
                    )
    return pinned


UI_PINS = _pins(ROOT / "requirements_ui.txt")
MANIFEST_PINS = _manifest_pins()
PINNED_HOME_ASSISTANT = _pins(ROOT / "requirements_test.txt")["homeassistant"]

# The workflow's "newest HA" job installs another Home Assistant, without these pins.
pytestmark = pytest.mark.skipif(
    metadata.version("homeassistant") != PINNED_HOME_ASSISTANT,
    reason="requirements_ui.txt follows the pinned Home Assistant, not the installed one",
)


def test_the_frontend_and_the_imported_components_packages_are_listed() -> None:
    assert {
        "home-assistant-frontend",
        "hassil",
        "home-assistant-intents",
        "pyturbojpeg",
        "mutagen",
        "ha-ffmpeg",
        "pymicro-vad",
        "pyspeex-noise",
    } <= set(UI_PINS)


@pytest.mark.parametrize("name", sorted(UI_PINS))
def test_pin_is_home_assistants_own(name: str) -> None:
    version = UI_PINS[name]
    if name in MANIFEST_PINS:
        assert MANIFEST_PINS[name] == {version}
        return
    # not in a manifest: a requirement of another package listed here
    wanted_by = []
    for other in UI_PINS:
        for line in metadata.requires(other) or []:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == name and requirement.marker is None:
                assert requirement.specifier.contains(version), f"{other} wants {requirement}"
                wanted_by.append(other)
    assert wanted_by, f"{name} is neither in a Home Assistant manifest nor required by a pin"


@pytest.mark.parametrize("name", sorted(UI_PINS))
def test_pin_is_installed(name: str) -> None:
    assert metadata.version(name) == UI_PINS[name]


def test_test_requirements_include_the_ui_ones() -> None:
    lines = (ROOT / "requirements_test.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements_ui.txt" in lines
