"""PNG plots of a dataset run: recall@k curves, latency histogram, top quote scores."""

from __future__ import annotations

import math
from pathlib import Path

# Figure without pyplot: no global state and no display backend, on servers and in CI
from matplotlib.figure import Figure

from eval.outcomes import CURVE_DEPTH, recall_curve
from eval.runner import DatasetResult

RECALL_PLOT = "recall_at_k.png"
LATENCY_PLOT = "latency.png"
SCORES_PLOT = "top_scores.png"
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_LINES = ("-", "--", "-.", ":")


def plot_recall(result: DatasetResult, path: Path) -> None:
    figure = Figure(figsize=(6.4, 4.2))
    axes = figure.subplots()
    depths = list(range(1, CURVE_DEPTH + 1))
    lowest = 1.0
    for number, configuration in enumerate(result.configurations):
        curve = [v if v is not None else float("nan") for v in recall_curve(configuration.outcomes)]
        lowest = min([lowest, *(v for v in curve if not math.isnan(v))])
        # close curves overlap: distinct markers and dashes keep each one visible
        axes.plot(
            depths,
            curve,
            marker=_MARKERS[number % len(_MARKERS)],
            linestyle=_LINES[number % len(_LINES)],
            label=configuration.name,
        )
    bottom = max(0.0, math.floor((lowest - 0.02) * 20) / 20)
    axes.set(
        xlabel="k (articles)",
        ylabel="recall@k",
        title=f"{result.dataset}: article recall@k",
        xticks=depths,
        ylim=(bottom, 1.005),
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def plot_latency(result: DatasetResult, path: Path) -> None:
    figure = Figure(figsize=(6.4, 4.2))
    axes = figure.subplots()
    everything = sorted(o.latency_ms for c in result.configurations for o in c.outcomes)
    if everything:
        # a long tail under load: logarithmic bins keep both the bulk and the tail readable
        low = max(everything[0], 0.1)
        high = max(everything[int(0.99 * (len(everything) - 1))], low * 1.01)
        bins = [low * (high / low) ** (i / 40) for i in range(41)]
        for configuration in result.configurations:
            clipped = [min(max(o.latency_ms, low), high) for o in configuration.outcomes]
            axes.hist(clipped, bins=bins, histtype="step", linewidth=1.5, label=configuration.name)
        axes.set_xscale("log")
    axes.set(
        xlabel="latency per question, ms (log scale, clipped at the 99th percentile)",
        ylabel="questions",
        title=f"{result.dataset}: latency",
    )
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def plot_scores(result: DatasetResult, path: Path) -> None:
    """One row per configuration, one column per question language: cross-lingual scores run
    lower, so mixing languages in one histogram would hide where each threshold cuts."""
    rows = result.configurations
    langs = sorted({o.lang for c in rows for o in c.outcomes})
    columns = max(len(langs), 1)
    figure = Figure(figsize=(4.6 * columns + 1.8, 2.3 * len(rows) + 0.6))
    panels = figure.subplots(len(rows), columns, squeeze=False)
    for row, configuration in enumerate(rows):
        for column, lang in enumerate(langs):
            axes = panels[row, column]
            for answerable, label in ((True, "answerable"), (False, "unanswerable")):
                scores = [
                    o.top_score
                    for o in configuration.outcomes
                    if o.lang == lang and o.answerable == answerable and o.top_score is not None
                ]
                if scores:
                    axes.hist(scores, bins=30, alpha=0.55, label=f"{label} ({len(scores)})")
            for (name, threshold), style in zip(
                configuration.thresholds.items(), _LINES[1:] * 3, strict=False
            ):
                axes.axvline(
                    threshold, color="black", linestyle=style, label=f"{name} {threshold:.3f}"
                )
            axes.set_title(f"{configuration.name} · {lang} questions", fontsize="medium")
            axes.set_ylabel("questions")
            axes.legend(fontsize="x-small")
    for axes in panels[-1]:
        axes.set_xlabel("top quote score")
    figure.suptitle(f"{result.dataset}: top quote score by gold answerability")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_plots(result: DatasetResult, folder: Path) -> list[str]:
    plot_recall(result, folder / RECALL_PLOT)
    plot_latency(result, folder / LATENCY_PLOT)
    plot_scores(result, folder / SCORES_PLOT)
    return [RECALL_PLOT, LATENCY_PLOT, SCORES_PLOT]
