"""Export: round trips on every shared dataset in every format, spreadsheet safety, split scope,
the bundle and its report."""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache

import numpy as np
import pandas as pd
import pytest

from core.data import FeatureConfig, detect_separator, infer_roles, load_table
from core.errors import ParameterError, RecipeError
from core.export import (
    TEST,
    TRAIN,
    UNLABELLED,
    Applied,
    InputSpec,
    LabelSpec,
    Recipe,
    ScopeSpec,
    apply_recipe,
    build_report,
    bundle_name,
    export_bundle,
    format_of,
    make_recipe,
    map_figure,
    member_names,
    neutralize_formulas,
    read_recipe,
    stratified_split,
    write_table,
)
from tests.paths import DATASETS

DATA = f"{DATASETS}/"
TOYS = "amazon_uk_toys_catalog.csv"
TOYS_LABEL = "amazon_category_and_sub_category"
DATASETS = (TOYS, "ecoli.csv", "yeast.csv", "page_blocks.csv")
PROVENANCE = ["skewlab_origin", "skewlab_row", "skewlab_seed_row", "skewlab_neighbor_row", "skewlab_alpha",
              "skewlab_strategy", "skewlab_sample_weight", "skewlab_text_source"]
FORMULA = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def recipe_for(table, label: str, *, level=None, strategy="random_over", params=None, target="floor:40",
               small="random_over", scope=None, seed=0) -> Recipe:
    roles = infer_roles(table.frame, label=label)
    sep = detect_separator(table.frame[label]) if level else None
    return make_recipe(
        input=InputSpec(table.name, table.sha256, table.format, table.encoding, table.delimiter, table.sheet),
        roles=roles, label=LabelSpec(label, level, sep), features=FeatureConfig.from_roles(roles, text_dim=16),
        strategy=strategy, params=params or {}, target=target, small_classes=small, seed=seed, scope=scope,
    )


@cache
def dataset(name: str) -> tuple:
    table = load_table(DATA + name)
    if name == TOYS:
        recipe = recipe_for(table, TOYS_LABEL, level=1, target="floor:20")
    else:
        recipe = recipe_for(table, "class", strategy="smote", params={"k_neighbors": 3}, small="random_over")
    return table, recipe, apply_recipe(table, recipe)


def read_back(data: bytes, fmt: str) -> pd.DataFrame:
    """A written table read back with no type guessing (text stays text, empty stays empty)."""
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False)
    if fmt == "parquet":
        return pd.read_parquet(io.BytesIO(data))
    return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False)


def original_part(out: pd.DataFrame, columns) -> tuple[np.ndarray, pd.DataFrame]:
    orig = out[out["skewlab_origin"] == "original"]
    rows = orig["skewlab_row"].astype("int64").to_numpy()
    return rows, orig[list(columns)].reset_index(drop=True)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), "").astype(str)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@pytest.mark.parametrize("name", DATASETS)
def test_round_trip_keeps_every_original_row_exactly(name, fmt):
    table, recipe, applied = dataset(name)
    back = read_back(write_table(applied.output, fmt, neutralize=False), fmt)
    assert list(back.columns) == list(table.frame.columns) + PROVENANCE
    rows, orig = original_part(back, table.frame.columns)
    # random over-sampling / SMOTE remove nothing: every input row comes back, in order
    assert rows.tolist() == list(range(len(table.frame)))
    pd.testing.assert_frame_equal(as_text(orig), as_text(table.frame), check_dtype=False)
    if fmt == "parquet":  # Parquet keeps dtypes too
        pd.testing.assert_frame_equal(orig, table.frame.reset_index(drop=True))
    n_syn = int((back["skewlab_origin"] == "synthetic").sum())
    assert n_syn == applied.result.n_synthetic > 0


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_file_written_in_place_has_the_bytes_of_the_download(fmt, tmp_path):
    """The CLI writes Parquet straight to its file; the bytes are the app's download."""
    from core.export.write import write_file

    _, _, applied = dataset(TOYS)
    path = tmp_path / f"out.{fmt}"
    write_file(applied.output, path, fmt)
    assert path.read_bytes() == write_table(applied.output, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", [TOYS, "yeast.csv"])
def test_neutralized_round_trip_differs_exactly_by_the_prefix(name, fmt):
    table, _, applied = dataset(name)
    back = read_back(write_table(applied.output, fmt, neutralize=True), fmt)
    rows, orig = original_part(back, table.frame.columns)
    expected = table.frame.copy()
    n = 0
    for col in expected.columns:
        cells = expected[col].tolist()
        fix = [isinstance(v, str) and bool(FORMULA.match(v)) and not PLAIN_NUMBER.match(v) for v in cells]
        n += sum(fix)
        expected[col] = ["'" + v if f else v for v, f in zip(cells, fix)]
    pd.testing.assert_frame_equal(as_text(orig), as_text(expected), check_dtype=False)
    assert rows.tolist() == list(range(len(table.frame)))
    if name == "yeast.csv":
        assert n == 0  # numbers only: nothing to neutralize


CATALOG = (
    "sku,title,stock,price,cat\n"
    "1,=HYPERLINK(\"http://x\"),5 new,-5,a\n"
    "2,+44 20 7946 0000,-5 new,+3.5,a\n"
    "3,@SUM(A1),\"\tindented\",-1,a\n"
    "4,plain,-,-2.5e3,b\n"
    "5,-10,=1+1,7,b\n"
    "6,ok,ok,8,b\n"
    "7,fine,fine,9,b\n"
    "8,-3,x,10,\n"
)


def hostile_table():
    return load_table(CATALOG.encode(), name="hostile.csv")


def test_neutralize_prefixes_only_formula_like_text():
    frame = hostile_table().frame
    out, n = neutralize_formulas(frame)
    assert out["title"].tolist()[:5] == ["'=HYPERLINK(\"http://x\")", "'+44 20 7946 0000", "'@SUM(A1)", "plain", "-10"]
    assert out["stock"].tolist()[:5] == ["5 new", "'-5 new", "'\tindented", "'-", "'=1+1"]
    assert out["price"].tolist() == frame["price"].tolist()  # -5, +3.5, -1, -2.5e3 are numbers
    assert n == 7
    assert frame["title"][0] == '=HYPERLINK("http://x")'  # the input is not changed
    numeric = pd.DataFrame({"x": [-5.0, 3.0], "s": pd.array(["=a", None], dtype="string")})
    out2, n2 = neutralize_formulas(numeric)
    assert out2["x"].tolist() == [-5.0, 3.0] and out2["s"][0] == "'=a" and pd.isna(out2["s"][1]) and n2 == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_formula_cells_in_every_format(fmt):
    table = hostile_table()
    recipe = recipe_for(table, "cat", target="floor:6")
    applied = apply_recipe(table, recipe)
    exact = read_back(write_table(applied.output, fmt, neutralize=False), fmt)
    safe = read_back(write_table(applied.output, fmt, neutralize=True), fmt)
    cols = list(table.frame.columns)
    _, orig_exact = original_part(exact, cols)
    _, orig_safe = original_part(safe, cols)
    pd.testing.assert_frame_equal(as_text(orig_exact), as_text(table.frame), check_dtype=False)
    if fmt == "parquet":  # never altered
        pd.testing.assert_frame_equal(as_text(orig_safe), as_text(table.frame), check_dtype=False)
        return
    changed = as_text(orig_safe) != as_text(table.frame)
    assert int(changed.to_numpy().sum()) == 7
    for col in cols:
        for got, was, ch in zip(orig_safe[col], table.frame[col], changed[col]):
            assert got == ("'" + was if ch else was)
            assert ch == (bool(FORMULA.match(was)) and not PLAIN_NUMBER.match(was))


def test_excel_keeps_formula_text_as_text_when_not_neutralized():
    from openpyxl import load_workbook

    frame = pd.DataFrame({"a": ["=1+1", "x"], "n": [-5, 2]})
    wb = load_workbook(io.BytesIO(write_table(frame, "xlsx", neutralize=False)))
    ws = wb["data"]
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=1+1"  # text, never a live formula
    assert ws["B2"].value == -5 and ws["B2"].data_type == "n"  # numbers stay numbers
    with pytest.raises(ParameterError, match="control character"):
        write_table(pd.DataFrame({"a": ["bell\x07"]}), "xlsx")


def test_synthetic_copies_equal_their_seed_rows_in_every_column():
    table, recipe, applied = dataset(TOYS)
    out = applied.output
    syn = out[out["skewlab_origin"] == "synthetic"]
    assert len(syn) == applied.result.n_synthetic
    assert syn["skewlab_seed_row"].notna().all() and syn["skewlab_row"].isna().all()
    assert syn["skewlab_neighbor_row"].isna().all() and syn["skewlab_alpha"].isna().all()
    assert (syn["skewlab_strategy"] == "random_over").all()
    assert (syn["skewlab_text_source"] == "seed").all()  # copies carry their seed's text
    # random over-sampling copies: every original column is the seed row's cell, text and empty cells included
    seeds = syn["skewlab_seed_row"].astype("int64").to_numpy()
    src = table.frame.iloc[seeds].reset_index(drop=True)
    pd.testing.assert_frame_equal(syn[list(table.frame.columns)].reset_index(drop=True), src)
    assert (src["price"] == "").sum() > 0 and (syn["price"] == "").sum() == (src["price"] == "").sum()
    # the label column keeps the seed's full path, whose level 1 is the row's class
    assert set(syn[TOYS_LABEL].str.split(" > ").str[0]) <= set(applied.result.counts_after)
    # rows without a label carried through untouched
    missing = table.frame[TOYS_LABEL] == ""
    assert missing.sum() == 690
    carried = out[(out["skewlab_origin"] == "original") & (out[TOYS_LABEL] == "")]
    assert carried["skewlab_row"].astype(int).tolist() == np.flatnonzero(missing).tolist()
    assert out.loc[out["skewlab_origin"] == "original", "skewlab_text_source"].isna().all()


def test_split_scope_rebalances_train_only_and_leaves_test_untouched():
    table = load_table(DATA + "yeast.csv")
    recipe = recipe_for(table, "class", strategy="smote", params={"k_neighbors": 3}, target="floor:60",
                        scope=ScopeSpec("split", 0.25, 5))
    applied = apply_recipe(table, recipe)
    out = applied.output
    assert "skewlab_split" in out.columns and set(out["skewlab_split"]) == {TRAIN, TEST}
    test = out[out["skewlab_split"] == TEST]
    assert (test["skewlab_origin"] == "original").all()
    test_rows = test["skewlab_row"].astype(int).to_numpy()
    pd.testing.assert_frame_equal(test[list(table.frame.columns)].reset_index(drop=True),
                                  table.frame.iloc[test_rows].reset_index(drop=True))
    syn = out[out["skewlab_origin"] == "synthetic"]
    assert (syn["skewlab_split"] == TRAIN).all() and len(syn) > 0
    assert not np.isin(syn["skewlab_seed_row"].astype(int), test_rows).any()
    assert not np.isin(syn["skewlab_neighbor_row"].dropna().astype(int), test_rows).any()
    # test keeps the natural distribution (stratified): about 25% of every class that can spare rows
    natural = table.frame["class"].value_counts()
    got = test["class"].value_counts()
    for cls, n in natural.items():
        assert got.get(cls, 0) == min(int(np.floor(n * 0.25 + 0.5)), n - 1)
    assert applied.counts["test"].sum() == len(test)
    # train classes reach the floor
    train = out[out["skewlab_split"] == TRAIN]["class"].value_counts()
    assert train.min() >= 60


def test_stratified_split_keeps_a_train_row_of_every_class_and_unlabelled_rows_out():
    labels = pd.Series(["a"] * 10 + ["b"] * 2 + ["c"] + [pd.NA] * 3, dtype="string")
    test = stratified_split(labels, test_share=0.3, seed=0)
    assert set(labels.iloc[test]) <= {"a", "b"} and (labels.iloc[test] == "a").sum() == 3
    assert (labels.iloc[test] == "b").sum() == 1 and not labels.iloc[test].isna().any()
    assert stratified_split(labels, test_share=0.3, seed=0).tolist() == test.tolist()
    assert stratified_split(labels, test_share=0.3, seed=1).tolist() != test.tolist()
    with pytest.raises(ParameterError):
        stratified_split(labels, test_share=1.0, seed=0)
    table = load_table(DATA + TOYS)
    recipe = recipe_for(table, TOYS_LABEL, level=1, target="floor:3", scope=ScopeSpec("split", 0.2, 0))
    out = apply_recipe(table, recipe).output
    unl = out[out["skewlab_split"] == UNLABELLED]
    assert len(unl) == 690 and (unl[TOYS_LABEL] == "").all()


def test_removed_rows_have_reasons_and_original_columns():
    table = load_table(DATA + "ecoli.csv")
    recipe = recipe_for(table, "class", strategy="random_under", target="cap:40")
    applied = apply_recipe(table, recipe)
    rem = applied.removed
    assert list(rem.columns) == ["skewlab_row", "skewlab_reason"] + list(table.frame.columns)
    assert len(rem) == applied.result.n_removed > 0
    ids = rem["skewlab_row"].astype(int).to_numpy()
    pd.testing.assert_frame_equal(rem[list(table.frame.columns)], table.frame.iloc[ids].reset_index(drop=True))
    kept = applied.output["skewlab_row"].astype(int)
    assert not kept.isin(ids).any() and len(kept) + len(ids) == len(table.frame)
    assert applied.counts["after"].max() == 40


def test_bundle_holds_data_removed_recipe_report_and_repeats_byte_for_byte():
    table, recipe, applied = dataset("ecoli.csv")
    data = export_bundle(table, recipe, fmt="csv", applied=applied)
    assert data == export_bundle(table, recipe, fmt="csv")  # recomputed from scratch: the same bytes
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = member_names("csv")
    assert sorted(zf.namelist()) == sorted(names.values())
    assert zf.read(names["data"]) == write_table(applied.output, "csv")
    assert read_recipe(zf.read("recipe.json")) == recipe
    html = zf.read("report.html").decode()
    assert html.count("plotly.js v") >= 1 and html.count("<script src=") == 0  # plotly inline, once, offline
    assert len(re.findall(r"Plotly\.newPlot", html)) >= 1
    assert "Skew before and after" in html and "floor:40" in html
    assert bundle_name("my data/ecoli.csv.gz", "isolation_forest+smote") == "skewlab_ecoli_isolation_forest-smote.zip"
    with pytest.raises(ParameterError):
        format_of("out.txt")
    assert format_of("x.PARQUET") == "parquet" and format_of("x", "excel") == "xlsx"


def test_bundle_readme_says_what_the_safety_prefix_changes():
    table, recipe, applied = dataset("ecoli.csv")
    readme = {}
    for fmt, neutralize in (("csv", True), ("csv", False), ("parquet", True)):
        zf = zipfile.ZipFile(io.BytesIO(export_bundle(table, recipe, fmt=fmt, applied=applied, neutralize=neutralize)))
        readme[fmt, neutralize] = zf.read("README.txt").decode()
    assert "original rows exactly as loaded (but for the spreadsheet safety prefix below);" in readme["csv", True]
    assert "original rows exactly as loaded; synthetic" in readme["csv", False]
    assert "OFF: cells were written exactly as loaded." in readme["csv", False]
    assert "original rows exactly as loaded; synthetic" in readme["parquet", True]  # parquet is never altered


def test_report_escapes_data_and_takes_optional_sections():
    import plotly.graph_objects as go

    bad = "<script>alert(1)</script>"
    csv = "x,cat\n" + "".join(f"{(i * 7) % 11 + 0.5},{bad if i % 3 else 'ok'}\n" for i in range(30))
    table = load_table(csv.encode(), name="evil.csv")
    recipe = recipe_for(table, "cat", target="floor:25")
    applied = apply_recipe(table, recipe)
    html = build_report(applied, frame=table.frame)
    assert bad not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Not in this report: map, audit, evaluation" in html
    fig = go.Figure(go.Scatter(x=[1], y=[2]))
    ev = pd.DataFrame({"strategy": ["none", bad], "macro F1": [0.5, 0.6]})
    html2 = build_report(applied, map_figure=fig, audit_table=ev, evaluation_table=ev)
    assert "<h2>Map</h2>" in html2 and "<h2>Evaluation</h2>" in html2 and "Audit of synthetic rows" in html2
    assert bad not in html2 and html2.count("plotly.js v") == html.count("plotly.js v")  # plotly.js once


def test_apply_warns_on_another_input_and_refuses_missing_columns():
    table, recipe, _ = dataset("ecoli.csv")
    smaller = load_table(DATA + "ecoli.csv")
    frame = smaller.frame.iloc[:-5]
    applied = apply_recipe(frame, recipe)  # a bare frame has no fingerprint to compare
    assert isinstance(applied, Applied) and applied.warnings == ()
    other = load_table(frame.to_csv(index=False).encode(), name="ecoli.csv")
    assert any("fingerprint" in w for w in apply_recipe(other, recipe).warnings)
    with pytest.raises(RecipeError, match="lacks column"):
        apply_recipe(frame.drop(columns=["mcg"]), recipe)


def test_report_map_from_a_projection():
    from core.mapping import project

    table = load_table(DATA + "ecoli.csv")
    applied = apply_recipe(table, recipe_for(table, "class", strategy="smote_tomek", params={"k_neighbors": 3},
                                             small="lower_k"))
    proj = project(applied.space, [applied.result], method="pca", seed=0)
    fig = map_figure(proj, applied.result)
    names = [t.name for t in fig.data]
    assert names[0] == "real rows" and "synthetic rows" in names
    syn = next(t for t in fig.data if t.name == "synthetic rows")
    assert len(syn.x) == applied.result.n_synthetic
    if applied.result.n_removed:
        assert len(next(t for t in fig.data if t.name == "removed rows").x) == applied.result.n_removed
    assert "<h2>Map</h2>" in build_report(applied, map_figure=fig)


def test_a_bundle_of_another_recipes_result_is_a_bug_not_bad_input():
    table, recipe, applied = dataset("ecoli.csv")
    other = recipe_for(table, "class", strategy="random_over", target="floor:30")
    with pytest.raises(RuntimeError, match="another recipe"):
        export_bundle(table, other, applied=applied)


def test_an_unknown_format_names_the_formats():
    with pytest.raises(ParameterError, match="^format=txt is not allowed; it must be one of 'csv', 'parquet', 'xlsx'"):
        format_of("out.csv", "txt")
