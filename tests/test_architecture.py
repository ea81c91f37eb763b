"""The package's layers, read from the source: who may import whom.

The import graph of ``conformance/`` is read with ``ast`` (every ``import``
and ``from ... import``: at module level, inside functions, under
``if TYPE_CHECKING:``), each module is mapped to its *unit* (a package or
top-level module of the table below), and the test fails on:

- an import that points up the layers, or from one front end to another;
- a cycle between units;
- a module of ``conformance/`` that is in no unit of the table;
- a unit importing a private name (``_name``, or a module ``_name``) of another.

The same functions run on small synthetic packages written to ``tmp_path``,
to show that each kind of breakage is reported.
"""

from __future__ import annotations

import ast
import itertools
import textwrap
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from run_helpers import fresh_python

# The layers of ``conformance/``, from the bottom up; described in
# docs/architecture.md (keep the two in step). A module may import only from
# its own layer or a layer below it. A unit is a package or a top-level
# module; every module of ``conformance/`` belongs to exactly one unit.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "conformance",
            "conformance.errors",
            "conformance.model",
            "conformance.atomic",
            "conformance.cache",
            "conformance.processes",
            "conformance.interrupts",
            "conformance.json_text",
        ),
    ),
    ("inputs", ("conformance.inputs",)),
    ("registry", ("conformance.registry",)),
    ("validation", ("conformance.validation",)),
    ("strategies", ("conformance.strategies",)),
    ("probing", ("conformance.probing",)),
    ("selfcheck", ("conformance.selfcheck",)),
    ("results", ("conformance.results",)),
    ("history", ("conformance.history",)),
    ("reporting", ("conformance.reporting",)),
    ("engine", ("conformance.engine", "conformance.api")),
    (
        "front ends",
        (
            "conformance.cli",
            "conformance.pytest_plugin",
            "conformance.checks",
            "conformance.__main__",
            "conformance.server",
        ),
    ),
)

# Layers whose units are siblings that must not import one another.
INDEPENDENT_LAYERS = frozenset({"front ends"})

# The only imports allowed between units of an independent layer.
# `conformance serve` and `conformance report push` are words of the one
# command: cli/ declares them and hands them to the service's own module.
ALLOWED_BETWEEN_SIBLINGS = frozenset(
    {
        ("conformance.__main__", "conformance.cli"),
        ("conformance.cli", "conformance.server"),
    }
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conformance"


# ---------------------------------------------------------------------------
# Reading the import graph


@dataclass(frozen=True)
class Import:
    """One imported module (and name, for ``from m import name``) at a place."""

    importer: str
    module: str
    name: str | None
    path: Path
    line: int

    def where(self, base: Path) -> str:
        return f"{self.path.relative_to(base).as_posix()}:{self.line}"


def discover_modules(package_dir: Path) -> dict[str, Path]:
    """Every module under a package folder, by dotted name (a package by its name)."""
    top = package_dir.name
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [top, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _base_package(module: str, path: Path, level: int) -> str:
    """The package a relative import of ``level`` dots starts from."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 >= len(parts):
        raise ValueError(f"{path}: relative import beyond the top-level package")
    return ".".join(parts[: len(parts) - (level - 1)])


def read_imports(modules: Mapping[str, Path]) -> list[Import]:
    """Every import, anywhere in the given modules, of a module of their package."""
    tops = {module.partition(".")[0] for module in modules}
    found = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_bytes(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend(
                    Import(importer, alias.name, None, path, node.lineno)
                    for alias in node.names
                )
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = _base_package(importer, path, node.level)
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    if submodule in modules:
                        found.append(
                            Import(importer, submodule, None, path, node.lineno)
                        )
                    else:
                        found.append(
                            Import(importer, source, alias.name, path, node.lineno)
                        )
    return [i for i in found if i.module.partition(".")[0] in tops]


# ---------------------------------------------------------------------------
# Units and layers


def layer_index(
    layers: Sequence[tuple[str, Sequence[str]]],
) -> dict[str, tuple[int, str]]:
    """Each unit's layer, as (position from the bottom, name)."""
    return {unit: (n, name) for n, (name, units) in enumerate(layers) for unit in units}


def unit_of(module: str, units: Iterable[str]) -> str | None:
    """The unit a module belongs to: the longest unit that is it or contains it.

    The top-level package's own unit is its ``__init__`` alone: it contains no
    other module, so a new top-level module has to be placed deliberately.
    """
    best = None
    for unit in units:
        inside = module == unit or ("." in unit and module.startswith(unit + "."))
        if inside and (best is None or len(unit) > len(best)):
            best = unit
    return best


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def unplaced_modules(modules: Mapping[str, Path], layers, base: Path) -> list[str]:
    """Modules in no unit of the table."""
    units = layer_index(layers)
    return [
        f"{path.relative_to(base).as_posix()}: {module} is in no layer"
        for module, path in modules.items()
        if unit_of(module, units) is None
    ]


def missing_units(modules: Mapping[str, Path], layers) -> list[str]:
    """Units of the table that no module belongs to (a stale table)."""
    units = layer_index(layers)
    present = {unit_of(module, units) for module in modules}
    return [
        f"{unit} is in the table but not in the source"
        for unit in units
        if unit not in present
    ]


def layer_violations(
    imports: Iterable[Import],
    layers,
    base: Path,
    independent: Iterable[str] = INDEPENDENT_LAYERS,
    allowed: Iterable[tuple[str, str]] = ALLOWED_BETWEEN_SIBLINGS,
) -> list[str]:
    """Imports up the layers, and between siblings of an independent layer."""
    index = layer_index(layers)
    independent, allowed = set(independent), set(allowed)
    problems = []
    for i in imports:
        source, target = unit_of(i.importer, index), unit_of(i.module, index)
        if source is None or target is None or source == target:
            continue
        (low, low_name), (high, high_name) = index[source], index[target]
        pair = f"{i.importer} ({low_name}) -> {i.module} ({high_name})"
        if high > low:
            problems.append(f"{i.where(base)}: {pair}: imports up the layers")
        elif (
            high == low and low_name in independent and (source, target) not in allowed
        ):
            problems.append(
                f"{i.where(base)}: {pair}: {low_name} must not import each other"
            )
    return problems


def private_imports(imports: Iterable[Import], layers, base: Path) -> list[str]:
    """Private names or modules of one unit imported by another."""
    index = layer_index(layers)
    problems = []
    for i in imports:
        source, target = unit_of(i.importer, index), unit_of(i.module, index)
        if source == target or target is None:
            continue
        private = [part for part in i.module.split(".") if _is_private(part)]
        if i.name is not None and _is_private(i.name):
            private.append(i.name)
        if private:
            imported = i.module + (f" import {i.name}" if i.name else "")
            problems.append(
                f"{i.where(base)}: {i.importer} ({source}) -> {imported} ({target}): "
                f"private {', '.join(private)}"
            )
    return problems


def unit_graph(imports: Iterable[Import], layers) -> dict[str, dict[str, Import]]:
    """Unit -> imported unit -> the first import that makes the edge."""
    index = layer_index(layers)
    graph: dict[str, dict[str, Import]] = {}
    for i in imports:
        source, target = unit_of(i.importer, index), unit_of(i.module, index)
        if source is None or target is None or source == target:
            continue
        graph.setdefault(source, {}).setdefault(target, i)
    return graph


def _strongly_connected(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; components in no particular order."""
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    number, low, on_stack, stack, components = {}, {}, set(), [], []
    for root in nodes:
        if root in number:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        number[root] = low[root] = len(number)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in number:
                    number[succ] = low[succ] = len(number)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], number[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == number[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _shortest_cycle(graph: Mapping[str, Mapping[str, object]], start: str) -> list[str]:
    """The shortest path from ``start`` back to itself (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph.get(node, ())):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if succ not in previous:
                previous[succ] = node
                queue.append(succ)
    return []


def unit_cycles(imports: Iterable[Import], layers, base: Path) -> list[str]:
    """Each group of units that import one another, with one cycle spelled out."""
    graph = unit_graph(imports, layers)
    problems = []
    for component in sorted(_strongly_connected(graph)):
        if len(component) < 2:
            continue
        cycle = _shortest_cycle(graph, component[0])
        hops = "; ".join(
            f"{a} -> {b} at {graph[a][b].where(base)}"
            for a, b in itertools.pairwise(cycle)
        )
        problems.append(
            f"cycle {' -> '.join(cycle)} ({hops}); units in the cycle: {', '.join(component)}"
        )
    return problems


# ---------------------------------------------------------------------------
# The real package


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return discover_modules(PACKAGE)


@pytest.fixture(scope="module")
def imports(modules) -> list[Import]:
    return read_imports(modules)


def test_the_import_graph_is_read(modules, imports):
    assert "conformance.validation.payloads" in modules
    assert "conformance.probing.checks" in modules
    assert any(i.importer == "conformance.cli.main" for i in imports)


def test_every_unit_of_the_table_exists(modules):
    assert missing_units(modules, LAYERS) == []


def test_every_module_is_in_a_layer(modules):
    assert unplaced_modules(modules, LAYERS, ROOT) == []


def test_imports_follow_the_layers(imports):
    assert layer_violations(imports, LAYERS, ROOT) == []


def test_no_cycles_between_units(imports):
    assert unit_cycles(imports, LAYERS, ROOT) == []


def test_no_private_imports_between_units(imports):
    assert private_imports(imports, LAYERS, ROOT) == []


# ---------------------------------------------------------------------------
# The same checks on synthetic packages: each kind of breakage is reported

TOY_LAYERS = (
    ("base", ("toy", "toy.base")),
    ("low", ("toy.low",)),
    ("high", ("toy.high",)),
    ("front", ("toy.cli", "toy.plugin")),
)


def write_package(root: Path, files: Mapping[str, str]) -> Path:
    """A package ``toy`` under ``root``: relative file name -> source."""
    files = {
        "__init__.py": "",
        "base.py": "",
        "low/__init__.py": "",
        "low/a.py": "",
        "high/__init__.py": "",
        "high/b.py": "",
        "cli.py": "",
        "plugin.py": "",
        **files,
    }
    for name, source in files.items():
        path = root / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root / "toy"


def check_toy(root: Path, files: Mapping[str, str]) -> dict[str, list[str]]:
    package = write_package(root, files)
    modules = discover_modules(package)
    imports = read_imports(modules)
    return {
        "layers": layer_violations(imports, TOY_LAYERS, root, {"front"}, set()),
        "cycles": unit_cycles(imports, TOY_LAYERS, root),
        "unplaced": unplaced_modules(modules, TOY_LAYERS, root),
        "private": private_imports(imports, TOY_LAYERS, root),
    }


def test_a_clean_package_passes(tmp_path):
    found = check_toy(
        tmp_path,
        {
            "low/a.py": "from toy import base\nfrom toy.base import thing\n",
            "high/b.py": "from ..low import a\nimport toy.low.a\nfrom . import c\n",
            "high/c.py": "from ._private import x\n",
            "high/_private.py": "",
            "cli.py": "from toy.high.b import run\n",
        },
    )
    assert found == {"layers": [], "cycles": [], "unplaced": [], "private": []}


@pytest.mark.parametrize(
    "source",
    [
        "from toy.high import b\n",
        "import toy.high.b\n",
        "from ..high.b import run\n",
        "def later():\n    from toy.high import b\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.high.b import Run\n",
    ],
    ids=[
        "from-package-import-module",
        "import",
        "relative",
        "in-function",
        "type-checking",
    ],
)
def test_an_upward_import_is_named(tmp_path, source):
    found = check_toy(tmp_path, {"low/a.py": source})
    assert len(found["layers"]) == 1
    assert "toy.low.a (low) -> toy.high.b (high)" in found["layers"][0]
    assert found["layers"][0].startswith("toy/low/a.py:")
    assert "imports up the layers" in found["layers"][0]


def test_an_import_between_front_ends_is_named(tmp_path):
    found = check_toy(tmp_path, {"plugin.py": "\n\nfrom toy import cli\n"})
    assert found["layers"] == [
        "toy/plugin.py:3: toy.plugin (front) -> toy.cli (front): front must not import each other"
    ]


def test_a_cycle_is_named(tmp_path):
    found = check_toy(
        tmp_path,
        {"low/a.py": "import toy.high.b\n", "high/b.py": "from toy.low import a\n"},
    )
    assert found["cycles"] == [
        "cycle toy.high -> toy.low -> toy.high "
        "(toy.high -> toy.low at toy/high/b.py:1; toy.low -> toy.high at toy/low/a.py:1); "
        "units in the cycle: toy.high, toy.low"
    ]


def test_a_cycle_in_one_layer_is_named(tmp_path):
    found = check_toy(
        tmp_path,
        {
            "cli.py": "from toy.plugin import hook\n",
            "plugin.py": "from toy.cli import main\n",
        },
    )
    assert len(found["cycles"]) == 1
    assert found["cycles"][0].startswith("cycle toy.cli -> toy.plugin -> toy.cli ")


def test_an_unplaced_module_is_named(tmp_path):
    found = check_toy(
        tmp_path, {"extra.py": "", "newpkg/__init__.py": "", "newpkg/m.py": ""}
    )
    assert found["unplaced"] == [
        "toy/extra.py: toy.extra is in no layer",
        "toy/newpkg/__init__.py: toy.newpkg is in no layer",
        "toy/newpkg/m.py: toy.newpkg.m is in no layer",
    ]


def test_a_unit_missing_from_the_source_is_named(tmp_path):
    package = write_package(tmp_path, {})
    (package / "high" / "b.py").unlink()
    (package / "high" / "__init__.py").unlink()
    assert missing_units(discover_modules(package), TOY_LAYERS) == [
        "toy.high is in the table but not in the source"
    ]


@pytest.mark.parametrize(
    ("source", "imported", "private"),
    [
        ("from toy.low.a import _helper\n", "toy.low.a import _helper", "_helper"),
        ("from toy.low import _impl\n", "toy.low._impl", "_impl"),
        ("from toy.low._impl import thing\n", "toy.low._impl import thing", "_impl"),
        ("import toy.low._impl\n", "toy.low._impl", "_impl"),
    ],
)
def test_a_private_import_is_named(tmp_path, source, imported, private):
    found = check_toy(tmp_path, {"low/_impl.py": "", "high/b.py": source})
    assert found["private"] == [
        f"toy/high/b.py:1: toy.high.b (toy.high) -> {imported} (toy.low): private {private}"
    ]
    assert found["layers"] == []


# ---------------------------------------------------------------------------
# Public signatures say what they take: no ``Any``


def public_any(modules: Mapping[str, Path]) -> list[str]:
    """Public functions, methods, class fields and aliases whose types say ``Any``.

    Private modules (``_name``), private names and the members of private
    classes are left out: the rule is for what a caller of the package sees.
    """
    found: list[str] = []
    for module, path in sorted(modules.items()):
        if any(_is_private(part) for part in module.split(".")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _any_in(tree.body, path, "")
    return found


def _says_any(node: ast.AST | None) -> bool:
    return node is not None and any(
        (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(node)
    )


def _any_in(body: list[ast.stmt], path: Path, owner: str) -> list[str]:
    found = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _is_private(node.name) and not node.name.startswith("__"):
                continue
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            every += [a for a in (args.vararg, args.kwarg) if a is not None]
            if _says_any(node.returns) or any(_says_any(a.annotation) for a in every):
                found.append(f"{path}:{node.lineno}: {owner}{node.name}")
        elif isinstance(node, ast.ClassDef) and not _is_private(node.name):
            found += _any_in(node.body, path, f"{node.name}.")
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if not _is_private(node.target.id) and _says_any(node.annotation):
                found.append(f"{path}:{node.lineno}: {owner}{node.target.id}")
        elif isinstance(node, ast.Assign) and not owner:
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            public = [n for n in names if not _is_private(n) and n != "__all__"]
            if public and _says_any(node.value):
                found.append(f"{path}:{node.lineno}: {', '.join(public)}")
    return found


def test_public_signatures_do_not_say_any(modules):
    assert public_any(modules) == []


def test_any_in_a_public_signature_is_named(tmp_path):
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "api.py": """
                from typing import Any
                Alias = dict[str, Any]
                def exact(value: int) -> str: ...
                def loose(value: Any) -> str: ...
                def _helper(value: Any) -> Any: ...
                class Thing:
                    data: Any
                    _cache: Any
                    def method(self) -> list[Any]: ...
                class _Private:
                    def method(self) -> Any: ...
            """,
            "_internal.py": "from typing import Any\ndef free(x: Any) -> Any: ...\n",
        },
    )
    found = public_any(discover_modules(package))
    assert [line.split(": ", 1)[1] for line in found] == [
        "Alias",
        "loose",
        "Thing.data",
        "Thing.method",
    ]


def test_only_all_checks_imports_the_modules_that_register_checks():
    """Importing a check module registers its checks: one imported again
    (pytester's in-process runs drop what they imported) raises "already
    registered". Only all_checks() imports them, once per process."""
    code = (
        "import sys, conformance.probing.plan, conformance.engine.services;"
        "import conformance.pytest_plugin, conformance.cli.run;"
        "print(sorted(m for m in sys.modules if m in ("
        "'conformance.probing.checks.catalogue',"
        "'conformance.probing.checks.fuzz',"
        "'conformance.probing.checks.ogc')))"
    )
    assert fresh_python(code, ROOT).strip() == "[]"
