"""Embedders and a driver for the Ray ingest tests, importable by Ray workers (the tests put
this checkout on the workers' PYTHONPATH).

``python -m tests.index.ray_support DATA_DIR COUNT`` ingests COUNT synthetic articles into
DATA_DIR through a local Ray, as ``iqtibas ingest --ray`` does (skipping the articles already
stored with the same content), and prints ``committed N`` after each group.
``python -m tests.index.ray_support DATA_DIR COUNT --stuck`` does the same with actors that
never finish loading their model and a 3 s stall limit, and prints the error it ends with
(in a process of its own: the abandoned Ray pipeline must not outlive the test).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.corpus import Corpus, CorpusConfig
from index.ingest import IngestConfig
from index.ray_ingest import RayIngestError, RayIngestOptions, ray_ingest
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.index.synthetic import synthetic_articles

GROUP = 4  # articles per commit group in these tests: many groups from few articles
CONFIG = CorpusConfig(ingest=IngestConfig(commit_every_articles=GROUP))
WORKER_ENVIRONMENT = {"env_vars": {"PYTHONPATH": str(PROJECT_ROOT)}}


class SlowHashingEmbedder(HashingEmbedder):
    """The hashing embedder taking 0.3 s per passage call: a run lasts long enough to be
    interrupted."""

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> np.ndarray:
        time.sleep(0.3)
        return super().encode_passages(texts, show_progress, batch_size)


class OtherHashingEmbedder(HashingEmbedder):
    """Same name and dimension as the hashing embedder, different vectors: a worker node
    with another model."""

    def _vector(self, text: str) -> np.ndarray:
        return np.roll(super()._vector(text), 1)


# embedder factories as ray_ingest calls them, with the actor's device
def hashing(device: str) -> HashingEmbedder:
    return HashingEmbedder()


def slow_hashing(device: str) -> HashingEmbedder:
    return SlowHashingEmbedder()


def other_hashing(device: str) -> HashingEmbedder:
    return OtherHashingEmbedder()


def stuck_hashing(device: str) -> HashingEmbedder:
    """An actor whose model takes longer to load than a test waits."""
    time.sleep(60)
    return HashingEmbedder()


def main(data_dir: Path, count: int, stuck: bool) -> None:
    import ray

    corpus = Corpus(data_dir, HashingEmbedder(), CONFIG)
    articles = synthetic_articles(count)
    unchanged = corpus.unchanged(articles)
    print(f"unchanged {len(unchanged)}", flush=True)
    changed = [article for article in articles if article.id not in unchanged]
    ray.init(address="local", num_cpus=2, include_dashboard=False, runtime_env=WORKER_ENVIRONMENT)
    done = 0

    def report(ids: list[str]) -> None:
        nonlocal done
        done += len(ids)
        print(f"committed {done}", flush=True)

    if stuck:
        try:
            ray_ingest(corpus, changed, stuck_hashing, RayIngestOptions(stall_seconds=3), report)
        except RayIngestError as error:
            print(f"error: {error}", flush=True)
        print(f"stored {corpus.counts().articles}", flush=True)
        os._exit(0)  # the pipeline thread of the abandoned run is not waited for
    ray_ingest(corpus, changed, slow_hashing, RayIngestOptions(actors=1), report)
    corpus.close()
    print("finished", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), "--stuck" in sys.argv[3:])
