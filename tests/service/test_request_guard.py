"""Overload safety: a request is refused for its key or its size before its body is read."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from index.answerer import Answerer
from service.app import create_app
from tests.service.conftest import (
    AUTH,
    READ_KEY,
    ClientFactory,
    assert_error,
    make_settings,
)
from tests.service.server_process import free_port

BIG = 49 * 1024 * 1024


def _call_without_reading(app: Any, method: str, path: str, headers: dict[str, str]) -> Any:
    """Runs one request through the whole app with a receive that counts its calls: the
    response, and how often the app asked for the body."""
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    # in its own thread: a browser test earlier in the run may leave an event loop running
    # in this one (Playwright's sync API), and anyio.run refuses to nest
    runner = threading.Thread(target=anyio.run, args=(app, scope, receive, send))
    runner.start()
    runner.join(60)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), reads


@pytest.mark.parametrize(
    ("path", "settings", "status"),
    [
        ("/documents", {}, 401),  # a write key is set, none sent
        ("/documents", {"api_key": None}, 403),  # writes are off
        ("/ask", {"read_api_key": READ_KEY}, 401),
    ],
)
def test_a_body_without_its_key_is_refused_unread(
    answerer: Answerer, tmp_path: Path, path: str, settings: dict[str, Any], status: int
) -> None:
    app = create_app(make_settings(tmp_path, **settings), answerer=answerer)
    headers = {"content-type": "application/json", "content-length": str(BIG)}
    got, response_headers, reads = _call_without_reading(app, "POST", path, headers)
    assert got == status
    assert reads == 0
    if status == 401:
        assert response_headers[b"www-authenticate"].startswith(b"Bearer")


def test_a_wrong_key_is_refused_unread(answerer: Answerer, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), answerer=answerer)
    headers = {
        "content-type": "application/json",
        "content-length": str(BIG),
        "authorization": "Bearer not-the-key",
    }
    assert _call_without_reading(app, "POST", "/documents", headers)[::2] == (401, 0)


def test_ask_has_its_own_small_body_limit(make_client: ClientFactory) -> None:
    client = make_client(max_ask_body_bytes=4096)
    error = assert_error(
        client.post("/ask", json={"question": "x", "filters": {"doc_ids": ["a" * 100] * 50}}),
        413,
        "body_too_large",
    )
    assert "4096" in error["message"] and "IQTIBAS_MAX_ASK_BODY_BYTES" in error["message"]
    assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200


def test_ask_counts_a_streamed_body_against_its_limit(make_client: ClientFactory) -> None:
    client = make_client(max_ask_body_bytes=4096)

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    response = client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "body_too_large")


def test_the_default_ask_limit_is_small_and_writes_keep_theirs(make_client: ClientFactory) -> None:
    client = make_client()
    big_question = {"question": "x" * 300_000}
    assert "262144" in assert_error(client.post("/ask", json=big_question), 413)["message"]
    # a write of the same size is under IQTIBAS_MAX_BODY_BYTES: it is read and stored
    batch = {"documents": [{"id": "long", "text": "نص " * 60_000}]}
    assert client.post("/documents", json=batch, headers=AUTH).status_code == 200


def test_the_largest_valid_question_fits_the_default_ask_limit(client: TestClient) -> None:
    ids = [f"{number:04d}" + "i" * 196 for number in range(1000)]
    body = {"question": "q" * 1000, "top_k": 20, "filters": {"doc_ids": ids}}
    assert client.post("/ask", json=body).status_code == 200


def test_a_read_key_is_checked_before_the_ask_limit(make_client: ClientFactory) -> None:
    client = make_client(read_api_key=READ_KEY)
    assert_error(client.post("/ask", json={"question": "x" * 300_000}), 401, "unauthorized")


# --- against a real server ------------------------------------------------------------------


@pytest.fixture
def live_server(answerer: Answerer, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    app = create_app(make_settings(tmp_path), answerer=answerer)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _start_upload(address: str, path: str, length: int) -> socket.socket:
    host, port = address.split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    connection.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n".encode()
    )
    return connection


def test_the_server_answers_401_before_the_body_arrives(live_server: str) -> None:
    connection = _start_upload(live_server, "/documents", BIG)
    with connection:
        connection.sendall(b'{"documents": [' + b'{"id": "a", "text": "b"}, ' * 100)
        # the rest is never sent: a server that waited for it would time out here
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 401 Unauthorized"


def test_health_stays_fast_while_oversized_bodies_without_a_key_stream_in(
    live_server: str,
) -> None:
    # many small objects: parsing this before the key check took seconds and a gigabyte
    body = b'{"documents": [' + b'{"id": "a", "text": "b"}, ' * (BIG // 26) + b"{}]}"
    stop = threading.Event()
    answers: list[bytes] = []

    def upload() -> None:
        while not stop.is_set():
            try:
                with _start_upload(live_server, "/documents", len(body)) as connection:
                    connection.sendall(body)
                    answers.append(connection.recv(64).split(b"\r\n", 1)[0])
            except OSError:
                # the server may close the connection once it has answered
                pass

    uploaders = [threading.Thread(target=upload, daemon=True) for _ in range(3)]
    for uploader in uploaders:
        uploader.start()
    durations: list[float] = []
    try:
        with httpx.Client(base_url=f"http://{live_server}") as client:
            time.sleep(0.2)  # the uploads are under way
            for _ in range(20):
                started = time.perf_counter()
                assert client.get("/health").status_code == 200
                durations.append(time.perf_counter() - started)
                time.sleep(0.02)
    finally:
        stop.set()
        for uploader in uploaders:
            uploader.join(30)
    # the bound on the typical answer, and a generous one on the slowest against a
    # loaded machine; a server parsing the bodies took seconds
    assert statistics.median(durations) < 0.1, f"/health took {durations} s"
    assert max(durations) < 0.5, f"/health took {max(durations):.3f} s"
    assert answers and all(line == b"HTTP/1.1 401 Unauthorized" for line in answers)
