"""Several real `iqtibas serve` processes over one index, with the real model: a writer and a
read-only replica both answer with the articles the writer adds (over HTTP or through
`iqtibas ingest`), a second writer is refused, and a snapshot taken while `iqtibas ingest`
runs is served by a read-only replica."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from index.index_directory import STORE_NAME
from tests.conftest import PROJECT_ROOT
from tests.index.test_snapshot import assert_consistent_copy
from tests.service.server_process import free_port, iqtibas_serve

pytestmark = pytest.mark.slow

KEY = "replicas-write-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
OLIVE = {
    "id": "ma-olive-oil",
    "title": "إنتاج قياسي لزيت الزيتون في المغرب",
    "lang": "ar",
    "text": (
        "أعلنت وزارة الفلاحة المغربية أن إنتاج زيت الزيتون هذا العام بلغ 200 ألف طن، "
        "وهو أعلى مستوى منذ عشر سنوات.\n"
        "وأرجع الوزير هذا الارتفاع إلى الأمطار الغزيرة التي هطلت في فصل الربيع."
    ),
}
OLIVE_QUESTION = "How much olive oil did Morocco produce this year?"
SAFFRON = {
    "id": "af-saffron",
    "title": "موسم الزعفران في هرات",
    "lang": "ar",
    "text": (
        "بدأ المزارعون في ولاية هرات الأفغانية قطف زهور الزعفران مع بداية شهر نوفمبر.\n"
        "وبلغ سعر الكيلوغرام الواحد من الزعفران في أسواق هرات 1500 دولار هذا الموسم.\n"
        "ويصدّر معظم المحصول إلى الهند وأوروبا."
    ),
}
SAFFRON_QUESTION = "كم بلغ سعر الكيلوغرام من الزعفران في أسواق هرات؟"


def _environment(directory: Path, model_cache_dir: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "IQTIBAS_DATA_DIR": str(directory),
        "IQTIBAS_MODEL_CACHE_DIR": str(model_cache_dir),
        "IQTIBAS_API_KEY": KEY,
        "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0",
        **settings,
    }


def _cli(arguments: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """This checkout's command line (python -m, whatever the environment has installed)."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", *arguments],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def _serving(environment: dict[str, str], log: Path) -> Iterator[str]:
    """A server of this checkout; its URL once /ready answers; SIGTERM at the end."""
    with iqtibas_serve(Path(environment["IQTIBAS_DATA_DIR"]), log, environment) as (url, _):
        yield url


def _first_quote(url: str, question: str) -> dict[str, object]:
    response = httpx.post(f"{url}/ask", json={"question": question, "top_k": 1}, timeout=60)
    assert response.status_code == 200, response.text
    quotes = response.json()["quotes"]
    return dict(quotes[0]) if quotes else {}


def _generation(directory: Path) -> int:
    with sqlite3.connect(directory / STORE_NAME) as connection:
        row = connection.execute("SELECT value FROM counts WHERE name = 'generation'").fetchone()
    return int(row[0]) if row else 0


def test_a_writer_and_a_replica_both_answer_with_what_the_writer_and_the_cli_add(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    directory = tmp_path / "index"
    writer_settings = _environment(directory, model_cache_dir)
    with _serving(writer_settings, tmp_path / "writer.log") as writer:
        replica_settings = {
            **writer_settings,
            "IQTIBAS_READ_ONLY": "true",
            "IQTIBAS_WRITER_URL": writer,
        }
        with _serving(replica_settings, tmp_path / "replica.log") as replica:
            servers = (writer, replica)

            # a second writer over the same directory stops at once, saying what to do
            second = _cli(
                ["serve", "--port", str(free_port())], writer_settings, tmp_path / "second.log"
            )
            assert second.wait(300) == 1
            refusal = (tmp_path / "second.log").read_text(errors="replace")
            assert "already serves writes" in refusal and "IQTIBAS_READ_ONLY=true" in refusal

            # a write through the writer's HTTP API
            added = httpx.post(
                f"{writer}/documents", json={"documents": [OLIVE]}, headers=AUTH, timeout=120
            )
            assert added.status_code == 200, added.text
            for url in servers:
                quote = _first_quote(url, OLIVE_QUESTION)
                assert quote["doc_id"] == OLIVE["id"], (url, quote)

            # the replica refuses writes, naming the writer
            refused = httpx.post(
                f"{replica}/documents", json={"documents": [SAFFRON]}, headers=AUTH, timeout=60
            )
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "read_only_replica"
            assert writer in refused.json()["error"]["message"]

            # a write through `iqtibas ingest` while both serve
            articles = tmp_path / "saffron.jsonl"
            articles.write_text(json.dumps(SAFFRON, ensure_ascii=False) + "\n", encoding="utf-8")
            ingest = _cli(
                ["ingest", "--quiet", str(articles)], writer_settings, tmp_path / "cli.log"
            )
            assert ingest.wait(600) == 0, (tmp_path / "cli.log").read_text(errors="replace")
            for url in servers:
                quote = _first_quote(url, SAFFRON_QUESTION)
                assert quote["doc_id"] == SAFFRON["id"], (url, quote)
                start, end = int(str(quote["start"])), int(str(quote["end"]))
                assert SAFFRON["text"][start:end] == quote["text"]

            # a delete through the writer reaches the replica too
            deleted = httpx.delete(f"{writer}/documents/{OLIVE['id']}", headers=AUTH, timeout=60)
            assert deleted.status_code == 200
            assert _first_quote(replica, OLIVE_QUESTION).get("doc_id") != OLIVE["id"]
            assert httpx.get(f"{replica}/documents/{OLIVE['id']}").status_code == 404
    assert "resuming" not in (tmp_path / "replica.log").read_text(errors="replace")


def test_a_snapshot_taken_during_an_ingest_is_served_by_a_read_only_replica(
    tmp_path: Path, model_cache_dir: Path, seed_text: str
) -> None:
    directory = tmp_path / "index"
    settings = _environment(directory, model_cache_dir, IQTIBAS_INDEX__COMMIT_EVERY_ARTICLES="2")
    paragraphs = [p for p in seed_text.split("\n") if len(p.split()) > 8]
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(OLIVE, ensure_ascii=False) + "\n")
        for number in range(60):
            text = "\n".join(paragraphs[(number + k) % len(paragraphs)] for k in range(4))
            article = {"id": f"synthetic-{number}", "title": f"مقال {number}", "text": text}
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")

    ingest = _cli(["ingest", "--quiet", str(big)], settings, tmp_path / "ingest.log")
    # the seed article is generation 1; OLIVE's group 2: wait for one more group
    deadline = time.monotonic() + 600
    while not (directory / STORE_NAME).exists() or _generation(directory) < 3:
        assert ingest.poll() is None, (tmp_path / "ingest.log").read_text(errors="replace")
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert ingest.poll() is None, "the ingest ended before the snapshot could start"

    copy = tmp_path / "replica-index"
    snapshot = _cli(["snapshot", str(copy)], settings, tmp_path / "snapshot.log")
    assert snapshot.wait(600) == 0, (tmp_path / "snapshot.log").read_text(errors="replace")
    assert ingest.wait(900) == 0, (tmp_path / "ingest.log").read_text(errors="replace")

    generation = assert_consistent_copy(copy)
    assert 3 <= generation <= _generation(directory)
    replica_settings = _environment(copy, model_cache_dir, IQTIBAS_READ_ONLY="true")
    with _serving(replica_settings, tmp_path / "replica.log") as replica:
        quote = _first_quote(replica, OLIVE_QUESTION)
        assert quote["doc_id"] == OLIVE["id"]
        ready = httpx.get(f"{replica}/ready").json()
        with sqlite3.connect(copy / STORE_NAME) as connection:
            (articles,) = connection.execute("SELECT COUNT(*) FROM articles").fetchone()
        assert ready["articles"] == articles
        refused = httpx.post(f"{replica}/documents", json={"documents": [SAFFRON]}, headers=AUTH)
        assert refused.status_code == 403
    # the replica opened the copy from its vector snapshot and left it as shipped
    assert assert_consistent_copy(copy) == generation
