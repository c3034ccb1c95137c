"""One error catalogue: every code raised is in it with its status, and the OpenAPI document
describes each error status with the catalogue's codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.error_catalogue import CATALOGUE, codes_with_status
from service.errors import ApiError

SERVICE = Path(__file__).resolve().parents[2] / "service"
# a code as the first argument of ApiError(...) or error_response(...)
_RAISED = re.compile(r"(?:ApiError|error_response)\(\s*\"([a-z_]+)\"")


def test_every_code_the_service_raises_is_catalogued() -> None:
    raised = {
        code
        for path in SERVICE.rglob("*.py")
        for code in _RAISED.findall(path.read_text(encoding="utf-8"))
    }
    assert raised, "the pattern found no raise: it no longer matches the code"
    assert raised <= set(CATALOGUE), raised - set(CATALOGUE)


def test_an_error_takes_its_status_from_the_catalogue() -> None:
    assert ApiError("write_queue_full", "busy").status_code == 429
    with pytest.raises(KeyError):
        ApiError("no_such_code", "not catalogued")


def test_the_openapi_document_lists_the_catalogue_codes_per_status(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    seen = 0
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                codes = {code.code for code in codes_with_status(int(status))}
                examples = response["content"]["application/json"]["examples"]
                assert set(examples) == codes
                for code in codes:
                    assert f"`{code}`" in response["description"]
                seen += 1
    assert seen > 20
