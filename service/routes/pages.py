"""Non-API pages: the chat page and the API docs; neither is in the OpenAPI document. Also
the static files they load: the page's own and Swagger UI's, from its package."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope
from swagger_ui_bundle import swagger_ui_path

from service.errors import ApiError, NotFoundError
from service.openapi import docs_page

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SWAGGER_UI_DIR = Path(str(swagger_ui_path))

router = APIRouter(include_in_schema=False)


class StaticAssets(StaticFiles):
    """Static files whose 405 names what is allowed (Starlette's gives no Allow header)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise ApiError(
                "method_not_allowed",
                f"{scope['method']} is not allowed here; use GET or HEAD",
                headers={"Allow": "GET, HEAD"},
            )
        return await super().get_response(path, scope)


@router.get("/")
def chat_page() -> FileResponse:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        raise NotFoundError("the chat page is not installed; the API is described at /docs")
    return FileResponse(index, media_type="text/html; charset=utf-8")


@router.get("/docs")
def api_docs(request: Request) -> HTMLResponse:
    return docs_page(request.app.openapi_url or "/openapi.json", f"{request.app.title} API")
