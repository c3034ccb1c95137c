"""Benchmark (not a test): Iqtibas ingest and ask against the bare model and FAISS.

Prints, from one run on the same passages and questions:
- ingest throughput in passages (chunks + sentences) per second: Corpus.add, which also
  stems, stores, builds the lexicon and commits, against bare SentenceTransformer.encode;
- ask latency p50/p95: Answerer.ask (the full pipeline) against bare query encoding plus a
  FAISS search of the chunk vectors.

Usage: python scripts/benchmark_core.py [--articles N] [--questions N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from index.answerer import Answerer
from index.corpus import Corpus
from index.embedding.sentence_transformer import load_embedder
from index.passages import split_article
from index.readers import read_paths
from index.seeds import read_seeds
from service.bootstrap import answer_config, corpus_config
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NTREX = ROOT.parent / "shared" / "data" / "ntrex" / "ntrex-dev.jsonl"
QUESTIONS = [
    "Who proposed a 30-day ceasefire?",
    "من اقترح وقف إطلاق النار لمدة 30 يومًا؟",
    "How many young men are killed every week?",
    "كم شابًا يُقتل أسبوعيًا؟",
    "Which pope offered to host the negotiations?",
    "ما اسم المتحدثة باسم الخارجية الروسية؟",
    "What did the German defence minister say about Putin?",
    "من هو وزير الدفاع الألماني؟",
    "Who congratulated Trump on the birth of his grandson?",
    "Which countries could host the meeting?",
    "What sanctions did Europe announce?",
    "ماذا قال ميرتس عن العقوبات؟",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40, help="NTREX articles to ingest")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    arguments = parser.parse_args()

    settings = Settings()
    embedder = load_embedder(
        settings.model, settings.model_cache_dir, word_cache_size=settings.word_cache_size
    )
    articles = read_seeds(ROOT / "seeds")
    if NTREX.exists():
        articles += read_paths([NTREX])[: arguments.articles]
    config = corpus_config(settings)
    passages = [split_article(article, config.chunking) for article in articles]
    texts = [t for p in passages for t in p.chunk_texts(config.embed_titles) + p.sentence_texts()]
    print(f"{len(articles)} articles, {len(texts)} passages (chunks and sentences)")

    embedder.encode_passages(texts[:32])  # warm up the model before timing either side
    started = time.perf_counter()
    embedder.model.encode(texts, prompt_name="passage", batch_size=config.encode_batch_size)
    bare_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as directory:
        corpus = Corpus(Path(directory) / "index", embedder, config)
        started = time.perf_counter()
        corpus.add(articles)
        ingest_seconds = time.perf_counter() - started
        lexicon_terms = len(corpus.lexicon().terms)

        answerer = Answerer(corpus, answer_config(settings))
        chunk_vectors = np.vstack([v for _, v in corpus.iter_vectors("chunks")])
        flat = faiss.IndexFlatIP(chunk_vectors.shape[1])
        flat.add(chunk_vectors)
        for question in QUESTIONS:  # warm-up of both paths
            answerer.ask(question)
        bare_latency: list[float] = []
        ask_latency: list[float] = []
        for _ in range(arguments.repeat):
            for question in QUESTIONS:
                started = time.perf_counter()
                flat.search(embedder.encode_queries([question]), 20)
                bare_latency.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                answerer.ask(question)
                ask_latency.append((time.perf_counter() - started) * 1000)
        corpus.close()

    bare_rate = len(texts) / bare_seconds
    ingest_rate = len(texts) / ingest_seconds
    print(f"lexicon terms embedded during ingest: {lexicon_terms}")
    print(f"ingest  bare encode : {bare_rate:7.1f} passages/s ({bare_seconds:.1f} s)")
    print(f"ingest  Corpus.add  : {ingest_rate:7.1f} passages/s ({ingest_seconds:.1f} s)")
    print(f"ingest  ratio       : {ingest_rate / bare_rate:.2f} of bare throughput")
    for name, values in (("bare encode+FAISS", bare_latency), ("Answerer.ask", ask_latency)):
        print(
            f"ask     {name:18s}: p50 {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 0.95):6.1f} ms  (n={len(values)})"
        )
    p50_ratio = statistics.median(ask_latency) / statistics.median(bare_latency)
    p95_ratio = percentile(ask_latency, 0.95) / percentile(bare_latency, 0.95)
    print(f"ask     ratio       : p50 {p50_ratio:.2f}x   p95 {p95_ratio:.2f}x")


if __name__ == "__main__":
    main()
