"""Vectors of question words already seen, so that a repeated word is not encoded again.

Questions about the same news repeat their names and content words; each word encoded
adds its tokens to the question's forward pass. Bounded, least recently used first out,
and safe to share between the threads that answer questions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from index.embedding.embedder import Matrix


class WordVectorCache:
    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[str, Matrix] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, words: Sequence[str]) -> dict[str, Matrix]:
        found: dict[str, Matrix] = {}
        with self._lock:
            for word in words:
                vector = self._vectors.get(word)
                if vector is not None:
                    self._vectors.move_to_end(word)
                    found[word] = vector
        return found

    def put_many(self, words: Sequence[str], vectors: Matrix) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            for word, vector in zip(words, vectors, strict=True):
                self._vectors[word] = vector
                self._vectors.move_to_end(word)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._vectors)
