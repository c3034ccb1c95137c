"""The service objects the routers call: they take and return API models and speak to the
index through the Answerer, the Corpus and the single writer."""

from __future__ import annotations

from collections.abc import Sequence

from index.answerer import Answer, Answerer, EmptyQuestionError
from index.article import Article, InvalidArticleError
from index.corpus import Corpus
from index.filters import ArticleFilter
from service.errors import (
    ApiError,
    InvalidInputError,
    NotFoundError,
    ReadOnlyReplicaError,
    detail,
)
from service.jobs import JobQueue
from service.schemas import (
    ArticleStatus,
    AskFilters,
    AskLimits,
    AskRequest,
    AskResponse,
    Deleted,
    Document,
    DocumentIn,
    DocumentPage,
    DocumentSummary,
    IngestRequest,
    IngestResult,
    Job,
    Quote,
    Span,
)
from service.settings import Settings


class AskService:
    def __init__(self, answerer: Answerer, max_question_characters: int) -> None:
        self._answerer = answerer
        self._max_characters = max_question_characters

    def ask(self, request: AskRequest) -> AskResponse:
        if len(request.question) > self._max_characters:
            raise InvalidInputError(
                f"the question is longer than {self._max_characters} characters",
                [
                    detail(
                        ["body", "question"],
                        f"String should have at most {self._max_characters} characters",
                        "string_too_long",
                    )
                ],
            )
        try:
            answer = self._answerer.ask(
                request.question, request.top_k, _article_filter(request.filters)
            )
        except EmptyQuestionError:
            raise InvalidInputError(
                "the question is empty",
                [detail(["body", "question"], "the question is empty", "empty_question")],
            ) from None
        return _ask_response(answer)


def _article_filter(filters: AskFilters | None) -> ArticleFilter | None:
    if filters is None:
        return None
    return ArticleFilter(
        doc_ids=frozenset(filters.doc_ids) if filters.doc_ids is not None else None,
        source=filters.source,
        lang=filters.lang,
        published_from=filters.published_from.isoformat() if filters.published_from else None,
        published_to=filters.published_to.isoformat() if filters.published_to else None,
    )


def _ask_response(answer: Answer) -> AskResponse:
    return AskResponse(
        question=answer.question,
        answerable=answer.answerable,
        quotes=[
            Quote(
                text=quote.text,
                doc_id=quote.doc_id,
                title=quote.title,
                start=quote.start,
                end=quote.end,
                score=float(quote.score),
                context=Span(
                    text=quote.context.text, start=quote.context.start, end=quote.context.end
                ),
            )
            for quote in answer.quotes
        ],
        took_ms=round(answer.took_ms, 3),
        limits=AskLimits(
            ignored_text=answer.limits.ignored_text,
            untranslated_words=list(answer.limits.untranslated_words),
        )
        if answer.limits.applied
        else None,
    )


def _queue(jobs: JobQueue | None, writer_url: str | None, for_jobs: bool = False) -> JobQueue:
    """The write queue; a read-only replica has none (the routes refuse writes before this)."""
    if jobs is None:
        raise ReadOnlyReplicaError(writer_url, jobs=for_jobs)
    return jobs


class DocumentService:
    def __init__(
        self,
        corpus: Corpus,
        jobs: JobQueue | None,
        wait_seconds: float,
        writer_url: str | None = None,
    ) -> None:
        """``jobs``: None on a read-only replica."""
        self._corpus = corpus
        self._jobs = jobs
        self._wait_seconds = wait_seconds
        self._writer_url = writer_url

    def list(self, offset: int, limit: int) -> DocumentPage:
        # one view, so the page and the total describe the same state of the index
        with self._corpus.read() as view:
            articles = view.reader.list_articles(offset, limit)
            total = view.reader.counts().articles
        return DocumentPage(
            items=[_summary(article) for article in articles],
            total=total,
            offset=offset,
            limit=limit,
        )

    def get(self, doc_id: str) -> Document:
        article = self._corpus.get(doc_id)
        if article is None:
            raise NotFoundError(f"no article with id {doc_id!r}")
        return Document(
            **_summary(article).model_dump(), summary=article.summary, text=article.text
        )

    def delete(self, doc_id: str) -> Deleted | Job:
        """Deleted once applied; the job (202) if changes queued before it take longer than
        the wait. Never applied ahead of a change accepted before it."""
        job = _queue(self._jobs, self._writer_url).submit_delete(doc_id)
        if not job.wait(self._wait_seconds):
            return job.snapshot()
        snapshot = job.snapshot()
        _raise_if_failed(snapshot)
        if snapshot.articles[0].status == "not_found":
            raise NotFoundError(f"no article with id {doc_id!r}")
        return Deleted(id=doc_id, status="deleted")


def _summary(article: Article) -> DocumentSummary:
    return DocumentSummary(
        id=article.id,
        title=article.title,
        lang=article.lang,
        url=article.url,
        published=article.published,
        source=article.source,
        characters=len(article.text),
    )


class IngestService:
    def __init__(self, jobs: JobQueue | None, settings: Settings) -> None:
        """``jobs``: None on a read-only replica."""
        self._jobs = jobs
        self._writer_url = settings.writer_url
        self._max_batch = settings.max_batch_articles
        self._max_characters = settings.max_article_characters
        self._sync_batch = settings.sync_batch_articles
        self._wait_seconds = settings.sync_write_wait_seconds

    def ingest(self, request: IngestRequest) -> IngestResult | Job:
        """Journalled and queued behind earlier changes; a small batch is waited for
        (IngestResult once stored), a larger one or a long wait answers with the job."""
        queue = _queue(self._jobs, self._writer_url)
        articles = self.validate(request.documents)
        job = queue.submit(articles)
        if len(articles) > self._sync_batch or not job.wait(self._wait_seconds):
            return job.snapshot()
        snapshot = job.snapshot()
        _raise_if_failed(snapshot)
        return IngestResult(
            status="stored",
            articles=[
                ArticleStatus(
                    id=item.id, status="replaced" if item.status == "replaced" else "created"
                )
                for item in snapshot.articles
            ],
        )

    def validate(self, documents: Sequence[DocumentIn]) -> list[Article]:
        """Every article checked before any is stored: a bad batch changes nothing."""
        if len(documents) > self._max_batch:
            raise InvalidInputError(
                f"the batch holds {len(documents)} articles; at most {self._max_batch} are "
                "accepted per request (IQTIBAS_MAX_BATCH_ARTICLES)",
                [
                    detail(
                        ["body", "documents"],
                        f"List should have at most {self._max_batch} items",
                        "too_long",
                    )
                ],
            )
        problems = []
        articles = []
        for position, document in enumerate(documents):
            where: list[str | int] = ["body", "documents", position]
            if len(document.text) > self._max_characters:
                problems.append(
                    detail(
                        [*where, "text"],
                        f"article {document.id!r}: the text is longer than "
                        f"{self._max_characters} characters (IQTIBAS_MAX_ARTICLE_CHARACTERS)",
                        "string_too_long",
                    )
                )
                continue
            try:
                articles.append(
                    Article.create(
                        id=document.id,
                        text=document.text,
                        title=document.title,
                        lang=document.lang,
                        url=document.url,
                        published=document.published,
                        source=document.source,
                    )
                )
            except InvalidArticleError as error:
                problems.append(
                    detail(where, f"article {document.id!r}: {error}", "invalid_article")
                )
        if problems:
            raise InvalidInputError(f"{problems[0]['msg']}" + _more(problems), problems)
        self._refuse_duplicates(documents)
        return articles

    @staticmethod
    def _refuse_duplicates(documents: Sequence[DocumentIn]) -> None:
        first_seen: dict[str, int] = {}
        clashes = []
        for position, document in enumerate(documents):
            if document.id in first_seen:
                clashes.append(
                    detail(
                        ["body", "documents", position, "id"],
                        f"id {document.id!r} is also article {first_seen[document.id]} of "
                        "this batch",
                        "duplicate_id",
                    )
                )
            first_seen.setdefault(document.id, position)
        if clashes:
            raise ApiError(
                "duplicate_ids",
                "the batch names the same article id more than once, so which text to keep "
                "is ambiguous; send each id once",
                clashes,
            )

    def job(self, job_id: str) -> Job:
        job = _queue(self._jobs, self._writer_url, for_jobs=True).get(job_id)
        if job is None:
            raise NotFoundError(
                f"no job {job_id!r}; finished jobs are forgotten once many newer ones have "
                "finished (IQTIBAS_JOBS_KEPT)"
            )
        return job.snapshot()


def _raise_if_failed(job: Job) -> None:
    if job.status == "failed":
        raise ApiError(
            "write_failed",
            f"the change could not be stored ({job.error}); nothing after the last durable "
            f"commit group was kept; see GET /jobs/{job.job_id}",
        )


def _more(problems: Sequence[object]) -> str:
    return f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
