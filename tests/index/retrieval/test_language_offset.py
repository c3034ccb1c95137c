"""The English query shift: which questions move, by how much, and with which offset."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import index.answerer as answerer_module
from index.answerer import AnswerConfig, Answerer
from index.corpus import Corpus
from index.retrieval.language_offset import OFFSETS_PATH, english_offset, shifted
from service.settings import Settings


def test_a_shifted_vector_loses_part_of_the_offset_and_is_a_unit_vector() -> None:
    vector = np.asarray([0.6, 0.8, 0.0], dtype=np.float32)
    offset = np.asarray([0.0, 0.4, 0.0], dtype=np.float32)
    moved = shifted(vector, offset, 0.5)
    expected = np.asarray([0.6, 0.6, 0.0]) / np.linalg.norm([0.6, 0.6, 0.0])
    assert moved == pytest.approx(expected)
    assert float(np.linalg.norm(moved)) == pytest.approx(1.0)
    assert shifted(vector, offset, 0.0) == pytest.approx(vector)


def test_the_offset_is_read_for_its_own_model_only(tmp_path: Path) -> None:
    path = tmp_path / "offsets.json"
    path.write_text(json.dumps({"some/model": {"offset": [0.1, -0.2]}}), encoding="utf-8")
    assert english_offset("some/model", path) == pytest.approx([0.1, -0.2])
    assert english_offset("another/model", path) is None
    assert english_offset("some/model", tmp_path / "missing.json") is None


def test_the_shipped_offsets_hold_the_default_models_offset() -> None:
    model = Settings().model
    offsets = json.loads(OFFSETS_PATH.read_text(encoding="utf-8"))
    assert model in offsets
    offset = english_offset(model)
    assert offset is not None and offset.shape == (384,)  # multilingual-e5-small's dimension
    assert 0 < float(np.linalg.norm(offset)) < 1


@pytest.fixture
def offset_for_the_test_model(monkeypatch: pytest.MonkeyPatch, small_corpus: Corpus) -> np.ndarray:
    dimension = small_corpus.embedder.dimension
    offset = np.zeros(dimension, dtype=np.float32)
    offset[:4] = 0.3
    name = small_corpus.embedder.name
    monkeypatch.setattr(
        answerer_module, "english_offset", lambda model: offset if model == name else None
    )
    return offset


def test_english_questions_move_by_the_configured_share_of_the_offset(
    small_corpus: Corpus, offset_for_the_test_model: np.ndarray
) -> None:
    question = "Who proposed a ceasefire?"
    plain = small_corpus.embedder.encode_queries([question])[0]
    config = AnswerConfig(english_query_shift=0.5)
    encoded = Answerer(small_corpus, config)._encode(question, config.translation)
    assert encoded.vector == pytest.approx(shifted(plain, offset_for_the_test_model, 0.5))
    assert not np.allclose(encoded.vector, plain)
    unshifted = replace(config, english_query_shift=0.0)
    kept = Answerer(small_corpus, unshifted)._encode(question, config.translation)
    assert kept.vector == pytest.approx(plain)


def test_arabic_questions_and_other_models_are_never_moved(
    small_corpus: Corpus, offset_for_the_test_model: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = AnswerConfig(english_query_shift=1.0)
    arabic = "من اقترح وقف إطلاق النار؟"
    encoded = Answerer(small_corpus, config)._encode(arabic, config.translation)
    assert encoded.vector == pytest.approx(small_corpus.embedder.encode_queries([arabic])[0])
    monkeypatch.setattr(small_corpus.embedder, "name", "another/model")
    english = "Who proposed a ceasefire?"
    encoded = Answerer(small_corpus, config)._encode(english, config.translation)
    assert encoded.vector == pytest.approx(small_corpus.embedder.encode_queries([english])[0])
