"""Parquet out of a CSV stores number columns as numbers, only where every stored number prints
back as its cell (``core.export.typed``), and synthetic values go straight into them."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from core.data import FeatureConfig, infer_roles, load_table
from core.export import apply_recipe, export_bundle, make_recipe
from core.export.recipe import InputSpec, LabelSpec
from core.export.typed import decimal_column, to_typed, typed_kind
from tests.paths import REPO_ROOT as ROOT


@pytest.mark.parametrize("cells,kind", [
    (["12", "-3", "0", ""], ("int", 0)),
    (["123456789012345678"], ("int", 0)),
    (["007", "1"], None),  # a leading zero would be lost
    (["-0", "1"], None),
    (["+5", "1"], None),
    (["1,000", "2"], None),
    ([" 5", "2"], None),
    (["12.5", "3.0", "-0.0", "0.0001", ""], ("float", 4)),  # with the most decimals a cell has
    (["12.50", "3.00", "-0.07"], ("decimal", 2)),
    (["12.50", "3.5"], None),  # 12.50 as a float prints 12.5; as decimal(2) 3.5 prints 3.50
    (["1e5", "2"], None),
    (["0.00001"], ("decimal", 5)),  # a float would print 1e-05
    (["0.0000001"], None),  # a Decimal prints 1E-7
    (["-0.00", "1.00"], None),  # a decimal has no negative zero
    (["1234567890123456.5"], None),  # 17 significant digits: not exact through float64
    (["", ""], None),
    (["a", "1"], None),
    (["12", "12.5"], None),  # 12 as a float prints 12.0
])
def test_which_columns_are_typed(cells, kind):
    s = pd.Series(cells, dtype="string[pyarrow]")
    assert typed_kind(s) == kind
    if kind is not None:  # every typed value prints back as its cell; empty cells are nulls
        back = to_typed(s, kind)
        assert [("" if pd.isna(v) else str(v)) for v in back.astype(object)] == cells


def test_decimal_column_from_scaled_integers():
    col = decimal_column(np.array([1250, -50, 0, 7]), 2, np.array([True, True, False, True]))
    assert [None if pd.isna(v) else v for v in col.astype(object)] == [Decimal("12.50"), Decimal("-0.50"), None,
                                                                       Decimal("0.07")]


def _csv(n: int = 600, seed: int = 3) -> bytes:
    """price: fixed 2 decimals; weight: floats as pandas writes them; stock: whole numbers with empty
    cells; code: zero-padded numbers (text); rating: '3.40' with a few '3.400' (text: no type prints both)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(["big", "mid", "small"], [n // 2, n // 3, n - n // 2 - n // 3])
    stock = rng.integers(0, 90, n).astype(str).astype(object)
    stock[rng.random(n) < 0.2] = ""
    frame = pd.DataFrame({
        "price": [f"{v:.2f}" for v in rng.uniform(1, 99, n)],
        "weight": np.round(rng.normal(5, 2, n), 3),
        "stock": stock,
        "code": [f"{v:05d}" for v in rng.integers(0, 99999, n)],
        "rating": [f"{v:.2f}" if i % 50 else f"{v:.1f}0" for i, v in enumerate(rng.uniform(1, 5, n))],
        "category": y,
    })
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _as_text(values: pd.Series) -> list[str]:
    return [("" if pd.isna(v) else str(v)) for v in values.astype(object)]


def test_cli_parquet_from_a_csv_types_numbers_and_changes_no_cell(tmp_path):
    src = tmp_path / "shop.csv"
    src.write_bytes(_csv())
    out, removed = tmp_path / "out.parquet", tmp_path / "removed.parquet"
    run = subprocess.run([sys.executable, "-m", "core", "resample", str(src), "--label", "category", "--strategy",
                          "smote_tomek", "--target", "floor:400", "--output", str(out), "--removed-out", str(removed)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    back = pd.read_parquet(out)
    assert str(back["price"].dtype) == "object" and isinstance(back["price"].dropna().iloc[0], Decimal)
    assert back["weight"].dtype == "float64" and back["stock"].dtype == "Int64"
    assert pd.api.types.is_string_dtype(back["code"].dtype) and pd.api.types.is_string_dtype(back["rating"].dtype)
    assert pd.api.types.is_string_dtype(back["category"].dtype)  # the label is never typed
    loaded = load_table(src).frame
    orig = back[back["skewlab_origin"] == "original"]
    rows = orig["skewlab_row"].to_numpy(dtype=np.int64)
    for col in ("price", "weight", "stock", "code", "rating", "category"):  # every original cell prints as loaded
        assert _as_text(orig[col]) == loaded[col].iloc[rows].tolist(), col
    syn = back[back["skewlab_origin"] == "synthetic"]
    assert len(syn) > 0
    # synthetic values lie between their parents, at the column's own precision
    seed = syn["skewlab_seed_row"].to_numpy(dtype=np.int64)
    nbr = syn["skewlab_neighbor_row"].to_numpy(dtype=np.int64)
    for col, digits in (("price", 2), ("weight", None), ("stock", 0)):
        real = pd.to_numeric(loaded[col].replace("", np.nan)).to_numpy(dtype=np.float64)
        made = syn[col].astype("float64").to_numpy()
        s, n = real[seed], real[nbr]
        both = ~np.isnan(s) & ~np.isnan(n)
        slack = 0.5 * 10.0 ** -digits if digits is not None else 1e-9
        assert (made[both] >= np.minimum(s, n)[both] - slack).all() and (made[both] <= np.maximum(s, n)[both] + slack).all()
        assert np.isnan(made[np.isnan(s) & np.isnan(n)]).all()  # no value where both parents are empty
    assert all(v.as_tuple().exponent == -2 for v in syn["price"].dropna())
    # the removed rows are typed the same way and keep their cells
    gone = pd.read_parquet(removed)
    if len(gone):
        assert gone["weight"].dtype == "float64"
        assert _as_text(gone["price"]) == loaded["price"].iloc[gone["skewlab_row"].to_numpy(dtype=np.int64)].tolist()


def test_bundle_parquet_is_typed_only_for_a_csv_input():
    data = _csv(300)
    table = load_table(data, name="shop.csv")
    roles = infer_roles(table.frame, label="category")
    recipe = make_recipe(input=InputSpec(table.name, table.sha256, table.format, table.encoding, table.delimiter),
                         roles=roles, label=LabelSpec("category"), features=FeatureConfig.from_roles(roles, text_dim=8),
                         strategy="smote", params={}, target="floor:200", small_classes="lower_k", seed=1)
    bundle = zipfile.ZipFile(io.BytesIO(export_bundle(table, recipe, fmt="parquet")))
    typed = pd.read_parquet(io.BytesIO(bundle.read("balanced.parquet")))
    assert typed["weight"].dtype == "float64" and pd.api.types.is_string_dtype(typed["code"].dtype)
    assert "stored as numbers" in bundle.read("README.txt").decode()
    # the same rows as the app's text output, cell for cell
    text = apply_recipe(table, recipe).output
    for col in ("price", "weight", "stock", "code"):
        assert _as_text(typed[col]) == text[col].tolist(), col
    # a Parquet input keeps its own types (a text column stays text)
    buf = io.BytesIO()
    table.frame.to_parquet(buf, index=False)
    ptable = load_table(buf.getvalue(), name="shop.parquet")
    pbundle = zipfile.ZipFile(io.BytesIO(export_bundle(ptable, recipe, fmt="parquet")))
    back = pd.read_parquet(io.BytesIO(pbundle.read("balanced.parquet")))
    assert pd.api.types.is_string_dtype(back["weight"].dtype)
    assert "stored as numbers" not in pbundle.read("README.txt").decode()
