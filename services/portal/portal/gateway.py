"""The same-origin gateway: ``/api/<service>/<path>`` forwarded to the service with a short-lived
token of the signed-in person (the one synchronous call between parts of the platform by design).

The token is minted at each request from the portal's projection of the registry, so a child or a
class added since sign-in is in it, and it never reaches the browser. The service's answer comes
back as it is: a record of another child is the service's own 404.
"""

from datetime import timedelta
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request, Response
from service_kit.auth import mint_token
from service_kit.errors import NotFound, Problem, Unauthenticated

from portal.domain import Person, Route, link_allows
from portal.sessions import SignedIn
from portal.settings import Settings
from portal.store import PortalStore

router = APIRouter(tags=["gateway 网关"])
# If-Match and ETag carry a record's version both ways: a desk page saves from the version it
# opened, and the service refuses it (409 record-changed) when someone saved meanwhile.
FORWARDED_HEADERS = ("content-type", "accept", "accept-language", "idempotency-key", "if-match")
ANSWER_HEADERS = (
    "content-type",
    "content-disposition",
    "retry-after",
    "location",
    "idempotent-replayed",
    "etag",
)


def service_token(settings: Settings, person: Person) -> str:
    """A short-lived token of the person as the portal's projection has them now."""
    return mint_token(
        settings,
        subject=person.subject,
        role=person.role,
        district_id=person.district_id,
        school_id=person.school_id,
        class_ids=list(person.class_ids),
        student_ids=list(person.student_ids),
        lifetime=timedelta(seconds=settings.access_token_seconds),
    )


def http_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


Client = Annotated[httpx.AsyncClient, Depends(http_client)]


@router.api_route(
    "/api/{service}/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    summary="转发到各服务 (forwarded to registry, scheduling, notifications or reporting)",
)
async def forward(service: str, path: str, request: Request, session: SignedIn, client: Client) -> Response:
    settings: Settings = request.app.state.settings
    store: PortalStore = request.app.state.store
    base = settings.service_urls.get(service)
    if base is None:
        raise NotFound("服务")
    route = Route(request.method, service, f"/{path}")
    if session.link is not None and not link_allows(session.link, route):
        raise Problem(403, "link-scope", "此链接只能完成消息中的操作，请登录查看更多 (sign in for more)")
    person = await store.person(session.role, session.subject)
    if person is None:
        raise Unauthenticated("登录信息已失效，请重新登录 (please sign in again)")
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
    headers["authorization"] = f"Bearer {service_token(settings, person)}"
    try:
        answer = await client.request(
            request.method,
            f"{base}/{path}",
            params=list(request.query_params.multi_items()),
            content=await request.body(),
            headers=headers,
        )
    except httpx.HTTPError as exc:
        raise Problem(
            503, "unavailable", f"{service} 暂时无法访问，请稍后再试 (service unavailable)"
        ) from exc
    kept = {k: v for k, v in answer.headers.items() if k.lower() in ANSWER_HEADERS}
    return Response(answer.content, status_code=answer.status_code, headers=kept)
