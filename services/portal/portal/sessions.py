"""Sessions in cookies, and the checks every request to /auth and /api passes (OWASP ASVS V6/V7).

- ``portal_session``: the session id, HttpOnly, Secure, SameSite=Strict; only its digest is stored.
- ``portal_csrf``: a random value JavaScript reads and echoes as ``X-CSRF-Token`` on every
  state-changing request (double submit); once signed in it must also equal the session's own.
- A request whose ``Origin`` is not the portal's, or that the browser marks as cross-site, is
  refused with 403 before anything else, so a session cookie sent from another origin does nothing.
Tokens for the services are minted per request by the gateway and never reach JavaScript.
"""

import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from service_kit.errors import Forbidden, Problem, Unauthenticated

from portal.domain import SESSION_LIFETIME, LinkScope, Person, Session, digest, new_secret
from portal.settings import Settings
from portal.store import PortalStore

SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
CSRF_HEADER = "x-csrf-token"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def refuse_other_origins(request: Request) -> None:
    """No answer to a page of another origin, whatever cookies it sends along."""
    settings: Settings = request.app.state.settings
    origin = request.headers.get("origin")
    if origin is not None and origin != origin_of(settings.public_url):
        raise Forbidden("不接受来自其他网站的请求 (cross-origin request refused)")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden("不接受来自其他网站的请求 (cross-site request refused)")


def require_csrf(request: Request, session: Session | None) -> None:
    if request.method not in STATE_CHANGING:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = session.csrf if session is not None else cookie
    # compared as bytes: a header may carry any latin-1 character, which compare_digest refuses as str
    if (
        not sent
        or not expected
        or not secrets.compare_digest(sent.encode(), expected.encode())
        or not secrets.compare_digest(sent.encode(), cookie.encode())
    ):
        raise Problem(403, "csrf", "页面已过期，请刷新后重试 (missing or wrong CSRF token)")


async def current_session(request: Request) -> Session | None:
    store: PortalStore = request.app.state.store
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = await store.session(digest(cookie))
    if session is None or not session.live(datetime.now(UTC)):
        return None
    return session


async def guarded_session(request: Request) -> Session | None:
    """The browser's session, if any, after the origin and CSRF checks."""
    refuse_other_origins(request)
    session = await current_session(request)
    require_csrf(request, session)
    return session


async def signed_in(session: Annotated[Session | None, Depends(guarded_session)]) -> Session:
    if session is None:
        raise Unauthenticated("请先登录 (please sign in)")
    return session


MaybeSession = Annotated[Session | None, Depends(guarded_session)]
SignedIn = Annotated[Session, Depends(signed_in)]


def set_cookie(response: Response, name: str, value: str, max_age: int, http_only: bool) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=http_only, samesite="strict"
    )


def issue_csrf(response: Response) -> str:
    token = new_secret()
    set_cookie(response, CSRF_COOKIE, token, 12 * 3600, http_only=False)
    return token


async def start_session(
    store: PortalStore, response: Response, person: Person, link: LinkScope | None = None
) -> Session:
    """A new session (a new id and a new CSRF value: nothing from before sign-in carries over)."""
    secret, now = new_secret(), datetime.now(UTC)
    kind: Literal["full", "link"] = "link" if link is not None else "full"
    expires = now + SESSION_LIFETIME[kind]
    if link is not None:
        expires = min(expires, link.expires_at)
    session = Session(digest(secret), person.subject, person.role, issue_csrf(response), expires, link, kind)
    await store.put_session(session, person)
    set_cookie(response, SESSION_COOKIE, secret, int((expires - now).total_seconds()), http_only=True)
    return session


def end_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=True, samesite="strict")
