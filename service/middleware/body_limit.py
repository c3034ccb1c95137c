"""Refuse request bodies over max_body_bytes: at once when Content-Length says so, and by
counting what arrives when it does not (chunked uploads, or a Content-Length that lies)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ApiError, error_response


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"the request body is larger than {limit} bytes (IQTIBAS_MAX_BODY_BYTES); send "
        "fewer or shorter articles per request",
    )


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        refusal = None
        if declared is not None and not declared.isdigit():
            refusal = ApiError(400, "bad_request", "the Content-Length header is not a number")
        elif declared is not None and int(declared) > self.max_bytes:
            refusal = body_too_large(self.max_bytes)
        if refusal is not None:
            await _reply(refusal, scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # an HTTPException: FastAPI re-raises it from body reading as it is
                    raise body_too_large(self.max_bytes)
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


async def _reply(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(error.status_code, error.code, error.message, scope=scope)
    await response(scope, receive, send)
