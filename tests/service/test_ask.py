"""POST /ask: quotes that are verbatim slices of their articles, filters, and every refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.answerer import Answerer
from service.bootstrap import answer_config
from tests.service.conftest import ClientFactory, assert_error, make_settings

WEATHER_SENTENCE = "أعلنت هيئة الأرصاد الجوية المصرية أن درجات الحرارة في القاهرة ستصل إلى 43 درجة مئوية يوم الخميس."
SPACE_SENTENCE = (
    "A European space probe entered orbit around Jupiter on Tuesday after an eight-year journey."
)


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/ask", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_matching_sentence_is_the_first_quote_and_offsets_are_verbatim(
    client: TestClient,
) -> None:
    answer = _ask(client, question=WEATHER_SENTENCE, top_k=3)
    assert answer["question"] == WEATHER_SENTENCE
    assert answer["answerable"] is True
    assert isinstance(answer["took_ms"], float)
    first = answer["quotes"][0]
    assert first["doc_id"] == "ar-weather"
    assert first["text"] == WEATHER_SENTENCE
    assert first["title"] == "موجة حر في القاهرة"
    scores = [quote["score"] for quote in answer["quotes"]]
    assert scores == sorted(scores, reverse=True)
    for quote in answer["quotes"]:
        text = client.get(f"/documents/{quote['doc_id']}").json()["text"]
        assert text[quote["start"] : quote["end"]] == quote["text"]
        context = quote["context"]
        assert text[context["start"] : context["end"]] == context["text"]
        assert context["start"] <= quote["start"] <= quote["end"] <= context["end"]


def test_an_english_question_over_an_english_article(client: TestClient) -> None:
    answer = _ask(client, question="space probe entered orbit around Jupiter on Tuesday")
    assert answer["quotes"][0]["text"] == SPACE_SENTENCE


def test_top_k_bounds_the_number_of_quotes(client: TestClient) -> None:
    assert len(_ask(client, question=WEATHER_SENTENCE, top_k=1)["quotes"]) == 1
    assert len(_ask(client, question=WEATHER_SENTENCE, top_k=5)["quotes"]) == 5


def test_unanswerable_questions_still_return_related_reading(client: TestClient) -> None:
    answer = _ask(client, question="lattice quantum chromodynamics renormalisation")
    assert answer["answerable"] is False
    assert answer["quotes"], "related reading is returned even when not answerable"


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        ({"lang": "en"}, {"en-space"}),
        ({"doc_ids": ["ar-economy"]}, {"ar-economy"}),
        ({"doc_ids": ["ar-economy", "en-space"]}, {"ar-economy", "en-space"}),
        ({"source": "wire"}, {"ar-economy", "en-space"}),
        ({"published_from": "2025-08-01"}, {"ar-economy", "en-space"}),
        ({"published_to": "2024-12-31"}, {"ar-science"}),
        (
            {"published_from": "2025-05-01", "published_to": "2025-07-31"},
            {"ar-football", "ar-weather"},
        ),
        ({"lang": "ar", "source": "wire"}, {"ar-economy"}),
    ],
)
def test_filters_restrict_the_articles_quoted(
    client: TestClient, filters: dict[str, Any], allowed: set[str]
) -> None:
    answer = _ask(client, question=WEATHER_SENTENCE, top_k=10, filters=filters)
    quoted = {quote["doc_id"] for quote in answer["quotes"]}
    assert quoted and quoted <= allowed


@pytest.mark.parametrize(
    "filters",
    [
        {"doc_ids": []},
        {"doc_ids": ["no-such-article"]},
        {"lang": "fr"},
        {"published_from": "2030-01-01"},
    ],
)
def test_filters_that_match_nothing_give_no_quotes(
    client: TestClient, filters: dict[str, Any]
) -> None:
    answer = _ask(client, question=WEATHER_SENTENCE, filters=filters)
    assert answer == {**answer, "answerable": False, "quotes": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   \n\t "}, "question"),
        ({"question": "\u3000\u00a0"}, "question"),
        ({"question": 42}, "question"),
        ({"question": None}, "question"),
        ({"question": "x", "top_k": 0}, "top_k"),
        ({"question": "x", "top_k": 21}, "top_k"),
        ({"question": "x", "top_k": 2.5}, "top_k"),
        ({"question": "x", "top_k": "3"}, "top_k"),
        ({"question": "x", "top_k": True}, "top_k"),
        ({"question": "x", "topk": 3}, "topk"),
        ({"question": "x", "filters": {"published_from": "2025-02-30"}}, "published_from"),
        ({"question": "x", "filters": {"published_from": "yesterday"}}, "published_from"),
        ({"question": "x", "filters": {"published_to": 20250101}}, "published_to"),
        ({"question": "x", "filters": {"published_to": "2025-1-1"}}, "published_to"),
        ({"question": "x", "filters": {"lang": "not a language"}}, "lang"),
        ({"question": "x", "filters": {"doc_ids": "ar-weather"}}, "doc_ids"),
        ({"question": "x", "filters": {"colour": "red"}}, "colour"),
        ({"question": "x", "filters": []}, "filters"),
    ],
)
def test_invalid_questions_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    error = assert_error(client.post("/ask", json=body), 422, "validation_error")
    assert any(field in detail["loc"] for detail in error["details"]), error


def test_a_question_over_the_configured_length_is_422(make_client: ClientFactory) -> None:
    client = make_client(max_question_characters=50)
    assert client.post("/ask", json={"question": "x" * 50}).status_code == 200
    error = assert_error(client.post("/ask", json={"question": "x" * 51}), 422)
    assert error["details"][0]["loc"] == ["body", "question"]
    assert "50 characters" in error["message"]


def test_an_unpaired_surrogate_is_422_not_a_crash(client: TestClient) -> None:
    response = client.post(
        "/ask", content=b'{"question": "\\ud800 x"}', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 422, "validation_error")


def test_a_whitespace_question_gets_a_plain_message(client: TestClient) -> None:
    error = assert_error(client.post("/ask", json={"question": "  "}), 422)
    assert error["message"] == "the question is empty or only spaces or zero-width characters"


@pytest.mark.parametrize(
    "content",
    [b'{"question": ', b"{'question': 'x'}", b"question=x", b'{"question": "x"} trailing'],
)
def test_malformed_json_is_400(client: TestClient, content: bytes) -> None:
    response = client.post("/ask", content=content, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed_json")


def test_a_body_that_is_not_utf8_is_400(client: TestClient) -> None:
    response = client.post(
        "/ask", content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_not_sent_as_json_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/ask", content=b'{"question": "x"}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/problem+json"):
        response = client.post(
            "/ask", content=b'{"question": "x"}', headers={"Content-Type": content_type}
        )
        assert response.status_code == 200, response.text


def test_a_long_question_is_answered_with_what_the_cost_caps_left_out(
    make_client: ClientFactory, answerer: Answerer, tmp_path: Path
) -> None:
    caps = {"question_characters_read": 60, "max_translated_words": 3}
    configured = Answerer(answerer.corpus, answer_config(make_settings(tmp_path, **caps)))
    client = make_client(configured, **caps)
    question = "cairo temperature thursday " + "unknownword " * 20 + "tail"
    body = client.post("/ask", json={"question": question}).json()
    assert body["question"] == question
    limits = body["limits"]
    assert limits["ignored_text"].endswith("unknownword tail")
    assert limits["untranslated_words"] == ["unknownword"]
    # an ordinary question carries no limits at all
    assert "limits" not in client.post("/ask", json={"question": "القاهرة"}).json()


def test_the_limits_are_in_the_published_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["AskLimits"]["properties"]) == {"ignored_text", "untranslated_words"}
    assert "limits" in schema["AskResponse"]["properties"]
