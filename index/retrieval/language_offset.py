"""English questions moved towards the Arabic articles in the model's shared space.

A multilingual encoder places the texts of one language around a common point: the mean
vector of English questions and the mean vector of Arabic passages differ by an offset that
encodes the language, not the content. Every English question's cosine with every Arabic
sentence carries that offset, and it carries more of it for some sentences than for others,
whatever they say. Subtracting part of the offset from an English question's vector before
it meets the Arabic archive leaves more of the cosine to the content: on XQuAD's English
questions over the development archive, the right article first and the right sentence
quoted first both rise (eval/reports/english-query-shift/).

The offset is measured once per model on parallel sentences (NTREX-dev: each English
sentence embedded as a query, its Arabic translation as a passage; ``python -m
eval.language_offset``) and shipped in ``language_offsets.json``. How much of it is
subtracted (``AnswerConfig.english_query_shift``) was chosen by cross-validation by article.

Invariants: only questions written mostly in Latin script move; only with the offset measured
for the embedder's own model (any other model, or a shift of 0, leaves every vector as it
is); a moved vector is a unit vector again.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

import numpy as np

from index.embedding.embedder import Matrix

OFFSETS_PATH = Path(__file__).with_name("language_offsets.json")
logger = logging.getLogger(__name__)


@cache
def english_offset(model: str, path: Path = OFFSETS_PATH) -> Matrix | None:
    """The mean English query vector less the mean Arabic passage vector of ``model``, or
    None when none was measured for it."""
    try:
        offsets = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    entry = offsets.get(model)
    if entry is None:
        logger.info("no English query offset measured for model %s: questions stay unmoved", model)
        return None
    return np.asarray(entry["offset"], dtype=np.float32)


def shifted(vector: Matrix, offset: Matrix, strength: float) -> Matrix:
    """``vector`` less ``strength`` times ``offset``, made a unit vector again."""
    moved = (vector - strength * offset).astype(np.float32)
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm > 0 else vector
