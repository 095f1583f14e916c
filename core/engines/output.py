"""The output folder of a cluster run: written under a hidden temporary name, renamed at success.

A run writes its Parquet files into ``.NAME.skewlab-tmp-TOKEN`` next to the folder asked for, then a
manifest (:data:`MANIFEST`, JSON: counts, files, notes) and only then renames the folder to its name.
A run that stops (an error, a worker that died, an interrupted command) removes its temporary
folder; one killed outright leaves only a hidden folder without a manifest. Nothing that looks
complete is ever partial. A folder that already holds a Skewlab output (its manifest) is replaced;
any other existing file or non-empty folder is refused before the run starts.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ParameterError

__all__ = ["MANIFEST", "REMOVED", "OutputFolders", "prepare_output"]

#: The manifest a finished output folder holds (readers of Parquet datasets skip names starting with _).
MANIFEST = "_SUCCESS"
#: The folder of the removed rows inside the output, when no other is asked for.
REMOVED = "_removed"


def _check_target(path: Path, what: str) -> None:
    if not path.exists():
        return
    if path.is_dir() and ((path / MANIFEST).is_file() or not any(path.iterdir())):
        return
    raise ParameterError(
        f"{what} {str(path)!r} exists and is not a Skewlab output folder (it has no {MANIFEST} manifest).",
        hint="Name a new folder, or remove that one first.",
    )


@dataclass
class OutputFolders:
    """The folders a run writes into and renames at success."""

    final: Path
    tmp: Path
    removed_final: Path | None
    removed_tmp: Path
    done: bool = False

    @property
    def out_dir(self) -> str:
        return str(self.tmp)

    @property
    def removed_dir(self) -> str:
        return str(self.removed_tmp)

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest and move the folders to their names (replacing a previous output)."""
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n",
                                         encoding="utf-8")
        if self.removed_final is not None:
            _replace(self.removed_tmp, self.removed_final)
        _replace(self.tmp, self.final)
        self.done = True

    def discard(self) -> None:
        """Remove what a stopped run wrote."""
        if not self.done:
            for path in (self.tmp, self.removed_tmp):
                shutil.rmtree(path, ignore_errors=True)


def _replace(tmp: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.skewlab-old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def prepare_output(output: str | Path, removed_out: str | Path | None = None) -> OutputFolders:
    """Check the output folders can be written and make their temporary twins.

    Raises
    ------
    ParameterError
        A path exists and is not a Skewlab output folder, or its parent folder does not exist.
    """
    final = Path(output).resolve()
    removed_final = Path(removed_out).resolve() if removed_out else None
    for path, what in ((final, "--output"), (removed_final, "--removed-out")):
        if path is None:
            continue
        if not path.parent.is_dir():
            raise ParameterError(f"{what}: the folder {str(path.parent)!r} does not exist.")
        _check_target(path, what)
    if removed_final is not None and (removed_final == final or final in removed_final.parents):
        raise ParameterError("--removed-out must be another folder than --output and not inside it.")
    token = uuid.uuid4().hex[:8]
    tmp = final.with_name(f".{final.name}.skewlab-tmp-{token}")
    removed_tmp = (removed_final.with_name(f".{removed_final.name}.skewlab-tmp-{token}")
                   if removed_final is not None else tmp / REMOVED)
    tmp.mkdir()
    removed_tmp.mkdir()
    return OutputFolders(final, tmp, removed_final, removed_tmp)
