"""One-tap links in messages: ``/l/<token>`` opens the message's page without a password.

The token is signed by notifications (its own Ed25519 key, published as a JWKS), names one
guardian, one message and one action, and expires (an RSVP link at the meeting's start). Opening it
starts a *link session*, limited to that message and its action. A link is exchanged once: opened
again in the same browser it goes on working, from another browser it is refused as replayed. The
browser of another signed-in guardian gets nothing from it. Nothing is recorded for a link refused.
"""

from datetime import UTC, datetime
from typing import Any, get_args

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from service_kit.auth import Role
from service_kit.keys import ALGORITHM, TrustedKeys, kid_of

from portal.domain import LinkScope, Purpose, digest
from portal.sessions import SESSION_COOKIE, current_session, start_session
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


def refused(reason: str) -> RedirectResponse:
    return RedirectResponse(f"/link-expired?reason={reason}", status_code=303)


@router.get("/l/{token}", response_class=RedirectResponse, status_code=303, summary="一键链接 (one-tap link)")
async def open_link(token: str, request: Request) -> RedirectResponse:
    store: PortalStore = request.app.state.store
    try:
        claims = await verify_link(token, request.app.state.link_keys)
    except LinkRefused as refusal:
        return refused(refusal.reason)
    page = RedirectResponse(f"/messages/{claims['msg']}", status_code=303)
    session = await current_session(request)
    if session is not None and session.link is None:  # a signed-in browser
        return (
            page
            if session.role is Role.guardian and session.subject == claims["sub"]
            else refused("other-guardian")
        )
    link_id = digest(claims["jti"])
    if session is not None and session.subject != claims["sub"]:
        return refused("other-guardian")
    if session is not None and await store.link_session(link_id) == session.session_digest:
        return page  # the same browser opening its link again (to change an answer)
    person = await store.person(Role.guardian, claims["sub"])
    if person is None:
        return refused("invalid")
    scope = LinkScope(
        claims["purpose"], claims["msg"], claims["target"], datetime.fromtimestamp(claims["exp"], UTC)
    )
    new = await start_session(store, page, person, scope)
    if not await store.use_link(link_id, new.session_digest, datetime.now(UTC)):
        await store.end_session(new.session_digest)
        answer = refused("used")
        answer.delete_cookie(SESSION_COOKIE, path="/", secure=True, samesite="strict")
        return answer
    return page
