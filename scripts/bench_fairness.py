"""Fairness benchmark (not a test): does an ingest keep its pace while many clients ask, and
do the askers keep theirs while it runs?

One `iqtibas serve` (real model) over the seed corpus. Per repetition, alternating:
- askers alone: --askers threads, each asking XQuAD-dev questions (English and Arabic in
  turn) one after another over HTTP for --seconds;
- ingest alone: one POST /documents of --articles XQuAD-dev paragraphs (a job), timed from
  the POST to the job's success;
- both at once: the same ingest (new ids) while the askers ask, until the job succeeds.
Prints and writes OUT/results.json: ingest articles/s alone and under askers, asker p50/p95
alone and during the ingest, and the two ratios the reliability issue asks for (ingest under
askers >= 0.5 of alone; asker p95 during ingest <= 2x alone).

Usage: python scripts/bench_fairness.py --out eval/reports/fairness [--repetitions 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import percentile
from bench_throughput import load_xquad
from served import ROOT, Server

KEY = "fairness-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _ask_loop(
    url: str, questions: list[str], stop: threading.Event, latencies: list[float], offset: int
) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        number = offset
        while not stop.is_set():
            question = questions[number % len(questions)]
            number += 1
            started = time.perf_counter()
            response = client.post("/ask", json={"question": question})
            if response.status_code != 200:
                raise RuntimeError(f"/ask: {response.status_code} {response.text}")
            latencies.append((time.perf_counter() - started) * 1000)


def _askers(
    url: str, questions: list[str], count: int, stop: threading.Event
) -> tuple[list[threading.Thread], list[float]]:
    latencies: list[float] = []
    threads = [
        threading.Thread(
            target=_ask_loop, args=(url, questions, stop, latencies, n * 37), daemon=True
        )
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads, latencies


def _ingest(url: str, articles: list[dict[str, str]]) -> float:
    """Seconds from the POST to the job's success."""
    with httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        response = client.post("/documents", json={"documents": articles}, headers=AUTH)
        if response.status_code == 200:  # a small batch, stored before the answer
            return time.perf_counter() - started
        if response.status_code != 202:
            raise RuntimeError(f"POST /documents: {response.status_code} {response.text}")
        job_id = response.json()["job_id"]
        while True:
            status = client.get(f"/jobs/{job_id}").json()["status"]
            if status == "succeeded":
                return time.perf_counter() - started
            if status not in ("queued", "running"):
                raise RuntimeError(f"job {job_id} ended {status}")
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--askers", type=int, default=8)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared/data/xquad-dev")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        help="NAME=VALUE for the server (IQTIBAS_NAME), e.g. INDEX__WRITER_NICENESS=0; repeatable",
    )
    arguments = parser.parse_args()
    paragraphs, by_language = load_xquad(arguments.data_dir, 0, 0)
    questions = [
        q.text for pair in zip(by_language["en"], by_language["ar"], strict=False) for q in pair
    ]
    work = Path(tempfile.mkdtemp(prefix="iqtibas-fairness-"))
    settings = {"IQTIBAS_API_KEY": KEY, "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0"}
    settings.update(
        {
            f"IQTIBAS_{item.split('=', 1)[0].upper()}": item.split("=", 1)[1]
            for item in arguments.setting
        }
    )
    server = Server(work / "index", work / "server.log", settings)
    if not server.wait_ready():
        raise SystemExit(f"the server did not start; see {work / 'server.log'}")
    batch = 0

    def next_articles() -> list[dict[str, str]]:
        nonlocal batch
        batch += 1
        chosen = [paragraphs[(batch * 53 + n) % len(paragraphs)] for n in range(arguments.articles)]
        return [{"id": f"b{batch}-{n}", "text": p.text} for n, p in enumerate(chosen)]

    rows: list[dict[str, Any]] = []
    try:
        _ingest(server.url, next_articles()[:16])  # warm the model and the write path
        for repetition in range(arguments.repetitions):
            stop = threading.Event()
            threads, alone = _askers(server.url, questions, arguments.askers, stop)
            time.sleep(arguments.seconds)
            stop.set()
            for thread in threads:
                thread.join(120)
            ingest_alone_s = _ingest(server.url, next_articles())
            stop = threading.Event()
            threads, during = _askers(server.url, questions, arguments.askers, stop)
            ingest_busy_s = _ingest(server.url, next_articles())
            stop.set()
            for thread in threads:
                thread.join(120)
            row = {
                "repetition": repetition + 1,
                "ingest_alone_articles_per_s": round(arguments.articles / ingest_alone_s, 2),
                "ingest_under_askers_articles_per_s": round(arguments.articles / ingest_busy_s, 2),
                "askers_alone_p50_ms": round(statistics.median(alone), 1),
                "askers_alone_p95_ms": round(percentile(alone, 0.95), 1),
                "askers_during_ingest_p50_ms": round(statistics.median(during), 1),
                "askers_during_ingest_p95_ms": round(percentile(during, 0.95), 1),
                "questions_alone": len(alone),
                "questions_during_ingest": len(during),
            }
            row["ingest_ratio"] = round(
                row["ingest_under_askers_articles_per_s"] / row["ingest_alone_articles_per_s"], 3
            )
            row["asker_p95_ratio"] = round(
                row["askers_during_ingest_p95_ms"] / row["askers_alone_p95_ms"], 3
            )
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        server.stop()
    summary = {
        "askers": arguments.askers,
        "articles": arguments.articles,
        "settings": settings | {"IQTIBAS_API_KEY": "(set)"},
        "ingest_ratio_median": statistics.median(r["ingest_ratio"] for r in rows),
        "asker_p95_ratio_median": statistics.median(r["asker_p95_ratio"] for r in rows),
        "repetitions": rows,
        "command": "python scripts/bench_fairness.py " + " ".join(sys.argv[1:]),
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "repetitions"}, indent=2))


if __name__ == "__main__":
    main()
