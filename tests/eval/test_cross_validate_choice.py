"""Choosing a configuration out of fold: the pick never sees the fold it is measured on."""

from __future__ import annotations

from eval.cross_validate_choice import Scored, choose, report

# two questions in each of the five folds
FOLDS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def _scored(recall: dict[str, list[bool]]) -> Scored:
    return Scored(
        list(FOLDS),
        {name: {"recall@1": met, "hit@1": met} for name, met in recall.items()},
    )


def test_a_rate_counts_only_the_questions_of_the_folds_asked() -> None:
    scored = _scored({"a": [True, True, False, False, True, False, True, True, True, True]})
    assert scored.rate("a", "recall@1", {0}) == 1.0
    assert scored.rate("a", "recall@1", {1}) == 0.0
    assert scored.rate("a", "recall@1", {1, 2}) == 0.25
    assert scored.rate("a", "recall@1", set()) == 0.0


def test_choose_takes_the_best_mean_over_datasets_and_the_first_named_on_a_tie() -> None:
    first = _scored({"a": [True] * 10, "b": [False] * 10})
    second = _scored({"a": [False] * 10, "b": [True] * 8 + [False] * 2})
    # a: (1.0 + 0.0) / 2 against b: (0.0 + 0.8) / 2
    assert choose({"x": first, "y": second}, ["a", "b"], "recall@1", set(range(5))) == "a"
    tied = _scored({"a": [True] * 10, "b": [True] * 10})
    assert choose({"x": tied}, ["b", "a"], "recall@1", set(range(5))) == "b"


def test_the_out_of_fold_numbers_are_those_of_a_choice_made_without_the_fold() -> None:
    # "lucky" is right on fold 0 only; "steady" on folds 1 to 4 only. Every choice that leaves
    # fold 0 out picks "steady", and the one that leaves out any other fold picks "steady"
    # too (3 folds of 4 against 1): fold 0 is then measured on "steady", which misses it.
    lucky = [True, True] + [False] * 8
    steady = [False, False] + [True] * 8
    text = report(
        {"set": _scored({"lucky": lucky, "steady": steady})},
        ["lucky", "steady"],
        "recall@1",
        "python -m eval.cross_validate_choice ...",
    )
    assert "| 0 | steady | 0.000 |" in text
    assert "| 1 | steady | 1.000 |" in text
    assert "- set: 0.800 / 0.800 (10 answerable questions)" in text
    # in sample, each configuration on every fold
    assert "| lucky | 0.200 / 0.200 |" in text
    assert "| steady | 0.800 / 0.800 |" in text
