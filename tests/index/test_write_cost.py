"""One write costs O(its own size), not O(corpus): the bytes it writes do not grow with the
number of articles already stored (no index file is rewritten per write)."""

from __future__ import annotations

from pathlib import Path

from index.corpus import Corpus, CorpusConfig
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles


def _bytes_on_disk(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.iterdir() if path.is_file())


def _bytes_written_by_one_write(tmp_path: Path, stored: int) -> int:
    directory = tmp_path / f"index-{stored}"
    # snapshots far apart, as in production: only the change log grows per write
    config = CorpusConfig(vectors=VectorIndexConfig(snapshot_every_changes=10**9))
    corpus = Corpus(directory, HashingEmbedder(), config)
    corpus.add(synthetic_articles(stored))
    corpus.add(synthetic_articles(1, start=stored))  # warm: the WAL has room, pages exist
    before = _bytes_on_disk(directory)
    files = {path.name: path.stat().st_mtime_ns for path in directory.iterdir()}
    corpus.add(synthetic_articles(1, start=stored + 1))
    written = _bytes_on_disk(directory) - before
    rewritten = [
        name
        for name, modified in files.items()
        if name.endswith(".npz") and (directory / name).stat().st_mtime_ns != modified
    ]
    assert rewritten == []
    corpus.close()
    return written


def test_bytes_written_by_a_write_do_not_grow_with_the_corpus(tmp_path: Path) -> None:
    small = _bytes_written_by_one_write(tmp_path, 20)
    large = _bytes_written_by_one_write(tmp_path, 400)
    # the WAL grows by the pages the write touches: about the same at 20 and 400 articles
    assert large <= 2 * max(small, 4096)
