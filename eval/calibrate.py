"""Choose the abstention threshold: the top quote score under which the service abstains.

Sweeps every threshold that changes a decision over questions of the development sets
(answerable ones, and those of held-back paragraphs) and keeps the one with the best
abstention F1 (positive class: "abstains"). Never fed the seed gold set: that is held out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from eval.metrics import binary_scores


@dataclass(frozen=True, slots=True)
class ThresholdPoint:
    threshold: float
    precision: float | None
    recall: float | None
    f1: float
    abstain_rate: float


def abstains(top_score: float | None, threshold: float) -> bool:
    """The answerer's rule: abstain without quotes or below the threshold."""
    return top_score is None or top_score < threshold


def sweep(top_scores: Sequence[float | None], unanswerable: Sequence[bool]) -> list[ThresholdPoint]:
    """Abstention quality at each candidate threshold, ascending: midpoints between
    consecutive distinct scores, plus one below all and one above all."""
    distinct = sorted({s for s in top_scores if s is not None})
    if not distinct:
        return []
    candidates = [distinct[0] - 0.001]
    candidates += [(low + high) / 2 for low, high in pairwise(distinct)]
    candidates.append(distinct[-1] + 0.001)
    return [_point(top_scores, unanswerable, t) for t in candidates]


def _point(
    top_scores: Sequence[float | None], unanswerable: Sequence[bool], threshold: float
) -> ThresholdPoint:
    predicted = [abstains(score, threshold) for score in top_scores]
    scores = binary_scores(unanswerable, predicted)
    return ThresholdPoint(
        threshold=round(threshold, 5),
        precision=scores.precision,
        recall=scores.recall,
        f1=scores.f1 or 0.0,
        abstain_rate=sum(predicted) / len(predicted),
    )


def best_threshold(points: Sequence[ThresholdPoint]) -> ThresholdPoint:
    """Highest F1; on a tie the lowest threshold, which abstains least."""
    if not points:
        raise ValueError("no scores to calibrate on")
    return max(points, key=lambda p: (p.f1, -p.threshold))


def at_threshold(
    top_scores: Sequence[float | None], unanswerable: Sequence[bool], threshold: float
) -> ThresholdPoint:
    return _point(top_scores, unanswerable, threshold)
