from datetime import UTC, datetime

from contracts.events.meetings import MeetingLevel
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from service_kit.access import ensure_found
from service_kit.auth import Caller, CurrentCaller
from service_kit.storage import Document

from scheduling import access, meetings, recurrence, tickets
from scheduling.api import StoreDep, children, reached_class, reached_school
from scheduling.store import GUARDIANS, VisitStore

router = APIRouter(prefix="/v1", tags=["meetings 会议"])


async def audience(store: VisitStore, caller: Caller, class_ids: list[str]) -> None:
    """The organiser's own school, and every class a meeting names one of its classes the caller
    reaches (another school's class: the 404 of a missing one)."""
    access.MEETING_ORGANISERS.role_allowed(caller)
    await reached_school(store, caller, caller.school_id, access.SCHOOL_STAFF)
    for class_id in class_ids:
        await reached_class(store, caller, class_id, access.CLASSES)


class RsvpAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: meetings.Answer


@router.post("/meetings", status_code=201, response_model=meetings.MeetingPublic)
async def schedule_meeting(
    meeting: meetings.MeetingCreate, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """安排会议 (guardians of the invited classes, or of the whole school, are invited)."""
    await audience(store, caller, meeting.class_ids)
    school_id = caller.school_id or ""
    classes = meetings.invited_classes(meeting.level, meeting.class_ids)
    invitees = await store.invitees(caller.district_id, school_id, classes)
    own = await store.meetings_organised_by(caller.district_id, caller.subject)
    meetings.ensure_free(own, meeting.starts_at, meeting.ends_at)
    change = meetings.schedule_meeting(caller, meeting, invitees, datetime.now(UTC))
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": 1}, meetings.tally([]))


@router.post("/meetings/held", status_code=201, response_model=meetings.MeetingPublic)
async def record_past_meeting(
    past: meetings.PastMeetingRecord, caller: CurrentCaller, store: StoreDep, request: Request
) -> meetings.MeetingPublic:
    """补录已召开的会议 (this school year; attendance as counts; nobody is invited)."""
    settings = request.app.state.settings
    await audience(store, caller, past.class_ids)
    own = await store.meetings_organised_by(caller.district_id, caller.subject)
    meetings.ensure_free(own, past.starts_at, past.ends_at)
    now = datetime.now(UTC)
    change = meetings.record_past_meeting(caller, past, now, settings.school_today(), settings.school_zone)
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": 1}, meetings.tally([]), notes=True)


@router.get("/meetings/{meeting_id}", response_model=meetings.MeetingPublic)
async def read_meeting(meeting_id: str, caller: CurrentCaller, store: StoreDep) -> meetings.MeetingPublic:
    """查看会议 (the school's staff, with a held meeting's minutes and questions; the bureau; invited
    guardians, with their own answer in my_rsvp and without the minutes and questions)."""
    access.MEETINGS.role_allowed(caller)
    meeting = ensure_found(await store.meeting(meeting_id), "会议")
    access.MEETINGS.check(caller, access.meeting_scope(meeting, await children(store, caller)))
    rsvps = await store.answers(meeting_id)
    notes = access.reads_meeting_notes(caller)
    return meetings.meeting_public(
        meeting, meetings.tally(rsvps), meetings.own_answer(caller, rsvps), notes=notes
    )


@router.get("/meetings/{meeting_id}/roster", response_model=list[meetings.RosterEntry])
async def meeting_roster(
    meeting_id: str, caller: CurrentCaller, store: StoreDep
) -> list[meetings.RosterEntry]:
    """参会名单：受邀家长、回复与签到 (every invited guardian with their children, RSVP and
    attendance; the organiser, the invited classes' teachers and the school admin)."""
    meeting = meetings.check_roster_reader(caller, await store.meeting(meeting_id))
    guardians = await store.guardians_by_id(meeting["district_id"], meeting["invitee_ids"])
    children = sorted({s for g in guardians for s in g["student_ids"]})
    students = await store.students_by_id(children)
    return meetings.roster(meeting, await store.answers(meeting_id), guardians, students)


@router.put("/meetings/{meeting_id}/rsvp", response_model=meetings.MeetingPublic)
async def answer_invitation(
    meeting_id: str, rsvp: RsvpAnswer, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """家长回复参会 (yes, no or maybe; changeable until the meeting starts)."""
    meeting = await store.meeting(meeting_id)
    await store.put_answer(meetings.rsvp(caller, meeting, rsvp.answer, datetime.now(UTC)))
    assert meeting is not None
    rsvps = await store.answers(meeting_id)
    return meetings.meeting_public(meeting, meetings.tally(rsvps), meetings.own_answer(caller, rsvps))


async def children_of_guardian(store: VisitStore, guardian_id: str | None) -> list[Document]:
    """A guardian named in a body: their children as the projection knows them; a guardian it does
    not know is a 404 of a missing record (not a refusal)."""
    if not guardian_id:
        return []
    guardian = ensure_found(await store.projected(GUARDIANS, guardian_id), "家长")
    return await store.students_by_id(guardian["student_ids"])


@router.post("/meetings/{meeting_id}/held", response_model=meetings.MeetingPublic)
async def record_held(
    meeting_id: str,
    held: meetings.MeetingHeldRecord,
    caller: CurrentCaller,
    store: StoreDep,
    request: Request,
) -> meetings.MeetingPublic:
    """登记会议召开：签到、纪要、问题与答复 (once the meeting has started; before: 409)."""
    answers = meetings.tally(await store.answers(meeting_id))
    zone = request.app.state.settings.school_zone
    meeting = await store.meeting(meeting_id)
    uninvited = set(held.attended_guardian_ids) - set(meeting["invitee_ids"] if meeting else [])
    uninvited_children = {g: await children_of_guardian(store, g) for g in sorted(uninvited)}
    change = meetings.record_held(caller, meeting, held, answers, datetime.now(UTC), zone, uninvited_children)
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": change.version}, answers, notes=True)


@router.post("/meetings/{meeting_id}/cancellation", response_model=meetings.MeetingPublic)
async def cancel_meeting(meeting_id: str, caller: CurrentCaller, store: StoreDep) -> meetings.MeetingPublic:
    """取消会议."""
    change = meetings.cancel_meeting(caller, await store.meeting(meeting_id))
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": change.version}, meetings.tally([]))


@router.post("/meetings/{meeting_id}/reschedule", response_model=meetings.MeetingPublic)
async def reschedule_meeting(
    meeting_id: str, move: meetings.MeetingMove, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """会议改期 (guardians are told; their answers stay, changeable until the start)."""
    own = await store.meetings_organised_by(caller.district_id, caller.subject)
    meetings.ensure_free(own, move.starts_at, move.ends_at, ignore=meeting_id)
    change = meetings.reschedule_meeting(caller, await store.meeting(meeting_id), move, datetime.now(UTC))
    await store.record(change)
    return meetings.meeting_public(
        change.state | {"version": change.version}, meetings.tally(await store.answers(meeting_id))
    )


@router.post("/recurring-meetings", status_code=201, response_model=list[meetings.MeetingPublic])
async def schedule_recurring(
    recurring: recurrence.RecurringMeetingCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> list[meetings.MeetingPublic]:
    """按规则安排重复会议 (e.g. the reception day, FREQ=MONTHLY;BYDAY=1FR), expanded over the term."""
    await audience(store, caller, [])
    term = ensure_found(
        await store.term(caller.district_id, recurring.school_year, recurring.term),
        "学期 (the bureau has not set this term)",
    )
    now = datetime.now(UTC)
    starts = recurrence.occurrences(
        recurring.rrule, term, recurring.start_time, request.app.state.settings.school_timezone, now
    )
    invitees = await store.invitees(caller.district_id, caller.school_id or "", None)
    own = await store.meetings_organised_by(caller.district_id, caller.subject)
    changes = []
    for start in starts:
        begins, ends = recurrence.span(start, recurring.duration_minutes)
        meetings.ensure_free(own, begins, ends)
        body = meetings.MeetingCreate(
            kind=recurring.kind,
            level=MeetingLevel.school,
            title=recurring.title,
            starts_at=begins,
            ends_at=ends,
            place=recurring.place,
        )
        changes.append(meetings.schedule_meeting(caller, body, invitees, now))
    for change in changes:  # every occurrence is checked before the first is recorded
        await store.record(change)
    return [meetings.meeting_public(c.state | {"version": 1}, meetings.tally([])) for c in changes]


@router.post("/meetings/{meeting_id}/tickets", status_code=201, response_model=tickets.TicketPublic)
async def raise_ticket(
    meeting_id: str, ticket: tickets.TicketCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> tickets.TicketPublic:
    """登记家长诉求 (raised at a meeting or reception day; an owner and a due date)."""
    kids = await children_of_guardian(store, ticket.raised_by_guardian_id)
    change = tickets.raise_ticket(caller, await store.meeting(meeting_id), ticket, kids)
    await store.record(change)
    return tickets.ticket_public(change.state | {"version": 1}, request.app.state.settings.school_today())


@router.post("/tickets", status_code=201, response_model=tickets.GuardianTicketView)
async def raise_own_ticket(
    ask: tickets.GuardianTicketCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> tickets.GuardianTicketView:
    """家长提出诉求：校长接待日 (with meeting_id) 或校长信箱 (without); answered within 5 school days."""
    settings = request.app.state.settings
    access.GUARDIAN_TICKETS.role_allowed(caller)
    meeting = await store.meeting(ask.meeting_id) if ask.meeting_id else None
    change = tickets.raise_guardian_ticket(
        caller, meeting, await children(store, caller), ask, settings.school_today(), settings.school_zone
    )
    await store.record(change)
    return tickets.guardian_ticket_view(change.state)


@router.get("/tickets/mine", response_model=list[tickets.GuardianTicketView])
async def my_tickets(caller: CurrentCaller, store: StoreDep) -> list[tickets.GuardianTicketView]:
    """我的诉求及答复 (a guardian's own issues, the newest first)."""
    access.GUARDIAN_TICKETS.role_allowed(caller)
    where = {"district_id": caller.district_id, "raised_by_guardian_id": caller.subject}
    return tickets.guardians_tickets(await store.find(tickets.TICKETS, where))


# Declared after /tickets/mine: `{ticket_id}` would otherwise swallow `mine`.
@router.get("/tickets/{ticket_id}", response_model=tickets.TicketPublic | tickets.GuardianTicketView)
async def read_ticket(
    ticket_id: str, caller: CurrentCaller, store: StoreDep, request: Request
) -> tickets.TicketPublic | tickets.GuardianTicketView:
    """查看家长诉求 (the school's staff; the guardian who raised it, with the reply)."""
    today = request.app.state.settings.school_today()
    return tickets.view(caller, await store.projected(tickets.TICKETS, ticket_id), today)


@router.post("/tickets/{ticket_id}/reply", response_model=tickets.TicketPublic)
async def reply_ticket(
    ticket_id: str, reply: tickets.TicketReply, caller: CurrentCaller, store: StoreDep, request: Request
) -> tickets.TicketPublic:
    """答复家长诉求 (its owner or the school admin)."""
    today = request.app.state.settings.school_today()
    change = tickets.reply_ticket(caller, await store.projected(tickets.TICKETS, ticket_id), reply, today)
    await store.record(change)
    return tickets.ticket_public(change.state | {"version": change.version}, today)


@router.get("/schools/{school_id}/tickets", response_model=list[tickets.TicketPublic])
async def list_tickets(
    school_id: str, caller: CurrentCaller, store: StoreDep, request: Request
) -> list[tickets.TicketPublic]:
    """学校的家长诉求，逾期未答复的升级到学校管理员 (school staff)."""
    school = await reached_school(store, caller, school_id, access.SCHOOL_STAFF)
    today = request.app.state.settings.school_today()
    found = await store.find(tickets.TICKETS, {"district_id": school["district_id"], "school_id": school_id})
    return sorted((tickets.ticket_public(t, today) for t in found), key=lambda t: t.due_on)
