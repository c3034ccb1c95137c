"""Helpers for the chat page tests: Chromium, servers on free ports, and a watch on what a
page does (requests, dialogs, errors, Content-Security-Policy reports)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import PROJECT_ROOT
from tests.service.server_process import free_port, iqtibas_serve

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (Playwright's own browser download is not used)."""
    for candidate in (
        os.environ.get("IQTIBAS_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is missing: apt-get install chromium (or set IQTIBAS_CHROMIUM)")


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """The app under uvicorn in a background thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="chat-page-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def serve_in_process(data_dir: Path, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    """`iqtibas serve` with the real model and no rate limit; yields its base URL."""
    with iqtibas_serve(data_dir, log_path, {"IQTIBAS_RATE_LIMIT_PER_MINUTE": "0", **env}) as (
        base_url,
        _,
    ):
        yield base_url


@dataclass
class PageWatch:
    """What a page did: every request URL, dialogs (alert, confirm...), uncaught errors and
    console messages."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def foreign_requests(self) -> list[str]:
        return [
            url
            for url in self.requests
            if not url.startswith(self.base_url + "/") and not url.startswith("data:")
        ]

    def csp_reports(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]

    def check(self) -> None:
        """Nothing left the origin, nothing was blocked by the policy, nothing threw."""
        assert not self.foreign_requests(), self.foreign_requests()
        assert not self.csp_reports(), self.csp_reports()
        assert not self.page_errors, self.page_errors


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """A PNG under docs/screenshots/. A full page is taken with the viewport stretched to the
    page's height, so that the sticky question box sits at the bottom as it does on screen
    (a scrolling capture would paint it in the middle)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    if not full_page:
        page.screenshot(path=str(path), animations="disabled")
        return path
    viewport = page.viewport_size
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    try:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), animations="disabled")
    finally:
        page.set_viewport_size(viewport)
    return path
