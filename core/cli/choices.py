"""The option values the command parsers offer, as plain data: building a parser (and ``--help``)
imports nothing heavy. Each equals the constant of the module that checks it (the library's own
check still runs); tests/core/test_output_speedpaths.py holds them equal."""

from __future__ import annotations

#: core.strategies.SMALL_CLASS_CHOICES
SMALL_CLASS_CHOICES: tuple[str, ...] = ("error", "lower_k", "random_over", "merge", "drop")
#: core.export.FORMATS
FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
#: core.export.SCOPES
SCOPES: tuple[str, ...] = ("whole", "split")
#: core.data.HEAD_MIN, TAIL_MAX, K_NEIGHBORS
HEAD_MIN = 100
TAIL_MAX = 20
K_NEIGHBORS = 5
#: core.text.ENCODERS (ids), core.text.DEFAULT_ENCODER first
TEXT_ENCODERS: tuple[str, ...] = ("minilm-static", "tfidf", "minilm")
