"""Skewlab's resamplers next to plain imbalanced-learn, same data, parameters and seed, same run.

For each size and method: Skewlab (``core.strategies.resample`` on a FeatureSpace wrapping the
dense ``make_features`` data, provenance included) and imbalanced-learn are run one after the
other (interleaved, so machine load hits both alike); prints both wall times, the ratio
(imbalanced-learn / Skewlab, > 1 means Skewlab is faster), peak memory (RSS growth) of each, and
whether the per-class counts (and, for cleaners, the kept rows; for SMOTE / random over-sampling
the synthetic rows) are identical: MATCH / MISMATCH. Runs alternate sides; methods under 3 s
are run five times and the median is reported.

    python benchmarks/bench_resample.py --sizes 10000,100000 --features 20
    python benchmarks/bench_resample.py --sizes 10000 --methods smote,tomek_links

imbalanced-learn's combined samplers grow a long-tail catalog many-fold before cleaning it with
a quadratic k-NN; above ``--max-imblearn-combined`` rows they are not run (reported as skipped).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import warnings
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catalog import make_features

from core.data.features import FeatureConfig, FeatureSpace
from core.strategies import resample

METHODS = ("smote", "random_over", "random_under", "tomek_links", "enn", "smote_enn", "smote_tomek")
CLEANERS = {"tomek_links", "enn", "random_under"}


def space_from_xy(X: np.ndarray, y: np.ndarray) -> FeatureSpace:
    """Wrap a dense ``(X, y)`` as a FeatureSpace (class names ``c00``.. so string order = code order)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    names = tuple(f"f{i}" for i in range(X.shape[1]))
    width = max(2, len(str(int(np.max(y)))))
    labels = np.array([f"c{int(v):0{width}d}" for v in range(int(np.max(y)) + 1)], dtype=object)[y]
    return FeatureSpace(
        X=X, y=labels, rows=np.arange(len(X), dtype=np.int64), feature_names=names,
        config=FeatureConfig(numeric=names), blocks={n: slice(i, i + 1) for i, n in enumerate(names)},
        n_frame_rows=len(X),
    )


def _imblearn(method: str, k: int = 5):
    from imblearn.combine import SMOTEENN, SMOTETomek
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import EditedNearestNeighbours, RandomUnderSampler, TomekLinks

    return {
        "smote": lambda: SMOTE(k_neighbors=k, random_state=0),
        "random_over": lambda: RandomOverSampler(random_state=0),
        "random_under": lambda: RandomUnderSampler(random_state=0),
        "tomek_links": lambda: TomekLinks(),
        "enn": lambda: EditedNearestNeighbours(),
        "smote_enn": lambda: SMOTEENN(smote=SMOTE(k_neighbors=k, random_state=0), random_state=0),
        "smote_tomek": lambda: SMOTETomek(smote=SMOTE(k_neighbors=k, random_state=0), random_state=0),
    }[method]()


def _measure(fn):
    """(result, wall seconds, peak RSS growth in MB sampled every 5 ms by a thread)."""
    import threading

    import psutil

    gc.collect()
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    done.set()
    th.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return out, dt, (peak[0] - base) / 2**20


def warm_up(methods, n_features: int) -> None:
    """Import and run every method once on a small set, both ways, so no timing pays for imports.

    Same width as the timed data and above ``knn32.MIN_ROWS`` rows, so Skewlab's k-NN kernels
    are loaded (numba) before the clock starts, as the app's warm-up does at server start.
    """
    from core.neighbors import knn32

    knn32.warm_up()
    X, y = make_features(2500, n_features, n_classes=3)
    sp = space_from_xy(X, y)
    for m in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resample(sp, m, seed=0, small_classes="lower_k")
            try:
                _imblearn(m, k=3).fit_resample(X, y)
            except Exception:
                pass


def run_one(method: str, X: np.ndarray, y: np.ndarray, sp: FeatureSpace, *, imblearn: bool = True,
            repeat: int = 5, repeat_below: float = 3.0) -> dict:
    """Time one method both ways; returns a row of figures.

    Runs alternate (Skewlab first, then imbalanced-learn first, ...) so that neither side always
    gets the freshly freed memory of the other; a method is run ``repeat`` times when its first
    round took under ``repeat_below`` seconds on both sides, and the median time is reported
    (peak memory: the largest).
    """
    import statistics

    est = _imblearn(method) if imblearn else None
    times_s, times_i, mem_s, mem_i = [], [], [], []
    r = Xi = yi = None
    for rnd in range(repeat):
        order = ("skewlab", "imblearn") if rnd % 2 == 0 else ("imblearn", "skewlab")
        for who in order:
            if who == "skewlab":
                r, t, m = _measure(lambda: resample(sp, method, seed=0))
                times_s.append(t)
                mem_s.append(m)
            elif est is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    (Xi, yi), t, m = _measure(lambda: est.fit_resample(X, y))
                times_i.append(t)
                mem_i.append(m)
        if max(times_s + times_i) >= repeat_below:
            break
    t_s = statistics.median(times_s)
    row = {"method": method, "n": len(y), "d": X.shape[1], "skewlab_s": t_s, "skewlab_mb": max(mem_s),
           "out_rows": len(r.y), "imblearn_s": None, "imblearn_mb": None, "ratio": None, "check": "skipped",
           "runs": len(times_s)}
    if est is None:
        return row
    t_i = statistics.median(times_i)
    row.update(imblearn_s=t_i, imblearn_mb=max(mem_i), ratio=t_i / t_s)
    width = max(2, len(str(int(np.max(y)))))
    counts_i = {f"c{int(c):0{width}d}": int(n) for c, n in sorted(Counter(yi.tolist()).items())}
    ok = r.counts_after == counts_i
    if ok and method in CLEANERS:
        ok = np.array_equal(np.sort(est.sample_indices_), r.row)
    elif ok and method in ("smote", "random_over"):
        ok = np.array_equal(r.X[r.origin == "synthetic"], Xi[len(X):])
    elif ok:  # combined: same multiset of rows
        a = r.X[np.lexsort(r.X.T[::-1])]
        b = Xi[np.lexsort(Xi.T[::-1])]
        ok = a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-10)
    row["check"] = "MATCH" if ok else "MISMATCH"
    return row


def fmt(row: dict) -> str:
    def f(v, spec):
        return "-" if v is None else format(v, spec)

    return (f"{row['method']:<13} {row['n']:>8} {row['d']:>4}  skewlab {f(row['skewlab_s'], '8.2f')} s "
            f"{f(row['skewlab_mb'], '7.0f')} MB | imblearn {f(row['imblearn_s'], '8.2f')} s {f(row['imblearn_mb'], '7.0f')} MB"
            f" | x{f(row['ratio'], '6.2f')}  {row['check']}  ({row['out_rows']} rows out; median of {row['runs']})")


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--max-imblearn-combined", type=int, default=20_000,
                    help="run imbalanced-learn's SMOTE-ENN / SMOTE-Tomek only up to this many rows")
    ap.add_argument("--max-imblearn-cleaner", type=int, default=200_000,
                    help="run imbalanced-learn's Tomek / ENN only up to this many rows")
    ap.add_argument("--max-combined", type=int, default=100_000,
                    help="run Skewlab's combined samplers only up to this many rows")
    args = ap.parse_args(argv)
    rows = []
    warm_up([m for m in args.methods.split(",") if m], args.features)
    for n in [int(s) for s in args.sizes.split(",") if s]:
        X, y = make_features(n, args.features)
        sp = space_from_xy(X, y)
        for method in [m for m in args.methods.split(",") if m]:
            combined = method.startswith("smote_")
            if combined and n > args.max_combined:
                continue
            limit = args.max_imblearn_combined if combined else (
                args.max_imblearn_cleaner if method in ("tomek_links", "enn") else None)
            row = run_one(method, X, y, sp, imblearn=limit is None or n <= limit)
            print(fmt(row), flush=True)
            rows.append(row)
    return rows


if __name__ == "__main__":
    main()
