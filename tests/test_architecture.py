"""The package's layers import one way, as docs/architecture.md draws them.

The import graph is read from the source with :mod:`ast` (nothing is imported), so
the test also sees imports inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "convoy"

#: Layers from the bottom up; a module may import its own layer or lower ones.
#: Keep in step with docs/architecture.md.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",
        (
            "convoy._version",
            "convoy.errors",
            "convoy._from_toml",
            "convoy.params",
            "convoy._problems",
            "convoy.times",
        ),
    ),
    ("records", ("convoy.scenario", "convoy.events", "convoy.roads.network")),
    ("building", ("convoy.roads",)),
    ("readers", ("convoy.io",)),
    ("risk", ("convoy.risk",)),
    (
        "decisions",
        (
            "convoy.calibrate",
            "convoy.schedule",
            "convoy.loadout",
            "convoy.march",
            "convoy.baselines",
            "convoy.adversary",
            "convoy.sector",
        ),
    ),
    ("simulate", ("convoy.simulate",)),
    ("plan", ("convoy.plan",)),
    ("document", ("convoy.document",)),
    ("report", ("convoy.report",)),
    ("outputs", ("convoy.outputs",)),
    ("sweep", ("convoy.sweep",)),
    ("cli", ("convoy.cli", "convoy.__main__")),
    ("api", ("convoy",)),
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    """Index of the layer of ``module``: the longest matching prefix wins."""
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    if best < 0:
        msg = f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
        raise AssertionError(msg)
    return best


def _imports(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(imported convoy module, line, inside a function) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef
            )
            if isinstance(child, ast.Import):
                found.extend(
                    (a.name, child.lineno, in_function)
                    for a in child.names
                    if a.name.split(".")[0] == "convoy"
                )
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(
                        [*base, *([child.module] if child.module else [])]
                    )
                else:
                    target = child.module or ""
                if target.split(".")[0] == "convoy":
                    # ``from convoy.x import y`` may import the submodule x.y.
                    for a in child.names:
                        sub = f"{target}.{a.name}"
                        is_module = (
                            PACKAGE.parent / (sub.replace(".", "/") + ".py")
                        ).is_file() or (
                            PACKAGE.parent / sub.replace(".", "/") / "__init__.py"
                        ).is_file()
                        found.append(
                            (sub if is_module else target, child.lineno, in_function)
                        )
            visit(child, nested)

    visit(tree, False)
    return found


def _graph() -> dict[str, list[tuple[str, int, bool]]]:
    return {
        _module_name(p): _imports(p, _module_name(p))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


GRAPH = _graph()


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    """No module imports a higher layer."""
    own = _layer(module)
    upward = [
        f"line {line}: {target} ({LAYERS[_layer(target)][0]})"
        for target, line, _ in GRAPH[module]
        if _layer(target) > own
    ]
    assert not upward, f"{module} ({LAYERS[own][0]}) imports upward: {upward}"


def test_no_function_local_imports_of_convoy():
    """Imports of convoy modules sit at the top of a module, not inside functions.

    The exceptions are the top two layers, which load heavy modules lazily so that
    ``convoy --help`` and ``import convoy`` stay fast: the CLI's commands and the
    public API's module ``__getattr__``. Nothing imports those layers, so a lazy
    import there cannot hide a cycle.
    """
    local = [
        f"{module} line {line}: {target}"
        for module, imports in GRAPH.items()
        if module != "convoy" and not module.startswith("convoy.cli")
        for target, line, in_function in imports
        if in_function
    ]
    assert not local, local


def test_no_cycles():
    """The module graph is acyclic (packages' ``__init__`` re-exports included)."""
    edges = {
        m: {t for t, _, _ in imps if t in GRAPH and t != m} for m, imps in GRAPH.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                cycle = [*stack[stack.index(t) :], t]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
