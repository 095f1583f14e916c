"""What a strategy run will cost, before it runs: output rows and memory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import ResourceError
from core.strategies.spec import REGISTRY, parse_pipeline
from core.strategies.targets import coerce_target, resolve_targets

#: Bytes a run needs per output cell beyond the matrix itself (copies, neighbour lists, provenance).
OVERHEAD = 4.0


@dataclass(frozen=True)
class Estimate:
    """Expected size of one strategy's output."""

    strategy: str
    rows_in: int
    rows_out: int
    synthetic: int
    removed_at_most: int
    bytes_needed: int

    @property
    def growth(self) -> float:
        return self.rows_out / max(self.rows_in, 1)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or the physical total when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def estimate(counts: Mapping[str, int], n_features: int, strategy: str, *, target="auto") -> Estimate:
    """Estimate output rows and peak memory of ``strategy`` on classes of size ``counts``.

    Over-sampling steps grow classes to their targets; under-sampling steps shrink them;
    cleaning and outlier steps remove at most what they look at (the estimate keeps every row);
    reweighting changes no rows.
    """
    names = parse_pipeline(strategy)
    spec = coerce_target(target)
    current = {str(c): int(n) for c, n in counts.items()}
    rows_in = sum(current.values())
    synthetic = 0
    removed = 0
    for name in names:
        family = REGISTRY[name].family
        if REGISTRY[name].uses_targets and family in ("over", "combined", "under"):
            goal = resolve_targets(current, spec, family="under" if family == "under" else "over")
            for c, n in current.items():
                g = int(goal.get(c, n))
                if g > n:
                    synthetic += g - n
                elif g < n:
                    removed += n - g
                current[c] = g
        # clean and outlier steps remove at most what they look at: the estimate keeps every row
    rows_out = sum(current.values())
    cells = max(rows_out, rows_in) * max(n_features, 1)
    return Estimate(strategy, rows_in, rows_out, synthetic, removed, int(cells * 8 * OVERHEAD))


def check_fits(est: Estimate, *, budget: int | None = None) -> None:
    """Refuse a run whose estimate exceeds the memory budget (default: 60 % of available memory)."""
    budget = int(available_memory() * 0.6) if budget is None else int(budget)
    if est.bytes_needed > budget:
        raise ResourceError(
            f"{est.strategy} would grow {est.rows_in:,} rows to {est.rows_out:,} ({est.growth:.1f}x) and need about "
            f"{est.bytes_needed / 1024**3:.1f} GB, more than the {budget / 1024**3:.1f} GB this server can spare.",
            hint="Use a tail floor (every class at least N rows), a hybrid target (cap the head, lift the tail) or a "
                 "head cap instead of balancing every class up to the largest.",
        )
