"""One write costs O(its own size), not O(corpus): neither the bytes it writes nor the SQLite
work it does grows with the number of articles already stored. Work is counted in SQLite
virtual-machine steps, which are deterministic, where time would be noise: a query that
scans a whole table instead of using an index shows up here at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.corpus import Corpus, CorpusConfig
from index.document_store import DocumentStore
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

STEPS_PER_CALL = 100


@dataclass
class _Cost:
    bytes_written: int
    sqlite_steps: int


@pytest.fixture
def step_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the SQLite VM steps of every store connection (in hundreds)."""
    steps = [0]
    original = DocumentStore._connect

    def counted(self: DocumentStore) -> sqlite3.Connection:
        connection = original(self)

        def tick() -> int:
            steps[0] += 1
            return 0

        connection.set_progress_handler(tick, STEPS_PER_CALL)
        return connection

    monkeypatch.setattr(DocumentStore, "_connect", counted)
    yield steps


def _empty_the_wal(directory: Path) -> None:
    with sqlite3.connect(directory / "documents.sqlite3") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _cost_of_one_write(tmp_path: Path, stored: int, steps: list[int]) -> _Cost:
    directory = tmp_path / f"index-{stored}"
    # snapshots far apart, as in production: only the change log grows per write
    config = CorpusConfig(vectors=VectorIndexConfig(snapshot_every_changes=10**9))
    corpus = Corpus(directory, HashingEmbedder(), config)
    corpus.add(synthetic_articles(stored))
    corpus.add(synthetic_articles(1, start=stored))  # warm: the WAL has room, pages exist
    _empty_the_wal(directory)
    files = {path.name: path.stat().st_mtime_ns for path in directory.iterdir()}
    steps_before = steps[0]
    corpus.add(synthetic_articles(1, start=stored + 1))
    corpus.delete([f"synthetic-{stored}"])
    # what the two writes appended to the write-ahead log: the pages they changed
    wal = (directory / "documents.sqlite3-wal").stat().st_size
    cost = _Cost(wal, steps[0] - steps_before)
    rewritten = [
        name
        for name, modified in files.items()
        if name.endswith(".npz") and (directory / name).stat().st_mtime_ns != modified
    ]
    assert rewritten == []
    corpus.close()
    return cost


def test_a_write_costs_the_same_at_20_and_400_articles(
    tmp_path: Path, step_counter: list[int]
) -> None:
    small = _cost_of_one_write(tmp_path, 20, step_counter)
    large = _cost_of_one_write(tmp_path, 400, step_counter)
    # the pages a write changes: about the same at 20 and 400 articles (a B-tree level more)
    assert 0 < large.bytes_written <= 2 * small.bytes_written
    # a scan of every chunk (4,000 rows here) would take tens of thousands of steps more
    assert large.sqlite_steps <= 1.5 * small.sqlite_steps
