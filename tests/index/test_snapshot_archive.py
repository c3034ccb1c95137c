"""The snapshot file: indexes streamed into and out of the archive, the older layout still
read, and the copy taken under the lock so that the write itself needs none."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from index.corpus import Corpus, CorpusConfig
from index.live_indexes import SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX, LiveIndexes
from index.snapshot_archive import SnapshotReader, write_snapshot
from index.vector_index import EXACT_FACTORY, VectorIndex, VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

DIMENSION = 16


def _vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _exact() -> VectorIndex:
    index = VectorIndex(DIMENSION, EXACT_FACTORY)
    index.add(np.arange(50, dtype=np.int64) * 3, _vectors(50, 1))
    return index


def _approximate() -> VectorIndex:
    index = VectorIndex(DIMENSION, "IVF4,SQ8")
    index.train(_vectors(400, 2))
    index.add(np.arange(400, dtype=np.int64) + 1000, _vectors(400, 3))
    return index


def _same_answers(first: VectorIndex, second: VectorIndex) -> None:
    for query in _vectors(5, 4):
        ids, scores = first.search(query, 10, nprobe=4)
        other_ids, other_scores = second.search(query, 10, nprobe=4)
        assert ids.tolist() == other_ids.tolist()
        np.testing.assert_allclose(scores, other_scores)


def test_indexes_and_arrays_come_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "live.g7.npz"
    exact, approximate = _exact(), _approximate()
    write_snapshot(
        path,
        {"generation": 7},
        {"alive": np.array([1, 0, 1], np.uint8)},
        {"chunks": approximate, "lexicon": exact},
    )
    assert not list(tmp_path.glob("*.tmp"))
    with SnapshotReader(path) as snapshot:
        assert snapshot.header() == {"generation": 7}
        assert snapshot.array("alive").tolist() == [1, 0, 1]
        chunks = snapshot.index("chunks", DIMENSION, "IVF4,SQ8", 400)
        lexicon = snapshot.index("lexicon", DIMENSION, EXACT_FACTORY, 0)
        with pytest.raises(KeyError):
            snapshot.array("missing")
    _same_answers(chunks, approximate)
    _same_answers(lexicon, exact)
    # still removable by id after the round trip (the direct map came back)
    chunks.remove(np.array([1000, 1001], np.int64))
    assert chunks.size == 398


def _nearest(corpus: Corpus) -> list[str]:
    query = corpus.embedder.encode_queries([synthetic_articles(1, start=2)[0].text[:80]])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, 5)]


def test_a_snapshot_in_the_older_layout_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    directory = tmp_path / "index"
    corpus = Corpus(directory, HashingEmbedder(), CorpusConfig())
    corpus.add(synthetic_articles(6))
    corpus.persist()
    expected = _nearest(corpus)
    generation = corpus.counts().generation
    path = directory / f"{SNAPSHOT_PREFIX}{generation}{SNAPSHOT_SUFFIX}"
    with SnapshotReader(path) as snapshot:
        header = snapshot.header()
        arrays = {n: snapshot.array(n) for n in ("alive", "source", "lang", "day", "chunk_article")}
        chunks = snapshot.index("chunks", corpus.embedder.dimension, header["factory"], 0)
        lexicon = snapshot.index("lexicon", corpus.embedder.dimension, header["factory"], 0)
    corpus.close()
    # what np.savez of faiss.serialize_index bytes wrote before the indexes were streamed
    np.savez(
        path,
        header=np.frombuffer(json.dumps(header).encode(), np.uint8),
        chunks=faiss.serialize_index(chunks._index),
        lexicon=faiss.serialize_index(lexicon._index),
        **arrays,
    )

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the snapshot was not read: the indexes were rebuilt")

    monkeypatch.setattr(LiveIndexes, "_replace_from_store", no_rebuild)
    reopened = Corpus(directory, HashingEmbedder(), CorpusConfig())
    monkeypatch.undo()
    assert reopened.vector_count() == reopened.counts().chunks
    assert _nearest(reopened) == expected
    reopened.close()


def test_the_write_happens_outside_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveIndexes(tmp_path, DIMENSION, VectorIndexConfig())
    live.chunks = _exact()
    writing, release = threading.Event(), threading.Event()
    original = VectorIndex.write

    def slow_write(index: VectorIndex, stream: object) -> None:
        writing.set()
        assert release.wait(10)
        original(index, stream)  # type: ignore[arg-type]

    monkeypatch.setattr(VectorIndex, "write", slow_write)
    saver = threading.Thread(target=live.save)
    saver.start()
    assert writing.wait(10)
    # a writer's catch-up takes the exclusive lock while the file is being written, and
    # what it changes does not reach the snapshot being written
    with live.lock.exclusive():
        live.chunks.add(np.array([9999], np.int64), _vectors(1, 9))
    release.set()
    saver.join(10)
    with SnapshotReader(tmp_path / f"{SNAPSHOT_PREFIX}0{SNAPSHOT_SUFFIX}") as snapshot:
        assert snapshot.index("chunks", DIMENSION, EXACT_FACTORY, 0).size == 50
    assert live.chunks.size == 51
