"""Translations: complete in English and French, and covering every key the code uses."""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
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
        "unconfirmed",
    }


# --- what hassfest refuses in any translated string (script/hassfest/translations.py) ---------

#: hassfest's URL pattern, and any other scheme:// address (placeholders carry URLs instead)
_URLS = (
    re.compile(
        r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
        r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
        re.IGNORECASE,
    ),
    re.compile(r"\b[a-z][a-z0-9+.-]*://", re.IGNORECASE),
)
_HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")


def _strings(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    return [(path, _value(tree, path)) for path in sorted(_key_paths(tree))]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_string_breaks_a_hassfest_rule(language: str) -> None:
    broken = []
    for path, text in _strings(_load(f"translations/{language}.json")):
        if any(url.search(text) for url in _URLS):
            broken.append((path, "URL"))
        if _HTML.search(text):
            broken.append((path, "HTML"))
        if _QUOTED_PLACEHOLDER.search(text):
            broken.append((path, "placeholder in single quotes"))
        if text != text.strip():
            broken.append((path, "leading or trailing space"))
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and not name.isidentifier():
                broken.append((path, f"placeholder {name!r}"))
    assert broken == []


# --- every key the code names has a string in both languages ---------------------------------

#: where each flow module's keys live in the translations (a key in any of its sections)
_FLOW_SECTIONS = {
    "config_flow.py": ("config",),
    "modem_flow.py": ("config",),
    "options_flow.py": ("options",),
    "recipient_flow.py": ("config_subentries.recipient",),
    "repairs.py": ("issues.spending_cap.fix_flow", "issues.assist_locked_out.fix_flow"),
}


def _literal_keys(module: Path) -> dict[str, set[str]]:
    """The translation keys a module writes literally, by kind (error, abort, step, raised)."""
    keys: dict[str, set[str]] = {"error": set(), "abort": set(), "step": set(), "raised": set()}
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            name = node.func.id if isinstance(node.func, ast.Name) else name
            first = node.args[0] if node.args else None
            if name in ("validation_error", "gateway_error") and isinstance(first, ast.Constant):
                keys["raised"].add(first.value)
            if name == "AbortFlow" and isinstance(first, ast.Constant):
                keys["abort"].add(first.value)
            for keyword in node.keywords:
                if not isinstance(keyword.value, ast.Constant):
                    continue
                if keyword.arg == "reason":
                    keys["abort"].add(keyword.value.value)
                elif keyword.arg == "step_id":
                    keys["step"].add(keyword.value.value)
                elif keyword.arg == "translation_key":
                    keys["raised"].add(keyword.value.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            # errors[CONF_X] = "invalid_x"
            if any(
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
                for target in node.targets
            ):
                keys["error"].add(node.value.value)
        elif isinstance(node, ast.Dict):
            # {"base": "invalid_auth"}
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "base"
                    and isinstance(value, ast.Constant)
                ):
                    keys["error"].add(value.value)
    return keys


def _section(tree: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    node: Any = tree
    for key in dotted.split("."):
        node = node[key]
    return dict(node)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_key_the_code_names_has_a_string(language: str) -> None:
    strings = _load(f"translations/{language}.json")
    raisable = set(strings["exceptions"]) | set(strings["issues"])
    raisable |= {key for platform in strings["entity"].values() for key in platform}
    missing: list[str] = []
    found = 0
    for module in sorted(INTEGRATION.glob("*.py")):
        keys = _literal_keys(module)
        found += sum(len(kind) for kind in keys.values())
        missing += [f"{module.name}: {key}" for key in keys["raised"] - raisable]
        flows = _FLOW_SECTIONS.get(module.name)
        if flows is None:
            assert not (keys["error"] | keys["abort"] | keys["step"]), module.name
            continue
        sections = [_section(strings, flow) for flow in flows]
        for kind, where in (("error", "error"), ("abort", "abort"), ("step", "step")):
            known = {key for section in sections for key in section.get(where, {})}
            missing += [f"{module.name}: {where}.{key}" for key in keys[kind] - known]
    assert found > 40, "the scan found almost no key: it is out of date"
    assert missing == []


# --- French follows the glossary ---------------------------------------------------------------

GLOSSARY = Path(__file__).parents[2] / "GLOSSARY.md"


def _never_in_french() -> list[str]:
    """The last column of GLOSSARY.md's table: words no French string uses."""
    words: list[str] = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("concept", "---"):
            words += [word.strip() for word in cells[3].split(",") if word.strip()]
    return words


def test_french_uses_one_word_per_concept() -> None:
    never = _never_in_french()
    assert "émetteur" in never, "the glossary's table is not read"
    used = [
        (path, word)
        for path, text in _strings(_load("translations/fr.json"))
        for word in never
        # placeholders are names, not words: {parts}
        if re.search(rf"(?<![\w{{]){re.escape(word)}(?![\w}}])", text, re.IGNORECASE)
    ]
    assert used == []


def test_every_feature_a_gateway_may_lack_has_its_own_message() -> None:
    from custom_components.texto.errors import NAMED_FEATURES

    for language in ("en", "fr"):
        exceptions = _load(f"translations/{language}.json")["exceptions"]
        for feature in NAMED_FEATURES:
            assert "{gateway}" in exceptions[f"unsupported_{feature}"]["message"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_errors_and_aborts_carry_no_markdown(language: str) -> None:
    """Errors and abort reasons are shown as plain text: a backtick would show as one."""
    marked = [
        path
        for path, text in _strings(_load(f"translations/{language}.json"))
        if re.search(r"\.(error|abort)\.|^exceptions\.", path) and ("`" in text or "**" in text)
    ]
    assert marked == []


# --- triggers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_trigger_and_option_is_translated(language: str) -> None:
    triggers = yaml.safe_load((INTEGRATION / "triggers.yaml").read_text(encoding="utf-8"))
    strings = _load(f"translations/{language}.json")
    icons = _load("icons.json")["triggers"]
    assert set(triggers) == set(strings["triggers"]) == set(icons)
    for name, spec in triggers.items():
        texts = strings["triggers"][name]
        assert texts["name"]
        assert texts["description"]
        assert set(spec["fields"]) == set(texts["fields"]), name
        for field, field_spec in spec["fields"].items():
            assert {"name", "description"} <= set(texts["fields"][field]), (name, field)
            select = field_spec["selector"].get("select")
            if select is not None:
                labels = strings["selector"][select["translation_key"]]["options"]
                assert set(select["options"]) == set(labels), (name, field)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_device_trigger_is_translated(language: str) -> None:
    from custom_components.texto.device_trigger import ACCOUNT_TRIGGERS, RECIPIENT_TRIGGERS
    from custom_components.texto.device_trigger import REPLY_FIELDS as DEVICE_REPLY_FIELDS

    automation = _load(f"translations/{language}.json")["device_automation"]
    assert set(automation["trigger_type"]) == {*RECIPIENT_TRIGGERS, *ACCOUNT_TRIGGERS}
    assert set(automation["extra_fields"]) == set(automation["extra_fields_descriptions"])
    reply_fields = {str(field) for field in DEVICE_REPLY_FIELDS}
    assert reply_fields == set(automation["extra_fields"])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_searching_texto_finds_every_trigger(language: str) -> None:
    """The trigger picker searches names and descriptions: each one says Texto."""
    strings = _load(f"translations/{language}.json")
    texts = [f"{t['name']} {t['description']}" for t in strings["triggers"].values()]
    texts += list(strings["device_automation"]["trigger_type"].values())
    assert [text for text in texts if "Texto" not in text] == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_trigger_descriptions_say_the_event_data_in_words(language: str) -> None:
    strings = _load(f"translations/{language}.json")
    assert [
        name
        for name, texts in strings["triggers"].items()
        if "trigger.event" in texts["description"]
    ] == []
