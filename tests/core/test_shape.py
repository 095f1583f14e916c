"""The code's shape stays as the architecture says: small modules, short functions, behaviour from
the strategy specs (never from a strategy's name), and no absolute path in code or tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.strategies import REGISTRY
from tests.paths import REPO_ROOT

CORE = REPO_ROOT / "core"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO_ROOT / folder).rglob("*.py"))


def _numba_kernel(node: ast.AST) -> bool:
    return any("njit" in ast.unparse(d) or "jit" == ast.unparse(d).split("(")[0].split(".")[-1]
               for d in getattr(node, "decorator_list", []))


def long_functions(tree: ast.AST) -> list[tuple[str, int]]:
    """Functions (not numba kernels) longer than MAX_FUNCTION_LINES, with their lengths."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
        and not _numba_kernel(node)
    ]


def _identifiers(node: ast.AST) -> list[str]:
    return [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)]


def name_comparisons(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines of ``if``/``elif``/conditional tests that compare a strategy's name (a variable called
    name, strategy or step) with a registry name."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.If | ast.IfExp | ast.While):
            continue
        for sub in ast.walk(node.test):
            if not isinstance(sub, ast.Compare):
                continue
            parts = [sub.left, *sub.comparators]
            consts = [c.value for part in parts for c in ast.walk(part) if isinstance(c, ast.Constant)]
            about_a_strategy = any(re.search("name|strategy|step", i) for part in parts for i in _identifiers(part))
            if about_a_strategy and any(isinstance(c, str) and c in names for c in consts):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_core_modules_are_small():
    sizes = {str(p.relative_to(REPO_ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in _sources("core")}
    assert len(sizes) > 30
    assert {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_long_functions_in_core_ui_and_pages():
    found = {}
    for path in _sources("core", "ui", "pages"):
        long = long_functions(ast.parse(path.read_text(encoding="utf-8")))
        if long:
            found[str(path.relative_to(REPO_ROOT))] = long
    assert found == {}


def test_no_behaviour_on_a_strategy_name_in_core():
    names = set(REGISTRY)
    found = {}
    for path in _sources("core"):
        lines = name_comparisons(ast.parse(path.read_text(encoding="utf-8")), names)
        if lines:
            found[str(path.relative_to(REPO_ROOT))] = lines
    assert found == {}


def test_the_checks_see_what_they_look_for():
    body = "\n".join(f"    x = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(ast.parse(f"def f():\n{body}\n")) == [("f", MAX_FUNCTION_LINES + 1)]
    assert long_functions(ast.parse(f"@numba.njit(cache=True)\ndef f():\n{body}\n")) == []
    assert long_functions(ast.parse(f"def f():\n{body[:-10]}\n")) == []
    code = ("if spec.name == 'smote':\n    pass\nelif name in ('lof', 'x'):\n    pass\nif family == 'over':\n    pass\n"
            "if r.strategy != 'lof':\n    pass\nif choice == 'smote':\n    pass\n")
    assert name_comparisons(ast.parse(code), {"smote", "lof"}) == [1, 3, 7]


ABSOLUTE = re.compile(r"""["'](/(?:work|home|root|Users|mnt|srv|opt)/[^"']*)["']""")


def test_no_absolute_paths_in_code_or_tests():
    found = []
    for path in _sources("core", "ui", "pages", "tests", "benchmarks", "scripts") + [REPO_ROOT / "app.py"]:
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ABSOLUTE.search(line):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert found == []
