"""The runner and reports end to end with the fast hashing embedder over tiny data."""

import json
from pathlib import Path

import pytest

from eval.configurations import parse_configurations
from eval.datasets import load_dataset
from eval.in_process import InProcessBackend
from eval.report import write_report
from eval.runner import limited, run_dataset
from index.answerer import AnswerConfig
from index.corpus import CorpusConfig
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.eval.squad_files import write_development_data

RATIOS = ("recall@1", "recall@5", "recall@10", "MRR@10", "nDCG@10", "quote_hit@1", "quote_hit@3")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_development_data(tmp_path / "data")


def test_configurations_share_one_index_and_reports_are_written(
    data_dir: Path, tmp_path: Path
) -> None:
    dataset = load_dataset("xquad-ar", data_dir, PROJECT_ROOT / "seeds", ["ntrex"], holdback=0.4)
    backend = InProcessBackend(HashingEmbedder(), CorpusConfig(), show_progress=False)
    configurations = parse_configurations(["dense", "strict:abstain_threshold=2.0"])
    try:
        result = run_dataset(dataset, backend, configurations, AnswerConfig(), show_progress=False)
    finally:
        backend.close()
    dense, strict = result.configurations
    assert dense.summary["questions"] == 5 and dense.summary["unanswerable"] == 2
    # the lexical embedder finds the Arabic paragraphs from their own words
    assert dense.summary["recall@1"] == 1.0 and dense.summary["quote_hit@1"] == 1.0
    assert strict.summary["abstain_rate"] == 1.0 and strict.summary["abstention_recall"] == 1.0
    assert strict.answer_config["abstain_threshold"] == 2.0
    for summary in (dense.summary, strict.summary, *dense.by_language.values()):
        for key in RATIOS:
            value = summary[key]
            assert value is not None and 0.0 <= value <= 1.0

    written = write_report(result, tmp_path / "report", "test/hashing", "iqtibas eval xquad-ar")
    for path in written.values():
        assert path.exists() and path.stat().st_size > 0
    saved = json.loads((tmp_path / "report" / "results.json").read_text("utf-8"))
    assert [c["name"] for c in saved["configurations"]] == ["dense", "strict"]
    assert len(saved["configurations"][0]["outcomes"]) == 5
    report = (tmp_path / "report" / "report.md").read_text("utf-8")
    assert "| dense |" in report and "![recall@k](recall_at_k.png)" in report


def test_index_cache_is_reused(data_dir: Path, tmp_path: Path) -> None:
    dataset = load_dataset("arcd", data_dir, PROJECT_ROOT / "seeds")
    for _ in range(2):
        backend = InProcessBackend(HashingEmbedder(), CorpusConfig(), tmp_path / "cache", False)
        backend.load(dataset.articles, "arcd")
        backend.close()
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_the_same_articles_are_indexed_once_per_run(data_dir: Path) -> None:
    dataset = load_dataset("xquad-ar", data_dir, PROJECT_ROOT / "seeds")
    backend = InProcessBackend(HashingEmbedder(), CorpusConfig(), show_progress=False)
    try:
        backend.load(dataset.articles, "first")
        corpus = backend._corpus
        backend.load(dataset.articles, "again")
        assert backend._corpus is corpus and backend.build_seconds == 0.0
        backend.load(dataset.articles[:2], "fewer")
        assert backend._corpus is not corpus
    finally:
        backend.close()


def test_limit_takes_a_fixed_sample(data_dir: Path) -> None:
    questions = load_dataset("arcd", data_dir, PROJECT_ROOT / "seeds").questions
    assert limited(questions, 3) == limited(tuple(reversed(questions)), 3)
    assert len(limited(questions, 3)) == 3 and limited(questions, None) == list(questions)
