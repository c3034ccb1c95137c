"""`iqtibas serve` as a real process with the real model: add an article over HTTP, ask about
it, delete it, ask again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

KEY = "e2e-write-key"
ARTICLE = {
    "id": "ma-olive-oil",
    "title": "إنتاج قياسي لزيت الزيتون في المغرب",
    "lang": "ar",
    "source": "e2e",
    "published": "2025-11-20",
    "text": (
        "أعلنت وزارة الفلاحة المغربية أن إنتاج زيت الزيتون هذا العام بلغ 200 ألف طن، "
        "وهو أعلى مستوى منذ عشر سنوات.\n"
        "وأرجع الوزير هذا الارتفاع إلى الأمطار الغزيرة التي هطلت في فصل الربيع.\n"
        "وتعتزم الحكومة تصدير نصف الإنتاج إلى الأسواق الأوروبية."
    ),
}
EVIDENCE = ARTICLE["text"].split("\n")[0]
QUESTION = "How much olive oil did Morocco produce this year?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes], Path]]:
    executable = Path(sys.executable).parent / "iqtibas"
    if not executable.exists():
        pytest.skip("the iqtibas console script is missing: pip install -e . --no-deps")
    port = _free_port()
    log_path = tmp_path / "server.log"
    environment = {
        **os.environ,
        "IQTIBAS_DATA_DIR": str(tmp_path / "index"),
        "IQTIBAS_API_KEY": KEY,
        "IQTIBAS_MODEL_CACHE_DIR": os.environ.get(
            "IQTIBAS_MODEL_CACHE_DIR", "/tmp/iqtibas-model-cache"
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log_path.read_text(errors='replace')[-3000:]}")
            try:
                if client.get("/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"not ready in time: {log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield client, process, log_path
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_add_ask_delete_ask_over_http(
    server: tuple[httpx.Client, subprocess.Popen[bytes], Path],
) -> None:
    client, process, log_path = server
    auth = {"Authorization": f"Bearer {KEY}"}
    assert client.get("/health").json() == {"status": "ok"}
    seeded = client.get("/ready").json()
    assert seeded["articles"] >= 1, "a new index is seeded"

    added = client.post("/documents", json={"documents": [ARTICLE]}, headers=auth)
    assert added.status_code == 200, added.text
    assert added.json()["articles"] == [{"id": ARTICLE["id"], "status": "created"}]

    answer = client.post("/ask", json={"question": QUESTION}, headers={"X-Request-ID": "e2e-ask-1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == "e2e-ask-1"
    first = answer.json()["quotes"][0]
    assert first["doc_id"] == ARTICLE["id"]
    assert first["text"] == EVIDENCE
    assert ARTICLE["text"][first["start"] : first["end"]] == EVIDENCE

    assert client.delete(f"/documents/{ARTICLE['id']}", headers=auth).status_code == 200
    again = client.post("/ask", json={"question": QUESTION}).json()
    assert all(quote["doc_id"] != ARTICLE["id"] for quote in again["quotes"])
    assert client.get(f"/documents/{ARTICLE['id']}").status_code == 404

    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert process.wait(60) in (0, -signal.SIGTERM)
    log = log_path.read_text()
    assert "Application shutdown complete." in log
    lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    access = [line for line in lines if line.get("message") == "request"]
    ask_line = next(line for line in access if line.get("request_id") == "e2e-ask-1")
    assert ask_line["method"] == "POST" and ask_line["path"] == "/ask" and ask_line["status"] == 200
    assert ask_line["duration_ms"] > 0
