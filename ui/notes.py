"""Many notes of one run, read as a short list: notes of the same shape are listed once, with their count."""

from __future__ import annotations

import re

#: What varies between notes of one shape: quoted names and numbers.
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*")
EXAMPLES = 3  # notes quoted in full for a group of one shape


def shape(note: str) -> str:
    """The note with its quoted names and numbers blanked out."""
    return _VARYING.sub("…", note)


def group_notes(notes: list[str]) -> list[str]:
    """One line per note, except that 2+ notes of the same shape become one line: the count and a few of them.

    Lines keep the order in which each shape first appears; a note is never altered.
    """
    groups: dict[str, list[str]] = {}
    for note in notes:
        groups.setdefault(shape(note), []).append(note)
    lines = []
    for members in groups.values():
        if len(members) == 1:
            lines.append(members[0])
            continue
        more = len(members) - EXAMPLES
        examples = " · ".join(members[:EXAMPLES]) + (f" · and {more:,} more like these" if more > 0 else "")
        lines.append(f"{len(members):,} notes like this: {examples}")
    return lines
