"""The learned ranking: every quote an exact span, probabilities that order the quotes, and a
model file that must fit the features this code computes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index.answerer import AnswerConfig, Answerer
from index.corpus import Corpus
from index.retrieval.evidence import FEATURES
from index.retrieval.ranker import MODEL_PATH, RankerModelError, load_model, parse_model

LEARNED = AnswerConfig(ranking="learned", abstention="learned", quote_chunks=40)


def test_the_committed_model_fits_this_code() -> None:
    model = load_model()
    for script in ("latin", "arabic"):
        assert len(model.ranker[script].weights) == len(FEATURES)
        assert 0.0 < model.abstention[script].threshold < 1.0


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
