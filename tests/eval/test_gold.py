import json
from pathlib import Path

import pytest

from eval.build_seed_gold import gold_records, render
from eval.gold import SEED_GOLD_PATH, GoldFormatError, read_gold, span_problems
from index.seeds import read_seeds
from index.text.normalize import normalize
from tests.conftest import PROJECT_ROOT, SEED_ID


@pytest.fixture(scope="module")
def seed_article_text() -> str:
    return read_seeds(PROJECT_ROOT / "seeds")[0].text


def test_every_evidence_span_fits_the_seed_article(seed_article_text: str) -> None:
    questions = read_gold(SEED_GOLD_PATH)
    assert span_problems(questions, {SEED_ID: seed_article_text}) == []
    for question in questions:
        assert question.doc_id == SEED_ID
        for start, end in question.spans:
            assert 0 <= start < end <= len(seed_article_text)
            for answer in question.answers:
                assert normalize(answer) in normalize(seed_article_text[start:end])


def test_gold_set_size_and_language_mix() -> None:
    questions = read_gold(SEED_GOLD_PATH)
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 40
    assert len(questions) - len(answerable) >= 8
    for lang in ("ar", "en"):
        assert sum(q.lang == lang for q in answerable) >= 0.4 * len(answerable)
    assert all(q.answers and q.spans for q in answerable)
    assert len({q.question for q in questions}) == len(questions)


def test_unanswerable_questions_have_no_evidence() -> None:
    for question in read_gold(SEED_GOLD_PATH):
        if not question.answerable:
            assert question.spans == () and question.answers == ()


def test_gold_file_is_what_the_builder_writes(seed_article_text: str) -> None:
    expected = render(gold_records(seed_article_text, SEED_ID))
    assert SEED_GOLD_PATH.read_text(encoding="utf-8") == expected


def test_span_problems_are_reported() -> None:
    questions = read_gold(SEED_GOLD_PATH)[:1]
    text = "x" * 10
    problems = span_problems(questions, {SEED_ID: text})
    assert problems and "outside" in problems[0]
    assert "unknown article" in span_problems(questions, {})[0]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", "invalid JSON"),
        (
            json.dumps(
                {"id": "a", "question": "?", "lang": "en", "answerable": "yes", "doc_id": "d"}
            ),
            "true or false",
        ),
        (
            json.dumps(
                {"id": "a", "question": "?", "lang": "en", "answerable": True, "doc_id": "d"}
            ),
            "needs evidence",
        ),
        (json.dumps({"id": "a", "lang": "en", "answerable": False, "doc_id": "d"}), "question"),
    ],
)
def test_malformed_gold_names_the_line(tmp_path: Path, record: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n" + record + "\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match=rf"gold\.jsonl line 2: .*{message}"):
        read_gold(path)
