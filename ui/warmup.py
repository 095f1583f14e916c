"""Warm the numba code of UMAP, the exact k-NN search and the Isolation Forest in the background at server start.

numba's on-disk cache (NUMBA_CACHE_DIR, default .cache/numba in the project) keeps the compiled
code across server restarts; a warm cache makes this a second or two.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


def _warm(state: dict) -> None:
    t0 = time.perf_counter()
    try:
        import numpy as np
        import umap

        from core.neighbors import knn32

        knn32.warm_up()  # the resamplers' exact k-NN kernels (SMOTE, Tomek, ENN, ...)
        from core.strategies.iforest import anomaly_scores

        anomaly_scores(np.random.default_rng(0).normal(size=(30, 4)), n_estimators=2)  # Isolation Forest

        X = np.random.default_rng(0).normal(size=(400, 8))
        model = umap.UMAP(n_neighbors=10, n_epochs=30, random_state=0).fit(X)
        model.transform(X[:20])
        state["status"] = "ready"
    except Exception as exc:  # a failed warm-up only means the first map compiles
        state["status"] = f"failed: {type(exc).__name__}"
    state["seconds"] = time.perf_counter() - t0


@st.cache_resource(show_spinner=False)
def start() -> dict:
    """Start the warm-up once per server process; returns its live status dict."""
    if os.environ.get("SKEWLAB_WARMUP", "1") == "0":  # AppTests: no background compiler competing for the cores
        return {"status": "off", "seconds": None}
    state = {"status": "running", "seconds": None}
    threading.Thread(target=_warm, args=(state,), name="skewlab-umap-warmup", daemon=True).start()
    return state
