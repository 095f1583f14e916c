"""Opening compressed uploads without letting one file take the server's memory.

A few megabytes of gzip, zip or xlsx can unpack to gigabytes (a "decompression bomb"); a small
Parquet file can declare a row group of billions of values. Everything that unpacks goes through
here, streamed in chunks and stopped at a limit, so the memory a load holds stays bounded by the
limit whatever the file claims:

- **unpacked bytes** (:func:`unpacked_limit`): ``SKEWLAB_MAX_UNPACKED_MB`` if set, else 4 GiB (four
  times the default 1 GB upload limit), and never more than half the memory the machine has free;
- **expansion ratio** (:data:`MAX_RATIO`, ``SKEWLAB_MAX_RATIO``): a file that grows more than 200
  times once past :data:`RATIO_FROM` bytes is refused as a bomb (real tables compress 3-30 times);
- **zip members** (:data:`MAX_MEMBERS`): an archive listing more files than that is refused before
  any of them is read.

Each refusal is a :class:`~core.errors.LoadError` that names the limit and the way forward.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile

from core.errors import LoadError

__all__ = ["MAX_MEMBERS", "MAX_RATIO", "RATIO_FROM", "check_parquet", "check_xlsx", "gunzip", "read_member", "unpacked_limit"]

#: Default unpacked-size limit: four times the default upload limit (1 GB).
DEFAULT_UNPACKED = 4 * 1024**3
#: A file may grow this many times when unpacked...
MAX_RATIO = 200
#: ... once it is past this many bytes (a small, very repetitive file is harmless).
RATIO_FROM = 64 * 1024**2
#: Most files a zip upload may list.
MAX_MEMBERS = 256
#: Bytes unpacked per step.
CHUNK = 8 * 1024**2
_WAY = "Upload the file uncompressed (the upload limit then applies to it), or raise SKEWLAB_MAX_UNPACKED_MB on the server."


def _available_memory() -> int | None:
    """Bytes the machine has available (Linux ``MemAvailable``), None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def unpacked_limit() -> int:
    """Most bytes a load may unpack: ``SKEWLAB_MAX_UNPACKED_MB`` (MB), else :data:`DEFAULT_UNPACKED`
    capped at half the available memory."""
    env = os.environ.get("SKEWLAB_MAX_UNPACKED_MB", "").strip()
    if env:
        try:
            return max(1, int(float(env) * 1024**2))
        except ValueError:
            raise LoadError(f"SKEWLAB_MAX_UNPACKED_MB={env!r} is not a number of megabytes.",
                            hint="Set it to a number such as 4096, or unset it.") from None
    free = _available_memory()
    return DEFAULT_UNPACKED if free is None else max(256 * 1024**2, min(DEFAULT_UNPACKED, free // 2))


def _max_ratio() -> float:
    env = os.environ.get("SKEWLAB_MAX_RATIO", "").strip()
    try:
        return float(env) if env else float(MAX_RATIO)
    except ValueError:
        return float(MAX_RATIO)


def _human(n: float) -> str:
    from core.data.io import human_bytes

    return human_bytes(n)


def _guard(name: str, packed: int, unpacked: int, limit: int, *, declared: bool = False) -> None:
    """Refuse once ``unpacked`` passes the limit or the expansion ratio (``declared``: the size the
    archive states, before anything is read)."""
    if unpacked > limit:
        raise LoadError(f"{name} unpacks to more than {_human(limit)}, the unpacked-size limit; it was stopped there.",
                        hint=_WAY)
    ratio = _max_ratio()
    if unpacked > RATIO_FROM and unpacked > ratio * max(packed, 1):
        raise LoadError(
            f"{name} grows more than {ratio:,.0f} times when unpacked ({_human(packed)} packed, "
            + (f"{_human(unpacked)} declared" if declared else f"over {_human(unpacked)} so far")
            + "): real tables do not, so it was stopped as a decompression bomb.", hint=_WAY)


def _drain(stream, name: str, packed: int, limit: int) -> bytes:
    """Every byte of ``stream``, read in chunks and stopped at the limits."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        _guard(name, packed, total, limit)
        parts.append(chunk)


def gunzip(data: bytes, name: str) -> bytes:
    """The unpacked bytes of a gzip file (every member), within the limits."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return _drain(fh, name, len(data), unpacked_limit())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise LoadError(f"{name} is a damaged gzip file ({exc}).", hint="Compress it again or upload it uncompressed.") from None


def check_members(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse an archive that lists more than :data:`MAX_MEMBERS` files."""
    n = len(zf.infolist())
    if n > MAX_MEMBERS:
        raise LoadError(f"{name} lists {n:,} files; Skewlab opens archives of at most {MAX_MEMBERS}.",
                        hint="Zip the table file alone, or upload it uncompressed.")


def read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    """The bytes of one zip member, streamed within the limits (its declared size is not trusted)."""
    info = zf.getinfo(member)
    limit = unpacked_limit()
    _guard(f"{member} in {name}", info.compress_size, min(info.file_size, limit + 1), limit, declared=True)
    with zf.open(info) as fh:
        return _drain(fh, f"{member} in {name}", info.compress_size, limit)


def check_xlsx(raw: bytes, name: str) -> None:
    """Refuse a workbook whose parts unpack past the limits, before the Excel reader opens it: each
    part is streamed through and counted (nothing kept), so a lying size field changes nothing."""
    limit = unpacked_limit()
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        return  # the Excel reader says what is wrong with it
    with zf:
        check_members(zf, name)
        total = 0
        for info in zf.infolist():
            try:
                with zf.open(info) as fh:
                    while chunk := fh.read(CHUNK):
                        total += len(chunk)
                        _guard(name, len(raw), total, limit)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                return  # a damaged part: the Excel reader refuses the workbook with its message


def check_parquet(raw: bytes, name: str) -> None:
    """Refuse a Parquet file whose footer declares more data than the limit: the bytes its row groups
    unpack to, and at least 8 bytes per value (a run-length encoded column can declare a billion
    values in a few bytes)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    except Exception:  # a damaged footer: the Parquet reader refuses it with its message
        return
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    values = int(meta.num_rows) * max(int(meta.num_columns), 1) * 8
    need = max(declared, values)
    limit = unpacked_limit()
    shape = f"{name} declares {int(meta.num_rows):,} rows x {meta.num_columns:,} columns (at least {_human(need)} once read)"
    if need > limit:
        raise LoadError(
            f"{shape}, more than the {_human(limit)} unpacked-size limit.", hint="Upload a smaller part of it, or raise SKEWLAB_MAX_UNPACKED_MB on the server.")
    ratio = _max_ratio()
    if need > RATIO_FROM and need > ratio * max(len(raw), 1):
        raise LoadError(
            f"{shape} in a file of {_human(len(raw))}: more than {ratio:,.0f} times its size, which real tables do not "
            "reach, so it was refused as a decompression bomb.",
            hint="Write the file again without the repeated rows, or raise SKEWLAB_MAX_RATIO on the server.")
