"""A fast, deterministic hashing embedder at the real model's 384 dimensions, so that memory
and disk figures are realistic and times are the index's, not the model's.

It is the bag-of-words hashing embedder of the tests (tests/conftest.py), with each distinct
word's bucket cached: the tests' version normalises every text character by character in
Python, which made it 70% of ingest time here (about 24 articles/s on 2 cores).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embedding.embedder import FINGERPRINT_PROBE
from index.text.normalize import normalize


class HashingEmbedder:
    def __init__(self, dimension: int = 384, name: str = "bench/hashing-384") -> None:
        self.name = name
        self.dimension = dimension
        self._buckets: dict[str, tuple[int, ...]] = {}

    def _word_buckets(self, word: str) -> tuple[int, ...]:
        found = self._buckets.get(word)
        if found is None:
            found = tuple(
                int.from_bytes(
                    hashlib.blake2b(part.strip(".,:;!?\"'").encode(), digest_size=4).digest(),
                    "little",
                )
                % self.dimension
                for part in normalize(word).split()
            )
            self._buckets[word] = found
        return found

    def _vector(self, text: str) -> np.ndarray:
        buckets = [b for word in text.split() for b in self._word_buckets(word)]
        vector = np.bincount(buckets, minlength=self.dimension).astype(np.float32)
        norm = float(np.sqrt(vector @ vector))
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.vstack([self._vector(t) for t in texts])

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> np.ndarray:
        return self.encode_queries(texts)

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        return self.encode_queries(words)

    def encode_query_and_words(
        self, query: str, words: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._vector(query), self.encode_queries(words)

    def fingerprint_vector(self) -> list[float]:
        return [round(float(v), 5) for v in self._vector(FINGERPRINT_PROBE)]
