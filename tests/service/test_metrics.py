"""/metrics: prometheus-client exposition that parses, counters that count, labels whose value
sets no client can grow (junk methods, random paths), one registry per app, and /health and
/metrics that answer while locks and worker threads are taken."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from index.answerer import Answerer
from service.app import create_app
from service.metrics import Gauge, Metrics
from tests.service.conftest import AUTH, make_settings

Sample = tuple[str, frozenset[tuple[str, str]]]


def samples(text: str) -> dict[Sample, float]:
    """Every sample of an exposition, parsed by prometheus-client's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def test_the_exposition_parses_and_has_the_documented_families(
    client: TestClient, answerer: Answerer
) -> None:
    client.post("/ask", json={"question": "القاهرة"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f.type for f in text_string_to_metric_families(response.text)}
    assert families == {
        "iqtibas_http_requests": "counter",
        "iqtibas_http_errors": "counter",
        "iqtibas_http_request_duration_seconds": "histogram",
        "iqtibas_ready": "gauge",
        "iqtibas_articles_indexed": "gauge",
        "iqtibas_chunks_indexed": "gauge",
        "iqtibas_sentences_indexed": "gauge",
        "iqtibas_ingest_jobs": "gauge",
    }
    # no per-label-set creation timestamps: they would double the exposition
    assert "_created" not in response.text
    counts = answerer.corpus.counts()
    text = response.text
    assert value(text, "iqtibas_ready") == 1
    assert value(text, "iqtibas_articles_indexed") == 5
    assert value(text, "iqtibas_chunks_indexed") == counts.chunks
    assert value(text, "iqtibas_sentences_indexed") == counts.sentences
    assert ("iqtibas_ingest_jobs", frozenset({("status", "running")})) in samples(text)


def test_counters_count_requests_errors_and_latencies(client: TestClient) -> None:
    for _ in range(3):
        client.post("/ask", json={"question": "القاهرة"})
    client.post("/ask", json={"question": " "})
    client.get("/documents/nope")
    client.get("/documents/also-nope")
    text = client.get("/metrics").text
    requests = "iqtibas_http_requests_total"
    assert value(text, requests, method="POST", route="/ask", status="200") == 3
    assert value(text, requests, method="POST", route="/ask", status="422") == 1
    assert value(text, requests, method="GET", route="/documents/{doc_id}", status="404") == 2
    assert value(text, "iqtibas_http_errors_total", route="/ask", code="validation_error") == 1
    latency = "iqtibas_http_request_duration_seconds"
    assert value(text, f"{latency}_count", route="/ask") == 4
    assert value(text, f"{latency}_bucket", route="/ask", le="+Inf") == 4
    assert value(text, f"{latency}_sum", route="/ask") > 0
    # a scrape counts itself after it is answered: the next one sees it
    again = client.get("/metrics").text
    assert value(again, requests, method="GET", route="/metrics", status="200") == 1


def _series(text: str) -> set[Sample]:
    return set(samples(text))


def test_junk_methods_and_random_paths_do_not_grow_the_exposition(client: TestClient) -> None:
    def junk(count: int) -> None:
        for _ in range(count):
            token = uuid.uuid4().hex[:12].upper()
            client.request(f"X{token}", "/ask")  # a junk method on a real route
            client.request(f"Y{token}", f"/{token}")  # ... on no route
            client.get(f"/nothing/{token}")
            client.get(f"/documents/{token}")  # a real route with a random id
            client.delete(f"/documents/{token}/{token}")

    junk(5)
    client.get("/metrics")  # a scrape is counted after it answers: the next one shows it
    first = client.get("/metrics").text
    junk(200)
    later = client.get("/metrics").text
    assert _series(later) == _series(first)
    # the bytes grow only by wider counts, not by new series
    assert len(later) < len(first) + 500
    assert value(later, "iqtibas_http_requests_total", method="other", route="/ask", status="405")
    assert value(
        later, "iqtibas_http_requests_total", method="GET", route="unmatched", status="404"
    )
    labels = {dict(labels).get("method") for _, labels in _series(later)} - {None}
    assert labels <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
    assert len(later) < 20_000


def test_the_method_and_status_labels_are_bounded_by_the_metrics_themselves() -> None:
    metrics = Metrics()
    for index in range(100):
        metrics.observe_request(f"JUNK{index}", "/ask", 200, 0.01, None)
    metrics.observe_request("GET", "/ask", 999, 0.01, None)
    text = metrics.render()
    assert value(text, "iqtibas_http_requests_total", method="other", route="/ask", status="200")
    assert value(text, "iqtibas_http_requests_total", method="GET", route="/ask", status="other")
    assert "JUNK" not in text


def test_a_mounted_app_is_labelled_by_its_mount_point(
    tmp_path: Path, answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.js").write_text("console.log('hi');", encoding="utf-8")
    monkeypatch.setattr("service.app.STATIC_DIR", static)
    with TestClient(create_app(make_settings(tmp_path), answerer=answerer)) as client:
        client.get("/static/app.js")
        for _ in range(3):
            client.get(f"/static/{uuid.uuid4().hex}.css")
        text = client.get("/metrics").text
    requests = "iqtibas_http_requests_total"
    assert value(text, requests, method="GET", route="/static/{path}", status="200") == 1
    assert value(text, requests, method="GET", route="/static/{path}", status="404") == 3


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.observe_request("GET", 'a"b\\c\nd', 200, 0.01, None)
    text = metrics.render()
    assert 'route="a\\"b\\\\c\\nd"' in text
    assert value(text, "iqtibas_http_requests_total", method="GET", route='a"b\\c\nd', status="200")


def test_gauges_with_labels_are_one_family() -> None:
    text = Metrics().render(
        [
            Gauge("iqtibas_ready", "1 once loaded.", 1.0),
            Gauge("iqtibas_ingest_jobs", "Jobs by status.", 2, (("status", "queued"),)),
            Gauge("iqtibas_ingest_jobs", "Jobs by status.", 0, (("status", "running"),)),
        ]
    )
    families = list(text_string_to_metric_families(text))
    jobs = [f for f in families if f.name == "iqtibas_ingest_jobs"]
    assert len(jobs) == 1 and len(jobs[0].samples) == 2
    assert value(text, "iqtibas_ingest_jobs", status="queued") == 2
    assert value(text, "iqtibas_ready") == 1


def test_each_app_counts_in_its_own_registry(tmp_path: Path, answerer: Answerer) -> None:
    first = TestClient(create_app(make_settings(tmp_path), answerer=answerer))
    second = TestClient(create_app(make_settings(tmp_path), answerer=answerer))
    with first, second:
        for _ in range(3):
            first.get("/health")
        second.get("/health")
        health = {"method": "GET", "route": "/health", "status": "200"}
        assert value(first.get("/metrics").text, "iqtibas_http_requests_total", **health) == 3
        assert value(second.get("/metrics").text, "iqtibas_http_requests_total", **health) == 1


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """call() in a thread; fails (instead of hanging) when it does not return in time."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"no answer within {seconds} s"
    return result[0]


def test_health_answers_while_every_worker_thread_is_busy(client: TestClient) -> None:
    """Sync routes queue for anyio's worker threads; /health must not (it is what tells an
    orchestrator the process is alive while slow requests fill the pool)."""
    portal = client.portal
    assert portal is not None
    release = threading.Event()
    limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
    tokens = limiter.total_tokens

    async def occupy() -> None:
        await anyio.to_thread.run_sync(release.wait)

    portal.call(setattr, limiter, "total_tokens", 1)
    try:
        portal.start_task_soon(occupy)
        assert _within(5, lambda: client.get("/health")).json() == {"status": "ok"}
    finally:
        release.set()
        portal.call(setattr, limiter, "total_tokens", tokens)


def test_health_and_metrics_answer_while_the_store_is_being_written(
    client: TestClient, answerer: Answerer
) -> None:
    """A write holds the store's writer lock for as long as a commit group takes; neither
    liveness nor a scrape may wait for it (they once waited 13 s behind two small writes)."""
    store: Any = answerer.corpus._store  # the lock a commit holds
    held = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with store._write_lock:
            held.set()
            release.wait(30)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        assert held.wait(5)
        assert _within(5, lambda: client.get("/health")).status_code == 200
        response = _within(5, lambda: client.get("/metrics"))
        assert response.status_code == 200
        assert value(response.text, "iqtibas_articles_indexed") == 5
    finally:
        release.set()
        thread.join(5)
    # the write-path routes still work once it is released
    added = client.post(
        "/documents", json={"documents": [{"id": "m9", "text": "نص."}]}, headers=AUTH
    )
    assert added.status_code == 200
