"""The named evaluation datasets and distractor corpora, built from the development data."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from eval.gold import SEED_GOLD_PATH, read_gold, span_problems
from eval.questions import EvalDataset
from eval.squad import (
    HOLDBACK_FRACTION,
    parallel_questions,
    read_squad_paragraphs,
    squad_split,
)
from index.article import Article
from index.readers import read_jsonl
from index.seeds import read_seeds

DATASETS = ("seed", "xquad-en-ar", "xquad-ar", "arcd")
# the seed gold set must never tune anything: it is the one held-out measure of the service
DEVELOPMENT_DATASETS = ("xquad-en-ar", "xquad-ar", "arcd")
DISTRACTORS = ("ntrex", "xquad-ar", "arcd")
# Every development corpus at once, the distractor-heavy setting: the seed article(s),
# NTREX-dev, and the XQuAD-dev Arabic and ARCD paragraphs that no dataset holds back. Every
# dataset run with it indexes exactly the same articles (one index serves them all), and no
# held-back paragraph is ever indexed, so each SQuAD set keeps its unanswerable questions.
ARCHIVE = "archive"
DEFAULT_DISTRACTORS: dict[str, tuple[str, ...]] = {"seed": ("ntrex", "xquad-ar")}

_XQUAD_AR = ("xquad-dev", "xquad.ar.json")
_XQUAD_EN = ("xquad-dev", "xquad.en.json")
_ARCD = ("arcd", "arcd-train.json")
_NTREX = ("ntrex", "ntrex-dev.jsonl")


class DatasetError(ValueError):
    """A dataset that cannot be assembled; the message says what is missing."""


def default_data_dir() -> Path:
    """The shared development data, next to the repository or inside it."""
    root = Path(__file__).resolve().parent.parent
    candidates = [root / "shared" / "data", root.parent / "shared" / "data"]
    return next((c for c in candidates if c.is_dir()), candidates[-1])


def ntrex_parallel_sentences(data_dir: Path) -> list[tuple[str, str]]:
    """NTREX-dev's aligned (English, Arabic) sentence pairs, in file order."""
    return [
        (sentence["en"], sentence["ar"])
        for line in _file(data_dir, _NTREX).read_text(encoding="utf-8").splitlines()
        for sentence in json.loads(line)["sentences"]
    ]


def _file(data_dir: Path, parts: tuple[str, str]) -> Path:
    path = data_dir.joinpath(*parts)
    if not path.is_file():
        raise DatasetError(f"{path} is missing; pass --data-dir with the development data")
    return path


def load_dataset(
    name: str,
    data_dir: Path,
    seeds_dir: Path,
    distractors: Sequence[str] | None = None,
    gold_path: Path = SEED_GOLD_PATH,
    holdback: float = HOLDBACK_FRACTION,
) -> EvalDataset:
    """``name`` with its distractors added (``None``: the dataset's defaults)."""
    if name == "seed":
        dataset = _seed(seeds_dir, gold_path)
    elif name in ("xquad-ar", "xquad-en-ar", "arcd"):
        dataset = _squad(name, data_dir, holdback)
    else:
        raise DatasetError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    chosen = DEFAULT_DISTRACTORS.get(name, ()) if distractors is None else tuple(distractors)
    if ARCHIVE in chosen:
        if chosen != (ARCHIVE,):
            raise DatasetError(f"{ARCHIVE!r} already holds every corpus: name it alone")
        return _in_archive(dataset, data_dir, seeds_dir, holdback)
    return _with_distractors(dataset, chosen, data_dir)


def _seed(seeds_dir: Path, gold_path: Path) -> EvalDataset:
    articles = read_seeds(seeds_dir)
    questions = read_gold(gold_path)
    problems = span_problems(questions, {a.id: a.text for a in articles})
    if problems:
        raise DatasetError(f"{gold_path} does not fit the seed article: {'; '.join(problems)}")
    answerable = sum(q.answerable for q in questions)
    return EvalDataset(
        name="seed",
        articles=tuple(articles),
        questions=tuple(questions),
        notes=(
            f"Gold set {gold_path.name}: {answerable} answerable and "
            f"{len(questions) - answerable} unanswerable questions over the seed article.",
            "A quote hits when it comes from the seed article and covers at least half of a "
            "gold evidence span.",
        ),
    )


def _squad(name: str, data_dir: Path, holdback: float) -> EvalDataset:
    if name == "arcd":
        contexts = read_squad_paragraphs(_file(data_dir, _ARCD), "arcd", "ar")
        split = squad_split(contexts, fraction=holdback)
        source = "ARCD train: native Arabic questions over Arabic Wikipedia paragraphs"
    else:
        contexts = read_squad_paragraphs(_file(data_dir, _XQUAD_AR), "xquad-ar", "ar")
        if name == "xquad-en-ar":
            english = read_squad_paragraphs(_file(data_dir, _XQUAD_EN), "xquad-en", "en")
            split = squad_split(contexts, parallel_questions(english, "en"), holdback)
            source = (
                "XQuAD dev: English questions (xquad.en.json) over the Arabic paragraphs "
                "(xquad.ar.json), matched by question id; gold answers from the Arabic file"
            )
        else:
            split = squad_split(contexts, fraction=holdback)
            source = "XQuAD dev: Arabic questions over the Arabic paragraphs"
    notes = [
        source + ".",
        f"{len(split.indexed)} paragraphs indexed as title-less articles; "
        f"{len(split.held_back)} ({holdback:.0%}, fixed by hash) held back, so their questions "
        "are the unanswerable ones.",
        "A quote hits when it contains a gold answer (after Arabic normalisation) or covers a "
        "gold answer span of the right paragraph.",
    ]
    if split.unmatched:
        notes.append(f"{split.unmatched} questions had no parallel question id and were skipped.")
    return EvalDataset(name, split.indexed, split.questions, tuple(notes))


def load_distractors(name: str, data_dir: Path) -> list[Article]:
    if name == "ntrex":
        return [
            dataclasses.replace(article, lang="ar", source="ntrex")
            for article in read_jsonl(_file(data_dir, _NTREX))
        ]
    if name == "xquad-ar":
        return [p.article for p in read_squad_paragraphs(_file(data_dir, _XQUAD_AR), name, "ar")]
    if name == "arcd":
        return [p.article for p in read_squad_paragraphs(_file(data_dir, _ARCD), name, "ar")]
    raise DatasetError(f"unknown distractor corpus {name!r}; choose from {', '.join(DISTRACTORS)}")


def _with_distractors(dataset: EvalDataset, names: Sequence[str], data_dir: Path) -> EvalDataset:
    if not names:
        return dataset
    # a held-back paragraph re-entering as a distractor would make its questions answerable
    excluded = {q.doc_id for q in dataset.questions} | {a.id for a in dataset.articles}
    added: list[Article] = []
    counts = []
    for name in names:
        fresh = [a for a in load_distractors(name, data_dir) if a.id not in excluded]
        excluded |= {a.id for a in fresh}
        added += fresh
        counts.append(f"{name} ({len(fresh)})")
    note = (
        f"Distractor articles indexed alongside: {', '.join(counts)}; articles of the dataset "
        "itself (held-back ones included) are never added as distractors."
    )
    return dataclasses.replace(
        dataset, articles=dataset.articles + tuple(added), notes=(*dataset.notes, note)
    )


def archive_articles(data_dir: Path, seeds_dir: Path, holdback: float) -> list[Article]:
    """The development archive (see ARCHIVE): the same articles whichever dataset asks."""
    articles = list(read_seeds(seeds_dir)) + load_distractors("ntrex", data_dir)
    for corpus, parts in (("xquad-ar", _XQUAD_AR), ("arcd", _ARCD)):
        paragraphs = read_squad_paragraphs(_file(data_dir, parts), corpus, "ar")
        articles += squad_split(paragraphs, fraction=holdback).indexed
    return articles


def _in_archive(
    dataset: EvalDataset, data_dir: Path, seeds_dir: Path, holdback: float
) -> EvalDataset:
    archive = archive_articles(data_dir, seeds_dir, holdback)
    ids = {a.id for a in archive}
    # the dataset's own indexed articles are part of the archive, its held-back ones are not
    missing = [a.id for a in dataset.articles if a.id not in ids]
    if missing:
        raise DatasetError(f"{dataset.name} articles outside the archive: {missing[:3]}")
    own = {a.id for a in dataset.articles}
    held_back = {q.doc_id for q in dataset.questions if q.doc_id not in own} & ids
    if held_back:
        raise DatasetError(f"held-back articles of {dataset.name} in the archive: {held_back}")
    sources: dict[str, int] = {}
    for article in archive:
        key = "seed" if article.source not in ("ntrex", "xquad-ar", "arcd") else article.source
        sources[key] = sources.get(key, 0) + 1
    note = (
        f"Indexed: the development archive, {len(archive)} articles ("
        + ", ".join(f"{name} {count}" for name, count in sources.items())
        + "): the seed, NTREX-dev, and the XQuAD-dev Arabic and ARCD paragraphs no dataset "
        "holds back; the same index for every dataset."
    )
    return dataclasses.replace(dataset, articles=tuple(archive), notes=(*dataset.notes, note))
