import json
from pathlib import Path

import pytest

from index.readers import ArticleReadError, read_paths
from index.seeds import read_seeds
from tests.conftest import PROJECT_ROOT, SEED_ID


def test_text_jsonl_and_squad_files(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("العنوان\nالنص الأول.\nالنص الثاني.", encoding="utf-8")
    (tmp_path / "news.jsonl").write_text(
        json.dumps({"id": 7, "title": "t", "text": "نص", "lang": "ar", "extra": "ignored"})
        + "\n\n",
        encoding="utf-8",
    )
    squad = {"data": [{"title": "Page_Name", "paragraphs": [{"context": " سياق.", "qas": []}]}]}
    (tmp_path / "set.json").write_text(json.dumps(squad), encoding="utf-8")
    articles = {a.id: a for a in read_paths([tmp_path])}
    assert (
        articles["note"].title == "العنوان" and articles["note"].text == "النص الأول.\nالنص الثاني."
    )
    assert articles["7"].lang == "ar"
    assert articles["set-0-0"].title == "" and articles["set-0-0"].source == "Page_Name"
    assert articles["set-0-0"].text == " سياق."  # kept as is: SQuAD answer offsets point into it


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(ArticleReadError, match=r"bad\.jsonl line 2: invalid JSON"):
        read_paths([path])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"title": "no id or text"}', "missing field"),
        ('{"id": "x", "text": ["a"]}', "must be a string"),
        ('["not", "an", "object"]', "expected a JSON object"),
        ('{"id": "x", "text": "   "}', "has no text"),
    ],
)
def test_invalid_records_are_explained(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(content + "\n", encoding="utf-8")
    with pytest.raises(ArticleReadError, match=message):
        read_paths([path])


def test_not_utf8_and_missing_paths(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("titre\ncaf\xe9".encode("latin-1"))
    with pytest.raises(ArticleReadError, match="not UTF-8"):
        read_paths([latin])
    with pytest.raises(ArticleReadError, match="no such file"):
        read_paths([tmp_path / "missing.jsonl"])
    with pytest.raises(ArticleReadError, match="unsupported file type"):
        (tmp_path / "x.pdf").write_bytes(b"%PDF")
        read_paths([tmp_path / "x.pdf"])


def test_seed_manifest() -> None:
    (seed,) = read_seeds(PROJECT_ROOT / "seeds")
    assert seed.id == SEED_ID and seed.lang == "ar" and seed.title
    assert "وقف إطلاق النار لمدة 30 يومًا" in seed.text
    assert seed.summary and seed.summary not in seed.text
