"""HEAD on every path that answers GET: the GET response's status and headers, no body.
FastAPI routes accept only the methods they name, so without this HEAD on a page, a probe or
the API would be 405; a HEAD that no GET route takes is left for the router to refuse."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def takes_get(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    as_get = {**scope, "method": "GET"}
    return any(route.matches(as_get)[0] is Match.FULL for route in routes)


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the router's own list, read per request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or not takes_get(self.routes, scope)
        ):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                # back to HEAD before the server sees the response: it then expects no body
                scope["method"] = "HEAD"
            elif message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # in place, so the route and error code the app records in the scope reach the
        # outer middleware (logs, metrics)
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, headers_only)
        finally:
            scope["method"] = "HEAD"
