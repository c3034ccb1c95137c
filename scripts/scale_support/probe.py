"""One size's measurements in a fresh process (so open time and RSS are those of a cold
open, with the OS page cache warm): open, questions with and without filters, hit counts
under filters, single-article write and delete latency, and a reader's latency while another
thread writes. Also, unless --no-process-writer, the reader's p95 while another process writes
(scale_support/writer_process.py): a thread writer competes with the reader for the GIL, a
process writer does not, so the two separate lock waits from interpreter contention.
Prints one JSON object. Run by scripts/bench_scale.py."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.answerer import AnswerConfig, Answerer
from index.corpus import Corpus
from index.filters import ArticleFilter
from index.passages import split_article
from index.thread_priority import lower_current_thread_priority
from scale_support import corpus_api
from scale_support.articles import SOURCES, ArticleGenerator, day, published_of
from scale_support.hashing import HashingEmbedder
from scale_support.questions import questions

WRITE_BASE = 10_000_000  # article numbers of the probe's own writes, above any corpus size
HIT_KS = (10, 100)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"], 1), "rss_peak_mb": round(fields["VmHWM"], 1)}


FilterSets = dict[str, tuple[ArticleFilter, list[int]]]


def filters(articles: int) -> FilterSets:
    """Each filter with the article numbers (below ``articles``) that it accepts."""
    numbers = range(articles)
    ten = ArticleFilter(published_from=day(0), published_to=day(99))
    ninety = ArticleFilter(published_from=day(0), published_to=day(899))
    return {
        "1pct_source": (ArticleFilter(source="source-000"), list(numbers[::SOURCES])),
        "10pct_dates": (ten, [n for n in numbers if published_of(n) <= day(99)]),
        "90pct_dates": (ninety, [n for n in numbers if published_of(n) <= day(899)]),
        "3_doc_ids": (
            ArticleFilter(doc_ids=frozenset(f"scale-{n:07d}" for n in (1, 2, 3))),
            [1, 2, 3],
        ),
    }


def expected_hits(generator: ArticleGenerator, accepted: list[int], k: int) -> dict[str, int]:
    """min(k, matching chunks) and min(k, matching sentences): every article has at least
    one of each, so only filters accepting fewer than k articles need counting."""
    if len(accepted) >= k:
        return {"chunks": k, "sentences": k}
    cache: dict[int, str] = {}
    config = corpus_api.chunking(corpus_api.corpus_config(None))
    passages = [split_article(generator.article(n, cache), config) for n in accepted]
    return {
        "chunks": min(k, sum(len(p.chunks) for p in passages)),
        "sentences": min(k, sum(len(p.sentence_spans) for p in passages)),
    }


def timed_asks(answerer: Answerer, asked: list[str], where: ArticleFilter | None) -> list[float]:
    return [answerer.ask(q, top_k=3, article_filter=where).took_ms for q in asked]


def hit_checks(
    corpus: Corpus, generator: ArticleGenerator, filter_sets: FilterSets, query: str
) -> dict[str, Any]:
    vector = corpus.embedder.encode_queries([query])[0]
    checks: dict[str, Any] = {}
    for name, (where, accepted) in filter_sets.items():
        for k in HIT_KS:
            expected = expected_hits(generator, accepted, k)
            for kind in ("chunks", "sentences"):
                got = corpus_api.hit_count(corpus, kind, vector, k, where)
                if got is not None:  # None: the corpus has no search of that kind
                    checks[f"{name}_k{k}_{kind}"] = {"got": got, "expected": expected[kind]}
    return checks


def single_writes(corpus: Corpus, generator: ArticleGenerator, count: int) -> dict[str, float]:
    cache: dict[int, str] = {}
    written = [generator.article(WRITE_BASE + i, cache) for i in range(count)]
    write_ms, delete_ms = [], []
    for article in written:
        started = time.perf_counter()
        corpus.add([article])
        write_ms.append((time.perf_counter() - started) * 1000)
    for article in written:
        started = time.perf_counter()
        corpus.delete([article.id])
        delete_ms.append((time.perf_counter() - started) * 1000)
    return {
        "write_ms": round(statistics.median(write_ms), 2),
        "write_p95_ms": round(percentile(write_ms, 0.95), 2),
        "delete_ms": round(statistics.median(delete_ms), 2),
        "delete_p95_ms": round(percentile(delete_ms, 0.95), 2),
    }


def reader_under_writes(
    corpus: Corpus, answerer: Answerer, generator: ArticleGenerator, asked: list[str]
) -> dict[str, float]:
    """p95 of a reader alone, then while a thread adds and deletes articles continuously
    (at the writer priority the service gives its ingest threads)."""
    idle = timed_asks(answerer, asked, None)
    done = threading.Event()
    write_ms: list[float] = []

    def writer() -> None:
        # as the service's ingest job thread and `iqtibas ingest` do: writers yield the CPU
        lower_current_thread_priority(corpus.config.ingest.writer_niceness)
        cache: dict[int, str] = {}
        number = WRITE_BASE + 100_000
        while not done.is_set():
            article = generator.article(number, cache)
            started = time.perf_counter()
            corpus.add([article])
            corpus.delete([article.id])
            write_ms.append((time.perf_counter() - started) * 1000)
            number += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.2)
    busy = timed_asks(answerer, asked, None)
    done.set()
    thread.join()
    return {
        "reader_p95_idle_ms": round(percentile(idle, 0.95), 2),
        "reader_p95_during_writes_ms": round(percentile(busy, 0.95), 2),
        "reader_p50_idle_ms": round(statistics.median(idle), 2),
        "reader_p50_during_writes_ms": round(statistics.median(busy), 2),
        "writes_during_reader": len(write_ms),
        "write_and_delete_ms_during_reader": round(statistics.median(write_ms), 2)
        if write_ms
        else None,
    }


def reader_under_process_writes(
    answerer: Answerer, arguments: argparse.Namespace, asked: list[str]
) -> dict[str, Any]:
    """The reader's p95 while another process writes (it must follow those writes)."""
    with tempfile.TemporaryDirectory() as scratch:
        stop = Path(scratch) / "stop"
        command = [
            sys.executable,
            str(Path(__file__).resolve().parent / "writer_process.py"),
            "--dir", str(arguments.dir), "--seed", str(arguments.seed), "--stop", str(stop),
        ]  # fmt: skip
        if arguments.factory:
            command += ["--factory", arguments.factory]
        writer = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None
        writer.stdout.readline()  # "ready"
        time.sleep(0.2)
        busy = timed_asks(answerer, asked, None)
        stop.touch()
        output, _ = writer.communicate(timeout=600)
    report = json.loads(output.strip().splitlines()[-1])
    return {
        "reader_p95_during_process_writes_ms": round(percentile(busy, 0.95), 2),
        "writes_by_other_process": report["writes"],
        "write_and_delete_ms_other_process": report["write_and_delete_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--factory", default=None)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--filtered-questions", type=int, default=50)
    parser.add_argument("--write-ops", type=int, default=20)
    parser.add_argument("--reader-questions", type=int, default=100)
    parser.add_argument(
        "--no-process-writer",
        dest="process_writer",
        action="store_false",
        help="skip the reader's p95 while another process writes",
    )
    arguments = parser.parse_args()
    generator = ArticleGenerator.from_development_sets(arguments.seed)
    asked = questions(generator, arguments.articles, arguments.questions, arguments.seed)
    asked_1pct = questions(
        generator, arguments.articles, arguments.filtered_questions, arguments.seed, source=0
    )
    embedder = HashingEmbedder()

    started = time.perf_counter()
    corpus = Corpus(arguments.dir, embedder, corpus_api.corpus_config(arguments.factory))
    answerer = Answerer(corpus, AnswerConfig())
    result: dict[str, Any] = {"open_s": round(time.perf_counter() - started, 3)}
    result["load_average_at_open"] = round(os.getloadavg()[0], 2)  # other work on the machine
    started = time.perf_counter()
    answerer.ask(asked[0])
    result["first_question_ms"] = round((time.perf_counter() - started) * 1000, 1)
    started = time.perf_counter()
    embedder.encode_queries(asked)
    result["hashing_encode_ms_per_question"] = round(
        (time.perf_counter() - started) * 1000 / len(asked), 3
    )
    timed_asks(answerer, asked[:10], None)  # warm-up
    plain = timed_asks(answerer, asked, None)
    result["query_p50_ms"] = round(statistics.median(plain), 2)
    result["query_p95_ms"] = round(percentile(plain, 0.95), 2)
    filter_sets = filters(arguments.articles)
    filtered = timed_asks(answerer, asked_1pct, filter_sets["1pct_source"][0])
    result["filtered_p50_ms"] = round(statistics.median(filtered), 2)
    result["filtered_p95_ms"] = round(percentile(filtered, 0.95), 2)
    for name in ("10pct_dates", "90pct_dates"):
        where = filter_sets[name][0]
        times = timed_asks(answerer, asked[: arguments.filtered_questions], where)
        result[f"filtered_{name}_p50_ms"] = round(statistics.median(times), 2)
    result.update(rss_mb())
    checks = hit_checks(corpus, generator, filter_sets, asked[1])
    result["hit_checks"] = checks
    result["hit_checks_pass"] = bool(checks) and all(
        c["got"] == c["expected"] for c in checks.values()
    )
    result.update(single_writes(corpus, generator, arguments.write_ops))
    result.update(
        reader_under_writes(corpus, answerer, generator, asked[: arguments.reader_questions])
    )
    if arguments.process_writer:
        result.update(
            reader_under_process_writes(answerer, arguments, asked[: arguments.reader_questions])
        )
    corpus.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
