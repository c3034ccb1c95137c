"""Ask: retrieve the best chunks for a question and quote the sentences that answer it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from index.corpus import ChunkHit, Corpus
from index.filters import ArticleFilter
from index.quotes import QuoteCandidate, QuoteConfig, best_window, overlaps


@dataclass(frozen=True)
class AnswerConfig:
    chunk_candidates: int = 20
    # below this quote score the sources are taken not to answer; see eval/ for calibration
    abstain_threshold: float = 0.80
    quotes: QuoteConfig = field(default_factory=QuoteConfig)


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    doc_id: str
    title: str
    start: int
    end: int
    score: float
    context: Span


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answerable: bool
    quotes: list[Quote]
    took_ms: float
    # every retrieved article, best first: what evaluation ranks, beyond the top_k quotes
    ranked_doc_ids: list[str] = field(default_factory=list)


class EmptyQuestionError(ValueError):
    pass


class Answerer:
    def __init__(self, corpus: Corpus, config: AnswerConfig | None = None) -> None:
        self.corpus = corpus
        self.config = config or AnswerConfig()

    def ask(
        self, question: str, top_k: int = 3, article_filter: ArticleFilter | None = None
    ) -> Answer:
        started = time.perf_counter()
        if not question.strip():
            raise EmptyQuestionError("the question is empty")
        query = self.corpus.embedder.encode_queries([question.strip()])[0]
        with self.corpus.consistent_view():
            hits = self.corpus.search_chunks(query, self.config.chunk_candidates, article_filter)
            candidates = self._quote_candidates(hits, query)
            chosen = _best_distinct(candidates, top_k)
            quotes = [self._quote(candidate) for candidate in chosen]
        answerable = bool(quotes) and quotes[0].score >= self.config.abstain_threshold
        ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
        ranked_doc_ids = list(dict.fromkeys(c.doc_id for c in ranked))
        took_ms = (time.perf_counter() - started) * 1000
        return Answer(question, answerable, quotes, took_ms, ranked_doc_ids)

    def _quote_candidates(self, hits: list[ChunkHit], query: object) -> list[QuoteCandidate]:
        candidates = []
        articles = self.corpus.get_many([hit.chunk.doc_id for hit in hits])
        for hit in hits:
            sentences = self.corpus.chunk_sentences(hit.chunk)
            text = articles[hit.chunk.doc_id].text
            texts = [text[sentence.start : sentence.end] for sentence in sentences]
            window = best_window(sentences, texts, query, hit.score, self.config.quotes)  # type: ignore[arg-type]
            if window is not None:
                candidates.append(window)
        return candidates

    def _quote(self, candidate: QuoteCandidate) -> Quote:
        article = self.corpus.get(candidate.doc_id)
        if article is None:  # cannot happen inside consistent_view; kept as a guard
            raise LookupError(f"article {candidate.doc_id!r} vanished during a read")
        before = self.corpus.sentence_span(candidate.doc_id, candidate.first_position - 1)
        after = self.corpus.sentence_span(candidate.doc_id, candidate.last_position + 1)
        context_start = before.start if before else candidate.start
        context_end = after.end if after else candidate.end
        return Quote(
            text=article.text[candidate.start : candidate.end],
            doc_id=article.id,
            title=article.title,
            start=candidate.start,
            end=candidate.end,
            score=round(candidate.score, 4),
            context=Span(article.text[context_start:context_end], context_start, context_end),
        )


def _best_distinct(candidates: list[QuoteCandidate], top_k: int) -> list[QuoteCandidate]:
    """Highest-scoring quotes, skipping any that overlaps one already chosen."""
    chosen: list[QuoteCandidate] = []
    for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
        if not any(overlaps(candidate, taken) for taken in chosen):
            chosen.append(candidate)
        if len(chosen) == top_k:
            break
    return chosen
