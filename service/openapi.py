"""The OpenAPI document, made to match the running configuration: limits that come from
settings, and which operations need a bearer key. Also the /docs page and its policy."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from service.auth import Access, Authorizer
from service.error_catalogue import codes_with_status
from service.schemas import ErrorResponse
from service.settings import Settings

ACCESS_KEY = "x-iqtibas-access"
SECURITY_SCHEME = "bearerKey"

_ERROR_HEADERS = {
    401: {"WWW-Authenticate": "The Bearer challenge."},
    429: {"Retry-After": "Seconds until a request will be accepted."},
    503: {"Retry-After": "Seconds to wait before retrying."},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries in the shared error shape: per status, the catalogue's
    codes with their meanings, and an example of each."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        codes = codes_with_status(status)
        entry: dict[str, Any] = {
            "model": ErrorResponse,
            "description": " ".join(f"`{code.code}`: {code.meaning}" for code in codes),
            "content": {
                "application/json": {
                    "examples": {
                        code.code: {
                            "summary": code.code,
                            "value": {"error": {"code": code.code, "message": code.example}},
                        }
                        for code in codes
                    }
                }
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
# Swagger UI's files come from the swagger-ui-bundle-v2 package (served under DOCS_ASSETS) and
# its start-up script from /static, so the page works offline and runs under the same strict
# Content-Security-Policy as the chat page: no CDN, no inline script.
DOCS_ASSETS = "/docs/assets"

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI from local files; the app's default security headers apply."""
    return HTMLResponse(
        _DOCS_PAGE.format(
            title=html.escape(title),
            assets=DOCS_ASSETS,
            openapi_url=html.escape(openapi_url, quote=True),
        )
    )
