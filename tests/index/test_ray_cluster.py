"""Ray ingest on a simulated two-node cluster that loses its worker node mid-run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.corpus import Corpus
from index.ray_ingest import RayIngestError, RayIngestOptions, ray_ingest
from tests.conftest import HashingEmbedder
from tests.index.ray_support import CONFIG, WORKER_ENVIRONMENT, hashing, slow_hashing
from tests.index.synthetic import synthetic_articles

ray = pytest.importorskip("ray", reason="the ray extra: pip install -e '.[ray]'")
cluster_utils = pytest.importorskip("ray.cluster_utils")

pytestmark = pytest.mark.slow


@pytest.fixture
def two_nodes() -> Iterator[tuple[Any, Any]]:
    """A head node and a worker node, each with 2 CPUs, in this machine's processes."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    cluster = cluster_utils.Cluster(
        initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False}
    )
    worker = cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address, runtime_env=WORKER_ENVIRONMENT, log_to_driver=False)
    cluster.wait_for_nodes()
    yield cluster, worker
    ray.shutdown()
    cluster.shutdown()


def test_losing_a_worker_node_mid_run_loses_no_committed_article(
    two_nodes: tuple[Any, Any], tmp_path: Path
) -> None:
    cluster, worker = two_nodes
    articles = synthetic_articles(48)
    corpus = Corpus(tmp_path / "index", HashingEmbedder(), CONFIG)
    committed: list[str] = []
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            ray_ingest(corpus, articles, slow_hashing, RayIngestOptions(actors=2), committed.extend)
        except BaseException as error:
            outcome["error"] = error

    ingest = threading.Thread(target=run)
    ingest.start()
    deadline = time.monotonic() + 120
    while len(committed) < 8 and ingest.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert 8 <= len(committed) < len(articles), "the worker node must go mid-run"
    cluster.remove_node(worker)
    ingest.join(timeout=300)
    assert not ingest.is_alive(), "the ingest neither finished nor failed after the node went"

    error = outcome.get("error")
    print(f"after losing the node: {'failed: ' + str(error) if error else 'completed'}")
    if error is not None:
        # a failure says what to do, and leaves only whole groups
        assert isinstance(error, RayIngestError), error
        assert "run the same command again" in str(error)
    stored = corpus.counts()
    assert stored.articles == len(committed)
    assert len(set(committed)) == len(committed)
    # every stored article is whole: chunks and sentences as a local ingest makes them
    reference = Corpus(tmp_path / "reference", HashingEmbedder(), CONFIG)
    reference.add([a for a in articles if a.id in set(committed)])
    assert reference.counts().chunks == stored.chunks
    assert reference.counts().sentences == stored.sentences

    # the rerun adds the rest, skipping what is stored
    rest = [a for a in articles if a.id not in corpus.unchanged(articles)]
    assert len(rest) == len(articles) - len(committed)
    ray_ingest(corpus, rest, hashing, RayIngestOptions(actors=1))
    assert corpus.counts().articles == len(articles)
    reference.add([a for a in articles if a.id not in set(committed)])
    assert reference.counts().chunks == corpus.counts().chunks
    reference.close()
    corpus.close()
