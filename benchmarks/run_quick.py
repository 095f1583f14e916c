"""The quick benchmark set behind ``make bench`` (about 10 minutes on 2 cores).

Resampling at 10k and 100k rows (20 features) next to imbalanced-learn, load + skew profile at
100k and 1M rows next to pandas, the Strategies page's six defaults at 100k rows through core;
then one summary table of figures and ratios.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_defaults
import bench_load
import bench_resample


def main() -> None:
    print("== resample (Skewlab vs imbalanced-learn; ratio = imblearn / skewlab) ==", flush=True)
    rows = bench_resample.main(["--sizes", "10000,100000", "--features", "20", "--max-combined", "10000",
                                "--max-imblearn-combined", "10000"])
    print("\n== load + skew profile (ratio = skewlab / pandas) ==", flush=True)
    loads = bench_load.main(["--sizes", "100000,1000000"])
    print("\n== Strategies page defaults through core (target < 20 s) ==", flush=True)
    defaults = bench_defaults.main(["--rows", "100000"])
    print("\n== summary ==")
    print(f"{'method':<14}{'rows':>9}{'skewlab s':>11}{'imblearn s':>12}{'ratio':>8}  check")
    for r in rows:
        imb = "-" if r["imblearn_s"] is None else f"{r['imblearn_s']:.2f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['method']:<14}{r['n']:>9}{r['skewlab_s']:>11.2f}{imb:>12}{ratio:>8}  {r['check']}")
    for r in loads:
        print(f"{'load+profile':<14}{r['n']:>9}{r['skewlab_s']:>11.2f}{r['pandas_s']:>12.2f}{r['ratio']:>8.2f}  (pandas)")
    print(f"{'defaults':<14}{defaults['rows']:>9}{defaults['total_s']:>11.2f}{'-':>12}{'-':>8}  "
          f"(features {defaults['steps']['features']:.2f} s + six strategies {defaults['strategies_s']:.2f} s; target < 20 s)")


if __name__ == "__main__":
    main()
