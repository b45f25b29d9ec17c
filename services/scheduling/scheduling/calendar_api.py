from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from service_kit.auth import Caller, CurrentCaller, FeedCaller, Role
from service_kit.storage import Document

from scheduling import access, calendar
from scheduling.api import StoreDep, reached_class, reached_school
from scheduling.meetings import RSVPS

router = APIRouter(prefix="/v1/calendars", tags=["calendars 日程"])
ICS = "text/calendar; charset=utf-8"


def _visits_seen(caller: Caller, visits: list[Document]) -> list[Document]:
    """The planned visits among ``visits`` the caller may read (access.HOME_VISITS: school staff;
    never the bureau, a partner or another family)."""
    return [
        v
        for v in visits
        if v["status"] == "planned" and access.HOME_VISITS.allows(caller, access.visit_scope(v))
    ]


async def _staff_items(caller: Caller, store: StoreDep) -> list[calendar.CalendarItem]:
    """Meetings they organise or of their classes, visits they will make (each from the caller's
    school as its record says)."""
    school_id = caller.school_id or ""
    meetings = [
        m
        for m in await store.meetings_of_school(caller.district_id, school_id)
        if (m.get("organiser_id") == caller.subject or set(m["class_ids"]) & caller.class_ids)
        and access.MEETINGS.allows(caller, access.meeting_scope(m))
    ]
    visits = [
        v
        for v in _visits_seen(caller, await store.visits_of_school(caller.district_id, school_id))
        if caller.subject in v["visiting_staff_ids"]
    ]
    return calendar.items(meetings, visits)


async def _guardian_items(caller: Caller, store: StoreDep, request: Request) -> list[calendar.CalendarItem]:
    """The meetings that invite them (invitations follow the children's schools in the
    projection, never the school in the token) and the planned visits to their children."""
    visits = await store.visits_of_students(caller.district_id, sorted(caller.student_ids))
    return calendar.guardian_items(
        caller.subject,
        caller.student_ids,
        await store.meetings_inviting(caller.district_id, caller.subject),
        await store.late_invitation_versions(caller.subject),
        _visits_seen(caller, visits),
        await store.find(RSVPS, {"guardian_id": caller.subject}),
        datetime.now(UTC),
        request.app.state.settings.school_today(),
    )


async def _my_items(caller: Caller, store: StoreDep, request: Request) -> list[calendar.CalendarItem]:
    access.MY_CALENDAR.role_allowed(caller)
    if caller.role is Role.guardian:
        return await _guardian_items(caller, store, request)
    return await _staff_items(caller, store)


async def _class_items(caller: Caller, store: StoreDep, class_id: str) -> list[calendar.CalendarItem]:
    klass = await reached_class(store, caller, class_id, access.CLASS_CALENDAR)
    meetings = [
        m
        for m in await store.meetings_of_school(klass["district_id"], klass["school_id"])
        if class_id in m["class_ids"]
    ]
    visits = [
        v
        for v in await store.visits_of_class(klass["district_id"], klass["school_id"], class_id)
        if v["class_id"] == class_id
    ]
    return calendar.items(meetings, _visits_seen(caller, visits))


async def _school_items(caller: Caller, store: StoreDep, school_id: str) -> list[calendar.CalendarItem]:
    """The school's meetings for all who may read its calendar; its planned home visits (each
    naming the student) only for its staff, a teacher those of their classes."""
    school = await reached_school(store, caller, school_id, access.SCHOOL_CALENDAR)
    meetings = await store.meetings_of_school(school["district_id"], school_id)
    visits = await store.visits_of_school(school["district_id"], school_id)
    return calendar.items(meetings, _visits_seen(caller, visits))


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
    """学校日程 (school staff: meetings and planned visits; the bureau: meetings)."""
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
