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
    # the largest training part (random over-sampling to floor:30) has 2,814 rows (800 synthetic): within 3,000
    at.number_input(key="choice_eval_budget").set_value(3000)
    at.button(key="eval_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_evaluate_page_runs_and_shows_the_comparison(app):
    at = _evaluated(app)
    table = at.dataframe[0].value
    assert list(table["strategy"]) == ["No resampling", "Balanced class weights", "Random over-sampling",
                                       "Random under-sampling"]
    assert set(table["classifier"]) == {"Linear discriminant analysis"}  # the default
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


def test_the_estimate_is_shown_before_the_run_and_a_run_over_budget_is_refused(app):
    app.session_state["run_config"] = RUN
    at = goto(app, "Evaluate")
    at.number_input(key="choice_eval_folds").set_value(3).run()
    estimate = [c.value for c in at.caption if c.value.startswith(":material/timer: About ")]
    assert len(estimate) == 1 and "12 training parts" in estimate[0] and "rows to fit in all" in estimate[0]
    assert "43 classes, 26 scored" in estimate[0]  # level 1 of the sample
    assert ":material/info: 17 class(es) have fewer rows than the 3 folds: their 22 rows are in the training part of " \
           "every fold and they are not scored (they are left out of every metric and per-class table)." in \
           [c.value for c in at.caption]
    # 600 rows: lifting 43 classes to floor:30 alone makes more rows than that
    at.number_input(key="choice_eval_budget").set_value(600).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Evaluation: random_over would fit the classifier on "), errors
    assert "more than the row budget of 600 rows (synthetic rows count in the budget)" in errors[0]
    assert "Raise the row budget to " in errors[0]
    assert at.button(key="eval_run").disabled
    assert not at.get("plotly_chart")


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


def test_the_recommendation_reaches_the_export_page(app):
    from ui.forms import strategy_label

    at = _evaluated(app)
    rec = at.session_state["eval_recommended"]
    verdict = next(m.value for m in list(at.success) + list(at.warning) if m.value.startswith("Best macro F1"))
    assert strategy_label(rec["name"]) in verdict and rec["why"].startswith("best macro F1 with Linear discriminant")
    # Export starts from the recommended strategy when it is one the Strategies page ran (here: the one it
    # would not pick by itself, the second), and says why
    at.session_state["eval_recommended"] = {"name": "random_under", "why": "best macro F1 with LDA"}
    at = goto(at, "Export")
    assert at.session_state["choice_export_strategy"] == "random_under"
    assert any(c.value == ":material/emoji_events: Recommended on the Evaluate page (best macro F1 with LDA)."
               for c in at.caption)
    # once: the analyst's own pick then stays
    at.selectbox(key="choice_export_strategy").set_value("random_over").run()
    at = goto(at, "Evaluate")
    at = goto(at, "Export")
    assert at.session_state["choice_export_strategy"] == "random_over"
