"""The gold JSONL format: one question a line, with evidence offsets into its article.

{"id", "question", "lang": "en"|"ar", "answerable": bool, "doc_id",
 "evidence": [[start, end], ...], "answers": ["words", ...]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eval.questions import EvalQuestion
from index.text.normalize import normalize

SEED_GOLD_PATH = Path(__file__).parent / "gold" / "seed.jsonl"


class GoldFormatError(ValueError):
    """A gold file that cannot be used; the message names the file and line."""


def read_gold(path: Path) -> list[EvalQuestion]:
    questions = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            question = _question(json.loads(line))
        except json.JSONDecodeError as error:
            raise GoldFormatError(f"{where}: invalid JSON ({error.msg})") from error
        except (KeyError, TypeError, ValueError) as error:
            raise GoldFormatError(f"{where}: {error}") from error
        if question.id in seen:
            raise GoldFormatError(f"{where}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    return questions


def _question(record: Any) -> EvalQuestion:
    if not isinstance(record, dict):
        raise TypeError("expected a JSON object")
    answerable = record["answerable"]
    if not isinstance(answerable, bool):
        raise TypeError("answerable must be true or false")
    spans = tuple((int(start), int(end)) for start, end in record.get("evidence", []))
    answers = tuple(str(answer) for answer in record.get("answers", []))
    if answerable and not spans:
        raise ValueError("an answerable question needs evidence")
    return EvalQuestion(
        id=str(record["id"]),
        question=str(record["question"]),
        lang=str(record["lang"]),
        answerable=answerable,
        doc_id=str(record["doc_id"]),
        answers=answers,
        spans=spans,
        match="evidence",
    )


def span_problems(questions: list[EvalQuestion], texts: Mapping[str, str]) -> list[str]:
    """Every way the evidence fails to fit the article texts (empty when the gold set is sound)."""
    problems = []
    for question in questions:
        text = texts.get(question.doc_id)
        if text is None:
            problems.append(f"{question.id}: unknown article {question.doc_id!r}")
            continue
        for start, end in question.spans:
            if not 0 <= start < end <= len(text):
                problems.append(f"{question.id}: span [{start}, {end}) is empty or outside")
                continue
            evidence = normalize(text[start:end])
            problems += [
                f"{question.id}: answer {answer!r} is not inside [{start}, {end})"
                for answer in question.answers
                if normalize(answer) not in evidence
            ]
    return problems
