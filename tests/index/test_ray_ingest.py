"""Ray ingest on a local Ray equals the local ingest of the same articles."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.corpus import Corpus
from index.ray_ingest import RayIngestOptions, ray_ingest
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.index.synthetic import synthetic_articles

ray = pytest.importorskip("ray", reason="the ray extra: pip install -e '.[ray]'")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        # the workers import the test embedder from this checkout
        runtime_env={"env_vars": {"PYTHONPATH": str(PROJECT_ROOT)}},
    )
    yield
    ray.shutdown()


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The store's content, keyed by article id and position (row ids may differ)."""
    with sqlite3.connect(path) as connection:
        return {
            "articles": connection.execute(
                "SELECT doc_id, title, text, lang, url, published, source, summary, content_hash"
                " FROM articles ORDER BY doc_id"
            ).fetchall(),
            "sentences": connection.execute(
                "SELECT a.doc_id, s.position, s.start, s.end, s.terms, s.vector FROM sentences s"
                " JOIN articles a ON a.key = s.article ORDER BY a.doc_id, s.position"
            ).fetchall(),
            "chunks": connection.execute(
                "SELECT a.doc_id, c.first_sentence, c.last_sentence, c.start, c.end, c.vector"
                " FROM chunks c JOIN articles a ON a.key = c.article ORDER BY a.doc_id, c.start"
            ).fetchall(),
            "lexicon": connection.execute(
                "SELECT term, surface, vector FROM lexicon ORDER BY term"
            ).fetchall(),
            "term_stats": connection.execute("SELECT * FROM term_stats ORDER BY 1").fetchall(),
        }


def _assert_same_store(first: Path, second: Path) -> None:
    expected, actual = _rows(first), _rows(second)
    for table, rows in expected.items():
        assert len(actual[table]) == len(rows), table
        for want, got in zip(rows, actual[table], strict=True):
            for want_value, got_value in zip(want, got, strict=True):
                if isinstance(want_value, bytes):
                    vectors = (
                        np.frombuffer(want_value, np.float16),
                        np.frombuffer(got_value, np.float16),
                    )
                    assert np.allclose(*vectors, atol=1e-5), (table, want[:2])
                else:
                    assert want_value == got_value, (table, want[:2])


def test_ray_ingest_stores_what_a_local_ingest_stores(local_ray: None, tmp_path: Path) -> None:
    articles = synthetic_articles(40)
    local = Corpus(tmp_path / "local", HashingEmbedder())
    local.add(articles)
    local.close()
    distributed = Corpus(tmp_path / "ray", HashingEmbedder())
    committed = ray_ingest(distributed, articles, HashingEmbedder, RayIngestOptions(actors=1))
    distributed.close()
    assert committed == [article.id for article in articles]
    _assert_same_store(
        tmp_path / "local" / "documents.sqlite3", tmp_path / "ray" / "documents.sqlite3"
    )
