"""Choose one of several configurations out of fold, from a saved ``iqtibas eval`` run.

    python -m eval.cross_validate_choice --results DIR --config m005 --config default ...

A setting picked as the best of a grid on the development sets scores too well on those
sets: the pick saw every question. Here the pick is made five times, each time on four folds
of the development questions (folds by Wikipedia article, ``train_ranker.fold_of_group``:
sibling paragraphs never straddle a split), by the mean over the datasets of ``--metric``,
and measured on the fifth fold, which it never saw. The out-of-fold numbers are the honest
estimate of choosing by that grid; the report also prints each configuration on all folds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import default_data_dir, load_dataset
from eval.outcomes import QuestionOutcome
from eval.results_file import ResultsFileError, read_results
from eval.squad import HOLDBACK_FRACTION
from eval.train_ranker import FOLDS, article_group, fold_of_group
from service.settings import Settings

DEVELOPMENT = ("xquad-en-ar", "xquad-ar", "arcd")
METRICS: dict[str, Callable[[QuestionOutcome], bool]] = {
    "recall@1": lambda outcome: outcome.article_rank == 1,
    "hit@1": lambda outcome: outcome.hit_rank == 1,
}


@dataclass(frozen=True)
class Scored:
    """Per configuration, the answerable questions' fold and whether each met each metric."""

    folds: list[int]
    met: dict[str, dict[str, list[bool]]]  # configuration -> metric -> per question

    def rate(self, configuration: str, metric: str, folds: set[int]) -> float:
        values = [
            met
            for fold, met in zip(self.folds, self.met[configuration][metric], strict=True)
            if fold in folds
        ]
        return sum(values) / len(values) if values else 0.0


def score_dataset(results: Path, dataset: str, folds_of: dict[str, int]) -> Scored:
    path = results / dataset / "results.json"
    run = read_results(path).result
    met: dict[str, dict[str, list[bool]]] = {}
    questions: list[str] | None = None
    for configuration in run.configurations:
        answerable = [o for o in configuration.outcomes if o.answerable]
        asked = [o.question_id for o in answerable]
        if questions is not None and asked != questions:
            raise ResultsFileError(f"{path}: configurations asked different questions")
        questions = asked
        met[configuration.name] = {
            name: [rule(o) for o in answerable] for name, rule in METRICS.items()
        }
    return Scored([folds_of[question] for question in questions or []], met)


def question_folds(dataset: str, data_dir: Path, seeds_dir: Path) -> dict[str, int]:
    loaded = load_dataset(dataset, data_dir, seeds_dir, [], holdback=HOLDBACK_FRACTION)
    return {q.id: fold_of_group(article_group(q.doc_id)) for q in loaded.questions}


def choose(
    scored: dict[str, Scored], configurations: Sequence[str], metric: str, folds: set[int]
) -> str:
    """The configuration with the best mean ``metric`` over the datasets on ``folds``; a tie
    goes to the one named first."""
    return max(
        configurations,
        key=lambda name: sum(s.rate(name, metric, folds) for s in scored.values()) / len(scored),
    )


def report(
    scored: dict[str, Scored], configurations: Sequence[str], metric: str, command: str
) -> str:
    every_fold = set(range(FOLDS))
    lines = [f"    {command}", "", "## Each configuration on every fold (in sample)", ""]
    lines.append("| configuration | " + " | ".join(f"{d} R@1 / hit@1" for d in scored) + " |")
    lines.append("|---|" + "---|" * len(scored))
    for name in configurations:
        cells = [
            f"{s.rate(name, 'recall@1', every_fold):.3f} / {s.rate(name, 'hit@1', every_fold):.3f}"
            for s in scored.values()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"## Chosen on four folds by mean {metric}, measured on the fifth", ""]
    lines.append("| held-out fold | chosen | " + " | ".join(scored) + " |")
    lines.append("|---|---|" + "---|" * len(scored))
    out_of_fold: dict[str, dict[str, list[bool]]] = {d: {m: [] for m in METRICS} for d in scored}
    for fold in range(FOLDS):
        chosen = choose(scored, configurations, metric, every_fold - {fold})
        cells = []
        for dataset, s in scored.items():
            for name in METRICS:
                out_of_fold[dataset][name] += [
                    met for f, met in zip(s.folds, s.met[chosen][name], strict=True) if f == fold
                ]
            cells.append(f"{s.rate(chosen, metric, {fold}):.3f}")
        lines.append(f"| {fold} | {chosen} | " + " | ".join(cells) + " |")
    lines += ["", "Out of fold, all folds together (R@1 / hit@1):", ""]
    for dataset, values in out_of_fold.items():
        recall, hit = values["recall@1"], values["hit@1"]
        lines.append(
            f"- {dataset}: {sum(recall) / len(recall):.3f} / {sum(hit) / len(hit):.3f} "
            f"({len(recall)} answerable questions)"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.cross_validate_choice", description=__doc__
    )
    parser.add_argument("--results", type=Path, required=True, help="an iqtibas eval --out DIR")
    parser.add_argument("--config", action="append", dest="configurations", required=True)
    parser.add_argument("--datasets", default=",".join(DEVELOPMENT))
    parser.add_argument("--metric", choices=sorted(METRICS), default="recall@1")
    arguments = parser.parse_args(argv)
    settings = Settings()
    data_dir = default_data_dir()
    scored: dict[str, Scored] = {}
    try:
        for dataset in arguments.datasets.split(","):
            folds_of = question_folds(dataset, data_dir, settings.seeds_dir)
            scored[dataset] = score_dataset(arguments.results, dataset, folds_of)
    except (ResultsFileError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    missing = [
        name for name in arguments.configurations for s in scored.values() if name not in s.met
    ]
    if missing:
        print(f"error: not in the results: {', '.join(sorted(set(missing)))}", file=sys.stderr)
        return 2
    command = "python -m eval.cross_validate_choice " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    print(report(scored, arguments.configurations, arguments.metric, command), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
