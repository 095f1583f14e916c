"""The quick benchmark set behind ``make bench`` (at most about 15 minutes on 2 cores).

Whole page steps on long-tail catalogs (``bench_stages``: 20,000 rows x 500 classes and
100,000 rows x 2,000 classes), each stage in a fresh process next to the plain pandas /
imbalanced-learn / umap-learn / scikit-learn script doing the same job, with peak memory, the
issue's targets and how each stage grows. The run has a time budget: a stage stops after
``--stage-timeout`` seconds (TIMEOUT) and, once the budget is spent, the stages left print
SKIPPED, so ``make bench`` ends in time whatever the machine.

First, whole headless jobs (``bench_job``: ``python -m core resample`` of a 60,000-row CSV with
SMOTE, random over- and under-sampling, Parquet out, next to the plain pandas + imbalanced-learn
script, median of three runs each, same per-class counts checked), about a minute and a half
(``--no-jobs`` leaves them out).

``--with-resample`` first runs the older resampler comparison at 10k rows (Skewlab next to
imbalanced-learn, same per-class counts checked: MATCH / MISMATCH), about one more minute.

    python benchmarks/run_quick.py
    python benchmarks/run_quick.py --budget 3600 --stage-timeout 600   # let slow stages finish
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_stages

QUICK_COMBOS = ",".join(f"{r}x{c}" for r, c in bench_stages.QUICK)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=14 * 60, help="seconds for the whole run (default 840)")
    ap.add_argument("--stage-timeout", type=float, default=240.0, help="seconds per stage and side (default 240)")
    ap.add_argument("--with-resample", action="store_true", help="also the resampler comparison at 10k rows")
    ap.add_argument("--no-jobs", action="store_true", help="leave out the whole CLI jobs at 60k rows")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if not args.no_jobs:
        import bench_job

        print("== whole CLI jobs, 60k rows (plain script / Skewlab: > 1 means Skewlab is faster) ==", flush=True)
        bench_job.main(["--sizes", "60000", "--repeats", "3"])
    if args.with_resample:
        import bench_resample

        print("== resample (Skewlab vs imbalanced-learn; ratio = imblearn / skewlab) ==", flush=True)
        bench_resample.main(["--sizes", "10000", "--features", "20", "--max-combined", "10000",
                             "--max-imblearn-combined", "10000"])
    left = args.budget - (time.perf_counter() - start)
    print(f"\n== page steps on long-tail catalogs ({QUICK_COMBOS}; {left:.0f} s budget) ==", flush=True)
    bench_stages.main(["--combos", QUICK_COMBOS, "--stage-timeout", str(args.stage_timeout),
                       "--time-budget", str(max(left, 1.0))])
    print(f"\nmake bench: {time.perf_counter() - start:.0f} s in all", flush=True)


if __name__ == "__main__":
    main()
