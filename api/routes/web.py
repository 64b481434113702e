"""The pre-check page: ``GET /`` and its few static files (``api/static/``), no API key needed.

The page holds no secret and no data: it calls ``/v1/*`` from the browser, with the key the user
types when the service asks for one. Files are served from a fixed list built at import (no path
from the request ever reaches the file system), with a strict Content-Security-Policy: scripts,
styles and requests only from this origin, so the page works offline and injected markup cannot
run or phone home.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import StaticNotFound

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# ``blob:`` in connect-src is not needed: the downloads are blob: links, navigations. ``media-src blob:``
# is the one source beyond this origin: the frame strip plays the dropped video from an object URL in a
# detached <video> (its frames become data: images), so the file never leaves the page for a preview.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Small files, changed with each release: always revalidate (ETag/Last-Modified make it cheap).
    "Cache-Control": "no-cache",
}

FILES: dict[str, Path] = {
    path.name: path for path in sorted(STATIC_DIR.glob("*")) if path.is_file() and path.suffix in MEDIA_TYPES
}

router = APIRouter(tags=["web"], include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = FILES.get(name)
    if path is None:
        raise StaticNotFound("Aucune ressource à cette adresse.", "Nothing at this address.")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=HEADERS)


@router.get("/")
async def page() -> FileResponse:
    """The pre-check page (French)."""
    return _file("index.html")


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    return _file(name)
