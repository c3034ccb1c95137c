"""Per request: an id, security headers, an access log line, metrics, and the last-resort
500 answer for anything a route failed to handle."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ERROR_CODE_SCOPE_KEY, internal_error_response
from service.logging_setup import request_id_var
from service.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
# a client-chosen id goes into logs: accept only what cannot forge or break a log line
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": STRICT_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

access_logger = logging.getLogger("iqtibas.access")
error_logger = logging.getLogger("iqtibas.errors")


UNMATCHED_ROUTE = "unmatched"


def route_label(scope: Scope, outer_root_path: str = "") -> str:
    """The route template, never the raw path, so that the label has as many values as the
    app has routes: ``/documents/{doc_id}``; a mounted app (``/static``) is its mount point
    plus ``/{path}``; any path no route matched is ``unmatched``."""
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    # a Mount sets no "route" but extends root_path by its own (fixed) prefix
    root_path = scope.get("root_path", "")
    if isinstance(root_path, str) and root_path.startswith(outer_root_path):
        mount = root_path[len(outer_root_path) :]
        if mount:
            return f"{mount}/{{path}}"
    return UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        outer_root_path = scope.get("root_path", "")
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            error_logger.exception(
                "unhandled error",
                extra={"request_id": request_id, "method": scope["method"], "path": scope["path"]},
            )
            if not response_started:
                await internal_error_response(scope)(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            route = route_label(scope, outer_root_path)
            # the metrics bound the method and status labels themselves
            self.metrics.observe_request(
                scope["method"], route, status, seconds, scope.get(ERROR_CODE_SCOPE_KEY)
            )
            client = scope.get("client")
            access_logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)
