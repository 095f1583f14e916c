"""Views that show the tail at 700 and 2,000 classes, and a map whose cost does not grow with the
synthetic rows: tail-first charts, the class strip, group colours, placement from the parents."""

from __future__ import annotations

from html import escape, unescape

import numpy as np
import pandas as pd
import pytest

from core.charts.map import OTHER_COLOR, OTHER_NAME, Panel, class_groups, map_figure
from core.charts.skew import (
    GROUP_COLORS,
    MAX_HEIGHT,
    class_bars,
    class_rows_in,
    class_size_strip,
    counts_comparison,
    tail_first,
)
from core.data import profile_skew
from core.data.features import FeatureConfig, build_features
from core.export.report import counts_figure
from core.mapping import (
    AT_SEED,
    INTERPOLATED,
    TRANSFORMED,
    capped_sample,
    fit_base,
    place,
    placement_kinds,
    placement_note,
)
from core.strategies import SYNTHETIC, resample
from tests.longtail import LABEL, SEPARATOR, make_longtail
from tests.paths import DATASETS


@pytest.fixture(scope="module")
def frame700():
    return make_longtail(22_000, 700)


@pytest.fixture(scope="module")
def counts700(frame700):
    """Rows per class counted with pandas on the catalog: the expected figures of the tests below."""
    return frame700[LABEL].value_counts()


@pytest.fixture(scope="module")
def p700(frame700):
    return profile_skew(frame700[LABEL])


@pytest.fixture(scope="module")
def p2000():
    return profile_skew(make_longtail(100_000, 2_000)[LABEL])


def _bar_values(fig) -> dict[str, float]:
    """Class (from the hover's customdata, HTML-unescaped) -> bar length, over every bar trace."""
    out = {}
    for t in fig.data:
        if t.type == "bar":
            for cd, x in zip(t.customdata, t.x):
                out[unescape(cd[0] if isinstance(cd, (list, tuple, np.ndarray)) else cd)] = x
    return out


def test_the_generator_is_deterministic_and_has_a_long_tail(frame700, counts700):
    pd.testing.assert_frame_equal(frame700, make_longtail(22_000, 700))
    assert len(frame700) == 22_000 and len(counts700) == 700 and frame700[LABEL].isna().sum() == 110
    # hundreds of tiny classes: 22 % singletons, 27 % with 2 to 5 rows, most classes in the tail (< 20 rows)
    assert (counts700 == 1).sum() == 154 and (counts700 < 6).sum() == 154 + 189
    assert (counts700 < 20).sum() > 500 and (counts700 > 100).sum() >= 15
    assert list(frame700.columns) == ["sku", "title", "brand", "price", "rating", LABEL]
    assert not make_longtail(22_000, 700, seed=1).equals(frame700)


def test_tail_first_lines_by_hand():
    s = {"a": 500, "b": 150, "c": 50, "d": 30, "e": 1, "f": 1, "g": 2, "h": 5}
    lines = tail_first(s, per_group=2, head_min=100, tail_max=20)
    assert [(x.group, x.cls, x.more) for x in lines] == [
        ("tail", "e", 0), ("tail", "f", 0), ("tail", None, 2), ("medium", "d", 0), ("medium", "c", 0),
        ("head", "b", 0), ("head", "a", 0),
    ]
    assert lines[2].label == "… 2 more tail classes (2 to 5 rows)" and (lines[2].low, lines[2].high) == (2, 5)
    # a search keeps the matching classes only, case-insensitive
    assert [x.cls for x in tail_first({"Cable A": 3, "cable b": 300, "Mouse": 1}, match="CABLE")] == ["Cable A", "cable b"]


def test_skew_bars_at_700_classes_draw_the_tail_first(p700, counts700):
    tail = sorted(c for c, n in counts700.items() if n < 20)
    medium = [c for c, n in counts700.items() if 20 <= n <= 100]
    head = [c for c, n in counts700.items() if n > 100]
    assert (sorted(p700.tail), sorted(p700.medium), sorted(p700.head)) == (tail, sorted(medium), sorted(head))
    assert min(len(tail), len(medium), len(head)) > 15
    fig = class_bars(p700, top=60, log=True)
    values = _bar_values(fig)
    smallest_tail = sorted(tail, key=lambda c: (counts700[c], c))[:15]
    assert [v for v in values if v in p700.tail] == smallest_tail
    assert all(values[c] == counts700[c] == 1 for c in smallest_tail)
    # 15 classes of each group are drawn, the others counted on a line per group
    order = list(fig.layout.yaxis.categoryarray)[::-1]
    tail_sizes = sorted(counts700[tail])
    assert order[15] == f"… {len(tail) - 15} more tail classes ({tail_sizes[15]} to {tail_sizes[-1]} rows)"
    medium_sizes = sorted(counts700[medium])
    assert order[31] == f"… {len(medium) - 15} more medium classes ({medium_sizes[15]} to {medium_sizes[-1]} rows)"
    assert len(order) == 48 and fig.layout.height <= MAX_HEIGHT
    assert fig.layout.title.text == "Rows per class, tail first, smallest first (45 of 700 classes)"
    # a search draws the matching classes, wherever they are (case-insensitive): here a leaf name
    term = sorted(counts700[counts700 == 3].index)[0].split(SEPARATOR)[-1].upper()
    wanted = {c: int(n) for c, n in counts700.items() if term.lower() in c.lower()}
    fig = class_bars(p700, match=term)
    assert len(wanted) >= 1 and dict(_bar_values(fig)) == wanted


def test_charts_asked_for_every_class_keep_a_fixed_height_at_2000_classes(p2000):
    assert p2000.n_classes == 2_000
    for fig in (class_bars(p2000, top=None, log=True), counts_comparison(p2000.counts, {}, top=None)):
        assert fig.layout.height <= MAX_HEIGHT
        assert any("more tail classes" in c for c in fig.layout.yaxis.categoryarray)
    strip = class_size_strip(p2000)
    assert strip.layout.height == 340
    per_group = {t.name.split(":")[0]: list(t.x) for t in strip.data}
    assert sum(len(v) for v in per_group.values()) == 2_000
    assert sorted(per_group["tail (< 20 rows)"]) == sorted(p2000.counts[c] for c in p2000.tail)
    assert sorted(per_group["head (> 100 rows)"]) == sorted(p2000.counts[c] for c in p2000.head)
    assert [t.marker.color for t in strip.data] == [GROUP_COLORS["tail"], GROUP_COLORS["medium"], GROUP_COLORS["head"]]


def test_class_table_tail_first_filters_by_group_and_name(p700, counts700):
    tail = class_rows_in(p700, group="tail")
    assert len(tail) == (counts700 < 20).sum() and (tail["group"] == "tail").all()
    assert tail["rows"].is_monotonic_increasing and tail["rows"].iloc[0] == 1
    assert sorted(tail["class"]) == sorted(counts700[counts700 < 20].index)
    # a sub-category name, in capitals: every class under it (and any other name containing it)
    sub = counts700.index[0].split(SEPARATOR)[1]
    found = class_rows_in(p700, match=sub.upper())
    assert sorted(found["class"]) == sorted(c for c in counts700.index if sub.lower() in c.lower())
    assert len(found) > 1


def test_before_after_chart_shows_what_a_strategy_did_to_the_tail(p700):
    after = {"SMOTE": {c: max(n, 50) for c, n in p700.counts.items()}, "none": dict(p700.counts)}
    fig = counts_comparison(p700.counts, after)
    markers = {t.name: dict(zip(t.customdata, t.x)) for t in fig.data if t.type == "scatter" and t.name != "not drawn"}
    tail_drawn = [c for c in markers["SMOTE"] if unescape(c) in p700.tail]
    assert len(tail_drawn) == 15 and all(markers["SMOTE"][c] == 50 for c in tail_drawn)
    assert all(markers["none"][c] == 1 for c in tail_drawn)
    # up to 60 classes: the largest first, as before (every class drawn)
    small = dict(list(p700.counts.items())[:40])
    fig = counts_comparison(small, {})
    assert list(fig.data[0].customdata) == [escape(c, quote=False) for c in small]  # "TV & Video" -> "&amp;"
    assert fig.layout.title.text == "Rows per class before and after"


def test_report_counts_chart_has_tail_classes(p700):
    counts = pd.DataFrame({"before": pd.Series(p700.counts), "after": pd.Series(p700.counts).clip(lower=30)})
    counts.index.name = "class"
    fig = counts_figure(counts)
    drawn = [unescape(c) for c in fig.data[0].customdata]
    assert sum(c in p700.tail for c in drawn) == 15 and sum(c in p700.head for c in drawn) == 15
    assert list(fig.data[1].x) == [int(counts.loc[c, "after"]) for c in drawn]
    assert fig.layout.height <= MAX_HEIGHT and "45 of 700 classes" in fig.layout.title.text


def test_capped_sample_by_hand():
    codes = np.repeat([0, 1, 2, 3], [1000, 50, 3, 1])
    pos = capped_sample(codes, 100, seed=0)
    assert np.bincount(codes[pos]).tolist() == [70, 26, 3, 1]  # floor 25 each (3 and 1 whole), rest by size
    assert np.array_equal(pos, np.unique(pos))
    many = np.repeat(np.arange(300), 2)
    assert np.bincount(many[capped_sample(many, 100)], minlength=300).tolist() == [1] * 300  # every class keeps one
    assert np.array_equal(capped_sample(codes[:90], 100), np.arange(90))


@pytest.fixture(scope="module")
def yeast():
    frame = pd.read_csv(f"{DATASETS}/yeast.csv", dtype=str, keep_default_na=False)
    numeric = tuple(c for c in frame.columns if c not in ("sequence_name", "class"))
    space = build_features(frame, frame["class"].astype(object), FeatureConfig(numeric=numeric))
    smote = resample(space, "smote", target="balanced", small_classes="random_over", seed=0)
    over = resample(space, "random_over", target="balanced", seed=0)
    return space, smote, over, fit_base(space, method="pca", cap=100_000, seed=0)


def test_interpolated_rows_sit_between_their_parents_and_equal_pca_transform(yeast):
    space, smote, over, base = yeast
    kinds = placement_kinds(base, smote, space=space)
    syn = np.flatnonzero(smote.origin == SYNTHETIC)
    line = (smote.neighbor_row[syn] >= 0) & np.isfinite(smote.alpha[syn])
    assert (kinds == INTERPOLATED).sum() == line.sum() > 500
    assert set(kinds[~line]) <= {AT_SEED, TRANSFORMED}
    xy = place(base, smote, space=space)
    pos = lambda ids: np.searchsorted(space.rows, ids)  # noqa: E731
    s, n, a = base.xy[pos(smote.seed_row[syn[line]])], base.xy[pos(smote.neighbor_row[syn[line]])], smote.alpha[syn[line]]
    np.testing.assert_array_equal(xy[line], s + a[:, None] * (n - s))
    # PCA is affine: the map of a point between two rows is between their map positions
    np.testing.assert_allclose(xy, place(base, smote, placement="transform"), atol=1e-9)
    # random copies sit exactly on the row they copy
    kinds = placement_kinds(base, over, space=space)
    assert set(kinds) == {AT_SEED}
    syn = np.flatnonzero(over.origin == SYNTHETIC)
    np.testing.assert_array_equal(place(base, over, space=space), base.xy[pos(over.seed_row[syn])])
    assert placement_note(kinds, place(base, over, space=space)) == f"{len(syn):,} synthetic rows: {len(syn):,} on the real row they copy."


def test_the_transform_cap_keeps_every_class_and_the_note_says_so(yeast):
    space, smote, _, base = yeast
    xy = place(base, smote, placement="transform", cap=100)
    drawn = np.isfinite(xy).all(axis=1)
    syn_code = smote.y_code[smote.origin == SYNTHETIC]
    assert drawn.sum() == len(capped_sample(syn_code, 100)) >= 100
    assert set(syn_code[drawn]) == set(syn_code)  # every class with synthetic rows has rows on the map
    kinds = np.full(len(xy), TRANSFORMED, dtype=object)
    assert placement_note(kinds, xy, cap=100) == (
        f"{len(xy):,} synthetic rows: {drawn.sum():,} with transform; {len(xy) - drawn.sum():,} not drawn (at most 100 "
        "rows per strategy go through transform, sampled by class, every class keeps rows).")


def test_map_colours_by_group_and_synthetic_rows_are_never_grey(yeast):
    space, smote, _, base = yeast
    from core.mapping import assemble

    proj = assemble(base, [smote], [place(base, smote, space=space)])
    group_of, color_of = class_groups(space.y, head_min=100, tail_max=20)
    counts = space.class_counts()
    assert {c for c, g in group_of.items() if g.startswith("tail")} == {c for c, n in counts.items() if n < 20}
    assert OTHER_NAME not in color_of
    fig = map_figure(proj, space.y, [Panel("SMOTE", smote, proj.synthetic_xy[0])], head_min=100, tail_max=20)
    diamonds = [t for t in fig.data if t.marker.symbol == "diamond" and t.name != "synthetic rows"]
    assert sum(len(t.x) for t in diamonds) == smote.n_synthetic
    assert {t.marker.color for t in diamonds} <= {GROUP_COLORS["head"], GROUP_COLORS["medium"], GROUP_COLORS["tail"]}
    assert any(t.marker.color == GROUP_COLORS["tail"] for t in diamonds)
    # a chosen set: those classes coloured, the rest grey
    tail = sorted(c for c, n in counts.items() if n < 20)
    group_of, color_of = class_groups(space.y, chosen=tail[:2] + ["not a class"])
    assert [g for g in color_of if g != OTHER_NAME] == tail[:2] and color_of[OTHER_NAME] == OTHER_COLOR
    assert group_of[tail[0]] == tail[0] and group_of[max(counts, key=counts.get)] == OTHER_NAME


def test_a_long_path_label_loses_levels_from_the_top_so_its_leaf_shows():
    from core.charts.skew import short

    assert short("Computers > Networking Gear > Wireless Routers Mesh", 34) == "… &gt; Wireless Routers Mesh"
    assert short("Computers > Networking > Routers", 34) == "Computers &gt; Networking &gt; Routers"  # fits: whole
    assert short("Top > Networking Gear > Mesh", 26) == "… &gt; Networking Gear &gt; Mesh"
    assert short("Top > " + "x" * 50, 20) == "x" * 19 + "…"  # a leaf longer than the label: its start
    assert short("A very long plain name without any path", 20) == "A very long plain n…"
