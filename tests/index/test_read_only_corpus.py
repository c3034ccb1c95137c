"""A read-only corpus follows another process's writes and never writes the directory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.corpus import Corpus, CorpusConfig
from index.read_only_corpus import ReadOnlyCorpus, ReadOnlyIndexError
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

SYNC = VectorIndexConfig(snapshot_every_changes=50, background_training=False)


def _ids(corpus: Corpus, text: str, k: int = 5) -> list[str]:
    query = corpus.embedder.encode_queries([text])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, k)]


def _fingerprint(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_no_index_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(ReadOnlyIndexError, match=r"no index in .*iqtibas snapshot"):
        ReadOnlyCorpus(tmp_path / "absent", HashingEmbedder())
    assert not (tmp_path / "absent").exists()


def test_it_follows_the_writer_past_log_pruning_and_writes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    writer = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    writer.add(synthetic_articles(5))
    writer.close()  # saves a vector snapshot the replica opens from
    writer = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    replica = ReadOnlyCorpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    target = synthetic_articles(1, start=3)[0].text
    assert _ids(replica, target)[0] == "synthetic-3"

    # the writer deletes, adds, snapshots and forgets the removals the replica has not seen
    writer.delete(["synthetic-3"])
    writer.add(synthetic_articles(40, start=5))
    writer.persist()
    assert "synthetic-3" not in _ids(replica, target, k=100)
    assert _ids(replica, synthetic_articles(1, start=44)[0].text)[0] == "synthetic-44"
    assert replica.vector_count() == writer.counts().chunks

    # more changes, which the replica applies from the log and never snapshots itself
    writer.add(synthetic_articles(3, start=45))
    before = _fingerprint(directory)
    assert _ids(replica, synthetic_articles(1, start=46)[0].text)[0] == "synthetic-46"
    replica.train_vectors()  # a rebuild, in memory only
    replica.close()
    assert _fingerprint(directory) == before
    writer.close()


def test_every_write_is_refused_with_what_to_do(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    Corpus(directory, HashingEmbedder()).close()
    replica = ReadOnlyCorpus(directory, HashingEmbedder())
    try:
        for write in (
            lambda: replica.add(synthetic_articles(1)),
            lambda: replica.add_prepared([]),
            lambda: replica.delete(["synthetic-0"]),
            lambda: replica.set_meta({"seeded": "1"}),
        ):
            with pytest.raises(ReadOnlyIndexError, match="IQTIBAS_READ_ONLY"):
                write()
    finally:
        replica.close()
    reopened = Corpus(directory, HashingEmbedder())
    assert reopened.counts().articles == 0 and reopened.get_meta("seeded") is None
    reopened.close()
