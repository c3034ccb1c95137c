"""App fixtures: the HTTP app over the fixture corpus and the fast hashing embedder."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from index.article import Article
from index.corpus import Corpus
from service.app import create_app
from service.settings import Settings, get_settings
from tests.conftest import HashingEmbedder

WRITE_KEY = "test-write-key"
READ_KEY = "test-read-key"
AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}

ClientFactory = Callable[..., TestClient]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "index",
        "api_key": WRITE_KEY,
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def answerer(small_corpus: Corpus) -> Answerer:
    return Answerer(small_corpus)


@pytest.fixture
def make_client(answerer: Answerer, tmp_path: Path) -> Iterator[ClientFactory]:
    """Clients over one shared answerer; each runs the app's lifespan and is closed after."""
    with contextlib.ExitStack() as stack:

        def make(answerer_: Answerer | None = None, **overrides: Any) -> TestClient:
            app = create_app(make_settings(tmp_path, **overrides), answerer=answerer_ or answerer)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The shared error shape, with the expected status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


@pytest.fixture
def existing_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_articles: list[Article]
) -> Iterator[Path]:
    """An index of the fixture corpus, made with the hashing embedder, that the settings
    (IQTIBAS_DATA_DIR) point at."""
    directory = tmp_path / "index"
    corpus = Corpus(directory, HashingEmbedder())
    corpus.add(fixture_articles)
    corpus.close()
    monkeypatch.setenv("IQTIBAS_DATA_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()
