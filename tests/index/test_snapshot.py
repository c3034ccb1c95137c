"""iqtibas snapshot: a consistent copy of an index, taken while a writer keeps writing, that a
read-only replica opens at the copied generation without replaying or rebuilding."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import index.snapshot as snapshot_module
from index.corpus import Corpus, CorpusConfig
from index.index_directory import STORE_NAME
from index.ingest import IngestConfig
from index.manifest import Manifest
from index.read_only_corpus import ReadOnlyCorpus
from index.snapshot import (
    NoIndexError,
    SnapshotDestinationError,
    SnapshotResult,
    snapshot_index,
)
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

# a snapshot of the vectors (and a log prune) after nearly every commit: the races to survive
EAGER = VectorIndexConfig(snapshot_every_changes=1, background_training=False)
CONFIG = CorpusConfig(ingest=IngestConfig(commit_every_articles=2), vectors=EAGER)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Corpus]:
    corpus = Corpus(tmp_path / "index", HashingEmbedder(), CONFIG)
    yield corpus
    corpus.close()


def _ids(corpus: Corpus, text: str, k: int = 5) -> list[str]:
    query = corpus.embedder.encode_queries([text])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, k)]


def _vector_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("live.g*.npz"))


def _store_ids(directory: Path) -> set[str]:
    with sqlite3.connect(directory / STORE_NAME) as connection:
        return {row[0] for row in connection.execute("SELECT doc_id FROM articles")}


def assert_consistent_copy(directory: Path) -> int:
    """Every article is whole, the counts are the rows', and the one vector snapshot, the
    manifest and the store are at the same generation; returns that generation."""
    with sqlite3.connect(directory / STORE_NAME) as connection:
        counts = dict(connection.execute("SELECT name, value FROM counts").fetchall())
        for table in ("articles", "chunks", "sentences"):
            (rows,) = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            assert counts.get(table, 0) == rows, table
        articles = connection.execute("SELECT key, doc_id, length(text) FROM articles").fetchall()
        for key, doc_id, length in articles:
            positions = [
                row[0]
                for row in connection.execute(
                    "SELECT position FROM sentences WHERE article = ? ORDER BY position", (key,)
                )
            ]
            assert positions == list(range(len(positions))) and positions, doc_id
            chunks = connection.execute(
                "SELECT first_sentence, last_sentence, start, end FROM chunks WHERE article = ?",
                (key,),
            ).fetchall()
            assert chunks, doc_id
            for first, last, start, end in chunks:
                assert 0 <= first <= last < len(positions) and 0 <= start < end <= length
        (orphans,) = connection.execute(
            "SELECT COUNT(*) FROM chunks WHERE article NOT IN (SELECT key FROM articles)"
        ).fetchone()
        assert orphans == 0
    generation = int(counts.get("generation", 0))
    assert _vector_files(directory) == [f"live.g{generation}.npz"]
    manifest = Manifest.read(directory)
    assert manifest is not None and manifest.counts["generation"] == generation
    assert manifest.counts["articles"] == counts.get("articles", 0)
    assert not (directory / "writes.sqlite3").exists() and not (directory / "writer.lock").exists()
    return generation


def _open_replica(directory: Path) -> ReadOnlyCorpus:
    return ReadOnlyCorpus(directory, HashingEmbedder(), CONFIG)


def test_a_snapshot_opens_read_only_and_answers(tmp_path: Path, writer: Corpus) -> None:
    articles = synthetic_articles(12)
    writer.add(articles)
    writer.delete(["synthetic-4"])  # a removal in the log after the last vector snapshot
    destination = tmp_path / "copy"

    result = snapshot_index(writer.directory, destination, EAGER)

    assert result.generation == writer.counts().generation == assert_consistent_copy(destination)
    assert (result.articles, result.chunks) == (11, writer.counts().chunks)
    replica = _open_replica(destination)
    try:
        assert replica.vector_count() == replica.counts().chunks == writer.counts().chunks
        assert _ids(replica, articles[7].text)[0] == "synthetic-7"
        assert "synthetic-4" not in _ids(replica, articles[4].text, k=100)
    finally:
        replica.close()
    # the replica wrote nothing: the copy stays as shipped
    assert_consistent_copy(destination)


def test_an_existing_empty_directory_takes_the_copy(tmp_path: Path, writer: Corpus) -> None:
    writer.add(synthetic_articles(3))
    destination = tmp_path / "empty"
    destination.mkdir()
    snapshot_index(writer.directory, destination, EAGER)
    assert _store_ids(destination) == {"synthetic-0", "synthetic-1", "synthetic-2"}


def test_a_destination_that_holds_anything_is_refused_untouched(
    tmp_path: Path, writer: Corpus
) -> None:
    writer.add(synthetic_articles(2))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me too")
    for destination in (occupied, a_file, writer.directory, writer.directory / "inside"):
        with pytest.raises(SnapshotDestinationError) as refused:
            snapshot_index(writer.directory, destination, EAGER)
        assert str(destination) in str(refused.value)
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    assert a_file.read_text() == "keep me too"
    assert not (writer.directory / "inside").exists()
    # no half-built copy is left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "index", "occupied"]


def test_a_directory_without_an_index_is_not_copied(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    with pytest.raises(NoIndexError, match="no index in"):
        snapshot_index(tmp_path / "nothing", tmp_path / "copy", EAGER)
    assert not (tmp_path / "copy").exists()


def test_a_vector_snapshot_saved_after_the_backup_is_not_used(
    tmp_path: Path, writer: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: between the store backup and the copy of the vector files, the writer
    commits, saves a newer vector snapshot (deleting the older one) and prunes its log past
    the copied generation. The copy still opens at the backed-up generation."""
    writer.add(synthetic_articles(10))
    writer.persist()
    backed_up = writer.counts().generation
    backup = snapshot_module.backup_store

    def backup_then_write(source: Path, target: Path) -> None:
        backup(source, target)
        writer.delete(["synthetic-1"])
        writer.add(synthetic_articles(4, start=10))
        writer.persist()

    monkeypatch.setattr(snapshot_module, "backup_store", backup_then_write)
    result = snapshot_index(writer.directory, tmp_path / "copy", EAGER)

    assert _vector_files(writer.directory) == [f"live.g{writer.counts().generation}.npz"]
    assert result.generation == backed_up == assert_consistent_copy(tmp_path / "copy")
    assert result.base_generation is None  # the only file was newer than the copy: rebuilt
    assert _store_ids(tmp_path / "copy") == {f"synthetic-{n}" for n in range(10)}
    replica = _open_replica(tmp_path / "copy")
    try:
        assert _ids(replica, synthetic_articles(2)[1].text)[0] == "synthetic-1"
        assert replica.vector_count() == replica.counts().chunks
    finally:
        replica.close()


def test_an_older_vector_snapshot_is_brought_up_to_the_copy_through_its_log(
    tmp_path: Path,
) -> None:
    lazy = VectorIndexConfig(snapshot_every_changes=1_000_000, background_training=False)
    writer = Corpus(tmp_path / "index", HashingEmbedder(), CorpusConfig(vectors=lazy))
    articles = synthetic_articles(10)
    writer.add(articles)
    writer.persist()
    saved = writer.counts().generation
    # changes the writer has not snapshotted: only the log holds them
    writer.delete(["synthetic-2"])
    writer.add(synthetic_articles(1, start=10))
    assert _vector_files(writer.directory) == [f"live.g{saved}.npz"]

    result = snapshot_index(writer.directory, tmp_path / "copy", EAGER)
    current = writer.counts().generation
    writer.close()

    assert result.base_generation == saved < result.generation
    assert assert_consistent_copy(tmp_path / "copy") == current
    replica = _open_replica(tmp_path / "copy")
    try:
        assert "synthetic-2" not in _ids(replica, articles[2].text, k=100)
        assert _ids(replica, synthetic_articles(1, start=10)[0].text)[0] == "synthetic-10"
    finally:
        replica.close()


def test_a_snapshot_taken_during_an_ingest_holds_one_whole_generation(
    tmp_path: Path, writer: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer thread adds articles in commit groups and deletes some, saving vector
    snapshots and pruning its log as it goes; the snapshot starts once the ingest is under
    way and runs beside it. Whatever the interleaving, the copy holds exactly the articles
    of one generation the writer went through, each one whole."""
    writer.add(synthetic_articles(4))
    # generation -> the articles the store held then (only this thread writes)
    history: dict[int, set[str]] = {writer.counts().generation: _store_ids(writer.directory)}
    under_way, snapshot_started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            held = set(history[max(history)])
            for group in range(12):
                # one commit group, one generation
                held.update(writer.add(synthetic_articles(2, start=4 + 2 * group)))
                history[writer.counts().generation] = set(held)
                if group % 3 == 2:
                    doomed = f"synthetic-{2 * group}"
                    writer.delete([doomed])
                    held.discard(doomed)
                    history[writer.counts().generation] = set(held)
                if group == 0:
                    under_way.set()
                    assert snapshot_started.wait(60)
        except BaseException as error:
            failures.append(error)
            under_way.set()

    backup = snapshot_module.backup_store

    def announced_backup(source: Path, target: Path) -> None:
        snapshot_started.set()  # the writer goes on while the copy is taken
        backup(source, target)

    monkeypatch.setattr(snapshot_module, "backup_store", announced_backup)
    thread = threading.Thread(target=ingest)
    thread.start()
    try:
        assert under_way.wait(60)
        result: SnapshotResult = snapshot_index(writer.directory, tmp_path / "copy", EAGER)
    finally:
        snapshot_started.set()
        thread.join(120)
    assert not failures, failures

    generation = assert_consistent_copy(tmp_path / "copy")
    assert result.generation == generation
    assert _store_ids(tmp_path / "copy") == history[generation]
    replica = _open_replica(tmp_path / "copy")
    try:
        assert replica.vector_count() == replica.counts().chunks
        held = sorted(history[generation])
        for doc_id in held:
            number = int(doc_id.rsplit("-", 1)[1])
            text = synthetic_articles(1, start=number)[0].text
            assert _ids(replica, text)[0] == doc_id
    finally:
        replica.close()
