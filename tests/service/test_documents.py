"""POST/GET/DELETE /documents and GET /jobs: durable writes, whole-batch validation, jobs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.corpus import Corpus
from tests.conftest import HashingEmbedder
from tests.service.conftest import AUTH, ClientFactory, assert_error

RAIN = {
    "id": "ar-rain",
    "title": "أمطار في عمّان",
    "text": "هطلت أمطار غزيرة على العاصمة الأردنية عمّان مساء الأحد.\nوأغلقت السلطات عدة طرق.",
    "lang": "ar",
    "url": "https://example.org/rain",
    "published": "2025-11-02",
    "source": "wire",
}


def _post(client: TestClient, documents: list[dict[str, Any]], **kwargs: Any) -> Any:
    return client.post("/documents", json={"documents": documents}, headers=AUTH, **kwargs)


def _article(number: int, prefix: str = "batch") -> dict[str, Any]:
    return {
        "id": f"{prefix}-{number:03d}",
        "title": f"مقال {number}",
        "text": f"هذا هو المقال رقم {number} عن موضوع {prefix}.\nوفيه جملة ثانية رقم {number}.",
    }


def _wait_for_job(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_small_batch_is_stored_and_durable_before_the_response(
    client: TestClient, small_corpus: Corpus
) -> None:
    response = _post(client, [RAIN])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "stored",
        "articles": [{"id": "ar-rain", "status": "created"}],
    }
    # a second connection to the same SQLite store sees it: it was committed
    reopened = Corpus(small_corpus.directory, HashingEmbedder())
    try:
        stored = reopened.get("ar-rain")
        assert stored is not None and stored.text == RAIN["text"]
    finally:
        reopened.close()
    document = client.get("/documents/ar-rain").json()
    assert document == {
        **{key: RAIN[key] for key in ("id", "title", "text", "lang", "url", "published", "source")},
        "summary": None,
        "characters": len(RAIN["text"]),
    }
    answer = client.post(
        "/ask", json={"question": "هطلت أمطار غزيرة على العاصمة الأردنية عمّان"}
    ).json()
    assert answer["quotes"][0]["doc_id"] == "ar-rain"


def test_an_existing_id_is_replaced(client: TestClient) -> None:
    assert _post(client, [RAIN]).json()["articles"][0]["status"] == "created"
    changed = {**RAIN, "text": "نص جديد تماما عن الطقس في عمّان."}
    assert _post(client, [changed]).json()["articles"] == [{"id": "ar-rain", "status": "replaced"}]
    assert client.get("/documents/ar-rain").json()["text"] == changed["text"]


def test_text_is_stored_in_nfc_and_offsets_refer_to_the_stored_text(client: TestClient) -> None:
    decomposed = "Cafe\u0301 society meets in Amman. The cafe\u0301 opened in 1950."
    assert _post(client, [{"id": "nfc", "text": decomposed}]).status_code == 200
    stored = client.get("/documents/nfc").json()["text"]
    assert stored == "Café society meets in Amman. The café opened in 1950."
    quote = client.post(
        "/ask", json={"question": "The café opened in 1950", "filters": {"doc_ids": ["nfc"]}}
    ).json()["quotes"][0]
    assert stored[quote["start"] : quote["end"]] == quote["text"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"id": "", "text": "x"}, "id"),
        ({"id": "   ", "text": "x"}, "id"),
        ({"id": "a\nb", "text": "x"}, "id"),
        ({"id": "x" * 201, "text": "x"}, "id"),
        ({"id": "ok"}, "text"),
        ({"id": "ok", "text": ""}, "text"),
        ({"id": "ok", "text": " \n "}, "text"),
        ({"id": "ok", "text": "x", "url": "javascript:alert(1)"}, "url"),
        ({"id": "ok", "text": "x", "published": "2025-02-30"}, "published"),
        ({"id": "ok", "text": "x", "published": "last week"}, "published"),
        ({"id": "ok", "text": "x", "published": "2025-07-14T10:00"}, "published"),
        ({"id": "ok", "text": "x", "lang": "arabic language"}, "lang"),
        ({"id": "ok", "text": "x", "summary": "not accepted"}, "summary"),
        ({"id": 7, "text": "x"}, "id"),
    ],
)
def test_one_invalid_article_refuses_the_whole_batch(
    client: TestClient, document: dict[str, Any], field: str
) -> None:
    before = client.get("/documents").json()["total"]
    response = _post(client, [RAIN, document])
    error = assert_error(response, 422, "validation_error")
    assert any(
        detail["loc"][:3] == ["body", "documents", 1] and field in detail["loc"]
        for detail in error["details"]
    ), error
    assert client.get("/documents").json()["total"] == before
    assert client.get("/documents/ar-rain").status_code == 404


def test_published_accepts_a_date_or_an_rfc3339_date_time(client: TestClient) -> None:
    documents = [
        {"id": "d1", "text": "x", "published": "2025-07-14"},
        {"id": "d2", "text": "y", "published": "2025-07-14T10:00:00Z"},
        {"id": "d3", "text": "z", "published": "2025-07-14T10:00:00.5+03:00"},
    ]
    assert _post(client, documents).status_code == 200
    assert client.get("/documents/d2").json()["published"] == "2025-07-14T10:00:00Z"


def test_an_article_over_the_configured_length_is_named(make_client: ClientFactory) -> None:
    client = make_client(max_article_characters=100)
    response = _post(client, [RAIN, {"id": "long-one", "text": "كلمة " * 30}])
    error = assert_error(response, 422)
    assert error["details"][0]["loc"] == ["body", "documents", 1, "text"]
    assert "long-one" in error["message"]
    assert client.get("/documents/ar-rain").status_code == 404


def test_a_batch_over_the_configured_size_is_422(make_client: ClientFactory) -> None:
    client = make_client(max_batch_articles=3)
    error = assert_error(_post(client, [_article(n) for n in range(4)]), 422)
    assert error["details"][0]["loc"] == ["body", "documents"]


def test_an_empty_batch_is_422(client: TestClient) -> None:
    assert_error(_post(client, []), 422, "validation_error")


def test_duplicate_ids_in_one_batch_are_409_and_nothing_is_stored(client: TestClient) -> None:
    error = assert_error(
        _post(client, [RAIN, _article(1), {**RAIN, "text": "أخرى"}]), 409, "duplicate_ids"
    )
    assert error["details"][0]["loc"] == ["body", "documents", 2, "id"]
    assert client.get("/documents/ar-rain").status_code == 404


def test_documents_are_listed_by_page_without_text(client: TestClient) -> None:
    page = client.get("/documents", params={"offset": 0, "limit": 2}).json()
    assert page["total"] == 5 and page["offset"] == 0 and page["limit"] == 2
    assert [item["id"] for item in page["items"]] == ["ar-economy", "ar-football"]
    assert "text" not in page["items"][0]
    assert page["items"][0]["characters"] > 0
    rest = client.get("/documents", params={"offset": 2, "limit": 100}).json()["items"]
    assert [item["id"] for item in rest] == ["ar-science", "ar-weather", "en-space"]
    assert client.get("/documents", params={"offset": 50}).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": "x"},
        {"limit": "1.5"},
        {"offset": 2**40},
    ],
)
def test_bad_paging_is_422(client: TestClient, params: dict[str, Any]) -> None:
    assert_error(client.get("/documents", params=params), 422, "validation_error")


def test_unknown_documents_are_404(client: TestClient) -> None:
    assert_error(client.get("/documents/nope"), 404, "not_found")
    assert_error(client.delete("/documents/nope", headers=AUTH), 404, "not_found")


def test_ids_with_slashes_and_spaces_round_trip(client: TestClient) -> None:
    assert _post(client, [{"id": "news/2025 07/x?y#z", "text": "نص قصير."}]).status_code == 200
    assert (
        client.get("/documents/news%2F2025%2007%2Fx%3Fy%23z").json()["id"] == "news/2025 07/x?y#z"
    )
    assert client.delete("/documents/news%2F2025%2007%2Fx%3Fy%23z", headers=AUTH).status_code == 200


def test_a_deleted_article_is_no_longer_quoted(client: TestClient) -> None:
    question = {"question": "هيئة الأرصاد الجوية المصرية درجات الحرارة في القاهرة", "top_k": 10}
    assert any(
        q["doc_id"] == "ar-weather" for q in client.post("/ask", json=question).json()["quotes"]
    )
    response = client.delete("/documents/ar-weather", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"id": "ar-weather", "status": "deleted"}
    assert all(
        q["doc_id"] != "ar-weather" for q in client.post("/ask", json=question).json()["quotes"]
    )
    assert client.get("/documents").json()["total"] == 4


def test_a_large_batch_becomes_a_job_that_reports_durable_progress(
    make_client: ClientFactory, small_corpus: Corpus
) -> None:
    client = make_client(sync_batch_articles=4)
    articles = [_article(n) for n in range(40)] + [{**_article(0, "x"), "id": "ar-weather"}]
    response = _post(client, articles)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/jobs/{job['job_id']}"
    assert job["status"] in ("queued", "running") and job["total"] == 41
    final = _wait_for_job(client, job["job_id"])
    assert final["status"] == "succeeded", final
    assert final["done"] == 41 and final["error"] is None
    assert final["passages_done"] == final["passages_total"] > 0
    states = {article["id"]: article["status"] for article in final["articles"]}
    assert states["ar-weather"] == "replaced" and states["batch-000"] == "created"
    assert final["started_at"] and final["finished_at"]
    reopened = Corpus(small_corpus.directory, HashingEmbedder())
    try:
        assert reopened.counts().articles == 45
    finally:
        reopened.close()


def test_writes_behind_a_job_queue_in_order_and_a_full_queue_is_429(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from service.writer import CorpusWriter

    release = threading.Event()
    original = CorpusWriter.store

    def slow_store(self: CorpusWriter, articles: Any, *arguments: Any) -> Any:
        release.wait(10)
        return original(self, articles, *arguments)

    monkeypatch.setattr(CorpusWriter, "store", slow_store)
    client = make_client(sync_batch_articles=2, max_queued_jobs=4, sync_write_wait_seconds=0.2)
    first = _post(client, [_article(n) for n in range(3)]).json()["job_id"]
    try:
        # asked after the job, so applied after it: queued, never refused for being busy
        newer = {**_article(0), "text": "نص أحدث للمقال الأول."}
        replace = _post(client, [newer])
        assert replace.status_code == 202 and replace.headers["Location"].startswith("/jobs/")
        delete = client.delete("/documents/batch-001", headers=AUTH)
        assert delete.status_code == 202 and delete.json()["kind"] == "delete"
        assert _post(client, [_article(n, "second") for n in range(3)]).status_code == 202
        full = assert_error(_post(client, [RAIN]), 429, "write_queue_full")
        assert full["details"][0]["loc"] == ["jobs", first]
        assert int(_post(client, [RAIN]).headers["Retry-After"]) >= 1
        # questions are answered meanwhile
        assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200
    finally:
        release.set()
    assert _wait_for_job(client, first)["status"] == "succeeded"
    replaced = _wait_for_job(client, replace.json()["job_id"])
    assert replaced["articles"] == [{"id": "batch-000", "status": "replaced"}]
    assert client.get("/documents/batch-000").json()["text"] == "نص أحدث للمقال الأول."
    deleted = _wait_for_job(client, delete.json()["job_id"])
    assert deleted["articles"] == [{"id": "batch-001", "status": "deleted"}]
    assert client.get("/documents/batch-001").status_code == 404
    assert _post(client, [RAIN]).status_code == 200
    assert_error(client.delete("/documents/no-such-article", headers=AUTH), 404, "not_found")


def test_a_failing_job_reports_what_was_stored(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.document_store import DocumentStore

    original = DocumentStore.replace_articles
    calls = []

    def failing_second_group(self: DocumentStore, prepared: Any, *arguments: Any) -> Any:
        calls.append(len(prepared))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, prepared, *arguments)

    monkeypatch.setattr(DocumentStore, "replace_articles", failing_second_group)
    client = make_client(sync_batch_articles=2)
    job = _post(client, [_article(n) for n in range(20)]).json()
    final = _wait_for_job(client, job["job_id"])
    assert final["status"] == "failed" and "disk full" in final["error"]
    stored = [a["id"] for a in final["articles"] if a["status"] == "created"]
    assert final["done"] == len(stored) == calls[0]
    assert {a["status"] for a in final["articles"][len(stored) :]} == {"not_stored"}
    for doc_id in stored:
        assert client.get(f"/documents/{doc_id}").status_code == 200
    assert client.get(f"/documents/{final['articles'][-1]['id']}").status_code == 404


def test_unknown_jobs_are_404(client: TestClient) -> None:
    assert_error(client.get("/jobs/0123456789abcdef"), 404, "not_found")


def test_the_data_dir_fixture_is_the_corpus(small_corpus: Corpus, tmp_path: Path) -> None:
    assert small_corpus.directory == tmp_path / "index"
