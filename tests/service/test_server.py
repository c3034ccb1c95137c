"""serve(): a model or index that cannot be loaded stops the server with a clear message."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from index.answerer import Answerer
from index.manifest import ModelMismatchError
from service import server
from service.settings import Settings
from tests.service.conftest import make_settings
from tests.service.server_process import free_port


def test_a_failed_load_stops_the_server_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_loader(settings: Settings) -> object:
        def load() -> Answerer:
            raise ModelMismatchError("the index was built with another model")

        return load

    monkeypatch.setattr("service.app._default_loader", failing_loader)
    monkeypatch.setattr(server, "configure_logging", lambda level: None)
    settings = make_settings(tmp_path, host="127.0.0.1", port=free_port(), torch_threads=0)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            server.serve(settings)
        except BaseException as error:
            outcome.append(error)

    # its own thread: an event loop may already run in this one (Playwright's sync API does)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], SystemExit)
    assert "the index was built with another model" in str(outcome[0])
