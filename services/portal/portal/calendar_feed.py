"""Calendar subscriptions: a secret address a calendar app subscribes to, with no cookie.

- ``POST /auth/calendar-feed`` (signed in, CSRF): a new address ``<origin>/calendar/<token>.ics``
  for the person; asking again replaces it (the old one answers 404 from then on);
  ``DELETE /auth/calendar-feed`` ends it.
- ``GET /auth/calendar-feed`` (signed in): whether the person has an address and when it was made,
  never the address itself: only the token's digest is stored, so an address is shown once, when
  it is made, and a lost one can only be replaced.
- ``GET /calendar/<token>.ics``: scheduling's ``/v1/calendars/me.ics`` for the person the token
  belongs to, fetched with a short-lived token minted from the portal's projection as the gateway
  does, so a class added or a child moved since is in the next fetch, and an account no longer
  active gets nothing (404).

Only the token's digest is stored. The token is in the path (calendar apps send nothing else), so
the portal's access log shows the address without it (``RedactFeedTokens``).
"""

import logging
import re
from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from service_kit.errors import Forbidden, NotFound, Problem, Unauthenticated

from portal import domain
from portal.gateway import Client, service_token
from portal.sessions import SignedIn
from portal.settings import Settings
from portal.store import PortalStore

router = APIRouter(tags=["calendar 日历订阅"])
ICS = "text/calendar; charset=utf-8"
FEED_PATH = "/v1/calendars/me.ics"  # scheduling's calendar of the caller


class CalendarFeed(BaseModel):
    url: str = Field(
        description="日历订阅地址，请勿分享 (the secret address a calendar app subscribes to)",
        examples=["https://jiaxiao.yecheng.example.cn/calendar/3q2-7wEx….ics"],
    )


class CalendarSubscription(BaseModel):
    subscribed: bool = Field(description="是否已有订阅地址 (whether an address exists)")
    created_at: datetime | None = Field(
        default=None, description="订阅地址生成时间 (when the current address was made)"
    )
    note: str = Field(description="订阅地址只显示一次的说明 (why the address cannot be shown again)")


SHOWN_ONCE = (
    "订阅地址只在生成时显示一次，无法再次查看；如需在新设备订阅，请重新生成地址，旧地址随即失效"
    " (the address is shown once, when it is made; make a new one to subscribe again, the old one"
    " then stops working)"
)


def subscription(created_at: datetime | None) -> CalendarSubscription:
    """What the person may know of their address: whether there is one and since when (stored
    times come back without a zone: they are UTC)."""
    if created_at is not None and created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return CalendarSubscription(subscribed=created_at is not None, created_at=created_at, note=SHOWN_ONCE)


def store_of(request: Request) -> PortalStore:
    store: PortalStore = request.app.state.store
    return store


Store = Annotated[PortalStore, Depends(store_of)]


@router.post("/auth/calendar-feed", response_model=CalendarFeed)
async def new_calendar_feed(request: Request, session: SignedIn, store: Store) -> CalendarFeed:
    """日历订阅地址 (a new secret address of my calendar; the one given before stops working)."""
    person = await store.person(session.role, session.subject)
    if person is None:
        raise Unauthenticated("登录信息已失效，请重新登录 (please sign in again)")
    if not domain.may_subscribe(person.role, session):
        raise Forbidden("此账号没有可订阅的日程 (no calendar to subscribe to)")
    token = domain.new_secret()
    await store.put_calendar_feed(person, domain.digest(token), datetime.now(UTC))
    settings: Settings = request.app.state.settings
    return CalendarFeed(url=domain.calendar_address(settings.public_url, token))


@router.get("/auth/calendar-feed", response_model=CalendarSubscription)
async def calendar_feed_state(session: SignedIn, store: Store) -> CalendarSubscription:
    """我的日历订阅 (whether I have an address and when it was made; never the address: only its
    digest is stored, so it cannot be shown again)."""
    return subscription(await store.calendar_feed_made(session.subject))


@router.delete("/auth/calendar-feed", status_code=204)
async def end_calendar_feed(session: SignedIn, store: Store) -> None:
    """停止日历订阅 (the address given before stops working)."""
    await store.end_calendar_feed(session.subject)


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {ICS: {}}}, 404: {"description": "未知或已更换的订阅地址"}},
)
async def calendar_feed(token: str, request: Request, store: Store, client: Client) -> Response:
    """订阅的日历 (iCalendar, for calendar apps: no cookie, the address is the secret)."""
    holder = (
        await store.calendar_feed_holder(domain.digest(token)) if domain.feed_token_shape(token) else None
    )
    if holder is None:
        raise NotFound("日历订阅")
    person = await store.person(*holder)
    if person is None:  # no longer registered, or the account is no longer active
        raise NotFound("日历订阅")
    settings: Settings = request.app.state.settings
    try:
        answer = await client.get(
            f"{settings.scheduling_url}{FEED_PATH}",
            headers={"authorization": f"Bearer {service_token(settings, person)}"},
        )
    except httpx.HTTPError as exc:
        raise Problem(503, "unavailable", "日程暂时无法访问，请稍后再试 (scheduling unavailable)") from exc
    if answer.status_code != 200:
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after")}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
    # a teacher's calendar names the students they will visit: no shared cache keeps it
    return Response(answer.content, media_type=ICS, headers={"cache-control": "private, no-store"})


FEED_IN_PATH = re.compile(r"(/calendar/)[^/?\s]+(\.ics)")


class RedactFeedTokens(logging.Filter):
    """Access-log lines name ``/calendar/…ics`` without the token (the address is a credential)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                FEED_IN_PATH.sub(r"\1…\2", a) if isinstance(a, str) else a for a in record.args
            )
        return True
