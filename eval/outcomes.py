"""One question's judged result, and the summary of many."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.answers import ReturnedAnswer
from eval.matching import quote_hits
from eval.metrics import (
    binary_scores,
    first_relevant_rank,
    mean,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank,
)
from eval.questions import EvalQuestion

RECALL_DEPTHS = (1, 5, 10)
CURVE_DEPTH = 10
HIT_DEPTHS = (1, 3)


@dataclass(frozen=True, slots=True)
class QuestionOutcome:
    question_id: str
    lang: str
    answerable: bool
    abstained: bool
    top_score: float | None
    # rank of the gold article among the returned articles (None: not among them)
    article_rank: int | None
    recall_curve: tuple[float, ...]  # recall@1..CURVE_DEPTH
    reciprocal_rank: float
    ndcg: float
    # rank of the first quote that holds the answer (None: none of the returned quotes)
    hit_rank: int | None
    top_quote_characters: int | None
    latency_ms: float


def judge(question: EvalQuestion, answer: ReturnedAnswer) -> QuestionOutcome:
    relevant = {question.doc_id}
    ranked = answer.ranked_doc_ids
    hit_rank = next(
        (rank for rank, q in enumerate(answer.quotes, start=1) if quote_hits(question, q)), None
    )
    if question.answerable:
        curve = tuple(recall_at(ranked, relevant, k) for k in range(1, CURVE_DEPTH + 1))
        rr, ndcg = reciprocal_rank(ranked, relevant, 10), ndcg_at(ranked, relevant, 10)
    else:
        curve, rr, ndcg = (), 0.0, 0.0
    return QuestionOutcome(
        question_id=question.id,
        lang=question.lang,
        answerable=question.answerable,
        abstained=not answer.answerable,
        top_score=answer.top_score,
        article_rank=first_relevant_rank(ranked, relevant) if question.answerable else None,
        recall_curve=curve,
        reciprocal_rank=rr,
        ndcg=ndcg,
        hit_rank=hit_rank,
        top_quote_characters=answer.quotes[0].end - answer.quotes[0].start
        if answer.quotes
        else None,
        latency_ms=answer.latency_ms,
    )


Summary = dict[str, float | int | None]


def summarise(outcomes: Sequence[QuestionOutcome]) -> Summary:
    """The headline metrics. Retrieval and quote metrics are over answerable questions, and
    count quotes whether or not the service abstained (they are still shown as nearest
    passages); "answered correctly" needs both an answer and a hit in the first quote."""
    answerable = [o for o in outcomes if o.answerable]
    lengths = [float(o.top_quote_characters) for o in outcomes if o.top_quote_characters]
    latencies = [o.latency_ms for o in outcomes]
    abstention = binary_scores(
        [not o.answerable for o in outcomes], [o.abstained for o in outcomes]
    )
    summary: Summary = {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(outcomes) - len(answerable),
    }
    for k in RECALL_DEPTHS:
        summary[f"recall@{k}"] = mean([o.recall_curve[k - 1] for o in answerable])
    summary["MRR@10"] = mean([o.reciprocal_rank for o in answerable])
    summary["nDCG@10"] = mean([o.ndcg for o in answerable])
    for k in HIT_DEPTHS:
        summary[f"quote_hit@{k}"] = mean(
            [float(o.hit_rank is not None and o.hit_rank <= k) for o in answerable]
        )
    summary["answered_correctly"] = mean(
        [float(not o.abstained and o.hit_rank == 1) for o in answerable]
    )
    summary["quote_chars_median"] = percentile(lengths, 50)
    summary["quote_chars_mean"] = mean(lengths)
    summary["abstention_precision"] = abstention.precision
    summary["abstention_recall"] = abstention.recall
    summary["abstention_f1"] = abstention.f1
    summary["abstain_rate"] = mean([float(o.abstained) for o in outcomes])
    summary["latency_p50_ms"] = percentile(latencies, 50)
    summary["latency_p95_ms"] = percentile(latencies, 95)
    return summary


def recall_curve(outcomes: Sequence[QuestionOutcome]) -> list[float | None]:
    """Mean recall@k for k = 1..CURVE_DEPTH over the answerable questions."""
    answerable = [o for o in outcomes if o.answerable]
    return [mean([o.recall_curve[k] for o in answerable]) for k in range(CURVE_DEPTH)]
