"""One-tap links in messages: ``/l#<token>`` opens the message's page without a password.

The token travels in the fragment, which no request carries (not the scanners' that open links
before the guardian, nor the access log or a tracing span); the page there posts it to
``POST /auth/link``, which passes the origin and CSRF checks like every change.

The token is signed by notifications (its own Ed25519 key, published as a JWKS), names one
guardian, one message and one action, and expires (an RSVP link at the meeting's start). Exchanging it
starts a *link session*, limited to that message and its action. A link is exchanged once: opened
again in the same browser it goes on working, from another browser it is refused as replayed. The
browser of another signed-in guardian gets nothing from it. Nothing is recorded for a link refused.
"""

from datetime import UTC, datetime
from typing import Any, get_args

import jwt
from contracts.inputs import Text
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Role
from service_kit.errors import Problem, documented_problem, problem_response
from service_kit.keys import ALGORITHM, TrustedKeys, kid_of

from portal.auth_api import SignedInUser, user_of
from portal.domain import LinkScope, Purpose, Session, digest
from portal.sessions import SESSION_COOKIE, MaybeSession, start_session
from portal.store import PortalStore

router = APIRouter(tags=["links 一键链接"])
LINK_AUDIENCE, LINK_ISSUER = "portal-link", "notifications"


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def verify_link(token: str, keys: TrustedKeys) -> dict[str, Any]:
    kid = kid_of(token)
    await keys.refresh_for(kid)
    key = keys.key(kid)
    if key is None:
        raise LinkRefused("invalid")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=LINK_AUDIENCE,
            issuer=LINK_ISSUER,
            options={"require": ["exp", "sub", "jti", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkRefused("expired") from exc
    except jwt.InvalidTokenError as exc:
        raise LinkRefused("invalid") from exc
    if claims.get("purpose") not in get_args(Purpose) or not all(
        isinstance(claims.get(k), str) for k in ("msg", "target", "sub", "jti")
    ):
        raise LinkRefused("invalid")
    return claims


REFUSALS: dict[str, tuple[int, str]] = {
    "expired": (410, "链接已过期 (the link has expired)"),
    "invalid": (400, "链接无效 (the link is not valid)"),
    "used": (409, "此链接已在其他设备上使用 (the link was used on another device)"),
    "other-guardian": (403, "此链接属于另一位家长 (the link belongs to another guardian)"),
}


def refused(reason: str) -> Problem:
    """A refusal the page reads by its ``type``: ``…/link-<reason>``."""
    status, detail = REFUSALS[reason]
    return Problem(status, f"link-{reason}", detail)


class LinkToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Text = Field(max_length=4000, description="the token after ``#`` in ``/l#<token>``")


class LinkOpened(SignedInUser):
    """Who the link session is, and the message it opens."""

    message_id: str


@router.post(
    "/auth/link",
    response_model=LinkOpened,
    summary="打开一键链接 (exchange a one-tap link for a link session)",
    responses={
        400: documented_problem("链接无效 (type …/link-invalid)"),
        403: documented_problem("另一位家长的链接 (…/link-other-guardian), or the origin/CSRF checks"),
        409: documented_problem("已在其他浏览器使用 (…/link-used)"),
        410: documented_problem("链接已过期 (…/link-expired)"),
    },
)
async def open_link(
    body: LinkToken, request: Request, response: Response, session: MaybeSession
) -> LinkOpened | Response:
    """The page at ``/l#<token>`` posts the token: a GET never exchanges a link, so link scanners
    do not use it up, and another site cannot plant its link session (origin and CSRF checks)."""
    store: PortalStore = request.app.state.store
    try:
        claims = await verify_link(body.token.strip(), request.app.state.link_keys)
    except LinkRefused as refusal:
        raise refused(refusal.reason) from None
    if session is not None and session.link is None:  # a signed-in browser
        if session.role is not Role.guardian or session.subject != claims["sub"]:
            raise refused("other-guardian")
        return await opened(store, session, claims)
    link_id = digest(claims["jti"])
    if session is not None and session.subject != claims["sub"]:
        raise refused("other-guardian")
    if session is not None and await store.link_session(link_id) == session.session_digest:
        return await opened(store, session, claims)  # the same browser opening its link again
    person = await store.person(Role.guardian, claims["sub"])
    if person is None:
        raise refused("invalid")
    scope = LinkScope(
        claims["purpose"], claims["msg"], claims["target"], datetime.fromtimestamp(claims["exp"], UTC)
    )
    new = await start_session(store, response, person, scope)
    if not await store.use_link(link_id, new.session_digest, datetime.now(UTC)):
        await store.end_session(new.session_digest)
        answer = problem_response(refused("used"), request.url.path)
        answer.delete_cookie(SESSION_COOKIE, path="/", secure=True, samesite="strict")
        return answer
    return LinkOpened(user=user_of(person, new).user, message_id=claims["msg"])


async def opened(store: PortalStore, session: Session, claims: dict[str, Any]) -> LinkOpened:
    person = await store.person(session.role, session.subject)
    if person is None:
        raise refused("invalid")
    return LinkOpened(user=user_of(person, session).user, message_id=claims["msg"])
