"""Similarity scores sentence-transformers publishes for all-MiniLM-L6-v2.

Source: the sentence-transformers documentation, "Semantic Textual Similarity"
(https://www.sbert.net/docs/sentence_transformer/usage/semantic_textual_similarity.html; the first
example is also in the README of github.com/UKPLab/sentence-transformers), cosine similarity of
``SentenceTransformer("all-MiniLM-L6-v2").encode(...)``. The distillation script checks its
forward pass against them and ``tests/core/test_text_encoders.py`` checks both encoders.
"""

from __future__ import annotations

#: (left sentences, right sentences, published cosine similarity of every left-right pair).
PUBLISHED_SCORES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[float, ...], ...]], ...] = (
    (
        ("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."),
        ("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."),
        ((1.0, 0.6660, 0.1046), (0.6660, 1.0, 0.1411), (0.1046, 0.1411, 1.0)),
    ),
    (
        ("The new movie is awesome", "The cat sits outside", "A man is playing guitar"),
        ("The dog plays in the garden", "The new movie is so great", "A woman watches TV"),
        ((0.0543, 0.8939, -0.0502), (0.2838, -0.0029, 0.1310), (0.2277, -0.0136, -0.0327)),
    ),
)


def published_pairs() -> tuple[list[str], list[str], list[float]]:
    """Every published pair once (self-similarities left out): left texts, right texts, scores."""
    left: list[str] = []
    right: list[str] = []
    scores: list[float] = []
    seen: set[frozenset] = set()
    for lefts, rights, table in PUBLISHED_SCORES:
        for i, a in enumerate(lefts):
            for j, b in enumerate(rights):
                key = frozenset((a, b))
                if a == b or key in seen:
                    continue
                seen.add(key)
                left.append(a)
                right.append(b)
                scores.append(table[i][j])
    return left, right, scores
