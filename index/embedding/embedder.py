"""The embedding model as the index sees it: queries and passages in, unit vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

# A fixed text whose vector identifies the model's behaviour: two models with the same name
# but different weights (or a different conversion) disagree on it.
FINGERPRINT_PROBE = "passage: Iqtibas fingerprint probe. بصمة النموذج للتحقق من التطابق 2025."


class Embedder(Protocol):
    name: str
    dimension: int

    def encode_queries(self, texts: Sequence[str]) -> Matrix: ...

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> Matrix:
        """Vectors in the order of ``texts``. Give many at once (every chunk and sentence of
        a batch of articles): the sentence-transformers embedder sorts them by length and
        batches them by a token budget, so a call of many costs less per text."""
        ...

    def encode_words(self, words: Sequence[str]) -> Matrix:
        """Single words with no prompt: comparable across languages, for the lexicon."""
        ...

    def encode_query_and_words(self, query: str, words: Sequence[str]) -> tuple[Matrix, Matrix]:
        """``encode_queries([query])[0]`` and ``encode_words(words)`` in one call."""
        ...

    def fingerprint_vector(self) -> list[float]: ...


def fingerprints_match(stored: Sequence[float], current: Sequence[float]) -> bool:
    """Same model if the probe vectors agree; tolerant to float noise across machines."""
    if len(stored) != len(current):
        return False
    first = np.asarray(stored, dtype=np.float64)
    second = np.asarray(current, dtype=np.float64)
    denominator = float(np.linalg.norm(first) * np.linalg.norm(second)) or 1.0
    return float(first @ second) / denominator >= 0.995
