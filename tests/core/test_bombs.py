"""Decompression bombs: small files that unpack past the limit are refused with their message, and the
loading process's peak memory stays bounded by the limit, not by what the file claims.

The corpus is generated here (nothing committed): a multi-member gzip that unpacks to 2 GiB, a zip
whose one member unpacks to 1 GiB, an xlsx whose sheet unpacks to 1 GiB, a zip listing a thousand
files, and a Parquet file declaring 50 million rows in 220 KB. Each is loaded in a child process with
``SKEWLAB_MAX_UNPACKED_MB=256``; the child's peak resident memory
(its ``VmHWM``) must stay under the limit plus :data:`BASELINE_MB` for the interpreter, pandas and pyarrow.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.data import load_table, unpack
from core.errors import LoadError

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 256
#: The interpreter with pandas, pyarrow and numpy imported, plus the largest chunk in flight.
BASELINE_MB = 400
MIB = 1024**2


def gzip_bomb(path: Path, unpacked_mib: int = 2048) -> None:
    """A CSV header member, then the same 1 MiB member of rows repeated (gzip concatenates members)."""
    member = gzip.compress(b"1,2\n" * (MIB // 4), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(b"a,b\n"))
        for _ in range(unpacked_mib):
            fh.write(member)


def _deflated(zf: zipfile.ZipFile, name: str, mib: int, line: bytes) -> None:
    block = line * (MIB // len(line))
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        for _ in range(mib):
            fh.write(block)


def zip_bomb(path: Path, unpacked_mib: int = 384) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _deflated(zf, "catalog.csv", unpacked_mib, b"1,2\n")


def xlsx_bomb(path: Path, unpacked_mib: int = 384) -> None:
    """The parts a reader looks for, with a worksheet of one repeated row."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        _deflated(zf, "xl/worksheets/sheet1.xml", unpacked_mib, b'<row><c t="n"><v>1</v></c></row>')


def zip_of_many(path: Path, members: int = 1000) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(members):
            zf.writestr(f"part_{i:04d}.csv", "a,b\n1,2\n")


def parquet_bomb(path: Path, rows: int = 50_000_000) -> None:
    """50M rows of one repeated category and an empty column: 220 KB on disk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    same = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int8)), pa.array(["same"]))
    pq.write_table(pa.table({"category": same, "n": pa.nulls(rows, pa.int64())}), path)


BOMBS = {
    "gzip": ("bomb.csv.gz", gzip_bomb, f"bomb.csv.gz unpacks to more than {LIMIT_MB}.0 MB, the unpacked-size limit"),
    "zip": ("bomb.zip", zip_bomb, f"catalog.csv in bomb.zip unpacks to more than {LIMIT_MB}.0 MB, the unpacked-size limit"),
    # stopped by the growth ratio (0.9 MB packed, past 200 times at 192 MB) before the size limit
    "xlsx": ("bomb.xlsx", xlsx_bomb, "bomb.xlsx grows more than 200 times when unpacked (954.4 KB packed, over 192.0 MB so far)"),
    "members": ("many.zip", zip_of_many, "many.zip lists 1,000 files; Skewlab opens archives of at most 256"),
    "parquet": ("bomb.parquet", parquet_bomb, "bomb.parquet declares 50,000,000 rows x 2 columns (at least 762.9 MB once read), "
                                              f"more than the {LIMIT_MB}.0 MB unpacked-size limit"),
}

CHILD = """
import json, sys
from core.data import load_table
from core.errors import LoadError

def peak_mb():  # this process's own high-water mark (VmHWM starts afresh at exec, unlike ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
try:
    load_table(sys.argv[1])
    print(json.dumps({"loaded": True, "peak": peak_mb()}))
except LoadError as exc:
    print(json.dumps({"error": str(exc), "hint": exc.hint, "peak": peak_mb()}))
"""


def _peak_mb(path: Path) -> tuple[dict, float]:
    env = {**os.environ, "SKEWLAB_MAX_UNPACKED_MB": str(LIMIT_MB), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    answer = json.loads(out.decode().strip().splitlines()[-1])
    return answer, answer["peak"]


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_bomb_is_refused_with_its_message_and_bounded_memory(kind, tmp_path):
    name, make, message = BOMBS[kind]
    path = tmp_path / name
    make(path)
    assert path.stat().st_size < 8 * MIB  # small on disk: the upload limit cannot catch it
    answer, peak = _peak_mb(path)
    assert answer.get("error", "").startswith(message), answer
    assert "SKEWLAB_MAX_UNPACKED_MB" in answer["hint"] or "Zip the table file alone" in answer["hint"]
    print(f"{kind}: {path.stat().st_size / MIB:.2f} MB on disk, refused; peak memory of the loading process {peak:.0f} MB")
    assert peak < LIMIT_MB + BASELINE_MB


def test_a_file_that_grows_too_many_times_is_stopped_by_the_ratio_before_the_size_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "100000")
    monkeypatch.setattr(unpack, "RATIO_FROM", 4 * MIB)
    path = tmp_path / "zeros.csv.gz"
    gzip_bomb(path, unpacked_mib=64)
    with pytest.raises(LoadError, match=r"^zeros\.csv\.gz grows more than 200 times when unpacked .* decompression bomb"):
        load_table(path)


def test_a_zip_member_declaring_too_much_growth_is_stopped_before_it_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "100000")
    monkeypatch.setattr(unpack, "RATIO_FROM", 4 * MIB)
    path = tmp_path / "zeros.zip"
    zip_bomb(path, unpacked_mib=64)
    packed = zipfile.ZipFile(path).getinfo("catalog.csv").compress_size
    with pytest.raises(LoadError, match=rf"^catalog\.csv in zeros\.zip grows more than 200 times when unpacked "
                                        rf"\({re.escape(unpack._human(packed))} packed, 64\.0 MB declared\)"):
        load_table(path)


def test_a_parquet_file_declaring_far_more_than_its_size_is_refused_at_the_default_limit(monkeypatch, tmp_path):
    """50M declared rows in 220 KB are within the default 4 GiB but 3,500 times the file: refused, not read."""
    monkeypatch.delenv("SKEWLAB_MAX_UNPACKED_MB", raising=False)
    monkeypatch.setattr(unpack, "_available_memory", lambda: 64 * 1024**3)
    path = tmp_path / "bomb.parquet"
    parquet_bomb(path)
    size = unpack._human(path.stat().st_size)
    with pytest.raises(LoadError, match=rf"^bomb\.parquet declares 50,000,000 rows x 2 columns \(at least 762\.9 MB once "
                                        rf"read\) in a file of {re.escape(size)}: more than 200 times its size") as err:
        load_table(path)
    assert "SKEWLAB_MAX_RATIO" in err.value.hint


def test_compressed_catalogs_within_the_limits_still_load(monkeypatch, tmp_path):
    """The guards cost real files nothing: a gzip, a zip and many-member zips under the cap load as before."""
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "1")
    rows = "".join(f"{i},{i % 7},item {i}\n" for i in range(5000)).encode()
    csv = b"id,group,title\n" + rows
    assert len(csv) < MIB
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(csv))
    with zipfile.ZipFile(tmp_path / "c.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("c.csv", csv)
        for i in range(unpack.MAX_MEMBERS - 1):
            zf.writestr(f"notes/{i}.txt", "x")
    for name in ("c.csv.gz",):
        assert load_table(tmp_path / name).frame.shape == (5000, 3)
    assert load_table(tmp_path / "c.zip", member="c.csv").frame.shape == (5000, 3)
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "0.05")
    with pytest.raises(LoadError, match=r"^c\.csv\.gz unpacks to more than 51\.2 KB, the unpacked-size limit"):
        load_table(tmp_path / "c.csv.gz")


def test_the_default_limit_is_four_gib_within_half_the_free_memory(monkeypatch):
    monkeypatch.delenv("SKEWLAB_MAX_UNPACKED_MB", raising=False)
    monkeypatch.setattr(unpack, "_available_memory", lambda: 64 * 1024**3)
    assert unpack.unpacked_limit() == 4 * 1024**3
    monkeypatch.setattr(unpack, "_available_memory", lambda: 2 * 1024**3)
    assert unpack.unpacked_limit() == 1024**3
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "lots")
    with pytest.raises(LoadError, match="SKEWLAB_MAX_UNPACKED_MB='lots' is not a number of megabytes"):
        unpack.unpacked_limit()


def test_in_memory_bytes_are_guarded_too(monkeypatch):
    monkeypatch.setenv("SKEWLAB_MAX_UNPACKED_MB", "1")
    data = gzip.compress(b"a,b\n" + b"1,2\n" * MIB)
    with pytest.raises(LoadError, match=r"^upload\.csv\.gz unpacks to more than 1\.0 MB"):
        load_table(io.BytesIO(data).getvalue(), name="upload.csv.gz")
