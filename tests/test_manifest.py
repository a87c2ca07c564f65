"""Packaging rules that hassfest and the HACS action enforce, checked offline.

The real validators run in GitHub Actions (.github/workflows/validate.yml); they cannot run here,
so these tests apply the same rules to manifest.json, hacs.json and the brand icon. The rule sets
are taken from home-assistant/core script/hassfest/manifest.py and dependencies.py, and from
hacs/integration custom_components/hacs/utils/validate.py. No test here opens a socket.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import homeassistant
import pytest
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "texto"
MANIFEST_PATH = INTEGRATION / "manifest.json"
HACS_PATH = ROOT / "hacs.json"
HA_PACKAGE = Path(homeassistant.__file__).parent

# hassfest CUSTOM_INTEGRATION_MANIFEST_SCHEMA: every key it accepts, nothing else.
HASSFEST_CUSTOM_KEYS = frozenset(
    {
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "domain",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "name",
        "quality_scale",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
# Required by hassfest (domain, name, documentation, codeowners; version and iot_class for a
# custom integration that is not a base platform) and by HACS (issue_tracker, version).
REQUIRED_KEYS = frozenset(
    {"domain", "name", "codeowners", "documentation", "iot_class", "issue_tracker", "version"}
)
INTEGRATION_TYPES = frozenset(
    {"device", "entity", "hardware", "helper", "hub", "service", "system"}
)
IOT_CLASSES = frozenset(
    {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
)
# hassfest dependencies.py ALLOWED_USED_COMPONENTS: importable without listing them.
ALLOWED_USED_COMPONENTS = frozenset(
    {
        *(platform.value for platform in Platform),
        "alert",
        "automation",
        "conversation",
        "default_config",
        "device_automation",
        "frontend",
        "group",
        "homeassistant",
        "input_boolean",
        "input_button",
        "input_datetime",
        "input_number",
        "input_select",
        "input_text",
        "media_source",
        "onboarding",
        "panel_custom",
        "persistent_notification",
        "person",
        "script",
        "shopping_list",
        "sun",
        "system_health",
        "system_log",
        "timer",
        "webhook",
        "websocket_api",
        "zone",
        "mjpeg",
        "stream",
    }
)
# HACS HACS_MANIFEST_JSON_SCHEMA (extra keys are refused).
HACS_KEYS = frozenset(
    {
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "name",
        "persistent_directory",
        "render_readme",
        "zip_release",
    }
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _load_json(path: Path) -> dict[str, Any]:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.relative_to(ROOT)} must hold a JSON object"
    return data


@pytest.fixture(name="manifest")
def manifest_fixture() -> dict[str, Any]:
    return _load_json(MANIFEST_PATH)


@pytest.fixture(name="hacs")
def hacs_fixture() -> dict[str, Any]:
    return _load_json(HACS_PATH)


def _requirement_lines(path: Path) -> list[str]:
    """Return the requirement lines of a pip requirements file (no comments, no -r)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def _core_shipped_packages() -> set[str]:
    """Return the canonical names of the packages Home Assistant core installs or pins."""
    names = set()
    constraints = HA_PACKAGE / "package_constraints.txt"
    for line in _requirement_lines(constraints):
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue
    for line in importlib.metadata.requires("homeassistant") or []:
        names.add(canonicalize_name(Requirement(line).name))
    return names


def _tested_home_assistant() -> str:
    """Return the Home Assistant release requirements_test.txt pins (the oldest tested)."""
    for line in _requirement_lines(ROOT / "requirements_test.txt"):
        requirement = Requirement(line)
        if requirement.name == "homeassistant":
            (pin,) = requirement.specifier
            return pin.version
    raise AssertionError("requirements_test.txt does not pin homeassistant")


def _is_valid_version(value: str) -> bool:
    """Apply hassfest's verify_version: one of these strategies must recognise it."""
    strategies = [
        AwesomeVersionStrategy.CALVER,
        AwesomeVersionStrategy.SEMVER,
        AwesomeVersionStrategy.SIMPLEVER,
        AwesomeVersionStrategy.BUILDVER,
        AwesomeVersionStrategy.PEP440,
    ]
    return AwesomeVersion(value).strategy in strategies


def _referenced_components(path: Path) -> set[str]:
    """Return the HA components a module imports, outside `if TYPE_CHECKING:` (as hassfest)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        is_if = isinstance(node, ast.If)
        if is_if and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("homeassistant.components."):
                found.add(node.module.split(".")[2])
            elif node.module == "homeassistant.components":
                found.update(alias.name for alias in node.names)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("homeassistant.components."):
                    found.add(alias.name.split(".")[2])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


# --- manifest.json -------------------------------------------------------------------------


def test_manifest_has_required_keys(manifest: dict[str, Any]) -> None:
    missing = REQUIRED_KEYS - manifest.keys()
    assert not missing, f"manifest.json lacks required keys: {sorted(missing)}"


def test_manifest_keys_are_domain_name_then_alphabetical(manifest: dict[str, Any]) -> None:
    keys = list(manifest)
    expected = ["domain", "name", *sorted(key for key in keys if key not in {"domain", "name"})]
    assert keys == expected, (
        f"hassfest wants manifest keys as domain, name, then alphabetical: {expected}, got {keys}"
    )


def test_manifest_has_no_unknown_keys(manifest: dict[str, Any]) -> None:
    unknown = manifest.keys() - HASSFEST_CUSTOM_KEYS
    assert not unknown, f"hassfest refuses these manifest keys: {sorted(unknown)}"


def test_manifest_identity(manifest: dict[str, Any]) -> None:
    assert manifest["domain"] == INTEGRATION.name, (
        f"domain {manifest['domain']!r} must match the directory name {INTEGRATION.name!r}"
    )
    assert manifest["name"] == "Texto", f"display name is {manifest['name']!r}, expected 'Texto'"
    assert not (HA_PACKAGE / "components" / manifest["domain"]).exists(), (
        f"domain {manifest['domain']!r} collides with a built-in Home Assistant integration"
    )


def test_manifest_classification(manifest: dict[str, Any]) -> None:
    assert manifest["integration_type"] in INTEGRATION_TYPES, (
        f"integration_type {manifest['integration_type']!r} is not one of "
        f"{sorted(INTEGRATION_TYPES)}"
    )
    assert manifest["integration_type"] == "service", "an SMS gateway account is a 'service'"
    assert manifest["iot_class"] in IOT_CLASSES, (
        f"iot_class {manifest['iot_class']!r} is not one of {sorted(IOT_CLASSES)}"
    )
    assert manifest.get("config_flow") is True, "Texto is set up from the UI: config_flow true"


def test_manifest_config_flow_module_exists(manifest: dict[str, Any]) -> None:
    if manifest.get("config_flow"):
        assert (INTEGRATION / "config_flow.py").is_file(), (
            "manifest says config_flow: true, hassfest then requires config_flow.py"
        )


def test_manifest_links_and_owners(manifest: dict[str, Any]) -> None:
    for key in ("documentation", "issue_tracker"):
        assert re.fullmatch(r"https://[^\s/]+/\S*", manifest[key]), (
            f"{key} must be an https URL, got {manifest[key]!r}"
        )
    owners = manifest["codeowners"]
    assert owners, "codeowners must name at least one GitHub account"
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in owners), (
        f"codeowners must be GitHub handles like '@user': {owners}"
    )


def test_manifest_version_is_valid(manifest: dict[str, Any]) -> None:
    version = manifest.get("version")
    assert isinstance(version, str), f"version must be a string, got {version!r}"
    assert _is_valid_version(version), f"hassfest cannot parse version {version!r}"
    Version(version)  # also a PEP 440 version, so pip and HACS compare it the same way


def test_manifest_requirements_are_pinned_like_requirements_txt(
    manifest: dict[str, Any],
) -> None:
    requirements = manifest.get("requirements", [])
    assert all(isinstance(line, str) for line in requirements), "requirements must be strings"
    for line in requirements:
        assert " " not in line, f"requirement {line!r} contains a space (hassfest refuses it)"
        specifiers = list(Requirement(line).specifier)
        assert len(specifiers) == 1, f"requirement {line!r} must be pinned with a single =="
        assert specifiers[0].operator == "==", f"requirement {line!r} must be pinned with =="
    core = _core_shipped_packages()
    library = [
        line
        for line in _requirement_lines(ROOT / "requirements.txt")
        if canonicalize_name(Requirement(line).name) not in core
    ]
    assert sorted(requirements) == sorted(library), (
        "manifest requirements must be exactly requirements.txt minus what HA core ships: "
        f"manifest {sorted(requirements)}, requirements.txt {sorted(library)}"
    )


def test_manifest_requirements_are_installed_at_their_pins(manifest: dict[str, Any]) -> None:
    for line in manifest.get("requirements", []):
        requirement = Requirement(line)
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{requirement.name} {installed} is installed but the manifest pins {line!r}"
        )


def test_manifest_requires_nothing_core_ships(manifest: dict[str, Any]) -> None:
    core = _core_shipped_packages()
    assert "aiohttp" in core, "sanity check: core's shipped packages could not be read"
    shipped = [
        line
        for line in manifest.get("requirements", [])
        if canonicalize_name(Requirement(line).name) in core
    ]
    assert not shipped, f"Home Assistant core already ships {shipped}: drop them from manifest"


def test_manifest_dependencies_are_real_components(manifest: dict[str, Any]) -> None:
    dependencies = manifest.get("dependencies", [])
    after = manifest.get("after_dependencies", [])
    both = set(dependencies) & set(after)
    assert not both, f"{sorted(both)} listed in both dependencies and after_dependencies"
    for domain in [*dependencies, *after]:
        module = f"homeassistant.components.{domain}"
        assert importlib.util.find_spec(module) is not None, f"{module} does not exist"
        component_manifest = _load_json(HA_PACKAGE / "components" / domain / "manifest.json")
        assert component_manifest["domain"] == domain, f"{module} is not the {domain} component"


def test_integration_imports_only_listed_components(manifest: dict[str, Any]) -> None:
    allowed = (
        ALLOWED_USED_COMPONENTS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {manifest["domain"]}
    )
    for path in sorted(INTEGRATION.rglob("*.py")):
        unlisted = _referenced_components(path) - allowed
        # hassfest also allows a component that has a platform module here (sensor.py, ...).
        unlisted = {ref for ref in unlisted if not (INTEGRATION / f"{ref}.py").is_file()}
        assert not unlisted, (
            f"{path.relative_to(ROOT)} imports {sorted(unlisted)}: hassfest wants them in "
            "dependencies or after_dependencies"
        )


def test_hacs_json(hacs: dict[str, Any], manifest: dict[str, Any]) -> None:
    unknown = hacs.keys() - HACS_KEYS
    assert not unknown, f"HACS refuses these hacs.json keys: {sorted(unknown)}"
    assert hacs.get("name") == manifest["name"], (
        f"hacs.json name {hacs.get('name')!r} should be the manifest name {manifest['name']!r}"
    )
    assert hacs.get("country") in ("FR", ["FR"]), "the gateways serve France: country 'FR'"
    assert hacs.get("render_readme") is True, "render_readme shows README.md in HACS"
    assert "zip_release" not in hacs, "HACS downloads the repository itself: no zip_release"


def test_hacs_minimum_home_assistant(hacs: dict[str, Any]) -> None:
    minimum = hacs.get("homeassistant")
    assert isinstance(minimum, str), "hacs.json must state the minimum Home Assistant version"
    assert AwesomeVersion(minimum).strategy == AwesomeVersionStrategy.CALVER, (
        f"homeassistant {minimum!r} must be a release like '2026.2.0'"
    )
    tested = _tested_home_assistant()
    assert AwesomeVersion(minimum) <= AwesomeVersion(tested), (
        f"minimum Home Assistant {minimum} is newer than the one the tests run on ({tested})"
    )
    assert AwesomeVersion(minimum) >= AwesomeVersion("2026.2.0"), (
        f"minimum Home Assistant {minimum} predates 2026.2, the oldest release Texto is tested on"
    )


# --- brand images --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icon(name: str, size: int) -> None:
    path = INTEGRATION / "brand" / name
    assert path.is_file(), f"brand image {path.relative_to(ROOT)} is missing"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{name} is not a PNG file"
    with Image.open(path) as image:
        assert image.format == "PNG", f"{name} is {image.format}, not PNG"
        assert image.size == (size, size), f"{name} is {image.size}, expected {size}x{size}"
        alpha = image.convert("RGBA").getchannel("A")
        assert alpha.getextrema()[0] == 0, f"{name} needs a transparent background"
    assert path.stat().st_size < 50_000, f"{name} is {path.stat().st_size} bytes: optimise it"
