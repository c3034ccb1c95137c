"""What the app holds: settings, metrics, the key checker, and the services once the model
and index are loaded. Loading runs in a thread so that /health answers from the start and
/ready tells when questions can be asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from index.answerer import Answerer
from index.errors import IqtibasError
from service.auth import Authorizer
from service.errors import NotReadyError
from service.job_journal import JobJournal
from service.jobs import JobQueue
from service.metrics import Gauge, Metrics
from service.schemas import Readiness
from service.services import AskService, DocumentService, IngestService
from service.settings import Settings
from service.writer import CorpusWriter
from service.writer_lock import WriterLock, acquire_writer_lock

logger = logging.getLogger(__name__)

AnswererLoader = Callable[[], Answerer]
FailureCallback = Callable[[BaseException], None]


class Services:
    def __init__(self, answerer: Answerer, settings: Settings) -> None:
        """The write queue starts here, resuming the journal's unfinished changes; the caller
        holds the directory's writer lock (writer_lock.py). A read-only replica has no queue
        and never opens the journal: its changes are the writer's to run, once."""
        self.answerer = answerer
        self.corpus = answerer.corpus
        self.jobs = (
            None
            if settings.read_only
            else JobQueue(
                CorpusWriter(self.corpus),
                JobJournal(self.corpus.directory),
                settings.max_queued_jobs,
                settings.jobs_kept,
            )
        )
        self.ask = AskService(answerer, settings.max_question_characters)
        self.documents = DocumentService(
            self.corpus, self.jobs, settings.sync_write_wait_seconds, settings.writer_url
        )
        self.ingest = IngestService(self.jobs, settings)


class AppState:
    def __init__(
        self,
        settings: Settings,
        answerer: Answerer | None = None,
        loader: AnswererLoader | None = None,
    ) -> None:
        if answerer is None and loader is None:
            raise ValueError("give an answerer or a loader")
        self.settings = settings
        self.metrics = Metrics()
        self.authorizer = Authorizer(settings)
        self.on_load_failure: FailureCallback | None = None
        self.load_error: BaseException | None = None
        self._loader = loader
        # an injected answerer belongs to the caller, who closes it
        self._owns_corpus = answerer is None
        self._lock = threading.Lock()
        self._writer_lock: WriterLock | None = None
        self._services: Services | None = None
        if answerer is not None:
            self._take_writer_lock(answerer.corpus.directory)
            self._services = Services(answerer, settings)
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def status(self) -> str:
        if self._services is not None:
            return "ready"
        return "failed" if self.load_error is not None else "loading"

    def start_loading(self) -> None:
        with self._lock:
            if self._services is not None or self._thread is not None or self._loader is None:
                return
            self._thread = threading.Thread(target=self._load, name="iqtibas-load", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        assert self._loader is not None
        logger.info("loading the model and index")
        try:
            # before the model loads, so that a second writer over the directory fails at once
            self._take_writer_lock(self.settings.data_dir)
            answerer = self._loader()
        except BaseException as error:
            if isinstance(error, IqtibasError):
                # expected (another writer, another model...): the message says what to do
                logger.error("cannot load the model or index: %s", error)
            else:
                logger.exception("loading the model or index failed")
            self._release_writer_lock()
            self.load_error = error
            if self.on_load_failure is not None:
                self.on_load_failure(error)
            return
        with self._lock:
            if self._closed:
                answerer.corpus.close()
                self._release_writer_lock()
                return
            self._services = Services(answerer, self.settings)
        counts = answerer.corpus.counts()
        logger.info("ready", extra={"articles": counts.articles, "chunks": counts.chunks})

    def _take_writer_lock(self, directory: Path) -> None:
        """The directory's write queue is this process's (a replica takes no lock)."""
        if not self.settings.read_only:
            self._writer_lock = acquire_writer_lock(directory)

    def _release_writer_lock(self) -> None:
        if self._writer_lock is not None:
            self._writer_lock.release()
            self._writer_lock = None

    def wait_loaded(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def services(self) -> Services:
        services = self._services
        if services is None:
            if self.load_error is not None:
                raise NotReadyError(f"the model or index failed to load: {self.load_error}")
            raise NotReadyError("the model and index are still loading; retry shortly")
        return services

    def readiness(self) -> Readiness:
        services = self.services()
        counts = services.corpus.counts()
        return Readiness(
            status="ready",
            model=services.corpus.manifest.model,
            articles=counts.articles,
            chunks=counts.chunks,
            sentences=counts.sentences,
        )

    def gauges(self) -> Iterator[Gauge]:
        services = self._services
        yield Gauge(
            "iqtibas_ready", "1 once the model and index are loaded.", float(bool(services))
        )
        if services is None:
            return
        counts = services.corpus.counts()
        for name, value in (
            ("articles", counts.articles),
            ("chunks", counts.chunks),
            ("sentences", counts.sentences),
        ):
            yield Gauge(f"iqtibas_{name}_indexed", f"{name.capitalize()} in the index.", value)
        if services.jobs is None:
            return  # a read-only replica: the writer reports the jobs
        for status, count in services.jobs.count_by_status().items():
            yield Gauge(
                "iqtibas_ingest_jobs", "Ingest jobs held, by status.", count, (("status", status),)
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            services = self._services
        if services is None:
            return
        # the lock stays while a commit group that outlived the wait may still write
        queue_stopped = services.jobs is None or services.jobs.close()
        if self._owns_corpus:
            services.corpus.close()
        if queue_stopped:
            self._release_writer_lock()
