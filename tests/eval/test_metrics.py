import math

import pytest

from eval.metrics import (
    binary_scores,
    first_relevant_rank,
    mean,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank,
)

RANKED = ["a", "b", "c", "d"]


def test_ranks_recall_and_reciprocal_rank() -> None:
    assert first_relevant_rank(RANKED, {"c"}) == 3
    assert first_relevant_rank(RANKED, {"z"}) is None
    assert [recall_at(RANKED, {"c"}, k) for k in (1, 2, 3, 10)] == [0.0, 0.0, 1.0, 1.0]
    assert recall_at(RANKED, {"a", "d", "z"}, 2) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, {"d"}, k=3) == 0.0  # beyond the cut-off


def test_ndcg_by_hand() -> None:
    # one relevant item at rank 3: 1/log2(4) = 0.5
    assert ndcg_at(RANKED, {"c"}) == pytest.approx(0.5)
    assert ndcg_at(RANKED, {"a"}) == 1.0
    # relevant at ranks 2 and 4 of two: (1/log2 3 + 1/log2 5) / (1 + 1/log2 3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(RANKED, {"b", "d"}) == pytest.approx(expected)
    assert ndcg_at(["a", "a", "b"], {"b"}) == pytest.approx(0.5)  # duplicates still take ranks
    assert ndcg_at(RANKED, {"z"}) == 0.0


def test_abstention_scores_by_hand() -> None:
    # positive class: abstains. 3 should abstain; the system abstains on 2 of them and on 1 more
    actual = [True, True, True, False, False, False]
    predicted = [True, True, False, True, False, False]
    scores = binary_scores(actual, predicted)
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (2, 1, 1)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)


def test_undefined_ratios_are_none() -> None:
    never = binary_scores([False, False], [False, False])
    assert never.precision is None and never.recall is None and never.f1 is None
    missed = binary_scores([True], [False])
    assert missed.precision is None and missed.recall == 0.0 and missed.f1 == 0.0
    with pytest.raises(ValueError):
        binary_scores([True], [])


def test_percentiles_and_mean() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([], 50) is None
    assert mean(values) == 25.0 and mean([]) is None
