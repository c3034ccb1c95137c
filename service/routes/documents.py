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


def _accepted(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        202: {
            "model": Job,
            "description": description,
            "headers": {
                "Location": {"description": "/jobs/{job_id}", "schema": {"type": "string"}}
            },
            "content": {"application/json": {"example": example_of(Job)}},
        }
    }


def _job_response(job: Job) -> JSONResponse:
    return JSONResponse(
        job.model_dump(mode="json"), status_code=202, headers={"Location": f"/jobs/{job.job_id}"}
    )


@router.post(
    "/documents",
    response_model=IngestResult,
    summary="Add or replace articles",
    description="Every article is validated first; if any is invalid the batch is refused "
    "(422, naming it) and nothing is stored. A valid batch is written to the write queue's "
    "journal before any answer, and applied after every change accepted before it. A small "
    "batch (at most IQTIBAS_SYNC_BATCH_ARTICLES) is waited for: 200 once durable. A larger one, "
    "or a small one still waiting after IQTIBAS_SYNC_WRITE_WAIT_SECONDS, answers 202 with its "
    "job, whose progress only counts articles already durable and which survives a restart. "
    "429 with Retry-After when IQTIBAS_MAX_QUEUED_JOBS changes are waiting.",
    dependencies=[WriteAccess, JsonBody],
    responses={
        **_accepted("Queued as a job; follow it at the Location, GET /jobs/{job_id}."),
        **error_responses(400, 401, 403, 409, 413, 415, 422, 429, 500, 503),
    },
    openapi_extra=access(Access.WRITE),
)
def add_documents(body: IngestRequest, service: IngestServiceDep) -> IngestResult | JSONResponse:
    result = service.ingest(body)
    return _job_response(result) if isinstance(result, Job) else result


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
    description="Queued behind every change accepted before it, like an add. Durable when "
    "answered 200; 202 with its job when earlier changes take longer than "
    "IQTIBAS_SYNC_WRITE_WAIT_SECONDS (the job then reports deleted or not_found).",
    dependencies=[WriteAccess],
    responses={
        **_accepted("Still queued behind earlier changes; follow it at the Location."),
        **error_responses(401, 403, 404, 422, 429, 500, 503),
    },
    openapi_extra=access(Access.WRITE),
)
def delete_document(doc_id: DocIdPath, service: DocumentServiceDep) -> Deleted | JSONResponse:
    result = service.delete(doc_id)
    return _job_response(result) if isinstance(result, Job) else result
