"""Choosing a configuration out of fold: the pick never sees the fold it is measured on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.cross_validate_choice import Scored, choose, report, score_dataset
from eval.results_file import ResultsFileError

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


def _outcome(question_id: str, article_rank: int | None, hit_rank: int | None) -> dict[str, object]:
    return {
        "question_id": question_id,
        "lang": "ar",
        "answerable": True,
        "abstained": False,
        "top_score": 0.9,
        "article_rank": article_rank,
        "recall_curve": [],
        "reciprocal_rank": 1.0,
        "ndcg": 1.0,
        "hit_rank": hit_rank,
        "top_quote_characters": 100,
        "latency_ms": 10.0,
    }


def _write_run(directory: Path, configurations: dict[str, list[dict[str, object]]]) -> None:
    (directory / "set").mkdir()
    run = {
        "dataset": "set",
        "generated": "",
        "command": "",
        "model": "",
        "mode": "",
        "notes": [],
        "articles_indexed": 1,
        "index_build_seconds": 0.0,
        "top_k": 3,
        "configurations": [
            {
                "name": name,
                "overrides": "",
                "answer_config": {},
                "summary": {},
                "by_language": {},
                "outcomes": outcomes,
            }
            for name, outcomes in configurations.items()
        ],
    }
    (directory / "set" / "results.json").write_text(json.dumps(run), encoding="utf-8")


def test_a_saved_run_is_scored_per_question_with_its_fold(tmp_path: Path) -> None:
    _write_run(
        tmp_path,
        {
            "a": [_outcome("q1", 1, 2), _outcome("q2", 3, None)],
            "b": [_outcome("q1", 2, 1), _outcome("q2", 1, 1)],
        },
    )
    scored = score_dataset(tmp_path, "set", {"q1": 0, "q2": 4})
    assert scored.folds == [0, 4]
    assert scored.met["a"] == {"recall@1": [True, False], "hit@1": [False, False]}
    assert scored.met["b"] == {"recall@1": [False, True], "hit@1": [True, True]}


def test_a_saved_run_whose_configurations_asked_different_questions_is_refused(
    tmp_path: Path,
) -> None:
    _write_run(tmp_path, {"a": [_outcome("q1", 1, 1)], "b": [_outcome("q2", 1, 1)]})
    with pytest.raises(ResultsFileError, match="different questions"):
        score_dataset(tmp_path, "set", {"q1": 0, "q2": 1})
