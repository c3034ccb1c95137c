"""Ask: gather candidate chunks for a question and quote the sentences that answer it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from index.article import Article
from index.corpus import Corpus
from index.embedding.embedder import Matrix
from index.errors import InputError
from index.filters import ArticleFilter
from index.lexicon import TranslationConfig
from index.quotes import (
    ChunkQuote,
    QuoteCandidate,
    QuoteConfig,
    SentenceEvidence,
    best_window,
    overlaps,
)
from index.read_view import ReadView
from index.retrieval.candidates import (
    ChunkCandidate,
    RetrievalConfig,
    feedback_query,
    gather_candidates,
)
from index.retrieval.evidence import WindowEvidence, collect_windows, weighted_window_scores
from index.retrieval.language_offset import english_offset, shifted
from index.retrieval.query import (
    AnalyzedQuery,
    EncodedQuestion,
    encode_question,
    untranslated_words,
    weigh_terms,
)
from index.retrieval.ranker import (
    abstention_features,
    first_quote_abstention_features,
    learned_first_quote,
    load_model,
)

Ranking = Literal[
    "weighted",
    "weighted-every-window",
    "weighted-every-window-article",
    "learned-first-quote",
    "learned",
]
Abstention = Literal["threshold", "learned"]


def abstention_fits_ranking(ranking: Ranking, abstention: Abstention) -> bool:
    """The learned abstention models belong to the learned rankings; the weighted ones have
    none."""
    return not (abstention == "learned" and ranking.startswith("weighted"))


@dataclass(frozen=True)
class AnswerConfig:
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    quotes: QuoteConfig = field(default_factory=QuoteConfig)
    # English words matched to Arabic corpus terms; None turns it off
    translation: TranslationConfig | None = field(default_factory=TranslationConfig)
    # chunks, best fused first, whose sentences are scored as quotes
    quote_chunks: int = 30
    # below this quote score the sources are taken not to answer; calibrated on development
    # data (eval/README.md). Cross-lingual cosines run lower, so questions written in Latin
    # script have their own threshold.
    abstain_threshold: float = 0.812
    # with the English query shift below, English questions' cosines run higher than they
    # did: 0.745 before it, 0.776 with it (eval/reports/english-query-shift/)
    abstain_threshold_latin: float = 0.776
    # how quotes are ranked: "weighted", the fixed mix of QuoteConfig's weights over each
    # chunk's best window; "weighted-every-window", the same mix over every window of every
    # candidate chunk, a pair paying the pair margin in its score;
    # "weighted-every-window-article" (the default), "weighted" except that the first quote is
    # the best quote of the article that leads when pairs pay the article pair margin, the
    # article the every-window ranking puts first with that margin; "learned-first-quote", as
    # the every-window ranking except that the learned ranker chooses the first quote inside
    # the mix's first article (retrieval/ranker.py, learned_first_quote; scores stay on the
    # weighted scale);
    # "learned", every window scored by the learned ranker, its probability of quoting the
    # answer. Why each is or is not the default: eval/reports/archive-every-window-article/
    # and, for the article pair margin, eval/reports/archive-article-margin/
    ranking: Ranking = "weighted-every-window-article"
    # when to abstain: "threshold", the first quote's score under the script's threshold
    # (above for the weighted rankings; chosen with the learned ranker for its
    # probabilities); "learned", the learned abstention model of the ranking over the
    # question's evidence (retrieval/ranker.py; not for the "weighted" ranking)
    abstention: Abstention = "threshold"
    # a question is read up to this many characters (XQuAD's longest has 156): the model pass
    # and the terms grow with the question, so a long one would cost seconds; the rest is
    # ignored, and the answer says so
    max_question_characters: int = 300
    # how much of the model's English-to-Arabic offset an English question's vector loses
    # before it meets the archive (retrieval/language_offset.py); 0 leaves it as encoded.
    # Chosen by cross-validation by article: eval/reports/english-query-shift/ (the learned
    # rankings' models are trained with it: eval/reports/ranker/)
    english_query_shift: float = 0.5

    def __post_init__(self) -> None:
        if not abstention_fits_ranking(self.ranking, self.abstention):
            raise ValueError(
                "abstention='learned' needs a learned ranking (learned-first-quote or learned)"
            )

    @property
    def lexical(self) -> bool:
        return self.retrieval.lexical_chunks > 0 or self.quotes.lexical_weight > 0


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
class QuestionLimits:
    """What the per-question cost caps left out of a question; nothing for ordinary ones."""

    # the end of the question past AnswerConfig.max_question_characters, not read
    ignored_text: str = ""
    # English words past TranslationConfig.max_words: matched as written, not translated
    untranslated_words: tuple[str, ...] = ()

    @property
    def applied(self) -> bool:
        return bool(self.ignored_text or self.untranslated_words)


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answerable: bool
    quotes: list[Quote]
    took_ms: float
    # every retrieved article, best first: what evaluation ranks, beyond the top_k quotes
    ranked_doc_ids: list[str] = field(default_factory=list)
    limits: QuestionLimits = field(default_factory=QuestionLimits)


class EmptyQuestionError(InputError):
    pass


class Answerer:
    def __init__(self, corpus: Corpus, config: AnswerConfig | None = None) -> None:
        self.corpus = corpus
        self.config = config or AnswerConfig()

    def ask(
        self, question: str, top_k: int = 3, article_filter: ArticleFilter | None = None
    ) -> Answer:
        started = time.perf_counter()
        asked = question.strip()
        question, limits = self.read_question(asked)
        if not question:
            raise EmptyQuestionError("the question is empty")
        translation = self._translation()
        # the model pass needs no view: writes are not held up by it
        encoded = self._encode(question, translation)
        learned_answer: bool | None = None
        with self.corpus.read(article_filter) as view:
            query, chunks, articles = self._retrieve(view, encoded, translation)
            if self.config.ranking in ("weighted", "weighted-every-window-article"):
                chunk_quotes = self._chunk_quotes(view, chunks, articles, query)
                ranked = sorted(
                    (quote.window for quote in chunk_quotes), key=lambda c: c.score, reverse=True
                )
                if self.config.ranking == "weighted-every-window-article":
                    ranked = _article_first(ranked, _leading_article(chunk_quotes))
            else:
                evidence = self._evidence(view, chunks, articles, query)
                if self.config.ranking == "learned":
                    ranked, learned_answer = self._learned_ranking(evidence, question)
                elif self.config.ranking == "learned-first-quote":
                    ranked, learned_answer = self._learned_first_quote(evidence, question)
                else:
                    ranked = self._every_window(evidence)
            quotes = [
                self._quote(view, articles[candidate.doc_id], candidate)
                for candidate in _best_distinct(ranked, top_k)
            ]
        if learned_answer is not None:
            answerable = bool(quotes) and learned_answer
        else:
            answerable = bool(quotes) and quotes[0].score >= self.threshold_for(question)
        ranked_doc_ids = list(dict.fromkeys(c.doc_id for c in ranked))
        took_ms = (time.perf_counter() - started) * 1000
        return Answer(asked, answerable, quotes, took_ms, ranked_doc_ids, limits)

    def evidence(self, question: str) -> WindowEvidence:
        """Every candidate quote window of ``question`` with its features, as the learned
        ranker sees them (what ``eval/train_ranker.py`` learns from)."""
        question, _ = self.read_question(question)
        translation = self._translation()
        encoded = self._encode(question, translation)
        with self.corpus.read(None) as view:
            query, chunks, articles = self._retrieve(view, encoded, translation)
            return self._evidence(view, chunks, articles, query)

    def _encode(self, question: str, translation: TranslationConfig | None) -> EncodedQuestion:
        encoded = encode_question(question, self.corpus.embedder, self.config.lexical, translation)
        if self.config.english_query_shift == 0 or self.script_of(question) != "latin":
            return encoded
        offset = english_offset(self.corpus.embedder.name)
        if offset is None:
            return encoded
        vector = shifted(encoded.vector, offset, self.config.english_query_shift)
        return replace(encoded, vector=vector)

    def _retrieve(
        self, view: ReadView, encoded: EncodedQuestion, translation: TranslationConfig | None
    ) -> tuple[AnalyzedQuery, list[ChunkCandidate], dict[str, Article]]:
        query = weigh_terms(encoded, view, translation)
        chunks = gather_candidates(query, view, self.config.retrieval)
        if self.config.retrieval.feedback_chunks:
            query = feedback_query(query, chunks, view, self.config.retrieval)
            chunks = gather_candidates(query, view, self.config.retrieval)
        chunks = chunks[: self.config.quote_chunks]
        articles = view.articles([candidate.chunk.doc_id for candidate in chunks])
        return query, chunks, articles

    def _evidence(
        self,
        view: ReadView,
        chunks: list[ChunkCandidate],
        articles: dict[str, Article],
        query: AnalyzedQuery,
    ) -> WindowEvidence:
        sentences_of = view.sentences_of_chunks([candidate.chunk for candidate in chunks])
        texts = {doc_id: article.text for doc_id, article in articles.items()}
        return collect_windows(
            chunks, sentences_of, texts, query.vector, query.terms, self.config.quotes
        )

    def _every_window(self, evidence: WindowEvidence) -> list[QuoteCandidate]:
        """Every window by the weighted mix, a pair paying the pair margin in its score."""
        weighted = weighted_window_scores(evidence.features, self.config.quotes)
        return _candidates(evidence, np.argsort(-weighted, kind="stable").tolist(), weighted)

    def _learned_first_quote(
        self, evidence: WindowEvidence, question: str
    ) -> tuple[list[QuoteCandidate], bool | None]:
        """Windows in answer order (ranker.learned_first_quote), scored by the weighted mix,
        and with the learned abstention whether the sources answer (None: decide on the
        first quote's score)."""
        if not evidence.windows:
            return [], None
        weighted = weighted_window_scores(evidence.features, self.config.quotes)
        model = load_model()
        script = self.script_of(question)
        probabilities = model.ranker[script].probabilities(evidence.features)
        order = learned_first_quote(evidence.windows, weighted, probabilities)
        ranked = _candidates(evidence, order, weighted)
        if self.config.abstention == "threshold":
            return ranked, None
        row = first_quote_abstention_features(
            evidence.windows,
            evidence.features,
            weighted,
            probabilities,
            order[0],
            evidence.missing_share,
        )
        abstention = model.first_quote_abstention[script]
        return ranked, float(abstention.probabilities(row[None, :])[0]) >= abstention.threshold

    def _learned_ranking(
        self, evidence: WindowEvidence, question: str
    ) -> tuple[list[QuoteCandidate], bool | None]:
        """Windows best first by the learned ranker (score: the probability of quoting the
        answer), and whether the sources answer by the configured abstention rule (None when
        there is no window)."""
        if not evidence.windows:
            return [], None
        model = load_model()
        script = self.script_of(question)
        probabilities = model.ranker[script].probabilities(evidence.features)
        ranked = _candidates(
            evidence, np.argsort(-probabilities, kind="stable").tolist(), probabilities
        )
        if self.config.abstention == "threshold":
            # the first quote's probability under the threshold chosen with the ranker
            return ranked, ranked[0].score >= model.ranker[script].threshold
        row = abstention_features(
            evidence.windows, evidence.features, probabilities, evidence.missing_share
        )
        abstention = model.abstention[script]
        answers = float(abstention.probabilities(row[None, :])[0]) >= abstention.threshold
        return ranked, answers

    def read_question(self, question: str) -> tuple[str, QuestionLimits]:
        """The part of ``question`` that is processed, and what the cost caps leave out."""
        question = question.strip()
        read = _cut_at_word(question, self.config.max_question_characters)
        translation = self._translation()
        untranslated = untranslated_words(read, translation) if translation is not None else []
        return read, QuestionLimits(question[len(read) :].strip(), tuple(untranslated))

    def _translation(self) -> TranslationConfig | None:
        return self.config.translation if self.config.lexical else None

    @staticmethod
    def script_of(question: str) -> Literal["latin", "arabic"]:
        """ "latin" when most of the question's letters are ASCII, else "arabic"."""
        letters = [character for character in question if character.isalpha()]
        latin = sum(character.isascii() for character in letters)
        return "latin" if letters and latin * 2 > len(letters) else "arabic"

    def threshold_for(self, question: str) -> float:
        if self.script_of(question) == "latin":
            return self.config.abstain_threshold_latin
        return self.config.abstain_threshold

    def _chunk_quotes(
        self,
        view: ReadView,
        chunks: list[ChunkCandidate],
        articles: dict[str, Article],
        query: AnalyzedQuery,
    ) -> list[ChunkQuote]:
        """Each candidate chunk's best window, with the evidence it gives for its article."""
        sentences_of = view.sentences_of_chunks([candidate.chunk for candidate in chunks])
        chunk_quotes = []
        for candidate in chunks:
            text = articles[candidate.chunk.doc_id].text
            evidence = [
                SentenceEvidence(s, text[s.start : s.end], s.terms)
                for s in sentences_of[candidate.chunk.id]
            ]
            chunk_quote = best_window(
                evidence, query.vector, query.terms, candidate.dense, self.config.quotes
            )
            if chunk_quote is not None:
                chunk_quotes.append(chunk_quote)
        return chunk_quotes

    def _quote(self, view: ReadView, article: Article, candidate: QuoteCandidate) -> Quote:
        before = view.sentence_span(candidate.doc_id, candidate.first_position - 1)
        after = view.sentence_span(candidate.doc_id, candidate.last_position + 1)
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


def _cut_at_word(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, not ending inside a word when a space allows."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if not text[limit].isspace():
        last_space = max((i for i, c in enumerate(cut) if c.isspace()), default=0)
        if cut[:last_space].strip():
            cut = cut[:last_space]
    return cut.rstrip()


def _candidates(evidence: WindowEvidence, order: list[int], scores: Matrix) -> list[QuoteCandidate]:
    """The windows at ``order`` as quote candidates, each with its score."""
    candidates = []
    for i in order:
        w = evidence.windows[i]
        candidates.append(
            QuoteCandidate(
                w.doc_id, w.first_position, w.last_position, w.start, w.end, float(scores[i])
            )
        )
    return candidates


def _leading_article(chunk_quotes: list[ChunkQuote]) -> str | None:
    """The article of the best window when a pair pays the article margin: the article the
    mix over every window (``weighted-every-window``) puts first, with that margin."""
    if not chunk_quotes:
        return None
    return max(chunk_quotes, key=lambda quote: quote.article_score).window.doc_id


def _article_first(ranked: list[QuoteCandidate], article: str | None) -> list[QuoteCandidate]:
    """``ranked`` (each chunk's best window, best first) with the best quote of ``article``
    moved to the front. Scores stay unchanged: the first quote keeps the thresholds' scale."""
    first = next((c for c in ranked if c.doc_id == article), None)
    if first is None:
        return ranked
    return [first, *(c for c in ranked if c is not first)]


def _best_distinct(ranked: list[QuoteCandidate], top_k: int) -> list[QuoteCandidate]:
    """Highest-scoring quotes, skipping any that overlaps one already chosen."""
    chosen: list[QuoteCandidate] = []
    for candidate in ranked:
        if not any(overlaps(candidate, taken) for taken in chosen):
            chosen.append(candidate)
        if len(chosen) == top_k:
            break
    return chosen
