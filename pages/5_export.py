"""Step 6 -- Export: the balanced data with provenance, the recipe and an offline report, as one zip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from core.data import FeatureConfig
from core.errors import SkewlabError
from core.export import (
    Applied,
    InputSpec,
    LabelSpec,
    Recipe,
    ScopeSpec,
    apply_recipe,
    bundle_name,
    export_bundle,
    make_recipe,
)
from core.text import DEFAULT_ENCODER
from ui import common as ui
from ui import nav, runs
from ui.forms import strategy_label

FORMAT_LABELS = {"csv": "CSV", "parquet": "Parquet", "xlsx": "Excel (.xlsx)"}
SCOPE_LABELS = {
    "whole": "Whole catalog rebalanced (for a production model)",
    "split": "Train/test split: rebalance train only (for offline evaluation)",
}



@dataclass(frozen=True)
class RunChoice:
    name: str
    label: str
    params: dict


table, choice = ui.catalog_page(nav.EXPORT)
cfg = runs.run_config()
if not cfg or not cfg.get("strategies"):
    st.info("Run some strategies first on the Strategies page.", icon=":material/tune:")
    nav.link(nav.STRATEGIES, label="Go to Strategies", icon=":material/arrow_back:")
    st.stop()
# The export recomputes the chosen strategy with core.export.bundle.apply_recipe (the function the headless
# `python -m core apply` uses), so it needs the run's choices, not its cached results.
ok = [RunChoice(item["name"], strategy_label(item["name"]), dict(item.get("params") or {})) for item in cfg["strategies"]]

# ------------------------------------------------------------------ choices
st.session_state.setdefault("choice_export_scope", "whole")
st.session_state.setdefault("choice_export_format", "csv")
st.session_state.setdefault("choice_export_test_share", 0.2)
st.session_state.setdefault("choice_export_split_seed", int(cfg.get("seed", 0)))
st.session_state.setdefault("choice_export_neutralize", True)
names = [o.name for o in ok]
recommended = st.session_state.get("eval_recommended") or {}
if recommended.get("name") in names and st.session_state.get("export_recommendation_seen") != recommended:
    # Evaluate just recommended a strategy: start from it (once; the analyst may then pick another)
    st.session_state["choice_export_strategy"] = recommended["name"]
    st.session_state["export_recommendation_seen"] = recommended
elif st.session_state.get("choice_export_strategy") not in names:
    # the first strategy that changes something: exporting the baseline is rarely what is wanted
    st.session_state["choice_export_strategy"] = next((n for n in names if n != "none"), names[0])

c1, c2, c3 = st.columns([2, 3, 2], gap="large")
c1.selectbox("Strategy", names, format_func=lambda n: next(o.label for o in ok if o.name == n),
             key="choice_export_strategy", help="One of the strategies compared on the Strategies page.")
if recommended.get("name") == st.session_state["choice_export_strategy"]:
    c1.caption(f":material/emoji_events: Recommended on the Evaluate page ({recommended.get('why', 'best score')}).")
c2.radio("Scope", list(SCOPE_LABELS), format_func=SCOPE_LABELS.get, key="choice_export_scope")
if st.session_state["choice_export_scope"] == "split":
    s1, s2 = c2.columns(2)
    s1.slider("Test share", min_value=0.05, max_value=0.5, step=0.05, key="choice_export_test_share",
              help="Share of each class held out as test. Test rows are never resampled.")
    s2.number_input("Split seed", min_value=0, max_value=2**32 - 1, step=1, key="choice_export_split_seed")
c3.radio("Format", list(FORMAT_LABELS), format_func=FORMAT_LABELS.get, key="choice_export_format")
fmt = st.session_state["choice_export_format"]
c3.toggle("Neutralize spreadsheet formulas", key="choice_export_neutralize", disabled=fmt == "parquet",
          help="Text cells that begin with = + - @, tab or carriage return get a leading ' so Excel or "
               "LibreOffice show them as text instead of running them. Numbers such as -5 are left alone.")
neutralize = bool(st.session_state["choice_export_neutralize"]) and fmt != "parquet"
if fmt == "parquet":
    c3.caption("Parquet is never altered: every cell is written as loaded.")
elif neutralize:
    c3.caption("Formula-looking text cells get a leading ' (CSV and Excel). Turn this off for cells exactly as loaded.")
else:
    c3.caption(":orange[Off: cells starting with = + - @ are written as loaded; a spreadsheet may run them as formulas.]")

outcome = next(o for o in ok if o.name == st.session_state["choice_export_strategy"])
scope = ScopeSpec(
    st.session_state["choice_export_scope"],
    float(st.session_state["choice_export_test_share"]),
    int(st.session_state["choice_export_split_seed"]),
)
try:
    recipe = make_recipe(
        input=InputSpec(Path(table.name).name, table.sha256, table.format, table.encoding, table.delimiter, table.sheet,
                        st.session_state.get("member")),
        roles=st.session_state["roles"],
        label=LabelSpec(choice.column, choice.level, choice.separator),
        features=FeatureConfig.from_roles(st.session_state["roles"], text_dim=int(cfg.get("text_dim", 64)),
                                          text_encoder=st.session_state.get("choice_text_encoder", DEFAULT_ENCODER)),
        strategy=outcome.name,
        params=outcome.params,
        target=cfg["target"],
        small_classes=cfg["small_classes"],
        seed=int(cfg["seed"]),
        scope=scope,
    )
except SkewlabError as exc:
    ui.show_error(exc, where="The export settings cannot make a recipe: ")
    st.stop()


def _recipe_key(r: Recipe) -> str:
    d = r.to_dict()
    d.pop("versions")
    return str(d)


@st.cache_resource(max_entries=4, show_spinner=False)
def _applied(key: tuple, recipe_key: str, _table, _recipe: Recipe) -> Applied:
    return apply_recipe(_table, _recipe)


@st.cache_resource(max_entries=4, show_spinner=False)
def _extras(key: tuple, recipe_key: str, sections: tuple, _applied: Applied) -> tuple[dict, tuple[str, ...]]:
    """Map / audit / evaluation for the report, when those modules are there (optional)."""
    extras: dict = {}
    skipped: list[str] = []
    if "map" in sections:
        try:
            from core.export import map_figure
            from core.mapping import project

            proj = project(_applied.space, [_applied.result], seed=_applied.recipe.seed)
            extras["map_figure"] = map_figure(proj, _applied.result)
        except Exception as exc:  # optional section: the export goes on without it
            skipped.append(f"map ({type(exc).__name__}: {str(exc)[:120]})")
    if "audit" in sections:
        try:
            from core.mapping.audit import audit

            extras["audit_table"] = audit(_applied.space, _applied.result)
        except Exception as exc:
            skipped.append(f"audit ({type(exc).__name__}: {str(exc)[:120]})")
    if "evaluation" in sections:
        try:
            from core.evaluation import evaluate

            r = _applied.recipe
            extras["evaluation_table"] = evaluate(_applied.space, [{"name": r.strategy, "params": r.params}],
                                                  seed=r.seed, target=r.target_spec(), small_classes=r.small_classes)
        except Exception as exc:
            skipped.append(f"evaluation ({type(exc).__name__}: {str(exc)[:120]})")
    return extras, tuple(skipped)


@st.cache_data(max_entries=4, show_spinner=False)
def _bundle(key: tuple, recipe_key: str, fmt: str, neutralize: bool, sections: tuple, features: bool, _table,
            _recipe: Recipe, _applied: Applied, _extras: dict) -> bytes:
    return export_bundle(_table, _recipe, fmt=fmt, neutralize=neutralize, applied=_applied, report_extras=_extras,
                         features=features)


rkey = _recipe_key(recipe)
try:
    with st.spinner(f"Applying {outcome.label} to {table.name}…"):
        applied = _applied(ui.table_key(), rkey, table, recipe)
except SkewlabError as exc:
    ui.show_error(exc)
    st.stop()
except Exception as exc:  # never a traceback in the page
    ui.show_error(exc)
    st.stop()

res = applied.result
m = st.columns(4)
m[0].metric("Rows in the catalog", f"{len(table.frame):,}")
m[1].metric("Rows in the export", f"{len(applied.output):,}")
m[2].metric("Synthetic rows", f"{res.n_synthetic:,}")
m[3].metric("Removed rows", f"{res.n_removed:,}")
for w in applied.warnings:
    st.warning(w, icon=":material/warning:")
if res.notes:
    with st.expander(f"How the rows were made ({len(res.notes)} notes)", expanded=False):
        st.markdown("\n".join(f"- {note}" for note in res.notes))
if scope.kind == "split":
    st.info(f"Stratified split: {int(applied.counts['test'].sum()):,} labelled rows held out as test "
            f"(share {scope.test_share:g}, seed {scope.seed}); only the train part was rebalanced. "
            "The column skewlab_split says train, test or unlabelled.", icon=":material/call_split:")

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Rows per class")
    st.dataframe(applied.counts, width="stretch", height=360,
                 column_config={c: st.column_config.NumberColumn(format="localized") for c in applied.counts.columns})
with right:
    st.subheader("Preview of the output")
    out = applied.output
    syn = out[out["skewlab_origin"] == "synthetic"]
    preview = pd.concat([out.head(50), syn.head(50)]) if len(syn) else out.head(100)
    st.dataframe(preview, width="stretch", height=360)
    st.caption(f"The first 50 rows{' and the first 50 synthetic rows' if len(syn) else ''} of {len(out):,}. "
               "Original rows keep every value as uploaded"
               + (" (in the file, a cell that starts like a formula gets a leading ')" if neutralize else "")
               + "; synthetic rows take their cells from their real parent rows (skewlab_seed_row, "
               "skewlab_neighbor_row): see How the rows were made.")

available = ["map", "audit", "evaluation"]
with st.expander("Report contents", expanded=False):
    st.caption("report.html always shows the skew before and after, the notes and the recipe; it opens offline.")
    chosen = st.multiselect("Also include", available, key="choice_export_sections",
                            help="Computed for the exported strategy (the map and the evaluation can take a while).")
sections = tuple(sorted(chosen))
extras, skipped = _extras(ui.table_key(), rkey, sections, applied) if sections else ({}, ())
for s in skipped:
    st.caption(f"Left out of the report: {s}.")
with_features = st.toggle(
    "Include the feature vectors (features.parquet)", key="choice_export_features",
    help="The feature vector of every row of the balanced table, row for row: the numbers the strategy worked on "
         "(standardized numbers, one-hot categories, the text encoder's vectors), synthetic rows included, so a "
         "downstream model can be trained on them. README.txt in the zip says how.")

try:
    with st.spinner("Writing the bundle…"):
        data = _bundle(ui.table_key(), rkey, fmt, neutralize, sections, bool(with_features), table, recipe, applied,
                       extras)
except SkewlabError as exc:
    ui.show_error(exc)
    st.stop()

file_name = bundle_name(table.name, outcome.name)
st.download_button("Download bundle (.zip)", data=data, file_name=file_name, mime="application/zip",
                   type="primary", icon=":material/download:", key="export_download")
st.caption(
    f"**{file_name}** ({ui.human_bytes(len(data))}): balanced{'.xlsx' if fmt == 'xlsx' else '.' + fmt} (every "
    "original column plus skewlab_* provenance), removed rows with reasons, recipe.json, report.html and README.txt"
    + (", and features.parquet (the feature vector of every row)" if with_features else "") + ". "
    "Replay it headless on the full catalog: `python -m core apply --recipe recipe.json --input CATALOG --output out.csv`."
)
with st.expander("recipe.json"):
    st.code(recipe.to_json(), language="json")
