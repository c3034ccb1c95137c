"""SIGKILL after commits that no snapshot covers yet, at a size where the approximate index
is trained: reopening replays them and loses nothing that was committed."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from index.corpus import Corpus, CorpusConfig
from index.index_directory import STORE_NAME
from index.ingest import IngestConfig
from index.vector_index import VectorIndexConfig
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.index.synthetic import synthetic_articles

pytestmark = pytest.mark.slow

ARTICLES = 4000
CONFIG = CorpusConfig(
    ingest=IngestConfig(commit_every_articles=50),
    vectors=VectorIndexConfig(
        factory="IVF16,SQ8",
        approximate_from=1000,
        train_sample=4000,
        snapshot_every_changes=1500,
        background_training=False,
    ),
)
WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    sys.path.insert(0, {str(PROJECT_ROOT)!r})
    from index.corpus import Corpus
    from tests.conftest import HashingEmbedder
    from tests.e2e.test_crash_between_commit_and_snapshot import CONFIG
    from tests.index.synthetic import synthetic_articles
    corpus = Corpus(Path(sys.argv[1]), HashingEmbedder(), CONFIG)
    for start in range(0, {ARTICLES}, 50):
        corpus.add(synthetic_articles(50, start=start))
    """
)


def _generation(directory: Path) -> int:
    try:
        with sqlite3.connect(directory / STORE_NAME) as connection:
            row = connection.execute(
                "SELECT value FROM counts WHERE name = 'generation'"
            ).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def _snapshot_generation(directory: Path) -> int:
    names = [p.name for p in directory.glob("live.g*.npz")]
    return max((int(n[len("live.g") : -len(".npz")]) for n in names), default=0)


def test_sigkill_after_unsnapshotted_commits_loses_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 600
    # wait for an approximate snapshot, then for commits beyond it, then kill
    while not (0 < _snapshot_generation(directory) < _generation(directory) - 3):
        assert writer.poll() is None, "the writer ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)

    corpus = Corpus(directory, HashingEmbedder(), CONFIG)
    try:
        counts = corpus.counts()
        assert counts.generation > _snapshot_generation(directory)
        assert corpus.vector_index_description() == "IVF16,SQ8"
        assert corpus.vector_count() == counts.chunks
        stored = counts.articles
        assert 0 < stored < ARTICLES and stored % 50 == 0  # whole commit groups only
        # every stored article is found by its own words, the last ones committed too
        for number in [*range(0, stored, 97), stored - 1]:
            article = synthetic_articles(1, start=number)[0]
            query = corpus.embedder.encode_queries([article.text[:200]])[0]
            with corpus.read() as view:
                hits = view.search_chunks(query, 5)
            assert article.id in {hit.chunk.doc_id for hit in hits}
    finally:
        corpus.close()
