"""Read a saved results.json back into a dataset run, to render its report again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.outcomes import QuestionOutcome
from eval.runner import ConfigurationResult, DatasetResult


class ResultsFileError(ValueError):
    """A results.json that cannot be read; the message names the file."""


def load_results_json(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot be read: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ResultsFileError(f"{path}: invalid JSON ({error.msg})") from error
    if not isinstance(data, dict) or "configurations" not in data:
        raise ResultsFileError(f"{path}: not a results.json written by iqtibas eval")
    return data


@dataclass(frozen=True)
class SavedRun:
    result: DatasetResult
    model: str
    command: str
    generated: str


def read_results(path: Path) -> SavedRun:
    data = load_results_json(path)
    try:
        return _saved_run(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ResultsFileError(f"{path}: missing or malformed field: {error}") from error


def _saved_run(data: Any) -> SavedRun:
    configurations = tuple(
        ConfigurationResult(
            name=str(c["name"]),
            overrides=str(c["overrides"]),
            answer_config=dict(c["answer_config"]),
            outcomes=tuple(_outcome(o) for o in c["outcomes"]),
            summary=dict(c["summary"]),
            by_language={str(k): dict(v) for k, v in c["by_language"].items()},
        )
        for c in data["configurations"]
    )
    result = DatasetResult(
        dataset=str(data["dataset"]),
        notes=tuple(data["notes"]),
        mode=str(data["mode"]),
        articles_indexed=int(data["articles_indexed"]),
        index_build_seconds=data["index_build_seconds"],
        top_k=int(data["top_k"]),
        configurations=configurations,
    )
    return SavedRun(result, str(data["model"]), str(data["command"]), str(data["generated"]))


def _outcome(record: Any) -> QuestionOutcome:
    return QuestionOutcome(
        **{**record, "recall_curve": tuple(record["recall_curve"])},
    )
