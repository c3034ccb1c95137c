"""Questions keep being answered while a job ingests, and never see half of a commit group."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from index.article import Article
from index.corpus import Corpus, CorpusConfig
from index.ingest import IngestConfig
from service.app import create_app
from tests.conftest import HashingEmbedder, load_fixture_articles
from tests.service.conftest import AUTH, make_settings

GROUP = 4


class SlowHashingEmbedder(HashingEmbedder):
    """Embedding takes time, as with the real model, so that readers overlap the job."""

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> np.ndarray:
        time.sleep(0.03)
        return super().encode_passages(texts, show_progress, batch_size)


@pytest.fixture
def slow_corpus(tmp_path: Path) -> Iterator[Corpus]:
    corpus = Corpus(
        tmp_path / "index",
        SlowHashingEmbedder(),
        CorpusConfig(ingest=IngestConfig(commit_every_articles=GROUP)),
    )
    corpus.add(load_fixture_articles())
    yield corpus
    corpus.close()


def _new_article(number: int) -> dict[str, Any]:
    return {
        "id": f"wire-{number:02d}",
        "title": f"خبر {number}",
        "text": f"أعلنت الوزارة رقم {number} عن مشروع جديد في المدينة رقم {number}.\n"
        f"وقال المتحدث إن المشروع رقم {number} سيكتمل العام المقبل.",
    }


def test_asking_while_a_job_ingests_sees_whole_groups_only(
    slow_corpus: Corpus, tmp_path: Path
) -> None:
    old = {article.id: article for article in load_fixture_articles()}
    # replacements move every sentence: a quote mixing versions would not match either text
    replacements = [
        {"id": a.id, "title": a.title + " (محدث)", "text": "تحديث عاجل للخبر.\n" + a.text}
        for a in old.values()
    ]
    batch = [_new_article(n) for n in range(20)] + replacements
    versions: dict[str, set[str]] = {doc_id: {a.text} for doc_id, a in old.items()}
    for document in batch:
        stored = Article.create(**document).text
        versions.setdefault(document["id"], set()).add(stored)
    # articles in the index after each commit group of the job
    allowed_totals = {len(old)}
    seen_ids = set(old)
    for begin in range(0, len(batch), GROUP):
        seen_ids |= {d["id"] for d in batch[begin : begin + GROUP]}
        allowed_totals.add(len(seen_ids))

    questions = [s for a in old.values() for s in a.text.split("\n")] + [
        d["text"].split("\n")[0] for d in batch[:20]
    ]
    app = create_app(make_settings(tmp_path, sync_batch_articles=2), answerer=Answerer(slow_corpus))
    failures: list[str] = []
    answers: list[dict[str, Any]] = []
    totals: list[int] = []
    done = threading.Event()

    with TestClient(app, raise_server_exceptions=False) as client:

        def ask_repeatedly(seed: int) -> None:
            chooser = random.Random(seed)
            while not done.is_set():
                body = {"question": chooser.choice(questions), "top_k": 5}
                response = client.post("/ask", json=body)
                if response.status_code != 200:
                    failures.append(f"/ask {response.status_code} {response.text}")
                else:
                    answers.append(response.json())

        def count_repeatedly() -> None:
            while not done.is_set():
                response = client.get("/documents", params={"limit": 1})
                if response.status_code != 200:
                    failures.append(f"/documents {response.status_code}")
                else:
                    totals.append(response.json()["total"])

        threads = [threading.Thread(target=ask_repeatedly, args=(n,)) for n in range(3)]
        threads.append(threading.Thread(target=count_repeatedly))
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.1)
            response = client.post("/documents", json={"documents": batch}, headers=AUTH)
            assert response.status_code == 202, response.text
            job_id = response.json()["job_id"]
            deadline = time.monotonic() + 120
            progress = []
            while time.monotonic() < deadline:
                job = client.get(f"/jobs/{job_id}").json()
                progress.append(job["done"])
                if job["status"] not in ("queued", "running"):
                    break
                time.sleep(0.01)
            time.sleep(0.1)
        finally:
            done.set()
            for thread in threads:
                thread.join(30)
        final_texts = {
            item["id"]: client.get(f"/documents/{item['id']}").json()["text"]
            for item in client.get("/documents", params={"limit": 100}).json()["items"]
        }

    assert job["status"] == "succeeded", job
    assert not failures, failures[:5]
    assert progress == sorted(progress) and set(progress) <= {0, 4, 8, 12, 16, 20, 24, 25}
    assert set(totals) <= allowed_totals, sorted(set(totals))
    assert len(set(totals)) >= 3, "the readers should have overlapped several commits"
    assert len(answers) >= 20
    for answer in answers:
        for quote in answer["quotes"]:
            texts = versions[quote["doc_id"]]
            context = quote["context"]
            assert any(
                text[quote["start"] : quote["end"]] == quote["text"]
                and text[context["start"] : context["end"]] == context["text"]
                for text in texts
            ), quote
    assert set(final_texts) == {d["id"] for d in batch} | set(old)
    for document in batch:
        assert final_texts[document["id"]] == Article.create(**document).text
