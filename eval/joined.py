"""The development sets with each Wikipedia article's paragraphs joined into one document.

In the SQuAD-style sets every answering article is one short paragraph (usually one chunk),
while news articles are long: a ranker trained on paragraphs alone never sees "the right
article, the wrong sentence", nor a chunk that must be told from its siblings, and it learns
that long documents never answer. Joined, an article holds its indexed paragraphs in file
order, one per line, and its questions point into it; a held-back paragraph stays out, so its
questions become unanswerable questions about an article that is indexed, on its topic and
its names, as the seed gold set's unanswerable questions are about the seed's war.

Invariants: a joined article's text is its paragraphs' texts joined by "\\n", and every
answerable question's spans are its paragraph's spans shifted by where that paragraph starts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from eval.datasets import _ARCD, _XQUAD_AR, _XQUAD_EN, _file, load_distractors
from eval.questions import EvalDataset, EvalQuestion
from eval.squad import SquadParagraph, parallel_questions, read_squad_paragraphs, squad_split
from index.article import Article
from index.seeds import read_seeds

JOINED_SUFFIX = "joined"


def joined_id(paragraph_id: str) -> str:
    """``xquad-ar-3-4`` -> ``xquad-ar-3-joined``: the article of a paragraph."""
    return f"{paragraph_id.rsplit('-', 1)[0]}-{JOINED_SUFFIX}"


def join_paragraphs(
    paragraphs: list[SquadParagraph], held_back: set[str]
) -> tuple[list[Article], dict[str, int]]:
    """One article per Wikipedia article from its paragraphs not held back, and where each
    of those paragraphs starts in it."""
    texts: dict[str, list[str]] = {}
    offsets: dict[str, int] = {}
    for paragraph in paragraphs:
        article = paragraph.article
        if article.id in held_back:
            continue
        parts = texts.setdefault(joined_id(article.id), [])
        offsets[article.id] = sum(len(part) + 1 for part in parts)
        parts.append(article.text)
    lang = paragraphs[0].article.lang if paragraphs else None
    source = paragraphs[0].article.source if paragraphs else None
    articles = [
        Article.create(id=doc_id, text="\n".join(parts), lang=lang, source=source)
        for doc_id, parts in texts.items()
    ]
    return articles, offsets


def _remap(question: EvalQuestion, offsets: dict[str, int]) -> EvalQuestion:
    shift = offsets.get(question.doc_id)
    spans = tuple((s + shift, e + shift) for s, e in question.spans) if shift is not None else ()
    return dataclasses.replace(
        question, doc_id=joined_id(question.doc_id), spans=spans if question.answerable else ()
    )


def joined_development_sets(data_dir: Path, seeds_dir: Path, holdback: float) -> list[EvalDataset]:
    """xquad-en-ar, xquad-ar and arcd over one joined archive: the seed, NTREX-dev and the
    joined XQuAD-dev Arabic and ARCD articles."""
    xquad = read_squad_paragraphs(_file(data_dir, _XQUAD_AR), "xquad-ar", "ar")
    arcd = read_squad_paragraphs(_file(data_dir, _ARCD), "arcd", "ar")
    english = parallel_questions(
        read_squad_paragraphs(_file(data_dir, _XQUAD_EN), "xquad-en", "en"), "en"
    )
    splits = {
        "xquad-en-ar": (squad_split(xquad, english, holdback), xquad),
        "xquad-ar": (squad_split(xquad, fraction=holdback), xquad),
        "arcd": (squad_split(arcd, fraction=holdback), arcd),
    }
    archive: list[Article] = list(read_seeds(seeds_dir)) + load_distractors("ntrex", data_dir)
    offsets: dict[str, int] = {}
    for name in ("xquad-ar", "arcd"):
        split, paragraphs = splits[name]
        joined, starts = join_paragraphs(paragraphs, {a.id for a in split.held_back})
        archive += joined
        offsets.update(starts)
    return [
        EvalDataset(
            f"{name}-joined",
            tuple(archive),
            tuple(_remap(q, offsets) for q in split.questions),
            ("Each Wikipedia article's indexed paragraphs joined into one document.",),
        )
        for name, (split, _) in splits.items()
    ]
