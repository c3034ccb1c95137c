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
from eval.runner import DatasetResult

CALIBRATION_JSON = "calibration.json"
CALIBRATION_REPORT = "calibration.md"
CALIBRATION_PLOT = "calibration.png"
# the printed curve samples the sweep at this step of the threshold
CURVE_STEP = 0.01


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
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    _check_development(str(data["dataset"]))
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


def calibrate(samples: Sequence[Sample]) -> list[Calibration]:
    """One calibration per configuration, pooling the questions of every dataset."""
    calibrations = []
    for name in dict.fromkeys(s.configuration for s in samples):
        mine = [s for s in samples if s.configuration == name]
        scores = [score for s in mine for score in s.top_scores]
        unanswerable = [u for s in mine for u in s.unanswerable]
        langs = [lang for s in mine for lang in s.langs]
        curve = sweep(scores, unanswerable)
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
                    lang: best_threshold(
                        sweep(
                            [score for score, q in zip(scores, langs, strict=True) if q == lang],
                            [u for u, q in zip(unanswerable, langs, strict=True) if q == lang],
                        )
                    )
                    for lang in sorted(set(langs))
                },
                curve=tuple(curve),
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
            {"command": command, "model": model, "calibrations": [asdict(c) for c in calibrations]},
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
        "\n".join(header) + render_text(calibrations), encoding="utf-8"
    )
    _plot(calibrations, folder / CALIBRATION_PLOT)
    return {n: folder / n for n in (CALIBRATION_JSON, CALIBRATION_REPORT, CALIBRATION_PLOT)}


def _plot(calibrations: Sequence[Calibration], path: Path) -> None:
    figure = Figure(figsize=(6.4, 4.4))
    axes = figure.subplots()
    for c in calibrations:
        thresholds = [p.threshold for p in c.curve]
        line = axes.plot(thresholds, [p.f1 for p in c.curve], label=f"{c.configuration} F1")[0]
        axes.axvline(c.best.threshold, color=line.get_color(), linestyle=":", linewidth=1)
    first = calibrations[0] if calibrations else None
    if first is not None:
        thresholds = [p.threshold for p in first.curve]
        axes.plot(
            thresholds,
            [p.precision or 0.0 for p in first.curve],
            "--",
            label=f"{first.configuration} precision",
            alpha=0.7,
        )
        axes.plot(
            thresholds,
            [p.recall or 0.0 for p in first.curve],
            "--",
            label=f"{first.configuration} recall",
            alpha=0.7,
        )
    axes.set(
        xlabel="abstention threshold (top quote score)",
        ylabel="abstention score",
        ylim=(0, 1.02),
        title="Abstention F1 against threshold (dotted: best)",
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
