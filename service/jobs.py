"""The write queue: every change (an ingest batch, a delete) is journalled when accepted and
applied by one worker thread in the order accepted, an ingest a commit group at a time.

A small write behind a long ingest waits its turn instead of being refused; when too many
changes wait, admission answers 429 with a Retry-After estimated from the recent ingest rate.
Stopping finishes the commit group in progress and leaves the rest in the journal
(job_journal.py), from which the next start resumes them in order.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from index.article import Article
from index.thread_priority import lower_current_thread_priority
from service.errors import ApiError, detail
from service.job_journal import UNFINISHED, JobJournal, JournalRow
from service.schemas import Job, JobArticle, JobArticleState, JobStatus
from service.writer import CorpusWriter

logger = logging.getLogger(__name__)

ACTIVE: tuple[JobStatus, ...] = ("queued", "running")
ChangeKind = Literal["add", "delete"]
# before any group has been timed: a guess that errs towards retrying soon
_DEFAULT_ARTICLES_PER_SECOND = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


class WriteJob:
    """One accepted change and its progress, as GET /jobs/{id} reports it."""

    def __init__(
        self,
        job_id: str,
        kind: ChangeKind,
        states: dict[str, JobArticleState],
        created_at: datetime,
    ) -> None:
        self.id = job_id
        self.kind: ChangeKind = kind
        self._lock = threading.Lock()
        self._states = dict(states)
        self.status: JobStatus = "queued"
        self.existed: set[str] | None = None
        self._passages_total: int | None = None
        self._passages_done = 0
        self._error: str | None = None
        self.created_at = created_at
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None
        self._finished = threading.Event()

    @classmethod
    def from_journal(cls, row: JournalRow) -> WriteJob:
        job = cls(row.job_id, "delete" if row.kind == "delete" else "add", {}, row.created_at)
        job._states = {doc_id: _article_state(state) for doc_id, state in row.states.items()}
        job.status = _job_status(row.status)
        job.existed = set(row.existed) if row.existed is not None else None
        job._passages_total = row.passages_total
        job._passages_done = row.passages_done
        job._error = row.error
        job._started_at = row.started_at
        job._finished_at = row.finished_at
        if job.status not in ACTIVE:
            job._finished.set()
        return job

    def pending_ids(self) -> set[str]:
        with self._lock:
            return {doc_id for doc_id, state in self._states.items() if state == "pending"}

    def states(self) -> dict[str, str]:
        with self._lock:
            return dict(self._states)

    def start(self, existed: set[str], passages_total: int) -> None:
        with self._lock:
            self.status = "running"
            self.existed = existed
            if self._passages_total is None:  # a resumed job keeps counting where it was
                self._passages_total = passages_total
            self._started_at = self._started_at or _now()

    def advance(self, passages: int) -> None:
        with self._lock:
            self._passages_done += passages

    @property
    def passages_total(self) -> int | None:
        with self._lock:
            return self._passages_total

    @property
    def passages_done(self) -> int:
        with self._lock:
            return self._passages_done

    @property
    def started_at(self) -> datetime:
        with self._lock:
            return self._started_at or _now()

    def stored(self, states: Sequence[tuple[str, JobArticleState]]) -> None:
        with self._lock:
            self._states.update(states)

    def finish(self, status: JobStatus, error: str | None = None) -> None:
        with self._lock:
            for doc_id, state in self._states.items():
                if state == "pending":
                    self._states[doc_id] = "not_stored"
            self.status = status
            self._error = error
            self._finished_at = _now()
        self._finished.set()

    def wait(self, timeout: float) -> bool:
        """Whether the change finished within ``timeout`` seconds."""
        return self._finished.wait(timeout)

    def snapshot(self) -> Job:
        with self._lock:
            states = list(self._states.items())
            return Job(
                job_id=self.id,
                kind=self.kind,
                status=self.status,
                total=len(states),
                done=sum(state in ("created", "replaced", "deleted") for _, state in states),
                passages_total=self._passages_total,
                passages_done=self._passages_done,
                articles=[JobArticle(id=doc_id, status=state) for doc_id, state in states],
                error=self._error,
                created_at=self.created_at,
                started_at=self._started_at,
                finished_at=self._finished_at,
            )


class JobQueue:
    def __init__(
        self,
        writer: CorpusWriter,
        journal: JobJournal,
        max_active: int,
        kept: int,
    ) -> None:
        self._writer = writer
        self._journal = journal
        self._max_active = max_active
        self._kept = kept
        # admission: journal order is queue order. Never held by readers (get, counts)
        self._admission = threading.Lock()
        # guards _jobs for a dictionary step at a time, never across I/O
        self._registry = threading.Lock()
        self._jobs: OrderedDict[str, WriteJob] = OrderedDict()
        self._queue: queue.Queue[WriteJob | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._articles_per_second = _DEFAULT_ARTICLES_PER_SECOND
        self._resume()

    def _resume(self) -> None:
        """Take up the journal: finished changes for GET /jobs, unfinished ones to run."""
        unfinished = 0
        for row in self._journal.rows():
            job = WriteJob.from_journal(row)
            self._jobs[job.id] = job
            if row.status in UNFINISHED:
                self._queue.put(job)
                unfinished += 1
        if unfinished:
            logger.info("resuming %d changes accepted before the last stop", unfinished)
            self._ensure_worker()

    # --- admission --------------------------------------------------------------------------
    def submit(self, articles: Sequence[Article]) -> WriteJob:
        """Journal an add (or replace) of ``articles`` and queue it."""
        return self._admit("add", list(articles), {a.id: "pending" for a in articles})

    def submit_delete(self, doc_id: str) -> WriteJob:
        return self._admit("delete", [], {doc_id: "pending"})

    def _admit(
        self, kind: ChangeKind, articles: list[Article], states: dict[str, JobArticleState]
    ) -> WriteJob:
        with self._admission:
            if self._stopping.is_set():
                raise ApiError(
                    "shutting_down",
                    "the server is shutting down; retry once it is back",
                    headers={"Retry-After": "10"},
                )
            active = self._active()
            if len(active) >= self._max_active:
                raise ApiError(
                    "write_queue_full",
                    f"{len(active)} changes are queued or running (IQTIBAS_MAX_QUEUED_JOBS); "
                    "retry after the time given in Retry-After",
                    [
                        detail(["jobs", job.id], f"job is {job.status}", "job_active")
                        for job in active
                    ],
                    headers={"Retry-After": str(self._retry_after(active))},
                )
            job = WriteJob(uuid.uuid4().hex, kind, states, _now())
            self._journal.admit(job.id, kind, articles, dict(states), job.created_at)
            with self._registry:
                self._jobs[job.id] = job
                self._forget_old()
            self._ensure_worker()
            self._queue.put(job)
            return job

    def _retry_after(self, active: list[WriteJob]) -> int:
        """Seconds until the oldest change is likely done, at the recent rate."""
        remaining = len(active[0].pending_ids()) if active else 0
        return max(1, min(600, math.ceil(remaining / self._articles_per_second)))

    def _active(self) -> list[WriteJob]:
        with self._registry:
            return [job for job in self._jobs.values() if job.status in ACTIVE]

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.status not in ACTIVE]
        for job_id in finished[: max(0, len(finished) - self._kept)]:
            del self._jobs[job_id]

    # --- reading: no lock a writer holds is taken here ---------------------------------------
    def get(self, job_id: str) -> WriteJob | None:
        with self._registry:
            return self._jobs.get(job_id)

    def count_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(("queued", "running", "succeeded", "failed", "interrupted"), 0)
        with self._registry:
            jobs = list(self._jobs.values())
        for job in jobs:
            counts[job.status] += 1
        return counts

    # --- running --------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="iqtibas-writes", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        # questions first: this thread only writes (see index/thread_priority.py)
        lower_current_thread_priority(self._writer.niceness)
        while (job := self._queue.get()) is not None:
            if self._stopping.is_set():
                break
            try:
                if job.kind == "delete":
                    self._delete(job)
                else:
                    self._add(job)
            except Exception as error:  # the worker must outlive any one change
                logger.exception("write failed", extra={"job_id": job.id})
                self._finish(job, "failed", f"{type(error).__name__}: {error}")

    def _add(self, job: WriteJob) -> None:
        pending = job.pending_ids()
        articles = [a for a in self._journal.articles(job.id) if a.id in pending]
        if job.existed is None:
            existed = self._writer.existing([a.id for a in articles])
        else:  # resumed: what existed before this job first ran, not what it stored since
            existed = job.existed
        job.start(existed, self._writer.passage_count(articles))
        self._journal.start(job.id, sorted(existed), job.passages_total or 0, job.started_at)
        logger.info("ingest job started", extra={"job_id": job.id, "articles": len(articles)})
        started = time.monotonic()

        def stored(ids: list[str]) -> None:
            job.stored([(i, "replaced" if i in existed else "created") for i in ids])
            self._journal.progress(job.id, job.states(), job.passages_done)

        committed = self._writer.store(
            articles, job.advance, stored, lambda: not self._stopping.is_set()
        )
        if committed:
            rate = len(committed) / max(time.monotonic() - started, 1e-3)
            self._articles_per_second = 0.5 * self._articles_per_second + 0.5 * rate
        if left := job.pending_ids():
            logger.warning(
                "stopping: ingest job %s keeps %d articles queued for the next start",
                job.id,
                len(left),
                extra={"job_id": job.id},
            )
            return
        self._finish(job, "succeeded")
        logger.info("ingest job finished", extra={"job_id": job.id})

    def _delete(self, job: WriteJob) -> None:
        for doc_id in job.pending_ids():  # one; none when resumed after it was applied
            existed = self._writer.delete(doc_id)
            job.stored([(doc_id, "deleted" if existed else "not_found")])
        self._finish(job, "succeeded")

    def _finish(self, job: WriteJob, status: JobStatus, error: str | None = None) -> None:
        job.finish(status, error)
        self._journal.finish(job.id, status, job.states(), error, _now(), self._kept)

    def close(self, timeout: float = 30.0) -> bool:
        """Stop after the commit group in progress; what is left stays journalled. False when
        a commit group outlived ``timeout``: it may still write, and the journal stays open."""
        with self._admission:
            self._stopping.set()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout)
        left = self._active()
        if left:
            logger.warning(
                "stopped with %d changes queued (%d articles); they resume at the next start",
                len(left),
                sum(len(job.pending_ids()) for job in left),
            )
        if self._worker is not None and self._worker.is_alive():
            # a commit group outlived the wait: it still records its progress when done
            logger.warning("the writer is still committing; the journal stays open")
            return False
        self._journal.close()
        return True


def _article_state(state: str) -> JobArticleState:
    known: tuple[JobArticleState, ...] = (
        "pending",
        "created",
        "replaced",
        "not_stored",
        "deleted",
        "not_found",
    )
    return state if state in known else "not_stored"


def _job_status(status: str) -> JobStatus:
    known: tuple[JobStatus, ...] = ("queued", "running", "succeeded", "failed", "interrupted")
    return status if status in known else "failed"
