"""Crash campaign (not a test; the reliability tests run it for a few rounds): kill
`iqtibas serve` with SIGKILL (or SIGTERM) while clients write over HTTP, restart it, and check
that nothing acknowledged was lost.

Each round starts the server on the same index, lets one client send changes in order
(batches that become jobs, small writes, deletes, replacements of earlier articles) and
signals the server at a random moment. After the restart every job ever acknowledged with 202
must end succeeded (or failed, visibly) and never be unknown; every article whose change was
acknowledged must hold the text of the last change acknowledged for it (or of the one change
in flight at the kill, which the journal may or may not have accepted); both SQLite files
must pass their integrity check.

Usage: python scripts/crash_campaign.py --rounds 20 [--signal kill|term] [--out DIR]
(DIR keeps the index, the server's log and result.json; default: a new temporary folder.)
Exits 1 when anything was lost, corrupted, dropped or failed to restart.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import Server

SEED = next((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
KEY = "crash-campaign-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
DELETED = None  # the expected "text" of a deleted article


def _server(data_dir: Path, log_path: Path) -> Server:
    return Server(
        data_dir,
        log_path,
        {
            "IQTIBAS_API_KEY": KEY,
            "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0",
            # small groups: more commits to be killed between
            "IQTIBAS_INDEX__COMMIT_EVERY_ARTICLES": "4",
            "IQTIBAS_SYNC_BATCH_ARTICLES": "2",
            "IQTIBAS_SYNC_WRITE_WAIT_SECONDS": "2",
        },
    )


@dataclass
class Ledger:
    """What the server acknowledged, in the order it did."""

    expected: dict[str, str | None] = field(default_factory=dict)  # id -> text, None: deleted
    uncertain: dict[str, set[str | None]] = field(default_factory=dict)  # in flight at the kill
    jobs: list[str] = field(default_factory=list)
    acknowledged_articles: int = 0


def _paragraphs() -> list[str]:
    lines = SEED.read_text(encoding="utf-8").splitlines()[1:]
    return [line for line in lines if len(line.split()) > 8]


def _article(paragraphs: list[str], doc_id: str, version: int, rng: random.Random) -> dict:
    start = rng.randrange(len(paragraphs))
    body = "\n".join(paragraphs[(start + k) % len(paragraphs)] for k in range(3))
    return {"id": doc_id, "title": f"{doc_id} v{version}", "text": f"نسخة {version}.\n{body}"}


def _write(
    client: httpx.Client,
    ledger: Ledger,
    stop: threading.Event,
    rng: random.Random,
    round_number: int,
) -> None:
    """One client sending changes in order until the server goes away."""
    paragraphs = _paragraphs()
    version = 0
    while not stop.is_set():
        version += 1
        choice = rng.random()
        known = [doc_id for doc_id, text in ledger.expected.items() if text is not None]
        if choice < 0.15 and known:
            doc_id = rng.choice(known)
            changes: dict[str, str | None] = {doc_id: DELETED}
            request = ("DELETE", f"/documents/{doc_id}", None)
        else:
            count = 1 if choice < 0.4 else rng.randint(5, 24)
            batch = [
                _article(paragraphs, f"r{round_number}-{version}-{n}", version, rng)
                for n in range(count)
            ]
            if known and rng.random() < 0.5:  # replace an earlier article too
                batch.append(_article(paragraphs, rng.choice(known), version, rng))
            changes = {item["id"]: item["text"] for item in batch}
            request = ("POST", "/documents", {"documents": batch})
        for doc_id, text in changes.items():  # in flight: either outcome is acceptable
            ledger.uncertain[doc_id] = {ledger.expected.get(doc_id, DELETED), text}
        try:
            method, path, body = request
            response = client.request(method, path, json=body, headers=AUTH)
        except httpx.TransportError:
            return  # killed while asking: this change stays uncertain
        if response.status_code in (200, 202) or (
            method == "DELETE" and response.status_code == 404
        ):
            for doc_id, text in changes.items():
                ledger.uncertain.pop(doc_id, None)
                ledger.expected[doc_id] = text
            ledger.acknowledged_articles += len(changes)
            if response.status_code == 202:
                ledger.jobs.append(response.json()["job_id"])
        elif response.status_code == 429:
            for doc_id in changes:
                ledger.uncertain.pop(doc_id, None)
            time.sleep(min(2.0, float(response.headers.get("Retry-After", "1"))))
        else:
            for doc_id in changes:
                ledger.uncertain.pop(doc_id, None)
            if response.status_code != 503:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")


def _settle(client: httpx.Client, ledger: Ledger, timeout: float) -> dict[str, int]:
    """Wait for every acknowledged job; count how each ended."""
    outcome = {"succeeded": 0, "failed": 0, "unknown": 0, "unfinished": 0}
    deadline = time.monotonic() + timeout
    for job_id in ledger.jobs:
        while True:
            response = client.get(f"/jobs/{job_id}")
            status = response.json().get("status") if response.status_code == 200 else None
            if status in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            if status in ("succeeded", "failed"):
                outcome[status] += 1
            elif status in ("queued", "running"):
                outcome["unfinished"] += 1
            else:
                outcome["unknown"] += 1
            break
    return outcome


def _check_articles(client: httpx.Client, ledger: Ledger) -> dict[str, int]:
    lost = wrong = 0
    for doc_id, text in ledger.expected.items():
        response = client.get(f"/documents/{doc_id}")
        stored = response.json()["text"] if response.status_code == 200 else DELETED
        accepted = ledger.uncertain.get(doc_id, {text})
        if stored in accepted:
            continue
        if stored is None:
            lost += 1
        else:
            wrong += 1
    return {"lost": lost, "stale_or_resurrected": wrong}


def _integrity(data_dir: Path) -> int:
    corrupt = 0
    for path in data_dir.glob("*.sqlite3"):
        with sqlite3.connect(path) as connection:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                corrupt += 1
    return corrupt


def campaign(
    rounds: int, data_dir: Path, log_path: Path, signal_number: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    ledger = Ledger()
    totals: dict[str, int] = {"failed_restarts": 0, "rounds": 0}
    server = _server(data_dir, log_path)
    if not server.wait_ready():
        raise RuntimeError(f"the first start failed; see {log_path}")
    for round_number in range(rounds):
        stop = threading.Event()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            writer = threading.Thread(
                target=_write, args=(client, ledger, stop, rng, round_number), daemon=True
            )
            writer.start()
            time.sleep(rng.uniform(1.0, 6.0))
            server.stop(signal_number)
            stop.set()
            writer.join(120)
        server = _server(data_dir, log_path)
        if not server.wait_ready():
            totals["failed_restarts"] += 1
            server.stop(signal.SIGKILL)
            server = _server(data_dir, log_path)
            if not server.wait_ready():
                raise RuntimeError(f"two restarts in a row failed; see {log_path}")
        totals["rounds"] += 1
        print(
            f"round {round_number + 1}/{rounds}: {ledger.acknowledged_articles} acknowledged "
            f"changes so far, {len(ledger.jobs)} jobs",
            flush=True,
        )
    with httpx.Client(base_url=server.url, timeout=60) as client:
        outcome = _settle(client, ledger, timeout=600)
        checked = _check_articles(client, ledger)
    server.stop(signal.SIGTERM)
    return {
        **totals,
        "signal": signal.Signals(signal_number).name,
        "acknowledged_changes": ledger.acknowledged_articles,
        "articles_checked": len(ledger.expected),
        "jobs_acknowledged": len(ledger.jobs),
        "jobs": outcome,
        **checked,
        "corrupt_files": _integrity(data_dir),
    }


def failures(result: dict[str, Any]) -> list[str]:
    found = []
    for name in ("lost", "stale_or_resurrected", "corrupt_files", "failed_restarts"):
        if result[name]:
            found.append(f"{name}: {result[name]}")
    for name in ("unknown", "unfinished"):
        if result["jobs"][name]:
            found.append(f"jobs {name}: {result['jobs'][name]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--signal", choices=("kill", "term"), default="kill")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--out", type=Path, help="keep the index and log here")
    arguments = parser.parse_args()
    out = arguments.out or Path(tempfile.mkdtemp(prefix="iqtibas-crash-"))
    out.mkdir(parents=True, exist_ok=True)
    signal_number = signal.SIGKILL if arguments.signal == "kill" else signal.SIGTERM
    started = time.monotonic()
    result = campaign(
        arguments.rounds, out / "index", out / "server.log", signal_number, arguments.seed
    )
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, indent=2))
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"reproduce: python scripts/crash_campaign.py --rounds {arguments.rounds} "
        f"--signal {arguments.signal} --seed {arguments.seed}"
    )
    problems = failures(result)
    if problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
