"""Promises of SECURITY.md that live in configuration and source: checked, not assumed."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("core/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"])


def config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_usage_statistics_are_off_and_xsrf_protection_on():
    cfg = config()
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["enableXsrfProtection"] is True


def test_upload_limit_is_at_least_one_gigabyte():
    assert config()["server"]["maxUploadSize"] >= 1024


def _calls(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_no_html_rendering_of_anything():
    offenders = []
    for path in SOURCES:
        for call in _calls(path):
            for kw in call.keywords:
                if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    offenders.append(f"{path.relative_to(ROOT)}:{call.lineno}")
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "html" and isinstance(func.value, ast.Name) and func.value.id == "st":
                offenders.append(f"{path.relative_to(ROOT)}:{call.lineno} st.html")
    assert offenders == []


def test_nothing_is_unpickled_or_evaluated():
    banned_names = {"eval", "exec", "compile", "__import__"}
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in {"pickle", "cloudpickle", "dill", "marshal", "shelve"} for m in mods):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports a pickle module")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in banned_names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"read_pickle", "load"} \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in {"pd", "pickle", "joblib", "np"}:
                if node.func.attr == "load" and node.func.value.id == "np" and any(
                        kw.arg == "allow_pickle" and isinstance(kw.value, ast.Constant) and kw.value.value is False
                        for kw in node.keywords):
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}")
    assert offenders == []


def test_the_checks_above_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nimport streamlit as st\nst.markdown('x', unsafe_allow_html=True)\neval('1')\n")
    calls = list(_calls(bad))
    assert any(kw.arg == "unsafe_allow_html" for c in calls for kw in c.keywords)
    assert any(isinstance(c.func, ast.Name) and c.func.id == "eval" for c in calls)
