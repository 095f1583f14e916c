"""Synthetic rows tell the truth about their parents (issue 14): every written cell comes from the
real rows a synthetic row was made from, never from the feature encoding (no imputed number, no
"(other)" bucket, no (category, brand) pair the class never had).

Checked on a generated messy catalog (tests/messy.py) and on every dataset in data/, against the
loaded frame by ``skewlab_seed_row`` / ``skewlab_neighbor_row`` / ``skewlab_alpha``.
"""

from __future__ import annotations

import io
import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

from core.data import (
    FeatureConfig,
    build_features,
    detect_separator,
    infer_roles,
    label_values,
    load_table,
    parse_numeric,
)
from core.errors import ParameterError
from core.export import build_output_table, write_table
from core.export.tables import output_notes
from core.strategies import resample
from tests.messy import LABEL, messy_csv
from tests.paths import DATASETS

MESSY = "messy"
TOYS = "amazon_uk_toys_catalog.csv"
ALL = (MESSY, TOYS, "ecoli.csv", "yeast.csv", "page_blocks.csv")
SMOTE_FAMILY = ("smote", "borderline_smote", "smote_nc")


@cache
def loaded(name: str):
    """(table, labels, roles, space) as the CLI builds them."""
    if name == MESSY:
        table, label, level = load_table(messy_csv(), name="messy.csv"), LABEL, None
    elif name == TOYS:
        table, label, level = load_table(DATASETS / name), "amazon_category_and_sub_category", 1
    else:
        table, label, level = load_table(DATASETS / name), "class", None
    frame = table.frame
    sep = detect_separator(frame[label]) if level else None
    labels = label_values(frame, label, level=level, separator=sep)
    roles = infer_roles(frame, label=label)
    space = build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=8))
    return table, labels, roles, space


@cache
def output(name: str, strategy: str, params: tuple = (), target: str = "floor:60", text: str = "empty"):
    table, labels, roles, space = loaded(name)
    result = resample(space, strategy, params=dict(params), target=target, small_classes="random_over", seed=3)
    out = build_output_table(table, labels, roles, result, space, text=text)
    return out, result


def synthetic(out: pd.DataFrame) -> pd.DataFrame:
    return out[out["skewlab_origin"] == "synthetic"].reset_index(drop=True)


def ids(col: pd.Series) -> np.ndarray:
    return col.to_numpy(dtype="float64", na_value=np.nan)


def columns_of(roles, *wanted) -> list[str]:
    return [c for c, r in roles.items() if r in wanted]


def decimal_places(cells: np.ndarray, parsed: np.ndarray) -> tuple[int, bool] | None:
    """(most decimals, every number cell has that many) when every number cell is written as a plain
    decimal such as -12.50; None otherwise."""
    texts = [str(c) for c, x in zip(cells, parsed) if not np.isnan(x)]
    if not texts or not all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", t) for t in texts):
        return None
    places = [len(t.split(".")[1]) if "." in t else 0 for t in texts]
    return max(places), min(places) == max(places)


def check_parents(frame: pd.DataFrame, labels: pd.Series, roles, syn: pd.DataFrame, row_cls: np.ndarray, *,
                  text: str = "empty") -> dict:
    """Assert every rule of a SMOTE-family output; returns counts of what was seen (so a test can
    show the rules were exercised)."""
    seen = {"line": 0, "seed_only": 0, "one_parent": 0, "both_empty": 0, "rounded": 0}
    seed = ids(syn["skewlab_seed_row"]).astype(np.int64)
    nbr = ids(syn["skewlab_neighbor_row"])
    alpha = syn["skewlab_alpha"].to_numpy(dtype="float64")
    line = ~np.isnan(nbr) & ~np.isnan(alpha)
    seen["line"], seen["seed_only"] = int(line.sum()), int((~line).sum())
    label_col = columns_of(roles, "label")[0]
    cls = labels.to_numpy(dtype=object)
    assert (cls[seed] == row_cls).all()  # the seed is a real row of the synthetic row's class
    others = columns_of(roles, "categorical", "id", "ignore")
    for col in others:  # categorical, hierarchy, ids: the seed's cell, a value the class has among real rows
        assert (syn[col].to_numpy(dtype=object) == frame[col].to_numpy(dtype=object)[seed]).all(), col
        pairs = set(zip(cls, frame[col].to_numpy(dtype=object)))
        assert all((c, v) in pairs for c, v in zip(row_cls, syn[col])), col
    assert (syn[label_col].to_numpy(dtype=object) == frame[label_col].to_numpy(dtype=object)[seed]).all()
    # text: the seed's where the row says so (copies always, every row when asked), else empty
    source = syn["skewlab_text_source"].to_numpy(dtype=object)
    assert set(source) <= {"seed", "empty"}
    assert (source[line] == text).all()
    copied = source == "seed"
    if text == "empty":  # rows that copy their seed's text are copies in every column
        assert not copied[line].any()
        pd.testing.assert_frame_equal(syn.loc[copied, list(frame.columns)].reset_index(drop=True),
                                      frame.iloc[seed[copied]].reset_index(drop=True), check_dtype=False)
    for col in columns_of(roles, "text"):
        want = np.where(copied, frame[col].to_numpy(dtype=object)[seed], "")
        assert (syn[col].to_numpy(dtype=object) == want).all(), col
    for col in columns_of(roles, "numeric"):
        raw = frame[col].to_numpy(dtype=object)
        got = syn[col].to_numpy(dtype=object)
        # rows without a known neighbour: the seed's cell as written in the file
        assert (got[~line] == raw[seed[~line]]).all(), col
        parsed = parse_numeric(frame[col]).to_numpy(dtype="float64")
        whole = bool((parsed[~np.isnan(parsed)] % 1 == 0).all())
        at = np.flatnonzero(line)
        s, n = parsed[seed[at]], parsed[nbr[at].astype(np.int64)]
        v = parse_numeric(pd.Series(got[at], dtype="string")).to_numpy(dtype="float64")
        both = np.isnan(s) & np.isnan(n)
        assert (got[at][both] == "").all(), col  # never an imputed value
        one = np.isnan(s) ^ np.isnan(n)
        assert np.array_equal(v[one], np.where(np.isnan(s), n, s)[one]), col
        two = ~np.isnan(s) & ~np.isnan(n)
        lo, hi = np.minimum(s, n)[two], np.maximum(s, n)[two]
        assert ((v[two] >= lo) & (v[two] <= hi)).all(), col
        exact = s[two] + alpha[at][two] * (n[two] - s[two])
        if whole:
            assert (v[two] % 1 == 0).all() and (np.abs(v[two] - exact) <= 0.5 + 1e-9).all(), col
            seen["rounded"] += int((v[two] != exact).sum())
        elif (places := decimal_places(raw, parsed)) is not None:  # plain decimals: written with the column's decimals
            most, every = places
            assert (np.abs(v[two] - exact) <= 0.5 * 10.0**-most + 1e-9 * np.abs(exact)).all(), col
            written = decimal_places(got[at][two], v[two])
            assert written is not None and written[0] <= most, col
            if every and len(got[at][two]):
                assert written == (most, True), col
            seen["rounded"] += int((v[two] != exact).sum())
        else:
            assert np.allclose(v[two], exact, rtol=1e-10, atol=0), col
        seen["one_parent"] += int(one.sum())
        seen["both_empty"] += int(both.sum())
    return seen


@pytest.mark.parametrize("name", ALL)
def test_random_over_sampling_rows_are_exact_copies_of_their_seed(name):
    table, labels, roles, space = loaded(name)
    out, result = output(name, "random_over")
    syn = synthetic(out)
    assert len(syn) == result.n_synthetic > 0
    seed = ids(syn["skewlab_seed_row"]).astype(np.int64)
    frame = table.frame
    pd.testing.assert_frame_equal(syn[list(frame.columns)], frame.iloc[seed].reset_index(drop=True))
    assert (syn["skewlab_text_source"] == "seed").all()
    assert (labels.iloc[seed].to_numpy(dtype=object) == result.y[result.row < 0]).all()
    if name == MESSY:  # the messy cells really are in the copies
        assert (syn["price"] == "").sum() > 50 and (syn["rating"] == "").sum() > 10
        rare = frame["brand"].value_counts()
        assert syn["brand"].isin(rare[rare == 1].index).any()  # brands beyond the top-30 buckets


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("strategy", SMOTE_FAMILY)
def test_smote_family_rows_take_their_cells_from_their_parents(name, strategy):
    table, labels, roles, space = loaded(name)
    out, result = output(name, strategy)
    syn = synthetic(out)
    assert len(syn) == result.n_synthetic > 0
    seen = check_parents(table.frame, labels, roles, syn, result.y[result.row < 0])
    assert seen["line"] > 0
    if name == MESSY:  # the messy catalog exercises every rule
        assert seen["one_parent"] > 0 and seen["both_empty"] > 0 and seen["rounded"] > 0


def test_seed_text_is_a_choice_and_says_so():
    table, labels, roles, space = loaded(MESSY)
    out, result = output(MESSY, "smote", text="seed")
    syn = synthetic(out)
    check_parents(table.frame, labels, roles, syn, result.y[result.row < 0], text="seed")
    assert (syn["skewlab_text_source"] == "seed").all() and (syn["title"] != "").all()
    default = synthetic(output(MESSY, "smote")[0])
    line = default["skewlab_neighbor_row"].notna()
    assert (default.loc[line, "skewlab_text_source"] == "empty").all() and (default.loc[line, "title"] == "").all()
    # copies made for classes too small for k-NN keep their text either way
    assert (default.loc[~line, "skewlab_text_source"] == "seed").all()
    with pytest.raises(ParameterError, match=r"export: text='copy' is not allowed; it must be one of 'empty', 'seed'"):
        build_output_table(table, labels, roles, result, space, text="copy")


def test_noisy_copies_write_their_seeds_numbers_and_a_note_says_so():
    table, labels, roles, space = loaded(MESSY)
    out, result = output(MESSY, "random_over", (("shrinkage", 1.0),))
    syn = synthetic(out)
    seed = ids(syn["skewlab_seed_row"]).astype(np.int64)
    noisy = (syn["skewlab_text_source"] == "empty").to_numpy()
    assert noisy.sum() > 100  # rows whose features moved away from their seed
    cols = [c for c in table.frame.columns if c != "title"]
    pd.testing.assert_frame_equal(syn.loc[noisy, cols].reset_index(drop=True),
                                  table.frame.iloc[seed[noisy]][cols].reset_index(drop=True))
    notes = output_notes(result, space)
    assert any(n.startswith(f"{int(noisy.sum()):,} synthetic rows have no known neighbour") for n in notes)
    assert any(n.startswith(f"{int((~noisy).sum()):,} synthetic rows are copies") for n in notes)


def test_notes_count_each_kind_of_row_and_carry_the_feature_notes():
    table, labels, roles, space = loaded(MESSY)
    out, result = output(MESSY, "smote_nc")
    syn = synthetic(out)
    line = int((syn["skewlab_neighbor_row"].notna()).sum())
    notes = output_notes(result, space)
    assert any(n.startswith(f"{line:,} synthetic rows lie between two real rows") for n in notes)
    for note in space.notes:
        assert f"Features: {note}" in notes
    assert any("price" in n and "median" in n for n in space.notes)  # imputation is told, never written
    assert any("brand" in n and "(other)" in n for n in space.notes)


def test_written_csv_bytes_keep_the_parents_cells():
    table, labels, roles, space = loaded(MESSY)
    for strategy in ("random_over", "smote"):
        out, result = output(MESSY, strategy)
        back = pd.read_csv(io.BytesIO(write_table(out, "csv")), dtype=str, keep_default_na=False)
        syn = synthetic(back)
        assert len(syn) == result.n_synthetic
        seed = syn["skewlab_seed_row"].astype(np.int64).to_numpy()
        if strategy == "random_over":
            pd.testing.assert_frame_equal(syn[list(table.frame.columns)],
                                          table.frame.iloc[seed].reset_index(drop=True), check_dtype=False)
        else:
            syn = syn.assign(skewlab_neighbor_row=syn["skewlab_neighbor_row"].replace("", np.nan).astype(float),
                             skewlab_alpha=syn["skewlab_alpha"].replace("", np.nan).astype(float),
                             skewlab_seed_row=seed)
            seen = check_parents(table.frame, labels, roles, syn, result.y[result.row < 0])
            assert seen["line"] > 0 and seen["both_empty"] > 0
        # original rows still round-trip exactly
        orig = back[back["skewlab_origin"] == "original"]
        rows = orig["skewlab_row"].astype(int).to_numpy()
        pd.testing.assert_frame_equal(orig[list(table.frame.columns)].reset_index(drop=True),
                                      table.frame.iloc[rows].reset_index(drop=True), check_dtype=False)


def test_numeric_dtypes_stay_numbers_and_empty_stays_empty():
    """A Parquet-like frame (float price with NaN, Int64 rating with NA): interpolated numbers
    keep the column's dtype, whole-number columns stay whole, and both-empty stays empty."""
    from tests.messy import messy_catalog

    frame = messy_catalog(1500, seed=11)
    frame["price"] = parse_numeric(frame["price"])
    frame["rating"] = parse_numeric(frame["rating"]).astype("Int64")
    labels = label_values(frame, LABEL)
    roles = infer_roles(frame, label=LABEL)
    space = build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=8))
    result = resample(space, "smote", target="floor:60", small_classes="random_over", seed=1)
    out = build_output_table(frame, labels, roles, result, space)
    assert out["price"].dtype == "float64" and out["rating"].dtype == "Int64"
    syn = synthetic(out)
    seed = ids(syn["skewlab_seed_row"]).astype(np.int64)
    nbr = ids(syn["skewlab_neighbor_row"])
    line = ~np.isnan(nbr)
    n = np.where(line, nbr, 0).astype(np.int64)
    for col in ("price", "rating"):
        s_val = frame[col].to_numpy(dtype="float64", na_value=np.nan)[seed]
        n_val = frame[col].to_numpy(dtype="float64", na_value=np.nan)[n]
        got = syn[col].to_numpy(dtype="float64", na_value=np.nan)
        both = line & np.isnan(s_val) & np.isnan(n_val)
        assert both.sum() > 0 and np.isnan(got[both]).all(), col
        two = line & ~np.isnan(s_val) & ~np.isnan(n_val)
        assert ((got[two] >= np.minimum(s_val, n_val)[two]) & (got[two] <= np.maximum(s_val, n_val)[two])).all(), col
        assert np.array_equal(got[~line], s_val[~line], equal_nan=True), col
    assert (syn["rating"].dropna() % 1 == 0).all()
    # the result can carry the export's notes (for the pages that show result notes)
    more = result.with_notes(output_notes(result, space))
    assert more.notes[: len(result.notes)] == result.notes and len(more.notes) > len(result.notes)
    assert more.with_notes(output_notes(result, space)) is more
