"""Latency of configurations compared question by question, interleaved.

    python -m eval.compare_latency --index-cache DIR --config default --config learned

On a shared machine the load drifts over a run, so configurations timed one after the other
(as ``iqtibas eval`` does) can differ by more than what they cost. Here every question is
asked under each configuration in turn, in a rotating order, for ``--rounds`` rounds over the
same questions (the first round warms caches and is not counted), and each configuration's
p50 is reported with its ratio to the first configuration's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from eval.configurations import parse_configurations
from eval.datasets import ARCHIVE, default_data_dir, load_dataset
from eval.metrics import percentile
from eval.runner import limited
from eval.squad import HOLDBACK_FRACTION
from index.answerer import Answerer
from service.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare_latency", description=__doc__)
    parser.add_argument("--config", action="append", dest="configurations", required=True)
    parser.add_argument("--datasets", default="seed,xquad-en-ar,xquad-ar,arcd")
    parser.add_argument("--questions", type=int, default=100, help="per dataset")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--index-cache", type=Path)
    arguments = parser.parse_args(argv)
    from eval.in_process import InProcessBackend
    from service.bootstrap import answer_config, configured_embedder, corpus_config, limit_threads

    settings = Settings()
    limit_threads(settings.torch_threads)
    configurations = parse_configurations(arguments.configurations)
    base = answer_config(settings)
    answerers: list[Answerer] = []
    backend = InProcessBackend(
        configured_embedder(settings), corpus_config(settings), arguments.index_cache, False
    )
    questions: list[str] = []
    for name in arguments.datasets.split(","):
        dataset = load_dataset(
            name, default_data_dir(), settings.seeds_dir, [ARCHIVE], holdback=HOLDBACK_FRACTION
        )
        backend.load(dataset.articles, name)  # the archive: one index for every dataset
        questions += [q.question for q in limited(dataset.questions, arguments.questions)]
    answerers = [Answerer(backend.corpus, c.apply(base)) for c in configurations]
    times: list[list[float]] = [[] for _ in configurations]
    for round_number in range(arguments.rounds):
        for number, question in enumerate(questions):
            for offset in range(len(answerers)):
                which = (number + offset) % len(answerers)
                started = time.perf_counter()
                answerers[which].ask(question, top_k=3)
                if round_number > 0:
                    times[which].append((time.perf_counter() - started) * 1000)
    backend.close()
    first = percentile(times[0], 50) or 1.0
    print("| configuration | questions timed | p50 ms | p95 ms | p50 / first |")
    print("|---|---:|---:|---:|---:|")
    for configuration, measured in zip(configurations, times, strict=True):
        p50 = percentile(measured, 50) or 0.0
        p95 = percentile(measured, 95) or 0.0
        print(
            f"| {configuration.name} | {len(measured)} | {p50:.1f} | {p95:.1f} | "
            f"{p50 / first:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
