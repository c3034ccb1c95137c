from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from service.auth import Access
from service.dependencies import (
    DocumentServiceDep,
    IngestServiceDep,
    JsonBody,
    ReadAccess,
    WriteAccess,
)
from service.openapi import access, error_responses
from service.schemas import (
    Deleted,
    Document,
    DocumentPage,
    IngestRequest,
    IngestResult,
    Job,
    example_of,
)

router = APIRouter(tags=["documents"])

DocIdPath = Annotated[
    str,
    Path(
        description="The article id, percent-encoded (it may contain '/').",
        examples=["ar-weather"],
    ),
]

_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": Job,
        "description": "A batch larger than IQTIBAS_SYNC_BATCH_ARTICLES was queued as a job; "
        "follow it at the Location, GET /jobs/{job_id}.",
        "headers": {"Location": {"description": "/jobs/{job_id}", "schema": {"type": "string"}}},
        "content": {"application/json": {"example": example_of(Job)}},
    }
}


@router.post(
    "/documents",
    response_model=IngestResult,
    summary="Add or replace articles",
    description="Every article is validated first; if any is invalid the batch is refused "
    "(422, naming it) and nothing is stored. A small batch is stored before the response (200, "
    "durable). A larger one becomes a background job (202) whose progress only counts "
    "articles already durable; questions keep being answered meanwhile.",
    dependencies=[WriteAccess, JsonBody],
    responses={**_ACCEPTED, **error_responses(400, 401, 403, 409, 413, 415, 422, 429, 503)},
    openapi_extra=access(Access.WRITE),
)
def add_documents(body: IngestRequest, service: IngestServiceDep) -> IngestResult | JSONResponse:
    result = service.ingest(body)
    if isinstance(result, Job):
        return JSONResponse(
            result.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/jobs/{result.job_id}"},
        )
    return result


@router.get(
    "/documents",
    response_model=DocumentPage,
    summary="List articles (without their text)",
    dependencies=[ReadAccess],
    responses=error_responses(401, 422, 429, 503),
    openapi_extra=access(Access.READ),
)
def list_documents(
    service: DocumentServiceDep,
    offset: Annotated[int, Query(ge=0, le=2**31, description="Articles to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Articles to return.")] = 20,
) -> DocumentPage:
    return service.list(offset, limit)


@router.get(
    "/documents/{doc_id:path}",
    response_model=Document,
    summary="One article with its text and metadata",
    dependencies=[ReadAccess],
    responses=error_responses(401, 404, 422, 429, 503),
    openapi_extra=access(Access.READ),
)
def get_document(doc_id: DocIdPath, service: DocumentServiceDep) -> Document:
    return service.get(doc_id)


@router.delete(
    "/documents/{doc_id:path}",
    response_model=Deleted,
    summary="Delete an article",
    description="Durable when answered. Refused (409) while an ingest job is queued or "
    "running, so that the order of changes is the order they were asked in.",
    dependencies=[WriteAccess],
    responses=error_responses(401, 403, 404, 409, 422, 429, 503),
    openapi_extra=access(Access.WRITE),
)
def delete_document(doc_id: DocIdPath, service: DocumentServiceDep) -> Deleted:
    return service.delete(doc_id)
