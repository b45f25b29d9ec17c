from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from service_kit.auth import CurrentCaller, ensure_visible

from scheduling import meetings
from scheduling.api import StoreDep

router = APIRouter(prefix="/v1", tags=["meetings 会议"])


class RsvpAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: meetings.Answer


@router.post("/meetings", status_code=201, response_model=meetings.MeetingPublic)
async def schedule_meeting(
    meeting: meetings.MeetingCreate, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """安排会议 (guardians of the invited classes, or of the whole school, are invited)."""
    school_id = caller.school_id or ""
    classes = meeting.class_ids if meeting.level is not meetings.MeetingLevel.school else None
    invitees = await store.invitees(caller.district_id, school_id, classes)
    own = await store.meetings_organised_by(caller.district_id, caller.subject)
    meetings.ensure_free(own, meeting.starts_at, meeting.ends_at)
    change = meetings.schedule_meeting(caller, meeting, invitees, datetime.now(UTC))
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": 1}, meetings.tally([]))


@router.get("/meetings/{meeting_id}", response_model=meetings.MeetingPublic)
async def read_meeting(meeting_id: str, caller: CurrentCaller, store: StoreDep) -> meetings.MeetingPublic:
    """查看会议 (its organisers; invited guardians)."""
    meeting = await store.meeting(meeting_id)
    ensure_visible(
        meeting is not None
        and (meetings.may_manage(caller, meeting) or caller.subject in meeting["invitee_ids"]),
        "会议",
    )
    assert meeting is not None
    return meetings.meeting_public(meeting, meetings.tally(await store.answers(meeting_id)))


@router.put("/meetings/{meeting_id}/rsvp", response_model=meetings.MeetingPublic)
async def answer_invitation(
    meeting_id: str, rsvp: RsvpAnswer, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """家长回复参会 (yes, no or maybe; changeable until the meeting starts)."""
    meeting = await store.meeting(meeting_id)
    await store.put_answer(meetings.rsvp(caller, meeting, rsvp.answer, datetime.now(UTC)))
    assert meeting is not None
    return meetings.meeting_public(meeting, meetings.tally(await store.answers(meeting_id)))


@router.post("/meetings/{meeting_id}/held", response_model=meetings.MeetingPublic)
async def record_held(
    meeting_id: str, held: meetings.MeetingHeldRecord, caller: CurrentCaller, store: StoreDep
) -> meetings.MeetingPublic:
    """登记会议召开：签到、纪要、问题与答复."""
    answers = meetings.tally(await store.answers(meeting_id))
    change = meetings.record_held(caller, await store.meeting(meeting_id), held, answers)
    await store.record(change)
    return meetings.meeting_public(change.state | {"version": change.version}, answers)


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
