from pathlib import Path

import pytest

from eval.datasets import DatasetError, load_dataset
from eval.squad import (
    answer_span,
    held_back_ids,
    parallel_questions,
    read_squad_paragraphs,
    squad_split,
)
from tests.conftest import PROJECT_ROOT
from tests.eval.squad_files import ARABIC_PARAGRAPHS, write_development_data

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_development_data(tmp_path / "data")


def test_paragraphs_become_title_less_articles(data_dir: Path) -> None:
    paragraphs = read_squad_paragraphs(data_dir / "xquad-dev" / "xquad.ar.json", "xquad-ar", "ar")
    assert [p.article.id for p in paragraphs][:2] == ["xquad-ar-0-0", "xquad-ar-1-0"]
    for paragraph in paragraphs:
        assert paragraph.article.title == ""
        assert "Page_" not in paragraph.article.text
        assert paragraph.article.source == "xquad-ar"


def test_cross_lingual_questions_are_matched_by_id(data_dir: Path) -> None:
    contexts = read_squad_paragraphs(data_dir / "xquad-dev" / "xquad.ar.json", "xquad-ar", "ar")
    english = read_squad_paragraphs(data_dir / "xquad-dev" / "xquad.en.json", "xquad-en", "en")
    split = squad_split(contexts, parallel_questions(english, "en"), fraction=0.0)
    by_id = {q.id: q for q in split.questions}
    assert set(by_id) == {"q1", "q2", "q3", "q4"}  # q5 has no English question
    assert split.unmatched == 1  # "only-en" has no Arabic paragraph
    assert by_id["q2"].question == "On which river is Cairo?" and by_id["q2"].lang == "en"
    # the gold answer and its span come from the Arabic context the quotes are cut from
    assert by_id["q2"].answers == ("نهر النيل",)
    article = next(a for a in split.indexed if a.id == by_id["q2"].doc_id)
    start, end = by_id["q2"].spans[0]
    assert article.text[start:end] == "نهر النيل"


def test_holdback_is_fixed_and_makes_questions_unanswerable(data_dir: Path) -> None:
    contexts = read_squad_paragraphs(data_dir / "arcd" / "arcd-train.json", "arcd", "ar")
    ids = [p.article.id for p in contexts]
    assert held_back_ids(ids, 0.4) == held_back_ids(list(reversed(ids)), 0.4)
    assert len(held_back_ids(ids, 0.4)) == 2
    split = squad_split(contexts, fraction=0.4)
    held = {a.id for a in split.held_back}
    assert held == held_back_ids(ids, 0.4)
    assert not held & {a.id for a in split.indexed}
    assert {q.doc_id for q in split.questions if not q.answerable} == held


def test_answer_start_is_repaired_to_the_nearest_occurrence() -> None:
    text = "أ ب ج أ ب"
    assert answer_span(text, "ب", 2) == (2, 3)
    assert answer_span(text, "ب", 7) == (8, 9)  # off by one in the source: nearest occurrence
    assert answer_span(text, "د", 0) is None


def test_datasets_with_distractors_never_readd_held_back_paragraphs(data_dir: Path) -> None:
    dataset = load_dataset("xquad-ar", data_dir, SEEDS, ["xquad-ar", "ntrex"], holdback=0.4)
    ids = [a.id for a in dataset.articles]
    assert len(ids) == len(set(ids))
    held = {q.doc_id for q in dataset.questions if not q.answerable}
    assert held and not held & set(ids)
    assert "ntrex-1" in ids
    assert len(ids) == len(ARABIC_PARAGRAPHS) - len(held) + 1


def test_seed_dataset_uses_the_gold_set_and_default_distractors(data_dir: Path) -> None:
    dataset = load_dataset("seed", data_dir, SEEDS)
    assert {a.id for a in dataset.articles} >= {"bf09634b69ac1340", "ntrex-1", "xquad-ar-0-0"}
    assert len(dataset.questions) >= 48


def test_missing_data_is_explained(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="--data-dir"):
        load_dataset("arcd", tmp_path, SEEDS)
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("squad", tmp_path, SEEDS)


def test_the_archive_is_one_article_set_for_every_dataset(data_dir: Path) -> None:
    loaded = {
        name: load_dataset(name, data_dir, SEEDS, ["archive"], holdback=0.4)
        for name in ("seed", "xquad-ar", "xquad-en-ar", "arcd")
    }
    article_sets = {name: {a.id for a in d.articles} for name, d in loaded.items()}
    first = article_sets["seed"]
    assert all(ids == first for ids in article_sets.values())
    assert {"bf09634b69ac1340", "ntrex-1"} <= first
    for dataset in loaded.values():
        held = {q.doc_id for q in dataset.questions if not q.answerable} - {"bf09634b69ac1340"}
        assert not held & first  # no dataset's unanswerable question finds its paragraph
    assert any(not q.answerable for q in loaded["arcd"].questions)


def test_the_archive_is_named_alone(data_dir: Path) -> None:
    with pytest.raises(DatasetError, match="alone"):
        load_dataset("seed", data_dir, SEEDS, ["archive", "ntrex"])
