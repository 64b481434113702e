"""``GET /docs``: the interactive OpenAPI documentation, served whole by the service.

FastAPI's default page loads Swagger UI from a CDN; editors' and the ANS's networks may not reach it,
and the service promises to work offline. The Swagger UI files come from the ``swagger-ui-bundle-v2``
package (Swagger UI 5, which reads OpenAPI 3.1) and are served from a fixed list, like the pre-check page.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from api.errors import NOT_FOUND, StaticNotFound

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="segur-preuves — API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise StaticNotFound(*NOT_FOUND)
    return FileResponse(swagger_ui_path / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
