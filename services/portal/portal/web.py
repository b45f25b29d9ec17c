"""The built web app (services/portal/web/dist), served at ``/`` with a fallback to ``index.html``
for the app's own routes (``/inbox``, ``/messages/…``), and the headers every page carries."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

router = APIRouter(include_in_schema=False)
NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>家校社协同育人平台</title>
<main><h1>网页尚未构建</h1>
<p>请运行 <code>make up</code>（或 <code>deploy/local/web.sh</code>）构建网页。</p></main></html>"""
RESERVED = (
    "api/",
    "auth/",
    "calendar/",
    ".well-known/",
    "healthz",
    "readyz",
    "docs",
    "openapi.json",
    "asyncapi.json",
)
# No third-party origin is ever needed; no page may be framed; a link's token never leaves in a Referer.
SECURITY_HEADERS = {
    # Vant embeds its icon font as a data: URL
    "content-security-policy": "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


# The installable app's own files at the root of dist, never immutable: the service worker (checked
# for a new version at each visit; at the root, its scope is the whole origin without a
# Service-Worker-Allowed header) and the manifest.
APP_SHELL_TYPES = {
    "sw.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
}
SCHOOL_DATE_HEADER = "x-school-date"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # Today on the school clock, which the services' business dates follow: a phone's visit form
        # refuses a date after it before sending, and counts on from it while offline.
        response.headers.setdefault(SCHOOL_DATE_HEADER, request.app.state.settings.school_today().isoformat())
        return response


@router.get("/{path:path}")
def app_page(path: str, request: Request) -> Response:
    dist: Path = request.app.state.settings.web_dist
    if path.startswith(RESERVED):
        return Response(status_code=404)
    if path and not path.endswith("/"):
        asset = (dist / path).resolve()
        if asset.is_file() and dist.resolve() in asset.parents:
            if path in APP_SHELL_TYPES:
                return FileResponse(
                    asset,
                    media_type=APP_SHELL_TYPES[path],
                    headers={"cache-control": "no-cache"},
                )
            immutable = path.startswith("assets/")  # Vite puts a content hash in these names
            return FileResponse(
                asset, headers={"cache-control": "public, max-age=31536000, immutable"} if immutable else {}
            )
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return FileResponse(index, headers={"cache-control": "no-cache"})
