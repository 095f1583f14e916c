"""core/ is pure Python: no module imports streamlit, directly or through another module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
PYTHON = CORE.parent / ".venv" / "bin" / "python"


def _core_modules() -> list[Path]:
    files = sorted(CORE.rglob("*.py"))
    assert CORE / "data" / "io.py" in files and CORE / "strategies" / "run.py" in files
    return files


def _imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                roots.add(node.args[0].value.split(".")[0])
    return roots


def test_the_ast_check_sees_streamlit_imports():
    for source in ("import streamlit as st", "from streamlit import cache_data", "import streamlit.testing.v1",
                   "def f():\n    import streamlit", "importlib.import_module('streamlit')"):
        assert "streamlit" in _imported_roots(ast.parse(source)), source
    assert "streamlit" not in _imported_roots(ast.parse("import pandas\nfrom core.data.io import load_table"))


def test_no_core_module_imports_streamlit():
    offenders = [
        str(path.relative_to(CORE.parent))
        for path in _core_modules()
        if "streamlit" in _imported_roots(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    ]
    assert offenders == []


def test_importing_every_core_module_does_not_load_streamlit():
    names = sorted(
        ".".join(p.relative_to(CORE.parent).parent.parts if p.name == "__init__.py"
                 else p.relative_to(CORE.parent).with_suffix("").parts)
        for p in _core_modules()
        if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"names = {names!r}\n"
        "for n in names:\n"
        "    importlib.import_module(n)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(len(names), 'imported;', 'streamlit loaded' if bad else 'clean')\n"
    )
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    proc = subprocess.run([python, "-c", code], cwd=CORE.parent, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{len(names)} imported; clean"
