"""The engine stays pure: no Django, no other part of the web app, no environment."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "webapp" / "vision"
ALLOWED_WEBAPP = ("webapp.vision",)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _engine_files() -> list[Path]:
    files = sorted(ENGINE.rglob("*.py"))
    assert files, ENGINE
    return files


def test_engine_never_imports_django_or_the_web_app():
    offenders = []
    for path in _engine_files():
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "django" or (top == "webapp" and not name.startswith(ALLOWED_WEBAPP)):
                offenders.append(f"{path.relative_to(ENGINE)}: {name}")
    assert offenders == []


def test_engine_never_reads_the_environment():
    offenders = []
    for path in _engine_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                offenders.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert offenders == []


def test_importing_the_engine_loads_neither_mediapipe_nor_django():
    code = (
        "import sys, webapp.vision; "
        "print(sorted(m for m in ('mediapipe', 'django') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ENGINE.parents[1],
    )
    assert out.stdout.strip() == "[]"
