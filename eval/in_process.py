"""Evaluate the library directly: a fresh index per dataset, built in a temporary folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import index
from eval.answers import ReturnedAnswer, ReturnedQuote
from index.answerer import AnswerConfig, Answerer
from index.article import Article
from index.corpus import Corpus, CorpusConfig
from index.embedding.embedder import Embedder
from service.bootstrap import add_with_progress

_COMPLETE_MARKER = "eval-complete"
# modules that only answer questions and never shape what an index holds: a change to them
# must not rebuild cached indexes (ranking work changes them often); ingest never imports them
QUESTION_TIME_MODULES = ("retrieval", "answerer.py", "quotes.py")


def _index_code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(index.__file__).parent
    for source in sorted(package.rglob("*.py")):
        if source.relative_to(package).parts[0] in QUESTION_TIME_MODULES:
            continue
        digest.update(str(source.relative_to(package)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


class InProcessBackend:
    description = (
        "in process: article ranking is Answer.ranked_doc_ids, every article among the "
        "retrieved chunks, best first"
    )
    applies_configurations = True

    def __init__(
        self,
        embedder: Embedder,
        corpus_config: CorpusConfig,
        index_cache: Path | None = None,
        show_progress: bool = True,
    ) -> None:
        self._embedder = embedder
        self._corpus_config = corpus_config
        # a cache keeps indexes between runs (keyed by model, chunking and articles);
        # without one, each load builds in a temporary folder removed on close
        self._index_cache = index_cache
        self._show_progress = show_progress
        self._temporary: Path | None = None
        self._corpus: Corpus | None = None
        self._loaded_key: str | None = None
        self.build_seconds = 0.0

    def load(self, articles: Sequence[Article], label: str) -> None:
        key = self._cache_key(articles)
        if self._corpus is not None and key == self._loaded_key:
            # xquad-ar and xquad-en-ar index the same paragraphs: build once per run
            self.build_seconds = 0.0
            return
        self.close()
        self._loaded_key = key
        started = time.perf_counter()
        if self._index_cache is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="iqtibas-eval-"))
            directory = self._temporary / "index"
        else:
            directory = self._index_cache / key
            if not (directory / _COMPLETE_MARKER).exists():
                shutil.rmtree(directory, ignore_errors=True)
        self._corpus = Corpus(directory, self._embedder, self._corpus_config)
        if not (directory / _COMPLETE_MARKER).exists():
            add_with_progress(self._corpus, articles, f"Indexing {label}", self._show_progress)
            (directory / _COMPLETE_MARKER).write_text("", encoding="utf-8")
        self.build_seconds = time.perf_counter() - started

    def _cache_key(self, articles: Sequence[Article]) -> str:
        digest = hashlib.sha256()
        # the index code itself too: what an index holds (terms, lexicon, sentences) changes
        # with it, often without a format version bump, and a stale cache would go unnoticed
        digest.update(f"{self._embedder.name}|{_index_code_digest()}".encode())
        # only what ingest stores: the vector index is rebuilt from the store to fit its config
        digest.update(json.dumps(asdict(self._corpus_config.ingest), sort_keys=True).encode())
        for article in sorted(articles, key=lambda a: a.id):
            digest.update(json.dumps([article.id, article.title, article.text]).encode())
        return digest.hexdigest()[:20]

    @property
    def corpus(self) -> Corpus:
        """The loaded index (for training on its evidence)."""
        if self._corpus is None:
            raise RuntimeError("load articles before asking")
        return self._corpus

    def ask(self, question: str, top_k: int, config: AnswerConfig) -> ReturnedAnswer:
        if self._corpus is None:
            raise RuntimeError("load articles before asking")
        started = time.perf_counter()
        answer = Answerer(self._corpus, config).ask(question, top_k=top_k)
        latency_ms = (time.perf_counter() - started) * 1000
        return ReturnedAnswer(
            answerable=answer.answerable,
            quotes=tuple(
                ReturnedQuote(q.text, q.doc_id, q.start, q.end, q.score) for q in answer.quotes
            ),
            ranked_doc_ids=tuple(answer.ranked_doc_ids),
            latency_ms=latency_ms,
        )

    def close(self) -> None:
        if self._corpus is not None:
            self._corpus.close()
            self._corpus = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
