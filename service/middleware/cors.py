"""Starlette's CORS middleware, with refused preflights answered in the API's JSON error shape
(Starlette answers them in plain text) so that every error a client sees parses the same."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from service.errors import error_response

_REFUSED_PREFIX = "Disallowed CORS "
_WHAT = {
    "origin": "the origin is not allowed (IQTIBAS_CORS_ORIGINS)",
    "method": "the method is not allowed",
    "headers": "a requested header is not allowed",
    "private-network": "private network access is not allowed",
}


class JsonCorsMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        text = bytes(response.body).decode("utf-8", "replace")
        failures = text.removeprefix(_REFUSED_PREFIX).split(", ")
        reasons = "; ".join(_WHAT.get(failure, failure) for failure in failures)
        # keep the CORS headers Starlette chose; the body's own headers come from the new body
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        return error_response("cors_refused", f"CORS preflight refused: {reasons}", headers=headers)
