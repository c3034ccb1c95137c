"""The eval index cache follows the code that shapes an index, not the code that asks it."""

from pathlib import Path

import pytest

import eval.in_process as in_process
import index


def test_question_time_modules_do_not_change_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "index"
    (package / "retrieval").mkdir(parents=True)
    for name in ("__init__.py", "ingest.py", "answerer.py", "quotes.py", "retrieval/query.py"):
        (package / name).write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(index, "__file__", str(package / "__init__.py"))
    before = in_process._index_code_digest()
    for name in ("answerer.py", "quotes.py", "retrieval/query.py"):
        (package / name).write_text("x = 2\n", encoding="utf-8")
    assert in_process._index_code_digest() == before
    (package / "ingest.py").write_text("x = 2\n", encoding="utf-8")
    assert in_process._index_code_digest() != before
