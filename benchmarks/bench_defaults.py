"""The Strategies page's six default strategies, through core (no UI), on a synthetic catalog.

``make_catalog(n)`` with its text column; roles inferred (``core.data.schema.infer_roles``), labels
as ``label_values`` gives them (the whole category path), features built with ``text_dim=64``;
then ``none``, ``random_over``, ``smote``, ``random_under``, ``isolation_forest+smote`` and
``balanced_weights`` with the page's defaults: target ``hybrid:500:100``, small classes randomly
over-sampled, seed 0. Prints the time of every step and the total (target: < 20 s at 100k).

    python benchmarks/bench_defaults.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catalog import LABEL, make_catalog

from core.data.features import FeatureConfig, build_features
from core.data.schema import detect_separator, infer_roles, label_values
from core.strategies import resample

DEFAULT_STRATEGIES = ("none", "random_over", "smote", "random_under", "isolation_forest+smote", "balanced_weights")
TARGET = "hybrid:500:100"
SMALL_CLASSES = "random_over"
TEXT_DIM = 64
TOTAL_TARGET_S = 20.0


def run(n_rows: int, *, text_dim: int = TEXT_DIM, seed: int = 0) -> dict:
    """Times (seconds) of the feature build and of every default strategy, and their total."""
    frame = make_catalog(n_rows)
    t = time.perf_counter()
    roles = infer_roles(frame, label=LABEL)
    labels = label_values(frame, LABEL, level=None, separator=detect_separator(frame[LABEL]))
    space = build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=text_dim))
    steps = {"features": time.perf_counter() - t}
    rows_out = {"features": space.n_rows}
    for name in DEFAULT_STRATEGIES:
        t = time.perf_counter()
        r = resample(space, name, target=TARGET, small_classes=SMALL_CLASSES, seed=seed)
        steps[name] = time.perf_counter() - t
        rows_out[name] = len(r.y)
    return {"rows": n_rows, "d": space.X.shape[1], "steps": steps, "rows_out": rows_out,
            "strategies_s": sum(v for k, v in steps.items() if k != "features"), "total_s": sum(steps.values())}


def fmt(res: dict) -> str:
    lines = [f"defaults on {res['rows']} rows ({res['d']} features, target {TARGET}, small classes {SMALL_CLASSES}):"]
    for k, v in res["steps"].items():
        lines.append(f"  {k:<24}{v:8.2f} s  ({res['rows_out'][k]} rows out)")
    lines.append(f"  {'strategies':<24}{res['strategies_s']:8.2f} s")
    lines.append(f"  {'total':<24}{res['total_s']:8.2f} s  (target < {TOTAL_TARGET_S:.0f} s)")
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--text-dim", type=int, default=TEXT_DIM)
    args = ap.parse_args(argv)
    run(2000, text_dim=8)  # warm-up (imports, numba)
    res = run(args.rows, text_dim=args.text_dim)
    print(fmt(res), flush=True)
    return res


if __name__ == "__main__":
    main()
