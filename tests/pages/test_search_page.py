"""Search page: a short search on an upload, its answer (as core computes it), the winner sent to Strategies
and exported as a recipe."""

from __future__ import annotations

import csv
import io
import json
import random

from core.data import FeatureConfig, build_features, label_values, load_table
from core.search import OPTIMISTIC, search
from core.search.chart import TITLE
from tests.pages.conftest import goto, upload

# Two head classes, a medium one and two tail classes (< 20 rows) apart from the others: no resampling finds the
# tail rarely (LDA's priors), over-sampling it helps. Numeric features only: the same numbers on any machine.
COUNTS = {"Apple": 420, "Banana": 300, "Cherry": 60, "Damson": 16, "Elder": 12}
CENTRES = {"Apple": (0, 0), "Banana": (3, 0), "Cherry": (0, 3), "Damson": (2.2, 2.2), "Elder": (-1.8, 1.8)}
SEARCH = {"budget_s": 60.0, "n_trials": 4, "seed": 0, "objective": "tail:0.05",
          "search_space": {"samplers": ["random_over", "smote"], "outliers": [], "cleaners": []}}


def catalog_bytes() -> bytes:
    """810 rows: an id, two numeric features (class centres apart, unit noise), the label ``family``."""
    rng = random.Random(18)
    rows = []
    for cls, n in COUNTS.items():
        cx, cy = CENTRES[cls]
        rows.extend([f"{rng.gauss(cx, 1.0):.3f}", f"{rng.gauss(cy, 1.0):.3f}", cls] for _ in range(n))
    rng.shuffle(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sku", "weight", "width", "family"])
    for i, row in enumerate(rows):
        w.writerow([f"P-{i:04d}", *row])
    return buf.getvalue().encode()


def core_result(roles):
    """The same search computed by core on the same features (the page must show this)."""
    table = load_table(catalog_bytes(), name="fruit.csv")
    space = build_features(table.frame, label_values(table.frame, "family"), FeatureConfig.from_roles(roles))
    return search(space, **SEARCH)


def _searched(app, *, trials=4):
    at = upload(app, "fruit.csv", catalog_bytes())
    assert at.session_state["label"] == "family"
    at = goto(at, "Search")
    assert not at.get("plotly_chart")  # nothing runs before the button
    at.number_input(key="choice_search_trials").set_value(trials)
    at.radio(key="choice_search_objective").set_value("tail").run()
    at.number_input(key="choice_search_drop").set_value(0.05)
    at.multiselect(key="choice_search_samplers").set_value(["random_over", "smote"])
    at.multiselect(key="choice_search_outliers").set_value([])
    at.multiselect(key="choice_search_cleaners").set_value([])
    at.button(key="search_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_a_short_search_shows_the_winner_its_confirmation_and_every_trial(app):
    at = _searched(app)
    want = core_result(at.session_state["roles"])
    assert want.winner.candidate.strategy in ("random_over", "smote")  # a resampling winner on this catalog
    assert [m.value for m in at.success if m.value.startswith("Winner: ")] == [want.summary()[0]]
    assert any(c.value.startswith(":material/timer: 4 trials (asked 4) in ") and
               "the same seed and count give the same trials and winner. Stopped: 4 trials run." in c.value
               for c in at.caption)
    conf = at.dataframe[0].value
    assert list(conf.columns) == ["metric", "winner", "winner 95% interval", "no resampling",
                                  "no resampling 95% interval", "gain", "gain 95% interval"]
    rows = want.confirmation_rows()
    assert list(conf["metric"]) == [r["metric"] for r in rows]
    assert list(conf["winner"]) == [r["winner"] for r in rows]
    assert list(conf["no resampling"]) == [r["baseline"] for r in rows]
    assert (conf["gain"] - (conf["winner"] - conf["no resampling"])).abs().max() < 1e-12
    assert [w.value for w in at.warning] == [OPTIMISTIC]
    assert any(c.value.startswith(f"{want.confirmation.n_rows} held-out rows of 5 classes") for c in at.caption)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == TITLE
    assert [t["name"] for t in spec["data"]] == ["pruned (folds so far)", "trials", "Pareto front", "no resampling",
                                                 "winner"]
    top = at.dataframe[1].value
    assert top["trial"].tolist() == want.table()["trial"].tolist()
    assert set(top["configuration"]) >= {"No resampling", "Balanced class weights"}
    assert at.button(key="search_use").label == "Use this on the Strategies page"


def test_use_this_preselects_the_winner_on_strategies_and_export_makes_its_recipe(app):
    at = _searched(app)
    want = core_result(at.session_state["roles"]).winner.candidate
    at.button(key="search_use").click().run()
    assert at.session_state["search_winner"]["name"] == want.strategy
    assert any(s.value.startswith(f"Sent to the Strategies page: {want.describe()}.") for s in at.success)
    at = goto(at, "Strategies")
    assert at.session_state["choice_strategies"] == ["none", want.strategy]
    for name, value in want.params.items():
        assert at.session_state[f"p::{want.strategy}::{want.strategy}::{name}"] == value
    floor = int(want.target.split(":")[1])
    assert (at.session_state["choice_target_kind"], at.session_state["choice_floor"]) == ("floor", floor)
    assert at.session_state["choice_small_classes"] == "lower_k" and at.session_state["choice_seed"] == 0
    assert any(c.value.startswith(f":material/travel_explore: From the search on the Search page: **{want.describe()}** "
                                  "(trial ") for c in at.caption)
    at.button(key="run").click().run()
    assert not at.exception
    assert at.session_state["run_config"]["strategies"][1] == {"name": want.strategy, "params": want.params}
    assert at.session_state["run_config"]["target"] == want.target
    # read once: the analyst's own change afterwards stays
    at.number_input(key="choice_floor").set_value(floor + 7).run()
    at = goto(at, "Search")
    at = goto(at, "Strategies")
    assert at.session_state["choice_floor"] == floor + 7
    at.number_input(key="choice_floor").set_value(floor).run()
    at = goto(at, "Export")
    assert at.session_state["choice_export_strategy"] == want.strategy
    recipe = json.loads(next(c.value for c in at.code if c.language == "json"))
    assert (recipe["strategy"], recipe["params"], recipe["target"], recipe["small_classes"], recipe["seed"]) == (
        want.strategy, want.params, want.target, "lower_k", 0)


def test_when_no_resampling_wins_there_is_nothing_to_send(app):
    # two trials: the baselines only; balanced class weights costs the head more than 0.05 of recall here
    at = _searched(app, trials=2)
    assert any(i.value.startswith("Winner: no resampling (trial 0): no configuration tried beat it on tail recall")
               for i in at.info)
    assert "No resampling won: there is nothing to send to the Strategies page." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "search_use"]


def test_a_revisit_is_served_from_the_cache(app):
    at = _searched(app, trials=3)
    before = at.dataframe[1].value
    at = goto(at, "Skew")
    at = goto(at, "Search")
    assert not at.get("progress")
    assert at.dataframe[1].value.equals(before)
