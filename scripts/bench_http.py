#!/usr/bin/env python3
"""HTTP load benchmark for POST /ask, next to the in-process Answerer.ask latency.

Starts `iqtibas serve` on loopback with the real model (a new index in a temporary folder is
seeded from seeds/, unless --data-dir names an existing one), sends a fixed number of
questions, first from one client, then from several concurrent clients, stops the server, and
then times Answerer.ask in this process on the same index. Prints p50/p95/p99 latency,
throughput and the HTTP/in-process ratio.

    .venv/bin/python scripts/bench_http.py --requests 200 --concurrency 4
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

# about the seed article, in both languages
QUESTIONS = [
    "Who proposed a 30-day ceasefire?",
    "من اقترح وقف إطلاق النار لمدة 30 يومًا؟",
    "How many young men are killed every week, according to Trump?",
    "كم شابًا يُقتل أسبوعيًا بحسب ترامب؟",
    "Which pope offered to host the negotiations?",
    "ما اسم المتحدثة باسم الخارجية الروسية؟",
    "What did the German defence minister say about Putin?",
    "من هو وزير الدفاع الألماني؟",
    "Which countries did Zelensky hope would host the meeting?",
    "What is the capital of Australia?",
]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(latencies_ms: Sequence[float]) -> str:
    return (
        f"p50 {percentile(latencies_ms, 0.50):7.1f}  p95 {percentile(latencies_ms, 0.95):7.1f}  "
        f"p99 {percentile(latencies_ms, 0.99):7.1f}  mean {statistics.fmean(latencies_ms):7.1f} ms"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "IQTIBAS_DATA_DIR": str(data_dir),
        "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0",  # the benchmark is the only client
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit("the server exited before it was ready; see its log")
            try:
                if client.get("/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    raise SystemExit("the server was not ready in time")


def http_load(
    base_url: str, total: int, concurrency: int, top_k: int
) -> tuple[list[float], list[float], float]:
    """(client latencies ms, server took_ms, wall seconds) for ``total`` requests."""
    latencies: list[float] = []
    server_ms: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                body = {"question": QUESTIONS[number % len(QUESTIONS)], "top_k": top_k}
                started = time.perf_counter()
                response = client.post("/ask", json=body)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        latencies.append(elapsed)
                        server_ms.append(float(response.json()["took_ms"]))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies, server_ms, wall


class InProcess:
    """The same index opened in this process (after the server seeded it), asked directly."""

    def __init__(self, data_dir: Path, top_k: int) -> None:
        from service.bootstrap import open_answerer
        from service.server import limit_threads
        from service.settings import Settings

        settings = Settings(data_dir=data_dir)
        limit_threads(settings.torch_threads)  # as the server does
        self.torch_threads = settings.torch_threads
        self._answerer = open_answerer(settings, show_progress=False)
        self._top_k = top_k
        for question in QUESTIONS:
            self._answerer.ask(question, top_k=top_k)  # warm-up

    def run(self, first: int, count: int) -> list[float]:
        latencies = []
        for number in range(first, first + count):
            started = time.perf_counter()
            self._answerer.ask(QUESTIONS[number % len(QUESTIONS)], top_k=self._top_k)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    def close(self) -> None:
        self._answerer.corpus.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="clients in the load run")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="an index to use (default: a new one)")
    parser.add_argument("--ready-timeout", type=float, default=900)
    arguments = parser.parse_args(argv)
    round_size = len(QUESTIONS)
    rounds = max(1, arguments.requests // round_size)

    with tempfile.TemporaryDirectory(prefix="iqtibas-bench-") as scratch:
        data_dir = arguments.data_dir or Path(scratch) / "index"
        log_path = Path(scratch) / "server.log"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        print(f"starting the server on {base_url} (index {data_dir}) ...", flush=True)
        started = time.perf_counter()
        process = start_server(data_dir, port, log_path)
        local: InProcess | None = None
        try:
            wait_ready(base_url, process, arguments.ready_timeout)
            print(f"ready after {time.perf_counter() - started:.1f} s", flush=True)
            load_before = os.getloadavg()
            local = InProcess(data_dir, arguments.top_k)
            http_load(base_url, round_size, 1, arguments.top_k)  # warm-up
            # alternate small rounds so that both see the same machine load
            one: list[float] = []
            one_server: list[float] = []
            direct: list[float] = []
            for _ in range(rounds):
                latencies, server_ms, _ = http_load(base_url, round_size, 1, arguments.top_k)
                one += latencies
                one_server += server_ms
                direct += local.run(0, round_size)
            many, many_server, many_wall = http_load(
                base_url, rounds * round_size, arguments.concurrency, arguments.top_k
            )
            load_after = os.getloadavg()
            torch_threads = local.torch_threads
        finally:
            if local is not None:
                local.close()
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()

    direct_p50 = percentile(direct, 0.5)
    one_wall_s = sum(one) / 1000
    print()
    print(
        f"POST /ask, top_k={arguments.top_k}, {len(one)} requests per measurement, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} -> {load_after[0]:.1f}, "
        f"torch threads {torch_threads or 'default'}"
    )
    print(
        f"  in-process Answerer.ask  {summary(direct)}  "
        f"{len(direct) / (sum(direct) / 1000):6.1f} q/s"
    )
    print(f"  HTTP, 1 client           {summary(one)}  {len(one) / one_wall_s:6.1f} req/s")
    print(f"    server took_ms         {summary(one_server)}")
    print(
        f"  HTTP, {arguments.concurrency} clients          {summary(many)}  "
        f"{len(many) / many_wall:6.1f} req/s"
    )
    print(f"    server took_ms         {summary(many_server)}")
    print(
        f"  ratio HTTP p50 / in-process p50: 1 client {percentile(one, 0.5) / direct_p50:.2f}, "
        f"{arguments.concurrency} clients {percentile(many, 0.5) / direct_p50:.2f}"
    )
    overheads = [client - server for client, server in zip(one, one_server, strict=True)]
    print(f"  HTTP overhead (client latency - server took_ms), 1 client: {summary(overheads)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
