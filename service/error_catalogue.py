"""Every error code the API answers with: its HTTP status, what it means, and an example
message. ApiError takes its status from here, and the OpenAPI document lists, for each status
an operation can answer, the codes that status carries: one table, so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    meaning: str
    example: str


_CODES = (
    ErrorCode(
        "malformed_json", 400, "The body is not valid JSON.", "the request body is not valid JSON"
    ),
    ErrorCode(
        "bad_request",
        400,
        "The request itself is malformed (a header, the HTTP framing).",
        "the Content-Length header is not a number",
    ),
    ErrorCode(
        "cors_refused",
        400,
        "A cross-origin preflight from an origin or with a method or header not allowed "
        "(IQTIBAS_CORS_ORIGINS).",
        "origin 'https://elsewhere.example' may not call this API",
    ),
    ErrorCode(
        "unauthorized",
        401,
        "Missing or wrong bearer key (writes always; reads when IQTIBAS_READ_API_KEY is set).",
        "this request changes the index: send 'Authorization: Bearer <key>'",
    ),
    ErrorCode(
        "writes_disabled",
        403,
        "Writes refused: no write key is configured (IQTIBAS_API_KEY) and open writes are off.",
        "writes are disabled because no write key is configured: set IQTIBAS_API_KEY",
    ),
    ErrorCode(
        "read_only_replica",
        403,
        "This server is a read-only replica (IQTIBAS_READ_ONLY): it answers questions but "
        "takes no writes and holds no write jobs; send those to the writer (IQTIBAS_WRITER_URL).",
        "this server is a read-only replica; send writes to http://writer.internal:8000",
    ),
    ErrorCode("forbidden", 403, "The request is not allowed here.", "this resource is not served"),
    ErrorCode("not_found", 404, "No such article, job or route.", "no article with id 'ar-rain'"),
    ErrorCode(
        "method_not_allowed",
        405,
        "The route exists but not with this method; Allow lists those it takes.",
        "PUT is not allowed here; use GET or HEAD or DELETE",
    ),
    ErrorCode(
        "duplicate_ids",
        409,
        "The same article id twice in one batch: which text to keep is ambiguous.",
        "the batch names the same article id more than once; send each id once",
    ),
    ErrorCode(
        "body_too_large",
        413,
        "The body is larger than its route allows (IQTIBAS_MAX_BODY_BYTES for document "
        "writes, IQTIBAS_MAX_ASK_BODY_BYTES for the rest); refused before it is parsed.",
        "the request body is larger than 52428800 bytes (IQTIBAS_MAX_BODY_BYTES)",
    ),
    ErrorCode(
        "unsupported_media_type",
        415,
        "The body is not sent as JSON.",
        "send the body as JSON with 'Content-Type: application/json'",
    ),
    ErrorCode(
        "validation_error",
        422,
        "Invalid input: a field breaks the schema or a configured limit, or an article cannot "
        "be stored; details name each problem.",
        "body.question: the question is empty or only spaces",
    ),
    ErrorCode(
        "rate_limited",
        429,
        "Too many requests from this address (IQTIBAS_RATE_LIMIT_PER_MINUTE).",
        "too many requests from this address; retry in 2 s",
    ),
    ErrorCode(
        "write_queue_full",
        429,
        "IQTIBAS_MAX_QUEUED_JOBS changes are already queued or running; retry after "
        "Retry-After seconds.",
        "64 changes are queued or running (IQTIBAS_MAX_QUEUED_JOBS); retry after the time "
        "given in Retry-After",
    ),
    ErrorCode(
        "internal_error",
        500,
        "A bug: logged with the request id.",
        "the server failed to handle this request; it has been logged with its request id",
    ),
    ErrorCode(
        "write_failed",
        500,
        "A queued change could not be stored (the disk, not the input); the job says what "
        "was stored before.",
        "the change could not be stored (OSError: disk full); see GET /jobs/{job_id}",
    ),
    ErrorCode(
        "not_ready",
        503,
        "The model and index are still loading, or failed to load.",
        "the model and index are still loading; retry shortly",
    ),
    ErrorCode(
        "shutting_down",
        503,
        "The server is stopping; changes already accepted resume at its next start.",
        "the server is shutting down; retry once it is back",
    ),
)
CATALOGUE: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}
# the code of an HTTP error raised by the framework itself, which carries only a status
FRAMEWORK_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "not_ready",
}


def status_of(code: str) -> int:
    """The HTTP status of a catalogued code; KeyError for one that is not."""
    return CATALOGUE[code].status


def codes_with_status(status: int) -> list[ErrorCode]:
    return [entry for entry in _CODES if entry.status == status]
