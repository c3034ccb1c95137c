"""Write a dataset run as results.json and report.md (next to its PNG plots)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.outcomes import Summary, recall_curve
from eval.plots import LATENCY_PLOT, RECALL_PLOT, SCORES_PLOT, write_plots
from eval.runner import ConfigurationResult, DatasetResult

RESULTS_FILE = "results.json"
REPORT_FILE = "report.md"

HEADLINE_COLUMNS = (
    ("recall@1", "R@1"),
    ("recall@5", "R@5"),
    ("recall@10", "R@10"),
    ("MRR@10", "MRR@10"),
    ("nDCG@10", "nDCG@10"),
    ("quote_hit@1", "hit@1"),
    ("quote_hit@3", "hit@3"),
    ("abstention_precision", "abst. P"),
    ("abstention_recall", "abst. R"),
    ("abstention_f1", "abst. F1"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)
DETAIL_COLUMNS = (
    ("questions", "questions"),
    ("answerable", "answerable"),
    ("unanswerable", "unanswerable"),
    ("answered_correctly", "answered correctly"),
    ("abstain_rate", "abstain rate"),
    ("quote_chars_median", "quote chars median"),
    ("quote_chars_mean", "quote chars mean"),
)
LANGUAGE_COLUMNS = (
    ("questions", "questions"),
    ("recall@1", "R@1"),
    ("recall@10", "R@10"),
    ("MRR@10", "MRR@10"),
    ("quote_hit@1", "hit@1"),
    ("quote_hit@3", "hit@3"),
    ("abstention_f1", "abst. F1"),
)


def write_report(
    result: DatasetResult,
    folder: Path,
    model: str,
    command: str,
    generated: str | None = None,
) -> dict[str, Path]:
    """``generated`` is the time of the run, when a saved one is rendered again."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = write_plots(result, folder)
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (folder / RESULTS_FILE).write_text(
        json.dumps(results_json(result, model, command, generated), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    (folder / REPORT_FILE).write_text(markdown(result, model, command, generated), "utf-8")
    return {name: folder / name for name in (RESULTS_FILE, REPORT_FILE, *plots)}


def results_json(result: DatasetResult, model: str, command: str, generated: str) -> Any:
    return {
        "dataset": result.dataset,
        "generated": generated,
        "command": command,
        "model": model,
        "mode": result.mode,
        "notes": list(result.notes),
        "articles_indexed": result.articles_indexed,
        "index_build_seconds": result.index_build_seconds,
        "top_k": result.top_k,
        "configurations": [
            {
                "name": c.name,
                "overrides": c.overrides,
                "answer_config": c.answer_config,
                "summary": c.summary,
                "by_language": c.by_language,
                "recall_curve": recall_curve(c.outcomes),
                "outcomes": [asdict(o) for o in c.outcomes],
            }
            for c in result.configurations
        ],
    }


def _cell(value: float | int | None, key: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or key.startswith("quote_chars"):
        return f"{value:.0f}"
    if key.startswith("latency"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def table(rows: list[tuple[str, Summary]], columns: tuple[tuple[str, str], ...]) -> list[str]:
    lines = [
        "| configuration | " + " | ".join(label for _, label in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name, summary in rows:
        cells = " | ".join(_cell(summary.get(key), key) for key, _ in columns)
        lines.append(f"| {name} | {cells} |")
    return lines


def headline_table(result: DatasetResult) -> list[str]:
    return table([(c.name, c.summary) for c in result.configurations], HEADLINE_COLUMNS)


def markdown(result: DatasetResult, model: str, command: str, generated: str) -> str:
    configurations = result.configurations
    thresholds = sorted(
        {f"{name} {value:.3f}" for c in configurations for name, value in c.thresholds.items()}
    )
    build = (
        f"; index built (or reused) in {result.index_build_seconds:.0f} s"
        if result.index_build_seconds is not None
        else ""
    )
    lines = [
        f"# Evaluation: {result.dataset}",
        "",
        f"Generated {generated} with model `{model}`, top_k {result.top_k}, "
        f"{', '.join(thresholds)}; "
        f"{result.articles_indexed} article(s) indexed{build}.",
        f"Mode: {result.mode}.",
        "",
        "Reproduce with:",
        "",
        f"    {command}",
        "",
        "## Data",
        "",
        *(f"- {note}" for note in result.notes),
        "",
        "## Headline",
        "",
        *headline_table(result),
        "",
        *table([(c.name, c.summary) for c in configurations], DETAIL_COLUMNS),
        "",
        "Configurations (AnswerConfig overrides on the same index):",
        "",
        *(f"- `{c.name}`: {c.overrides}" for c in configurations),
        "",
        "## By question language",
        "",
        *table(
            [
                (f"{c.name} · {lang}", s)
                for c in configurations
                for lang, s in c.by_language.items()
            ],
            LANGUAGE_COLUMNS,
        ),
        "",
        "## Plots",
        "",
        f"![recall@k]({RECALL_PLOT})",
        "",
        *_recall_reading(configurations),
        "",
        f"![latency]({LATENCY_PLOT})",
        "",
        *_latency_reading(configurations),
        "",
        f"![top quote scores]({SCORES_PLOT})",
        "",
        *_score_reading(configurations),
        "",
        "## How to read this",
        "",
        "- R@k, MRR@10, nDCG@10: rank of the gold article among the returned articles, over "
        "answerable questions (one gold article each, so nDCG@10 is 1/log2(1 + rank)).",
        "- hit@k: one of the first k quotes holds the gold answer (see Data); counted whether "
        "or not the service abstained, since the quotes are still shown as nearest passages. "
        "'answered correctly' needs both an answer (no abstention) and a hit in the first quote.",
        "- abst. P/R/F1: abstention as the positive class; gold positives are the unanswerable "
        "questions. n/a where a ratio has no denominator (e.g. no unanswerable question).",
        "- quote chars: length of the first quote; latency: wall-clock time of one ask, measured "
        "around the call.",
        "",
    ]
    return "\n".join(lines)


def _recall_reading(configurations: tuple[ConfigurationResult, ...]) -> list[str]:
    lines = []
    for c in configurations:
        curve = recall_curve(c.outcomes)
        if curve and curve[0] is not None and curve[-1] is not None:
            lines.append(
                f"- `{c.name}`: recall rises from {curve[0]:.3f} at k=1 to {curve[-1]:.3f} at "
                f"k=10; {1 - curve[-1]:.1%} of answerable questions never see their article "
                "in the top 10."
            )
    return lines or ["- no answerable questions"]


def _latency_reading(configurations: tuple[ConfigurationResult, ...]) -> list[str]:
    return [
        f"- `{c.name}`: median {_cell(c.summary['latency_p50_ms'], 'latency')} ms, p95 "
        f"{_cell(c.summary['latency_p95_ms'], 'latency')} ms."
        for c in configurations
    ]


def _score_reading(configurations: tuple[ConfigurationResult, ...]) -> list[str]:
    lines = []
    for c in configurations:
        parts = []
        for answerable, label in ((True, "answerable"), (False, "unanswerable")):
            mine = [o for o in c.outcomes if o.answerable == answerable]
            scores = sorted(o.top_score for o in mine if o.top_score is not None)
            if scores:
                abstained = sum(o.abstained for o in mine) / len(mine)
                parts.append(
                    f"{label} median {scores[len(scores) // 2]:.3f} ({abstained:.0%} abstained)"
                )
        lines.append(f"- `{c.name}`: " + ("; ".join(parts) or "no quotes") + ".")
    return lines
