"""Text encoders side by side: embedding time, k-NN accuracy, the Evaluate page's macro F1, SMOTE overlap.

On the built-in sample (``data/amazon_uk_toys_catalog.csv``, the only catalog with text among the
shared datasets), per encoder of :data:`core.text.ENCODERS` that is installed:

* time to embed 10,000 and 100,000 titles from a cold embedding cache and a fresh tokenizer (the
  100,000 are the sample's titles, each in ten variants: a colour and a pack size appended, all
  distinct); TF-IDF with 128 SVD components, as in issue 16's table;
* k-NN accuracy (k=5, 5-fold stratified CV, titles only) of the top-level category and of the first two
  levels;
* the Evaluate page's macro F1 with logistic regression (``core.evaluation.evaluate``, 5 folds, the
  roles the Data page infers, the Strategies page's default hybrid target and "lower k" for small
  classes; no resampling and SMOTE);
* the audit's overlap rate of SMOTE's rows (``core.mapping.audit``, same target).

    .venv/bin/python benchmarks/bench_text.py                      # every installed encoder
    .venv/bin/python benchmarks/bench_text.py --encoders minilm-static,tfidf --full-100k

Without ``--full-100k`` the full model's 100,000-title time is extrapolated from its 10,000 (marked
"est."): it takes about ten minutes on two cores.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.data import FeatureConfig, build_features, infer_roles, label_values, load_table  # noqa: E402
from core.text import ENCODERS, default_cache, make_encoder  # noqa: E402
from core.text import static as static_text  # noqa: E402

SAMPLE = ROOT / "data" / "amazon_uk_toys_catalog.csv"
LABEL = "amazon_category_and_sub_category"
COLOURS = ("red", "blue", "green", "black", "white", "pink", "yellow", "purple", "orange", "grey")
TFIDF_DIM = 128


def variants(titles: list[str], n: int) -> list[str]:
    """``n`` distinct titles: each title in up to ten variants (a colour and a pack size appended)."""
    out = [f"{t} - {COLOURS[k]}, pack of {k + 2}" for k in range(10) for t in titles]
    return out[:n]


def embed_seconds(encoder_id: str, texts: list[str]) -> float:
    """Seconds to embed ``texts`` from a cold cache with a fresh tokenizer (imports, the table and the model
    session already loaded by a warm-up on other texts)."""
    make_encoder(encoder_id, dim=16).fit_transform([f"warm up {i} toy" for i in range(300)])
    default_cache().clear()
    static_text.tokenizer.cache_clear()
    static_text.load_table()
    enc = make_encoder(encoder_id, dim=TFIDF_DIM)
    t0 = time.perf_counter()
    enc.fit_transform(texts)
    return time.perf_counter() - t0


def knn_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # classes with fewer rows than folds
        return float(cross_val_score(KNeighborsClassifier(5), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean())


def title_accuracies(encoder_id: str, table) -> tuple[float, float]:
    """k-NN accuracy of the top level and of the first two levels, from the titles alone."""
    frame = table.frame
    out = []
    for level in (1, 2):
        labels = label_values(frame, LABEL, level=level, separator=" > ")
        space = build_features(frame, labels, FeatureConfig(text=("product_name",), text_encoder=encoder_id,
                                                            text_dim=TFIDF_DIM))
        out.append(knn_accuracy(space.X, space.y.astype(str)))
    return out[0], out[1]


def app_figures(encoder_id: str, table) -> dict[str, float]:
    """Evaluate page's macro F1 (logistic regression; none and SMOTE) and SMOTE's audit overlap rate."""
    from core.evaluation import evaluate
    from core.mapping.audit import audit
    from core.strategies import default_cap, default_floor, resample

    frame = table.frame
    labels = label_values(frame, LABEL, level=1, separator=" > ")
    space = build_features(frame, labels, FeatureConfig.from_roles(infer_roles(frame, label=LABEL),
                                                                   text_encoder=encoder_id))
    counts = space.class_counts()
    floor = default_floor(counts)
    target = f"hybrid:{default_cap(counts, floor)}:{floor}"
    ev = evaluate(space, ["smote"], classifier="logreg", folds=5, seed=0, target=target, small_classes="lower_k",
                  max_rows=300_000)
    smote = resample(space, "smote", target=target, small_classes="lower_k", seed=0)
    return {"f1_none": ev.result("none").metrics["macro_f1"].mean, "f1_smote": ev.result("smote").metrics["macro_f1"].mean,
            "overlap": audit(space, smote).overlap_rate, "target": target}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default=",".join(k for k, s in ENCODERS.items() if s.available()))
    ap.add_argument("--full-100k", action="store_true", help="embed 100,000 titles with the full model too")
    ap.add_argument("--skip-app", action="store_true", help="only times and k-NN accuracy")
    args = ap.parse_args(argv)
    table = load_table(SAMPLE)
    titles = table.frame["product_name"].astype("string").fillna("").tolist()
    big = variants(titles, 100_000)
    print("| encoder | dim | embed 10k titles | embed 100k titles | k-NN accuracy | 2-level accuracy "
          "| macro F1 logreg (none / SMOTE) | SMOTE overlap |")
    print("|---|---|---|---|---|---|---|---|")
    for enc in args.encoders.split(","):
        t10 = embed_seconds(enc, titles)
        if enc == "minilm" and not args.full_100k:
            t100 = f"{t10 * len(big) / len(titles) * 1.1:,.0f} s est."  # the variants are ~10% longer
        else:
            t100 = f"{embed_seconds(enc, big):,.1f} s"
        acc1, acc2 = title_accuracies(enc, table)
        dim = ENCODERS[enc].dim or TFIDF_DIM
        app = {} if args.skip_app else app_figures(enc, table)
        f1 = f"{app['f1_none']:.3f} / {app['f1_smote']:.3f}" if app else "—"
        overlap = f"{app['overlap']:.1%}" if app else "—"
        print(f"| {enc} | {dim} | {t10:,.1f} s | {t100} | {acc1:.3f} | {acc2:.3f} | {f1} | {overlap} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
