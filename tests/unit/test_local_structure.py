"""The stand-ins (local/portal_local) stay walkable: small modules, no import cycles.

The import graph is read from the source with :mod:`ast`, without importing anything.
Every ``import`` statement counts, wherever it is: at module level, inside a function,
and under ``if TYPE_CHECKING:``. An annotation naming another module's class is a real
dependency on that module's interface (mypy checks it; a change there breaks here), so
two modules that annotate with each other's types are as tangled as two that call each
other. Where a module needs only part of another's interface, it names that part as a
``Protocol`` of its own, which the other satisfies.

``from package import name`` depends on ``package.name`` when that is a module, else on
the package's ``__init__``. What Python runs implicitly is not counted: importing
``a.b.c`` first runs ``a/__init__.py`` and ``a/b/__init__.py``, but ``a.b.c`` depends
only on what it names. So a package's ``__init__`` may list its submodules (a registry)
while they import one another, as long as none imports the package itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

LOCAL = Path(__file__).resolve().parents[2] / "local"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((LOCAL / "portal_local").rglob("*.py")):
        parts = list(path.relative_to(LOCAL).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of ``known`` that ``module`` imports, anywhere in its source."""
    package = module if _is_package(path) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"
                elif base in known:
                    yield base


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: set(_imported(m, p, known)) - {m} for m, p in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_in_local_is_longer_than_600_lines() -> None:
    lengths = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in _modules().items()}
    assert {m: n for m, n in lengths.items() if n > MAX_LINES} == {}


def test_no_import_cycle_among_local_modules() -> None:
    assert _cycles(_graph()) == []


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks(
    tmp_path: Path,
) -> None:
    graph = _graph()
    assert "portal_local.aws.up" in graph["portal_local.cli"]  # imported inside main()
    # No module of local/ imports under TYPE_CHECKING now: one written for the test.
    module = tmp_path / "typed.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from portal_local.aws.moto_endpoint import LocalAwsEndpoint\n",
        encoding="utf-8",
    )
    known = {"portal_local.aws.moto_endpoint": module, "portal_local.aws.typed": module}
    assert set(_imported("portal_local.aws.typed", module, known)) == {
        "portal_local.aws.moto_endpoint"
    }
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
