"""The whole map step on a long-tail catalog (thousands of classes), next to plain umap-learn.

A catalog from ``tests.longtail.make_longtail`` (Zipf class sizes, hundreds of single-row classes,
titles with model numbers, brands, prices, ratings, a ``Top > Sub > Leaf`` label) goes through
the app's path: roles, labels, features (``text_dim=64``), the six default strategies of the
Strategies page (target ``hybrid:500:100``, small classes randomly over-sampled, seed 0; not timed
here, ``bench_defaults.py`` times them),
then the map step that is timed: base map (:func:`core.mapping.projection.fit_base`, UMAP on a
stratified sample of at most ``--cap`` real rows, the other real rows placed with ``transform``)
and every strategy's synthetic rows placed on it, both ways:

* ``interpolate`` (the app's default): rows made between two real rows drawn between their map
  positions, copies on the row they copy, the rest through ``transform`` (at most ``PLACE_CAP``);
* ``transform``: up to ``PLACE_CAP`` rows per strategy through UMAP's ``transform`` (the time per
  row is printed, so the cost of transforming every synthetic row can be read off).

Next to it, a plain umap-learn script: ``UMAP(n_neighbors=15, min_dist=0.1, random_state=0)
.fit_transform`` of the same feature matrix (PCA to 50 dimensions first, as the app does).
Peak memory is the largest resident set size during each step.

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_map_longtail.py --rows 100000 --classes 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

import numpy as np  # noqa: E402

from benchmarks.bench_map import PeakRSS, plain_umap, warm_up  # noqa: E402
from core.data.features import FeatureConfig, build_features  # noqa: E402
from core.data.schema import infer_roles, label_values  # noqa: E402
from core.mapping.projection import (  # noqa: E402
    PLACE_CAP,
    TRANSFORMED,
    fit_base,
    place,
    placement_kinds,
    placement_note,
)
from core.strategies import resample  # noqa: E402
from tests.longtail import LABEL, make_longtail  # noqa: E402

DEFAULT_STRATEGIES = ("none", "random_over", "smote", "random_under", "isolation_forest+smote", "balanced_weights")
TARGET = "hybrid:500:100"


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def prepare(rows: int, classes: int, text_dim: int):
    frame = make_longtail(rows, classes, seed=0)
    t = time.perf_counter()
    roles = infer_roles(frame, label=LABEL)
    space = build_features(frame, label_values(frame, LABEL), FeatureConfig.from_roles(roles, text_dim=text_dim))
    t_features = time.perf_counter() - t
    t = time.perf_counter()
    results = [resample(space, s, target=TARGET, small_classes="random_over", seed=0) for s in DEFAULT_STRATEGIES]
    t_res = time.perf_counter() - t
    n_syn = sum(r.n_synthetic for r in results)
    print(f"catalog {rows:,} rows, {len(space.classes):,} classes, {space.X.shape[1]} features "
          f"(features {t_features:.1f} s); six default strategies {t_res:.1f} s: {n_syn:,} synthetic rows "
          f"({', '.join(f'{r.strategy} +{r.n_synthetic:,}' for r in results)})", flush=True)
    return space, results, t_features


def map_step(space, results, *, cap: int, placement: str) -> None:
    with PeakRSS() as peak:
        base = fit_base(space, method="umap", cap=cap, seed=0)
        t = time.perf_counter()
        placed = [place(base, r, space=space, placement=placement) for r in results]
        t_place = time.perf_counter() - t
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in base.timings.items())
    print(f"map ({placement:<11}) {peak.seconds:7.1f} s  peak {_mb(peak.peak)}   fit on {base.n_fit:,} of "
          f"{len(base.rows):,} real rows; {stages}; place synthetic {t_place:.1f} s", flush=True)
    for r, xy in zip(results, placed):
        kinds = placement_kinds(base, r, space=space) if placement == "interpolate" else \
            np.full(r.n_synthetic, TRANSFORMED, dtype=object)
        if r.n_synthetic:
            print(f"    {r.strategy:<24} {placement_note(kinds, xy)}", flush=True)
    if placement == "transform":
        n_tr = sum(int(np.isfinite(xy).all(axis=1).sum()) for xy in placed)
        n_all = sum(r.n_synthetic for r in results)
        rate = t_place / max(n_tr, 1)
        print(f"    transform: {rate * 1e3:.2f} ms per row; every one of the {n_all:,} synthetic rows would take "
              f"about {rate * n_all:,.0f} s", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=2_000)
    ap.add_argument("--cap", type=int, default=20_000, help="Fit sample cap of the map (the page's default).")
    ap.add_argument("--text-dim", type=int, default=64)
    ap.add_argument("--skip-transform", action="store_true", help="Do not time the transform placement.")
    ap.add_argument("--skip-plain", action="store_true", help="Do not time plain umap-learn.")
    args = ap.parse_args()
    t = time.perf_counter()
    warm_up()
    print(f"numba warm-up {time.perf_counter() - t:.1f} s; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; PLACE_CAP {PLACE_CAP:,}", flush=True)
    space, results, t_features = prepare(args.rows, args.classes, args.text_dim)
    map_step(space, results, cap=args.cap, placement="interpolate")
    if not args.skip_transform:
        map_step(space, results, cap=args.cap, placement="transform")
    if not args.skip_plain:
        with PeakRSS() as plain:
            plain_umap(space.X, seed=0)
        print(f"plain umap-learn  {plain.seconds:7.1f} s  peak {_mb(plain.peak)}   fit_transform of the "
              f"{space.n_rows:,} real rows (seed 0), no synthetic rows at all", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
