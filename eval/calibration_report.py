"""Calibrate from dataset runs (fresh or saved results.json) and write the outcome."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from eval.calibrate import ThresholdPoint, at_threshold, best_threshold, sweep
from eval.datasets import DEVELOPMENT_DATASETS
from eval.results_file import ResultsFileError, load_results_json
from eval.runner import DatasetResult

CALIBRATION_JSON = "calibration.json"
CALIBRATION_REPORT = "calibration.md"
CALIBRATION_PLOT = "calibration.png"
# the printed curve samples the sweep at this step of the threshold
CURVE_STEP = 0.01
JSON_CURVE_STEP = 0.001


class CalibrationError(ValueError):
    """Data that must not, or cannot, be calibrated on."""


@dataclass(frozen=True)
class Sample:
    """Top quote scores of one dataset under one configuration, with the gold answerability."""

    dataset: str
    configuration: str
    top_scores: tuple[float | None, ...]
    unanswerable: tuple[bool, ...]
    langs: tuple[str, ...]


def samples_from_result(result: DatasetResult) -> list[Sample]:
    _check_development(result.dataset)
    return [
        Sample(
            result.dataset,
            c.name,
            tuple(o.top_score for o in c.outcomes),
            tuple(not o.answerable for o in c.outcomes),
            tuple(o.lang for o in c.outcomes),
        )
        for c in result.configurations
    ]


def samples_from_file(path: Path) -> list[Sample]:
    data = load_results_json(path)
    _check_development(str(data.get("dataset")))
    try:
        return [
            Sample(
                str(data["dataset"]),
                str(c["name"]),
                tuple(o["top_score"] for o in c["outcomes"]),
                tuple(not o["answerable"] for o in c["outcomes"]),
                tuple(str(o["lang"]) for o in c["outcomes"]),
            )
            for c in data["configurations"]
        ]
    except (KeyError, TypeError) as error:
        raise ResultsFileError(f"{path}: missing or malformed field: {error}") from error


def _check_development(dataset: str) -> None:
    if dataset not in DEVELOPMENT_DATASETS:
        raise CalibrationError(
            f"calibration uses development data only ({', '.join(DEVELOPMENT_DATASETS)}); "
            f"{dataset!r} is not one (the seed gold set is held out)"
        )


@dataclass(frozen=True)
class Calibration:
    configuration: str
    datasets: tuple[str, ...]
    questions: int
    unanswerable: int
    best: ThresholdPoint
    always_abstain_f1: float
    per_dataset_best: dict[str, ThresholdPoint]
    # cross-lingual questions score lower: one threshold per question language may fit better
    per_language_best: dict[str, ThresholdPoint]
    curve: tuple[ThresholdPoint, ...]
    per_language_curve: dict[str, tuple[ThresholdPoint, ...]]


def calibrate(samples: Sequence[Sample]) -> list[Calibration]:
    """One calibration per configuration, pooling the questions of every dataset."""
    calibrations = []
    for name in dict.fromkeys(s.configuration for s in samples):
        mine = [s for s in samples if s.configuration == name]
        scores = [score for s in mine for score in s.top_scores]
        unanswerable = [u for s in mine for u in s.unanswerable]
        langs = [lang for s in mine for lang in s.langs]
        curve = sweep(scores, unanswerable)
        language_curves = {
            lang: tuple(
                sweep(
                    [score for score, q in zip(scores, langs, strict=True) if q == lang],
                    [u for u, q in zip(unanswerable, langs, strict=True) if q == lang],
                )
            )
            for lang in sorted(set(langs))
        }
        calibrations.append(
            Calibration(
                configuration=name,
                datasets=tuple(s.dataset for s in mine),
                questions=len(scores),
                unanswerable=sum(unanswerable),
                best=best_threshold(curve),
                always_abstain_f1=at_threshold(scores, unanswerable, float("inf")).f1,
                per_dataset_best={
                    s.dataset: best_threshold(sweep(s.top_scores, s.unanswerable)) for s in mine
                },
                per_language_best={
                    lang: best_threshold(points) for lang, points in language_curves.items()
                },
                curve=tuple(curve),
                per_language_curve=language_curves,
            )
        )
    return calibrations


def sampled_curve(
    curve: Sequence[ThresholdPoint], step: float = CURVE_STEP
) -> list[ThresholdPoint]:
    """The sweep thinned to about one point per ``step`` of threshold, for printing."""
    chosen: list[ThresholdPoint] = []
    for point in curve:
        if not chosen or point.threshold >= chosen[-1].threshold + step:
            chosen.append(point)
    return chosen


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render_text(calibrations: Sequence[Calibration]) -> str:
    lines = []
    for c in calibrations:
        lines += [
            f"## Configuration `{c.configuration}`",
            "",
            f"Pooled {c.questions} questions ({c.unanswerable} unanswerable) from "
            f"{', '.join(c.datasets)}.",
            "",
            f"**Best threshold {c.best.threshold:.3f}**: abstention F1 {c.best.f1:.3f} "
            f"(precision {_number(c.best.precision)}, recall {_number(c.best.recall)}, "
            f"abstain rate {c.best.abstain_rate:.3f}); always abstaining would score F1 "
            f"{c.always_abstain_f1:.3f}.",
            "",
            "Best threshold on each dataset alone (how stable the choice is):",
            "",
            *(
                f"- {dataset}: {point.threshold:.3f} (F1 {point.f1:.3f})"
                for dataset, point in c.per_dataset_best.items()
            ),
            "",
            "Best threshold by question language, pooled over the datasets:",
            "",
            *(
                f"- {lang}: {point.threshold:.3f} (F1 {point.f1:.3f}, precision "
                f"{_number(point.precision)}, recall {_number(point.recall)})"
                for lang, point in c.per_language_best.items()
            ),
            "",
            "| threshold | precision | recall | F1 | abstain rate |",
            "|---:|---:|---:|---:|---:|",
            *(
                f"| {p.threshold:.3f} | {_number(p.precision)} | {_number(p.recall)} | "
                f"{p.f1:.3f} | {p.abstain_rate:.3f} |"
                for p in sampled_curve(c.curve)
            ),
            "",
        ]
    return "\n".join(lines)


def write_calibration(
    calibrations: Sequence[Calibration], folder: Path, command: str, model: str
) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CALIBRATION_JSON).write_text(
        json.dumps(
            {
                "command": command,
                "model": model,
                "calibrations": [_saved(c) for c in calibrations],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    header = [
        "# Abstention threshold calibration",
        "",
        f"Model `{model}`. Reproduce with:",
        "",
        f"    {command}",
        "",
        "The service abstains when its best quote scores below the threshold. Each threshold "
        "between two observed top quote scores is tried; the one with the best abstention F1 "
        "(positive class: abstains; gold positives: questions of held-back paragraphs) wins, "
        "the lowest on a tie. Development data only; the seed gold set is never used.",
        "",
        f"![calibration]({CALIBRATION_PLOT})",
        "",
    ]
    (folder / CALIBRATION_REPORT).write_text(
        "\n".join(header) + "\n" + render_text(calibrations), encoding="utf-8"
    )
    _plot(calibrations, folder / CALIBRATION_PLOT)
    return {n: folder / n for n in (CALIBRATION_JSON, CALIBRATION_REPORT, CALIBRATION_PLOT)}


def _saved(calibration: Calibration) -> dict[str, Any]:
    """The calibration as JSON, its curves thinned to one point per 0.001 of threshold."""
    saved: dict[str, Any] = asdict(calibration)
    saved["curve"] = [asdict(p) for p in sampled_curve(calibration.curve, JSON_CURVE_STEP)]
    saved["per_language_curve"] = {
        lang: [asdict(p) for p in sampled_curve(points, JSON_CURVE_STEP)]
        for lang, points in calibration.per_language_curve.items()
    }
    return saved


def _plot(calibrations: Sequence[Calibration], path: Path) -> None:
    """Left: pooled F1 of each configuration. Right: F1 by question language for the first
    configuration, since each script may get its own threshold. Dotted lines: the best."""
    figure = Figure(figsize=(11, 4.4))
    pooled, by_language = figure.subplots(1, 2, sharey=True)
    for c in calibrations:
        line = pooled.plot(
            [p.threshold for p in c.curve], [p.f1 for p in c.curve], label=c.configuration
        )[0]
        pooled.axvline(c.best.threshold, color=line.get_color(), linestyle=":", linewidth=1)
    if calibrations:
        first = calibrations[0]
        for lang, points in first.per_language_curve.items():
            line = by_language.plot(
                [p.threshold for p in points], [p.f1 for p in points], label=f"{lang} questions"
            )[0]
            best = first.per_language_best[lang]
            by_language.axvline(best.threshold, color=line.get_color(), linestyle=":")
        by_language.set_title(f"{first.configuration}: F1 by question language")
    pooled.set(
        ylabel="abstention F1", ylim=(0, 1.02), title="Pooled questions, F1 by configuration"
    )
    for axes in (pooled, by_language):
        axes.set_xlabel("abstention threshold (top quote score)")
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
