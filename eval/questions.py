"""What an evaluation is made of: questions with their gold answers, and the articles to index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from index.article import Article

# How a returned quote is judged: "evidence" (gold sentences that must be covered, the seed
# gold set) or "answer" (short SQuAD answer strings and their character spans).
MatchRule = Literal["evidence", "answer"]
CharSpan = tuple[int, int]


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    id: str
    question: str
    lang: str
    answerable: bool
    # the article that answers; for a held-back SQuAD paragraph, the one that is not indexed
    doc_id: str
    answers: tuple[str, ...]
    # [start, end) in the text of ``doc_id``: evidence sentences, or SQuAD answer spans
    spans: tuple[CharSpan, ...]
    match: MatchRule


@dataclass(frozen=True)
class EvalDataset:
    name: str
    articles: tuple[Article, ...]
    questions: tuple[EvalQuestion, ...]
    # how the dataset was put together, one line each, for the report
    notes: tuple[str, ...] = field(default=())
