"""`iqtibas serve` as a real process on a free port, for end-to-end and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def iqtibas_serve(
    data_dir: Path, log_path: Path, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`iqtibas serve` of this checkout (``python -m service.cli``, whatever the environment
    has installed) with the real model over ``data_dir`` (a new one is seeded at start);
    yields its base URL and process once /ready answers, and stops it with SIGTERM."""
    port = free_port()
    environment = {
        **os.environ,
        "IQTIBAS_DATA_DIR": str(data_dir),
        "IQTIBAS_MODEL_CACHE_DIR": os.environ.get(
            "IQTIBAS_MODEL_CACHE_DIR", "/tmp/iqtibas-model-cache"
        ),
        **env,
    }
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *serve],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{base_url}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"not ready in time: {log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
