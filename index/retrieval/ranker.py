"""The learned quote ranker and its abstention models: linear weights over evidence features.

All are trained by ``eval/train_ranker.py`` on the development sets only (XQuAD-dev, ARCD
train over the development archive), cross-validated by Wikipedia article, and committed as a
small JSON file beside this module. Each has one set of weights per question script (Latin or
Arabic): cross-lingual cosines run lower than Arabic-to-Arabic ones.

Two optional rankings use the ranker: "learned-first-quote" for one choice
(``learned_first_quote``: the first quote inside the article the weighted mix ranks first),
"learned" for every window. The service's default is the weighted mix alone.

Invariants: the ranker's score of a window is the probability that it quotes the answer,
sigmoid(w . features + b), so scores compare across questions; each abstention model sees
only question-level evidence derived from the ranked windows (ABSTENTION_FEATURES for the
learned ranking, FIRST_QUOTE_ABSTENTION_FEATURES for the learned first quote) and answers when its
probability that the sources answer reaches the script's threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding.embedder import Matrix
from index.retrieval.evidence import FEATURE_INDEX, FEATURES, Window

MODEL_PATH = Path(__file__).with_name("ranker_model.json")
# the first article's lead over the next when no other article is a candidate: more than
# any lead in the development data (at most 0.161 over 3,914 questions, median 0.035)
ARTICLE_MARGIN_ALONE = 0.2
SCRIPTS = ("latin", "arabic")

ABSTENTION_FEATURES = (
    # the first quote's probability of quoting the answer
    "top_probability",
    # its lead over the best window of any other article: one article clearly answers
    "article_margin",
    # share of the question's term weight in the first quote
    "top_term_share",
    # share of the question's term weight that no article holds
    "missing_share",
    "top_window_cosine",
)


# What the abstention model of the learned-first-quote ranking sees: the first
# quote's evidence on both scales, its article's lead, and how much of the question was found
FIRST_QUOTE_ABSTENTION_FEATURES = (
    # the first quote's weighted score (what the score threshold compares)
    "first_score",
    # ... and its probability of quoting the answer under the learned ranker
    "first_probability",
    # the first article's best weighted score minus the best of any other article
    "article_margin",
    # share of the question's term weight in the first quote
    "first_term_share",
    # share of the question's term weight that no article holds
    "missing_share",
    "first_window_cosine",
    "first_chunk_cosine",
)


class RankerModelError(ValueError):
    """A ranker file that does not fit this code (features renamed, a script missing)."""


@dataclass(frozen=True)
class LinearModel:
    weights: tuple[float, ...]
    bias: float
    # the probability under which the abstention model abstains (unused for the ranker)
    threshold: float = 0.5

    def logits(self, features: Matrix) -> Matrix:
        values = features.astype(np.float64) @ np.asarray(self.weights) + self.bias
        result: Matrix = values.astype(np.float32)
        return result

    def probabilities(self, features: Matrix) -> Matrix:
        result: Matrix = (1.0 / (1.0 + np.exp(-self.logits(features)))).astype(np.float32)
        return result


@dataclass(frozen=True)
class RankerModel:
    ranker: dict[str, LinearModel]
    abstention: dict[str, LinearModel]
    # the abstention model of the learned-first-quote ranking
    first_quote_abstention: dict[str, LinearModel]


def _linear(entry: Any, width: int, what: str) -> LinearModel:
    weights = tuple(float(w) for w in entry["weights"])
    if len(weights) != width:
        raise RankerModelError(f"{what}: {len(weights)} weights for {width} features")
    return LinearModel(weights, float(entry["bias"]), float(entry.get("threshold", 0.5)))


def parse_model(data: Any) -> RankerModel:
    if tuple(data["features"]) != FEATURES:
        raise RankerModelError(
            f"the ranker was trained on features {data['features']}, this code computes "
            f"{list(FEATURES)}: train it again (python -m eval.train_ranker)"
        )
    if (
        tuple(data["abstention_features"]) != ABSTENTION_FEATURES
        or tuple(data.get("first_quote_abstention_features", ())) != FIRST_QUOTE_ABSTENTION_FEATURES
    ):
        raise RankerModelError(
            "the abstention features changed: train it again (python -m eval.train_ranker)"
        )
    return RankerModel(
        ranker={s: _linear(data["ranker"][s], len(FEATURES), s) for s in SCRIPTS},
        abstention={
            s: _linear(data["abstention"][s], len(ABSTENTION_FEATURES), s) for s in SCRIPTS
        },
        first_quote_abstention={
            s: _linear(data["first_quote_abstention"][s], len(FIRST_QUOTE_ABSTENTION_FEATURES), s)
            for s in SCRIPTS
        },
    )


@cache
def load_model(path: Path = MODEL_PATH) -> RankerModel:
    return parse_model(json.loads(path.read_text(encoding="utf-8")))


def abstention_features(
    windows: list[Window], features: Matrix, probabilities: Matrix, missing_share: float
) -> Matrix:
    """The question-level evidence, from the windows and their probabilities (not empty)."""
    best = int(np.argmax(probabilities))
    top_doc = windows[best].doc_id
    others = [float(p) for w, p in zip(windows, probabilities, strict=True) if w.doc_id != top_doc]
    row = features[best]
    return np.asarray(
        [
            float(probabilities[best]),
            float(probabilities[best]) - max(others, default=0.0),
            float(row[FEATURE_INDEX["term_share"]]),
            missing_share,
            float(row[FEATURE_INDEX["window_cosine"]]),
        ],
        dtype=np.float32,
    )


def learned_first_quote(
    windows: list[Window], weighted: Matrix, probabilities: Matrix
) -> list[int]:
    """Window indexes in answer order: the weighted mix ranks the articles and the quotes,
    except that the first quote is the window of the weighted mix's first article that the
    learned ranker finds most likely to quote the answer (``windows`` not empty).

    Why: cross-validated on the development sets, the weighted mix picks the right article
    more often than the learned ranker (English questions: R@1 0.845 against 0.825), and the
    learned ranker picks the answering sentence inside an article more often (hit@1 0.702
    against 0.678 when each picks only inside the weighted mix's article); the abstention
    thresholds keep their meaning because every score stays on the weighted scale.
    """
    order = np.argsort(-weighted, kind="stable").tolist()
    top_doc = windows[order[0]].doc_id
    in_top_article = [i for i in order if windows[i].doc_id == top_doc]
    first = max(in_top_article, key=lambda i: float(probabilities[i]))
    return [first, *(i for i in order if i != first)]


def first_quote_abstention_features(
    windows: list[Window],
    features: Matrix,
    weighted: Matrix,
    probabilities: Matrix,
    first: int,
    missing_share: float,
) -> Matrix:
    """The question-level evidence of the learned-first-quote ranking, whose first quote is
    window ``first`` (FIRST_QUOTE_ABSTENTION_FEATURES order)."""
    top_doc = windows[first].doc_id
    in_top = [float(s) for w, s in zip(windows, weighted, strict=True) if w.doc_id == top_doc]
    others = [float(s) for w, s in zip(windows, weighted, strict=True) if w.doc_id != top_doc]
    row = features[first]
    return np.asarray(
        [
            float(weighted[first]),
            float(probabilities[first]),
            # with no other article the lead is taken as that of a clear answer
            max(in_top) - max(others, default=max(in_top) - ARTICLE_MARGIN_ALONE),
            float(row[FEATURE_INDEX["term_share"]]),
            missing_share,
            float(row[FEATURE_INDEX["window_cosine"]]),
            float(row[FEATURE_INDEX["chunk_cosine"]]),
        ],
        dtype=np.float32,
    )
