"""Train the learned quote ranker and abstention model on the development sets.

    python -m eval.train_ranker --index-cache DIR

Every development question (XQuAD-dev English and Arabic, ARCD train) is asked over the
development archive (``--distractors archive``: the same index as the distractor-heavy
evaluation), and every candidate quote window is kept with its features
(index/retrieval/evidence.py) and whether it quotes the answer. Then:

- Cross-validation by Wikipedia article, never by question: sibling paragraphs of one article
  share names and facts, so they would leak across a split by question. XQuAD's English and
  Arabic questions over one paragraph share its article too. Five folds by hash of the
  article; each fold is ranked by a ranker trained on the other four, and its abstention
  model is trained on the other four's out-of-fold evidence.
- The ranker (one per question script) is a listwise softmax over a question's windows,
  targets the windows of the gold paragraph that hold the answer, then is calibrated
  (Platt) into a probability. The abstention model is a logistic regression over
  question-level evidence (ranker.ABSTENTION_FEATURES), label "the gold paragraph is
  indexed"; its threshold is the one with the best abstention F1 over the pooled
  out-of-fold predictions of the script.
- The final models are trained on all the development questions and written to
  index/retrieval/ranker_model.json; the cross-validated metrics go to the report.

The seed gold set is never read here: it stays the held-out measure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.answers import ReturnedQuote
from eval.datasets import ARCHIVE, DEVELOPMENT_DATASETS, default_data_dir, load_dataset
from eval.first_quote_abstention import (
    cross_validated_answer_probabilities,
    fit_first_quote_abstention,
)
from eval.joined import joined_development_sets
from eval.linear_fit import (
    Fitted,
    FloatArray,
    fit_logistic,
    fit_softmax_ranker,
    logistic_out_of_fold,
    sigmoid,
)
from eval.matching import quote_hits
from eval.metrics import binary_scores
from eval.questions import EvalDataset, EvalQuestion
from eval.squad import HOLDBACK_FRACTION
from index.answerer import AnswerConfig, Answerer
from index.retrieval.evidence import FEATURES, Window, weighted_window_scores
from index.retrieval.ranker import (
    ABSTENTION_FEATURES,
    FIRST_QUOTE_ABSTENTION_FEATURES,
    MODEL_PATH,
    SCRIPTS,
    abstention_features,
    learned_first_quote,
)
from service.settings import Settings

FOLDS = 5
REPORT_DIR = Path("eval") / "reports" / "ranker"


@dataclass(frozen=True)
class QuestionEvidence:
    dataset: str
    question: EvalQuestion
    script: str
    group: str  # the Wikipedia article of the question's paragraph
    windows: list[Window]
    features: FloatArray
    missing_share: float
    hits: npt.NDArray[np.bool_]  # the window holds the answer (the evaluation's rule)
    gold: npt.NDArray[np.bool_]  # ... and comes from the gold paragraph: the training target

    @property
    def fold(self) -> int:
        return fold_of_group(self.group)


def fold_of_group(group: str) -> int:
    """The cross-validation fold of a Wikipedia article (``article_group``)."""
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS


def article_group(doc_id: str) -> str:
    """``xquad-ar-3-4`` -> ``xquad-3``, ``arcd-12-0`` -> ``arcd-12``: a paragraph's Wikipedia
    article. Any other id (a news article: the seed, NTREX) is a group of its own."""
    parts = doc_id.split("-")
    if len(parts) < 3:
        return doc_id
    return f"{parts[0]}-{parts[-2]}"


def development_sets(settings: Settings, data_dir: Path) -> list[EvalDataset]:
    """Each development set twice: over the development archive (paragraphs, as the
    distractor-heavy evaluation asks them) and over the joined archive (eval/joined.py)."""
    paragraphs = [
        load_dataset(name, data_dir, settings.seeds_dir, [ARCHIVE], holdback=HOLDBACK_FRACTION)
        for name in DEVELOPMENT_DATASETS
    ]
    return paragraphs + joined_development_sets(data_dir, settings.seeds_dir, HOLDBACK_FRACTION)


def collect(
    settings: Settings, datasets: Sequence[EvalDataset], index_cache: Path | None
) -> list[QuestionEvidence]:
    from eval.in_process import InProcessBackend
    from service.bootstrap import answer_config, configured_embedder, corpus_config, limit_threads

    limit_threads(settings.torch_threads)
    backend = InProcessBackend(
        configured_embedder(settings), corpus_config(settings), index_cache, True
    )
    config = training_config(answer_config(settings))
    collected: list[QuestionEvidence] = []
    try:
        for dataset in datasets:
            backend.load(dataset.articles, dataset.name)
            answerer = Answerer(backend.corpus, config)
            texts = {a.id: a.text for a in dataset.articles}
            for number, question in enumerate(dataset.questions):
                evidence = answerer.evidence(question.question)
                hits = np.asarray(
                    [
                        quote_hits(
                            question,
                            ReturnedQuote(
                                texts[w.doc_id][w.start : w.end], w.doc_id, w.start, w.end, 0.0
                            ),
                        )
                        for w in evidence.windows
                    ],
                    dtype=bool,
                )
                gold = hits & np.asarray([w.doc_id == question.doc_id for w in evidence.windows])
                collected.append(
                    QuestionEvidence(
                        dataset.name,
                        question,
                        Answerer.script_of(question.question),
                        article_group(question.doc_id),
                        evidence.windows,
                        evidence.features.astype(np.float64),
                        evidence.missing_share,
                        hits,
                        gold,
                    )
                )
                if number % 200 == 0:
                    print(f"{dataset.name}: {number}/{len(dataset.questions)}", file=sys.stderr)
    finally:
        backend.close()
    return collected


def training_config(base: AnswerConfig) -> AnswerConfig:
    """Every candidate chunk is quoted: the ranker, not the per-question min-max fused
    order, decides which chunk's windows come first."""
    return replace(base, ranking="learned", quote_chunks=base.retrieval.dense_chunks * 2)


# --- fitting ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScriptModels:
    ranker: Fitted  # logits are calibrated: sigmoid(logit) is a window's probability
    abstention: Fitted
    threshold: float


def fit_ranker(questions: Sequence[QuestionEvidence]) -> Fitted:
    trainable = [q for q in questions if q.gold.any()]
    features = np.vstack([q.features for q in trainable])
    group = np.concatenate([np.full(len(q.windows), i) for i, q in enumerate(trainable)])
    positive = np.concatenate([q.gold for q in trainable])
    order = fit_softmax_ranker(features, group.astype(np.int64), positive)
    # Platt scaling over every window (unanswerable questions' too): order -> probability
    everything = [q for q in questions if len(q.windows)]
    scores = np.concatenate([order.logits(q.features) for q in everything])
    labels = np.concatenate([q.gold for q in everything])
    platt = fit_logistic(scores[:, None], labels)
    scale = float(platt.weights[0])
    return Fitted(order.weights * scale, order.bias * scale + platt.bias)


def question_row(question: QuestionEvidence, ranker: Fitted) -> FloatArray:
    probabilities = sigmoid(ranker.logits(question.features))
    row = abstention_features(
        question.windows,
        question.features.astype(np.float32),
        probabilities.astype(np.float32),
        question.missing_share,
    )
    return row.astype(np.float64)


def best_threshold(probabilities: FloatArray, answerable: npt.NDArray[np.bool_]) -> float:
    """The probability threshold (abstain under it) with the best abstention F1, the lowest
    on a tie: midpoints between observed probabilities."""
    values = np.unique(probabilities)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2])
    best, best_f1 = float(candidates[0]), -1.0
    for threshold in candidates:
        f1 = binary_scores(list(~answerable), list(probabilities < threshold)).f1 or 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(threshold), f1
    return best


# --- evaluation of a ranking --------------------------------------------------------------
def first_windows(windows: list[Window], scores: FloatArray, k: int) -> list[int]:
    """Indexes of the ``k`` best windows that do not overlap (as the answerer returns them)."""
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable").tolist():
        w = windows[i]
        if not any(
            windows[j].doc_id == w.doc_id and windows[j].start < w.end and w.start < windows[j].end
            for j in chosen
        ):
            chosen.append(i)
        if len(chosen) == k:
            break
    return chosen


def weighted_scores(features: FloatArray, base: AnswerConfig) -> FloatArray:
    """The service's fixed mix over the same windows (index/retrieval/evidence.py)."""
    return weighted_window_scores(features.astype(np.float32), base.quotes).astype(np.float64)


def first_quote_learned(
    question: QuestionEvidence, weighted: FloatArray, probabilities: FloatArray
) -> FloatArray:
    """Scores whose order is ranker.learned_first_quote's: the learned ranker's first quote
    inside the weighted mix's first article, then the weighted order."""
    if not question.windows:
        return weighted
    order = learned_first_quote(
        question.windows, weighted.astype(np.float32), probabilities.astype(np.float32)
    )
    result: FloatArray = np.empty(len(order))
    result[order] = -np.arange(len(order), dtype=np.float64)
    return result


def metrics(
    questions: Sequence[QuestionEvidence], scores: list[FloatArray], abstains: list[bool]
) -> dict[str, float]:
    answerable = [(q, s) for q, s in zip(questions, scores, strict=True) if q.question.answerable]
    r1 = hit1 = hit3 = 0.0
    for question, score in answerable:
        if not question.windows:
            continue
        top = first_windows(question.windows, score, 3)
        r1 += question.windows[top[0]].doc_id == question.question.doc_id
        hit1 += bool(question.hits[top[0]])
        hit3 += bool(question.hits[top].any())
    count = max(len(answerable), 1)
    scores_ = binary_scores([not q.question.answerable for q in questions], abstains)
    return {
        "R@1": r1 / count,
        "hit@1": hit1 / count,
        "hit@3": hit3 / count,
        "abstention F1": scores_.f1 or 0.0,
        "questions": float(len(questions)),
    }


# --- the whole procedure -------------------------------------------------------------------
def train_script(questions: Sequence[QuestionEvidence]) -> ScriptModels:
    ranker = fit_ranker(questions)
    rows = np.vstack([question_row(q, ranker) for q in questions if q.windows])
    labels = np.asarray([q.question.answerable for q in questions if q.windows])
    abstention = fit_logistic(rows, labels)
    threshold = best_threshold(sigmoid(abstention.logits(rows)), labels)
    return ScriptModels(ranker, abstention, threshold)


def cross_validate(
    questions: Sequence[QuestionEvidence],
) -> tuple[list[FloatArray], list[float]]:
    """Out-of-fold window probabilities and answer probabilities, in ``questions`` order."""
    probabilities: list[FloatArray] = [np.zeros(0)] * len(questions)
    rows: list[FloatArray | None] = [None] * len(questions)
    for fold in range(FOLDS):
        train = [q for q in questions if q.fold != fold]
        ranker = fit_ranker(train)
        for i, q in enumerate(questions):
            if q.fold == fold:
                probabilities[i] = sigmoid(ranker.logits(q.features))
                rows[i] = question_row(q, ranker) if q.windows else None
    answer_probability = logistic_out_of_fold(
        rows, [q.question.answerable for q in questions], [q.fold for q in questions], FOLDS
    )
    return probabilities, answer_probability.tolist()


def run(
    questions: list[QuestionEvidence], base: AnswerConfig
) -> tuple[dict[str, object], list[str]]:
    """Cross-validate per script, then train the final models; returns the model file's
    content and the report's table (one row per dataset and method, scripts pooled)."""
    model: dict[str, object] = {
        "features": list(FEATURES),
        "abstention_features": list(ABSTENTION_FEATURES),
        "first_quote_abstention_features": list(FIRST_QUOTE_ABSTENTION_FEATURES),
        "ranker": {},
        "abstention": {},
        "first_quote_abstention": {},
    }
    window_probability: dict[int, FloatArray] = {}
    top_abstains: dict[int, bool] = {}
    model_abstains: dict[int, bool] = {}
    first_quote_abstains: dict[int, bool] = {}
    for script in SCRIPTS:
        mine = [q for q in questions if q.script == script]
        probabilities, answer_probability = cross_validate(mine)
        answerable = np.asarray([q.question.answerable for q in mine])
        threshold = best_threshold(np.asarray(answer_probability), answerable)
        tops = np.asarray([float(p.max()) if len(p) else 0.0 for p in probabilities])
        top_threshold = best_threshold(tops, answerable)
        for i, q in enumerate(mine):
            window_probability[id(q)] = probabilities[i]
            top_abstains[id(q)] = bool(tops[i] < top_threshold)
            model_abstains[id(q)] = answer_probability[i] < threshold
        final = train_script(mine)
        weighted_mine = [weighted_scores(q.features, base) for q in mine]
        first_answers = cross_validated_answer_probabilities(
            mine, answerable, weighted_mine, probabilities, FOLDS
        )
        first_threshold = best_threshold(first_answers, answerable)
        for i, q in enumerate(mine):
            first_quote_abstains[id(q)] = bool(first_answers[i] < first_threshold)
        first_model = fit_first_quote_abstention(
            mine,
            answerable,
            weighted_mine,
            final.ranker.probabilities,
        )
        model["first_quote_abstention"][script] = {  # type: ignore[index]
            "weights": [round(float(w), 6) for w in first_model.weights],
            "bias": round(first_model.bias, 6),
            "threshold": round(first_threshold, 6),
        }
        model["ranker"][script] = {  # type: ignore[index]
            "weights": [round(float(w), 6) for w in final.ranker.weights],
            "bias": round(final.ranker.bias, 6),
            # abstention on the first quote's probability alone, chosen out of fold
            "threshold": round(top_threshold, 6),
        }
        model["abstention"][script] = {  # type: ignore[index]
            "weights": [round(float(w), 6) for w in final.abstention.weights],
            "bias": round(final.abstention.bias, 6),
            # chosen on out-of-fold predictions: the final model's own would be optimistic
            "threshold": round(threshold, 6),
        }
    lines = [
        "| set | questions | ranking | abstention | R@1 | hit@1 | hit@3 | abstention F1 |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]

    def score_threshold(script: str) -> float:
        return base.abstain_threshold_latin if script == "latin" else base.abstain_threshold

    for dataset in sorted({q.dataset for q in questions}):
        subset = [q for q in questions if q.dataset == dataset]
        weighted = [weighted_scores(q.features, base) for q in subset]
        fixed = [
            not len(scores) or float(scores.max()) < score_threshold(q.script)
            for q, scores in zip(subset, weighted, strict=True)
        ]
        learned = [window_probability[id(q)] for q in subset]
        first_learned = [
            first_quote_learned(q, w, p) for q, w, p in zip(subset, weighted, learned, strict=True)
        ]
        # the first quote's own weighted score under the script's threshold, as the service
        first_abstains = [
            not len(w) or float(w[int(np.argmax(order))]) < score_threshold(q.script)
            for q, w, order in zip(subset, weighted, first_learned, strict=True)
        ]
        for label, abstention, scores, abstains in (
            ("weighted", "score threshold", weighted, fixed),
            ("learned first quote", "score threshold", first_learned, first_abstains),
            (
                "learned first quote",
                "learned model",
                first_learned,
                [first_quote_abstains[id(q)] for q in subset],
            ),
            ("learned", "probability threshold", learned, [top_abstains[id(q)] for q in subset]),
            ("learned", "learned model", learned, [model_abstains[id(q)] for q in subset]),
        ):
            m = metrics(subset, scores, abstains)
            lines.append(
                f"| {dataset} | {int(m['questions'])} | {label} | {abstention} | {m['R@1']:.3f} | "
                f"{m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['abstention F1']:.3f} |"
            )
    return model, lines


def render_report(model: dict[str, object], table: list[str]) -> str:
    weights = [
        "| feature | " + " | ".join(SCRIPTS) + " |",
        "|---|" + "---:|" * len(SCRIPTS),
    ]
    ranker: Any = model["ranker"]
    abstention: Any = model["abstention"]
    for i, name in enumerate(FEATURES):
        weights.append(
            f"| {name} | " + " | ".join(f"{ranker[s]['weights'][i]:.2f}" for s in SCRIPTS) + " |"
        )
    for i, name in enumerate(ABSTENTION_FEATURES):
        weights.append(
            f"| abstention: {name} | "
            + " | ".join(f"{abstention[s]['weights'][i]:.2f}" for s in SCRIPTS)
            + " |"
        )
    first_quote: Any = model["first_quote_abstention"]
    for i, name in enumerate(FIRST_QUOTE_ABSTENTION_FEATURES):
        weights.append(
            f"| first-quote abstention: {name} | "
            + " | ".join(f"{first_quote[s]['weights'][i]:.2f}" for s in SCRIPTS)
            + " |"
        )
    weights.append(
        "| ranker probability threshold | "
        + " | ".join(f"{ranker[s]['threshold']:.3f}" for s in SCRIPTS)
        + " |"
    )
    weights.append(
        "| abstention model threshold | "
        + " | ".join(f"{abstention[s]['threshold']:.3f}" for s in SCRIPTS)
        + " |"
    )
    weights.append(
        "| first-quote abstention model threshold | "
        + " | ".join(f"{first_quote[s]['threshold']:.3f}" for s in SCRIPTS)
        + " |"
    )
    return "\n".join(
        [
            "# The learned quote ranker: cross-validation on the development sets",
            "",
            "Reproduce with:",
            "",
            "    python -m eval.train_ranker --index-cache DIR",
            "",
            "(writes `index/retrieval/ranker_model.json` and this report; the seed gold set is "
            "never read.)",
            "",
            "## Protocol",
            "",
            "- Questions: XQuAD-dev English and Arabic, ARCD train, each asked twice: over the "
            "development archive (`--distractors archive`, paragraphs as articles) and over the "
            "same archive with each Wikipedia article's indexed paragraphs joined into one "
            "document (`-joined`, eval/joined.py: long documents that answer, and unanswerable "
            "questions about an indexed article). 20% of paragraphs held back, as in every "
            "report.",
            f"- {FOLDS} folds by hash of the Wikipedia article (XQuAD's English and Arabic "
            "questions on one paragraph, and both forms of a paragraph, share a fold): every "
            "number below is out of fold. Never by question: sibling paragraphs share facts.",
            "- Ranker: linear, one per question script, trained listwise (softmax over a "
            "question's candidate windows, the gold paragraph's windows that hold the answer as "
            "targets), then Platt-scaled into a probability over all windows.",
            "- Abstention: either the first quote's probability under a threshold, or a logistic "
            "regression over the question-level evidence; each threshold is the best "
            "abstention F1 over the pooled out-of-fold predictions of the script.",
            "- `weighted` is the service's fixed mix (0.45 window cosine + 0.5 chunk cosine + 0.05 "
            "term share, pairs by a 0.005 margin) over the same windows, with its calibrated score "
            "thresholds: the baseline on exactly the same candidates. Every window is scored, a "
            "pair paying the margin: the `weighted-every-window` ranking (the service's default "
            "scores each chunk's best window, a pair without the margin).",
            "- `learned first quote` is the `learned-first-quote` ranking (index/retrieval/"
            "ranker.py, learned_first_quote): the weighted mix ranks articles and quotes, and the "
            "learned "
            "ranker (out of fold here) chooses the first quote inside the first article. It "
            "abstains on that quote's weighted score with the same thresholds, or by its own "
            "logistic model over the first quote's evidence "
            "(ranker.FIRST_QUOTE_ABSTENTION_FEATURES, eval/first_quote_abstention.py), trained "
            "and thresholded out of fold like the other.",
            "",
            "## Out-of-fold results",
            "",
            *table,
            "",
            "## Final weights (trained on every development question)",
            "",
            *weights,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_ranker", description=__doc__)
    parser.add_argument("--index-cache", type=Path, help="keep and reuse the built index here")
    parser.add_argument("--data-dir", type=Path, help="development data (default shared/data)")
    parser.add_argument("--evidence", type=Path, help="reuse (or write) collected evidence here")
    parser.add_argument("--model-out", type=Path, default=MODEL_PATH)
    parser.add_argument("--report-out", type=Path, default=REPORT_DIR)
    arguments = parser.parse_args(argv)
    from service.bootstrap import answer_config

    settings = Settings()
    base = answer_config(settings)
    if arguments.evidence is not None and arguments.evidence.exists():
        questions = pickle.loads(arguments.evidence.read_bytes())
    else:
        datasets = development_sets(settings, arguments.data_dir or default_data_dir())
        questions = collect(settings, datasets, arguments.index_cache)
        if arguments.evidence is not None:
            arguments.evidence.write_bytes(pickle.dumps(questions))
    model, lines = run(questions, base)
    arguments.model_out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    arguments.report_out.mkdir(parents=True, exist_ok=True)
    report = arguments.report_out / "report.md"
    report.write_text(render_report(model, lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"Wrote {arguments.model_out} and {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
