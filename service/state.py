"""What the app holds: settings, metrics, the key checker, and the services once the model
and index are loaded. Loading runs in a thread so that /health answers from the start and
/ready tells when questions can be asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from index.answerer import Answerer
from service.auth import Authorizer
from service.errors import NotReadyError
from service.job_journal import JobJournal
from service.jobs import JobQueue
from service.metrics import Gauge, Metrics
from service.schemas import Readiness
from service.services import AskService, DocumentService, IngestService
from service.settings import Settings
from service.writer import CorpusWriter

logger = logging.getLogger(__name__)

AnswererLoader = Callable[[], Answerer]
FailureCallback = Callable[[BaseException], None]


class Services:
    def __init__(self, answerer: Answerer, settings: Settings) -> None:
        self.answerer = answerer
        self.corpus = answerer.corpus
        self.jobs = JobQueue(
            CorpusWriter(self.corpus),
            JobJournal(self.corpus.directory),
            settings.max_queued_jobs,
            settings.jobs_kept,
        )
        self.ask = AskService(answerer, settings.max_question_characters)
        self.documents = DocumentService(self.corpus, self.jobs, settings.sync_write_wait_seconds)
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
        self._services = Services(answerer, settings) if answerer is not None else None
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
            answerer = self._loader()
        except BaseException as error:
            logger.exception("loading the model or index failed")
            self.load_error = error
            if self.on_load_failure is not None:
                self.on_load_failure(error)
            return
        with self._lock:
            if self._closed:
                answerer.corpus.close()
                return
            self._services = Services(answerer, self.settings)
        counts = answerer.corpus.counts()
        logger.info("ready", extra={"articles": counts.articles, "chunks": counts.chunks})

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
        services.jobs.close()
        if self._owns_corpus:
            services.corpus.close()
