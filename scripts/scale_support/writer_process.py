"""A second process that writes single articles continuously (add, then delete) into an
index until its stop file appears: the CLI ingesting next to a running server. Prints
"ready" once open, then, at the end, a JSON object with its write count and median time.
Run by scale_support/probe.py."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.corpus import Corpus
from index.thread_priority import lower_current_thread_priority
from scale_support import corpus_api
from scale_support.articles import ArticleGenerator
from scale_support.hashing import HashingEmbedder

WRITE_BASE = 20_000_000  # article numbers above any corpus size and the probe's own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--stop", type=Path, required=True)
    parser.add_argument("--factory", default=None)
    arguments = parser.parse_args()
    generator = ArticleGenerator.from_development_sets(arguments.seed)
    corpus = Corpus(arguments.dir, HashingEmbedder(), corpus_api.corpus_config(arguments.factory))
    # as `iqtibas ingest` does next to a server
    lower_current_thread_priority(corpus.config.ingest.writer_niceness)
    print("ready", flush=True)
    cache: dict[int, str] = {}
    times: list[float] = []
    number = WRITE_BASE
    while not arguments.stop.exists():
        article = generator.article(number, cache)
        started = time.perf_counter()
        corpus.add([article])
        corpus.delete([article.id])
        times.append((time.perf_counter() - started) * 1000)
        number += 1
    corpus.close()
    median = round(statistics.median(times), 2) if times else None
    print(json.dumps({"writes": len(times), "write_and_delete_ms": median}), flush=True)


if __name__ == "__main__":
    main()
