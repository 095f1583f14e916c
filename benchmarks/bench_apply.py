"""Headless replay at scale: ``python -m core apply`` of a tail-floor SMOTE recipe on a big catalog.

Writes ``make_catalog(n)`` to CSV, writes a recipe with ``python -m core recipe`` (SMOTE, target
``floor:N``, small classes randomly over-sampled), runs ``python -m core apply`` in a subprocess
and reports its wall time and peak RSS (polled every 50 ms with psutil).

    python benchmarks/bench_apply.py --rows 1000000 --floor 10000
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

from catalog import LABEL, make_catalog  # noqa: E402


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
    ap.add_argument("--floor", type=int, default=None,
                    help="tail floor (default: 1%% of the rows, so a long-tail catalog's smaller classes get SMOTE rows)")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    if args.floor is None:
        args.floor = max(2000, args.rows // 100)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or tmp
        src = os.path.join(folder, f"catalog_{args.rows}.csv")
        if not os.path.exists(src):
            make_catalog(args.rows).to_csv(src, index=False)
        recipe = os.path.join(folder, "recipe.json")
        py = sys.executable
        subprocess.run([py, "-m", "core", "recipe", src, "--label", LABEL, "--strategy", "smote",
                        "--target", f"floor:{args.floor}", "--small-classes", "random_over", "--out", recipe],
                       cwd=ROOT, check=True)
        out = os.path.join(folder, "balanced.csv")
        wall, peak, rc = run_tracked([py, "-m", "core", "apply", "--recipe", recipe, "--input", src, "--output", out])
        res = {"rows": args.rows, "wall_s": wall, "peak_rss_mb": peak, "rc": rc}
        print(f"apply smote floor:{args.floor} on {args.rows} rows: {wall:.1f} s, peak RSS {peak:.0f} MB, exit {rc}"
              f" (targets: < 60 s, < 8192 MB)", flush=True)
        return res


if __name__ == "__main__":
    main()
