"""The few places where the scale benchmark touches the corpus API beyond Corpus.add/delete,
Answerer.ask and counts(): isolated here, each tolerant of the API before and after the
storage rewrite of issue 10 (a missing capability is reported as None, never guessed)."""

from __future__ import annotations

import dataclasses
import inspect
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from index.corpus import Corpus, CorpusConfig
from index.filters import ArticleFilter


def corpus_config(factory: str | None) -> CorpusConfig:
    """The library's default configuration, with the vector factory forced when given."""
    if factory is None:
        return CorpusConfig()
    try:
        from index.vector_index import VectorIndexConfig

        forced: dict[str, Any] = {"factory": factory}
        names = {f.name for f in dataclasses.fields(VectorIndexConfig)}
        if factory not in ("auto", "Flat") and "approximate_from" in names:
            forced["approximate_from"] = 0  # forced means at every size
        return CorpusConfig(vectors=VectorIndexConfig(**forced))  # type: ignore[call-arg]
    except (ImportError, TypeError):
        return CorpusConfig(faiss_factory=factory)  # type: ignore[call-arg]


def vector_config(config: CorpusConfig) -> Any | None:
    return getattr(config, "vectors", None)


def chunking(config: CorpusConfig) -> Any:
    ingest = getattr(config, "ingest", None)
    return ingest.chunking if ingest is not None else config.chunking  # type: ignore[attr-defined]


def wait_for_upkeep(corpus: Corpus) -> None:
    """Let background training or snapshots finish, so that a probe sees the steady state."""
    wait = getattr(corpus, "wait_for_upkeep", None)
    if callable(wait):
        wait()


def vector_factory_in_use(corpus: Corpus) -> str | None:
    describe = getattr(corpus, "vector_index_description", None)
    return str(describe()) if callable(describe) else None


def lexicon_terms(corpus: Corpus, directory: Path) -> int | None:
    size = getattr(corpus, "lexicon_size", None)
    if callable(size):
        return int(size())
    database = next(directory.glob("*.sqlite3"), None)
    if database is None:
        return None
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        for table in ("lexicon", "lexicon_terms"):
            try:
                return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            except sqlite3.OperationalError:
                continue
    return None


def train_vectors(corpus: Corpus) -> bool:
    train = getattr(corpus, "train_vectors", None)
    if not callable(train):
        return False
    train()
    return True


def _search(corpus: Corpus, kind: str, query: np.ndarray, k: int, where: ArticleFilter) -> Any:
    """Chunk or sentence hits through a read view (Corpus.read) when there is one, else the
    corpus itself; None when neither searches that kind."""
    method = f"search_{kind}"
    read = getattr(corpus, "read", None)
    if callable(read):
        with read(where) as view:
            search = getattr(view, method, None)
            return None if search is None else search(query, k)
    if hasattr(corpus, method):
        return getattr(corpus, method)(query, k, where)
    return None


def hit_count(
    corpus: Corpus, kind: str, query: np.ndarray, k: int, where: ArticleFilter
) -> int | None:
    try:
        hits = _search(corpus, kind, query, k, where)
    except (AttributeError, TypeError):
        return None
    return None if hits is None else len(hits)


def approximate_setup(config: CorpusConfig, vectors: int, in_use: str | None) -> dict[str, Any]:
    """The vector index the corpus uses at ``vectors`` chunks: factory (the one in use when
    the corpus says, else the configuration's choice), nprobe, rerank."""
    vectors_config = vector_config(config)
    if vectors_config is None:
        return {"factory": getattr(config, "faiss_factory", "Flat"), "nprobe": 0, "rerank": 0}
    approximate = vectors_config.wants_approximate(vectors)
    factory = vectors_config.approximate_factory(vectors) if approximate else "Flat"
    factory = in_use or factory
    approximate = factory != "Flat"
    return {
        "factory": factory,
        "nprobe": int(vectors_config.nprobe) if approximate else 0,
        "rerank": int(vectors_config.rerank) if approximate else 0,
        "train_sample": int(getattr(vectors_config, "train_sample", 0)),
    }


def vector_index(dimension: int, factory: str, config: CorpusConfig) -> Any:
    from index.vector_index import VectorIndex

    first = list(inspect.signature(VectorIndex).parameters)[1]
    if first == "config":
        return VectorIndex(dimension, dataclasses.replace(vector_config(config), factory=factory))
    return VectorIndex(dimension, factory)


def effective_nprobe(index: Any, configured: int) -> int:
    """The lists a question probes: the index resolves 0 ("auto") where it can."""
    probes = getattr(index, "probes", None)
    return int(probes(configured)) if callable(probes) else configured


def index_search(index: Any, query: np.ndarray, k: int, nprobe: int) -> np.ndarray:
    if "nprobe" in inspect.signature(index.search).parameters:
        ids, _ = index.search(query, k, nprobe=nprobe)
    else:
        ids, _ = index.search(query, k)
    return np.asarray(ids, np.int64)
