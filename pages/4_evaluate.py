"""Step 5 -- Evaluate: an honest, leak-free comparison of the strategies with downstream classifiers."""

import json
import math

import pandas as pd
import streamlit as st

from core.charts import evaluation as charts_eval
from core.errors import SkewlabError
from core.evaluation import (
    BASELINES,
    CLASSIFIERS,
    DEFAULT_CLASSIFIER,
    GMEAN_DESCRIPTION,
    METRICS,
    EvaluationCancelled,
    check_budget,
    estimate_evaluation,
    evaluate,
)
from ui import admission, cache, nav, runs
from ui import common as ui
from ui.forms import strategy_label
from ui.stoppable import Asked, Stoppable

table, choice = ui.catalog_page(nav.EVALUATE)
cfg = runs.run_config() or {}
st.caption(
    "Each strategy is applied **only to the training part** of every cross-validation fold; the test part keeps the "
    "catalog's natural distribution and never holds a synthetic row. No resampling and balanced class weights are "
    "always compared."
)
if not cfg:
    st.info("No strategies were run yet, so only the two baselines can be compared. Run strategies first to "
            "compare them here.", icon=":material/tune:")
    nav.link(nav.STRATEGIES, label="Go to Strategies", icon=":material/arrow_back:")

try:
    space = runs.feature_space(table, choice, text_dim=cfg.get("text_dim", 64))
except SkewlabError as exc:
    ui.show_error(exc)
    st.stop()
head_min, tail_max, _ = ui.thresholds()
run_items = [s for s in cfg.get("strategies", []) if s["name"] not in BASELINES]


def _item_label(i: int) -> str:
    item = run_items[i]
    same = [j for j, s in enumerate(run_items) if s["name"] == item["name"]]
    suffix = f" ({same.index(i) + 1})" if len(same) > 1 else ""
    return strategy_label(item["name"]) + suffix


# ------------------------------------------------------------------ choose
st.session_state.setdefault("choice_eval_strategies", list(range(len(run_items))))
st.session_state["choice_eval_strategies"] = [i for i in st.session_state["choice_eval_strategies"]
                                              if isinstance(i, int) and i < len(run_items)]
#: The longest evaluation the page starts (estimated seconds).
MAX_SECONDS = 30 * 60
st.session_state.setdefault("choice_eval_classifiers", [DEFAULT_CLASSIFIER])
st.session_state.setdefault("choice_eval_folds", 5)
st.session_state.setdefault("choice_eval_repeats", 1)
st.session_state.setdefault("choice_eval_budget", 300_000)

c1, c2 = st.columns([3, 2])
c1.multiselect("Strategies (from the Strategies page; the baselines are always included)",
               list(range(len(run_items))), key="choice_eval_strategies", format_func=_item_label,
               disabled=not run_items)
c2.multiselect("Classifiers", list(CLASSIFIERS), key="choice_eval_classifiers",
               format_func=lambda n: CLASSIFIERS[n].label,
               help="Defaults chosen to hold up on long tails; the settings used are listed under the results.")
c3, c4, c5 = st.columns(3)
c3.number_input("Folds", min_value=2, max_value=10, step=1, key="choice_eval_folds",
                help="Stratified k-fold. Classes with fewer rows than folds are trained on in every fold but not scored.")
c4.number_input("Repeats", min_value=1, max_value=5, step=1, key="choice_eval_repeats",
                help="Each repeat reshuffles the folds (seed + repeat): more repeats, tighter intervals, longer run.")
c5.number_input("Row budget", min_value=500, max_value=1_000_000, step=5_000, key="choice_eval_budget",
                help="Above this many labelled rows, head classes are sampled; every tail and medium row is kept.")

request = {
    "strategies": [run_items[i] for i in st.session_state["choice_eval_strategies"]],
    "classifiers": list(st.session_state["choice_eval_classifiers"]),
    "folds": int(st.session_state["choice_eval_folds"]),
    "repeats": int(st.session_state["choice_eval_repeats"]),
    "max_rows": int(st.session_state["choice_eval_budget"]),
    "target": cfg.get("target", "auto"),
    "small_classes": cfg.get("small_classes", "error"),
    "seed": int(cfg.get("seed", 0)),
    "text_dim": int(cfg.get("text_dim", 64)),
    "head_min": head_min,
    "tail_max": tail_max,
}
st.caption(f"Target **{request['target']}**, small classes **{request['small_classes']}**, seed **{request['seed']}** "
           "(from the Strategies page); head / tail bounds from the Skew page "
           f"(> {head_min} / < {tail_max} rows).")
refusal = None
est = None
if request["classifiers"]:
    try:
        est = estimate_evaluation(
            space, request["strategies"], classifier=request["classifiers"], folds=request["folds"],
            repeats=request["repeats"], seed=request["seed"], target=request["target"],
            small_classes=request["small_classes"], head_min=head_min, tail_max=tail_max,
            group_counts=space.class_counts(), max_rows=request["max_rows"], n_jobs=2)
        st.caption(f":material/timer: {est.text()}")
        if est.scored < est.classes:
            st.caption(f":material/info: {est.classes - est.scored:,} class(es) have fewer rows than the "
                       f"{request['folds']} folds: their {est.unscored_rows:,} rows are in the training part of every "
                       "fold and they are not scored (they are left out of every metric and per-class table).")
        check_budget(est, max_fit_rows=request["max_rows"], max_seconds=MAX_SECONDS)
    except SkewlabError as exc:
        refusal = exc
        ui.show_error(exc, where="Evaluation: ")
pressed = st.button("Evaluate", type="primary", key="eval_run", disabled=not request["classifiers"] or refusal is not None)
if not request["classifiers"]:
    st.warning("Pick at least one classifier.")
ASKED = Asked("eval", "Evaluation", "Evaluate", "evaluated")
asked = ASKED.ask(request, pressed)

# ------------------------------------------------------------------ run (cached by content)
key = ("evaluate", runs.space_key(table, choice, asked["text_dim"]), json.dumps(asked, sort_keys=True),
       json.dumps(sorted(space.class_counts().items())))
store = cache.results_cache()
running = key not in store

run = Stoppable(running, key="eval_stop", on_stop=ASKED.stop, start="Starting the cross-validation…",
                help="Stops the evaluation before its next training part and releases its worker processes.")


def _evaluate():
    known = est if est is not None and asked == request else None
    with admission.heavy("Evaluation", memory=known and known.bytes_needed, seconds=known and known.seconds,
                         smaller="Lower the row budget or leave out the strategy with the largest training part",
                         progress=run.progress):
        return evaluate(
            space, asked["strategies"], classifier=asked["classifiers"], folds=asked["folds"], repeats=asked["repeats"],
            seed=asked["seed"], target=asked["target"], small_classes=asked["small_classes"], head_min=asked["head_min"],
            tail_max=asked["tail_max"], group_counts=space.class_counts(), max_rows=asked["max_rows"], n_jobs=2,
            on_error="skip", progress=run.progress, max_fit_rows=asked["max_rows"], max_seconds=MAX_SECONDS,
            cancel=run.still_wanted)


ev = run.outcome(lambda: store.get(key, _evaluate), where="Evaluation: ", stopped=(EvaluationCancelled,))

# ------------------------------------------------------------------ what was evaluated
if ev.sampling:
    st.info(ev.sampling, icon=":material/filter_alt:")
else:
    st.caption(f"Evaluated on all {ev.n_rows_used:,} labelled rows.")
for note in ev.notes:
    st.caption(f":material/info: {note}")
for why in ev.failed.values():
    st.warning(why, icon=":material/warning:")

m1, m2 = st.columns(2)
st.session_state.setdefault("choice_eval_metric", "macro_f1")
metric = m1.selectbox("Metric", list(METRICS), key="choice_eval_metric", format_func=lambda m: METRICS[m])
clfs = list(ev.classifiers)
clf = m2.selectbox("Classifier for the detail charts", clfs, key="eval_classifier",
                   format_func=lambda n: ev.classifiers[n]["label"]) if len(clfs) > 1 else clfs[0]

# ------------------------------------------------------------------ verdict
try:
    verdict = ev.best(metric, clf)
    if verdict.clearly_better and (verdict.better_than_none or verdict.strategy == "none"):
        st.success(verdict.text, icon=":material/emoji_events:")
    else:
        st.warning(verdict.text, icon=":material/balance:")
    # the Export page starts from this strategy (as the Strategies page names and ran it)
    st.session_state["eval_recommended"] = {
        "name": ev.result(verdict.strategy, clf).name,
        "why": f"best {METRICS[metric]} with {ev.classifiers[clf]['label']}"
               + ("" if verdict.clearly_better else ", not clearly better than the runner-up"),
    }
except SkewlabError as exc:
    st.info(str(exc))

# ------------------------------------------------------------------ table
tbl = ev.table()


def shown_as(key: str) -> str:
    """A strategy as every page names it (pipelines joined by " → "), with its run key when they differ."""
    name = ev.result(key, clf).name
    return strategy_label(name) + ("" if key == name else f" [{key}]")


show = pd.DataFrame({"strategy": [shown_as(k) for k in tbl["key"]], "classifier": [ev.classifiers[c]["label"] for c in tbl["classifier"]]})
for m, label in METRICS.items():
    show[label] = tbl[m]
lo, hi = tbl[f"{metric}_ci_low"], tbl[f"{metric}_ci_high"]
show[f"{METRICS[metric]} 95% interval"] = [
    "–" if math.isnan(a) else f"{a:.3f} – {b:.3f}" for a, b in zip(lo, hi)]
show[f"p vs none ({METRICS[metric]})"] = tbl[f"{metric}_p"]
show["▲ better than none"] = tbl["better"]
show["▼ worse than none"] = tbl["worse"]
show["fit s / fold"] = tbl["fit_s"]
show["predict s / fold"] = tbl["predict_s"]
st.subheader("Strategies x classifiers")
st.caption("Means over folds; ▲ / ▼ = significantly better / worse than no resampling with the same classifier "
           f"({ev.results[-1].test if ev.results else 'paired t-test'}, p < 0.05). Click a header to sort.")
st.caption(f":material/info: {GMEAN_DESCRIPTION}")
st.dataframe(
    show, width="stretch", hide_index=True, key="eval_table",
    column_config={
        **{label: st.column_config.NumberColumn(format="%.3f") for label in METRICS.values()},
        f"p vs none ({METRICS[metric]})": st.column_config.NumberColumn(format="%.3g"),
        "fit s / fold": st.column_config.NumberColumn(format="%.2f"),
        "predict s / fold": st.column_config.NumberColumn(format="%.3f"),
    },
)

# ------------------------------------------------------------------ charts
st.plotly_chart(charts_eval.metric_bars(ev, metric), width="stretch", key="eval_metric_bars")
st.plotly_chart(charts_eval.group_recall_bars(ev, clf), width="stretch", key="eval_group_bars")

others = [s for s in ev.strategies if s != "none"]
if others:
    st.subheader("Which classes gained, which lost")
    label_of = {s: shown_as(s) for s in ev.strategies}
    strat = st.selectbox("Strategy", others, key="eval_change_strategy", format_func=lambda s: label_of[s])
    change = ev.recall_change(strat, clf)
    tail = change[change["group"] == "tail"]
    g1, g2 = st.columns(2)
    gained = tail[tail["change"] > 0]
    lost = tail[tail["change"] < 0]
    g1.metric("Tail classes that gained recall", f"{len(gained)} of {len(tail)}")
    g2.metric("Tail classes that lost recall", f"{len(lost)} of {len(tail)}")
    st.plotly_chart(charts_eval.recall_change_bars(change, strategy_label=label_of[strat]), width="stretch",
                    key="eval_change_bars")
    with st.expander("Per-class recall table"):
        st.dataframe(change, width="stretch", hide_index=True,
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("baseline_recall", "recall", "change")})

st.subheader("Confusion matrix")
label_of = {s: shown_as(s) for s in ev.strategies}
cstrat = st.selectbox("Strategy", list(ev.strategies), key="eval_confusion_strategy",
                      index=min(1, len(ev.strategies) - 1) if len(ev.strategies) > 2 else 0,
                      format_func=lambda s: label_of[s])
classes = charts_eval.confusion_classes(ev)
st.caption(f"Out-of-fold predictions, rows normalized: the largest classes and the tail classes ({len(classes)} of "
           f"{len(ev.scored)} scored); predictions of any other class are in “(other)”.")
st.plotly_chart(charts_eval.confusion_heatmap(ev.confusion(cstrat, clf, classes=classes),
                                              title=f"Confusion matrix: {label_of[cstrat]}"),
                width="stretch", key="eval_confusion")

# ------------------------------------------------------------------ settings
with st.expander("Settings used", expanded=False):
    st.markdown(
        f"- Folds: repeat *r* uses `StratifiedKFold({ev.folds}, shuffle=True, random_state={ev.seed} + r)`, "
        f"{ev.repeats} repeat(s)\n"
        f"- Target **{ev.target}**, small classes **{ev.small_classes}**, seed **{ev.seed}**\n"
        f"- {len(ev.scored)} classes scored"
        + (f", {len(ev.unscored)} not scored (fewer rows than folds; in every training part)" if ev.unscored else "")
        + f"\n- Runtime {ev.runtime_s:,.1f} s"
    )
    st.dataframe(pd.DataFrame([{"classifier": info["label"], "key": name,
                                "settings": ", ".join(f"{k}={v}" for k, v in info["settings"].items()),
                                "reweighting passed as": "sample_weight" if info["sample_weight"] else "class_weight"}
                               for name, info in ev.classifiers.items()]), hide_index=True, width="stretch")
st.download_button("Download the evaluation (JSON)", json.dumps(ev.to_dict(), indent=2, allow_nan=False),
                   file_name="skewlab_evaluation.json", mime="application/json", key="eval_download")
nav.link(nav.EXPORT, label="Next: export", icon=":material/arrow_forward:")
