"""Refuse a request before the app reads its body: without the key its route needs (401/403),
or with a body larger than its route allows (413). Routes parse JSON only after this, so a
49 MiB body sent without a key costs a header check, not a parse, and a question costs at most
IQTIBAS_MAX_ASK_BODY_BYTES of reading.

Each route's access kind is the mark its OpenAPI entry carries (service.openapi.access); the
body limit follows from it: writes (document batches) may send IQTIBAS_MAX_BODY_BYTES, every
other request IQTIBAS_MAX_ASK_BODY_BYTES. The size is checked at once from Content-Length and
counted while the body streams (chunked uploads, or a Content-Length that lies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import Access, Authorizer
from service.errors import ApiError, error_response
from service.openapi import ACCESS_KEY


@dataclass(frozen=True)
class BodyLimits:
    writes: int  # IQTIBAS_MAX_BODY_BYTES
    others: int  # IQTIBAS_MAX_ASK_BODY_BYTES

    def setting_for(self, access: Access | None) -> str:
        return "IQTIBAS_MAX_BODY_BYTES" if access is Access.WRITE else "IQTIBAS_MAX_ASK_BODY_BYTES"


def body_too_large(limit: int, setting: str) -> ApiError:
    return ApiError(
        "body_too_large",
        f"the request body is larger than {limit} bytes ({setting}); send fewer or shorter "
        "articles per request, or a shorter question",
    )


def route_access(routes: Sequence[BaseRoute], scope: Scope) -> Access | None:
    """The access mark of the route that will take this request; None for open routes,
    static files, and requests no route takes (those bodies are never read)."""
    # every route of the included routers, in the order the router tries them
    for context in iter_route_contexts(routes):
        match, _ = context.route.matches(scope)
        if match is Match.FULL:
            extra: Any = getattr(context.original_route, "openapi_extra", None) or {}
            kind = extra.get(ACCESS_KEY)
            return Access(kind) if kind is not None else None
    return None


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[BaseRoute],
        authorizer: Authorizer,
        limits: BodyLimits,
    ) -> None:
        self.app = app
        # the router's own list: routes added after the middleware are seen too
        self.routes = routes
        self.authorizer = authorizer
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        access = route_access(self.routes, scope)
        limit = self.limits.writes if access is Access.WRITE else self.limits.others
        setting = self.limits.setting_for(access)
        try:
            if access is not None:
                self.authorizer.check(access, Headers(scope=scope).get("authorization"))
            _check_declared_length(Headers(scope=scope).get("content-length"), limit, setting)
        except ApiError as refusal:
            await _reply(refusal, scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # an HTTPException: FastAPI re-raises it from body reading as it is
                    raise body_too_large(limit, setting)
            return message

        response_started = False

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except ApiError as error:
            # routes that read the body outside FastAPI's handlers land here
            if error.status_code != 413 or response_started:
                raise
            await _reply(error, scope, receive, send)


def _check_declared_length(declared: str | None, limit: int, setting: str) -> None:
    if declared is None:
        return
    if not declared.isdigit():
        raise ApiError("bad_request", "the Content-Length header is not a number")
    if int(declared) > limit:
        raise body_too_large(limit, setting)


async def _reply(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(error.code, error.message, error.details, error.headers, scope=scope)
    await response(scope, receive, send)
