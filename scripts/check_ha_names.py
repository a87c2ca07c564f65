"""Check that every Home Assistant name Texto uses exists in given Home Assistant source trees.

Reads the sources only (``ast``, nothing is imported), so it also checks a Home Assistant that
cannot run here, such as the 2026.11 wheel (Python 3.14) unzipped in a directory:

    .venv/bin/python scripts/check_ha_names.py /tmp/ha2611/full .venv/lib/python3.13/site-packages

Each argument is a directory holding the ``homeassistant`` package (or the package itself).
For each tree, in ``custom_components/texto`` (``gateway/`` excepted), it checks:

- every ``from homeassistant.X import Y`` and ``import homeassistant.X``: the module exists and
  ``Y`` is defined, assigned, imported or re-exported at its top level (``from .y import Y``,
  ``import *`` chains honouring ``__all__``, submodules of packages) - not only under
  ``TYPE_CHECKING``, nor only through a deprecated-constant ``__getattr__``;
- every attribute Texto reads on a Home Assistant object (``hass.config_entries.x``,
  ``self.async_show_form`` in a flow, ``cv.string``, ``Platform.NOTIFY`` ...) as far as a small
  type inference (annotations, constructors, return annotations) follows the objects, and the
  keyword names (and number of positional arguments) of every call into Home Assistant;
- every member a Texto class overrides or sets (``_attr_*``, ``@override``) on a Home Assistant
  base class;
- the APIs of ``REQUIRED_API`` below, with the keywords Texto passes them;
- that ``gateway/`` imports nothing from Home Assistant, directly or through the integration;
- with probatio beside the tree (Home Assistant 2026.3+), the ``vol.X`` names Texto uses.

With several trees it also lists the names whose status differs between them. Exit status 1
when a name is missing, deprecated or called with a keyword it lacks in any tree; a name Texto
reads behind ``getattr``/``hasattr`` is reported when absent, never a failure.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import collections.abc
import dataclasses
import enum
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "texto"
INTEGRATION_PACKAGE = "custom_components.texto"
GATEWAY = "gateway"

#: APIs Texto relies on, checked even where the inference does not reach their call sites:
#: (module, class or None, member, keyword names Texto passes, guarded). A guarded member is
#: read behind ``getattr``/``hasattr``: its absence is reported, never a failure.
REQUIRED_API: tuple[tuple[str, str | None, str, tuple[str, ...], bool], ...] = (
    ("homeassistant.config_entries", "ConfigSubentryFlow", "_get_entry", (), False),
    ("homeassistant.config_entries", "ConfigSubentryFlow", "_get_reconfigure_subentry", (), False),
    (
        "homeassistant.config_entries",
        "ConfigSubentryFlow",
        "async_update_and_abort",
        ("title", "data", "unique_id"),
        False,
    ),
    ("homeassistant.config_entries", "ConfigFlow", "_get_reauth_entry", (), False),
    ("homeassistant.config_entries", "ConfigFlow", "_get_reconfigure_entry", (), False),
    (
        "homeassistant.config_entries",
        "ConfigFlow",
        "async_update_reload_and_abort",
        ("unique_id", "data", "reason"),
        False,
    ),
    (
        "homeassistant.config_entries",
        "ConfigFlow",
        "_abort_if_unique_id_mismatch",
        ("reason",),
        False,
    ),
    ("homeassistant.config_entries", "ConfigEntries", "async_schedule_reload", (), False),
    ("homeassistant.config_entries", "ConfigEntry", "update_listeners", (), False),
    ("homeassistant.components.notify", "NotifyEntity", "_async_record_notification", (), True),
    (
        "homeassistant.helpers.service",
        None,
        "async_register_platform_entity_service",
        ("entity_domain", "schema", "func", "supports_response"),
        False,
    ),
    (
        "homeassistant.helpers.update_coordinator",
        "DataUpdateCoordinator",
        "__init__",
        ("config_entry", "name", "update_interval"),
        False,
    ),
    (
        "homeassistant.helpers.update_coordinator",
        "UpdateFailed",
        "__init__",
        ("translation_domain", "translation_key"),
        False,
    ),
    ("homeassistant.data_entry_flow", None, "section", (), False),
    ("homeassistant.components.diagnostics", None, "async_redact_data", (), False),
    (
        "homeassistant.helpers.issue_registry",
        None,
        "async_create_issue",
        ("is_fixable", "severity", "translation_key", "translation_placeholders"),
        False,
    ),
)

Status = Literal["ok", "unverified", "absent-guarded", "deprecated", "bad-call", "missing"]
#: from best to worst: a name shows its worst status
STATUS_ORDER: tuple[Status, ...] = (
    "ok",
    "unverified",
    "absent-guarded",
    "deprecated",
    "bad-call",
    "missing",
)
FAILING: frozenset[Status] = frozenset({"deprecated", "bad-call", "missing"})

#: stdlib modules whose classes Home Assistant classes derive from: members are looked up on
#: the real classes (``StrEnum``, ``Exception``, ``TypedDict`` ...)
STDLIB_MODULES: dict[str, types.ModuleType] = {
    "builtins": builtins,
    "enum": enum,
    "typing": typing,
    "collections.abc": collections.abc,
    "types": types,
    "dataclasses": dataclasses,
}
#: bases that say nothing about members
TRANSPARENT_BASES = frozenset({"object", "Generic", "Protocol", "ABC"})

type FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Visibility = Literal["both", "runtime", "typing"]


# --- parsing ---------------------------------------------------------------------------------

#: ``except A, B:`` without parentheses (PEP 758, Python 3.14), which 3.13 cannot parse
_BARE_EXCEPT_TUPLE = re.compile(r"^(\s*except\*?\s+)([^():#\n]+,[^():#\n]+?)(\s*:)", re.MULTILINE)


def parse_source(path: Path) -> ast.Module:
    """Parse a module, also when it uses Python 3.14 syntax this Python lacks.

    Home Assistant 2026.3 and later need Python 3.14: their ``except A, B:`` clauses get
    parentheses first (same meaning), so that a 3.13 interpreter reads them.
    """
    source = path.read_text(encoding="utf-8")
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError:
        return ast.parse(_BARE_EXCEPT_TUPLE.sub(r"\1(\2)\3", source), filename=str(path))


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain (a call is looked through), else ''."""
    if isinstance(node, ast.Call):
        return dotted(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def target_names(target: ast.expr) -> list[str]:
    """Names an assignment target binds."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in target_names(element)]
    return []


def literal_strings(node: ast.expr | None) -> list[str] | None:
    """The strings of a literal list/tuple/set, None for anything else."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        return [value for value in values if isinstance(value, str)]
    return None


def decorators(node: ast.AST) -> set[str]:
    """Last component of each decorator's name."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {dotted(d).rpartition(".")[2] for d in node.decorator_list}
    return set()


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return dotted(test).rpartition(".")[2] == "TYPE_CHECKING"


def visible_statements(
    body: list[ast.stmt], visibility: Visibility = "both"
) -> Iterator[tuple[ast.stmt, Visibility]]:
    """Statements of a body, descending into ``if``/``try`` blocks.

    ``if TYPE_CHECKING:`` bodies are for type checkers only; ``if not TYPE_CHECKING:``
    bodies exist at run time but are hidden from type checkers.
    """
    for node in body:
        if isinstance(node, ast.If):
            if is_type_checking(node.test):
                yield from visible_statements(node.body, "typing")
                yield from visible_statements(node.orelse, "runtime")
            elif isinstance(node.test, ast.UnaryOp) and is_type_checking(node.test.operand):
                yield from visible_statements(node.body, "runtime")
                yield from visible_statements(node.orelse, "typing")
            else:
                yield from visible_statements(node.body, visibility)
                yield from visible_statements(node.orelse, visibility)
        elif isinstance(node, ast.Try | ast.TryStar):
            for block in (node.body, node.orelse, node.finalbody):
                yield from visible_statements(block, visibility)
            for handler in node.handlers:
                yield from visible_statements(handler.body, visibility)
        else:
            yield node, visibility


def is_overload(node: FunctionNode) -> bool:
    """An ``@overload`` stub."""
    return "overload" in decorators(node)


# --- modules and their top-level names ---------------------------------------------------------


@dataclass
class Binding:
    """What a module-level name is bound to."""

    kind: Literal["def", "class", "value", "import", "from"]
    node: ast.AST
    #: ``import``: the module; ``from``: the source module
    module: str = ""
    #: ``from``: the name in the source module
    name: str = ""
    typing_only: bool = False


@dataclass
class Module:
    """A parsed module of a tree."""

    name: str
    path: Path
    is_package: bool
    tree: ast.Module
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    all_names: list[str] | None = None

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def absolute(self, level: int, name: str | None) -> str:
        """The absolute name of a (possibly relative) import in this module."""
        if level == 0:
            return name or ""
        parts = self.package.split(".")
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, name] if name else parts)

    def collect(self) -> None:
        """Record the top-level bindings."""
        for node, visibility in visible_statements(self.tree.body):
            typing_only = visibility == "typing"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not (is_overload(node) and node.name in self.bindings):
                    self.bindings[node.name] = Binding("def", node, typing_only=typing_only)
            elif isinstance(node, ast.ClassDef):
                self.bindings[node.name] = Binding("class", node, typing_only=typing_only)
            elif isinstance(node, ast.Import):
                self._collect_import(node, typing_only)
            elif isinstance(node, ast.ImportFrom):
                self._collect_import_from(node, typing_only)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.TypeAlias):
                self._collect_assignment(node, typing_only)

    def _collect_import(self, node: ast.Import, typing_only: bool) -> None:
        for alias in node.names:
            if alias.asname:
                self.bindings[alias.asname] = Binding("import", node, alias.name, "", typing_only)
            else:
                top = alias.name.partition(".")[0]
                self.bindings[top] = Binding("import", node, top, "", typing_only)

    def _collect_import_from(self, node: ast.ImportFrom, typing_only: bool) -> None:
        source = self.absolute(node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                if not typing_only:
                    self.star_imports.append(source)
                continue
            self.bindings[alias.asname or alias.name] = Binding(
                "from", node, source, alias.name, typing_only
            )

    def _collect_assignment(
        self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.TypeAlias, typing_only: bool
    ) -> None:
        if isinstance(node, ast.Assign):
            targets = node.targets
        else:
            targets = [node.name if isinstance(node, ast.TypeAlias) else node.target]
        names = [name for target in targets for name in target_names(target)]
        for name in names:
            self.bindings[name] = Binding("value", node, typing_only=typing_only)
        if "__all__" in names and not isinstance(node, ast.TypeAlias):
            listed = literal_strings(node.value) or []
            if isinstance(node, ast.AugAssign):
                self.all_names = (self.all_names or []) + listed
            else:
                self.all_names = listed

    def exports(self, name: str) -> bool:
        """Whether ``from this import *`` gives ``name``."""
        if self.all_names is not None:
            return name in self.all_names
        return not name.startswith("_")

    def deprecation_note(self, name: str) -> str | None:
        """What a module-level ``_DEPRECATED...`` table says about ``name``, if anything."""
        for key, binding in self.bindings.items():
            if not key.startswith("_DEPRECATED") or not isinstance(
                binding.node, ast.Assign | ast.AnnAssign
            ):
                continue
            table = binding.node.value
            if isinstance(table, ast.Dict):
                for entry_key, value in zip(table.keys, table.values, strict=True):
                    if isinstance(entry_key, ast.Constant) and entry_key.value == name:
                        return f"{key}[{name!r}] = {ast.unparse(value)}"
        return None


@dataclass(frozen=True)
class Symbol:
    """What a name resolves to."""

    kind: Literal["module", "class", "function", "value", "external", "deprecated"]
    module: str
    name: str
    node: ast.AST | None = field(default=None, compare=False)
    typing_only: bool = False


class SourceTree:
    """The modules under one root directory (Home Assistant's, or the repository)."""

    def __init__(self, root: Path, top: str, delegate: SourceTree | None = None) -> None:
        self.root = root
        self.top = top
        #: the tree that resolves what this one imports (Texto's -> Home Assistant's)
        self.delegate = delegate
        self._modules: dict[str, Module | None] = {}

    def owns(self, module: str) -> bool:
        """Whether ``module`` belongs to this tree."""
        return module == self.top or module.startswith(self.top + ".")

    def module(self, name: str) -> Module | None:
        """The parsed module, or None when the tree has no such module."""
        if name not in self._modules:
            self._modules[name] = self._load(name)
        return self._modules[name]

    def _load(self, name: str) -> Module | None:
        if not self.owns(name):
            return None
        base = self.root.joinpath(*name.split("."))
        for path, is_package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
            if path.is_file():
                module = Module(name, path, is_package, parse_source(path))
                module.collect()
                return module
        return None

    def _other(self, module: str) -> SourceTree | None:
        if self.owns(module):
            return self
        if self.delegate is not None and self.delegate.owns(module):
            return self.delegate
        return None

    def lookup(
        self, module_name: str, name: str, seen: frozenset[str] = frozenset()
    ) -> Symbol | None:
        """Resolve ``name`` at the top level of ``module_name``, following re-exports."""
        tree = self._other(module_name)
        if tree is None:
            return Symbol("external", module_name, name)
        if tree is not self:
            return tree.lookup(module_name, name, seen)
        module = self.module(module_name)
        if module is None or module_name in seen:
            return None
        seen |= {module_name}
        binding = module.bindings.get(name)
        if binding is not None:
            symbol = self._resolve_binding(module, name, binding, seen)
            if symbol is not None:
                return dataclasses.replace(symbol, typing_only=binding.typing_only)
        for source in module.star_imports:
            source_module = self.module(source)
            if source_module is None or source_module.exports(name):
                symbol = self.lookup(source, name, seen)
                if symbol is not None:
                    return symbol
        if "__getattr__" in module.bindings and f"_DEPRECATED_{name}" in module.bindings:
            return Symbol("deprecated", module_name, name)
        return None

    def _resolve_binding(
        self, module: Module, name: str, binding: Binding, seen: frozenset[str]
    ) -> Symbol | None:
        if binding.kind == "def":
            return Symbol("function", module.name, name, binding.node)
        if binding.kind == "class":
            return Symbol("class", module.name, name, binding.node)
        if binding.kind == "value":
            return Symbol("value", module.name, name, binding.node)
        if binding.kind == "import":
            tree = self._other(binding.module)
            if tree is None:
                return Symbol("external", binding.module, "")
            return Symbol("module", binding.module, name) if tree.module(binding.module) else None
        return self.import_from(binding.module, binding.name, seen)

    def import_from(
        self, source: str, name: str, seen: frozenset[str] = frozenset()
    ) -> Symbol | None:
        """What ``from source import name`` gives: a name of the module, or a submodule."""
        tree = self._other(source)
        if tree is None:
            return Symbol("external", source, name)
        symbol = tree.lookup(source, name, seen)
        if symbol is None and tree.module(f"{source}.{name}") is not None:
            return Symbol("module", f"{source}.{name}", name)
        return symbol


# --- classes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassRef:
    """A class: in a source tree (module + node), from the standard library, or unknown."""

    module: str
    name: str
    #: compared by identity: the same class name in two trees is two classes
    node: ast.ClassDef | None = None
    owner: Literal["ha", "texto", "stdlib", "external"] = "ha"

    @property
    def qualname(self) -> str:
        """``module.Class``."""
        return f"{self.module}.{self.name}"

    def real(self) -> type | None:
        """The standard library class itself."""
        module = STDLIB_MODULES.get(self.module, builtins)
        real = getattr(module, self.name, None)
        return real if isinstance(real, type) else None


@dataclass(frozen=True)
class Member:
    """A member found on a class."""

    owner: ClassRef
    name: str
    kind: Literal["method", "property", "attribute", "class", "stdlib"]
    node: ast.AST | None = field(default=None, compare=False)
    annotation: ast.expr | None = field(default=None, compare=False)
    visibility: Visibility = "both"
    #: defined in the class body (not by ``self.x = ...`` in a method)
    in_body: bool = True


@cache
def own_members(cls: ClassRef) -> dict[str, Member]:
    """Members a class defines itself: its body, and ``self.x = ...`` in its methods."""
    members: dict[str, Member] = {}
    if cls.node is None:
        return members
    methods: list[FunctionNode] = []
    for node, visibility in visible_statements(cls.node.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(node)
            found = decorators(node)
            if (is_overload(node) and node.name in members) or found & {"setter", "deleter"}:
                continue
            is_property = bool(found & {"property", "cached_property"})
            members[node.name] = Member(
                cls,
                node.name,
                "property" if is_property else "method",
                node,
                node.returns if is_property else None,
                visibility,
            )
        elif isinstance(node, ast.ClassDef):
            members[node.name] = Member(cls, node.name, "class", node, None, visibility)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members[node.target.id] = Member(
                cls, node.target.id, "attribute", node, node.annotation, visibility
            )
        elif isinstance(node, ast.Assign):
            for name in (n for target in node.targets for n in target_names(target)):
                members[name] = Member(cls, name, "attribute", node, None, visibility)
    for method in methods:
        for name, node, annotation in _self_assignments(method):
            members.setdefault(
                name, Member(cls, name, "attribute", node, annotation, in_body=False)
            )
    return members


def _self_assignments(method: FunctionNode) -> Iterator[tuple[str, ast.AST, ast.expr | None]]:
    for node in ast.walk(method):
        if isinstance(node, ast.AnnAssign):
            target, annotation = node.target, node.annotation
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, annotation = node.targets[0], None
        else:
            continue
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            yield target.attr, node, annotation


def field_names(cls: ClassRef) -> dict[str, Visibility]:
    """Annotated attributes of the class body (dataclass / TypedDict fields), no ``ClassVar``."""
    return {
        member.name: member.visibility
        for member in own_members(cls).values()
        if member.in_body
        and isinstance(member.node, ast.AnnAssign)
        and "ClassVar" not in ast.unparse(member.node.annotation)
        and member.name != "_"  # dataclasses.KW_ONLY marker
    }


def dataclass_like(cls: ClassRef) -> bool:
    """A dataclass (also Home Assistant's ``frozen_or_thawed`` descriptions) or TypedDict."""
    if cls.node is None:
        return cls.name in ("TypedDict", "NamedTuple")
    if "dataclass" in decorators(cls.node):
        return True
    return any(k.arg in ("frozen_or_thawed", "total") for k in cls.node.keywords)


@dataclass
class Signature:
    """What a call may pass."""

    #: names that may go by keyword (positional-only ones excluded)
    keywords: set[str]
    #: how many arguments may go by position
    positional: int
    varargs: bool
    varkw: bool

    @classmethod
    def of(cls, node: FunctionNode, *, bound: bool) -> Signature:
        """The signature of ``node``; ``bound`` drops its first parameter (self/cls)."""
        arguments = node.args
        positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        if bound and positional:
            positional.pop(0)
        positional_only = {a.arg for a in arguments.posonlyargs}
        return cls(
            keywords={name for name in positional if name not in positional_only}
            | {a.arg for a in arguments.kwonlyargs},
            positional=len(positional),
            varargs=arguments.vararg is not None,
            varkw=arguments.kwarg is not None,
        )


def forwards_kwargs_to_super(node: FunctionNode) -> bool:
    """Whether ``node`` passes its ``**kwargs`` on to ``super().<same method>(...)``."""
    if node.args.kwarg is None:
        return False
    kwargs = node.args.kwarg.arg
    return any(
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == node.name
        and dotted(call.func.value) == "super"
        and any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwargs
            for k in call.keywords
        )
        for call in ast.walk(node)
    )


@dataclass
class CallCheck:
    """The verdict on one call's arguments."""

    status: Status
    detail: str


def judge_call(
    signature: Signature, keywords: list[str], positional: int, *, starred: bool
) -> CallCheck:
    """Whether a call with these arguments fits ``signature``."""
    unknown = sorted(k for k in keywords if k not in signature.keywords)
    if unknown and not signature.varkw:
        return CallCheck("bad-call", f"no parameter {', '.join(unknown)}")
    if positional > signature.positional and not signature.varargs and not starred:
        return CallCheck(
            "bad-call", f"{positional} positional arguments, at most {signature.positional}"
        )
    return CallCheck("ok", "keywords " + ", ".join(sorted(keywords)) if keywords else "called")


# --- resolving names, classes and types against one Home Assistant tree --------------------------


@dataclass(frozen=True)
class Ty:
    """What an expression is, as far as the checker can tell."""

    kind: Literal["instance", "classobj", "module", "super", "function"]
    cls: ClassRef | None = None
    module: str = ""
    #: type arguments (``list[X]`` -> (X,)), for iteration
    args: tuple[Ty | None, ...] = ()
    #: ``function``: its node, defining module, whether self is bound, and its report name
    function: FunctionNode | None = field(default=None, compare=False)
    function_module: str = ""
    bound: bool = False
    label: str = ""
    #: ``super``: the class whose bases are searched; ``function``: the class defining it
    within: ClassRef | None = None


class Resolver:
    """Names, classes, members and annotations of Texto's code and one Home Assistant."""

    def __init__(self, ha_root: Path) -> None:
        self.ha = SourceTree(ha_root, "homeassistant")
        self.texto = SourceTree(REPO, "custom_components", delegate=self.ha)

    def version(self) -> str:
        """The Home Assistant version of the tree (from its ``const.py``)."""
        const = self.ha.module("homeassistant.const")
        parts = []
        for name in ("MAJOR_VERSION", "MINOR_VERSION", "PATCH_VERSION"):
            binding = const.bindings.get(name) if const else None
            node = binding.node if binding else None
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            parts.append(str(value.value) if isinstance(value, ast.Constant) else "?")
        return ".".join(parts)

    def resolve_name(self, module: str, name: str) -> Symbol | None:
        """A name at the top level of a module of either tree (builtins last)."""
        symbol = self.texto.lookup(module, name)
        if (symbol is None or symbol.kind == "external") and hasattr(builtins, name):
            return Symbol("external", "builtins", name)
        return symbol

    def resolve_expression(self, module: str, node: ast.expr) -> Symbol | None:
        """A name or attribute chain (``config_entries.ConfigEntry``) in a module's context."""
        if isinstance(node, ast.Name):
            return self.resolve_name(module, node.id)
        if isinstance(node, ast.Attribute):
            inner = self.resolve_expression(module, node.value)
            if inner is not None and inner.kind == "module":
                return self.texto.import_from(inner.module, node.attr)
            if inner is not None and inner.kind == "external":
                return Symbol("external", f"{inner.module}.{inner.name}".strip("."), node.attr)
        return None

    def class_ref(self, symbol: Symbol | None) -> ClassRef | None:
        """The class a symbol names, if it names one."""
        if symbol is None:
            return None
        if symbol.kind == "class" and isinstance(symbol.node, ast.ClassDef):
            owner: Literal["ha", "texto"] = "ha" if self.ha.owns(symbol.module) else "texto"
            return ClassRef(symbol.module, symbol.name, symbol.node, owner)
        if symbol.kind == "external" and symbol.name:
            stdlib = symbol.module in STDLIB_MODULES
            return ClassRef(symbol.module, symbol.name, None, "stdlib" if stdlib else "external")
        return None

    # --- class hierarchy ----------------------------------------------------------------------

    def bases(self, cls: ClassRef) -> list[ClassRef]:
        """The direct base classes of ``cls``."""
        if cls.node is None:
            real = cls.real() if cls.owner == "stdlib" else None
            return [
                ClassRef(base.__module__, base.__qualname__, None, "stdlib")
                for base in (real.__bases__ if real else ())
            ]
        found: list[ClassRef] = []
        for base in cls.node.bases:
            expression = base.value if isinstance(base, ast.Subscript) else base
            if dotted(expression).rpartition(".")[2] in TRANSPARENT_BASES:
                continue
            ref = self.class_ref(self.resolve_expression(cls.module, expression))
            found.append(ref or ClassRef("?", ast.unparse(expression), None, "external"))
        return found

    @cache  # noqa: B019 - one resolver per tree, kept for the whole run
    def mro(self, cls: ClassRef) -> tuple[ClassRef, ...]:
        """The method resolution order (C3, as Python computes it)."""
        bases = self.bases(cls)
        sequences = [list(self.mro(base)) for base in bases if base != cls] + [bases]
        result = [cls]
        sequences = [s for s in sequences if s]
        while sequences:
            head = next(
                (s[0] for s in sequences if not any(s[0] in o[1:] for o in sequences)),
                sequences[0][0],  # inconsistent hierarchy: keep depth-first order
            )
            result.append(head)
            sequences = [[c for c in s if c != head] for s in sequences]
            sequences = [s for s in sequences if s]
        return tuple(result)

    def touches_ha(self, cls: ClassRef) -> bool:
        """Whether a Home Assistant class is among the classes of ``cls``."""
        return any(klass.owner == "ha" for klass in self.mro(cls))

    def ha_name(self, cls: ClassRef) -> str:
        """The first Home Assistant class of ``cls`` (itself, or a base)."""
        return next((k.name for k in self.mro(cls) if k.owner == "ha"), cls.name)

    def find_member(
        self, cls: ClassRef, name: str, *, after: ClassRef | None = None
    ) -> tuple[Member | None, bool]:
        """``name`` along the MRO (from the class after ``after``), and whether an unknown
        base class could hold it when it is not found."""
        mro = self.mro(cls)
        if after is not None and after in mro:
            mro = mro[mro.index(after) + 1 :]
        opaque = False
        for klass in mro:
            if klass.owner in ("ha", "texto"):
                member = own_members(klass).get(name)
                if member is not None:
                    return member, False
                continue
            real = klass.real() if klass.owner == "stdlib" else None
            if real is None:
                opaque = True
            elif hasattr(real, name):
                return Member(klass, name, "stdlib"), False
        return None, opaque

    # --- annotations -----------------------------------------------------------------------

    def annotation_type(self, module: str, node: ast.expr | None) -> Ty | None:
        """The type an annotation names (``X | None`` -> X), in ``module``'s context."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            options = [
                t
                for t in (
                    self.annotation_type(module, node.left),
                    self.annotation_type(module, node.right),
                )
                if t is not None
            ]
            return options[0] if len(options) == 1 else None
        args: tuple[Ty | None, ...] = ()
        if isinstance(node, ast.Subscript):
            inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if dotted(node.value).rpartition(".")[2] in ("Final", "Annotated", "ClassVar"):
                return self.annotation_type(module, inner[0])
            args = tuple(self.annotation_type(module, element) for element in inner)
            node = node.value
        symbol = self.resolve_expression(module, node)
        if symbol is not None and isinstance(symbol.node, ast.TypeAlias):
            return self.annotation_type(symbol.module, symbol.node.value)
        ref = self.class_ref(symbol)
        return Ty("instance", ref, args=args) if ref is not None else None

    def symbol_type(self, symbol: Symbol, label: str) -> Ty | None:
        """What reading a resolved name gives."""
        if symbol.kind == "module":
            return Ty("module", module=symbol.module)
        if symbol.kind in ("class", "external"):
            ref = self.class_ref(symbol)
            return Ty("classobj", ref) if ref is not None else None
        if symbol.kind == "function" and isinstance(
            symbol.node, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            return Ty("function", function=symbol.node, function_module=symbol.module, label=label)
        if isinstance(symbol.node, ast.AnnAssign):
            return self.annotation_type(symbol.module, symbol.node.annotation)
        if isinstance(symbol.node, ast.Assign):
            return self.constructed(symbol.module, symbol.node.value)
        return None

    def constructed(self, module: str, value: ast.expr) -> Ty | None:
        """``SomeClass(...)``: an instance of it."""
        if isinstance(value, ast.Call):
            ref = self.class_ref(self.resolve_expression(module, value.func))
            if ref is not None:
                return Ty("instance", ref)
        return None

    def member_type(self, member: Member, receiver: Ty) -> Ty | None:
        """The type of a (non-method) member read on ``receiver``."""
        module = member.owner.module
        annotation = member.annotation
        if isinstance(annotation, ast.Name) and annotation.id == "Self":
            return receiver
        if annotation is not None:
            return self.annotation_type(module, annotation)
        if member.kind == "class" and isinstance(member.node, ast.ClassDef):
            return Ty("classobj", ClassRef(module, member.name, member.node, member.owner.owner))
        if isinstance(member.node, ast.Assign):
            value = member.node.value
            if isinstance(value, ast.Name):  # ``self.x = x``: the parameter's annotation
                return self._parameter_type(member, value.id)
            return self.constructed(module, value)
        return None

    def _parameter_type(self, member: Member, name: str) -> Ty | None:
        for method in member.owner.node.body if member.owner.node else []:
            if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                node is member.node for node in ast.walk(method)
            ):
                for argument in [*method.args.args, *method.args.kwonlyargs]:
                    if argument.arg == name:
                        return self.annotation_type(member.owner.module, argument.annotation)
        return None

    def return_type(self, callee: Ty, receiver: Ty | None) -> Ty | None:
        """What calling a function gives (its return annotation)."""
        assert callee.function is not None
        returns = callee.function.returns
        if isinstance(returns, ast.Name) and returns.id == "Self":
            return receiver
        return self.annotation_type(callee.function_module, returns)

    # --- constructors -----------------------------------------------------------------------

    def constructor(self, cls: ClassRef) -> tuple[Signature | None, ClassRef | None, set[str]]:
        """What ``cls(...)`` accepts, the class that decides it, and fields hidden from type
        checkers (``if not TYPE_CHECKING:`` in the class body: usually deprecated ones).

        None for the signature when it cannot be told (a constructor outside both trees).
        """
        member, _ = self.find_member(cls, "__init__")
        accepted: set[str] = set()
        while (
            member is not None
            and isinstance(member.node, ast.FunctionDef | ast.AsyncFunctionDef)
            and member.owner.owner in ("ha", "texto")
        ):
            signature = Signature.of(member.node, bound=True)
            if not (signature.varkw and forwards_kwargs_to_super(member.node)):
                signature.keywords |= accepted
                return signature, member.owner, set()
            accepted |= signature.keywords
            member, _ = self.find_member(cls, "__init__", after=member.owner)
        classes = [k for k in self.mro(cls) if dataclass_like(k)]
        if not classes:
            return None, None, set()
        fields: dict[str, Visibility] = {}
        for klass in reversed(self.mro(cls)):
            fields |= field_names(klass)
        runtime = {name for name, seen in fields.items() if seen != "typing"}
        hidden = {name for name, seen in fields.items() if seen == "runtime"}
        decider = next((k for k in classes if k.owner == "ha"), classes[0])
        return Signature(runtime | accepted, 0, False, False), decider, hidden


# --- walking Texto's code ------------------------------------------------------------------------


@dataclass
class Use:
    """One checked use of a Home Assistant name."""

    key: str
    status: Status
    detail: str
    where: str


class UseChecker:
    """Walks Texto's modules and checks each Home Assistant name they use."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.uses: list[Use] = []
        self._where = ""
        self._classes: list[ClassRef] = []

    def record(self, key: str, status: Status, detail: str = "") -> None:
        """Remember one checked use, at the current place."""
        self.uses.append(Use(key, status, detail, self._where))

    def at(self, module: Module, node: ast.AST) -> None:
        """Set the place uses are recorded at."""
        self._where = f"{module.path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"

    # --- imports ------------------------------------------------------------------------------

    def check_imports(self, module: Module) -> None:
        """Every ``from homeassistant... import`` and ``import homeassistant...``."""
        ha = self.resolver.ha
        for node in ast.walk(module.tree):
            self.at(module, node)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and ha.owns(node.module or ""):
                source = node.module or ""
                if ha.module(source) is None:
                    self.record(source, "missing", "no such module")
                    continue
                for alias in node.names:
                    self._check_import_from(source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in (a for a in node.names if ha.owns(a.name)):
                    found = ha.module(alias.name) is not None
                    self.record(alias.name, "ok" if found else "missing", "module")

    def _check_import_from(self, source: str, name: str) -> None:
        key = f"{source}.{name}"
        symbol = self.resolver.ha.import_from(source, name)
        if name == "*":
            self.record(key, "ok", "star import")
        elif symbol is None:
            self.record(key, "missing", "not defined, assigned or re-exported there")
        elif symbol.kind == "deprecated":
            self.record(key, "deprecated", "only through the deprecated-constant __getattr__")
        elif symbol.typing_only:
            self.record(key, "missing", "only imported under TYPE_CHECKING")
        else:
            origin = f" from {symbol.module}" if symbol.module != source else ""
            self.record(key, "ok", f"{symbol.kind}{origin}")

    # --- statements ---------------------------------------------------------------------------

    def check_module(self, module: Module) -> None:
        """Every Home Assistant use in one of Texto's modules."""
        self.check_imports(module)
        self._walk_body(module, module.tree.body, {})

    def _walk_body(self, module: Module, body: list[ast.stmt], scope: dict[str, Ty]) -> None:
        for statement in body:
            self._walk_statement(module, statement, scope)

    def _walk_statement(self, module: Module, node: ast.stmt, scope: dict[str, Ty]) -> None:
        self.at(module, node)
        if isinstance(node, ast.ClassDef):
            self._walk_class(module, node, scope)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._walk_function(module, node, scope)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            self._walk_assignment(module, node, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            element = self._element(self.infer(module, node.iter, scope))
            if isinstance(node.target, ast.Name) and element is not None:
                scope[node.target.id] = element
            self._walk_body(module, node.body, scope)
            self._walk_body(module, node.orelse, scope)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self._bind_import(module, node, scope)
        else:
            self._walk_children(module, node, scope)

    def _bind_import(
        self, module: Module, node: ast.Import | ast.ImportFrom, scope: dict[str, Ty]
    ) -> None:
        """A function-level import binds its names in the function's scope."""
        for alias in node.names:
            if isinstance(node, ast.ImportFrom):
                source = module.absolute(node.level, node.module)
                symbol = self.resolver.texto.import_from(source, alias.name)
                label = f"{source}.{alias.name}"
            else:
                target = alias.name if alias.asname else alias.name.partition(".")[0]
                symbol, label = Symbol("module", target, target), target
            found = self.resolver.symbol_type(symbol, label) if symbol is not None else None
            if found is not None and alias.name != "*":
                scope[alias.asname or alias.name.partition(".")[0]] = found

    def _walk_children(self, module: Module, node: ast.AST, scope: dict[str, Ty]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.infer(module, child, scope)
            elif isinstance(child, ast.stmt):
                self._walk_statement(module, child, scope)
            else:  # except handlers, match cases, with-items, keywords ...
                self._walk_children(module, child, scope)

    def _walk_assignment(
        self, module: Module, node: ast.Assign | ast.AnnAssign, scope: dict[str, Ty]
    ) -> None:
        value = self.infer(module, node.value, scope) if node.value is not None else None
        if isinstance(node, ast.AnnAssign):
            value = self.resolver.annotation_type(module.name, node.annotation) or value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                if value is not None:
                    scope[target.id] = value
            else:
                self.infer(module, target, scope)

    def _walk_function(self, module: Module, node: FunctionNode, outer: dict[str, Ty]) -> None:
        for expression in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expression is not None:
                self.infer(module, expression, outer)
        scope = dict(outer)
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for index, argument in enumerate(arguments):
            annotated = self.resolver.annotation_type(module.name, argument.annotation)
            if annotated is not None:
                scope[argument.arg] = annotated
            elif index == 0 and self._classes and argument.arg in ("self", "cls"):
                kind: Literal["instance", "classobj"] = (
                    "instance" if argument.arg == "self" else "classobj"
                )
                scope[argument.arg] = Ty(kind, self._classes[-1])
        self._walk_body(module, node.body, scope)

    def _walk_class(self, module: Module, node: ast.ClassDef, scope: dict[str, Ty]) -> None:
        for expression in [*node.bases, *node.decorator_list]:
            self.infer(module, expression, scope)
        cls = ClassRef(module.name, node.name, node, "texto")
        self._check_overrides(module, cls)
        self._classes.append(cls)
        try:
            self._walk_body(module, node.body, dict(scope))
        finally:
            self._classes.pop()

    def _check_overrides(self, module: Module, cls: ClassRef) -> None:
        """Members a Texto class sets or overrides on its Home Assistant bases."""
        ha_bases = [k for k in self.resolver.mro(cls)[1:] if k.owner == "ha"]
        if not ha_bases:
            return
        for name, member in own_members(cls).items():
            if name.startswith("__") or member.node is None:
                continue
            self.at(module, member.node)
            found = next((own_members(k)[name] for k in ha_bases if name in own_members(k)), None)
            if found is not None:
                self.record(
                    f"{found.owner.name}.{name}",
                    "ok",
                    f"overridden by {cls.name} (defined in {found.owner.module})",
                )
            elif name.startswith("_attr_") or "override" in decorators(member.node):
                self.record(
                    f"{ha_bases[0].name}.{name}",
                    "missing",
                    f"{cls.name} sets or overrides it, no Home Assistant base defines it",
                )

    # --- expressions --------------------------------------------------------------------------

    @staticmethod
    def _element(iterated: Ty | None) -> Ty | None:
        if iterated is None or iterated.kind != "instance" or not iterated.args:
            return None
        return iterated.args[-1]

    def infer(self, module: Module, node: ast.expr, scope: dict[str, Ty]) -> Ty | None:
        """The type of ``node`` (None when unknown), checking the Home Assistant uses in it."""
        if isinstance(node, ast.Name):
            return self._name(module, node.id, scope)
        if isinstance(node, ast.Attribute):
            base = self.infer(module, node.value, scope)
            return self._attribute(base, node.attr) if base is not None else None
        if isinstance(node, ast.Call):
            return self._call(module, node, scope)
        if isinstance(node, ast.Await):
            return self.infer(module, node.value, scope)
        if isinstance(node, ast.NamedExpr):
            value = self.infer(module, node.value, scope)
            if value is not None:
                scope[node.target.id] = value
            return value
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            self._comprehension(module, node, scope)
            return None
        self._walk_children(module, node, dict(scope) if isinstance(node, ast.Lambda) else scope)
        return None

    def _comprehension(
        self,
        module: Module,
        node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
        scope: dict[str, Ty],
    ) -> None:
        inner = dict(scope)
        for generator in node.generators:
            element = self._element(self.infer(module, generator.iter, inner))
            if isinstance(generator.target, ast.Name) and element is not None:
                inner[generator.target.id] = element
            for condition in generator.ifs:
                self.infer(module, condition, inner)
        for part in ("elt", "key", "value"):
            expression = getattr(node, part, None)
            if isinstance(expression, ast.expr):
                self.infer(module, expression, inner)

    def _name(self, module: Module, name: str, scope: dict[str, Ty]) -> Ty | None:
        if name in scope:
            return scope[name]
        symbol = self.resolver.resolve_name(module.name, name)
        if symbol is None:
            return None
        return self.resolver.symbol_type(symbol, f"{symbol.module}.{name}")

    def _attribute(self, base: Ty, name: str) -> Ty | None:
        """``base.name``, recorded when it lands in Home Assistant."""
        if base.kind == "module":
            return self._module_attribute(base.module, name)
        if base.cls is None or base.kind == "function":
            return None
        member, opaque = self.resolver.find_member(
            base.cls, name, after=base.within if base.kind == "super" else None
        )
        if member is None:
            if self.resolver.touches_ha(base.cls):
                key = f"{self.resolver.ha_name(base.cls)}.{name}"
                self.record(key, "unverified" if opaque else "missing", "no such member")
            return None
        if member.owner.owner == "ha":
            self.record(
                f"{member.owner.name}.{name}", "ok", f"{member.kind} of {member.owner.module}"
            )
        if member.kind == "method" and isinstance(
            member.node, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            found = decorators(member.node)
            # through an instance (or super()) self is bound; through the class only cls is
            bound = "staticmethod" not in found and (
                base.kind != "classobj" or "classmethod" in found
            )
            return Ty(
                "function",
                base.cls,
                function=member.node,
                function_module=member.owner.module,
                bound=bound,
                label=f"{member.owner.name}.{name}",
                within=member.owner,
            )
        if base.kind == "classobj" and member.kind == "attribute" and self._is_enum(base.cls):
            return Ty("instance", base.cls)
        receiver = base if base.kind == "instance" else Ty("instance", base.cls)
        return self.resolver.member_type(member, receiver)

    def _module_attribute(self, module: str, name: str) -> Ty | None:
        if not self.resolver.ha.owns(module):
            return None
        symbol = self.resolver.ha.import_from(module, name)
        key = f"{module}.{name}"
        if symbol is None or symbol.typing_only:
            self.record(key, "missing", "not in the module")
            return None
        if symbol.kind == "deprecated":
            self.record(key, "deprecated", "only through the deprecated-constant __getattr__")
            return None
        self.record(key, "ok", symbol.kind)
        return self.resolver.symbol_type(symbol, key)

    def _is_enum(self, cls: ClassRef) -> bool:
        for klass in self.resolver.mro(cls):
            real = klass.real() if klass.owner == "stdlib" else None
            if real is not None and issubclass(real, enum.Enum):
                return True
        return False

    def _call(self, module: Module, node: ast.Call, scope: dict[str, Ty]) -> Ty | None:
        name = dotted(node.func)
        if name in ("getattr", "hasattr") and len(node.args) >= 2:
            self._guarded_attribute(module, node, scope)
        if name == "super" and self._classes:
            return Ty("super", self._classes[-1], within=self._classes[-1])
        callee = self.infer(module, node.func, scope)
        for argument in node.args:
            self.infer(module, argument, scope)
        for keyword in node.keywords:
            self.infer(module, keyword.value, scope)
        if callee is None:
            return None
        if callee.kind == "classobj" and callee.cls is not None:
            if self.resolver.touches_ha(callee.cls):
                self._check_constructor(callee.cls, node)
            return Ty("instance", callee.cls)
        if callee.kind == "function" and callee.function is not None:
            if self.resolver.ha.owns(callee.function_module):
                self._check_call(callee, node)
            receiver = Ty("instance", callee.cls) if callee.cls is not None else None
            return self.resolver.return_type(callee, receiver)
        if callee.kind == "instance" and callee.cls is not None:
            member, _ = self.resolver.find_member(callee.cls, "__call__")
            if member is not None and isinstance(
                member.node, ast.FunctionDef | ast.AsyncFunctionDef
            ):
                function = Ty(
                    "function",
                    callee.cls,
                    function=member.node,
                    function_module=member.owner.module,
                    bound=True,
                    label=f"{member.owner.name}.__call__",
                    within=member.owner,
                )
                if member.owner.owner == "ha":
                    self._check_call(function, node)
                return self.resolver.return_type(function, callee)
        return None

    def _guarded_attribute(self, module: Module, node: ast.Call, scope: dict[str, Ty]) -> None:
        name = node.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            return
        base = self.infer(module, node.args[0], scope)
        if base is None or base.cls is None or not self.resolver.touches_ha(base.cls):
            return
        member, _ = self.resolver.find_member(base.cls, name.value)
        if member is None:
            key = f"{self.resolver.ha_name(base.cls)}.{name.value}"
            self.record(key, "absent-guarded", "read behind getattr/hasattr: absent here")
        else:
            self.record(f"{member.owner.name}.{name.value}", "ok", "behind getattr/hasattr")

    @staticmethod
    def _arguments(node: ast.Call) -> tuple[list[str], int, bool]:
        keywords = [k.arg for k in node.keywords if k.arg is not None]
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        return keywords, len(node.args), starred

    def _check_call(self, callee: Ty, node: ast.Call) -> None:
        assert callee.function is not None
        signature = Signature.of(callee.function, bound=callee.bound)
        if (
            signature.varkw
            and callee.within is not None
            and forwards_kwargs_to_super(callee.function)
        ):
            parent, _ = self.resolver.find_member(
                callee.within, callee.function.name, after=callee.within
            )
            parent_node = parent.node if parent is not None else None
            if isinstance(parent_node, ast.FunctionDef | ast.AsyncFunctionDef):
                inherited = Signature.of(parent_node, bound=True)
                signature.keywords |= inherited.keywords
                signature.varkw = inherited.varkw
        keywords, positional, starred = self._arguments(node)
        verdict = judge_call(signature, keywords, positional, starred=starred)
        self.record(f"{callee.label}(...)", verdict.status, verdict.detail)

    def _check_constructor(self, cls: ClassRef, node: ast.Call) -> None:
        signature, decider, hidden = self.resolver.constructor(cls)
        if decider is not None and decider.owner == "texto" and not dataclass_like(decider):
            return  # Texto's own __init__: its super().__init__(...) call is checked instead
        key = f"{self.resolver.ha_name(cls)}(...)"
        keywords, positional, starred = self._arguments(node)
        if signature is None:
            # e.g. ``HassKey(str)``: a standard library constructor, positional arguments only
            stdlib = next((k.name for k in self.resolver.mro(cls) if k.owner == "stdlib"), None)
            if stdlib is not None and stdlib != "object" and not keywords:
                self.record(key, "ok", f"constructor of {stdlib}")
            else:
                status: Status = "unverified" if keywords or positional else "ok"
                self.record(key, status, "constructor outside the trees")
            return
        if dataclass_like(decider or cls):
            positional = 0  # fields are passed by keyword here; positions are not checked
        verdict = judge_call(signature, keywords, positional, starred=starred)
        deprecated = sorted(set(keywords) & hidden)
        if verdict.status == "ok" and deprecated:
            module = self.resolver.ha.module(decider.module) if decider else None
            notes = [
                (module.deprecation_note(name) if module else None)
                or f"{name}: hidden from type checkers"
                for name in deprecated
            ]
            self.record(key, "deprecated", "; ".join(notes))
            return
        self.record(key, verdict.status, verdict.detail)

    # --- the fixed list -------------------------------------------------------------------------

    def check_required_api(self) -> None:
        """The APIs of ``REQUIRED_API``, with the keywords Texto passes them."""
        self._where = "REQUIRED_API"
        for module, class_name, name, keywords, guarded in REQUIRED_API:
            if class_name is None:
                symbol = self.resolver.ha.import_from(module, name)
                self._check_required(f"{module}.{name}", symbol and symbol.node, keywords, False)
                continue
            cls = self.resolver.class_ref(self.resolver.ha.import_from(module, class_name))
            if cls is None:
                self.record(f"{class_name}.{name}", "missing", f"no class {class_name}")
                continue
            member, _ = self.resolver.find_member(cls, name)
            if member is None:
                status: Status = "absent-guarded" if guarded else "missing"
                self.record(f"{class_name}.{name}", status, f"no such member in {module}")
                continue
            self._check_required(f"{member.owner.name}.{name}", member.node, keywords, True)

    def _check_required(
        self, key: str, node: ast.AST | None, keywords: tuple[str, ...], bound: bool
    ) -> None:
        if node is None:
            self.record(key, "missing", "not found")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            signature = Signature.of(node, bound=bound)
            verdict = judge_call(signature, list(keywords), 0, starred=False)
            self.record(key, verdict.status, verdict.detail)
        else:
            self.record(key, "ok", "exists")


# --- gateway/ must stay free of Home Assistant ---------------------------------------------------


def gateway_violations() -> list[str]:
    """Imports in gateway/ of Home Assistant, or of the integration around it."""
    problems: list[str] = []
    for path in sorted((INTEGRATION / GATEWAY).rglob("*.py")):
        relative = path.relative_to(REPO)
        depth = len(path.relative_to(INTEGRATION / GATEWAY).parts)  # 1 for gateway/x.py
        for node in ast.walk(parse_source(path)):
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                problems.append(
                    f"{relative}:{node.lineno}: relative import leaves gateway/ "
                    f"({'.' * node.level}{node.module or ''})"
                )
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                outside = name == "homeassistant" or name.startswith(
                    ("homeassistant.", INTEGRATION_PACKAGE)
                )
                if outside and not name.startswith(f"{INTEGRATION_PACKAGE}.{GATEWAY}"):
                    problems.append(f"{relative}:{node.lineno}: imports {name}")
    return problems


# --- voluptuous, served by probatio from Home Assistant 2026.3 ------------------------------------


def voluptuous_names(modules: list[Module]) -> set[str]:
    """``vol.X`` names Texto uses."""
    names: set[str] = set()
    for module in modules:
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Import)
            for alias in node.names
            if alias.name == "voluptuous"
        }
        names |= {
            node.attr
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        }
    return names


def voluptuous_problems(root: Path, names: set[str]) -> tuple[list[str], str]:
    """``vol.X`` names the tree's voluptuous lacks, and how that was found out."""
    init = (root / "homeassistant" / "__init__.py").read_text(encoding="utf-8")
    if "install_as_voluptuous" not in init:
        return [], "real voluptuous (a dependency of this Home Assistant)"
    surface = root / "probatio" / "_vol_shim" / "_surface.py"
    if not surface.is_file():
        return [], "probatio's voluptuous shim: not beside this tree, vol.* NOT checked"
    top: list[str] = []
    for node in parse_source(surface).body:
        if isinstance(node, ast.Assign) and dotted(node.targets[0]) == "TOP":
            top = literal_strings(node.value) or []
    return [f"vol.{name}" for name in sorted(names - set(top))], "probatio's voluptuous shim"


# --- running and reporting -----------------------------------------------------------------------


def ha_root(argument: str) -> Path:
    """The directory holding the ``homeassistant`` package."""
    path = Path(argument).resolve()
    if path.name == "homeassistant" and (path / "__init__.py").is_file():
        return path.parent
    if (path / "homeassistant" / "__init__.py").is_file():
        return path
    raise SystemExit(f"{argument}: no homeassistant package here")


def integration_modules(tree: SourceTree) -> list[Module]:
    """Texto's modules, gateway/ excepted."""
    modules: list[Module] = []
    for path in sorted(INTEGRATION.rglob("*.py")):
        relative = path.relative_to(INTEGRATION)
        if relative.parts[0] == GATEWAY:
            continue
        name = ".".join([INTEGRATION_PACKAGE, *relative.with_suffix("").parts])
        module = tree.module(name.removesuffix(".__init__"))
        if module is not None:
            modules.append(module)
    return modules


@dataclass
class Verdict:
    """Everything known about one name in one tree."""

    status: Status = "ok"
    details: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)

    def add(self, use: Use) -> None:
        """Fold one use in: the worst status wins, with its details and places."""
        rank = STATUS_ORDER.index
        if rank(use.status) > rank(self.status) or not self.places:
            self.status = use.status
            self.details = set()
            self.places = set()
        if use.status == self.status:
            if use.detail:
                self.details.add(use.detail)
            self.places.add(use.where)


def check_tree(root: Path, *, verbose: bool) -> tuple[bool, dict[str, Verdict]]:
    """Check one tree and print its report: (passed, verdict per name)."""
    resolver = Resolver(root)
    checker = UseChecker(resolver)
    modules = integration_modules(resolver.texto)
    for module in modules:
        checker.check_module(module)
    checker.check_required_api()
    verdicts: dict[str, Verdict] = {}
    for use in checker.uses:
        verdicts.setdefault(use.key, Verdict()).add(use)
    print(f"== Home Assistant {resolver.version()} at {root}")
    for key, verdict in sorted(verdicts.items()):
        if verdict.status != "ok" or verbose:
            places = sorted(verdict.places)
            shown = ", ".join(places[:3]) + (f" (+{len(places) - 3})" if len(places) > 3 else "")
            print(f"  {verdict.status.upper():14} {key}  [{'; '.join(sorted(verdict.details))}]")
            print(f"  {'':14} at {shown}")
    missing_vol, how = voluptuous_problems(root, voluptuous_names(modules))
    print(f"  voluptuous: {how}" + (f"; MISSING {', '.join(missing_vol)}" if missing_vol else ""))
    counts: dict[str, int] = {}
    for verdict in verdicts.values():
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if s in counts)
    print(f"  {len(verdicts)} names, {len(checker.uses)} uses in {len(modules)} modules: {summary}")
    failed = any(v.status in FAILING for v in verdicts.values()) or bool(missing_vol)
    return not failed, verdicts


def print_differences(results: dict[str, dict[str, Verdict]]) -> None:
    """Names whose status differs between the trees (absent = not reached in that tree)."""
    print("== Names whose status differs between the trees")
    keys = sorted(set().union(*results.values()))
    differing = 0
    for key in keys:
        statuses = {root: (v[key].status if key in v else "-") for root, v in results.items()}
        if len(set(statuses.values())) > 1:
            differing += 1
            print(f"  {key}: " + "; ".join(f"{s} in {r}" for r, s in statuses.items()))
    if not differing:
        print("  none")


def main() -> int:
    """Check each tree given; compare them when there are several."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", maxsplit=1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("trees", nargs="+", help="directory holding the homeassistant package")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every name checked")
    arguments = parser.parse_args()

    problems = gateway_violations()
    print("== gateway/ imports nothing from Home Assistant: " + ("yes" if not problems else "NO"))
    for problem in problems:
        print(f"  {problem}")
    passed = not problems
    results: dict[str, dict[str, Verdict]] = {}
    for tree in arguments.trees:
        root = ha_root(tree)
        tree_passed, results[str(root)] = check_tree(root, verbose=arguments.verbose)
        passed = passed and tree_passed
    if len(results) > 1:
        print_differences(results)
    print("PASSED" if passed else "FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
