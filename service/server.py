"""``iqtibas serve``: the app under uvicorn. A new index is seeded while /health already
answers; if the model or index cannot be loaded the server stops and the command fails."""

from __future__ import annotations

import logging

import uvicorn

from service.app import app_state, create_app
from service.bootstrap import limit_threads
from service.logging_setup import configure_logging
from service.settings import Settings

logger = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    configure_logging(settings.log_level)
    limit_threads(settings.torch_threads)
    app = create_app(settings)
    state = app_state(app)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,  # configure_logging already routes uvicorn's logs as JSON
            access_log=False,  # the request-context middleware logs each request
            # X-Forwarded-For is read by the app, from IQTIBAS_TRUSTED_PROXIES only
            proxy_headers=False,
            timeout_graceful_shutdown=30,
        )
    )

    def stop(_: BaseException) -> None:
        server.should_exit = True

    state.on_load_failure = stop
    logger.info("serving", extra={"host": settings.host, "port": settings.port})
    server.run()
    if state.load_error is not None:
        # already logged with its traceback; the command line gets the message and status 1
        raise SystemExit(f"iqtibas: error: cannot serve: {state.load_error}")
