import json
from pathlib import Path

import pytest

from eval.calibrate import abstains, at_threshold, best_threshold, sweep
from eval.calibration_report import (
    CalibrationError,
    Sample,
    calibrate,
    sampled_curve,
    samples_from_file,
)


def test_sweep_finds_the_separating_threshold() -> None:
    # unanswerable questions score 0.5 and 0.6, answerable ones 0.7 and above; one has no quote
    scores = [0.5, 0.6, 0.7, 0.8, 0.9, None]
    unanswerable = [True, True, False, False, False, True]
    best = best_threshold(sweep(scores, unanswerable))
    assert best.threshold == pytest.approx(0.65)
    assert best.f1 == 1.0 and best.precision == 1.0 and best.recall == 1.0
    assert best.abstain_rate == pytest.approx(0.5)


def test_sweep_by_hand_at_a_worse_threshold() -> None:
    scores = [0.5, 0.6, 0.7, 0.8]
    unanswerable = [True, False, True, False]
    point = at_threshold(scores, unanswerable, 0.65)  # abstains on 0.5 and 0.6
    assert point.precision == 0.5 and point.recall == 0.5 and point.f1 == 0.5
    assert abstains(None, 0.1) and abstains(0.5, 0.6) and not abstains(0.6, 0.6)


def test_ties_go_to_the_lowest_threshold() -> None:
    points = sweep([0.5, 0.6, 0.9], [True, False, False])
    best = best_threshold(points)
    assert best.threshold == pytest.approx(0.55)
    assert [p.threshold for p in sampled_curve(points, 0.2)] == [
        points[0].threshold,
        points[2].threshold,
    ]


def test_calibration_pools_datasets_per_configuration() -> None:
    samples = [
        Sample("xquad-ar", "dense", (0.7, 0.9), (True, False), ("ar", "ar")),
        Sample("xquad-en-ar", "dense", (0.5, 0.6), (True, False), ("en", "en")),
        Sample("arcd", "other", (0.1, 0.2), (False, True), ("ar", "ar")),
    ]
    dense, other = calibrate(samples)
    assert dense.configuration == "dense" and dense.questions == 4 and dense.unanswerable == 2
    # pooled, no threshold separates 0.5 (U) < 0.6 (A) < 0.7 (U) < 0.9 (A); each language can
    assert dense.best.threshold == pytest.approx(0.8) and dense.best.f1 == pytest.approx(0.8)
    assert dense.per_language_best["ar"].threshold == pytest.approx(0.8)
    assert dense.per_language_best["en"].threshold == pytest.approx(0.55)
    assert dense.per_language_best["en"].f1 == 1.0
    assert set(dense.per_dataset_best) == {"xquad-ar", "xquad-en-ar"}
    assert dense.always_abstain_f1 == pytest.approx(2 / 3)
    assert other.best.threshold > 0.2  # abstaining on all wins when scores are backwards


def test_saved_seed_results_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"dataset": "seed", "configurations": []}), "utf-8")
    with pytest.raises(CalibrationError, match="seed gold set is held out"):
        samples_from_file(path)
