"""The streamed Parquet output (``core.export.stream``) holds the table ``build_output_table`` makes:
same rows, cells, types and pandas metadata, whatever the row groups, on a long-tail catalog with
text, empty numbers, unlabelled rows and a path label."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.data import FeatureConfig, build_features, infer_roles, label_values, load_table
from core.export import build_output_table
from core.export.stream import write_output_parquet
from core.export.typed import types_numbers
from core.strategies import TargetSpec, resample
from tests.longtail import make_longtail
from tests.paths import REPO_ROOT as ROOT


@pytest.fixture(scope="module")
def catalog():
    frame = make_longtail(3000, 120, seed=3)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    table = load_table(buf.getvalue().encode(), name="longtail.csv")
    labels = label_values(table.frame, "category")
    roles = infer_roles(table.frame, label="category")
    space = build_features(table.frame, labels, FeatureConfig.from_roles(roles, text_encoder="tfidf", text_dim=16))
    return table, labels, roles, space


@pytest.mark.parametrize("strategy,target", [
    ("smote", "floor:40"),  # synthetic rows on lines, text columns empty
    ("random_under+random_over", "hybrid:60:20"),  # removed rows and copies
    ("tomek_links", "auto"),  # removed rows only: every part original
])
@pytest.mark.parametrize("row_group", [257, 1 << 17])
def test_the_streamed_file_holds_the_whole_output_table(catalog, tmp_path, strategy, target, row_group):
    table, labels, roles, space = catalog
    result = resample(space, strategy, target=TargetSpec.parse(target), small_classes="random_over", seed=1)
    typed = types_numbers(table, "parquet")
    assert typed  # a CSV source: number columns typed in Parquet
    whole = build_output_table(table, labels, roles, result, space, typed=typed)
    whole.to_parquet(tmp_path / "whole.parquet", index=False)
    n = write_output_parquet(table, labels, roles, result, space, tmp_path / "parts.parquet", typed=typed,
                             row_group=row_group)
    assert n == len(whole) == len(table.frame) - result.n_removed + result.n_synthetic
    parts = pd.read_parquet(tmp_path / "parts.parquet")
    pd.testing.assert_frame_equal(parts, pd.read_parquet(tmp_path / "whole.parquet"))
    assert pq.read_schema(tmp_path / "parts.parquet").equals(pq.read_schema(tmp_path / "whole.parquet"), check_metadata=True)
    meta = pq.ParquetFile(tmp_path / "parts.parquet").metadata
    assert meta.num_row_groups == -(-n // row_group)
    assert (parts["skewlab_origin"] == "synthetic").sum() == result.n_synthetic
    assert (parts["category"].fillna("") == "").sum() == 15  # the unlabelled rows pass through (empty cells)


def test_a_column_of_python_objects_is_written_whole(tmp_path):
    """A column of Python objects empty in the first rows: Arrow would type those parts null and
    the others int64, so such a table is written in one piece."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "note": pd.Series([None] * 250 + [7] * 50, dtype=object),
                          "category": np.repeat(["a", "b", "c"], [200, 70, 30])})
    labels = frame["category"]
    roles = {"x": "numeric", "note": "ignore", "category": "label"}
    space = build_features(frame, labels, FeatureConfig(numeric=("x",)))
    result = resample(space, "random_over", seed=0)
    n = write_output_parquet(frame, labels, roles, result, space, tmp_path / "o.parquet", row_group=100)
    back = pd.read_parquet(tmp_path / "o.parquet")
    assert n == len(back) == 600 and pq.ParquetFile(tmp_path / "o.parquet").metadata.num_row_groups == 1
    assert back["note"].iloc[:250].isna().all() and (back["note"].iloc[250:300] == 7).all()
    copies = back.iloc[300:]
    seeds = copies["skewlab_seed_row"].to_numpy(dtype=np.int64)
    assert (copies["note"].isna().to_numpy() == (seeds < 250)).all()  # each copy has its seed's cell


def test_the_cli_writes_parquet_in_row_groups_with_the_same_table(tmp_path):
    frame = make_longtail(2000, 60, seed=5, hierarchy=False)
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    outs = {}
    for fmt in ("parquet", "csv"):
        out = tmp_path / f"out.{fmt}"
        run = subprocess.run([sys.executable, "-m", "core", "resample", str(src), "--label", "category", "--strategy",
                              "smote", "--target", "floor:30", "--small-classes", "random_over", "--text-encoder", "tfidf",
                              "--output", str(out)], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outs[fmt] = out
    parquet = pd.read_parquet(outs["parquet"])
    text = pd.read_csv(outs["csv"], dtype=str, keep_default_na=False)
    assert len(parquet) == len(text) and list(parquet.columns) == list(text.columns)
    assert (parquet["skewlab_origin"].to_numpy() == text["skewlab_origin"].to_numpy()).all()
    assert (parquet["title"].fillna("").to_numpy() == text["title"].to_numpy()).all()
