"""Headless jobs at scale: ``python -m core resample`` and ``apply`` of a tail-floor SMOTE recipe.

Writes the long-tail catalog of the tests (``tests/longtail.py``: ``--classes`` flat classes, 22%
singletons, titles, brands, prices and ratings with empty cells) to CSV, writes a recipe with
``python -m core recipe`` (SMOTE, target ``floor:N``, small classes randomly over-sampled), then
runs ``python -m core resample`` with the same choices and ``python -m core apply`` with the
recipe, each in its own process, Parquet out, and reports each one's wall time and peak RSS
(process tree, polled every 50 ms with psutil) against the issue's targets (60 s, 8 GB).

    python benchmarks/bench_apply.py --rows 1000000 --classes 2000 --floor 50
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from longtail import LABEL, make_longtail  # noqa: E402


def run_tracked(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the process tree, return code)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT)
    proc = psutil.Process(p.pid)
    peak = 0
    while p.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    return time.perf_counter() - t, peak / 2**20, p.returncode


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=2000)
    ap.add_argument("--floor", type=int, default=50, help="tail floor: every class at least this many rows (default 50)")
    ap.add_argument("--dir", default=None, help="keep the catalog here (reused when present)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or tmp
        src = os.path.join(folder, f"longtail_{args.rows}x{args.classes}.csv")
        if not os.path.exists(src):
            make_longtail(args.rows, args.classes, hierarchy=False).to_csv(src, index=False)
        recipe = os.path.join(folder, "recipe.json")
        py = sys.executable
        choices = ["--label", LABEL, "--strategy", "smote", "--target", f"floor:{args.floor}", "--small-classes",
                   "random_over"]
        subprocess.run([py, "-m", "core", "recipe", src, *choices, "--out", recipe], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        res = {"rows": args.rows, "classes": args.classes}
        for name, cmd in (
            ("resample", [py, "-m", "core", "resample", src, *choices, "--output", os.path.join(folder, "resampled.parquet")]),
            ("apply", [py, "-m", "core", "apply", "--recipe", recipe, "--input", src,
                       "--output", os.path.join(folder, "applied.parquet")]),
        ):
            wall, peak, rc = run_tracked(cmd)
            res[name] = {"wall_s": wall, "peak_rss_mb": peak, "rc": rc}
            print(f"{name} smote floor:{args.floor} on {args.rows:,} rows x {args.classes:,} classes: {wall:.1f} s, "
                  f"peak RSS {peak:.0f} MB, exit {rc}  (targets: < 60 s, < 8,192 MB)", flush=True)
        return res


if __name__ == "__main__":
    main()
