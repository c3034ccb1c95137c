"""The smoke check run inside the image's ``smoke`` build stage (see ``Dockerfile``).

It asks the seed question with ``iqtibas ask`` and checks that the answer quotes the seed
article verbatim, then starts ``iqtibas serve``, waits for ``/ready`` and checks an ``/ask``.
Only the standard library is used, so the check needs nothing the image does not carry.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

QUESTION = "Who proposed a 30-day ceasefire?"
# the seed sentence that answers it: Zelensky and the 30-day ceasefire
EXPECTED_WORDS = ("زيلينسكي", "30")
PORT = 8765
READY_WITHIN_S = 300.0


def seed_texts(seeds_dir: Path) -> dict[str, str]:
    manifest = json.loads((seeds_dir / "manifest.json").read_text(encoding="utf-8"))
    # the whole file: a quote is a span of the article, which is the file's text
    return {
        entry["id"]: (seeds_dir / entry["file"]).read_text(encoding="utf-8") for entry in manifest
    }


def check_quotes(answer: dict[str, Any], seeds: dict[str, str], where: str) -> str:
    quotes = answer.get("quotes") or []
    if not answer.get("answerable") or not quotes:
        raise SystemExit(f"{where}: no answer: {answer}")
    first = quotes[0]
    if first["doc_id"] not in seeds:
        raise SystemExit(f"{where}: quote from an unknown article: {first}")
    # a quote must be a verbatim span of the seed article
    if first["text"] not in seeds[first["doc_id"]]:
        raise SystemExit(f"{where}: the quote is not in the seed article: {first['text']!r}")
    if not all(word in first["text"] for word in EXPECTED_WORDS):
        raise SystemExit(f"{where}: the quote does not answer the question: {first['text']!r}")
    span = f"[{first['start']}, {first['end']})"
    print(f"{where}: ok: «{first['text']}» doc {first['doc_id']} {span}")
    return str(first["text"])


def check_cli(seeds: dict[str, str]) -> None:
    output = subprocess.run(
        ["iqtibas", "ask", "--json", QUESTION], check=True, capture_output=True, text=True
    ).stdout
    check_quotes(json.loads(output), seeds, "iqtibas ask")


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"iqtibas serve exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=5) as response:
                if response.status == 200:
                    ready: dict[str, Any] = json.load(response)
                    return ready
        except OSError:
            pass  # not listening yet, or 503 until the model and index are loaded
        time.sleep(1)
    raise SystemExit(f"/ready did not answer 200 within {READY_WITHIN_S:.0f} s")


def check_server(seeds: dict[str, str]) -> None:
    base = f"http://127.0.0.1:{PORT}"
    server = subprocess.Popen(["iqtibas", "serve", "--host", "127.0.0.1", "--port", str(PORT)])
    try:
        started = time.monotonic()
        ready = wait_ready(base, server)
        print(f"/ready after {time.monotonic() - started:.1f} s: {ready}")
        request = urllib.request.Request(
            f"{base}/ask",
            data=json.dumps({"question": QUESTION, "top_k": 1}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            check_quotes(json.load(response), seeds, "POST /ask")
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> int:
    seeds = seed_texts(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("seeds"))
    check_cli(seeds)
    check_server(seeds)
    print("smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
