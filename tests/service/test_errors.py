"""Every failure is JSON in one shape with the right status; nothing leaks a stack trace."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from tests.service.conftest import AUTH, ClientFactory, assert_error


def test_unknown_routes_are_404_json(client: TestClient) -> None:
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.get("/static/../etc/passwd"), 404)


def test_wrong_methods_are_405_with_allow(client: TestClient) -> None:
    response = client.put("/ask", json={"question": "x"})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]
    assert_error(client.patch("/documents/ar-weather"), 405)


def test_a_declared_body_over_the_limit_is_413_before_reading(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=2048)
    body = {"documents": [{"id": "big", "text": "كلمة " * 1000}]}
    response = client.post("/documents", json=body, headers=AUTH)
    error = assert_error(response, 413, "body_too_large")
    assert "2048" in error["message"]
    assert client.get("/documents/big").status_code == 404


def test_a_streamed_body_over_the_limit_is_413(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=2048)

    def chunks() -> Any:
        yield b'{"documents": [{"id": "big", "text": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}]}'

    response = client.post(
        "/documents", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "body_too_large")
    assert client.get("/documents/big").status_code == 404


def test_a_body_under_the_limit_passes(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=2048)
    assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200


def test_rate_limit_is_429_with_retry_after_per_client(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200
    response = client.post("/ask", json={"question": "القاهرة"})
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1
    assert client.get("/documents").status_code == 429
    # probes are never throttled
    assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 200


class _BrokenAnswerer(Answerer):
    def ask(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")


def test_an_unexpected_failure_is_500_json_without_a_stack_trace(
    make_client: ClientFactory, answerer: Answerer, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(_BrokenAnswerer(answerer.corpus))
    response = client.post("/ask", json={"question": "x"}, headers={"X-Request-ID": "req-500"})
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["x-content-type-options"] == "nosniff"
    logged = [r for r in caplog.records if r.name == "iqtibas.errors"]
    assert logged and logged[0].exc_info is not None
    assert "request id" in error["message"]
    metrics = client.get("/metrics").text
    # label order and "1" or "1.0" are the exposition library's choice
    counted = re.findall(r"^iqtibas_http_errors_total\{(.*)\} (\S+)$", metrics, re.M)
    assert any(
        set(labels.split(",")) == {'route="/ask"', 'code="internal_error"'} and float(count) == 1
        for labels, count in counted
    ), metrics


def test_not_ready_is_503(tmp_path: Any) -> None:
    import threading

    from service.app import create_app
    from tests.service.conftest import make_settings

    gate = threading.Event()

    def loader() -> Answerer:
        gate.wait(10)
        raise RuntimeError("not this time")

    app = create_app(make_settings(tmp_path), loader=loader)
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, body in (
            ("POST", "/ask", {"question": "x"}),
            ("GET", "/documents", None),
            ("GET", "/ready", None),
        ):
            response = client.request(method, path, json=body)
            assert_error(response, 503, "not_ready")
            assert response.headers["retry-after"]
        gate.set()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/documents", "GET, HEAD, POST"),
        ("OPTIONS", "/documents/ar-weather", "GET, HEAD, DELETE"),
        ("GET", "/ask", "POST"),
        ("POST", "/static/app.js", "GET, HEAD"),
        ("DELETE", "/docs/assets/swagger-ui.css", "GET, HEAD"),
    ],
)
def test_allow_names_every_method_of_the_path(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed
