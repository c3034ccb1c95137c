"""FAISS inner-product index over normalised vectors, addressed by store row ids.

The vectors also live in the document store, so this file is a cache: it is saved under the
store generation it reflects and rebuilt from the store when that does not match.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.optional_imports import require

Matrix = npt.NDArray[np.float32]


class VectorIndex:
    """One FAISS index (chunks or sentences) with 64-bit ids that allow removal."""

    def __init__(self, dimension: int, factory: str = "Flat") -> None:
        self._faiss = require("faiss", "faiss-cpu")
        self.dimension = dimension
        self.factory = factory
        self._index = self._new_index()

    def _new_index(self) -> object:
        inner = self._faiss.index_factory(
            self.dimension, self.factory, self._faiss.METRIC_INNER_PRODUCT
        )
        return self._faiss.IndexIDMap2(inner)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    def add(self, ids: Sequence[int], vectors: Matrix) -> None:
        if not len(ids):
            return
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(
                f"expected {len(ids)} vectors of size {self.dimension}, got {vectors.shape}"
            )
        if not self._index.is_trained:  # type: ignore[attr-defined]
            self._index.train(np.ascontiguousarray(vectors, dtype=np.float32))  # type: ignore[attr-defined]
        self._index.add_with_ids(  # type: ignore[attr-defined]
            np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
        )

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[attr-defined]

    def search(self, query: Matrix, k: int) -> tuple[list[int], list[float]]:
        """The ``k`` nearest ids to one query vector, best first, with inner products."""
        if self.size == 0 or k <= 0:
            return [], []
        scores, ids = self._index.search(  # type: ignore[attr-defined]
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, self.size)
        )
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        return [i for i, _ in pairs], [s for _, s in pairs]

    def rebuild(self, batches: Iterable[tuple[list[int], Matrix]]) -> None:
        self._index = self._new_index()
        for ids, vectors in batches:
            self.add(ids, vectors)

    def save(self, path: Path) -> None:
        """Write atomically: a reader or a crash sees the old file or the new one."""
        temporary = path.with_name(path.name + ".tmp")
        self._faiss.write_index(self._index, str(temporary))
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path, dimension: int, factory: str) -> VectorIndex:
        loaded = cls(dimension, factory)
        index = loaded._faiss.read_index(str(path))
        if index.d != dimension:
            raise ValueError(f"{path} holds vectors of size {index.d}, expected {dimension}")
        loaded._index = index
        return loaded
