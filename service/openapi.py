"""The OpenAPI document, made to match the running configuration: limits that come from
settings, and which operations need a bearer key. Also the /docs page and its policy."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from service.auth import Access, Authorizer
from service.schemas import ErrorResponse
from service.settings import Settings

ACCESS_KEY = "x-iqtibas-access"
SECURITY_SCHEME = "bearerKey"

_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("Malformed JSON body.", "malformed_json", "the request body is not valid JSON"),
    401: (
        "Missing or wrong bearer key (writes always; reads when IQTIBAS_READ_API_KEY is set).",
        "unauthorized",
        "this request changes the index: send 'Authorization: Bearer <key>'",
    ),
    403: (
        "Writes refused: no write key is configured (IQTIBAS_API_KEY) and open writes are off.",
        "writes_disabled",
        "writes are disabled because no write key is configured: set IQTIBAS_API_KEY ...",
    ),
    404: ("No such article, job or route.", "not_found", "no article with id 'ar-rain'"),
    409: (
        "Conflict: the same id twice in one batch (duplicate_ids), an ingest job queued or "
        "running that this change would overtake (ingest_in_progress), or too many jobs "
        "(job_queue_full).",
        "duplicate_ids",
        "the batch names the same article id more than once; send each id once",
    ),
    413: (
        "Body larger than IQTIBAS_MAX_BODY_BYTES.",
        "body_too_large",
        "the request body is larger than 52428800 bytes (IQTIBAS_MAX_BODY_BYTES)",
    ),
    415: (
        "The body is not sent as JSON.",
        "unsupported_media_type",
        "send the body as JSON with 'Content-Type: application/json'",
    ),
    422: (
        "Invalid input: a field breaks the schema or a configured limit, or an article "
        "cannot be stored; details name each problem.",
        "validation_error",
        "body.question: String should match pattern '\\S'",
    ),
    429: (
        "Too many requests from this address (IQTIBAS_RATE_LIMIT_PER_MINUTE).",
        "rate_limited",
        "too many requests from this address; retry in 2 s",
    ),
    503: (
        "The model and index are still loading, or failed to load.",
        "not_ready",
        "the model and index are still loading; retry shortly",
    ),
}
_ERROR_HEADERS = {
    401: {"WWW-Authenticate": "The Bearer challenge."},
    429: {"Retry-After": "Seconds until a request will be accepted."},
    503: {"Retry-After": "Seconds to wait before retrying."},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries in the shared error shape, each with an example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code, message = _ERRORS[status]
        entry: dict[str, Any] = {
            "model": ErrorResponse,
            "description": description,
            "content": {
                "application/json": {"example": {"error": {"code": code, "message": message}}}
            },
        }
        if status in _ERROR_HEADERS:
            entry["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in _ERROR_HEADERS[status].items()
            }
        responses[status] = entry
    return responses


def access(kind: Access) -> dict[str, Any]:
    """Marks an operation; ``build_openapi`` turns the mark into the security it needs now."""
    return {ACCESS_KEY: kind.value}


def build_openapi(app: FastAPI, settings: Settings, authorizer: Authorizer) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    _apply_limits(schema["components"]["schemas"], settings)
    _apply_security(schema, authorizer)
    _document_request_id(schema)
    app.openapi_schema = schema
    return schema


def _apply_limits(components: dict[str, Any], settings: Settings) -> None:
    components["AskRequest"]["properties"]["question"]["maxLength"] = (
        settings.max_question_characters
    )
    components["DocumentIn"]["properties"]["text"]["maxLength"] = settings.max_article_characters
    components["IngestRequest"]["properties"]["documents"]["maxItems"] = settings.max_batch_articles


def _operations(schema: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in schema.get("paths", {}).values():
        yield from path_item.values()


def _apply_security(schema: dict[str, Any], authorizer: Authorizer) -> None:
    needs_key = {
        Access.READ.value: authorizer.reads_need_key,
        Access.WRITE.value: authorizer.writes_need_key,
    }
    used = False
    for operation in _operations(schema):
        kind = operation.pop(ACCESS_KEY, None)
        if kind is not None and needs_key[kind]:
            operation["security"] = [{SECURITY_SCHEME: []}]
            used = True
    if used:
        schema["components"]["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "IQTIBAS_API_KEY for writes; IQTIBAS_READ_API_KEY (or the write "
                "key) for reads when a read key is set.",
            }
        }


def _document_request_id(schema: dict[str, Any]) -> None:
    header = {
        "description": "The request's X-Request-ID if it was safe to log, else a new id; "
        "it is in every log line about the request.",
        "schema": {"type": "string"},
    }
    for operation in _operations(schema):
        for response in operation.get("responses", {}).values():
            response.setdefault("headers", {})["X-Request-ID"] = header


# --- the /docs page ---------------------------------------------------------------------------
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_CDN = "https://cdn.jsdelivr.net"


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI under a policy that allows its CDN and its one inline script, by hash."""
    page = get_swagger_ui_html(openapi_url=openapi_url, title=title)
    body = bytes(page.body).decode("utf-8")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(body)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {_CDN} {hashes}; style-src 'self' {_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})
