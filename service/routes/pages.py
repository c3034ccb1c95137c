"""Non-API pages: the chat page and the API docs; neither is in the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from service.errors import NotFoundError
from service.openapi import docs_page

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        raise NotFoundError("the chat page is not installed; the API is described at /docs")
    return FileResponse(index, media_type="text/html; charset=utf-8")


@router.get("/docs")
def api_docs(request: Request) -> HTMLResponse:
    return docs_page(request.app.openapi_url or "/openapi.json", f"{request.app.title} API")
