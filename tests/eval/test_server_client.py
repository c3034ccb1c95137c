import json

import httpx
import pytest

from eval.server_client import SERVER_TOP_K, ServerBackend, ServerError
from index.answerer import AnswerConfig
from index.article import Article


class FakeServer:
    """Answers like the API contract: 202 + a job for uploads, quotes for questions."""

    def __init__(self) -> None:
        self.documents: list[dict[str, object]] = []
        self.polls = 0
        self.pending_polls = 0
        self.asked: list[dict[str, object]] = []
        self.authorisations: set[str | None] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.authorisations.add(request.headers.get("Authorization"))
        if request.url.path == "/documents":
            self.documents += json.loads(request.content)["documents"]
            self.pending_polls = 2  # the job is still running at the first poll
            return httpx.Response(202, json={"job_id": "j1"})
        if request.url.path == "/jobs/j1":
            self.polls += 1
            self.pending_polls -= 1
            status = "done" if self.pending_polls == 0 else "running"
            return httpx.Response(200, json={"status": status})
        if request.url.path == "/ask":
            self.asked.append(json.loads(request.content))
            quote = {"text": "t", "title": "", "score": 0.9, "context": {}}
            quotes = [
                {**quote, "doc_id": "b", "start": 0, "end": 1},
                {**quote, "doc_id": "a", "start": 0, "end": 1},
                {**quote, "doc_id": "b", "start": 5, "end": 9, "score": 0.5},
            ]
            body = {"question": "?", "answerable": True, "quotes": quotes, "took_ms": 3.0}
            return httpx.Response(200, json=body)
        return httpx.Response(404, json={"detail": "no route"})


def test_upload_waits_for_the_job_and_answers_rank_quoted_articles() -> None:
    server = FakeServer()
    backend = ServerBackend(
        "http://test/", "key", transport=httpx.MockTransport(server), poll_interval_s=0
    )
    articles = [Article.create(id=f"d{i}", text="نص.", lang="ar") for i in range(150)]
    backend.load(articles, "test")
    answer = backend.ask("سؤال؟", 3, AnswerConfig())
    backend.close()
    assert len(server.documents) == 150 and server.documents[0]["title"] == ""
    assert server.polls == 4  # two uploads of at most 100, each polled until done
    assert server.asked == [{"question": "سؤال؟", "top_k": SERVER_TOP_K}]
    assert answer.ranked_doc_ids == ("b", "a") and answer.top_score == 0.9
    assert len(answer.quotes) == 3 and answer.quotes[2].end == 9
    assert server.authorisations == {"Bearer key"}


def test_server_errors_carry_status_and_reply() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(401, json={"detail": "key"}))
    backend = ServerBackend("http://test", transport=transport)
    with pytest.raises(ServerError, match="HTTP 401"):
        backend.ask("?", 3, AnswerConfig())
