"""Annotated dependency aliases: routers declare what they need, not how it is built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.auth import Access
from service.errors import ApiError
from service.services import AskService, DocumentService, IngestService
from service.state import AppState, Services


def get_state(request: Request) -> AppState:
    state = request.app.state.iqtibas
    assert isinstance(state, AppState)
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_services(state: StateDep) -> Services:
    return state.services()


ServicesDep = Annotated[Services, Depends(get_services)]


def get_ask_service(services: ServicesDep) -> AskService:
    return services.ask


def get_document_service(services: ServicesDep) -> DocumentService:
    return services.documents


def get_ingest_service(services: ServicesDep) -> IngestService:
    return services.ingest


AskServiceDep = Annotated[AskService, Depends(get_ask_service)]
DocumentServiceDep = Annotated[DocumentService, Depends(get_document_service)]
IngestServiceDep = Annotated[IngestService, Depends(get_ingest_service)]


def require_read(request: Request, state: StateDep) -> None:
    state.authorizer.check(Access.READ, request.headers.get("authorization"))


def require_write(request: Request, state: StateDep) -> None:
    state.authorizer.check(Access.WRITE, request.headers.get("authorization"))


def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise ApiError(
            "unsupported_media_type",
            f"send the body as JSON with 'Content-Type: application/json' "
            f"(got {content_type[:100] or 'no Content-Type'!r})",
        )


# for a route's ``dependencies=[...]``: checks that produce nothing the route uses
ReadAccess = Depends(require_read)
WriteAccess = Depends(require_write)
JsonBody = Depends(require_json)
