"""Writes need the write key; reads are open unless a read key is set."""

from __future__ import annotations

import pytest

from service.auth import bearer_token
from tests.service.conftest import READ_KEY, WRITE_KEY, ClientFactory, assert_error

DOC = {"documents": [{"id": "auth-doc", "text": "نص قصير للاختبار."}]}


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {WRITE_KEY}"},
        {"Authorization": "Bearer"},
        {"Authorization": WRITE_KEY},
        {"Authorization": "Bearer " + WRITE_KEY[:-1]},
        {"Authorization": "Bearer clé-ünïcode".encode()},  # type: ignore[dict-item]
        {"Authorization": f"Bearer {READ_KEY}"},
    ],
)
def test_writes_without_the_write_key_are_401(
    make_client: ClientFactory, headers: dict[str, str | bytes]
) -> None:
    client = make_client(read_api_key=READ_KEY)
    response = client.post("/documents", json=DOC, headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_error(client.delete("/documents/ar-weather", headers=headers), 401)
    assert client.get("/documents/ar-weather", headers=_bearer(WRITE_KEY)).status_code == 200


def test_the_write_key_writes(make_client: ClientFactory) -> None:
    client = make_client()
    assert client.post("/documents", json=DOC, headers=_bearer(WRITE_KEY)).status_code == 200
    lowercase = {"Authorization": f"bearer {WRITE_KEY}"}
    assert client.delete("/documents/auth-doc", headers=lowercase).status_code == 200


def test_writes_are_403_with_instructions_when_no_key_is_configured(
    make_client: ClientFactory,
) -> None:
    client = make_client(api_key=None)
    error = assert_error(client.post("/documents", json=DOC), 403, "writes_disabled")
    assert "IQTIBAS_API_KEY" in error["message"] and "IQTIBAS_ALLOW_OPEN_WRITES" in error["message"]
    assert_error(client.delete("/documents/ar-weather"), 403, "writes_disabled")
    assert_error(client.post("/documents", json=DOC, headers=_bearer("anything")), 403)


def test_an_empty_key_counts_as_no_key(make_client: ClientFactory) -> None:
    client = make_client(api_key="")
    assert_error(client.post("/documents", json=DOC, headers=_bearer("")), 403)


def test_open_writes_need_no_key(make_client: ClientFactory) -> None:
    client = make_client(api_key=None, allow_open_writes=True)
    assert client.post("/documents", json=DOC).status_code == 200


def test_reads_are_open_without_a_read_key(make_client: ClientFactory) -> None:
    client = make_client()
    assert client.post("/ask", json={"question": "القاهرة"}).status_code == 200
    assert client.get("/documents").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/ask", {"question": "القاهرة"}),
        ("GET", "/documents", None),
        ("GET", "/documents/ar-weather", None),
        ("GET", "/jobs/0123", None),
    ],
)
def test_a_read_key_guards_reads_and_either_key_reads(
    make_client: ClientFactory, method: str, path: str, body: object
) -> None:
    client = make_client(read_api_key=READ_KEY)
    assert_error(client.request(method, path, json=body), 401, "unauthorized")
    assert_error(client.request(method, path, json=body, headers=_bearer("nope")), 401)
    for key in (READ_KEY, WRITE_KEY):
        response = client.request(method, path, json=body, headers=_bearer(key))
        assert response.status_code in (200, 404), response.text  # 404: the unknown job


def test_probes_and_docs_stay_open_with_a_read_key(make_client: ClientFactory) -> None:
    client = make_client(read_api_key=READ_KEY)
    for path in ("/health", "/ready", "/metrics", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Token abc", None),
        ("Bearer ", None),
    ],
)
def test_bearer_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token
