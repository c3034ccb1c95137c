"""The application factory. Nothing heavy happens at import or in create_app: the model and
index load in a thread at startup, unless a ready Answerer is handed in (tests, benchmarks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib import metadata

import anyio
from fastapi import FastAPI

from index.answerer import Answerer
from service.errors import install_error_handlers
from service.middleware.context import REQUEST_ID_HEADER, RequestContextMiddleware
from service.middleware.cors import JsonCorsMiddleware
from service.middleware.forwarded import ForwardedClientMiddleware, TrustedProxies
from service.middleware.head import HeadAsGetMiddleware
from service.middleware.rate_limit import RateLimitMiddleware, TokenBuckets
from service.middleware.request_guard import BodyLimits, RequestGuardMiddleware
from service.openapi import DOCS_ASSETS, build_openapi
from service.routes import ROUTERS
from service.routes.pages import STATIC_DIR, SWAGGER_UI_DIR, StaticAssets
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
        app.mount("/static", StaticAssets(directory=STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS, StaticAssets(directory=SWAGGER_UI_DIR), name="docs-assets")
    app.openapi = partial(build_openapi, app, settings, state.authorizer)  # type: ignore[method-assign]

    # added innermost first: the forwarded client address is resolved before anything reads
    # it, the request context wraps everything else, CORS answers preflights before rate
    # limiting could refuse them, HEAD becomes GET before the guard looks the route up, and
    # the guard refuses a missing key or an oversized body before any route reads the body
    app.add_middleware(
        RequestGuardMiddleware,
        routes=app.router.routes,
        authorizer=state.authorizer,
        limits=BodyLimits(writes=settings.max_body_bytes, others=settings.max_ask_body_bytes),
    )
    app.add_middleware(HeadAsGetMiddleware, routes=app.router.routes)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimitMiddleware, buckets=TokenBuckets(settings.rate_limit_per_minute)
        )
    if settings.cors_origins:
        app.add_middleware(
            JsonCorsMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Location", "Retry-After"],
        )
    app.add_middleware(RequestContextMiddleware, metrics=state.metrics)
    if settings.trusted_proxies:
        app.add_middleware(
            ForwardedClientMiddleware, proxies=TrustedProxies(settings.trusted_proxies)
        )
    return app


def app_state(app: FastAPI) -> AppState:
    state = app.state.iqtibas
    assert isinstance(state, AppState)
    return state
