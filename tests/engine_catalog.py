"""A small long-tailed catalog split into shuffled files, for the engine tests (tests/core/test_dask_engine.py, test_engines.py), and the recipes they replay on it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core.data import FeatureConfig
from core.export import InputSpec, LabelSpec, make_recipe, write_table

ROLES = {"sku": "id", "category": "label", "brand": "categorical", "price": "numeric", "rating": "numeric",
         "title": "ignore"}
FEATURES = FeatureConfig(numeric=("price", "rating"), categorical=("brand",))
#: Whether this Skewlab has text encoders of fixed weights (core.text).
HAS_ENCODERS = "text_encoder" in FeatureConfig.__dataclass_fields__


def text_features(encoder: str) -> FeatureConfig:
    """The features with the title as text, encoded by ``encoder``."""
    return FeatureConfig(numeric=("price", "rating"), categorical=("brand",), text=("title",), text_encoder=encoder)


WORDS = ("wooden", "plush", "puzzle", "train", "doll", "robot", "kit", "castle", "racing", "pirate", "garden",
         "magnetic", "musical", "ocean", "space", "farm", "block", "card", "marble", "kite")


def catalog(n_classes: int = 20, seed: int = 0) -> pd.DataFrame:
    """About 2,200 rows in ``n_classes`` classes (600 rows down to 3), a categorical column with empty
    cells, two numeric columns with empty cells (prices whole in every third class, decimals elsewhere),
    a title (a few words, some of them the class's own), and 40 rows without a label."""
    rng = np.random.default_rng(seed)
    rows = []
    brands = [f"brand{i}" for i in range(14)]
    for k in range(n_classes):
        n = max(3, int(600 * 0.72**k))
        centre = rng.normal(0, 3)
        for i in range(n):
            price = round(float(abs(centre * 10 + rng.normal(20, 5))), 2)
            rows.append({
                "sku": f"S{k:02d}-{i:04d}",
                "category": f"Toys > Kind {k:02d}",
                "brand": "" if rng.random() < 0.1 else brands[int(rng.integers(0, 3 + k % 11))],
                "price": np.nan if rng.random() < 0.12 else (float(round(price)) if k % 3 == 0 else price),
                "rating": None if rng.random() < 0.15 else int(rng.integers(1, 6)),
                "title": " ".join([WORDS[k], *(WORDS[j] for j in rng.integers(0, len(WORDS), 3))]),
            })
    for i in range(40):
        rows.append({"sku": f"U{i:03d}", "category": None, "brand": "brand1", "price": 9.5, "rating": 3,
                     "title": "unlabelled toy"})
    frame = pd.DataFrame(rows)
    frame["rating"] = frame["rating"].astype("Int64")
    return frame


def write_shuffled(frame: pd.DataFrame, folder: Path, *, parts: int = 4, seed: int = 1, fmt: str = "parquet") -> Path:
    """The catalog's rows shuffled and split into ``parts`` files of ``folder`` (``part-00.parquet``...)."""
    folder.mkdir(parents=True, exist_ok=True)
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    bounds = np.linspace(0, len(shuffled), parts + 1).astype(int)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        part = shuffled.iloc[lo:hi]
        if fmt == "csv":
            part.to_csv(folder / f"part-{i:02d}.csv", index=False)
        else:
            part.to_parquet(folder / f"part-{i:02d}.parquet", index=False)
    return folder


def recipe(strategy: str, *, params: dict | None = None, target: str | dict = "auto", small_classes: str = "error",
           seed: int = 3, features: FeatureConfig = FEATURES, roles: dict | None = None):
    """A recipe for the catalog."""
    return make_recipe(input=InputSpec("catalog.parquet", "0" * 64, "parquet"), roles=roles or ROLES,
                       label=LabelSpec("category"), features=features, strategy=strategy, params=params or {},
                       target=target, small_classes=small_classes, seed=seed)


def rows_of(table) -> list[tuple]:
    """A table's rows as sorted tuples of exact values (Arrow's Python values, NA as None; floats by repr)."""
    if isinstance(table, pd.DataFrame):
        table = pq.read_table(io.BytesIO(write_table(table, "parquet")))
    names = sorted(table.column_names)
    columns = [table.column(c).to_pylist() for c in names]
    return sorted(tuple(repr(v) for v in row) for row in zip(*columns))


def read_dataset(folder: Path) -> object:
    """A Parquet folder as one Arrow table (files and folders starting with _ or . left out)."""
    return pq.read_table(folder)
