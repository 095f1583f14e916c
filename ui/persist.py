"""A reload keeps the analyst's catalog and choices.

A browser reload starts a new Streamlit session with empty session state. So every session gets a
random token in its URL (``?s=...``); its choices are written to a small JSON file under that token
and an uploaded file is kept once on disk under its sha256. A session opened with a token restores
both, then takes a token of its own (two tabs opened from one link do not overwrite each other).

When the token's files are gone (the server's store was cleared or evicted its oldest uploads), the
page says so and names what is loaded instead. The store lives in a folder only the server's user
can read (``SKEWLAB_STORE_DIR``, default a folder in the system's temporary directory) and keeps at
most ``SKEWLAB_STORE_BYTES`` of uploads (default 4 GB), dropping the least recently used first;
``SKEWLAB_STORE_BYTES=0`` turns it off (nothing on disk; a reload then starts over and says so). A
token is 128 random bits: knowing the link is what gives access to the catalog, as with the session.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

PARAM = "s"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
MAX_CHOICE_FILES = 5000


def store_dir() -> Path:
    path = Path(os.environ.get("SKEWLAB_STORE_DIR") or Path(tempfile.gettempdir()) / f"skewlab-store-{os.getuid()}")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return int(os.environ.get("SKEWLAB_STORE_BYTES", 4 * 1024**3))


def enabled() -> bool:
    """Whether the server keeps sessions for reloads (``SKEWLAB_STORE_BYTES=0`` keeps nothing on disk)."""
    return max_bytes() > 0


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid(token: object) -> bool:
    return isinstance(token, str) and bool(_TOKEN.match(token))


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def save_choices(token: str, choices: dict[str, Any]) -> None:
    """Write the session's choices (values JSON cannot hold are skipped) under ``token``."""
    if not valid(token):
        raise ValueError(f"not a session token: {token!r}")
    kept = {k: v for k, v in choices.items() if isinstance(k, str) and _jsonable(v)}
    path = store_dir() / f"{token}.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(kept), encoding="utf-8")
    tmp.replace(path)


def load_choices(token: str) -> dict[str, Any] | None:
    """The choices saved under ``token``, or None when there are none (or the token is malformed)."""
    if not valid(token):
        return None
    path = store_dir() / f"{token}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keep_upload(sha: str, data: bytes) -> None:
    """Keep an upload's bytes once (by content), then drop the least recently used beyond the limit."""
    if not _SHA.match(sha):
        raise ValueError(f"not a sha256: {sha!r}")
    path = store_dir() / f"{sha}.bin"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    os.utime(path)
    _evict()


def upload_bytes(sha: str) -> bytes | None:
    if not isinstance(sha, str) or not _SHA.match(sha):
        return None
    path = store_dir() / f"{sha}.bin"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    os.utime(path)
    return data


def _evict() -> None:
    folder = store_dir()
    uploads = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for path in uploads:
        total += path.stat().st_size
        if total > max_bytes():
            path.unlink(missing_ok=True)
    choices = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in choices[MAX_CHOICE_FILES:]:
        path.unlink(missing_ok=True)


