"""The contract's character rules agree with what the index does with the text."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.schemas import _SPACE, DocumentIn
from tests.service.conftest import AUTH, assert_error


def test_the_space_class_is_exactly_what_str_isspace_accepts() -> None:
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    matched = {chr(c) for c in range(0x110000) if re.fullmatch(f"[{_SPACE}]", chr(c))}
    assert matched == spaces


@pytest.mark.parametrize("blank", ["\x85", "\u3000", "\x1c\x1d", "\u2028 \t"])
def test_text_that_python_strips_to_nothing_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError):
        DocumentIn.model_validate({"id": "x", "text": blank})
    with pytest.raises(ValidationError):
        DocumentIn.model_validate({"id": blank, "text": "x"})


@pytest.mark.parametrize("kept", ["\ufeffx", "a\u200bb", "ك"])
def test_text_with_a_visible_character_is_accepted(kept: str) -> None:
    assert DocumentIn.model_validate({"id": kept, "text": kept}).text == kept


@pytest.mark.parametrize(
    "bad_id",
    [
        "a\x85b",  # C1 control (NEXT LINE)
        "\x80",
        "doc\x9f",
        "report\u202egpj.exe",  # right-to-left override: shows as "reportexe.jpg"
        "a\u2066b\u2069",  # bidi isolates
        "x\u200fy",  # right-to-left mark
        "\u200b",  # only zero-width characters
        "\u200b\u200c\u2060\ufeff",
        " \u200d ",
    ],
)
def test_ids_with_c1_bidi_or_only_invisible_characters_are_422(
    client: TestClient, bad_id: str
) -> None:
    response = client.post(
        "/documents", json={"documents": [{"id": bad_id, "text": "نص"}]}, headers=AUTH
    )
    error = assert_error(response, 422, "validation_error")
    assert "visible character" in error["message"] and "bidirectional" in error["message"]
    assert error["details"][0]["loc"] == ["body", "documents", 0, "id"]
    # the same rule for ids in a filter
    response = client.post("/ask", json={"question": "x", "filters": {"doc_ids": [bad_id]}})
    assert "visible character" in assert_error(response, 422, "validation_error")["message"]


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u200d", "\ufeff\u2060", "\xad"])
def test_a_text_or_question_of_only_zero_width_characters_is_422(
    client: TestClient, invisible: str
) -> None:
    response = client.post(
        "/documents", json={"documents": [{"id": "zw", "text": invisible}]}, headers=AUTH
    )
    error = assert_error(response, 422, "validation_error")
    assert error["message"] == "the article text is empty or only spaces or zero-width characters"
    assert client.get("/documents/zw").status_code == 404
    error = assert_error(client.post("/ask", json={"question": invisible}), 422)
    assert error["message"] == "the question is empty or only spaces or zero-width characters"


def test_article_text_keeps_bidi_marks_and_joiners() -> None:
    # Arabic and Persian text uses them; only ids refuse them
    text = "\u200fمي\u200cخواهم \u202bنص\u202c"
    assert DocumentIn.model_validate({"id": "fa", "text": text}).text == text


def test_the_published_id_pattern_is_the_enforced_one() -> None:
    schema = DocumentIn.model_json_schema()
    pattern = schema["properties"]["id"]["pattern"]
    for bad in ("\x85", "a\u202eb", "\u200b"):
        assert re.search(pattern, bad) is None
    assert re.search(pattern, "ar-weather") is not None
