"""Whole CLI jobs next to the plain script that does the same job, each as its own process.

For each size and method, on one generated CSV (``--features`` numeric columns, ``--classes``
classes with Zipf-like sizes, a ``category`` label): Skewlab's command

    python -m core resample INPUT.csv --label category --strategy METHOD --output OUT.parquet

and a plain script (pandas ``read_csv`` -> imbalanced-learn ``SMOTE`` / ``RandomOverSampler`` /
``RandomUnderSampler`` on the numeric columns, seed 0 -> ``DataFrame.to_parquet``) run one after
the other (the order alternates between repeats, so machine load hits both alike). Prints each
side's wall time, CPU time (user + system) and peak memory (the child's own maximum resident set,
from ``os.wait4``), the ratios (plain / Skewlab: > 1 means Skewlab is faster), and whether the
two Parquet outputs have the same rows per class (MATCH / MISMATCH). With ``--repeats`` > 1 the
median of each figure is shown. One untimed Skewlab run on a small file first fills the numba
cache (``NUMBA_CACHE_DIR``, default ``.cache/numba``).

    python benchmarks/bench_job.py                       # 60,000 rows
    python benchmarks/bench_job.py --sizes 60000,1000000 --methods smote
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
METHODS = ("smote", "random_over", "random_under")
LABEL = "category"

PLAIN = '''
import sys
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler

src, out, method = sys.argv[1:4]
df = pd.read_csv(src)
X, y = df.select_dtypes("number"), df["category"]
sampler = {"smote": SMOTE, "random_over": RandomOverSampler, "random_under": RandomUnderSampler}[method](random_state=0)
Xr, yr = sampler.fit_resample(X, y)
Xr["category"] = yr
Xr.to_parquet(out, index=False)
'''


def make_csv(path: Path, rows: int, features: int, classes: int, seed: int = 0) -> None:
    """A numeric catalog: class sizes ~ 1 / rank**1.1 (at least 20 rows), columns around a
    per-class centre; the last two columns whole numbers, the others 4 decimals."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, classes + 1) ** 1.1
    sizes = np.maximum(np.floor(weight / weight.sum() * rows).astype(np.int64), 20)
    sizes[0] += rows - sizes.sum()
    code = np.repeat(np.arange(classes), sizes)
    rng.shuffle(code)
    centres = rng.normal(0, 3, size=(classes, features))
    cols = {}
    for j in range(features):
        v = centres[code, j] + rng.normal(0, 1, rows)
        cols[f"f{j:02d}"] = np.round(v * 10).astype(np.int64) if j >= features - 2 else np.round(v, 4)
    import pandas as pd

    frame = pd.DataFrame(cols)
    frame[LABEL] = np.array([f"class_{i:03d}" for i in range(classes)], dtype=object)[code]
    frame.to_csv(path, index=False)


def run(cmd: list[str]) -> dict:
    """Run ``cmd``; its wall time, CPU time and peak resident set (MB), from this child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def class_counts(path: Path) -> dict:
    import pandas as pd

    return pd.read_parquet(path, columns=[LABEL])[LABEL].astype(str).value_counts().sort_index().to_dict()


def one(csv: Path, method: str, work: Path, repeats: int) -> dict:
    plain_py = work / "plain_job.py"
    plain_py.write_text(PLAIN)
    ours_out, plain_out = work / f"ours_{method}.parquet", work / f"plain_{method}.parquet"
    ours_cmd = [sys.executable, "-m", "core", "resample", str(csv), "--label", LABEL, "--strategy", method,
                "--output", str(ours_out)]
    plain_cmd = [sys.executable, str(plain_py), str(csv), str(plain_out), method]
    got: dict[str, list[dict]] = {"plain": [], "ours": []}
    for r in range(repeats):
        order = (("plain", plain_cmd), ("ours", ours_cmd)) if r % 2 == 0 else (("ours", ours_cmd), ("plain", plain_cmd))
        for side, cmd in order:
            got[side].append(run(cmd))
    med = {side: {k: statistics.median(x[k] for x in runs) for k in ("wall", "cpu", "rss")} for side, runs in got.items()}
    a, b = class_counts(ours_out), class_counts(plain_out)
    return {"plain": med["plain"], "ours": med["ours"], "match": a == b, "rows": sum(a.values()), "rows_plain": sum(b.values())}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="60000", help="rows of the generated CSV, comma-separated (default 60000)")
    ap.add_argument("--methods", default=",".join(METHODS), help="smote, random_over, random_under (comma-separated)")
    ap.add_argument("--features", type=int, default=16)
    ap.add_argument("--classes", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=1, help="runs per side; the median is shown (default 1)")
    ap.add_argument("--workdir", default=None, help="where the CSVs and outputs go (default: a temporary folder)")
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise SystemExit(f"unknown methods {sorted(unknown)}; pick from {', '.join(METHODS)}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        warm = work / "warm.csv"
        make_csv(warm, 2000, args.features, min(args.classes, 10))
        run([sys.executable, "-m", "core", "resample", str(warm), "--label", LABEL, "--strategy", "smote",
             "--output", str(work / "warm.parquet")])
        header = (f"{'rows':>9} {'method':<13} {'plain s':>8} {'skewlab s':>9} {'ratio':>6} {'plain cpu':>9} "
                  f"{'skewlab cpu':>11} {'cpu ratio':>9} {'plain MB':>8} {'skewlab MB':>10} {'out rows':>9}  counts")
        print(header)
        print("-" * len(header))
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            csv = work / f"catalog_{size}.csv"
            make_csv(csv, size, args.features, args.classes)
            for method in methods:
                r = one(csv, method, work, args.repeats)
                p, o = r["plain"], r["ours"]
                print(f"{size:>9,} {method:<13} {p['wall']:8.2f} {o['wall']:9.2f} {p['wall'] / o['wall']:6.2f} "
                      f"{p['cpu']:9.2f} {o['cpu']:11.2f} {p['cpu'] / o['cpu']:9.2f} {p['rss']:8.0f} {o['rss']:10.0f} "
                      f"{r['rows']:>9,}  {'MATCH' if r['match'] else 'MISMATCH'}", flush=True)


if __name__ == "__main__":
    main()
