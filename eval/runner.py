"""Run one dataset: index its articles once, then ask every question under each configuration."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from tqdm import tqdm

from eval.backends import Backend
from eval.configurations import Configuration
from eval.outcomes import QuestionOutcome, Summary, judge, summarise
from eval.questions import EvalDataset, EvalQuestion
from index.answerer import AnswerConfig


@dataclass(frozen=True)
class ConfigurationResult:
    name: str
    overrides: str
    answer_config: dict[str, object]
    outcomes: tuple[QuestionOutcome, ...]
    summary: Summary
    by_language: dict[str, Summary]

    @property
    def thresholds(self) -> dict[str, float]:
        """Every abstention threshold of the configuration (one per question script, say)."""
        return {
            name: float(str(value))
            for name, value in self.answer_config.items()
            if name.startswith("abstain_threshold")
        }


@dataclass(frozen=True)
class DatasetResult:
    dataset: str
    notes: tuple[str, ...]
    mode: str
    articles_indexed: int
    index_build_seconds: float | None
    top_k: int
    configurations: tuple[ConfigurationResult, ...]


def limited(questions: Sequence[EvalQuestion], limit: int | None) -> list[EvalQuestion]:
    """The first ``limit`` questions in a fixed hashed order: a small, mixed sample (both
    languages, answerable and not) that is the same on every run."""
    if limit is None or limit >= len(questions):
        return list(questions)
    ordered = sorted(questions, key=lambda q: hashlib.sha256(q.id.encode()).hexdigest())
    return ordered[:limit]


def run_dataset(
    dataset: EvalDataset,
    backend: Backend,
    configurations: Sequence[Configuration],
    base_config: AnswerConfig,
    top_k: int = 3,
    limit: int | None = None,
    show_progress: bool = True,
) -> DatasetResult:
    questions = limited(dataset.questions, limit)
    backend.load(dataset.articles, dataset.name)
    build_seconds = getattr(backend, "build_seconds", None)
    results = []
    for configuration in configurations:
        config = configuration.apply(base_config)
        outcomes = tuple(
            judge(question, backend.ask(question.question, top_k, config))
            for question in tqdm(
                questions,
                desc=f"{dataset.name} · {configuration.name}",
                unit="question",
                disable=not show_progress,
            )
        )
        languages = sorted({o.lang for o in outcomes})
        results.append(
            ConfigurationResult(
                name=configuration.name,
                overrides=configuration.describe(),
                answer_config=asdict(config),
                outcomes=outcomes,
                summary=summarise(outcomes),
                by_language={
                    lang: summarise([o for o in outcomes if o.lang == lang]) for lang in languages
                },
            )
        )
    return DatasetResult(
        dataset=dataset.name,
        notes=dataset.notes,
        mode=backend.description,
        articles_indexed=len(dataset.articles),
        index_build_seconds=build_seconds,
        top_k=top_k,
        configurations=tuple(results),
    )
