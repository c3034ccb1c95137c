from __future__ import annotations

from fastapi import APIRouter

from service.auth import Access
from service.dependencies import AskServiceDep, JsonBody, ReadAccess
from service.openapi import access, error_responses
from service.schemas import AskRequest, AskResponse

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    response_model_exclude_none=True,
    summary="Answer a question with verbatim quotes",
    description="Retrieves the passages that best answer the question and returns the "
    "sentences that answer it, best first, each with its article id and character offsets "
    "(text == article.text[start:end]). When the sources do not answer, answerable is false "
    "and the quotes are related reading. The cost of one question is bounded: a question is "
    "read up to IQTIBAS_QUESTION_CHARACTERS_READ characters and at most "
    "IQTIBAS_MAX_TRANSLATED_WORDS English words are translated; `limits` says what a longer "
    "question lost. The body may be at most IQTIBAS_MAX_ASK_BODY_BYTES.",
    dependencies=[ReadAccess, JsonBody],
    responses=error_responses(400, 401, 413, 415, 422, 429, 503),
    openapi_extra=access(Access.READ),
)
def ask(body: AskRequest, service: AskServiceDep) -> AskResponse:
    return service.ask(body)
