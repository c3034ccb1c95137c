"""/docs: Swagger UI from the files its package ships, under the app's strict policy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.middleware.context import STRICT_CSP
from service.routes.pages import SWAGGER_UI_DIR


def test_the_docs_page_names_only_local_assets_under_the_strict_policy(
    client: TestClient,
) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == STRICT_CSP
    page = response.text
    assert "://" not in page, "a remote asset"
    assert not re.search(r"<script(?![^>]*\ssrc=)", page), "an inline script"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/docs/assets/swagger-ui-bundle.js" in assets and "/static/docs.js" in assets
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
    assert 'data-openapi-url="/openapi.json"' in page


def test_the_docs_assets_are_swagger_ui_5(client: TestClient) -> None:
    # Swagger UI 4 (the swagger-ui-bundle package) cannot render the OpenAPI 3.1 document
    # FastAPI writes; swagger-ui-bundle-v2 ships 5
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert re.fullmatch(r"swagger-ui-5\.\d+\.\d+", SWAGGER_UI_DIR.name)
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
