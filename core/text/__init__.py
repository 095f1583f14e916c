"""Text encoders of the feature space: the registry (:mod:`~core.text.encoders`), the static MiniLM
table (:mod:`~core.text.static`), the full MiniLM model (:mod:`~core.text.minilm`, optional), the
tokenizer (:mod:`~core.text.wordpiece`) and the embedding cache (:mod:`~core.text.cache`)."""

from core.text.cache import EmbeddingCache, default_cache, embed_cached
from core.text.encoders import (
    DEFAULT_ENCODER,
    ENCODERS,
    EncoderSpec,
    EncoderUnavailableError,
    available_encoders,
    estimate_seconds,
    get_spec,
    make_encoder,
    require,
)

__all__ = [
    "DEFAULT_ENCODER", "ENCODERS", "EmbeddingCache", "EncoderSpec", "EncoderUnavailableError", "available_encoders",
    "default_cache", "embed_cached", "estimate_seconds", "get_spec", "make_encoder", "require",
]
