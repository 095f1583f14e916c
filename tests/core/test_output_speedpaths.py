"""The fast paths of a whole CLI job (issue 15) write what the slow ones wrote, or what the
analyst's file implies: synthetic number texts with the column's decimals, typed Parquet columns
for typed sources, role inference and number parsing on whole columns, ``to_original`` without a
per-row loop, and command parsers that import only what their command uses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from core.data import (
    FeatureConfig,
    build_features,
    describe_columns,
    infer_roles,
    label_values,
    load_table,
    parse_numeric,
)
from core.data.schema import _infer_one
from core.export import build_output_table
from core.strategies import resample
from tests.paths import REPO_ROOT as ROOT


def _catalog(n: int = 900, seed: int = 5) -> bytes:
    """A CSV of plain decimals: ``fixed`` always 2 decimals (12.50), ``loose`` up to 3 decimals as
    pandas writes them (1.5, 0.125), ``whole`` integers, ``near0`` values around zero (-0.05),
    ``sparse`` always 1 decimal (31.0) with empty cells; 3 classes of 500 / 250 / 150 rows."""
    rng = np.random.default_rng(seed)
    y = np.repeat(["big", "mid", "small"], [n * 5 // 9, n * 5 // 18, n - n * 5 // 9 - n * 5 // 18])
    sparse = np.round(rng.normal(50, 10, n), 1).astype(str).astype(object)
    sparse[rng.random(n) < 0.3] = ""
    frame = pd.DataFrame({
        "fixed": [f"{v:.2f}" for v in rng.uniform(1, 99, n)],
        "loose": np.round(rng.normal(0, 5, n), 3),
        "whole": rng.integers(-40, 40, n),
        "near0": np.round(rng.normal(0, 0.05, n), 2),
        "sparse": sparse,
        "category": y,
    })
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _smote_output(data: bytes, name: str = "plain.csv"):
    table = load_table(data, name=name)
    labels = label_values(table.frame, "category")
    roles = infer_roles(table.frame, label="category")
    space = build_features(table.frame, labels, FeatureConfig.from_roles(roles))
    result = resample(space, "smote", seed=2)
    out = build_output_table(table, labels, roles, result, space)
    return table, roles, out[out["skewlab_origin"] == "synthetic"].reset_index(drop=True)


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def test_synthetic_numbers_are_written_with_the_columns_decimals():
    table, roles, syn = _smote_output(_catalog())
    assert {c for c, r in roles.items() if r == "numeric"} == {"fixed", "loose", "whole", "near0", "sparse"}
    seed = syn["skewlab_seed_row"].astype("int64").to_numpy()
    nbr = syn["skewlab_neighbor_row"].astype("int64").to_numpy()
    alpha = syn["skewlab_alpha"].to_numpy(dtype="float64")
    assert len(syn) == 2 * 500 - 250 - 150
    most = {"fixed": 2, "loose": 3, "whole": 0, "near0": 2, "sparse": 1}
    for col, places in most.items():
        src = table.frame[col].to_numpy(dtype=object)
        got = syn[col].to_numpy(dtype=object)
        s = np.array([float(v) if v != "" else np.nan for v in src[seed]])
        n = np.array([float(v) if v != "" else np.nan for v in src[nbr]])
        two = ~np.isnan(s) & ~np.isnan(n)
        assert two.sum() > 100, col
        for i in np.flatnonzero(two):
            cell = got[i]
            exact = Decimal(s[i]) + Decimal(alpha[i]) * (Decimal(n[i]) - Decimal(s[i]))
            # the parents' own cell where the value equals one; else the value rounded to the column's decimals
            assert cell in (src[seed[i]], src[nbr[i]]) or abs(Decimal(cell) - exact) <= Decimal(10) ** -places / 2 * Decimal("1.000001"), (col, cell, exact)
            assert min(s[i], n[i]) <= float(cell) <= max(s[i], n[i]), (col, cell)
            if col in ("fixed", "sparse"):  # every cell of the file has that many decimals (12.50, 31.0): so do these
                assert _decimals(cell) == places, (col, cell)
            else:  # at most the column's decimals, no trailing zero
                assert _decimals(cell) <= places and not (_decimals(cell) and cell.endswith("0")), (col, cell)
    assert (syn["near0"].str.startswith("-0.")).sum() > 10  # a negative value under 1 keeps its sign
    one_empty = (table.frame["sparse"].to_numpy()[seed] == "") != (table.frame["sparse"].to_numpy()[nbr] == "")
    assert one_empty.sum() > 20
    taken = np.where(table.frame["sparse"].to_numpy()[seed] == "", table.frame["sparse"].to_numpy()[nbr],
                     table.frame["sparse"].to_numpy()[seed])
    assert (syn["sparse"].to_numpy(dtype=object)[one_empty] == taken[one_empty]).all()


def test_parquet_keeps_numbers_typed_for_a_typed_source_and_text_for_a_csv(tmp_path):
    table = load_table(_catalog())
    typed = table.frame.copy()
    typed["loose"] = parse_numeric(typed["loose"])
    typed["whole"] = parse_numeric(typed["whole"]).astype("int64")
    src = tmp_path / "typed.parquet"
    typed.to_parquet(src, index=False)
    out = tmp_path / "out.parquet"
    run = subprocess.run([sys.executable, "-m", "core", "resample", str(src), "--label", "category", "--strategy", "smote",
                          "--output", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    back = pd.read_parquet(out)
    assert back["loose"].dtype == "float64" and back["whole"].dtype == "int64"
    assert pd.api.types.is_string_dtype(back["fixed"].dtype)  # text in the source: text in the output
    syn = back[back["skewlab_origin"] == "synthetic"]
    assert len(syn) == 2 * 500 - 250 - 150 and (syn["whole"] % 1 == 0).all()
    orig = back[back["skewlab_origin"] == "original"]
    pd.testing.assert_frame_equal(orig[list(typed.columns)].reset_index(drop=True), typed)


def test_parse_numeric_reads_plain_and_money_columns_alike():
    plain = pd.Series(["1.5", "-2", "", "1e3", "+4", "-", "7."], dtype="str")
    assert parse_numeric(plain).tolist()[:2] == [1.5, -2.0]
    np.testing.assert_array_equal(parse_numeric(plain).to_numpy(), [1.5, -2.0, np.nan, 1000.0, 4.0, np.nan, 7.0])
    money = pd.Series(["£1,299.00", " 12.5 ", "3%", "1.5", "USD 7", "n/a"], dtype="str")
    np.testing.assert_array_equal(parse_numeric(money).to_numpy(), [1299.0, 12.5, 3.0, 1.5, 7.0, np.nan])


def test_role_inference_on_whole_columns_equals_the_cell_by_cell_rules():
    rng = np.random.default_rng(3)
    n = 25_000  # more than the 20,000 rows roles are inferred from: counts are on all rows
    price = np.round(rng.uniform(0, 100, n), 2).astype(str).astype(object)
    price[rng.random(n) < 0.1] = ""
    price[-7:] = ""  # empty cells beyond the sample still count
    frame = pd.DataFrame({
        "price": price, "item_id": np.arange(5, n + 5).astype(str), "const": ["3"] * n,
        "rownum": np.arange(n).astype(str), "label": rng.choice(["a", "b"], n),
    }).astype("str")
    infos = {i.name: i for i in describe_columns(frame)}
    for col in frame.columns:
        present = frame[col][frame[col] != ""]
        role, reason, _, n_unique, example = _infer_one(col, frame[col].iloc[:20_000].tolist(), int(present.nunique()))
        info = infos[col]
        assert (info.role, info.reason, info.n_unique, info.example) == (role, reason, n_unique, example), col
        assert info.n_missing == int((frame[col] == "").sum()), col
    assert [infos[c].role for c in frame.columns] == ["numeric", "id", "ignore", "id", "categorical"]
    assert infos["price"].n_missing == int((price == "").sum()) > 2_000


def test_to_original_takes_each_rows_class_bounds_and_modes():
    frame = pd.DataFrame({
        "x": ["1", "2", "3", "10", "11", "12", "20", "21"],
        "c": ["p", "p", "q", "r", "r", "r", "s", "s"],
        "y": ["A", "A", "A", "B", "B", "B", "C", "C"],
    }, dtype="str")
    labels = label_values(frame, "y")
    space = build_features(frame, labels, FeatureConfig(numeric=("x",), categorical=("c",), max_categories=2))
    X = np.zeros((5, space.X.shape[1]))
    X[:, 0] = (np.array([100.0, -100.0, 100.0, 0.0, 0.0]) - space._numeric["x"].mean) / space._numeric["x"].std
    cats = space.blocks["c"]
    X[0, cats.start] = 1.0  # the first real category
    y = np.array(["A", "B", "C", "A", "nobody"], dtype=object)
    got = space.to_original(X, y)
    # clipped to each row's class range (the global range for an unknown class)
    assert got["x"].tolist() == [3, 10, 21, 1, 1]
    # top-2 values r (3 rows), p (2); q and s share the other bucket, so class C (s, s) has no real
    # value of its own and gets the most frequent one, as does an unknown class
    assert space._categorical["c"].values == ("r", "p", "(other)")
    assert got["c"].tolist() == ["r", "r", "r", "p", "r"]
    X[1, cats.start + 1] = 2.0  # weight on p: the value with the largest weight, whatever the class
    assert space.to_original(X, y)["c"].tolist() == ["r", "p", "r", "p", "r"]
    assert str(got["c"].dtype) == "string"
    empty = space.to_original(X[:0], y[:0])
    assert len(empty) == 0 and list(empty.columns) == ["x", "c"]


def test_command_choices_equal_the_library_constants():
    from core.cli import choices
    from core.data import HEAD_MIN, K_NEIGHBORS, TAIL_MAX
    from core.export import FORMATS, SCOPES
    from core.strategies import SMALL_CLASS_CHOICES

    assert choices.SMALL_CLASS_CHOICES == SMALL_CLASS_CHOICES
    assert (choices.FORMATS, choices.SCOPES) == (FORMATS, SCOPES)
    assert (choices.HEAD_MIN, choices.TAIL_MAX, choices.K_NEIGHBORS) == (HEAD_MIN, TAIL_MAX, K_NEIGHBORS)


def test_every_command_is_listed_with_its_modules_own_help():
    import importlib

    from core.cli.main import COMMANDS

    class Recorder:
        def __init__(self):
            self.helps: dict[str, str] = {}

        def add_parser(self, name, **kw):
            import argparse

            self.helps[name] = kw.get("help")
            return argparse.ArgumentParser(prog=name)

    rec = Recorder()
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        importlib.import_module(module).register(rec)
    assert rec.helps == {name: help_ for name, (_, help_) in COMMANDS.items()}


def test_a_commands_parser_imports_only_its_own_module():
    code = (
        "import sys, json; from core.cli.main import build_parser; p = build_parser(['resample', '--help']); "
        "a = p.parse_args(['resample', 'x.csv', '--label', 'c', '--strategy', 'smote', '--output', 'o.parquet']); "
        "print(json.dumps([a.handler.__module__, a.small_classes, "
        "sorted(m for m in ('pandas', 'numpy', 'sklearn', 'core.strategies', 'core.export', 'core.data', "
        "'core.cli.evaluate', 'core.cli.profile') if m in sys.modules)]))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["core.cli.resample", "error", []]
    helped = subprocess.run([sys.executable, "-m", "core", "resample", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert helped.returncode == 0 and "--small-classes {error,lower_k,random_over,merge,drop}" in helped.stdout
    listed = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert all(name in listed.stdout for name in ("profile", "strategies", "resample", "evaluate", "apply", "recipe"))


def test_core_export_loads_a_names_module_on_first_use():
    import importlib

    import core.export as export

    for name in export.__all__:
        module = importlib.import_module(f"core.export.{export._WHERE[name]}")
        assert getattr(export, name) is getattr(module, name), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        export.nope  # noqa: B018
    code = ("import sys; import core.export.tables; from core.export import write_table; "
            "print(sorted(m for m in ('core.export.report', 'core.export.bundle', 'core.export.apply', "
            "'core.export.recipe') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"  # resample's imports: no report, bundle or recipe code


def test_only_commands_alone_in_their_process_skip_the_teardown(monkeypatch):
    import threading

    from core.cli.main import fast_exit_ok

    # this test process may hold what other tests left (a Dask import, pool threads): start clean
    monkeypatch.delitem(sys.modules, "distributed", raising=False)
    main_only = [threading.main_thread()]
    monkeypatch.setattr(threading, "enumerate", lambda: list(main_only))
    if "multiprocessing" in sys.modules:
        monkeypatch.setattr(sys.modules["multiprocessing"], "active_children", list)
    resample_argv = ["resample", "x.csv", "--label", "c", "--strategy", "smote", "--output", "o.parquet"]
    assert fast_exit_ok(resample_argv) and fast_exit_ok(["apply", "r.json", "x.csv", "--output", "o.csv"])
    assert not fast_exit_ok(["evaluate", "x.csv", "--label", "c"])  # worker processes, atexit cleanup
    assert not fast_exit_ok(["search", "x.csv", "--label", "c"]) and not fast_exit_ok([])
    monkeypatch.setitem(sys.modules, "distributed", object())  # a Dask client may still hold a cluster
    assert not fast_exit_ok(resample_argv)
    monkeypatch.delitem(sys.modules, "distributed")
    done = threading.Event()
    busy = threading.Thread(target=done.wait, daemon=False)  # a thread the interpreter would join
    busy.start()
    main_only.append(busy)
    try:
        assert not fast_exit_ok(resample_argv)
    finally:
        done.set()
        busy.join()
    assert fast_exit_ok(resample_argv)  # it has ended (still listed, no longer alive)
    daemon = threading.Thread(target=done.wait, daemon=True)
    main_only[1:] = [daemon]
    daemon.start()
    assert fast_exit_ok(resample_argv)  # a daemon thread is not waited for
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "active_children", lambda: ["a worker"])
    assert not fast_exit_ok(resample_argv)


def test_a_resample_that_skips_the_teardown_still_flushes_everything(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(_catalog())
    run = subprocess.run([sys.executable, "-m", "core", "resample", str(src), "--label", "category", "--strategy",
                          "random_over", "--output", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"wrote {out}: 1,500 rows (600 synthetic, 0 removed, 0 without a label) with Random over-sampling in " \
        + run.stdout.split(" in ")[-1] and run.stdout.endswith("s\n")
    assert run.stderr.startswith("note: 600 synthetic rows are copies")
    back = pd.read_csv(out)
    assert len(back) == 1500 and back["skewlab_origin"].value_counts().to_dict() == {"original": 900, "synthetic": 600}


@pytest.mark.parametrize("argv,needle", [
    (["resample", "x.csv", "--label", "c", "--strategy", "smote", "--output", "o.csv", "--small-classes", "nope"],
     "invalid choice: 'nope'"),
    (["sample"], "invalid choice: 'sample'"),
])
def test_bad_commands_and_choices_are_usage_errors(argv, needle, capsys):
    from core.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and needle in capsys.readouterr().err


@pytest.mark.parametrize("dtype", ["string[pyarrow]", object])
def test_arrow_parse_of_plain_number_texts_equals_pandas(dtype):
    """Plain number texts go through Arrow's cast; every cell reads as pandas' to_numeric reads it
    (empty: NaN, infinite: NaN), and a column Arrow cannot read falls back to the general path."""
    rng = np.random.default_rng(3)
    cells = [f"{v:.{d}f}" for v, d in zip(rng.normal(0, 1e3, 400), rng.integers(0, 6, 400))]
    cells += ["", "1e5", "-2E-3", "+4", "1.", ".5", "-0", "1e400", "007"]
    expected = pd.to_numeric(pd.Series(cells, dtype=object).replace("", np.nan), errors="coerce")
    expected = expected.where(np.isfinite(expected))
    got = parse_numeric(pd.Series(cells, dtype=dtype))
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy(dtype=np.float64))
    odd = parse_numeric(pd.Series(["1", ".", "-", "2e"], dtype=dtype))  # not numbers to Arrow: the general path
    assert odd.tolist()[0] == 1.0 and np.isnan(odd.tolist()[1:]).all()
