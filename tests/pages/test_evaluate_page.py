"""Evaluate page on the built-in sample: table, charts, sampling note, verdict, cached revisit."""

from __future__ import annotations

import json

from tests.pages.conftest import goto

RUN = {
    "strategies": [{"name": "random_over", "params": {}}, {"name": "random_under", "params": {}}],
    "target": "floor:30",
    "small_classes": "random_over",
    "seed": 0,
    "text_dim": 8,
}


def _titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _evaluated(app):
    app.session_state["run_config"] = RUN
    at = goto(app, "Evaluate")
    assert not at.get("plotly_chart")  # nothing runs before the button
    at.number_input(key="choice_eval_folds").set_value(3)
    at.number_input(key="choice_eval_budget").set_value(3000)
    at.button(key="eval_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_evaluate_page_runs_and_shows_the_comparison(app):
    at = _evaluated(app)
    table = at.dataframe[0].value
    assert list(table["strategy"]) == ["No resampling", "Balanced class weights", "Random over-sampling",
                                       "Random under-sampling"]
    assert set(table["classifier"]) == {"Logistic regression"}
    assert table["macro F1"].between(0, 1).all()
    assert "macro F1 95% interval" in table.columns
    titles = _titles(at)
    assert any(t.startswith("Head / medium / tail recall") for t in titles)
    assert any(t.startswith("macro F1 per strategy") for t in titles)
    assert any(t.startswith("Recall change per class") for t in titles)
    assert any(t.startswith("Confusion matrix") for t in titles)
    # 9,310 labelled rows > budget: the page says it sampled, in the spec's words
    assert any(i.value.startswith("Evaluated on ") and "of 9,310 labelled rows: all tail and medium rows, head "
               "classes sampled" in i.value for i in at.info)
    # classes with fewer rows than folds: trained on, not scored, and said so
    assert any("fewer rows than the 3 folds" in c.value for c in at.caption)
    # the best strategy is named, with its caveat when intervals overlap
    verdicts = [m.value for m in list(at.success) + list(at.warning) if m.value.startswith("Best macro F1")]
    assert len(verdicts) == 1
    # the G-mean is named for what it computes, explained on the page, and not 0 on this long tail
    assert any(c.value.startswith(":material/info: G-mean = geometric mean of the per-class recalls over the classes "
                                  "present in the test part; a class with zero recall counts as recall 0.01")
               for c in at.caption)
    assert (table["G-mean (zero recall as 0.01)"] > 0).all()
    # the macro F1 bar chart's axis spans the intervals (read from the table), not 0 to the top, and says so
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("macro F1 per strategy"))
    ends = [float(x) for cell in table["macro F1 95% interval"] for x in cell.split(" – ")]
    low, high = spec["layout"]["yaxis"]["range"]
    assert 0 < low < min(ends) - 0.0005 and high > max(ends) + 0.0005
    assert [a["text"] for a in spec["layout"]["annotations"]] == [
        "The axis does not start at 0: compare bar tops, not bar lengths."]


def test_revisit_is_served_from_the_cache(app):
    at = _evaluated(app)
    before = at.dataframe[0].value
    at = goto(at, "Skew")
    at = goto(at, "Evaluate")
    assert not at.get("progress")  # no recomputation
    assert at.dataframe[0].value.equals(before)
    # another metric re-renders from the same evaluation
    at.selectbox(key="choice_eval_metric").set_value("tail_recall").run()
    assert not at.exception
    assert any(t.startswith("tail recall per strategy") for t in _titles(at))
