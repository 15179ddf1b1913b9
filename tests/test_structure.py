"""The shape of the code: layers that import only downwards, and no import cycles anywhere.

docs/architecture.md draws the layers; this test keeps the code to it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEBAPP = ROOT / "webapp"

#: Each package of the web app and the packages it may import, lowest layer first.
LAYERS = {
    "webapp.vision": set(),
    "webapp.wire": {"webapp.vision"},
    "webapp.core": {"webapp.vision", "webapp.wire"},
    "webapp.fusion": {"webapp.core", "webapp.vision", "webapp.wire"},
    "webapp.services": {"webapp.core", "webapp.fusion", "webapp.vision", "webapp.wire"},
    "webapp.photos": {"webapp.core", "webapp.services", "webapp.vision", "webapp.wire"},
    "webapp.pages": {
        "webapp.core",
        "webapp.fusion",
        "webapp.photos",
        "webapp.services",
        "webapp.vision",
        "webapp.wire",
    },
    "webapp.api": {
        "webapp.core",
        "webapp.fusion",
        "webapp.pages",
        "webapp.photos",
        "webapp.services",
        "webapp.vision",
        "webapp.wire",
    },
    "webapp.ops": {
        "webapp.core",
        "webapp.photos",
        "webapp.services",
        "webapp.vision",
        "webapp.wire",
    },
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def modules() -> dict[str, Path]:
    found = {module_name(p): p for p in WEBAPP.rglob("*.py") if "migrations" not in p.parts}
    assert "webapp.vision" in found
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the web app that a module imports (at any depth of its code)."""
    package = name if is_package(path) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; anything else its package.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def top_package(name: str) -> str:
    return ".".join(name.split(".")[:2])


def test_no_module_imports_itself_back_through_others():
    assert cycles(graph()) == []


def test_no_two_packages_import_each_other():
    packages: dict[str, set[str]] = defaultdict(set)
    for name, targets in graph().items():
        for target in targets:
            if top_package(target) != top_package(name):
                packages[top_package(name)].add(top_package(target))
    assert cycles(packages) == []


def test_each_package_imports_only_the_layers_below_it():
    wrong = []
    for name, targets in graph().items():
        layer = top_package(name)
        if layer not in LAYERS:
            continue  # the composition root (urls, settings, worker) may import anything
        for target in targets:
            below = top_package(target)
            if below != layer and below in LAYERS and below not in LAYERS[layer]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
