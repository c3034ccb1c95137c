"""Several processes that save vector snapshots of one index (a writer server, a command such
as `iqtibas ask` that saves on close): a save of an older generation than another process's
must neither delete the newer snapshot nor lower the log floor under it, or a replica that
follows the log misses removals the newer save pruned."""

from __future__ import annotations

from pathlib import Path

from index.corpus import Corpus, CorpusConfig
from index.read_only_corpus import ReadOnlyCorpus
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

LAZY = CorpusConfig(
    vectors=VectorIndexConfig(snapshot_every_changes=1_000_000, background_training=False)
)


def _ids(corpus: Corpus, text: str, k: int = 100) -> list[str]:
    query = corpus.embedder.encode_queries([text])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, k)]


def test_an_older_save_by_another_process_keeps_the_newer_snapshot_and_log_floor(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "index"
    writer = Corpus(directory, HashingEmbedder(), LAZY)
    writer.add(synthetic_articles(10))
    writer.persist()
    writer.add(synthetic_articles(1, start=10))  # in the log only
    # another process opens here: it replays that change, so it saves when it closes
    other = Corpus(directory, HashingEmbedder(), LAZY)
    replica = ReadOnlyCorpus(directory, HashingEmbedder(), LAZY)
    doomed = synthetic_articles(4)[3].text
    assert "synthetic-3" in _ids(replica, doomed)

    writer.delete(["synthetic-3"])
    writer.add(synthetic_articles(5, start=11))
    writer.persist()  # forgets the removal: every process past it loads this snapshot
    newest = f"live.g{writer.counts().generation}.npz"
    other.close()  # saves its older generation

    # the newer snapshot stays: without it, every process behind it rebuilds from the store
    assert (directory / newest).exists()
    assert "synthetic-3" not in _ids(replica, doomed)
    assert replica.vector_count() == writer.counts().chunks
    reopened = ReadOnlyCorpus(directory, HashingEmbedder(), LAZY)
    assert "synthetic-3" not in _ids(reopened, doomed)
    assert reopened.vector_count() == writer.counts().chunks
    for corpus in (reopened, replica, writer):
        corpus.close()
