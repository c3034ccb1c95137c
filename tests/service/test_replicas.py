"""Several servers over one index: one writer owns the write queue (a file lock), read-only
replicas answer from the writer's changes and refuse writes with 403 read_only_replica."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from index.article import Article
from index.corpus import Corpus
from index.read_only_corpus import ReadOnlyCorpus
from service.app import app_state, create_app
from service.job_journal import JOURNAL_NAME, JobJournal
from service.writer_lock import WriterLockedError, acquire_writer_lock
from tests.conftest import PROJECT_ROOT, HashingEmbedder
from tests.service.conftest import AUTH, ClientFactory, assert_error, make_settings

WRITER_URL = "http://writer.internal:8000"
HAIL = {
    "id": "ar-hail",
    "title": "برد في إربد",
    "text": "تساقط البرد بكثافة على مدينة إربد صباح الاثنين.\nوتضررت محاصيل القمح.",
    "lang": "ar",
}


@pytest.fixture
def replica(small_corpus: Corpus, tmp_path: Path) -> Iterator[TestClient]:
    """A read-only server over the directory small_corpus writes, as a second process would
    open it (its own corpus objects, its own SQLite connections)."""
    corpus = ReadOnlyCorpus(small_corpus.directory, HashingEmbedder(), small_corpus.config)
    settings = make_settings(tmp_path, read_only=True, writer_url=WRITER_URL)
    with TestClient(
        create_app(settings, answerer=Answerer(corpus)), raise_server_exceptions=False
    ) as client:
        yield client
    corpus.close()


def _quoted(client: TestClient, question: str) -> list[str]:
    response = client.post("/ask", json={"question": question, "top_k": 3})
    assert response.status_code == 200, response.text
    return [quote["doc_id"] for quote in response.json()["quotes"]]


def test_a_replica_refuses_every_write_naming_the_writer(
    replica: TestClient, small_corpus: Corpus
) -> None:
    refusals = [
        replica.post("/documents", json={"documents": [HAIL]}, headers=AUTH),
        replica.post("/documents", json={"documents": [HAIL]}),  # no key: same answer
        replica.delete("/documents/ar-weather", headers=AUTH),
        replica.get("/jobs/0123456789abcdef"),
    ]
    for response in refusals:
        error = assert_error(response, 403, "read_only_replica")
        assert WRITER_URL in error["message"]
    assert small_corpus.get("ar-weather") is not None and small_corpus.get("ar-hail") is None
    # it never opened the journal: the write queue is the writer's
    assert not (small_corpus.directory / JOURNAL_NAME).exists()
    assert replica.get("/ready").status_code == 200
    assert replica.get("/documents/ar-weather").status_code == 200
    metrics = replica.get("/metrics").text
    assert "iqtibas_ready 1" in metrics and "iqtibas_ingest_jobs" not in metrics


def test_the_openapi_document_lists_the_replica_refusal(replica: TestClient) -> None:
    paths = replica.get("/openapi.json").json()["paths"]
    for path, method in (("/documents", "post"), ("/documents/{doc_id}", "delete")):
        examples = paths[path][method]["responses"]["403"]["content"]["application/json"]
        assert "read_only_replica" in examples["examples"]
    assert "read_only_replica" in str(paths["/jobs/{job_id}"]["get"]["responses"]["403"])


def test_a_replica_answers_with_what_the_writer_server_adds_and_deletes(
    replica: TestClient, make_client: ClientFactory
) -> None:
    writer = make_client()
    question = "أين تساقط البرد بكثافة؟"
    assert "ar-hail" not in _quoted(replica, question)

    assert writer.post("/documents", json={"documents": [HAIL]}, headers=AUTH).status_code == 200
    assert _quoted(replica, question)[0] == "ar-hail"
    assert replica.get("/documents/ar-hail").json()["title"] == HAIL["title"]

    assert writer.delete("/documents/ar-hail", headers=AUTH).status_code == 200
    assert "ar-hail" not in _quoted(replica, question)
    assert_error(replica.get("/documents/ar-hail"), 404, "not_found")


def test_a_replica_answers_with_what_another_writer_process_commits(
    replica: TestClient, small_corpus: Corpus
) -> None:
    # the CLI's `iqtibas ingest` writes through a corpus of its own, not the write queue
    cli_writer = Corpus(small_corpus.directory, HashingEmbedder(), small_corpus.config)
    try:
        cli_writer.add([Article.create(**HAIL)])
    finally:
        cli_writer.close()
    assert _quoted(replica, "أين تساقط البرد بكثافة؟")[0] == "ar-hail"


def test_a_replica_never_runs_the_changes_journalled_for_the_writer(
    small_corpus: Corpus, tmp_path: Path, make_client: ClientFactory
) -> None:
    journal = JobJournal(small_corpus.directory)
    journal.admit(
        "job-hail", "add", [Article.create(**HAIL)], {"ar-hail": "pending"}, datetime.now(UTC)
    )
    journal.close()

    corpus = ReadOnlyCorpus(small_corpus.directory, HashingEmbedder(), small_corpus.config)
    settings = make_settings(tmp_path, read_only=True)
    with TestClient(create_app(settings, answerer=Answerer(corpus))) as replica:
        assert replica.get("/ready").status_code == 200
        assert small_corpus.get("ar-hail") is None
    corpus.close()

    # the writer, started after it, resumes the change: had the replica run it, it would
    # be stored already (and a writer beside it would run it twice)
    writer = make_client()
    queue = app_state(writer.app).services().jobs  # type: ignore[arg-type]
    assert queue is not None
    resumed = queue.get("job-hail")
    assert resumed is not None and resumed.wait(30)
    assert small_corpus.get("ar-hail") is not None


_HOLD_LOCK = """
import sys
from pathlib import Path
from service.writer_lock import WriterLockedError, acquire_writer_lock
try:
    lock = acquire_writer_lock(Path(sys.argv[1]))
except WriterLockedError as error:
    print("refused:", error, flush=True)
    sys.exit(3)
print("holding", flush=True)
sys.stdin.read()  # until the test closes the pipe
"""


def _other_process(directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(directory)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_the_write_queue_lock_excludes_other_processes_until_its_holder_ends(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "index"
    holder = _other_process(directory)
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    with pytest.raises(WriterLockedError) as refused:
        acquire_writer_lock(directory)
    message = str(refused.value)
    assert f"pid {holder.pid}" in message and "IQTIBAS_READ_ONLY=true" in message
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(30) == 0
    # the kernel dropped the lock with its process
    lock = acquire_writer_lock(directory)
    try:
        again = _other_process(directory)
        out, _ = again.communicate(timeout=30)
        assert again.returncode == 3 and f"pid {os.getpid()}" in out
    finally:
        lock.release()


def test_within_one_process_the_lock_is_shared_until_the_last_release(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    first, second = acquire_writer_lock(directory), acquire_writer_lock(directory)
    first.release()
    first.release()  # releasing twice counts once
    probe = _other_process(directory)
    assert probe.communicate(timeout=30)[0].startswith("refused:")
    second.release()
    probe = _other_process(directory)
    assert probe.stdout is not None and probe.stdout.readline() == "holding\n"
    probe.communicate(timeout=30)


def test_a_second_writer_server_fails_before_loading_and_says_what_to_do(
    tmp_path: Path,
) -> None:
    holder = _other_process(tmp_path / "index")
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    loaded = threading.Event()

    def loader() -> Any:
        loaded.set()
        raise AssertionError("the model must not load")

    try:
        app = create_app(make_settings(tmp_path), loader=loader)
        with TestClient(app, raise_server_exceptions=False) as client:
            app_state(app).wait_loaded(30)
            error = assert_error(client.get("/ready"), 503, "not_ready")
        assert "IQTIBAS_READ_ONLY=true" in error["message"]
        assert isinstance(app_state(app).load_error, WriterLockedError)
        assert not loaded.is_set()
    finally:
        holder.communicate(timeout=30)
