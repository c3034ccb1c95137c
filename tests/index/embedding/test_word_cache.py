"""The word-vector cache returns what was put, evicts the least recently used, and can be off."""

from __future__ import annotations

import numpy as np

from index.embedding.word_cache import WordVectorCache


def _vectors(count: int) -> np.ndarray:
    return np.arange(count * 3, dtype=np.float32).reshape(count, 3)


def test_returns_stored_vectors_and_only_those() -> None:
    cache = WordVectorCache(capacity=10)
    cache.put_many(["peace", "talks"], _vectors(2))
    found = cache.get_many(["talks", "war", "peace"])
    assert set(found) == {"peace", "talks"}
    np.testing.assert_array_equal(found["talks"], _vectors(2)[1])


def test_evicts_least_recently_used_first() -> None:
    cache = WordVectorCache(capacity=2)
    cache.put_many(["first", "second"], _vectors(2))
    cache.get_many(["first"])  # now "second" is the oldest
    cache.put_many(["third"], _vectors(1))
    assert set(cache.get_many(["first", "second", "third"])) == {"first", "third"}
    assert len(cache) == 2


def test_capacity_zero_keeps_nothing() -> None:
    cache = WordVectorCache(capacity=0)
    cache.put_many(["word"], _vectors(1))
    assert cache.get_many(["word"]) == {}
