"""The application factory. Nothing heavy happens at import or in create_app: the model and
index load in a thread at startup, unless a ready Answerer is handed in (tests, benchmarks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib import metadata

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from index.answerer import Answerer
from service.errors import install_error_handlers
from service.middleware.body_limit import BodySizeLimitMiddleware
from service.middleware.context import REQUEST_ID_HEADER, RequestContextMiddleware
from service.middleware.rate_limit import RateLimitMiddleware, TokenBuckets
from service.openapi import build_openapi
from service.routes import ROUTERS
from service.routes.pages import STATIC_DIR
from service.settings import Settings, get_settings
from service.state import AnswererLoader, AppState

DESCRIPTION = """\
Ask questions in English or Arabic about a corpus of Arabic news; every answer is a verbatim
quote with its article id and character offsets.

Errors are always `{"error": {"code", "message", "details"?}}`. Every response carries an
`X-Request-ID` (yours if you send a safe one), which the JSON logs record too.
"""


def _version() -> str:
    try:
        return metadata.version("iqtibas")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _default_loader(settings: Settings) -> AnswererLoader:
    from service.bootstrap import open_answerer

    return partial(open_answerer, settings, show_progress=False)


def create_app(
    settings: Settings | None = None,
    answerer: Answerer | None = None,
    loader: AnswererLoader | None = None,
) -> FastAPI:
    """``answerer``: serve this one (the caller closes it). Otherwise ``loader`` (default:
    open the configured model and index, seeding a new one) runs at startup."""
    settings = settings or get_settings()
    if answerer is None and loader is None:
        loader = _default_loader(settings)
    state = AppState(settings, answerer, loader)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.start_loading()
        yield
        await anyio.to_thread.run_sync(state.close)

    app = FastAPI(
        title="Iqtibas",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by routes.pages under its own Content-Security-Policy
        redoc_url=None,
        openapi_tags=[
            {"name": "ask", "description": "Questions answered by quoting the articles."},
            {"name": "documents", "description": "The articles: add, replace, list, delete."},
            {"name": "operations", "description": "Liveness, readiness and metrics."},
        ],
    )
    app.state.iqtibas = state
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = partial(build_openapi, app, settings, state.authorizer)  # type: ignore[method-assign]

    # added innermost first: the request context wraps everything, CORS answers preflights
    # before rate limiting could refuse them
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimitMiddleware, buckets=TokenBuckets(settings.rate_limit_per_minute)
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Location", "Retry-After"],
        )
    app.add_middleware(RequestContextMiddleware, metrics=state.metrics)
    return app


def app_state(app: FastAPI) -> AppState:
    state = app.state.iqtibas
    assert isinstance(state, AppState)
    return state
