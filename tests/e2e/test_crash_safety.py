"""SIGKILL in the middle of an ingest leaves an index that loads and keeps what it had."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.corpus import Corpus
from index.index_directory import STORE_NAME
from service.bootstrap import corpus_config
from service.settings import Settings
from tests.conftest import FIXTURES, PROJECT_ROOT, SEED_ID

pytestmark = pytest.mark.slow


def _run_cli(arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *arguments],
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _generation(directory: Path) -> int:
    with sqlite3.connect(directory / STORE_NAME) as connection:
        row = connection.execute("SELECT value FROM counts WHERE name = 'generation'").fetchone()
    return int(row[0]) if row else 0


def _synthetic_articles(path: Path, seed_text: str, count: int) -> None:
    paragraphs = [p for p in seed_text.split("\n") if len(p.split()) > 8]
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            text = "\n".join(paragraphs[(number + k) % len(paragraphs)] for k in range(4))
            handle.write(
                json.dumps(
                    {"id": f"synthetic-{number}", "title": f"مقال {number}", "text": text},
                    ensure_ascii=False,
                )
                + "\n"
            )


def test_sigkill_during_ingest_keeps_every_earlier_article(
    tmp_path: Path, model_cache_dir: Path, real_embedder: object, seed_text: str
) -> None:
    directory = tmp_path / "index"
    environment = {
        **os.environ,
        "IQTIBAS_DATA_DIR": str(directory),
        "IQTIBAS_MODEL_CACHE_DIR": str(model_cache_dir),
        "IQTIBAS_INDEX__COMMIT_EVERY_ARTICLES": "2",
    }
    first = _run_cli(["ingest", "--quiet", str(FIXTURES / "corpus.jsonl")], environment)
    assert first.wait(timeout=600) == 0, first.stderr.read() if first.stderr else ""
    before_ids = {SEED_ID, "ar-weather", "ar-football", "ar-economy", "en-space", "ar-science"}
    before_generation = _generation(directory)

    big = tmp_path / "big.jsonl"
    _synthetic_articles(big, seed_text, 60)
    ingest = _run_cli(["ingest", "--quiet", str(big)], environment)
    deadline = time.monotonic() + 600
    # kill once at least one group of this ingest is committed and more are still coming
    while _generation(directory) < before_generation + 2:
        assert ingest.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    ingest.send_signal(signal.SIGKILL)
    ingest.wait(timeout=60)
    assert ingest.returncode == -signal.SIGKILL

    corpus = Corpus(directory, real_embedder, corpus_config(Settings()))  # type: ignore[arg-type]
    try:
        ids = {article.id for article in corpus.list_articles(0, 1000)}
        assert before_ids <= ids
        assert 0 < len(ids - before_ids) < 60  # part of the killed ingest, in whole groups
        counts = corpus.counts()
        assert corpus.vector_count() == counts.chunks
        query = real_embedder.encode_queries(["درجات الحرارة في القاهرة"])[0]  # type: ignore[attr-defined]
        with corpus.read() as view:
            assert view.search_chunks(query, 1)[0].chunk.doc_id == "ar-weather"
    finally:
        corpus.close()
