"""The write queue: one writer, changes in the order accepted, durable progress by commit
group, and a journal that a restart resumes from."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from index.article import Article
from index.corpus import Corpus
from index.document_store import DocumentStore
from service.errors import ApiError
from service.job_journal import JobJournal
from service.jobs import JobQueue
from service.writer import CorpusWriter
from tests.conftest import HashingEmbedder


def _articles(count: int, prefix: str = "job") -> list[Article]:
    return [
        Article.create(id=f"{prefix}-{n}", text=f"جملة رقم {n} عن {prefix}.") for n in range(count)
    ]


def _queue(corpus: Corpus, max_active: int = 8, kept: int = 10) -> JobQueue:
    return JobQueue(CorpusWriter(corpus), JobJournal(corpus.directory), max_active, kept)


def _wait(queue: JobQueue, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        assert job is not None
        if job.status not in ("queued", "running"):
            return job.status
        time.sleep(0.01)
    raise AssertionError("job did not finish")


class _HeldCommits:
    """Makes every commit group wait until released, to stop a job mid-way."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        original = DocumentStore.replace_articles

        def held(store: DocumentStore, prepared: Any, *arguments: Any) -> Any:
            self.entered.set()
            self.release.wait(10)
            return original(store, prepared, *arguments)

        monkeypatch.setattr(DocumentStore, "replace_articles", held)
        self.undo = lambda: monkeypatch.setattr(DocumentStore, "replace_articles", original)


def test_changes_apply_in_the_order_accepted(small_corpus: Corpus) -> None:
    queue = _queue(small_corpus)
    first = queue.submit(_articles(40, "a"))
    second = queue.submit([Article.create(id="a-0", text="نص أحدث من الأول.")])
    deleted = queue.submit_delete("a-1")
    missing = queue.submit_delete("no-such-id")
    for job in (first, second, deleted, missing):
        assert _wait(queue, job.id) == "succeeded"
    assert second.snapshot().articles[0].status == "replaced"
    assert deleted.snapshot().articles[0].status == "deleted"
    assert missing.snapshot().articles[0].status == "not_found"
    stored = small_corpus.get("a-0")
    assert stored is not None and stored.text == "نص أحدث من الأول."
    assert small_corpus.get("a-1") is None
    queue.close()


def test_a_full_queue_refuses_with_429_and_retry_after(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _HeldCommits(monkeypatch)
    queue = _queue(small_corpus, max_active=2)
    running = queue.submit(_articles(3, "r"))
    queue.submit_delete("r-0")
    with pytest.raises(ApiError) as refused:
        queue.submit(_articles(1, "late"))
    assert refused.value.status_code == 429 and refused.value.code == "write_queue_full"
    assert refused.value.headers is not None and int(refused.value.headers["Retry-After"]) >= 1
    held.release.set()
    assert _wait(queue, running.id) == "succeeded"
    queue.close()


def test_stopping_keeps_unfinished_changes_and_a_restart_resumes_them(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = small_corpus.counts().articles
    held = _HeldCommits(monkeypatch)
    queue = _queue(small_corpus)
    running = queue.submit(_articles(40, "r"))
    waiting = queue.submit(_articles(3, "w"))
    delete = queue.submit_delete("r-39")
    assert held.entered.wait(10)
    closer = threading.Thread(target=queue.close)
    closer.start()
    time.sleep(0.05)
    held.release.set()
    closer.join(30)
    group = CorpusWriter(small_corpus).group_size
    assert running.snapshot().done == group  # the group in progress was finished, no more
    assert small_corpus.counts().articles == before + group
    with pytest.raises(ApiError) as refused:
        queue.submit(_articles(1, "late"))
    assert refused.value.status_code == 503
    held.undo()

    restarted = _queue(small_corpus)
    for job in (running, waiting, delete):
        assert _wait(restarted, job.id) == "succeeded"
    resumed = restarted.get(running.id)
    assert resumed is not None
    states = {a.id: a.status for a in resumed.snapshot().articles}
    # what it stored before the stop stays reported as created, not as replaced by the resume
    assert set(states.values()) == {"created"} and len(states) == 40
    assert small_corpus.get("r-39") is None  # the delete ran after the add it followed
    assert small_corpus.counts().articles == before + 39 + 3
    restarted.close()


def test_finished_jobs_survive_a_restart_up_to_the_kept_number(small_corpus: Corpus) -> None:
    queue = _queue(small_corpus, kept=2)
    ids = []
    for number in range(4):
        job = queue.submit(_articles(1, f"k{number}"))
        _wait(queue, job.id)
        ids.append(job.id)
    queue.close()
    restarted = _queue(small_corpus, kept=2)
    assert restarted.get(ids[0]) is None and restarted.get(ids[1]) is None
    kept = restarted.get(ids[3])
    assert kept is not None and kept.snapshot().status == "succeeded"
    assert kept.snapshot().articles[0].status == "created"
    restarted.close()


def test_an_accepted_change_is_journalled_before_it_runs(
    tmp_path: Path, fixture_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal alone (a crash before any commit) brings the change back."""
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    held = _HeldCommits(monkeypatch)
    queue = _queue(corpus)
    job = queue.submit(_articles(2, "j"))
    assert held.entered.wait(10)
    rows = JobJournal(corpus.directory).rows()
    assert [(row.job_id, row.status) for row in rows] == [(job.id, "running")]
    assert [a.id for a in JobJournal(corpus.directory).articles(job.id)] == ["j-0", "j-1"]
    held.release.set()
    assert _wait(queue, job.id) == "succeeded"
    assert JobJournal(corpus.directory).articles(job.id) == []  # texts go once finished
    queue.close()
    corpus.close()


def test_reading_jobs_never_waits_for_admission_or_the_writer(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /jobs and /metrics read here while a write commits and another is admitted."""
    held = _HeldCommits(monkeypatch)
    queue = _queue(small_corpus)
    running = queue.submit(_articles(3, "h"))
    assert held.entered.wait(10)  # the writer is inside a commit
    admitting = threading.Event()
    original_admit = JobJournal.admit

    def slow_admit(journal: JobJournal, *arguments: Any) -> None:
        admitting.set()
        held.release.wait(10)  # a slow disk, holding the admission lock
        original_admit(journal, *arguments)

    monkeypatch.setattr(JobJournal, "admit", slow_admit)
    submitter = threading.Thread(target=queue.submit, args=(_articles(1, "late"),))
    submitter.start()
    assert admitting.wait(10)
    answers: list[object] = []
    reader = threading.Thread(
        target=lambda: answers.extend([queue.get(running.id), queue.count_by_status()])
    )
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading jobs waited for a write"
    assert answers[0] is running and answers[1]["running"] == 1  # type: ignore[index]
    held.release.set()
    submitter.join(10)
    assert _wait(queue, running.id) == "succeeded"
    queue.close()


def test_a_commit_that_outlives_the_stop_still_records_its_progress(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _HeldCommits(monkeypatch)
    queue = _queue(small_corpus)
    job = queue.submit(_articles(3, "late"))
    assert held.entered.wait(10)
    queue.close(timeout=0.05)  # gives up waiting while the group is still committing
    held.release.set()
    journal = JobJournal(small_corpus.directory)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        (row,) = journal.rows()
        if set(row.states.values()) == {"created"}:
            break
        time.sleep(0.01)
    assert row.job_id == job.id and set(row.states.values()) == {"created"}
    journal.close()
