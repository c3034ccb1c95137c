"""The job queue: one writer, durable progress by commit group, clean interruption."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from index.article import Article
from index.corpus import Corpus
from index.document_store import DocumentStore
from service.errors import ConflictError
from service.jobs import JobQueue
from service.writer import CorpusWriter


def _articles(count: int, prefix: str = "job") -> list[Article]:
    return [
        Article.create(id=f"{prefix}-{n}", text=f"جملة رقم {n} عن {prefix}.") for n in range(count)
    ]


def _wait(queue: JobQueue, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        assert job is not None
        if job.status not in ("queued", "running"):
            return job.status
        time.sleep(0.01)
    raise AssertionError("job did not finish")


def test_jobs_run_in_order_and_report_each_group(small_corpus: Corpus) -> None:
    writer = CorpusWriter(small_corpus)
    queue = JobQueue(writer, max_active=4, kept=10)
    first = queue.submit(_articles(40, "a"))
    second = queue.submit([Article.create(id="a-0", text="نص أحدث من الأول.")])
    assert _wait(queue, first.id) == "succeeded"
    assert _wait(queue, second.id) == "succeeded"
    snapshot = second.snapshot()
    assert snapshot.articles[0].status == "replaced"
    stored = small_corpus.get("a-0")
    assert stored is not None and stored.text == "نص أحدث من الأول."
    queue.close()


def test_closing_interrupts_between_groups_and_marks_queued_jobs(
    small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = CorpusWriter(small_corpus)
    entered = threading.Event()
    release = threading.Event()
    original = DocumentStore.replace_articles

    def slow_commit(self: DocumentStore, prepared: Any, *arguments: Any) -> Any:
        entered.set()
        release.wait(10)
        return original(self, prepared, *arguments)

    monkeypatch.setattr(DocumentStore, "replace_articles", slow_commit)
    queue = JobQueue(writer, max_active=4, kept=10)
    running = queue.submit(_articles(40, "r"))
    waiting = queue.submit(_articles(3, "w"))
    assert entered.wait(10)
    closer = threading.Thread(target=queue.close)
    closer.start()
    time.sleep(0.05)
    release.set()
    closer.join(30)
    first = running.snapshot()
    assert first.status == "interrupted"
    assert first.done == writer.group_size  # the group in progress was finished, no more
    assert {a.status for a in first.articles[first.done :]} == {"not_stored"}
    assert waiting.snapshot().status == "interrupted"
    with pytest.raises(ConflictError):
        queue.submit(_articles(1, "late"))


def test_finished_jobs_are_forgotten_beyond_the_kept_number(small_corpus: Corpus) -> None:
    queue = JobQueue(CorpusWriter(small_corpus), max_active=1, kept=2)
    ids = []
    for number in range(4):
        job = queue.submit(_articles(1, f"k{number}"))
        _wait(queue, job.id)
        ids.append(job.id)
    queue.submit(_articles(1, "last"))
    assert queue.get(ids[0]) is None and queue.get(ids[1]) is None
    assert queue.get(ids[3]) is not None
    queue.close()
