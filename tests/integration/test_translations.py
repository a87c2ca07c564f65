"""Translations: complete in English and French, and covering every key the code uses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "texto"

# the ways the code names a translated exception or issue
_KEY_USES = re.compile(
    r"""(?:validation_error|gateway_error)\(\s*"(?P<call>\w+)"|translation_key="(?P<kw>\w+)\""""
)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return data


def _key_paths(tree: Mapping[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        paths |= _key_paths(value, path) if isinstance(value, Mapping) else {path}
    return paths


def _value(tree: Mapping[str, Any], path: str) -> str:
    node: Any = tree
    for key in path.split("."):
        node = node[key]
    assert isinstance(node, str)
    return node


def test_english_and_french_have_the_same_keys() -> None:
    assert _key_paths(_load("translations/en.json")) == _key_paths(_load("translations/fr.json"))


def test_french_is_translated() -> None:
    """A French text identical to the English one is a forgotten translation."""
    english, french = _load("translations/en.json"), _load("translations/fr.json")
    same = {
        path
        for path in _key_paths(english)
        if _value(english, path) == _value(french, path) and " " in _value(english, path)
    }
    assert same == set()


def test_every_exception_and_issue_the_code_raises_is_translated() -> None:
    english = _load("translations/en.json")
    known = set(english["exceptions"]) | set(english["issues"])
    used: set[str] = set()
    for module in INTEGRATION.glob("*.py"):
        for match in _KEY_USES.finditer(module.read_text(encoding="utf-8")):
            used.add(match.group("call") or match.group("kw"))
    # issue translation keys are passed as variables: the two kinds issues.py raises
    assert {"low_credit", "credit_exhausted"} <= set(english["issues"])
    assert used, "the pattern found no translation key: it is out of date"
    entity_keys = {key for platform in english["entity"].values() for key in platform}
    assert used - known - entity_keys == set()


def test_every_action_and_field_is_translated() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    english = _load("translations/en.json")["services"]
    icons = _load("icons.json")["services"]
    assert set(services) == set(english) == set(icons)
    for action, spec in services.items():
        assert set(spec.get("fields", {})) == set(english[action]["fields"]), action


def test_every_sensor_state_has_a_name_and_an_icon() -> None:
    english = _load("translations/en.json")["entity"]["sensor"]
    icons = _load("icons.json")["entity"]["sensor"]
    assert set(english) == set(icons)
    states = set(english["last_status"]["state"])
    assert states == set(icons["last_status"]["state"])
    assert states == {
        "queued",
        "sending",
        "scheduled",
        "sent",
        "delivered",
        "failed",
        "expired",
        "unknown",
    }
