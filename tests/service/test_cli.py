"""Bad input on the command line: a clear message, exit status 2, and nothing touched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from index.corpus import Corpus
from service.cli import EXIT_BAD_INPUT, format_answer, main
from service.settings import get_settings
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles


def _fingerprint(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 1001], "longer than 1000 characters"),
        (["ingest", "{tmp}/missing.jsonl"], "missing.jsonl: no such file"),
        (["ingest", "{tmp}/latin.txt"], "latin.txt: not UTF-8"),
        (["ingest", "{tmp}/bad.jsonl"], "bad.jsonl line 3: invalid JSON"),
        (["ingest", "{tmp}/ok.jsonl", "{tmp}/bad.jsonl"], "bad.jsonl line 3"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    existing_index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    (tmp_path / "latin.txt").write_bytes("titre\ncafé".encode("latin-1"))
    good = json.dumps({"id": "new", "text": "نص جديد."})
    (tmp_path / "ok.jsonl").write_text(good + "\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text(f"{good}\n\n{{broken\n", encoding="utf-8")
    before = _fingerprint(existing_index)
    status = main([argument.format(tmp=tmp_path) for argument in arguments])
    error = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT
    assert message in error and "Traceback" not in error
    assert _fingerprint(existing_index) == before


def test_unknown_command_and_bad_top_k_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for arguments in (["frobnicate"], ["ask", "--top-k", "0", "q"]):
        with pytest.raises(SystemExit) as exit_info:
            main(arguments)
        assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_answer_formatting_marks_unanswerable_questions(small_corpus: Corpus) -> None:
    from index.answerer import AnswerConfig, Answerer

    strict = Answerer(small_corpus, AnswerConfig(abstain_threshold=2.0))
    text = format_answer(strict.ask("سعر الفائدة في الأردن", top_k=1))
    assert "The sources do not answer this question." in text and "related reading" in text
    lenient = Answerer(small_corpus, AnswerConfig(abstain_threshold=-1.0))
    text = format_answer(lenient.ask("سعر الفائدة في الأردن", top_k=1))
    assert "Answer, quoted from the sources:" in text and "doc ar-economy" in text


def test_bad_setting_names_the_variable_and_changes_nothing(
    existing_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IQTIBAS_WORD_CACHE_SIZE", "-1")
    monkeypatch.setenv("IQTIBAS_PORT", "abc")
    before = _fingerprint(existing_index)
    status = main(["ask", "Who proposed a ceasefire?"])
    error = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT
    assert "IQTIBAS_WORD_CACHE_SIZE='-1'" in error and "IQTIBAS_PORT='abc'" in error
    assert "Traceback" not in error
    assert _fingerprint(existing_index) == before


def test_a_bad_nested_index_setting_is_named_as_written(
    existing_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IQTIBAS_INDEX__NPROBE", "-3")
    assert main(["info"]) == EXIT_BAD_INPUT
    assert "IQTIBAS_INDEX__NPROBE='-3'" in capsys.readouterr().err


def test_reindex_rebuilds_the_vector_index_with_the_configured_factory(
    existing_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = Corpus(existing_index, HashingEmbedder())
    corpus.add(synthetic_articles(30))  # 60 chunks: enough to train one list (39 a list)
    corpus.close()
    monkeypatch.setattr("service.bootstrap.configured_embedder", lambda *_: HashingEmbedder())
    monkeypatch.setattr("service.bootstrap.limit_threads", lambda *_: None)
    monkeypatch.setenv("IQTIBAS_INDEX__VECTOR_FACTORY", "IVF1,SQ8")
    monkeypatch.setenv("IQTIBAS_INDEX__APPROXIMATE_FROM", "1")
    monkeypatch.setenv("IQTIBAS_INDEX__TRAIN_SAMPLE", "1000")
    monkeypatch.setenv("IQTIBAS_INDEX__BACKGROUND_TRAINING", "false")
    get_settings.cache_clear()
    assert main(["reindex"]) == 0
    assert "IVF1,SQ8" in capsys.readouterr().out
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["vector_index"] == "IVF1,SQ8" and info["articles"] == 35


def test_an_unknown_embedding_backend_is_a_one_line_settings_error(
    existing_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IQTIBAS_EMBEDDING_BACKEND", "tensorflow")
    assert main(["info"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert "IQTIBAS_EMBEDDING_BACKEND='tensorflow'" in error and "openvino" in error
    assert "Traceback" not in error


def test_the_text_answer_says_what_the_cost_caps_left_out() -> None:
    from index.answerer import Answer, QuestionLimits

    answer = Answer(
        question="Who?",
        answerable=False,
        quotes=[],
        took_ms=1.0,
        ranked_doc_ids=[],
        limits=QuestionLimits(ignored_text="and the rest", untranslated_words=("ceasefire",)),
    )
    text = format_answer(answer)
    assert "'and the rest'" in text and "ceasefire" in text
