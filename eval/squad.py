"""SQuAD-format files (XQuAD, ARCD) as evaluation data: paragraphs become title-less articles.

Titles are Wikipedia page names that news does not carry; indexed next to Arabic paragraphs
they would hand English questions a hint, so they are never part of an article's text or title.

A fixed share of paragraphs is held back (not indexed); their questions become the
unanswerable ones, so abstention is measured on questions whose answer truly is absent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.questions import CharSpan, EvalQuestion
from index.article import Article
from index.text.normalize import normalize_for_storage

HOLDBACK_FRACTION = 0.2


@dataclass(frozen=True, slots=True)
class SquadQuestion:
    id: str
    question: str
    # (text, answer_start) as given; the start may be off in a few crowd-sourced records
    answers: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SquadParagraph:
    article: Article
    questions: tuple[SquadQuestion, ...]


@dataclass(frozen=True)
class SquadSplit:
    indexed: tuple[Article, ...]
    held_back: tuple[Article, ...]
    questions: tuple[EvalQuestion, ...]
    # questions of the question file that the context file does not have
    unmatched: int


def read_squad_paragraphs(path: Path, corpus: str, lang: str) -> list[SquadParagraph]:
    """Paragraphs in file order; article ids are ``{corpus}-{article}-{paragraph}``."""
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    paragraphs = []
    for article_number, entry in enumerate(data["data"]):
        for paragraph_number, paragraph in enumerate(entry["paragraphs"]):
            article = Article.create(
                id=f"{corpus}-{article_number}-{paragraph_number}",
                text=paragraph["context"],
                lang=lang,
                source=corpus,
            )
            questions = tuple(
                SquadQuestion(
                    id=str(qa["id"]),
                    # some ARCD questions carry a leading list dash and stray spaces
                    question=qa["question"].strip().lstrip("-").strip(),
                    answers=tuple(
                        (normalize_for_storage(answer["text"]).strip(), int(answer["answer_start"]))
                        for answer in qa["answers"]
                    ),
                )
                for qa in paragraph["qas"]
            )
            paragraphs.append(SquadParagraph(article, questions))
    return paragraphs


def held_back_ids(article_ids: list[str], fraction: float = HOLDBACK_FRACTION) -> set[str]:
    """A fixed ``fraction`` of the ids, chosen by hash: the same on every run and machine."""
    ranked = sorted(article_ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())
    return set(ranked[: round(len(ranked) * fraction)])


def answer_span(text: str, answer: str, start: int) -> CharSpan | None:
    """The answer's span in ``text``: at ``start`` when it is there, else its nearest occurrence."""
    if not answer:
        return None
    if text[start : start + len(answer)] == answer:
        return start, start + len(answer)
    found = []
    position = text.find(answer)
    while position >= 0:
        found.append(position)
        position = text.find(answer, position + 1)
    if not found:
        return None
    nearest = min(found, key=lambda p: abs(p - start))
    return nearest, nearest + len(answer)


def squad_split(
    contexts: list[SquadParagraph],
    question_texts: dict[str, tuple[str, str]] | None = None,
    fraction: float = HOLDBACK_FRACTION,
) -> SquadSplit:
    """Questions over ``contexts``; ``question_texts`` (id -> (question, lang)) replaces each
    question by its parallel translation, matched by id, for cross-lingual evaluation. Gold
    answers always come from the context file: they are what a quote of the context can hold."""
    held = held_back_ids([p.article.id for p in contexts], fraction)
    questions = []
    used: set[str] = set()
    for paragraph in contexts:
        article = paragraph.article
        for squad_question in paragraph.questions:
            text, lang = squad_question.question, article.lang or ""
            if question_texts is not None:
                if squad_question.id not in question_texts:
                    continue
                text, lang = question_texts[squad_question.id]
                used.add(squad_question.id)
            spans = [answer_span(article.text, a, s) for a, s in squad_question.answers]
            questions.append(
                EvalQuestion(
                    id=squad_question.id,
                    question=text,
                    lang=lang,
                    answerable=article.id not in held,
                    doc_id=article.id,
                    answers=tuple(dict.fromkeys(a for a, _ in squad_question.answers if a)),
                    spans=tuple(dict.fromkeys(s for s in spans if s is not None)),
                    match="answer",
                )
            )
    unmatched = len(set(question_texts) - used) if question_texts is not None else 0
    return SquadSplit(
        indexed=tuple(p.article for p in contexts if p.article.id not in held),
        held_back=tuple(p.article for p in contexts if p.article.id in held),
        questions=tuple(questions),
        unmatched=unmatched,
    )


def parallel_questions(paragraphs: list[SquadParagraph], lang: str) -> dict[str, tuple[str, str]]:
    """Question id -> (question text, language), for matching against a parallel file."""
    return {q.id: (q.question, lang) for p in paragraphs for q in p.questions}
