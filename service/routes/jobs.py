from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.auth import Access
from service.dependencies import IngestServiceDep, ReadAccess
from service.openapi import access, error_responses
from service.schemas import Job

router = APIRouter(tags=["documents"])


@router.get(
    "/jobs/{job_id}",
    response_model=Job,
    summary="Progress of a queued change (an ingest batch or a delete)",
    description="Articles reported created, replaced or deleted are durable. Jobs are "
    "journalled: a restart resumes unfinished ones in order, and the newest "
    "IQTIBAS_JOBS_KEPT finished ones are still reported. A read-only replica holds no jobs "
    "(403 read_only_replica): ask the writer.",
    dependencies=[ReadAccess],
    responses=error_responses(401, 403, 404, 422, 429, 503),
    openapi_extra=access(Access.READ),
)
def get_job(
    job_id: Annotated[
        str,
        Path(description="From the 202 response.", examples=["3f2c1d0e9b8a47f6a5b4c3d2e1f0a9b8"]),
    ],
    service: IngestServiceDep,
) -> Job:
    return service.job(job_id)
