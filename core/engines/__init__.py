"""Engines that replay a recipe: ``local`` (one process, :func:`core.export.apply_recipe`) and ``dask``
(a Dask cluster, :func:`core.engines.cluster.run_dask`).

Both give the same rows. The Dask engine groups the catalog so that every class a step changes is
whole in one partition, and the strategies draw each class from its own random stream (the seed and
the class name), so a class's rows never depend on where it was computed. Importing this package
does not import Dask: only :mod:`core.engines.cluster` does, when a cluster run starts
(``requirements-dask.txt`` installs it).
"""

from __future__ import annotations

from core.errors import SkewlabError

__all__ = ["ENGINES", "ClusterError"]

#: Engines of ``python -m core apply --engine``.
ENGINES: tuple[str, ...] = ("local", "dask")


class ClusterError(SkewlabError):
    """The cluster cannot be reached, or a worker died or was lost while the run went on."""
