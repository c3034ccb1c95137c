"""One error shape for every failure: ``{"error": {"code", "message", "details"?}}``.

Errors are HTTPException subclasses so that FastAPI re-raises them unchanged when they come
out of reading the request body (the body-size limit raises from there).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from service.error_catalogue import FRAMEWORK_CODES, status_of

logger = logging.getLogger(__name__)

# the middleware that counts errors reads the code back from the request scope
ERROR_CODE_SCOPE_KEY = "iqtibas.error_code"


class ApiError(StarletteHTTPException):
    """An error answered as JSON; its status comes from the code's catalogue entry."""

    def __init__(
        self,
        code: str,
        message: str,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_of(code), message, dict(headers) if headers else None)
        self.code = code
        self.message = message
        self.details = [dict(item) for item in details] if details is not None else None


class NotFoundError(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)


class InvalidInputError(ApiError):
    """Input that passed the schema but breaks a configured limit or an article rule."""

    def __init__(self, message: str, details: Sequence[Mapping[str, Any]]) -> None:
        super().__init__("validation_error", message, details)


class NotReadyError(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__("not_ready", message, headers={"Retry-After": "5"})


class ReadOnlyReplicaError(ApiError):
    """A write, or a write job's progress, asked of a read-only replica (IQTIBAS_READ_ONLY)."""

    def __init__(self, writer_url: str | None, jobs: bool = False) -> None:
        writer = writer_url or "the server that owns the index (its writer)"
        message = (
            f"this server is a read-only replica of the index and holds no write jobs; ask {writer}"
            if jobs
            else f"this server is a read-only replica of the index; send writes to {writer}"
        )
        super().__init__("read_only_replica", message)


def detail(loc: Sequence[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def error_response(
    code: str,
    message: str,
    details: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    scope: Scope | None = None,
    status_code: int | None = None,
) -> JSONResponse:
    """The JSON error; its status is the code's unless ``status_code`` (a framework error
    with a status the catalogue has no code for) says otherwise."""
    status_code = status_code or status_of(code)
    if scope is not None:
        scope[ERROR_CODE_SCOPE_KEY] = code
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = list(details)
    return JSONResponse({"error": body}, status_code=status_code, headers=headers)


def _clean_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    # input and ctx are left out: they can echo huge or secret input, and ctx may hold
    # exception objects that JSON cannot carry
    return [
        detail(
            [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            str(error.get("msg", "invalid value")),
            str(error.get("type", "value_error")),
        )
        for error in errors
    ]


_BAD_ID = (
    "an article id needs a visible character (not only spaces or zero-width characters) and "
    "may not hold control characters (U+0000-U+001F, U+007F-U+009F) or bidirectional "
    "formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)"
)
# pattern and length messages name a regex; for these fields say what it means
_PLAIN = {
    ("body", "question"): "the question is empty or only spaces or zero-width characters",
    ("body", "documents", "text"): "the article text is empty or only spaces or zero-width "
    "characters",
    ("body", "documents", "id"): _BAD_ID,
    ("body", "filters", "doc_ids"): _BAD_ID,
}


def _summary(details: Sequence[Mapping[str, Any]]) -> str:
    first = details[0]
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    field = tuple(part for part in first["loc"] if not isinstance(part, int))
    if first["type"] in ("string_pattern_mismatch", "string_too_short") and field in _PLAIN:
        return _PLAIN[field] + more
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.code, error.message, error.details, error.headers, request.scope)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # a status the catalogue has no code for (none the app raises) keeps its status
    code = FRAMEWORK_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
    headers = dict(error.headers or {})
    if error.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}; see /docs for the API"
    if error.status_code == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        message = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
    return error_response(
        code, message, headers=headers, scope=request.scope, status_code=error.status_code
    )


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette names only the first route's),
    found by asking each route whether it would take the request with that method; HEAD
    wherever GET is (service.middleware.head answers it)."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return [m for method in allowed for m in (("GET", "HEAD") if method == "GET" else (method,))]


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = _clean_validation_errors(error.errors())
    if any(item["type"] == "json_invalid" for item in details):
        return error_response(
            "malformed_json",
            "the request body is not valid JSON",
            details,
            scope=request.scope,
        )
    return error_response("validation_error", _summary(details), details, scope=request.scope)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # reached only if the request-context middleware is absent; it normally answers first
    logger.exception("unhandled error", exc_info=error)
    return internal_error_response(request.scope)


def internal_error_response(scope: Scope | None = None) -> JSONResponse:
    return error_response(
        "internal_error",
        "the server failed to handle this request; it has been logged with its request id",
        scope=scope,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
