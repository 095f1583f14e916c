"""Exact k nearest neighbours: :mod:`~core.neighbors.knn` (blocked brute force, scikit-learn's order),
:mod:`~core.neighbors.knn32` (found in float32, proven in float64) and their numba kernels
(:mod:`~core.neighbors.kernels`, compiled on first use, so not imported here)."""

from core.neighbors import knn32
from core.neighbors.knn import kneighbors, sklearn_kneighbors, sklearn_kneighbors_rows

__all__ = ["kneighbors", "knn32", "sklearn_kneighbors", "sklearn_kneighbors_rows"]
