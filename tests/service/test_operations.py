"""Health, readiness, metrics, the OpenAPI document, /docs and the chat page."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from service.app import app_state, create_app
from tests.service.conftest import AUTH, READ_KEY, ClientFactory, assert_error, make_settings


def test_health_is_alive(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_reports_the_index(client: TestClient, answerer: Answerer) -> None:
    counts = answerer.corpus.counts()
    assert client.get("/ready").json() == {
        "status": "ready",
        "model": "test/hashing",
        "articles": 5,
        "chunks": counts.chunks,
        "sentences": counts.sentences,
    }


def test_health_answers_while_loading_and_ready_follows(tmp_path: Path, answerer: Answerer) -> None:
    gate = threading.Event()

    def loader() -> Answerer:
        gate.wait(10)
        return answerer

    app = create_app(make_settings(tmp_path), loader=loader)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/health").status_code == 200
        error = assert_error(client.get("/ready"), 503, "not_ready")
        assert "loading" in error["message"]
        gate.set()
        app_state(app).wait_loaded(10)
        assert client.get("/ready").status_code == 200
        assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200


def test_a_failed_load_is_reported_and_signalled(tmp_path: Path) -> None:
    failures: list[BaseException] = []

    def loader() -> Answerer:
        raise RuntimeError("model files are missing")

    app = create_app(make_settings(tmp_path), loader=loader)
    app_state(app).on_load_failure = failures.append
    with TestClient(app, raise_server_exceptions=False) as client:
        app_state(app).wait_loaded(10)
        error = assert_error(client.get("/ready"), 503, "not_ready")
        assert "model files are missing" in error["message"]
        assert client.get("/health").status_code == 200
    assert [str(f) for f in failures] == ["model files are missing"]


# the metrics themselves: tests/service/test_metrics.py


def test_token_buckets_refill_evenly() -> None:
    from service.middleware.rate_limit import TokenBuckets

    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])
    assert all(buckets.take("a") == 0 for _ in range(60))
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0  # per client
    now[0] += 2.0
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") > 0


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_openapi_describes_every_route_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {(path, method) for path, method, _ in _operations(schema)} == {
        ("/ask", "post"),
        ("/documents", "post"),
        ("/documents", "get"),
        ("/documents/{doc_id}", "get"),
        ("/documents/{doc_id}", "delete"),
        ("/jobs/{job_id}", "get"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
    }
    components = schema["components"]["schemas"]
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            assert content, (path, method, status)
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                has_example = "example" in media or "examples" in media
                if ref:
                    has_example |= "examples" in components[ref.rsplit("/", 1)[1]]
                assert has_example, (path, method, status)
            assert "X-Request-ID" in response["headers"]
        if "requestBody" in operation:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert components[ref.rsplit("/", 1)[1]]["examples"]
    assert "HTTPValidationError" not in components


def test_openapi_limits_follow_the_settings(make_client: ClientFactory) -> None:
    client = make_client(
        max_question_characters=77, max_article_characters=999, max_batch_articles=5
    )
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert components["AskRequest"]["properties"]["question"]["maxLength"] == 77
    assert components["DocumentIn"]["properties"]["text"]["maxLength"] == 999
    assert components["IngestRequest"]["properties"]["documents"]["maxItems"] == 5


def test_openapi_security_follows_the_keys(make_client: ClientFactory) -> None:
    def security(client: TestClient) -> dict[tuple[str, str], Any]:
        schema = client.get("/openapi.json").json()
        for _, _, operation in _operations(schema):
            assert "x-iqtibas-access" not in operation
        return {(path, method): op.get("security") for path, method, op in _operations(schema)}

    writes_only = security(make_client())
    assert writes_only[("/documents", "post")] == [{"bearerKey": []}]
    assert writes_only[("/documents/{doc_id}", "delete")] == [{"bearerKey": []}]
    assert writes_only[("/ask", "post")] is None
    both = security(make_client(read_api_key=READ_KEY))
    assert both[("/ask", "post")] == [{"bearerKey": []}]
    assert both[("/health", "get")] is None
    open_writes = security(make_client(api_key=None, allow_open_writes=True))
    assert set(open_writes.values()) == {None}


def test_the_chat_page_and_static_files_are_served_when_installed(
    tmp_path: Path, answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text(
        '<!doctype html><title>Iqtibas</title><script src="/static/app.js"></script>',
        encoding="utf-8",
    )
    (static / "app.js").write_text("console.log('hi');", encoding="utf-8")
    monkeypatch.setattr("service.routes.pages.STATIC_DIR", static)
    monkeypatch.setattr("service.app.STATIC_DIR", static)
    with TestClient(create_app(make_settings(tmp_path), answerer=answerer)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Iqtibas" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        script = client.get("/static/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert script.headers["x-content-type-options"] == "nosniff"
        assert_error(client.get("/static/missing.css"), 404)


def test_without_the_chat_page_root_is_a_404_pointing_to_docs(client: TestClient) -> None:
    if (Path("service/static/index.html")).exists():
        pytest.skip("the chat page is installed")
    assert "/docs" in assert_error(client.get("/"), 404)["message"]


def test_writes_are_logged_with_the_route_template(client: TestClient) -> None:
    client.post("/documents", json={"documents": [{"id": "m1", "text": "نص."}]}, headers=AUTH)
    assert 'route="/documents",status="200"' in client.get("/metrics").text
