from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from service_kit.auth import Caller, CurrentCaller, FeedCaller, Role, ensure_visible

from scheduling import calendar
from scheduling.api import StoreDep
from scheduling.meetings import RSVPS

router = APIRouter(prefix="/v1/calendars", tags=["calendars 日程"])
ICS = "text/calendar; charset=utf-8"


async def _teacher_items(caller: Caller, store: StoreDep) -> list[calendar.CalendarItem]:
    school_id = caller.school_id or ""
    meetings = [
        m
        for m in await store.meetings_of_school(caller.district_id, school_id)
        if m.get("organiser_id") == caller.subject or set(m["class_ids"]) & caller.class_ids
    ]
    visits = [
        v
        for v in await store.visits_of_school(caller.district_id, school_id)
        if caller.subject in v["visiting_staff_ids"] and v["status"] == "planned"
    ]
    return calendar.items(meetings, visits)


async def _guardian_items(caller: Caller, store: StoreDep, request: Request) -> list[calendar.CalendarItem]:
    school_id = caller.school_id or ""
    return calendar.guardian_items(
        caller.subject,
        caller.student_ids,
        await store.meetings_of_school(caller.district_id, school_id),
        await store.late_invitation_versions(caller.subject),
        await store.visits_of_school(caller.district_id, school_id),
        await store.find(RSVPS, {"guardian_id": caller.subject}),
        datetime.now(UTC),
        request.app.state.settings.school_today(),
    )


async def _my_items(caller: Caller, store: StoreDep, request: Request) -> list[calendar.CalendarItem]:
    if caller.role is Role.guardian:
        return await _guardian_items(caller, store, request)
    return await _teacher_items(caller, store)


async def _class_items(caller: Caller, store: StoreDep, class_id: str) -> list[calendar.CalendarItem]:
    school_id = caller.school_id or ""
    ensure_visible(caller.sees_class(caller.district_id, school_id, class_id), "班级")
    meetings = [
        m for m in await store.meetings_of_school(caller.district_id, school_id) if class_id in m["class_ids"]
    ]
    visits = [
        v
        for v in await store.visits_of_school(caller.district_id, school_id)
        if v["class_id"] == class_id and v["status"] == "planned"
    ]
    return calendar.items(meetings, visits)


async def _school_items(caller: Caller, store: StoreDep, school_id: str) -> list[calendar.CalendarItem]:
    ensure_visible(
        caller.sees_school(caller.district_id, school_id) and caller.role is not Role.guardian, "学校"
    )
    meetings = await store.meetings_of_school(caller.district_id, school_id)
    visits = [
        v for v in await store.visits_of_school(caller.district_id, school_id) if v["status"] == "planned"
    ]
    if caller.role is Role.teacher:  # a teacher sees the school's meetings and their own classes' visits
        visits = [v for v in visits if v["class_id"] in caller.class_ids]
    return calendar.items(meetings, visits)


@router.get("/schools/{school_id}.ics", response_class=Response, responses={200: {"content": {ICS: {}}}})
async def school_calendar_feed(school_id: str, caller: FeedCaller, store: StoreDep) -> Response:
    """学校日程订阅 (iCalendar; calendar apps subscribe with ``?token=``)."""
    body = calendar.ics(
        f"学校日程 {school_id}", await _school_items(caller, store, school_id), datetime.now(UTC)
    )
    return Response(body, media_type=ICS)


# Declared after the feed: `{school_id}` would otherwise swallow `sch-1.ics`.
@router.get("/schools/{school_id}", response_model=list[calendar.CalendarItem])
async def school_calendar(
    school_id: str, caller: CurrentCaller, store: StoreDep
) -> list[calendar.CalendarItem]:
    """学校日程 (school staff)."""
    return await _school_items(caller, store, school_id)


@router.get("/me", response_model=list[calendar.CalendarItem])
async def my_calendar(
    caller: CurrentCaller, store: StoreDep, request: Request
) -> list[calendar.CalendarItem]:
    """我的日程 (staff: meetings they organise or of their classes, visits they will make; a guardian:
    meetings ahead that invite them, with their answer, and planned visits to their children)."""
    return await _my_items(caller, store, request)


@router.get("/me.ics", response_class=Response, responses={200: {"content": {ICS: {}}}})
async def my_calendar_feed(caller: FeedCaller, store: StoreDep, request: Request) -> Response:
    """我的日程订阅 (iCalendar; calendar apps subscribe with ``?token=``)."""
    body = calendar.ics(f"日程 {caller.subject}", await _my_items(caller, store, request), datetime.now(UTC))
    return Response(body, media_type=ICS)


@router.get("/classes/{class_id}.ics", response_class=Response, responses={200: {"content": {ICS: {}}}})
async def class_calendar_feed(class_id: str, caller: FeedCaller, store: StoreDep) -> Response:
    """班级日程订阅 (iCalendar; calendar apps subscribe with ``?token=``)."""
    body = calendar.ics(
        f"班级日程 {class_id}", await _class_items(caller, store, class_id), datetime.now(UTC)
    )
    return Response(body, media_type=ICS)


# Declared after the feed: `{class_id}` would otherwise swallow `cls-1.ics`.
@router.get("/classes/{class_id}", response_model=list[calendar.CalendarItem])
async def class_calendar(
    class_id: str, caller: CurrentCaller, store: StoreDep
) -> list[calendar.CalendarItem]:
    """班级日程."""
    return await _class_items(caller, store, class_id)
