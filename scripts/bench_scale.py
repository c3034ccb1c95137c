"""Scale benchmark (not a test): the corpus at growing sizes of synthetic Arabic news.

For each size in --articles, the same index directory grows to that many articles (built
incrementally: 2,000, then 18,000 more, then 180,000 more), with the fast hashing embedder at
384 dimensions (scale_support/hashing.py) so that the index, not the model, is measured. Then:
- in a fresh process (scale_support/probe.py): open time, RSS after opening and asking,
  question latency (Answerer.ask took_ms; the hashing encode is ~0.1 ms) without a filter and
  with 1% (one source of 100), 10% and 90% (publication date ranges) filters, hit counts
  under filters (returned == min(k, matching)), single-article write and delete latency
  (medians of --write-ops), and a reader's p95 alone and while a thread writes continuously;
- recall@10 of the vector index configuration the corpus uses at that chunk count, on as many
  vectors with real neighbourhood structure (noisy copies of real multilingual-e5-small
  passage vectors, scale_support/synthetic_vectors.py) queried by real question vectors:
  approximate candidates, exact re-rank of the top `rerank` with fp16-rounded vectors, against
  exact fp32 search.
Writes DIR/results.json (one object per size, rewritten after each size), DIR/scale.png and
DIR/report.md (the table, linear fits of RSS and disk per article, extrapolated to 1M).

Usage: python scripts/bench_scale.py --articles 2000,20000,200000 --out eval/reports/scale
Articles: scale_support/articles.py; the real vectors are cached in /tmp (about 4 minutes once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_support import corpus_api
from scale_support.articles import ArticleGenerator
from scale_support.hashing import HashingEmbedder
from scale_support.real_vectors import DEFAULT_CACHE, load_or_compute
from scale_support.report import write_outputs
from scale_support.synthetic_vectors import NoiseModel, exact_top_k, recall, rerank

from index.corpus import Corpus

SCRIPTS = Path(__file__).resolve().parent
K = 10
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def ingest(corpus: Corpus, generator: ArticleGenerator, begin: int, end: int, batch: int) -> float:
    """Add articles [begin, end); returns the seconds spent in Corpus.add alone."""
    spent = 0.0
    for start in range(begin, end, batch):
        articles = list(generator.articles(start, min(end, start + batch)))
        started = time.perf_counter()
        corpus.add(articles)
        spent += time.perf_counter() - started
        done = min(end, start + batch)
        print(f"  {done:,} articles, {(done - begin) / spent:.0f} articles/s", flush=True)
    return spent


def disk_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20


def probe(arguments: argparse.Namespace, directory: Path, articles: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(SCRIPTS / "scale_support" / "probe.py"),
        "--dir",
        str(directory),
        "--articles",
        str(articles),
        "--seed",
        str(arguments.seed),
        "--questions",
        str(arguments.questions),
        "--write-ops",
        str(arguments.write_ops),
        "--filtered-questions",
        str(arguments.filtered_questions),
        "--reader-questions",
        str(arguments.reader_questions),
    ]
    if arguments.factory:
        command += ["--factory", arguments.factory]
    # one thread for FAISS and BLAS, as the service runs (IQTIBAS_TORCH_THREADS=1)
    environment = {**os.environ, **{name: "1" for name in THREAD_VARIABLES}}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(f"the probe failed at {articles} articles (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def vector_recall(
    arguments: argparse.Namespace,
    vectors: tuple[NoiseModel, np.ndarray],
    chunks: int,
    in_use: str | None,
) -> dict[str, Any]:
    """recall@10 of the corpus's vector configuration at ``chunks`` vectors vs exact search."""
    model, queries = vectors
    config = corpus_api.corpus_config(arguments.factory)
    setup = corpus_api.approximate_setup(config, chunks, in_use)
    data = model.generate(chunks, arguments.seed + chunks)
    stored = data.astype(np.float16)
    truth = exact_top_k(data, queries, K)
    index = corpus_api.vector_index(data.shape[1], setup["factory"], config)
    started = time.perf_counter()
    if hasattr(index, "train") and setup["factory"] != "Flat":
        sample = data[
            np.random.default_rng(arguments.seed).permutation(chunks)[
                : setup.get("train_sample") or 80_000
            ]
        ]
        index.train(sample)
    train_s = time.perf_counter() - started
    for begin in range(0, chunks, 100_000):
        block = data[begin : begin + 100_000]
        index.add(np.arange(begin, begin + len(block), dtype=np.int64), block)
    nprobe = corpus_api.effective_nprobe(index, setup["nprobe"])
    depth = max(K, setup["rerank"])
    found = []
    for query in queries:
        candidates = corpus_api.index_search(index, query, depth, nprobe)
        found.append(rerank(candidates, query, stored, K) if setup["rerank"] else candidates[:K])
    return {
        "recall_at_10": round(recall(found, truth), 4),
        "vector_factory": setup["factory"],
        "vector_nprobe": nprobe,
        "vector_rerank": setup["rerank"],
        "vector_train_s": round(train_s, 2),
    }


def measure_size(
    arguments: argparse.Namespace,
    generator: ArticleGenerator,
    directory: Path,
    previous: int,
    articles: int,
    vectors: tuple[NoiseModel, np.ndarray],
) -> dict:
    print(f"growing the index from {previous:,} to {articles:,} articles", flush=True)
    config = corpus_api.corpus_config(arguments.factory)
    corpus = Corpus(directory, HashingEmbedder(), config)
    spent = ingest(corpus, generator, previous, articles, arguments.batch)
    started = time.perf_counter()
    trained = corpus_api.train_vectors(corpus) if arguments.train else False
    corpus_api.wait_for_upkeep(corpus)
    upkeep_s = time.perf_counter() - started
    counts = corpus.counts()
    row: dict[str, Any] = {
        "articles": counts.articles,
        "chunks": counts.chunks,
        "sentences": counts.sentences,
        "lexicon_terms": corpus_api.lexicon_terms(corpus, directory),
        "ingest_articles_per_s": round((articles - previous) / spent, 1),
        "ingest_increment": articles - previous,
        "trained_explicitly": trained,
        "upkeep_after_ingest_s": round(upkeep_s, 2),
        "vector_index_in_use": corpus_api.vector_factory_in_use(corpus),
    }
    corpus.close()
    row["disk_mb"] = round(disk_mb(directory), 1)
    print(f"  probing {articles:,} articles in a fresh process", flush=True)
    row.update(probe(arguments, directory, articles))
    print(f"  recall@10 at {row['chunks']:,} vectors", flush=True)
    row.update(vector_recall(arguments, vectors, row["chunks"], row["vector_index_in_use"]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="2000,20000,200000")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path, help="default: OUT/index (deleted first)")
    parser.add_argument("--keep-index", action="store_true", help="leave the index behind")
    parser.add_argument("--factory", default=None, help="force a vector factory string")
    parser.add_argument(
        "--train",
        action="store_true",
        help="call corpus.train_vectors() after each ingest (default: only wait for the "
        "corpus's own background upkeep to finish)",
    )
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument("--batch", type=int, default=1000, help="articles per Corpus.add call")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--filtered-questions", type=int, default=50)
    parser.add_argument("--reader-questions", type=int, default=100)
    parser.add_argument("--write-ops", type=int, default=20)
    parser.add_argument("--recall-queries", type=int, default=500)
    parser.add_argument("--vector-cache", type=Path, default=DEFAULT_CACHE)
    arguments = parser.parse_args()
    command = "python scripts/bench_scale.py " + " ".join(sys.argv[1:])
    sizes = sorted(int(size) for size in arguments.articles.split(","))
    directory = arguments.index_dir or arguments.out / "index"
    shutil.rmtree(directory, ignore_errors=True)
    arguments.out.mkdir(parents=True, exist_ok=True)

    real = load_or_compute(arguments.vector_cache)
    model = NoiseModel.fit(real.passages)
    order = np.random.default_rng(arguments.seed).permutation(len(real.questions))
    queries = real.questions[order[: arguments.recall_queries]]
    generator = ArticleGenerator.from_development_sets(arguments.seed)
    rows: list[dict[str, Any]] = []
    previous = 0
    for size in sizes:
        rows.append(measure_size(arguments, generator, directory, previous, size, (model, queries)))
        previous = size
        write_outputs(
            arguments.out,
            rows,
            command,
            {"sigma": model.sigma, "target_cosine": model.target_cosine},
        )
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    if not arguments.keep_index:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
