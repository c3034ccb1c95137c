"""The FAISS index's thread cap holds in every thread that searches, not only the one that
set it (OpenMP keeps the count per thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from index import vector_index
from index.vector_index import VectorIndex


@pytest.fixture
def capped_to_one() -> Iterator[None]:
    vector_index.cap_search_threads(1)
    yield
    vector_index.cap_search_threads(0)


def test_a_search_in_a_new_thread_uses_the_capped_thread_count(capped_to_one: None) -> None:
    faiss = pytest.importorskip("faiss")
    index = VectorIndex(4)
    index.add(np.arange(3, dtype=np.int64), np.eye(3, 4, dtype=np.float32))
    seen: dict[str, int] = {}

    def search() -> None:
        seen["before"] = faiss.omp_get_max_threads()
        ids, _ = index.search(np.ones(4, dtype=np.float32), 2)
        assert len(ids) == 2
        index.search_many(np.ones((2, 4), dtype=np.float32), 1, nprobe=1)
        seen["after"] = faiss.omp_get_max_threads()

    worker = threading.Thread(target=search)
    worker.start()
    worker.join()
    assert seen["after"] == 1
    if seen["before"] == 1:  # a one-core machine: nothing to show
        pytest.skip("OpenMP starts with one thread here")
