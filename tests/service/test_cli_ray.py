"""`iqtibas ingest --ray`: the optional ADDRESS before the paths, a run on a local Ray and one
joining a running cluster by its address, with the real model."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from service.cli import _ray_address_and_paths, main
from tests.conftest import FIXTURES, PROJECT_ROOT
from tests.service.server_process import free_port


@pytest.mark.parametrize(
    ("ray", "paths", "expected"),
    [
        (None, ["a.jsonl"], (None, ["a.jsonl"])),
        ("local", ["a.jsonl"], ("local", ["a.jsonl"])),
        ("auto", ["a.jsonl"], ("auto", ["a.jsonl"])),
        ("head:6379", ["a.jsonl"], ("head:6379", ["a.jsonl"])),
        ("ray://10.0.0.1:10001", ["a"], ("ray://10.0.0.1:10001", ["a"])),
        # --ray took the first path: it is a path, on a local Ray
        ("archive/", ["b.jsonl"], ("local", ["archive/", "b.jsonl"])),
        ("a.jsonl", [], ("local", ["a.jsonl"])),
    ],
)
def test_ray_takes_an_address_only_when_it_looks_like_one(
    ray: str | None, paths: list[str], expected: tuple[str | None, list[str]]
) -> None:
    assert _ray_address_and_paths(ray, paths) == expected


def test_ingest_without_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--ray"]) == 2
    assert "give at least one file or folder" in capsys.readouterr().err


def test_actor_options_without_ray_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "--ray-actors", "2", str(tmp_path)]) == 2
    assert "go with --ray" in capsys.readouterr().err


def _ingest(data_dir: Path, *arguments: str, extra: dict[str, str] | None = None) -> str:
    environment = {
        **os.environ,
        **(extra or {}),
        "IQTIBAS_DATA_DIR": str(data_dir),
        "RAY_USAGE_STATS_ENABLED": "0",
        "IQTIBAS_MODEL_CACHE_DIR": os.environ.get(
            "IQTIBAS_MODEL_CACHE_DIR", "/tmp/iqtibas-model-cache"
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", "--quiet", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _vectors(data_dir: Path) -> dict[tuple[str, int], np.ndarray]:
    with sqlite3.connect(data_dir / "documents.sqlite3") as connection:
        rows = connection.execute(
            "SELECT a.doc_id, s.position, s.vector FROM sentences s"
            " JOIN articles a ON a.key = s.article"
        ).fetchall()
    return {(doc_id, position): np.frombuffer(blob, np.float16) for doc_id, position, blob in rows}


@pytest.mark.slow
def test_ingest_on_a_local_ray_with_the_real_model_matches_a_local_ingest(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text((FIXTURES / "corpus.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    count = len(corpus.read_text(encoding="utf-8").splitlines())
    _ingest(tmp_path / "local", str(corpus))
    output = _ingest(tmp_path / "ray", "--ray", str(corpus))
    assert f"Indexed {count} article(s)" in output
    local, distributed = _vectors(tmp_path / "local"), _vectors(tmp_path / "ray")
    assert local.keys() == distributed.keys()
    for key, vector in local.items():
        # the same model and batches; the actor runs on fewer threads
        assert float(vector.astype(np.float32) @ distributed[key].astype(np.float32)) > 0.999
    # the rerun skips every article
    again = _ingest(tmp_path / "ray", "--ray", str(corpus))
    assert f"Indexed 0 article(s) ({count} unchanged, skipped)" in again


@pytest.mark.slow
def test_ingest_joins_a_running_cluster_by_its_address(tmp_path: Path) -> None:
    ray_command = Path(sys.executable).parent / "ray"
    if not ray_command.exists():
        pytest.skip("the ray command is missing: pip install -e '.[ray]'")
    port = free_port()
    # the cluster's shared secret (Ray 2.60 authenticates cluster connections with a token)
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    start = ["start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false"]
    head = subprocess.Popen(
        [str(ray_command), *start, "--disable-usage-stats", "--block"],
        env={**os.environ, **token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the node's processes share the group, for the cleanup
    )
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert head.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(0.5)
        articles = FIXTURES / "corpus.jsonl"
        count = len(articles.read_text(encoding="utf-8").splitlines())
        output = _ingest(
            tmp_path / "index", "--ray", f"127.0.0.1:{port}", str(articles), extra=token
        )
        assert f"Indexed {count} article(s)" in output
    finally:
        # the whole node: ray start --block, its GCS, raylet and workers
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)
        head.wait(timeout=30)
        # ray start records its cluster for later ray.init() calls; this one is gone
        recorded = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        with contextlib.suppress(OSError):
            if recorded.read_text().strip().endswith(f":{port}"):
                recorded.unlink()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
