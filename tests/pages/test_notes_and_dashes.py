"""Notes of a run grouped under an expander; "not applicable" cells as a dash (ui/notes.py, ui/tables.py)."""

from __future__ import annotations

import math

import pandas as pd

from tests.pages.conftest import goto, upload
from ui.notes import group_notes
from ui.tables import NOT_APPLICABLE, percent, with_dashes


def test_notes_of_one_shape_become_one_line_with_their_count():
    notes = [f"Class 't{i}' has {i + 2} rows: SMOTE uses k_neighbors={i + 1} for it (asked 5)." for i in range(5)]
    notes.insert(2, "Every class already meets its target; no synthetic rows were made.")
    lines = group_notes(notes)
    assert lines == [
        "5 notes like this: " + " · ".join(notes[i] for i in (0, 1, 3)) + " · and 2 more like these",
        "Every class already meets its target; no synthetic rows were made.",
    ]
    # Two of a shape: both quoted, no "more"; a single note stays as it is.
    assert group_notes(notes[:2]) == ["2 notes like this: " + " · ".join(notes[:2])]
    assert group_notes(notes[2:3]) == notes[2:3]


def test_missing_values_become_dashes_and_only_where_they_are():
    frame = pd.DataFrame({"strategy": ["before", "SMOTE"], "runtime (s)": [None, 0.125],
                          "overlap": [math.nan, 0.5], "rows": [10, 12]})
    out = with_dashes(frame, {"runtime (s)": lambda v: f"{v:.2f}", "overlap": percent, "rows": str})
    assert out["runtime (s)"].tolist() == [NOT_APPLICABLE, "0.12"]
    assert out["overlap"].tolist() == [NOT_APPLICABLE, "50.00%"]
    assert out["rows"].tolist() == [10, 12]  # nothing missing: the numbers stay numbers
    assert frame["runtime (s)"].isna().tolist() == [True, False]  # the input is not changed


def small_classes_csv(n_small: int) -> bytes:
    rows = [f"a-{i},{i * 0.5:.2f},a" for i in range(60)]
    rows += [f"t{c}-{i},{100 + c * 10 + i:.2f},t{c}" for c in range(n_small) for i in range(3)]
    return ("sku,price,category\n" + "\n".join(rows) + "\n").encode()


def test_strategies_page_groups_many_notes_and_dashes_the_runtime_of_before(app):
    at = upload(app, "shop.csv", small_classes_csv(8))
    at = goto(at, "Strategies")
    at.multiselect(key="choice_strategies").set_value(["smote"]).run()
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # Eight classes of 3 rows: eight notes "has 3 rows", three as boxes, five in the expander.
    boxes = [i.value for i in at.info if "has 3 rows" in i.value]
    assert boxes == [f"Class 't{c}' has 3 rows: SMOTE uses k_neighbors=2 for it (asked 5)." for c in range(3)], boxes
    more = [e for e in at.expander if e.label == "5 more notes"]
    assert len(more) == 1
    text = " ".join(m.value for m in more[0].markdown)
    assert text.startswith("- 5 notes like this: Class 't3' has 3 rows: SMOTE uses k_neighbors=2"), text
    assert text.endswith(" · and 2 more like these"), text
    table = next(df.value for df in at.dataframe if "runtime (s)" in df.value.columns).set_index("strategy")
    assert table.loc["before", "runtime (s)"] == NOT_APPLICABLE
    assert float(table.loc["SMOTE", "runtime (s)"]) >= 0
    assert any("— = not applicable (the runtime of **before**" in c.value for c in at.caption)
