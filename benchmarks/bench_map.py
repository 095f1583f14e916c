"""Time and peak memory of the shared map against plain umap-learn on the same rows.

For each size, a long-tail catalog (``benchmarks.catalog.make_catalog``) goes through the app's
own path: features, three strategies (SMOTE, random under-sampling, Isolation Forest, target
``hybrid:n/10:n/100``), then :func:`core.mapping.projection.project` (UMAP fitted once on a stratified
sample of at most ``--cap`` real rows, the other real rows and every synthetic row placed with
``transform``). Next to it, plain umap-learn fits all the same rows (every real row and every
synthetic row, the same PCA-50 input, same UMAP settings and seed) in one ``fit_transform``,
which is what one map of everything costs without the sample + transform approach.

Peak memory is the largest resident set size (psutil, sampled every 20 ms) during each step.

Usage::

    NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_map.py --sizes 10000,100000
    ... --parallel   # also plain UMAP without a seed (umap-learn then uses every core)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from benchmarks.catalog import LABEL, make_catalog  # noqa: E402
from core.data.features import FeatureConfig, build_features  # noqa: E402
from core.data.schema import infer_roles, label_values  # noqa: E402
from core.mapping.projection import MIN_DIST, N_NEIGHBORS, PRE_PCA_DIM, assemble, fit_base, place, project  # noqa: E402
from core.strategies import SYNTHETIC, resample  # noqa: E402

STRATEGIES = ("smote", "random_under", "isolation_forest")


class PeakRSS:
    """Largest RSS of this process while the block runs (bytes)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def warm_up() -> None:
    """Compile (or load from NUMBA_CACHE_DIR) UMAP's numba code so it is not timed.

    5,000 rows: above 4,096 rows UMAP switches to pynndescent, whose code must be warm too.
    """
    import umap

    X = np.random.default_rng(0).normal(size=(5000, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = umap.UMAP(n_neighbors=10, random_state=0).fit(X)
        m.transform(X[:20])


def plain_umap(X: np.ndarray, *, seed: int | None) -> None:
    import umap
    from sklearn.decomposition import PCA

    if X.shape[1] > PRE_PCA_DIM:
        X = PCA(n_components=PRE_PCA_DIM, random_state=0).fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        umap.UMAP(n_neighbors=N_NEIGHBORS, min_dist=MIN_DIST, random_state=seed).fit_transform(X)


def bench(n: int, *, cap: int, text_dim: int, parallel: bool) -> None:
    frame = make_catalog(n, seed=0)
    roles = infer_roles(frame, label=LABEL)
    labels = label_values(frame, LABEL)  # the full path: n_classes classes
    space = build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=text_dim))
    t = time.perf_counter()
    target = f"hybrid:{max(n // 10, 100)}:{max(n // 100, 50)}"  # cap the head, lift the tail, at any size
    results = [resample(space, s, target=target, small_classes="random_over", seed=0) for s in STRATEGIES]
    t_res = time.perf_counter() - t
    n_syn = sum(r.n_synthetic for r in results)
    print(f"\n== {n:,} rows: {space.n_rows:,} labelled, {len(space.classes)} classes, {space.X.shape[1]} features; "
          f"{n_syn:,} synthetic and {sum(r.n_removed for r in results):,} removed rows from {', '.join(STRATEGIES)}, "
          f"target {target} ({t_res:.1f} s)", flush=True)

    with PeakRSS() as ours:
        proj = project(space, results, method="umap", cap=cap, seed=0)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in proj.timings.items())
    print(f"skewlab map (UMAP)   {ours.seconds:8.1f} s   peak {_mb(ours.peak)}   fit on {proj.n_fit:,} of "
          f"{proj.n_real:,} real rows; {stages}", flush=True)
    # switching strategies: the run gains one (random over-sampling); the fitted base map is
    # reused and only the new strategy's synthetic rows are placed (as the Map page caches them)
    base = fit_base(space, method="umap", cap=cap, seed=0)
    extra = resample(space, "random_over", target=target, small_classes="random_over", seed=0)
    t = time.perf_counter()
    placed = place(base, extra)
    t_place = time.perf_counter() - t
    t = time.perf_counter()
    assemble(base, results + [extra], list(proj.synthetic_xy) + [placed])
    t_hit = time.perf_counter() - t
    print(f"switch: add a strategy {t_place:8.2f} s   ({len(placed):,} synthetic rows placed; base map reused); "
          f"revisit with the same run {t_hit:.3f} s (every part cached)", flush=True)
    with PeakRSS() as pca:
        project(space, results, method="pca", cap=cap, seed=0)
    print(f"skewlab map (PCA)    {pca.seconds:8.1f} s   peak {_mb(pca.peak)}", flush=True)

    X_all = np.vstack([space.X] + [r.X[r.origin == SYNTHETIC] for r in results])
    with PeakRSS() as plain:
        plain_umap(X_all, seed=0)
    print(f"plain umap-learn     {plain.seconds:8.1f} s   peak {_mb(plain.peak)}   fit_transform of all "
          f"{len(X_all):,} rows (seed 0, single-threaded)", flush=True)
    print(f"ratio plain / skewlab: {plain.seconds / ours.seconds:.2f}x time", flush=True)
    if parallel:
        with PeakRSS() as par:
            plain_umap(X_all, seed=None)
        print(f"plain umap-learn     {par.seconds:8.1f} s   peak {_mb(par.peak)}   no seed ({os.cpu_count()} cores)",
              flush=True)
        print(f"ratio plain unseeded / skewlab: {par.seconds / ours.seconds:.2f}x time", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="Catalog rows, comma separated.")
    ap.add_argument("--cap", type=int, default=20_000, help="Fit sample cap of the map.")
    ap.add_argument("--text-dim", type=int, default=64, help="SVD components of the title text.")
    ap.add_argument("--parallel", action="store_true", help="Also time plain UMAP without a seed (all cores).")
    args = ap.parse_args()
    t = time.perf_counter()
    warm_up()
    print(f"numba warm-up {time.perf_counter() - t:.1f} s (NUMBA_CACHE_DIR={os.environ['NUMBA_CACHE_DIR']}); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    for n in (int(s) for s in args.sizes.split(",") if s.strip()):
        bench(n, cap=args.cap, text_dim=args.text_dim, parallel=args.parallel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
