"""Ray ingest on a local Ray (2 CPUs, no dashboard) stores what a local ingest stores."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.corpus import Corpus
from index.ray_ingest import (
    RayIngestError,
    RayIngestOptions,
    actor_device,
    default_actor_count,
    ray_ingest,
)
from index.seeds import read_seeds
from tests.conftest import PROJECT_ROOT, HashingEmbedder, load_fixture_articles
from tests.index.ray_support import (
    CONFIG,
    WORKER_ENVIRONMENT,
    hashing,
    other_hashing,
)
from tests.index.synthetic import synthetic_articles

ray = pytest.importorskip("ray", reason="the ray extra: pip install -e '.[ray]'")


SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        # the workers import the test embedders from this checkout
        runtime_env=WORKER_ENVIRONMENT,
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
    # real prose (many word forms per lexicon term) among synthetic articles
    articles = (
        synthetic_articles(10)
        + load_fixture_articles()
        + read_seeds(SEEDS)
        + synthetic_articles(25, start=10)
    )
    local = Corpus(tmp_path / "local", HashingEmbedder(), CONFIG)
    distributed = Corpus(tmp_path / "ray", HashingEmbedder(), CONFIG)
    # both start from the same stored articles, so the actors meet terms already known
    local.add(articles[:10])
    distributed.add(articles[:10])
    local.add(articles[10:])
    committed = ray_ingest(distributed, articles[10:], hashing, RayIngestOptions(actors=1))
    local.close()
    distributed.close()
    assert committed == [article.id for article in articles[10:]]
    _assert_same_store(
        tmp_path / "local" / "documents.sqlite3", tmp_path / "ray" / "documents.sqlite3"
    )


def test_replacing_articles_through_ray_keeps_the_store_equal(
    local_ray: None, tmp_path: Path
) -> None:
    articles = synthetic_articles(12)
    edited = [replace(article, text=article.text + " وأضاف المتحدث.") for article in articles[:6]]
    local = Corpus(tmp_path / "local", HashingEmbedder(), CONFIG)
    distributed = Corpus(tmp_path / "ray", HashingEmbedder(), CONFIG)
    for corpus in (local, distributed):
        corpus.add(articles)
    local.add(edited)
    ray_ingest(distributed, edited, hashing, RayIngestOptions(actors=1))
    local.close()
    distributed.close()
    _assert_same_store(
        tmp_path / "local" / "documents.sqlite3", tmp_path / "ray" / "documents.sqlite3"
    )


def test_a_worker_with_another_model_commits_nothing(local_ray: None, tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder(), CONFIG)
    with pytest.raises(RayIngestError, match="different vectors"):
        ray_ingest(corpus, synthetic_articles(8), other_hashing, RayIngestOptions(actors=1))
    assert corpus.counts().articles == 0
    corpus.close()


def test_more_actors_than_the_cluster_has_cpus_for_is_refused(
    local_ray: None, tmp_path: Path
) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder(), CONFIG)
    with pytest.raises(RayIngestError, match="--ray-actors"):
        ray_ingest(corpus, synthetic_articles(4), hashing, RayIngestOptions(actors=3))
    corpus.close()


def test_default_actors_leave_cpus_to_the_tasks() -> None:
    assert default_actor_count({"CPU": 2.0}, 1.0) == 1
    assert default_actor_count({"CPU": 160.0}, 1.0) == 144
    assert default_actor_count({"CPU": 160.0}, 4.0) == 36
    assert default_actor_count({"CPU": 1.0}, 1.0) == 1


def test_an_actor_given_a_gpu_runs_the_model_on_it() -> None:
    assert actor_device([0]) == "cuda"
    assert actor_device([]) == "cpu"
