"""The learned ranking: every quote an exact span, probabilities that order the quotes, a
model file that must fit the features this code computes, the ranking that lets it choose
the first quote inside the weighted mix's first article, every window by the mix, and the
weighted ranking's first quote taken from the article the mix over every window ranks first."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from index.answerer import AnswerConfig, Answerer, _article_first, _leading_article
from index.corpus import Corpus
from index.quotes import ChunkQuote, QuoteCandidate, QuoteConfig
from index.retrieval.evidence import FEATURE_INDEX, FEATURES, Window, weighted_window_scores
from index.retrieval.ranker import (
    ARTICLE_MARGIN_ALONE,
    FIRST_QUOTE_ABSTENTION_FEATURES,
    MODEL_PATH,
    RankerModelError,
    first_quote_abstention_features,
    learned_first_quote,
    load_model,
    parse_model,
)

LEARNED = AnswerConfig(ranking="learned", abstention="learned", quote_chunks=40)


def test_the_committed_model_fits_this_code() -> None:
    model = load_model()
    for script in ("latin", "arabic"):
        assert len(model.ranker[script].weights) == len(FEATURES)
        assert 0.0 < model.abstention[script].threshold < 1.0
        assert len(model.first_quote_abstention[script].weights) == len(
            FIRST_QUOTE_ABSTENTION_FEATURES
        )
        assert 0.0 < model.first_quote_abstention[script].threshold < 1.0


def test_a_model_without_the_first_quote_abstention_is_refused() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    del data["first_quote_abstention_features"]
    with pytest.raises(RankerModelError, match="train it again"):
        parse_model(data)


def test_a_model_trained_on_other_features_is_refused() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["features"] = [*data["features"], "something_new"]
    with pytest.raises(RankerModelError, match="train it again"):
        parse_model(data)


@pytest.mark.parametrize("question", ["من اقترح وقف إطلاق النار؟", "Who proposed a ceasefire?"])
def test_learned_quotes_are_exact_spans_ordered_by_probability(
    small_corpus: Corpus, question: str
) -> None:
    answer = Answerer(small_corpus, LEARNED).ask(question, top_k=5)
    assert answer.quotes
    scores = [quote.score for quote in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)
    for quote in answer.quotes:
        article = small_corpus.get(quote.doc_id)
        assert article is not None and article.text[quote.start : quote.end] == quote.text
    assert answer.ranked_doc_ids[0] == answer.quotes[0].doc_id


def test_the_two_abstention_rules_of_the_learned_ranking_both_decide(small_corpus: Corpus) -> None:
    question = "من اقترح وقف إطلاق النار؟"
    for abstention in ("threshold", "learned"):
        config = replace(LEARNED, abstention=abstention)  # type: ignore[arg-type]
        answer = Answerer(small_corpus, config).ask(question)
        assert isinstance(answer.answerable, bool)


def _window(doc_id: str, position: int, pair: bool = False) -> Window:
    last = position + 1 if pair else position
    return Window(doc_id, position, last, position * 100, last * 100 + 90)


def test_the_first_quote_is_the_learned_pick_inside_the_weighted_first_article() -> None:
    windows = [_window("a", 0), _window("a", 1), _window("b", 0), _window("a", 2), _window("b", 1)]
    weighted = np.asarray([0.80, 0.70, 0.78, 0.60, 0.50], dtype=np.float32)
    # the learned ranker likes article b's window best overall, and a's third window in a
    learned = np.asarray([0.10, 0.20, 0.90, 0.40, 0.30], dtype=np.float32)
    # a (weighted best 0.80) stays the first article; its learned best opens the answer; the
    # rest keep the weighted order
    assert learned_first_quote(windows, weighted, learned) == [3, 0, 2, 1, 4]


def test_the_first_quote_stays_the_weighted_best_when_the_ranker_agrees() -> None:
    windows = [_window("a", 0), _window("b", 0), _window("a", 1)]
    weighted = np.asarray([0.5, 0.9, 0.7], dtype=np.float32)
    learned = np.asarray([0.9, 0.8, 0.1], dtype=np.float32)
    assert learned_first_quote(windows, weighted, learned) == [1, 2, 0]


def test_weighted_window_scores_are_best_windows_scores_with_the_pair_margin() -> None:
    config = QuoteConfig()
    features = np.zeros((2, len(FEATURES)), dtype=np.float32)
    for row, (window, chunk, share, pair) in enumerate(
        [(0.8, 0.7, 0.5, 0.0), (0.9, 0.7, 1.0, 1.0)]
    ):
        features[row, FEATURE_INDEX["window_cosine"]] = window
        features[row, FEATURE_INDEX["chunk_cosine"]] = chunk
        features[row, FEATURE_INDEX["term_share"]] = share
        features[row, FEATURE_INDEX["pair"]] = pair
    expected = [
        config.sentence_weight * 0.8 + config.chunk_weight * 0.7 + config.lexical_weight * 0.5,
        config.sentence_weight * 0.9
        + config.chunk_weight * 0.7
        + config.lexical_weight * 1.0
        - config.pair_margin,
    ]
    assert weighted_window_scores(features, config).tolist() == pytest.approx(expected)


@pytest.mark.parametrize("question", ["من اقترح وقف إطلاق النار؟", "Who proposed a ceasefire?"])
def test_every_window_ranking_orders_exact_spans_by_score(
    small_corpus: Corpus, question: str
) -> None:
    config = AnswerConfig(ranking="weighted-every-window")
    answer = Answerer(small_corpus, config).ask(question, top_k=5)
    assert answer.quotes and answer.ranked_doc_ids[0] == answer.quotes[0].doc_id
    scores = [quote.score for quote in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    for quote in answer.quotes:
        article = small_corpus.get(quote.doc_id)
        assert article is not None and article.text[quote.start : quote.end] == quote.text
    # the first quote is the best window under the mix, a pair paying its margin
    evidence = Answerer(small_corpus, config).evidence(question)
    best = float(weighted_window_scores(evidence.features, config.quotes).max())
    assert scores[0] == pytest.approx(best, abs=1e-4)


def test_the_leading_article_is_the_one_with_the_best_article_score() -> None:
    pair = QuoteCandidate("a", 0, 1, 0, 20, 0.905)  # the best window, a pair
    chunk_quotes = [
        ChunkQuote(pair, 0.895),  # the pair once it pays the article margin
        ChunkQuote(QuoteCandidate("b", 0, 0, 0, 10, 0.9), 0.9),
    ]
    assert _leading_article(chunk_quotes) == "b"
    # a chunk's single sentence can keep its article in the lead behind a pair quote
    chunk_quotes[0] = ChunkQuote(pair, 0.901)
    assert _leading_article(chunk_quotes) == "a"
    assert _leading_article([]) is None


def test_article_first_moves_the_articles_best_quote_to_the_front() -> None:
    ranked = [
        QuoteCandidate("a", 0, 1, 0, 20, 0.905),
        QuoteCandidate("b", 2, 3, 30, 50, 0.902),
        QuoteCandidate("c", 0, 0, 0, 10, 0.9),
        QuoteCandidate("c", 4, 5, 60, 80, 0.85),
    ]
    assert _article_first(ranked, "c") == [ranked[2], ranked[0], ranked[1], ranked[3]]
    assert _article_first(ranked, "b") == [ranked[1], ranked[0], ranked[2], ranked[3]]
    assert _article_first(ranked, "a") == ranked
    # no leading article, or one without a quote: the order stands
    assert _article_first(ranked, None) == ranked
    assert _article_first(ranked, "z") == ranked
    assert _article_first([], None) == []


@pytest.mark.parametrize("question", ["من اقترح وقف إطلاق النار؟", "Who proposed a ceasefire?"])
def test_every_window_article_ranking_leads_with_the_every_window_rankings_article(
    small_corpus: Corpus, question: str
) -> None:
    weighted = Answerer(small_corpus, AnswerConfig(ranking="weighted")).ask(question, top_k=50)
    default = AnswerConfig()
    # the mix over every window, a pair paying the article margin, ranks articles the same way
    every_window_config = AnswerConfig(
        ranking="weighted-every-window",
        quotes=replace(default.quotes, pair_margin=default.quotes.article_pair_margin),
    )
    every_window = Answerer(small_corpus, every_window_config).ask(question, top_k=1)
    answerer = Answerer(small_corpus, default)
    answer = answerer.ask(question, top_k=50)
    article = every_window.quotes[0].doc_id
    expected_first = next(quote for quote in weighted.quotes if quote.doc_id == article)
    assert answer.quotes[0] == expected_first
    assert answer.quotes[1:] == [quote for quote in weighted.quotes if quote != expected_first]
    # the first quote keeps its weighted score, the scale the threshold was calibrated on
    assert answer.answerable == (expected_first.score >= answerer.threshold_for(question))


@pytest.mark.parametrize("question", ["من اقترح وقف إطلاق النار؟", "Who proposed a ceasefire?"])
def test_the_learned_first_quote_ranking_abstains_on_the_first_quotes_own_score(
    small_corpus: Corpus, question: str
) -> None:
    config = AnswerConfig(ranking="learned-first-quote")
    answerer = Answerer(small_corpus, config)
    answer = answerer.ask(question, top_k=5)
    assert answer.quotes and answer.ranked_doc_ids[0] == answer.quotes[0].doc_id
    scores = [quote.score for quote in answer.quotes]
    assert scores[1:] == sorted(scores[1:], reverse=True)
    for quote in answer.quotes:
        article = small_corpus.get(quote.doc_id)
        assert article is not None and article.text[quote.start : quote.end] == quote.text
    first = scores[0]
    assert answer.answerable == (first >= answerer.threshold_for(question))
    just_above = Answerer(
        small_corpus,
        replace(config, abstain_threshold=first + 1e-3, abstain_threshold_latin=first + 1e-3),
    )
    assert just_above.ask(question, top_k=5).answerable is False
    just_below = Answerer(
        small_corpus,
        replace(config, abstain_threshold=first - 1e-3, abstain_threshold_latin=first - 1e-3),
    )
    assert just_below.ask(question, top_k=5).answerable is True


def test_first_quote_abstention_features_describe_the_first_quote_and_its_lead() -> None:
    windows = [_window("a", 0), _window("a", 1), _window("b", 0)]
    features = np.zeros((3, len(FEATURES)), dtype=np.float32)
    features[:, FEATURE_INDEX["term_share"]] = [0.2, 0.6, 0.9]
    features[:, FEATURE_INDEX["window_cosine"]] = [0.7, 0.8, 0.9]
    features[:, FEATURE_INDEX["chunk_cosine"]] = [0.75, 0.76, 0.77]
    weighted = np.asarray([0.80, 0.74, 0.70], dtype=np.float32)
    probabilities = np.asarray([0.1, 0.5, 0.9], dtype=np.float32)
    row = first_quote_abstention_features(windows, features, weighted, probabilities, 1, 0.25)
    assert dict(zip(FIRST_QUOTE_ABSTENTION_FEATURES, row.tolist(), strict=True)) == pytest.approx(
        {
            "first_score": 0.74,
            "first_probability": 0.5,
            "article_margin": 0.10,  # a's best 0.80 against b's 0.70
            "first_term_share": 0.6,
            "missing_share": 0.25,
            "first_window_cosine": 0.8,
            "first_chunk_cosine": 0.76,
        }
    )
    alone = first_quote_abstention_features(
        windows[:2], features[:2], weighted[:2], probabilities[:2], 1, 0.0
    )
    assert alone[2] == pytest.approx(ARTICLE_MARGIN_ALONE)


@pytest.mark.parametrize(("threshold", "answerable"), [(0.0, True), (1.01, False)])
def test_the_learned_abstention_of_the_default_ranking_decides_by_its_model(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch, threshold: float, answerable: bool
) -> None:
    model = load_model()
    deciding = {
        script: replace(linear, threshold=threshold)
        for script, linear in model.first_quote_abstention.items()
    }
    monkeypatch.setattr(
        "index.answerer.load_model", lambda: replace(model, first_quote_abstention=deciding)
    )
    # the threshold rule would decide the other way: the model, not the score, decides
    config = AnswerConfig(
        ranking="learned-first-quote",
        abstention="learned",
        abstain_threshold=-1.0 if not answerable else 2.0,
        abstain_threshold_latin=-1.0 if not answerable else 2.0,
    )
    answer = Answerer(small_corpus, config).ask("من اقترح وقف إطلاق النار؟")
    assert answer.quotes and answer.answerable is answerable


def test_learned_abstention_needs_a_learned_ranking() -> None:
    with pytest.raises(ValueError, match="needs a learned ranking"):
        AnswerConfig(ranking="weighted", abstention="learned")
