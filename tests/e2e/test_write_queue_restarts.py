"""The write queue across real process stops: SIGTERM with jobs queued, SIGKILL while a
client writes (the crash campaign, a few rounds), and the jobs' outcomes after restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT
from tests.service.server_process import iqtibas_serve

pytestmark = pytest.mark.slow

KEY = "restart-write-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ENVIRONMENT = {
    "IQTIBAS_API_KEY": KEY,
    "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0",
    "IQTIBAS_INDEX__COMMIT_EVERY_ARTICLES": "2",
}


def _batch(prefix: str, count: int, seed_text: str) -> list[dict[str, str]]:
    paragraphs = [p for p in seed_text.split("\n") if len(p.split()) > 8]
    return [
        {
            "id": f"{prefix}-{n}",
            "text": "\n".join(paragraphs[(n + k) % len(paragraphs)] for k in range(3)),
        }
        for n in range(count)
    ]


def _finished(client: httpx.Client, job_id: str, timeout: float = 300) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_sigterm_keeps_queued_jobs_and_the_restart_finishes_them(
    tmp_path: Path, model_cache_dir: Path, seed_text: str
) -> None:
    directory, log_path = tmp_path / "index", tmp_path / "server.log"
    batches = [_batch(f"term{number}", 30, seed_text) for number in range(3)]
    with (
        iqtibas_serve(directory, log_path, ENVIRONMENT) as (base_url, process),
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        jobs = []
        for batch in batches:
            response = client.post("/documents", json={"documents": batch}, headers=AUTH)
            assert response.status_code == 202, response.text
            jobs.append(response.json()["job_id"])
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert process.wait(90) in (0, -signal.SIGTERM)
    log = log_path.read_text(errors="replace")
    assert "they resume at the next start" in log  # logged by the graceful shutdown

    with (
        iqtibas_serve(directory, log_path, ENVIRONMENT) as (base_url, _),
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        for job_id, batch in zip(jobs, batches, strict=True):
            job = _finished(client, job_id)
            assert job["status"] == "succeeded"
            assert job["done"] == job["total"] == len(batch)
        for batch in batches:
            for article in batch:
                stored = client.get(f"/documents/{article['id']}")
                assert stored.status_code == 200
    assert "resuming" in log_path.read_text(errors="replace")


def test_a_short_sigkill_campaign_loses_nothing_acknowledged(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "scripts/crash_campaign.py",
            "--rounds",
            "3",
            "--out",
            str(tmp_path / "campaign"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "IQTIBAS_MODEL_CACHE_DIR": str(model_cache_dir)},
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads((tmp_path / "campaign" / "result.json").read_text())
    assert result["rounds"] == 3 and result["failed_restarts"] == 0
    assert result["acknowledged_changes"] > 0
    assert result["lost"] == result["stale_or_resurrected"] == result["corrupt_files"] == 0
    assert result["jobs"]["unknown"] == result["jobs"]["unfinished"] == 0
