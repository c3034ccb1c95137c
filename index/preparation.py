"""Turning articles into what the store commits, in steps that run anywhere: on the ingest
threads of one process, or as Ray tasks and actors on other machines (ray_ingest.py).

Every step is a pure function of its inputs and the ingest configuration, so a local and a
distributed ingest of the same articles store the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.article import Article
from index.embedding.embedder import Embedder, Matrix
from index.passages import ArticlePassages
from index.rows import LexiconEntries, PreparedArticle

# texts per model call of the ingest at most: enough to batch well, few enough to share out
# between the encode threads and to move the progress bar
ENCODE_PIECE = 128


@dataclass(frozen=True, slots=True)
class PreparedGroup:
    """One commit group: its articles with vectors and terms, each article's lexicon terms,
    and the embedded lexicon terms that may be new (the writer keeps those the store and the
    groups before lack)."""

    articles: Sequence[PreparedArticle]
    lexicon_terms: Sequence[Sequence[str]]
    lexicon_candidates: LexiconEntries | None


def commit_groups(articles: Sequence[Article], size: int) -> list[list[Article]]:
    """The articles in commit groups of ``size``, each id once: its last version, at the
    place it first appears."""
    unique = list({article.id: article for article in articles}.values())
    return [unique[begin : begin + size] for begin in range(0, len(unique), size)]


def group_texts(group: Iterable[ArticlePassages], embed_titles: bool) -> list[str]:
    """The texts a group embeds: of each article in turn, its chunks, then its sentences."""
    return [
        text
        for passages in group
        for text in passages.chunk_texts(embed_titles) + passages.sentence_texts()
    ]


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    """An article's passages with the lexical terms of each, and its lexicon terms with the
    first word form of each (empty when no lexicon is built): everything but the vectors."""

    passages: ArticlePassages
    sentence_terms: list[str]
    chunk_terms: list[str]
    term_surfaces: dict[str, str]


def analyse(passages: ArticlePassages, embed_titles: bool, build_lexicon: bool) -> AnalysedArticle:
    return AnalysedArticle(
        passages,
        passages.sentence_terms(),
        passages.chunk_terms(embed_titles),
        passages.arabic_term_surfaces() if build_lexicon else {},
    )


def group_term_surfaces(surfaces_per_article: Iterable[dict[str, str]]) -> dict[str, str]:
    """The lexicon terms of a group in order of first appearance, each with its first word
    form: the form the lexicon embeds for a term new in this group."""
    surfaces: dict[str, str] = {}
    for article_surfaces in surfaces_per_article:
        for term, surface in article_surfaces.items():
            surfaces.setdefault(term, surface)
    return surfaces


def prepare_group(
    group: Sequence[AnalysedArticle],
    vectors: Matrix,
    lexicon_candidates: LexiconEntries | None,
    build_lexicon: bool,
) -> PreparedGroup:
    """The group ready to commit; ``vectors`` holds the ``group_texts`` of ``group``."""
    prepared = []
    offset = 0
    for analysed in group:
        passages = analysed.passages
        chunk_count, sentence_count = len(passages.chunks), len(passages.sentence_spans)
        chunk_vectors = vectors[offset : offset + chunk_count]
        sentence_vectors = vectors[offset + chunk_count : offset + chunk_count + sentence_count]
        offset += chunk_count + sentence_count
        prepared.append(
            PreparedArticle(
                article=passages.article,
                sentence_spans=passages.sentence_spans,
                sentence_vectors=sentence_vectors,
                sentence_terms=analysed.sentence_terms,
                chunk_spans=passages.chunk_spans(),
                chunk_vectors=chunk_vectors,
                chunk_terms=analysed.chunk_terms,
            )
        )
    lexicon_terms = [list(a.term_surfaces) for a in group] if build_lexicon else []
    return PreparedGroup(prepared, lexicon_terms, lexicon_candidates)


def embed_group(
    embedder: Embedder,
    group: Sequence[AnalysedArticle],
    embed_titles: bool,
    batch_size: int,
    build_lexicon: bool,
    new_term: Callable[[str], bool] | None,
) -> PreparedGroup:
    """The group embedded in one place, as a Ray actor does: its passages, and as lexicon
    candidates the terms that ``new_term`` accepts (none when it is None)."""
    vectors = encode_in_pieces(
        group_texts((analysed.passages for analysed in group), embed_titles),
        lambda piece: embedder.encode_passages(piece, batch_size=batch_size),
        embedder.dimension,
    )
    candidates = None
    if new_term is not None:
        surfaces = group_term_surfaces(analysed.term_surfaces for analysed in group)
        terms = [term for term in surfaces if new_term(term)]
        words = [surfaces[term] for term in terms]
        candidates = LexiconEntries(
            terms, words, encode_in_pieces(words, embedder.encode_words, embedder.dimension)
        )
    return prepare_group(group, vectors, candidates, build_lexicon)


def encode_in_pieces(
    texts: Sequence[str],
    encode: Callable[[list[str]], Matrix],
    dimension: int,
    on_piece: Callable[[int], None] | None = None,
    run_pieces: Callable[[Callable[[list[int]], Matrix], list[list[int]]], Iterable[Matrix]]
    | None = None,
) -> Matrix:
    """Vectors of ``texts`` in their order, encoded in pieces of similar length (sorted, so
    that a model batch pads little); ``on_piece`` is told each piece's size when done and
    ``run_pieces`` may map the pieces over worker threads."""
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pieces = [order[at : at + ENCODE_PIECE] for at in range(0, len(order), ENCODE_PIECE)]

    def run(piece: list[int]) -> Matrix:
        encoded = encode([texts[i] for i in piece])
        if on_piece is not None:
            on_piece(len(piece))
        return encoded

    mapped = map(run, pieces) if run_pieces is None else run_pieces(run, pieces)
    for piece, encoded in zip(pieces, mapped, strict=True):
        vectors[piece] = encoded
    return vectors
