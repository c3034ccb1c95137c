"""Retrieval, quoting, abstention and latency metrics: pure functions over plain values."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np


def first_relevant_rank(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """1-based rank of the first relevant item, or None when none was returned."""
    return next((rank for rank, item in enumerate(ranked, start=1) if item in relevant), None)


def recall_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant items found in the first ``k``."""
    if not relevant:
        raise ValueError("recall needs at least one relevant item")
    return len(set(ranked[:k]) & set(relevant)) / len(set(relevant))


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    rank = first_relevant_rank(ranked[:k], relevant)
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k; a relevant item counts once, at its first rank."""
    relevant_set = set(relevant)
    if not relevant_set:
        raise ValueError("nDCG needs at least one relevant item")
    seen: set[str] = set()
    gain = 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant_set and item not in seen:
            seen.add(item)
            gain += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant_set), k) + 1))
    return gain / ideal


@dataclass(frozen=True, slots=True)
class BinaryScores:
    """Precision, recall and F1 of one positive class; None where a ratio has no denominator."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else None


def binary_scores(actual: Sequence[bool], predicted: Sequence[bool]) -> BinaryScores:
    """Scores of the positive class (True), e.g. actual = "should abstain", predicted = "did"."""
    if len(actual) != len(predicted):
        raise ValueError("actual and predicted differ in length")
    pairs = list(zip(actual, predicted, strict=True))
    return BinaryScores(
        true_positives=sum(a and p for a, p in pairs),
        false_positives=sum(p and not a for a, p in pairs),
        false_negatives=sum(a and not p for a, p in pairs),
    )


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Linear-interpolated percentile, None for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), percent)) if values else None


def mean(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None
