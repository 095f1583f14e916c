"""Replay a tail-floor SMOTE recipe on a many-file Parquet catalog with both engines of ``python -m core apply``.

Writes (once, under ``--dir``) a long-tailed catalog of ``--rows`` rows in ``--files`` Parquet files:
``--classes`` classes of Zipf sizes (exponent ``--zipf``: a head class of millions of rows, thousands of
tail classes below the floor), rows shuffled over the files, a numeric ``price`` (10% empty) and
``rating`` (15% empty) and a categorical ``brand`` (24 values, 5% empty). Then it runs, each in its own
process and Parquet out:

- ``apply --engine local`` (one process reads every file);
- ``apply --engine dask --workers N`` (a LocalCluster of N single-threaded worker processes),

and reports each one's wall time and peak RSS: the local process; for Dask the client process (which
runs the scheduler too) and every worker process on its own, sampled every 100 ms with psutil. A
worker holds one file or one group of tail classes at a time, so its peak follows the largest file or
class group, not the catalog. ``--check`` compares the two outputs row for row (sorted); without it,
the row counts are compared.

    python benchmarks/bench_dask.py --rows 10000000 --files 20 --dir /tmp/bench_dask
    python benchmarks/bench_dask.py --rows 200000 --files 8 --check
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

BRANDS = 24


def class_sizes(rows: int, classes: int, zipf: float) -> np.ndarray:
    """Zipf class sizes summing to ``rows`` (every class at least one row)."""
    weights = np.arange(1, classes + 1, dtype=np.float64) ** -zipf
    sizes = np.maximum(1, np.floor(weights / weights.sum() * rows)).astype(np.int64)
    sizes[0] += rows - sizes.sum()
    return sizes


def write_catalog(folder: str, rows: int, files: int, classes: int, zipf: float, seed: int = 0) -> list[str]:
    """The catalog's files (written when missing): each file a random share of every class's rows."""
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, f"part-{i:03d}.parquet") for i in range(files)]
    if all(os.path.exists(p) for p in paths):
        return paths
    rng = np.random.default_rng(seed)
    sizes = class_sizes(rows, classes, zipf)
    label = np.repeat(np.arange(classes, dtype=np.int32), sizes)
    rng.shuffle(label)
    centre = rng.normal(50, 20, classes)
    bounds = np.linspace(0, rows, files + 1).astype(np.int64)
    names = np.array([f"cat{k:05d}" for k in range(classes)], dtype=object)
    brands = np.array([f"brand{b:02d}" for b in range(BRANDS)] + [""], dtype=object)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        lab = label[lo:hi]
        n = len(lab)
        price = np.round(np.abs(centre[lab] + rng.normal(0, 8, n)), 2)
        price[rng.random(n) < 0.10] = np.nan
        rating = rng.integers(1, 6, n).astype(np.float64)
        rating_null = rng.random(n) < 0.15
        brand = (lab * 7 + rng.integers(0, 4, n)) % BRANDS
        brand[rng.random(n) < 0.05] = BRANDS
        table = pa.table({
            "sku": pa.array([f"S{j:09d}" for j in range(lo, hi)], type=pa.string()),
            "category": pa.array(names[lab], type=pa.string()),
            "brand": pa.array(brands[brand], type=pa.string()),
            "price": pa.array(price, type=pa.float64(), from_pandas=True),
            "rating": pa.array(rating.astype(np.int64), mask=rating_null, type=pa.int64()),
        })
        pq.write_table(table, paths[i])
    return paths


def write_recipe(path: str, floor: int) -> None:
    from core.data import FeatureConfig
    from core.export import InputSpec, LabelSpec, make_recipe

    roles = {"sku": "id", "category": "label", "brand": "categorical", "price": "numeric", "rating": "numeric"}
    recipe = make_recipe(input=InputSpec("catalog.parquet", "0" * 64, "parquet"), roles=roles,
                         label=LabelSpec("category"), features=FeatureConfig.from_roles(roles), strategy="smote",
                         params={"k_neighbors": 5}, target=f"floor:{floor}", small_classes="random_over", seed=0)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(recipe.to_json())


def run_tracked(cmd: list[str], log: str) -> dict:
    """Run ``cmd``; wall seconds, exit code, and the peak RSS (MB) of the process and of each child process."""
    t = time.perf_counter()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    main = psutil.Process(p.pid)
    peaks: dict[int, float] = {}
    names: dict[int, str] = {}
    tree_peak = 0.0
    while p.poll() is None:
        total = 0.0
        try:
            procs = [main, *main.children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                rss = proc.memory_info().rss / 2**20
                names.setdefault(proc.pid, " ".join(proc.cmdline()[-2:])[-60:])
            except psutil.Error:
                continue
            total += rss
            peaks[proc.pid] = max(peaks.get(proc.pid, 0.0), rss)
        tree_peak = max(tree_peak, total)
        time.sleep(0.1)
    children = {pid: mb for pid, mb in peaks.items() if pid != p.pid and mb > 50}  # worker processes, not helpers
    return {"wall_s": time.perf_counter() - t, "rc": p.returncode, "peak_main_mb": peaks.get(p.pid, 0.0),
            "peak_children_mb": sorted(children.values(), reverse=True), "peak_tree_mb": tree_peak}


def same_rows(a: pa.Table, b: pa.Table) -> bool:
    """Whether two tables hold the same rows (every column, exact values) once sorted by every column."""
    if sorted(a.column_names) != sorted(b.column_names) or a.num_rows != b.num_rows:
        return False
    names = sorted(a.column_names)
    frames = []
    for table in (a, b):
        frame = table.select(names).to_pandas(ignore_metadata=True)
        frames.append(frame.sort_values(names, na_position="last", kind="stable").reset_index(drop=True))
    return frames[0].equals(frames[1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--classes", type=int, default=5000)
    ap.add_argument("--zipf", type=float, default=1.5, help="exponent of the class sizes (default 1.5)")
    ap.add_argument("--floor", type=int, default=100, help="tail floor of the SMOTE recipe (default 100)")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    ap.add_argument("--engines", default="local,dask", help="which engines to run (default local,dask)")
    ap.add_argument("--dir", default=None, help="keep the catalog here (reused when present)")
    ap.add_argument("--check", action="store_true", help="compare the outputs row for row")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.dir or tmp
        data = os.path.join(base, f"catalog_{args.rows}x{args.classes}_{args.files}")
        t = time.perf_counter()
        write_catalog(data, args.rows, args.files, args.classes, args.zipf)
        sizes = class_sizes(args.rows, args.classes, args.zipf)
        print(f"catalog: {args.rows:,} rows, {args.classes:,} classes (largest {sizes.max():,}, "
              f"{int((sizes < args.floor).sum()):,} below the floor of {args.floor}), {args.files} files "
              f"({time.perf_counter() - t:.1f} s)", flush=True)
        recipe = os.path.join(base, "recipe_dask_bench.json")
        write_recipe(recipe, args.floor)
        py, pattern = sys.executable, os.path.join(data, "*.parquet")
        local_out, dask_out = os.path.join(base, "bench_local.parquet"), os.path.join(base, "bench_dask_out")
        shutil.rmtree(dask_out, ignore_errors=True)
        res: dict = {"rows": args.rows, "files": args.files, "classes": args.classes}
        runs = {
            "local": [py, "-m", "core", "apply", "--recipe", recipe, "--input", pattern, "--output", local_out],
            "dask": [py, "-m", "core", "apply", "--recipe", recipe, "--input", pattern, "--output", dask_out,
                     "--engine", "dask", "--workers", str(args.workers)],
        }
        for name in args.engines.split(","):
            r = run_tracked(runs[name], os.path.join(base, f"bench_{name}.log"))
            res[name] = r
            workers = ", ".join(f"{mb:,.0f}" for mb in r["peak_children_mb"]) or "-"
            print(f"{name}: {r['wall_s']:.1f} s, exit {r['rc']}; peak RSS: main process {r['peak_main_mb']:,.0f} MB"
                  + (f", each worker process {workers} MB" if name == "dask" else "")
                  + f", whole process tree {r['peak_tree_mb']:,.0f} MB", flush=True)
        if {"local", "dask"} <= set(res) and res["local"]["rc"] == 0 and res["dask"]["rc"] == 0:
            a, b = pq.read_table(local_out), pq.read_table(dask_out)
            same = same_rows(a, b) if args.check else a.num_rows == b.num_rows
            print(f"outputs: {a.num_rows:,} rows (local) and {b.num_rows:,} rows (dask), "
                  f"{'identical once sorted' if same and args.check else 'same row count' if same else 'DIFFERENT'}")
            res["same"] = same
        return res


if __name__ == "__main__":
    main()
