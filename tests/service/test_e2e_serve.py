"""`iqtibas serve` as a real process with the real model: add an article over HTTP, ask about
it, delete it, ask again."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.server_process import iqtibas_serve

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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes], Path]]:
    log_path = tmp_path / "server.log"
    environment = {"IQTIBAS_API_KEY": KEY}
    with (
        iqtibas_serve(tmp_path / "index", log_path, environment) as (base_url, process),
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client, process, log_path


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
