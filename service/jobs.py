"""Background ingest jobs: one worker thread takes queued batches in order and stores them a
commit group at a time, so a job's progress only ever reports articles that are durable.

Jobs live in memory: after a restart their status is gone, though every article they
reported stored is in the index.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from index.article import Article
from index.thread_priority import lower_current_thread_priority
from service.errors import ConflictError, detail
from service.schemas import Job, JobArticle, JobArticleState, JobStatus
from service.writer import CorpusWriter

logger = logging.getLogger(__name__)

ACTIVE: tuple[JobStatus, ...] = ("queued", "running")


def _now() -> datetime:
    return datetime.now(UTC)


class IngestJob:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.id = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._articles: list[Article] | None = list(articles)
        self._states: dict[str, JobArticleState] = {a.id: "pending" for a in articles}
        self.status: JobStatus = "queued"
        self._passages_total: int | None = None
        self._passages_done = 0
        self._error: str | None = None
        self.created_at = _now()
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None

    def take_articles(self) -> list[Article]:
        with self._lock:
            articles, self._articles = self._articles or [], None  # the job does not keep texts
            return articles

    def start(self, passages_total: int) -> None:
        with self._lock:
            self.status = "running"
            self._passages_total = passages_total
            self._started_at = _now()

    def advance(self, passages: int) -> None:
        with self._lock:
            self._passages_done += passages

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

    def snapshot(self) -> Job:
        with self._lock:
            states = list(self._states.items())
            return Job(
                job_id=self.id,
                status=self.status,
                total=len(states),
                done=sum(state in ("created", "replaced") for _, state in states),
                passages_total=self._passages_total,
                passages_done=self._passages_done,
                articles=[JobArticle(id=doc_id, status=state) for doc_id, state in states],
                error=self._error,
                created_at=self.created_at,
                started_at=self._started_at,
                finished_at=self._finished_at,
            )


class JobQueue:
    def __init__(self, writer: CorpusWriter, max_active: int, kept: int) -> None:
        self._writer = writer
        self._max_active = max_active
        self._kept = kept
        # guards _jobs and admission: a direct write and a submission are ordered by it
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, IngestJob] = OrderedDict()
        self._queue: queue.Queue[IngestJob | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- admission --------------------------------------------------------------------------
    def submit(self, articles: Sequence[Article]) -> IngestJob:
        with self._lock:
            if self._stopping.is_set():
                raise ConflictError("shutting_down", "the server is shutting down")
            active = self._active()
            if len(active) >= self._max_active:
                raise ConflictError(
                    "job_queue_full",
                    f"{len(active)} ingest jobs are queued or running "
                    f"(IQTIBAS_MAX_QUEUED_JOBS); retry when one has finished",
                    [
                        detail(["jobs", job.id], f"job is {job.status}", "job_active")
                        for job in active
                    ],
                )
            job = IngestJob(articles)
            self._jobs[job.id] = job
            self._forget_old()
            self._ensure_worker()
            self._queue.put(job)
            return job

    @contextlib.contextmanager
    def direct_write(self) -> Iterator[None]:
        """The writer, for a change made in the request itself. Refused while jobs are queued
        or running: done now, it would land before them though it was asked after them."""
        with contextlib.ExitStack() as stack:
            with self._lock:
                active = self._active()
                if active:
                    raise ConflictError(
                        "ingest_in_progress",
                        "an ingest job is queued or running and this change would overtake "
                        "it; retry when the job has finished (GET /jobs/{job_id})",
                        [
                            detail(["jobs", job.id], f"job is {job.status}", "job_active")
                            for job in active
                        ],
                    )
                # taken under the admission lock: a job submitted from now on runs after this
                stack.enter_context(self._writer.exclusive())
            yield

    def _active(self) -> list[IngestJob]:
        return [job for job in self._jobs.values() if job.status in ACTIVE]

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.status not in ACTIVE]
        for job_id in finished[: max(0, len(finished) - self._kept)]:
            del self._jobs[job_id]

    # --- reading ------------------------------------------------------------------------------
    def get(self, job_id: str) -> IngestJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def count_by_status(self) -> dict[str, int]:
        with self._lock:
            counts = dict.fromkeys(("queued", "running", "succeeded", "failed", "interrupted"), 0)
            for job in self._jobs.values():
                counts[job.status] += 1
            return counts

    # --- running --------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="iqtibas-ingest", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        # questions first: this thread only writes (see index/thread_priority.py)
        lower_current_thread_priority(self._writer.niceness)
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            except Exception as error:  # the worker must outlive any one job
                logger.exception("ingest job failed", extra={"job_id": job.id})
                job.finish("failed", f"{type(error).__name__}: {error}")

    def _run(self, job: IngestJob) -> None:
        articles = job.take_articles()
        if self._stopping.is_set():
            job.finish("interrupted", "the server shut down before the job started")
            return
        with self._writer.exclusive():
            job.start(self._writer.passage_count(articles))
            logger.info("ingest job started", extra={"job_id": job.id, "articles": len(articles)})
            # each commit group is reported stored once durable; the model encodes the next
            # group meanwhile
            stored = self._writer.store(
                articles, job.advance, job.stored, lambda: not self._stopping.is_set()
            )
            if len(stored) < len({article.id for article in articles}):
                job.finish("interrupted", "the server shut down; stored articles are kept")
                return
        job.finish("succeeded")
        logger.info("ingest job finished", extra={"job_id": job.id})

    def close(self, timeout: float = 30.0) -> None:
        """Stop after the commit group in progress; queued jobs are marked interrupted."""
        self._stopping.set()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout)
        with self._lock:
            for job in self._jobs.values():
                if job.status == "queued":
                    job.finish("interrupted", "the server shut down before the job started")
