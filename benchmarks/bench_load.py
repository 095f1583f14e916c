"""Loading a catalog CSV and profiling its skew, next to plain pandas (read_csv + value_counts).

Writes ``make_catalog(n)`` (text columns included) to a CSV, then in the same run, interleaved:
Skewlab's ``load_table`` + ``label_values`` + ``profile_skew`` and plain ``pandas.read_csv`` +
``value_counts``. Prints wall times, the ratio (Skewlab / pandas, the price of keeping every cell
as text) and peak memory (RSS growth).

    python benchmarks/bench_load.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_resample import _measure
from catalog import LABEL, make_catalog

from core.data.io import load_table
from core.data.schema import detect_separator, label_values
from core.data.skew import profile_skew


def write_catalog_csv(n: int, folder: str) -> str:
    path = os.path.join(folder, f"catalog_{n}.csv")
    if not os.path.exists(path):
        make_catalog(n).to_csv(path, index=False)
    return path


def skewlab_load_profile(path: str):
    t = load_table(path)
    frame = t.frame
    labels = label_values(frame, LABEL, level=None, separator=detect_separator(frame[LABEL]))
    return profile_skew(labels)


def pandas_load_counts(path: str):
    frame = pd.read_csv(path)
    return frame[LABEL].value_counts()


def run(n: int, folder: str) -> dict:
    path = write_catalog_csv(n, folder)
    _, t_s, m_s = _measure(lambda: skewlab_load_profile(path))
    _, t_p, m_p = _measure(lambda: pandas_load_counts(path))
    return {"n": n, "mb_file": os.path.getsize(path) / 2**20, "skewlab_s": t_s, "skewlab_mb": m_s,
            "pandas_s": t_p, "pandas_mb": m_p, "ratio": t_s / t_p}


def fmt(r: dict) -> str:
    return (f"load+profile {r['n']:>8} rows ({r['mb_file']:.0f} MB CSV): skewlab {r['skewlab_s']:6.2f} s {r['skewlab_mb']:6.0f} MB"
            f" | pandas read_csv+value_counts {r['pandas_s']:6.2f} s {r['pandas_mb']:6.0f} MB | skewlab/pandas x{r['ratio']:.2f}")


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dir", default=None, help="where to write the CSVs (default: a temporary folder)")
    args = ap.parse_args(argv)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or tmp
        skewlab_load_profile(write_catalog_csv(2000, folder))  # warm-up (imports)
        for n in [int(s) for s in args.sizes.split(",") if s]:
            r = run(n, folder)
            print(fmt(r), flush=True)
            out.append(r)
    return out


if __name__ == "__main__":
    main()
