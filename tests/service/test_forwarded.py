"""X-Forwarded-For counts only from configured proxies: the client address of rate limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError

from index.answerer import Answerer
from service import server
from service.app import create_app
from service.middleware.forwarded import TrustedProxies
from service.settings import Settings
from tests.service.conftest import assert_error, make_settings


def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings(_env_file=None).trusted_proxies == []  # type: ignore[call-arg]
    assert TrustedProxies([]).client("127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_a_bad_proxy_entry_is_a_settings_error() -> None:
    with pytest.raises(ValidationError, match=r"proxy\.example"):
        Settings(_env_file=None, trusted_proxies=["proxy.example"])  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),  # a trusted proxy
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),  # anyone else
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two proxies of ours
        # a client that writes its own header before our proxy appends the real address
        ("10.0.0.5", "1.1.1.1, 198.51.100.4", "198.51.100.4"),
        ("10.0.0.5", "garbage, 198.51.100.4", "198.51.100.4"),
        ("10.0.0.5", "198.51.100.4, garbage", "10.0.0.5"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("10.0.0.5", None, "10.0.0.5"),
    ],
)
def test_the_client_is_the_nearest_untrusted_address(
    peer: str, forwarded: str | None, client: str
) -> None:
    assert TrustedProxies(["10.0.0.0/24", "::1"]).client(peer, forwarded) == client


def _limited_client(app: Any, peer: str) -> TestClient:
    return TestClient(app, client=(peer, 50000), raise_server_exceptions=False)


def test_rate_limits_ignore_forwarded_for_from_a_loopback_client(
    answerer: Answerer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app exactly as `iqtibas serve` runs it: uvicorn must not rewrite the client from
    the header either (it trusts loopback by default)."""
    configs: list[uvicorn.Config] = []

    class CapturingServer:
        def __init__(self, config: uvicorn.Config) -> None:
            configs.append(config)

        def run(self) -> None:
            pass

    monkeypatch.setattr(server.uvicorn, "Server", CapturingServer)
    monkeypatch.setattr(server, "configure_logging", lambda level: None)
    monkeypatch.setattr(server, "limit_threads", lambda threads: None)
    monkeypatch.setattr(
        server,
        "create_app",
        lambda settings: create_app(settings, answerer=answerer),
    )
    server.serve(make_settings(tmp_path, rate_limit_per_minute=2))
    (config,) = configs
    config.load()
    with _limited_client(config.loaded_app, "127.0.0.1") as client:
        for number in range(2):
            headers = {"X-Forwarded-For": f"203.0.113.{number}"}
            assert client.get("/documents", headers=headers).status_code == 200
        refused = client.get("/documents", headers={"X-Forwarded-For": "203.0.113.77"})
        assert_error(refused, 429, "rate_limited")


def test_rate_limits_count_the_forwarded_client_behind_a_trusted_proxy(
    answerer: Answerer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, rate_limit_per_minute=2, trusted_proxies=["127.0.0.1"])
    with _limited_client(create_app(settings, answerer=answerer), "127.0.0.1") as client:
        for number in range(4):
            headers = {"X-Forwarded-For": f"203.0.113.{number}"}
            assert client.get("/documents", headers=headers).status_code == 200
        for _ in range(2):
            assert client.get("/documents", headers={"X-Forwarded-For": "198.51.100.1"}).is_success
        refused = client.get("/documents", headers={"X-Forwarded-For": "198.51.100.1"})
        assert_error(refused, 429, "rate_limited")
