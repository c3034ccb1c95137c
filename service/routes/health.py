from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from service.dependencies import StateDep
from service.metrics import CONTENT_TYPE
from service.openapi import error_responses
from service.schemas import Health, Readiness

router = APIRouter(tags=["operations"])

_METRICS_EXAMPLE = (
    "# HELP iqtibas_http_requests_total HTTP requests answered.\n"
    "# TYPE iqtibas_http_requests_total counter\n"
    'iqtibas_http_requests_total{method="POST",route="/ask",status="200"} 42.0\n'
    "# HELP iqtibas_articles_indexed Articles in the index.\n"
    "# TYPE iqtibas_articles_indexed gauge\n"
    "iqtibas_articles_indexed 12.0\n"
)
_METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus text exposition format 0.0.4.",
        "content": {"text/plain": {"schema": {"type": "string"}, "example": _METRICS_EXAMPLE}},
    }
}


# async: answered on the event loop itself, so that it never queues for a worker thread
# behind slow requests, and it touches nothing that takes a lock
@router.get("/health", response_model=Health, summary="The process is alive")
async def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    summary="The model and index are loaded",
    responses=error_responses(503),
)
def ready(state: StateDep) -> Readiness:
    return state.readiness()  # 503 until loaded


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus metrics",
    description="Requests by method, route template and status, latency histogram, errors by "
    "code, articles, chunks and sentences indexed, ingest jobs by status. Every label has a "
    "bounded set of values: methods other than the standard ones count as `other`, paths no "
    "route matches as `unmatched`.",
    responses=_METRICS_RESPONSE,
)
def metrics(state: StateDep) -> PlainTextResponse:
    # in a worker thread: the gauges read the store's counts (a SQLite read snapshot, which
    # does not wait for writers) and the job counts; rendering itself holds no lock
    return PlainTextResponse(state.metrics.render(state.gauges()), media_type=CONTENT_TYPE)
