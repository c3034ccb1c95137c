"""Request ids, structured logs, security headers, CORS and HEAD."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from service.logging_setup import JsonFormatter
from tests.service.conftest import READ_KEY, ClientFactory, assert_error


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123.x:y"}).headers["x-request-id"]
        == "abc-123.x:y"
    )
    for unsafe in ("has space", "x" * 200, 'quote"', "a\tb"):
        echoed = client.get("/health", headers={"X-Request-ID": unsafe}).headers["x-request-id"]
        assert echoed != unsafe and len(echoed) == 32
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32


def test_each_request_is_logged_as_json_with_its_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="iqtibas.access")
    client.post("/ask", json={"question": "القاهرة"}, headers={"X-Request-ID": "trace-1"})
    record = next(r for r in caplog.records if r.name == "iqtibas.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "trace-1"
    assert line["method"] == "POST" and line["path"] == "/ask" and line["route"] == "/ask"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"] == "request" and line["time"]


def test_the_json_formatter_keeps_exceptions_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "failed %s", ("here",), None)
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here" and "ValueError: boom" in parsed["exception"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/nope"),
        ("POST", "/ask"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ],
)
def test_security_headers_are_on_every_response(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "script-src 'self';",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/ask",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://chat.example"])
    allowed = client.get("/health", headers={"Origin": "https://chat.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://chat.example"
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    preflight = client.options(
        "/ask",
        headers={
            "Origin": "https://chat.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    other = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_a_foreign_cors_preflight_is_refused_in_the_json_error_shape(
    make_client: ClientFactory,
) -> None:
    client = make_client(cors_origins=["https://chat.example"])
    refused = client.options(
        "/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    error = assert_error(refused, 400, "cors_refused")
    assert "origin" in error["message"]
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["x-request-id"]
    bad_method = client.options(
        "/ask",
        headers={"Origin": "https://chat.example", "Access-Control-Request-Method": "PUT"},
    )
    assert "method" in assert_error(bad_method, 400, "cors_refused")["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/health",
        "/ready",
        "/metrics",
        "/documents",
        "/documents/ar-weather",
        "/openapi.json",
        "/docs",
        "/static/app.js",
        "/docs/assets/swagger-ui.css",
    ],
)
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == 200, get.text
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers and path != "/metrics":  # metrics move between calls
        assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["x-request-id"]


def test_head_follows_the_rules_of_get(make_client: ClientFactory) -> None:
    client = make_client(read_api_key=READ_KEY)
    # the read key is checked as for GET; an error to HEAD has its headers and no body
    unauthorized = client.head("/documents")
    assert unauthorized.status_code == 401 and unauthorized.content == b""
    assert unauthorized.headers["www-authenticate"].startswith("Bearer")
    assert unauthorized.headers["content-type"] == "application/json"
    allowed = client.head("/documents", headers={"Authorization": f"Bearer {READ_KEY}"})
    assert allowed.status_code == 200 and allowed.content == b""
    assert client.head("/no/such/page").status_code == 404
    refused = client.head("/ask")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
