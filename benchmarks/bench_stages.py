"""Whole page steps on long-tail catalogs, each in a fresh process, next to a plain-library script.

For every ``ROWSxCLASSES`` combination a catalog from :func:`longtail.make_longtail` (path label
``Top > Sub > Leaf``, used whole: one class per leaf) is written to CSV, then every stage the
analyst waits for runs in its own subprocess (imports and cold caches count) through the public
core calls the pages make, with the pages' defaults (read from ``pages/*.py`` where they are
plain literals, printed at the start):

- load + profile: ``load_table``, ``describe_columns``, ``suggest_label``, ``label_values``,
  ``profile_skew`` (Data + Skew pages) | plain ``pandas.read_csv`` + ``value_counts``;
- features: ``build_features`` with the inferred roles (TF-IDF -> SVD 64 on the title...) |
  scikit-learn ``ColumnTransformer`` (TF-IDF + TruncatedSVD(64), one-hot top-30 brands, imputed
  and scaled numbers);
- each default strategy of the Strategies page (``resample`` with the page's target, small-class
  choice and seed), then the six together with the page's estimate and comparison tables |
  the strategy's own code snippet with imbalanced-learn / scikit-learn (SMOTE lifts the classes
  of 6+ rows, classes too small for k = 5 are copied with RandomOverSampler);
- map: ``project`` (UMAP fit once, synthetic rows placed) + ``audit`` of every strategy |
  umap-learn ``UMAP`` fitted on every real row (PCA to 50 first), synthetic rows ``transform``-ed;
- evaluate: ``evaluate`` (the page's default classifier, 5 folds, row budget) | one scikit-learn
  ``cross_validate`` of the same classifier on the same budget of rows, no resampling;
- export: ``make_recipe`` + ``apply_recipe`` + ``export_bundle`` (CSV) of the default strategy
  with the most output rows | plain features + the same sampler + ``to_csv`` into a zip.

A stage's time is the subprocess's wall time minus the time it spent reading the earlier stages'
outputs (pickles, the table); peak memory is the largest resident set of the subprocess and its
workers, sampled every 50 ms. A stage that fails or runs past ``--stage-timeout`` prints FAIL or
TIMEOUT and the run goes on (past ``--time-budget``, the stages left print SKIPPED). Then one table per combination and a growth table (time ratios
between combinations).

    python benchmarks/bench_stages.py                      # quick set: 20000x500, 100000x2000
    python benchmarks/bench_stages.py --full               # + 50-class runs, 100000x500, 1000000x2000
    python benchmarks/bench_stages.py --combos 20000x50 --stage-timeout 120 --sides skewlab
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

QUICK = ((20_000, 500), (100_000, 2000))
FULL = ((20_000, 50), (20_000, 500), (100_000, 50), (100_000, 500), (100_000, 2000), (1_000_000, 2000))
SIDES = ("skewlab", "plain")
#: The issue's acceptance targets (seconds) at 100k rows / 2,000 classes.
TARGETS = {"load + profile": 3.0, "six strategies": 20.0, "map": 60.0, "evaluate": 120.0, "export": 15.0}
TARGET_COMBO = (100_000, 2000)


# ----------------------------------------------------------------------------- page defaults


def page_default(page: str, key: str, fallback):
    """The literal a page gives ``st.session_state.setdefault(key, ...)`` (fallback when not a literal)."""
    text = (ROOT / "pages" / page).read_text(encoding="utf-8")
    m = re.search(r"setdefault\(\s*[\"']" + re.escape(key) + r"[\"']\s*,\s*(.+?)\)\s*$", text, re.M)
    try:
        return ast.literal_eval(m.group(1)) if m else fallback
    except (ValueError, SyntaxError):
        return fallback


def page_strategies() -> list[str]:
    text = (ROOT / "pages" / "2_strategies.py").read_text(encoding="utf-8")
    m = re.search(r"^DEFAULT\s*=\s*(\[.*?\])", text, re.M | re.S)
    return list(ast.literal_eval(m.group(1))) if m else [
        "none", "random_over", "smote", "random_under", "isolation_forest+smote", "balanced_weights"]


def defaults() -> dict:
    """The pages' defaults the stages use."""
    from core.evaluation import DEFAULT_CLASSIFIER

    classifiers = page_default("4_evaluate.py", "choice_eval_classifiers", None)
    return {
        "strategies": page_strategies(),
        "small_classes": page_default("2_strategies.py", "choice_small_classes", "lower_k"),
        "seed": page_default("2_strategies.py", "choice_seed", 0),
        "text_dim": page_default("2_strategies.py", "choice_text_dim", 64),
        "map_cap": page_default("3_map.py", "choice_map_cap", 20_000),
        "classifiers": list(classifiers) if isinstance(classifiers, list) else [DEFAULT_CLASSIFIER],
        "folds": page_default("4_evaluate.py", "choice_eval_folds", 5),
        "repeats": page_default("4_evaluate.py", "choice_eval_repeats", 1),
        "budget": page_default("4_evaluate.py", "choice_eval_budget", 20_000),
        "format": page_default("5_export.py", "choice_export_format", "csv"),
    }


def page_target(counts: dict) -> str:
    """The Strategies page's default target: hybrid with core's default floor (the largest up to 100 that adds
    at most half the rows) and cap."""
    from core.strategies import default_cap, default_floor

    floor = default_floor(counts)
    return f"hybrid:{default_cap(counts, floor)}:{floor}"


def default_params(name: str) -> dict:
    """What the page's form holds untouched: every parameter at its default (per step for a pipeline)."""
    from core.strategies import REGISTRY, parse_pipeline

    steps = parse_pipeline(name)
    out = {s: {p.name: p.default for p in REGISTRY[s].params} for s in steps}
    return out[steps[0]] if len(steps) == 1 else out


# ----------------------------------------------------------------------------- child: shared


class Ctx:
    """What a stage subprocess knows: the CSV, the work folder, the defaults; times its reading."""

    def __init__(self, csv: str, work: str, arg: str | None) -> None:
        self.csv, self.work, self.arg = csv, Path(work), arg
        self.cfg = json.loads((self.work / "defaults.json").read_text())
        self.prep_s = 0.0

    def timed_read(self, fn):
        t = time.perf_counter()
        out = fn()
        self.prep_s += time.perf_counter() - t
        return out

    def load(self, name: str):
        return self.timed_read(lambda: pickle.loads((self.work / name).read_bytes()))

    def save(self, name: str, obj) -> None:
        (self.work / name).write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def table(self):
        from core.data import load_table

        return self.timed_read(lambda: load_table(self.csv))

    def frame(self):
        import pandas as pd

        return self.timed_read(lambda: pd.read_csv(self.csv))


def _labels_roles(frame):
    from longtail import LABEL

    from core.data import detect_separator, infer_roles, label_values

    labels = label_values(frame, LABEL, level=None, separator=detect_separator(frame[LABEL]))
    return labels, infer_roles(frame, label=LABEL)


# ----------------------------------------------------------------------------- child: Skewlab


def sk_load(ctx: Ctx) -> str:
    from longtail import LABEL

    from core.data import describe_columns, detect_separator, label_values, load_table, profile_skew, suggest_label

    table = load_table(ctx.csv)
    infos = describe_columns(table.frame)
    suggest_label(table.frame, infos)
    labels = label_values(table.frame, LABEL, level=None, separator=detect_separator(table.frame[LABEL]))
    p = profile_skew(labels)
    return f"{p.n_classes:,} classes, {len(p.singletons):,} singletons, {p.n_missing_label:,} unlabelled"


def sk_features(ctx: Ctx) -> str:
    from core.data import FeatureConfig, build_features

    table = ctx.table()
    labels, roles = ctx.timed_read(lambda: _labels_roles(table.frame))
    space = build_features(table.frame, labels, FeatureConfig.from_roles(roles, text_dim=ctx.cfg["text_dim"]))
    ctx.timed_read(lambda: ctx.save("space.pkl", space))
    used = ", ".join(f"{c} ({r})" for c, r in roles.items() if r in ("numeric", "categorical", "text"))
    return f"{space.X.shape[1]} features from {used}"


def _resample_page(space, name: str, cfg: dict):
    from core.strategies import resample

    return resample(space, name, params=default_params(name), target=cfg["target"],
                    small_classes=cfg["small_classes"], seed=cfg["seed"])


def sk_strategy(ctx: Ctx) -> str:
    space = ctx.load("space.pkl")
    r = _resample_page(space, ctx.arg, ctx.cfg)
    ctx.timed_read(lambda: ctx.save(f"result-{ctx.arg}.pkl", r))
    (ctx.work / f"rows-{ctx.arg}.txt").write_text(str(len(r.y)))
    return f"{len(r.y):,} rows out: +{r.n_synthetic:,} synthetic, -{r.n_removed:,} removed"


def sk_six(ctx: Ctx) -> str:
    from core.strategies import compare
    from core.strategies.cost import check_fits, estimate

    space = ctx.load("space.pkl")
    cfg, counts = ctx.cfg, space.class_counts()
    for name in cfg["strategies"]:
        check_fits(estimate(counts, space.X.shape[1], name, target=cfg["target"], params=default_params(name),
                            small_classes=cfg["small_classes"]))
    named = [(name, _resample_page(space, name, cfg)) for name in cfg["strategies"]]
    compare.summary_table(counts, named)
    compare.class_changes(space, named)
    return f"{sum(r.n_synthetic for _, r in named):,} synthetic rows in all"


def sk_map(ctx: Ctx) -> str:
    space = ctx.load("space.pkl")
    names = [n for n in ctx.cfg["strategies"] if (ctx.work / f"result-{n}.pkl").exists()]  # as the page: failed
    results = [ctx.load(f"result-{n}.pkl") for n in names]                                # runs are not drawn
    from core.mapping import project
    from core.mapping.audit import audit

    t = time.perf_counter()
    proj = project(space, results, method="umap", cap=ctx.cfg["map_cap"], seed=ctx.cfg["seed"])
    t_map = time.perf_counter() - t
    for r in results:
        audit(space, r)
    return (f"project {t_map:.1f} s + audits {time.perf_counter() - t - t_map:.1f} s; fit on {proj.n_fit:,} rows, "
            f"{sum(len(xy) for xy in proj.synthetic_xy):,} synthetic placed" + _missing(ctx, names))


def _missing(ctx: Ctx, names: list[str]) -> str:
    gone = [n for n in ctx.cfg["strategies"] if n not in names]
    return f" (without {', '.join(gone)}: no result)" if gone else ""


def sk_evaluate(ctx: Ctx) -> str:
    from core.evaluation import BASELINES, evaluate

    space = ctx.load("space.pkl")
    cfg = ctx.cfg
    items = [{"name": n, "params": default_params(n)} for n in cfg["strategies"] if n not in BASELINES]
    ev = evaluate(space, items, classifier=cfg["classifiers"], folds=cfg["folds"], repeats=cfg["repeats"],
                  seed=cfg["seed"], target=cfg["target"], small_classes=cfg["small_classes"],
                  group_counts=space.class_counts(), max_rows=cfg["budget"], n_jobs=2, on_error="skip")
    failed = f", failed: {', '.join(ev.failed)}" if ev.failed else ""
    return f"{'+'.join(cfg['classifiers'])}, {len(ev.strategies)} strategies on {ev.n_rows_used:,} rows{failed}"


def sk_export(ctx: Ctx) -> str:
    from core.data import FeatureConfig
    from core.export import InputSpec, LabelSpec, ScopeSpec, apply_recipe, export_bundle, make_recipe

    table = ctx.table()
    labels, roles = ctx.timed_read(lambda: _labels_roles(table.frame))
    from longtail import LABEL

    recipe = make_recipe(
        input=InputSpec(Path(table.name).name, table.sha256, table.format, table.encoding, table.delimiter),
        roles=roles, label=LabelSpec(LABEL, None, " > "),
        features=FeatureConfig.from_roles(roles, text_dim=ctx.cfg["text_dim"]), strategy=ctx.arg,
        params=default_params(ctx.arg), target=ctx.cfg["target"], small_classes=ctx.cfg["small_classes"],
        seed=ctx.cfg["seed"], scope=ScopeSpec("whole"))
    applied = apply_recipe(table, recipe)
    data = export_bundle(table, recipe, fmt=ctx.cfg["format"], neutralize=True, applied=applied)
    return f"{ctx.arg}: {len(applied.output):,} rows, bundle {len(data) / 2**20:.1f} MB"


# ----------------------------------------------------------------------------- child: plain


def pl_load(ctx: Ctx) -> str:
    import pandas as pd
    from longtail import LABEL

    counts = pd.read_csv(ctx.csv)[LABEL].value_counts()
    return f"{len(counts):,} classes"


def _plain_features(frame, text_dim: int):
    from longtail import LABEL
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = frame[frame[LABEL].notna()]
    ct = ColumnTransformer([
        ("title", make_pipeline(TfidfVectorizer(), TruncatedSVD(text_dim, random_state=0)), "title"),
        ("brand", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False),
         ["brand"]),
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["price", "rating"]),
    ])
    return ct.fit_transform(frame), frame[LABEL].to_numpy(dtype=object), frame


def pl_features(ctx: Ctx) -> str:
    frame = ctx.frame()
    X, y, _ = _plain_features(frame, ctx.cfg["text_dim"])
    ctx.timed_read(lambda: ctx.save("plain-xy.pkl", (X, y)))
    return f"{X.shape[1]} features"


def _wanted(y, target: str) -> tuple[dict, dict]:
    from collections import Counter

    _, cap, floor = target.split(":")
    counts = Counter(y)
    return counts, {c: min(max(n, int(floor)), int(cap)) for c, n in counts.items()}


def _plain_smote(X, y, target: str, seed: int):
    """SMOTE (k = 5) for classes of 6+ rows, random copies for the smaller ones (SMOTE refuses them)."""
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    counts, wanted = _wanted(y, target)
    lift = {c: w for c, w in wanted.items() if w > counts[c]}
    big = {c: w for c, w in lift.items() if counts[c] >= 6}
    small = {c: w for c, w in lift.items() if counts[c] < 6}
    n = len(y)
    if big:
        X, y = SMOTE(k_neighbors=5, sampling_strategy=big, random_state=seed).fit_resample(X, y)
    if small:
        X, y = RandomOverSampler(sampling_strategy=small, random_state=seed).fit_resample(X, y)
    return X, y, n


def _plain_iforest(X, y, seed: int):
    import numpy as np
    from sklearn.ensemble import IsolationForest

    keep = np.ones(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) >= 20:
            est = IsolationForest(n_estimators=100, contamination=0.05, random_state=seed)
            keep[idx[est.fit_predict(X[idx]) == -1]] = False
    return X[keep], y[keep]


def plain_resample(X, y, name: str, target: str, seed: int):
    """Rows out, synthetic rows (features) and sample weights of the plain twin of a default strategy."""
    import numpy as np

    weights = None
    new = np.empty((0, X.shape[1]))
    if name == "random_over":
        from imblearn.over_sampling import RandomOverSampler

        counts, wanted = _wanted(y, target)
        ros = RandomOverSampler(sampling_strategy={c: w for c, w in wanted.items() if w > counts[c]}, random_state=seed)
        Xr, yr = ros.fit_resample(X, y)
        new = Xr[len(y):]
    elif name in ("smote", "isolation_forest+smote"):
        if name != "smote":
            X, y = _plain_iforest(X, y, seed)
        Xr, yr, n = _plain_smote(X, y, target, seed)
        new = Xr[n:]
    elif name == "random_under":
        from imblearn.under_sampling import RandomUnderSampler

        counts, wanted = _wanted(y, target)
        rus = RandomUnderSampler(sampling_strategy={c: w for c, w in wanted.items() if w < counts[c]}, random_state=seed)
        Xr, yr = rus.fit_resample(X, y)
    elif name == "balanced_weights":
        from sklearn.utils.class_weight import compute_sample_weight

        Xr, yr, weights = X, y, compute_sample_weight("balanced", y)
    else:  # none
        Xr, yr = X, y
    return Xr, yr, new, weights


def pl_strategy(ctx: Ctx) -> str:
    X, y = ctx.load("plain-xy.pkl")
    Xr, yr, new, _ = plain_resample(X, y, ctx.arg, ctx.cfg["target"], ctx.cfg["seed"])
    ctx.timed_read(lambda: ctx.save(f"plain-new-{ctx.arg}.pkl", new))
    return f"{len(yr):,} rows out, +{len(new):,} synthetic"


def pl_six(ctx: Ctx) -> str:
    X, y = ctx.load("plain-xy.pkl")
    n = sum(len(plain_resample(X, y, name, ctx.cfg["target"], ctx.cfg["seed"])[2]) for name in ctx.cfg["strategies"])
    return f"{n:,} synthetic rows in all"


def pl_map(ctx: Ctx) -> str:
    import numpy as np

    X, _ = ctx.load("plain-xy.pkl")
    names = [n for n in ctx.cfg["strategies"] if (ctx.work / f"plain-new-{n}.pkl").exists()]
    new = [ctx.load(f"plain-new-{n}.pkl") for n in names]
    from sklearn.decomposition import PCA
    from umap import UMAP

    pca = PCA(50, random_state=0).fit(X) if X.shape[1] > 50 else None
    reduce = pca.transform if pca is not None else (lambda a: a)
    reducer = UMAP(n_neighbors=15, min_dist=0.1, random_state=ctx.cfg["seed"])
    reducer.fit_transform(reduce(X))
    placed = [reducer.transform(reduce(a)) for a in new if len(a)]
    return f"fit on {len(X):,} rows, {sum(len(p) for p in placed):,} synthetic placed" + (
        "" if all(np.isfinite(p).all() for p in placed) else " (non-finite coordinates)") + _missing(ctx, names)


def _budget_rows(y, budget: int, seed: int):
    """Every row of classes of at most 100 rows, the larger classes sampled to fill the budget."""
    import numpy as np
    import pandas as pd

    if len(y) <= budget:
        return np.arange(len(y))
    sizes = pd.Series(y).map(pd.Series(y).value_counts()).to_numpy()
    small = np.flatnonzero(sizes <= 100)
    big = np.flatnonzero(sizes > 100)
    rng = np.random.default_rng(seed)
    take = rng.choice(big, size=max(0, min(len(big), budget - len(small))), replace=False)
    return np.sort(np.concatenate([small, take]))


def pl_evaluate(ctx: Ctx) -> str:
    X, y = ctx.load("plain-xy.pkl")
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from core.evaluation import get_classifier

    cfg = ctx.cfg
    rows = _budget_rows(y, cfg["budget"], cfg["seed"])
    clf = get_classifier(cfg["classifiers"][0]).make(seed=cfg["seed"])
    cv = StratifiedKFold(cfg["folds"], shuffle=True, random_state=cfg["seed"])
    out = cross_validate(clf, X[rows], y[rows], cv=cv, scoring="f1_macro", n_jobs=2)
    return f"{type(clf).__name__}, no resampling, {len(rows):,} rows, macro F1 {out['test_score'].mean():.3f}"


def pl_export(ctx: Ctx) -> str:
    import io
    import zipfile

    import numpy as np
    import pandas as pd

    frame = ctx.frame()
    X, y, labelled = _plain_features(frame, ctx.cfg["text_dim"])
    Xr, yr, new, _ = plain_resample(X, y, ctx.arg, ctx.cfg["target"], ctx.cfg["seed"])
    synthetic = pd.DataFrame(new, columns=[f"f{i}" for i in range(X.shape[1])])
    synthetic["category"] = np.asarray(yr[len(yr) - len(new):])
    out = pd.concat([labelled, synthetic], ignore_index=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("balanced.csv", out.to_csv(index=False))
    return f"{ctx.arg}: {len(out):,} rows, zip {len(buf.getvalue()) / 2**20:.1f} MB"


CHILD = {
    ("load", "skewlab"): sk_load, ("load", "plain"): pl_load,
    ("features", "skewlab"): sk_features, ("features", "plain"): pl_features,
    ("strategy", "skewlab"): sk_strategy, ("strategy", "plain"): pl_strategy,
    ("six", "skewlab"): sk_six, ("six", "plain"): pl_six,
    ("map", "skewlab"): sk_map, ("map", "plain"): pl_map,
    ("evaluate", "skewlab"): sk_evaluate, ("evaluate", "plain"): pl_evaluate,
    ("export", "skewlab"): sk_export, ("export", "plain"): pl_export,
}


def child_main(stage: str, side: str, csv: str, work: str, arg: str | None) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    ctx = Ctx(csv, work, arg)
    detail = CHILD[(stage, side)](ctx)
    (Path(work) / f"out-{stage}-{arg}-{side}.json").write_text(json.dumps({"prep_s": ctx.prep_s, "detail": detail}))


# ----------------------------------------------------------------------------- parent


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _kill_tree(proc) -> None:
    import psutil

    for p in [*proc.children(recursive=True), proc]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def run_child(stage: str, side: str, csv: str, work: Path, arg: str | None, timeout: float) -> dict:
    """One stage in a fresh subprocess: ``{"status", "s", "peak_mb", "detail"}``."""
    import psutil

    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", stage, "--side", side, "--csv", csv,
           "--work", str(work)] + (["--arg", arg] if arg else [])
    out_file = work / f"out-{stage}-{arg}-{side}.json"
    out_file.unlink(missing_ok=True)
    err = work / "stderr.txt"
    t0 = time.perf_counter()
    with open(err, "wb") as err_f:
        popen = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err_f, cwd=str(ROOT))
        proc = psutil.Process(popen.pid)
        peak = 0
        status = "ok"
        while popen.poll() is None:
            try:
                peak = max(peak, _tree_rss(proc))
            except psutil.NoSuchProcess:
                pass
            if time.perf_counter() - t0 > timeout:
                _kill_tree(proc)
                popen.wait()
                status = "TIMEOUT"
                break
            time.sleep(0.05)
    wall = time.perf_counter() - t0
    if status == "ok" and (popen.returncode != 0 or not out_file.exists()):
        lines = [ln for ln in err.read_text(errors="replace").splitlines() if ln.strip()]
        return {"status": "FAIL", "s": wall, "peak_mb": peak / 2**20, "detail": (lines[-1] if lines else "")[:160]}
    if status == "TIMEOUT":
        return {"status": status, "s": wall, "peak_mb": peak / 2**20, "detail": f"stopped after {timeout:.0f} s"}
    out = json.loads(out_file.read_text())
    return {"status": "ok", "s": wall - out["prep_s"], "peak_mb": peak / 2**20, "detail": out["detail"]}


def catalog_csv(rows: int, classes: int, folder: Path) -> str:
    """The combination's catalog CSV (written once, kept in ``folder``)."""
    from longtail import make_longtail

    path = folder / f"longtail_{rows}x{classes}.csv"
    if not path.exists():
        t = time.perf_counter()
        make_longtail(rows, classes).to_csv(path, index=False)
        print(f"  wrote {path.name} ({path.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t:.1f} s "
              "(not timed)", flush=True)
    return str(path)


def plan(strategies: list[str]) -> list[tuple[str, str, str | None]]:
    """(row name, child stage, argument) in page order."""
    steps = [("load + profile", "load", None), ("features", "features", None)]
    steps += [(f"  {name}", "strategy", name) for name in strategies]
    steps += [("six strategies", "six", None), ("map", "map", None), ("evaluate", "evaluate", None),
              ("export", "export", None)]
    return steps


def largest_strategy(work: Path, strategies: list[str]) -> str:
    """The default strategy with the most output rows (Skewlab's runs; SMOTE when none ran)."""
    rows = {n: int((work / f"rows-{n}.txt").read_text()) for n in strategies if (work / f"rows-{n}.txt").exists()}
    return max(rows, key=lambda n: (rows[n], -strategies.index(n))) if rows else "smote"


def run_combo(rows: int, classes: int, args, base: dict) -> dict:
    """Every stage of one combination, both sides interleaved; returns {row name: {side: measurement}}."""
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    csv = catalog_csv(rows, classes, folder)
    work = Path(tempfile.mkdtemp(prefix=f"stages-{rows}x{classes}-", dir=folder))
    import pandas as pd
    from longtail import LABEL

    counts = pd.read_csv(csv, usecols=[LABEL])[LABEL].value_counts().to_dict()
    cfg = dict(base, target=page_target(counts))
    (work / "defaults.json").write_text(json.dumps(cfg))
    print(f"\n== {rows:,} rows x {classes:,} classes (target {cfg['target']}) ==", flush=True)
    table: dict = {}
    for row, stage, arg in plan(cfg["strategies"]):
        if stage == "export":
            arg = largest_strategy(work, cfg["strategies"])
            row = f"export ({arg})"
        table[row] = {}
        for side in args.sides:
            left = args.deadline - time.perf_counter()
            if left < 1:
                m = {"status": "SKIPPED", "s": 0.0, "peak_mb": 0.0, "detail": "the --time-budget is spent"}
            else:
                m = run_child(stage, side, csv, work, arg, min(args.stage_timeout, left))
            table[row][side] = m
            shown = f"{m['s']:8.1f} s" if m["status"] == "ok" else f"{m['status']:>10}"
            print(f"  {row:<34}{side:<8}{shown} {m['peak_mb']:7.0f} MB  {m['detail']}", flush=True)
    return table


def _cell(m: dict | None) -> tuple[str, str]:
    if m is None:
        return "-", "-"
    return (f"{m['s']:.1f}" if m["status"] == "ok" else m["status"]), f"{m['peak_mb']:.0f}"


def _target_of(row: str) -> float | None:
    return next((v for k, v in TARGETS.items() if row.startswith(k)), None)


def fmt_table(rows: int, classes: int, table: dict) -> str:
    head = f"{'stage':<36}{'skewlab s':>10}{'peak MB':>9}{'plain s':>9}{'peak MB':>9}{'sk/plain':>9}  target"
    lines = [f"{rows:,} rows x {classes:,} classes", head, "-" * len(head)]
    for row, sides in table.items():
        sk, pl = sides.get("skewlab"), sides.get("plain")
        (s1, m1), (s2, m2) = _cell(sk), _cell(pl)
        ok = sk and pl and sk["status"] == pl["status"] == "ok" and pl["s"] > 0
        ratio = f"{sk['s'] / pl['s']:.2f}" if ok else "-"
        target = _target_of(row)
        note = ""
        if target is not None:
            note = f"< {target:.0f} s"
            if (rows, classes) == TARGET_COMBO and sk:
                met = sk["status"] == "ok" and sk["s"] < target
                note += " met" if met else (f" MISSED by {sk['s'] - target:.1f} s" if sk["status"] == "ok"
                                            else f" MISSED ({sk['status']})")
        lines.append(f"{row:<36}{s1:>10}{m1:>9}{s2:>9}{m2:>9}{ratio:>9}  {note}")
    return "\n".join(lines)


def fmt_growth(results: dict) -> str:
    """Time ratio between every two combinations where rows and classes both grow (or stay)."""
    keys = sorted(results)
    pairs = [(a, b) for a in keys for b in keys if a != b and b[0] >= a[0] and b[1] >= a[1]
             and (b[0] == a[0] or b[1] == a[1] or len(keys) == 2)]
    if not pairs:
        return "(one combination: no growth to show)"
    heads = [f"x{b[0] / a[0]:g} rows, x{b[1] / a[1]:g} classes" for a, b in pairs]
    width = max(22, *(len(h) + 2 for h in heads))
    lines = ["time ratio (Skewlab; plain in brackets) from one combination to the next: "
             + "; ".join(f"[{i + 1}] {a[0]:,}x{a[1]:,} -> {b[0]:,}x{b[1]:,}" for i, (a, b) in enumerate(pairs)),
             f"{'stage':<36}" + "".join(f"{f'[{i + 1}] ' + h:>{width}}" for i, h in enumerate(heads))]
    for row in results[keys[-1]]:
        cells = []
        for a, b in pairs:
            ra, rb = _row(results[a], row), _row(results[b], row)
            cells.append(f"{_ratio(ra, rb, 'skewlab')} ({_ratio(ra, rb, 'plain')})")
        lines.append(f"{row.split(' (')[0]:<36}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def _row(table: dict, row: str) -> dict:
    return table.get(row) or next((v for k, v in table.items() if k.split(" (")[0] == row.split(" (")[0]), {})


def _ratio(ra: dict, rb: dict, side: str) -> str:
    a, b = ra.get(side), rb.get(side)
    if not a or not b or a["status"] != "ok" or b["status"] != "ok" or a["s"] <= 0:
        return "-"
    return f"x{b['s'] / a['s']:.1f}"


def parse_combos(text: str) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in (item.lower().split("x") for item in text.split(",") if item)]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--combos", default=None, help="ROWSxCLASSES,... (default: the quick set 20000x500,100000x2000)")
    ap.add_argument("--full", action="store_true", help="the full set: " + ",".join(f"{r}x{c}" for r, c in FULL))
    ap.add_argument("--stage-timeout", type=float, default=600.0, help="seconds per stage and side (default 600)")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="seconds for the whole run: stages left when it is spent print SKIPPED")
    ap.add_argument("--sides", default="skewlab,plain", help="skewlab, plain or both (default)")
    ap.add_argument("--dir", default=str(ROOT / ".cache" / "bench"), help="catalogs and stage outputs")
    ap.add_argument("--json", default=None, help="also write every measurement to this JSON file")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--side", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--csv", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--arg", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args.child, args.side, args.csv, args.work, args.arg)
        return {}
    args.deadline = time.perf_counter() + (args.time_budget if args.time_budget else math.inf)
    args.sides = tuple(s for s in args.sides.split(",") if s in SIDES)
    combos = parse_combos(args.combos) if args.combos else list(FULL if args.full else QUICK)
    base = defaults()
    print("page defaults: " + ", ".join(f"{k}={v}" for k, v in base.items()), flush=True)
    results = {}
    for rows, classes in combos:
        results[(rows, classes)] = run_combo(rows, classes, args, base)
    print("\n== stage times (s) and peak memory (MB, process + workers); sk/plain < 1: Skewlab faster ==")
    for (rows, classes), table in results.items():
        print("\n" + fmt_table(rows, classes, table))
    print("\n== growth ==\n" + fmt_growth(results), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({f"{r}x{c}": t for (r, c), t in results.items()}, indent=1))
    return results


if __name__ == "__main__":
    main()
