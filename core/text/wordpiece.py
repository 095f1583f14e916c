"""BERT's uncased WordPiece tokenizer in pure Python (the tokenizer of all-MiniLM-L6-v2).

It gives the token ids Hugging Face ``tokenizers`` gives with the model's ``tokenizer.json``
(``BertNormalizer`` with lowercasing and accent stripping, ``BertPreTokenizer``, ``WordPiece``
with ``##`` and 100 characters at most per word, the special tokens matched in the raw text),
without a compiled dependency: product titles repeat their words, so each distinct word is split
once and every later use is a dictionary lookup (100,000 titles take about 2 s).
``tests/core/test_text_encoders.py`` compares it with ``tokenizers`` on tricky strings.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from pathlib import Path

#: The special tokens of the vocabulary, matched in the raw text before anything else.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
#: Longest word (in characters) WordPiece splits; longer words are one [UNK].
MAX_WORD_CHARS = 100
_SPECIAL = re.compile(r"(\[(?:PAD|UNK|CLS|SEP|MASK)\])")
# ASCII fast path: control characters go, tab / newline / carriage return become spaces
_ASCII_CLEAN = {i: None for i in (*range(9), 11, 12, *range(14, 32), 127)} | {9: " ", 10: " ", 13: " "}
_ASCII_WORDS = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_ASCII_PUNCT = frozenset(string.punctuation)
# what Rust's char::is_whitespace calls white space (tokenizers uses it), beyond the C0 controls
_WHITESPACE = frozenset(" \t\n\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))))
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def load_vocab(path: str | Path) -> dict[str, int]:
    """Token -> id from a ``vocab.txt`` (one token a line, id = line number)."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return {tok: i for i, tok in enumerate(lines)}


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _CJK)


def _normalize(text: str) -> str:
    """BertNormalizer: drop control characters, space out CJK ideographs, strip accents, lowercase."""
    out = []
    for c in text:
        cp = ord(c)
        if c in "\t\n\r":
            out.append(" ")
        elif cp == 0 or cp == 0xFFFD or unicodedata.category(c)[0] == "C":
            continue
        elif c in _WHITESPACE:
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {c} ")
        else:
            out.append(c)
    decomposed = unicodedata.normalize("NFD", "".join(out))
    # lowercased character by character, as tokenizers does (no final-sigma rule)
    return "".join(c.lower() for c in decomposed if unicodedata.category(c) != "Mn")


def _is_punct(c: str) -> bool:
    return c in _ASCII_PUNCT or unicodedata.category(c)[0] == "P"


def _split_words(text: str) -> list[str]:
    """BertPreTokenizer: split on white space and make every punctuation character a word."""
    words: list[str] = []
    cur: list[str] = []
    for c in text:
        if c in _WHITESPACE:
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punct(c):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    return words


class WordPiece:
    """Text -> token ids of a BERT uncased vocabulary.

    Parameters
    ----------
    vocab : mapping token -> id
        The model's vocabulary (:func:`load_vocab`).
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.unk_id = vocab["[UNK]"]
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.special_ids = frozenset(vocab[t] for t in SPECIAL_TOKENS)
        self._words: dict[str, tuple[int, ...]] = {}

    def word_ids(self, word: str) -> tuple[int, ...]:
        """WordPiece of one pre-tokenized word: greedy longest match, ``##`` inside a word."""
        hit = self._words.get(word)
        if hit is not None:
            return hit
        ids: list[int] = []
        n, start = len(word), 0
        if n > MAX_WORD_CHARS:
            ids = [self.unk_id]
        while start < n and ids != [self.unk_id]:
            end, found = n, None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                ids = [self.unk_id]
                break
            ids.append(found)
            start = end
        out = tuple(ids)
        if len(self._words) < 2_000_000:  # a bound on memory for pathological inputs
            self._words[word] = out
        return out

    def _plain_ids(self, text: str) -> list[int]:
        if text.isascii():
            words = _ASCII_WORDS.findall(text.translate(_ASCII_CLEAN).lower())
        else:
            words = _split_words(_normalize(text))
        ids: list[int] = []
        for w in words:
            ids.extend(self.word_ids(w))
        return ids

    def ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without [CLS] / [SEP]."""
        if "[" not in text:
            return self._plain_ids(text)
        ids: list[int] = []
        for part in _SPECIAL.split(text):
            if part in SPECIAL_TOKENS:
                ids.append(self.vocab[part])
            elif part:
                ids.extend(self._plain_ids(part))
        return ids

    def batch_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """:meth:`ids` of every text."""
        return [self.ids(t) for t in texts]
