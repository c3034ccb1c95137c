"""One FAISS index of unit vectors under inner product, addressed by 64-bit store ids.

Two shapes, both supporting add and remove in O(batch):
- exact: ``Flat`` inside an ``IDMap2``, for small corpora;
- approximate: an IVF index (``IVF{lists},SQ8`` by default) with a hash-table direct map, so
  that removing an id does not scan every list. It must be trained on a representative
  sample before the first add; ``approximate_factory`` sizes it from the corpus.

The index is a cache of vectors kept in the document store: whatever it holds can be rebuilt
from there, and its snapshots carry the store generation they reflect.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from index.optional_imports import require

Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
EXACT_FACTORY = "Flat"

# OpenMP keeps its thread count per OS thread: a cap set once in the main thread left every
# request thread searching with all cores, and on 2 cores a question's lexicon lookups
# then spun against its own forward pass (7.5 ms of a 40 ms English /ask over HTTP).
_threads_per_search = 0
_capped_here = threading.local()


def cap_search_threads(threads: int) -> None:
    """Search (and add) with at most ``threads`` OpenMP threads in every thread that calls
    FAISS from now on; 0 leaves FAISS's default (all cores)."""
    global _threads_per_search
    _threads_per_search = threads


def _cap_this_thread(faiss: Any) -> None:
    if _threads_per_search > 0 and getattr(_capped_here, "threads", 0) != _threads_per_search:
        faiss.omp_set_num_threads(_threads_per_search)
        _capped_here.threads = _threads_per_search


@dataclass(frozen=True)
class VectorIndexConfig:
    # "auto": exact until the corpus holds ``approximate_from`` vectors, then an IVF index
    # with ``codec``; "Flat" always exact; any other FAISS IVF factory string is used as given
    factory: str = "auto"
    approximate_from: int = 100_000
    codec: str = "SQ8"
    # approximate candidates re-scored with the exact stored vectors; 0 keeps FAISS scores
    rerank: int = 64
    # inverted lists probed per question (more: better recall, slower); 0: a sixteenth of the
    # lists, at least 16, which kept recall@10 near 0.96 in eval/reports/scale/factories
    nprobe: int = 0
    # vectors drawn from the store to train the approximate index
    train_sample: int = 80_000
    # retrain (in the background) once the corpus has grown this many times since training
    retrain_growth: float = 4.0
    # chunk vectors added or removed between snapshots of the in-memory indexes: more makes
    # writes cheaper and opening after a crash slower (the changes since are replayed)
    snapshot_every_changes: int = 50_000
    # train and swap the approximate index in a background thread (False: in the write)
    background_training: bool = True

    def wants_approximate(self, vectors: int) -> bool:
        """Approximate only from ``approximate_from`` vectors on, and with enough of them to
        train every list (FAISS asks for 39 per list), never on a first small batch."""
        if self.factory == EXACT_FACTORY or vectors < self.approximate_from:
            return False
        return vectors >= 39 * _lists(self.approximate_factory(vectors))

    def approximate_factory(self, vectors: int) -> str:
        """The factory string for a corpus of ``vectors``: about 2 sqrt(n) lists, a power of
        two between 256 and 16384 (see eval/reports/scale/factories for the measurements)."""
        if self.factory not in ("auto", EXACT_FACTORY):
            return self.factory
        lists = 2 ** round(math.log2(max(1.0, 2 * math.sqrt(vectors))))
        return f"IVF{min(16384, max(256, lists))},{self.codec}"


class VectorIndex:
    """Not thread-safe for writes: the owner serialises add/remove against searches."""

    def __init__(self, dimension: int, factory: str = EXACT_FACTORY, trained_on: int = 0):
        self._faiss = require("faiss", "faiss-cpu")
        self.dimension = dimension
        self.factory = factory
        # how many vectors the approximate index was trained with (0 for exact)
        self.trained_on = trained_on
        self._index: Any = self._new_index()

    @property
    def is_exact(self) -> bool:
        return self.factory == EXACT_FACTORY

    def _new_index(self) -> Any:
        faiss = self._faiss
        if self.is_exact:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        index = faiss.index_factory(self.dimension, self.factory, faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        if ivf is None:
            raise ValueError(f"{self.factory!r} is not an IVF factory string (or 'Flat')")
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        return index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def is_trained(self) -> bool:
        return bool(self._index.is_trained)

    def train(self, sample: Matrix) -> None:
        if self.is_exact:
            return
        lists = self._ivf().nlist
        if len(sample) < lists:
            raise ValueError(f"{self.factory} needs at least {lists} training vectors")
        self._index.train(np.ascontiguousarray(sample, dtype=np.float32))
        self.trained_on = len(sample)

    def add(self, ids: Ids, vectors: Matrix) -> None:
        if not len(ids):
            return
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected {len(ids)} vectors of size {self.dimension}")
        if not self.is_trained:
            raise RuntimeError("the approximate index must be trained before vectors are added")
        _cap_this_thread(self._faiss)
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
        )

    def remove(self, ids: Ids) -> None:
        if len(ids) and self.size:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(
        self,
        query: Matrix,
        k: int,
        allowed_bitmap: npt.NDArray[np.uint8] | None = None,
        nprobe: int = 1,
    ) -> tuple[Ids, Matrix]:
        """The ``k`` nearest ids to one query vector, best first, with their scores (exact
        for Flat, approximate otherwise). ``allowed_bitmap`` (bit i of byte i >> 3, little
        endian) keeps only the ids it marks; it must stay alive during the call."""
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        if self.size == 0 or k <= 0:
            return empty
        faiss = self._faiss
        _cap_this_thread(faiss)
        selector = (
            None
            if allowed_bitmap is None
            else faiss.IDSelectorBitmap(len(allowed_bitmap) * 8, faiss.swig_ptr(allowed_bitmap))
        )
        if self.is_exact:
            parameters: Any = faiss.SearchParameters(sel=selector) if selector else None
        else:
            parameters = faiss.SearchParametersIVF(nprobe=max(1, nprobe))
            if selector is not None:
                parameters.sel = selector
        scores, ids = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32),
            min(k, self.size),
            params=parameters,
        )
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def search_many(self, queries: Matrix, k: int, nprobe: int) -> tuple[Matrix, Ids]:
        """Scores and ids of the ``k`` nearest per query row (-1 where there are fewer)."""
        parameters = None if self.is_exact else self._faiss.SearchParametersIVF(nprobe=nprobe)
        _cap_this_thread(self._faiss)
        scores, ids = self._index.search(
            np.ascontiguousarray(queries, dtype=np.float32), k, params=parameters
        )
        return scores, ids

    def reconstruct(self, row_id: int) -> Matrix:
        vector: Matrix = self._index.reconstruct(int(row_id))
        return vector

    def _ivf(self) -> Any:
        return self._faiss.extract_index_ivf(self._index)

    def probes(self, configured: int) -> int:
        """Lists to probe: as configured, or by default a sixteenth of them (at least 16)."""
        if self.is_exact:
            return 1
        return min(self.lists, configured or max(16, self.lists // 16))

    @property
    def lists(self) -> int:
        return 0 if self.is_exact else int(self._ivf().nlist)

    def copy(self) -> VectorIndex:
        """An independent copy: one memory copy of the codes, quick enough to take under a
        lock (serialising to bytes took about six times as long)."""
        return self._wrap(
            self._faiss.clone_index(self._index), self.dimension, self.factory, self.trained_on
        )

    def write(self, stream: IO[bytes]) -> None:
        """Write the index to ``stream`` piece by piece, never a second whole copy in memory."""
        self._faiss.write_index(self._index, self._faiss.PyCallbackIOWriter(stream.write))

    @classmethod
    def read(cls, stream: IO[bytes], dimension: int, factory: str, trained_on: int) -> VectorIndex:
        """An index written by ``write``, read from ``stream`` piece by piece."""
        faiss = require("faiss", "faiss-cpu")
        return cls._wrap(
            faiss.read_index(faiss.PyCallbackIOReader(stream.read)), dimension, factory, trained_on
        )

    @classmethod
    def deserialize(
        cls, data: npt.NDArray[np.uint8], dimension: int, factory: str, trained_on: int
    ) -> VectorIndex:
        """An index held as a byte array (how snapshots stored it before ``write``)."""
        faiss = require("faiss", "faiss-cpu")
        return cls._wrap(faiss.deserialize_index(data), dimension, factory, trained_on)

    @classmethod
    def _wrap(cls, index: Any, dimension: int, factory: str, trained_on: int) -> VectorIndex:
        if index.d != dimension:
            raise ValueError(f"the index holds vectors of size {index.d}, expected {dimension}")
        loaded = cls(dimension, EXACT_FACTORY)
        loaded.factory = factory
        loaded.trained_on = trained_on
        loaded._index = index
        if not loaded.is_exact:
            loaded._ivf().set_direct_map_type(loaded._faiss.DirectMap.Hashtable)
        return loaded


def _lists(factory: str) -> int:
    head = factory.split(",")[0]
    return int(head[3:]) if head.startswith("IVF") and head[3:].isdigit() else 1
