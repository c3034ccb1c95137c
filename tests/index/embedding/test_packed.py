"""A question and its words packed into one pass get the vectors they would get alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from index.embedding.packed import packed_encoder

pytestmark = pytest.mark.slow

TEXTS = [
    "query: Who proposed a 30-day ceasefire in the war with Russia?",
    "Zelensky",
    "ceasefire",
    "proposed",
    "وقف إطلاق النار",
    "a",
    "query: " + "long question " * 300,  # truncated to the model's limit, as when batched
]


def test_packed_vectors_equal_separate_encoding(real_embedder: Any) -> None:
    model = real_embedder.model
    encode = packed_encoder(model)
    assert encode is not None, "the bundled model should take the packed path"
    packed = encode(TEXTS)
    alone = np.vstack([model.encode([text], normalize_embeddings=True) for text in TEXTS])
    assert packed.shape == alone.shape
    assert packed.dtype == np.float32
    np.testing.assert_allclose((packed * alone).sum(axis=1), 1.0, atol=1e-5)


def test_embedder_query_and_words_match_its_separate_methods(real_embedder: Any) -> None:
    question, words = "Who proposed a ceasefire?", ["proposed", "ceasefire", "Zelensky"]
    query_vector, word_vectors = real_embedder.encode_query_and_words(question, words)
    np.testing.assert_allclose(query_vector, real_embedder.encode_queries([question])[0], atol=1e-5)
    np.testing.assert_allclose(word_vectors, real_embedder.encode_words(words), atol=1e-5)


def test_unsupported_layouts_fall_back_to_batches(real_embedder: Any) -> None:
    modules = list(real_embedder.model)
    assert packed_encoder(modules[:1]) is None  # no pooling: not a sentence embedder
    assert packed_encoder([object(), object()]) is None  # not a BERT encoder


def test_cached_words_give_the_same_vectors(real_embedder: Any) -> None:
    words = ["ceasefire", "Zelensky", "ceasefire"]
    first_query, first_words = real_embedder.encode_query_and_words("Who?", words)
    again_query, again_words = real_embedder.encode_query_and_words("Who proposed it?", words)
    np.testing.assert_allclose(first_words, again_words, atol=1e-6)
    np.testing.assert_allclose(first_words[0], first_words[2], atol=1e-6)
    assert float(first_query @ again_query) < 0.999  # the question itself is never cached
