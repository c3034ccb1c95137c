"""A Ray ingest whose driver is SIGKILLed mid-run resumes: the rerun skips what was stored
and every article ends up stored exactly once. A run that stalls fails with a message."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.corpus import Corpus
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.index.ray_support import CONFIG
from tests.index.synthetic import synthetic_articles

pytest.importorskip("ray", reason="the ray extra: pip install -e '.[ray]'")
pytestmark = pytest.mark.slow

COUNT = 40


def _driver(data_dir: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.index.ray_support", str(data_dir), str(COUNT), *options],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its Ray processes share the group, for the cleanup
    )


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def test_a_killed_ray_ingest_resumes_and_stores_each_article_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "index"
    first = _driver(data_dir)
    try:
        assert first.stdout is not None
        committed = 0
        for line in first.stdout:
            if line.startswith("committed "):
                committed = int(line.split()[1])
                if committed >= 8:
                    break
        assert 8 <= committed < COUNT, "the driver must be killed mid-run"
        first.send_signal(signal.SIGKILL)  # the driver only: Ray's own processes are left
        first.wait(timeout=30)
    finally:
        _kill_group(first)
    time.sleep(1)

    second = _driver(data_dir)
    try:
        output, _ = second.communicate(timeout=300)
    finally:
        _kill_group(second)
    assert second.returncode == 0, output
    lines = output.splitlines()
    skipped = int(lines[0].split()[1])
    assert committed <= skipped < COUNT  # a group may have committed after its last print
    assert "finished" in lines
    assert lines[-2] == f"committed {COUNT - skipped}"

    with sqlite3.connect(data_dir / "documents.sqlite3") as connection:
        rows = connection.execute(
            "SELECT count(*), count(DISTINCT doc_id) FROM articles"
        ).fetchone()
        chunks = connection.execute("SELECT count(*) FROM chunks").fetchone()[0]
        sentences = connection.execute("SELECT count(*) FROM sentences").fetchone()[0]
    assert rows == (COUNT, COUNT)
    reference = Corpus(tmp_path / "reference", HashingEmbedder(), CONFIG)
    reference.add(synthetic_articles(COUNT))
    assert (chunks, sentences) == (reference.counts().chunks, reference.counts().sentences)
    reference.close()
    corpus = Corpus(data_dir, HashingEmbedder(), CONFIG)
    assert corpus.counts().articles == COUNT  # the kept counters agree with the rows
    assert corpus.unchanged(synthetic_articles(COUNT)) == {a.id for a in synthetic_articles(COUNT)}
    corpus.close()


def test_a_ray_ingest_that_receives_nothing_fails_instead_of_waiting_forever(
    tmp_path: Path,
) -> None:
    driver = _driver(tmp_path / "index", "--stuck")
    try:
        output, _ = driver.communicate(timeout=120)
    finally:
        _kill_group(driver)
    assert "error: no prepared articles arrived from the Ray cluster for 3 s" in output
    assert "run the same command again" in output
    assert "stored 0" in output
