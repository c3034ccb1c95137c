"""Evaluate a running Iqtibas server over its HTTP API.

POST /documents loads the dataset (200 with per-article statuses, or 202 with a job to poll at
GET /jobs/{id}); POST /ask {question, top_k} answers. The server answers with its own settings,
so configurations cannot be compared here, and since it does not expose the ranking of every
retrieved article, articles are ranked by the quotes' doc_ids (so recall@k is bounded by the
quotes returned).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from eval.answers import ReturnedAnswer, ReturnedQuote
from index.answerer import AnswerConfig
from index.article import Article

UPLOAD_BATCH = 100
# with 10 quotes, recall@10 over the quoted articles is defined
SERVER_TOP_K = 10
_DONE = {"done", "completed", "succeeded", "success", "finished"}
_FAILED = {"failed", "error", "cancelled", "interrupted"}


class ServerError(RuntimeError):
    """The server refused or failed a request; the message has its status and reply."""


class ServerBackend:
    description = (
        "server: article ranking is the doc_ids of the returned quotes (the API does not expose "
        "every retrieved article), so recall@k counts only quoted articles; answers use the "
        "server's own settings"
    )
    applies_configurations = False

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        job_timeout_s: float = 3600.0,
        poll_interval_s: float = 1.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=url.rstrip("/"), headers=headers, timeout=120.0, transport=transport
        )
        self._job_timeout_s = job_timeout_s
        self._poll_interval_s = poll_interval_s

    def load(self, articles: Sequence[Article], label: str) -> None:
        for begin in range(0, len(articles), UPLOAD_BATCH):
            documents = [
                {
                    "id": a.id,
                    "title": a.title,
                    "text": a.text,
                    "lang": a.lang,
                    "source": a.source,
                }
                for a in articles[begin : begin + UPLOAD_BATCH]
            ]
            reply = self._request("POST", "/documents", {"documents": documents})
            if reply.status_code == 202:
                self._wait_for_job(str(reply.json()["job_id"]))

    def _wait_for_job(self, job_id: str) -> None:
        deadline = time.monotonic() + self._job_timeout_s
        while time.monotonic() < deadline:
            job = self._request("GET", f"/jobs/{job_id}").json()
            status = str(job.get("status", "")).lower()
            if status in _DONE:
                return
            if status in _FAILED:
                raise ServerError(f"ingest job {job_id} ended as {status}: {job}")
            time.sleep(self._poll_interval_s)
        raise ServerError(f"ingest job {job_id} did not finish in {self._job_timeout_s:.0f} s")

    def ask(self, question: str, top_k: int, config: AnswerConfig) -> ReturnedAnswer:
        started = time.perf_counter()
        reply = self._request(
            "POST", "/ask", {"question": question, "top_k": max(top_k, SERVER_TOP_K)}
        ).json()
        latency_ms = (time.perf_counter() - started) * 1000
        quotes = tuple(_quote(q) for q in reply.get("quotes", []))
        return ReturnedAnswer(
            answerable=bool(reply["answerable"]),
            quotes=quotes,
            ranked_doc_ids=tuple(dict.fromkeys(q.doc_id for q in quotes)),
            latency_ms=latency_ms,
        )

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        for _ in range(30):
            reply = self._client.request(method, path, json=body)
            if reply.status_code != 429:  # rate limited: wait as told, then try again
                break
            time.sleep(float(reply.headers.get("Retry-After", "1")))
        if reply.status_code >= 400:
            raise ServerError(f"{method} {path}: HTTP {reply.status_code}: {reply.text[:500]}")
        return reply

    def close(self) -> None:
        self._client.close()


def _quote(record: Any) -> ReturnedQuote:
    return ReturnedQuote(
        text=str(record["text"]),
        doc_id=str(record["doc_id"]),
        start=int(record["start"]),
        end=int(record["end"]),
        score=float(record.get("score", 0.0)),
    )
