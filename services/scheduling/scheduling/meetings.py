"""Rules for meetings with guardians (家长会, 家长学校, 开放日, 家委会会议, 校长接待日). No I/O.

Invitees are derived from scheduling's projection of the registry (the guardians of the invited
classes' students). A guardian the registry announces later (a new student or guardian, a move
between classes) is invited to the meetings still ahead by a late invitation: one small record
per guardian and meeting version, inserted with its event, so the meeting's own record is not
rewritten for every new family. RSVPs are kept one record per guardian, written only by that
guardian, so forty parents answering at once never contend for the meeting's record.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Literal
from uuid import uuid4
from zoneinfo import ZoneInfo

from contracts.events.meetings import (
    MeetingCancelled,
    MeetingCancelledV1,
    MeetingHeld,
    MeetingHeldV1,
    MeetingInvitation,
    MeetingInvitationV1,
    MeetingKind,
    MeetingLevel,
    MeetingRescheduled,
    MeetingRescheduledV1,
    MeetingScheduled,
    MeetingScheduledV1,
)
from contracts.inputs import FreeText, OpaqueId, Text
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from service_kit.access import ensure_found
from service_kit.auth import Caller, Role
from service_kit.changes import Applied, Change, next_state
from service_kit.errors import Invalid, Problem
from service_kit.storage import Document

from scheduling import access, calendar
from scheduling.domain import PRODUCER

MEETINGS, RSVPS, LATE_INVITATIONS = "meetings", "meeting_rsvps", "meeting_late_invitations"
Answer = Literal["yes", "no", "maybe"]
Told = Literal["scheduled", "rescheduled", "cancelled"]  # what an invitation event tells guardians


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MeetingKind
    level: MeetingLevel
    class_ids: list[OpaqueId] = Field(
        default_factory=list, description="Invited classes, for class and grade level."
    )
    grade: int | None = Field(default=None, ge=1, le=12)
    title: Text = Field(min_length=2, max_length=80, examples=["三年级2班期中家长会"])
    agenda: list[Text] = Field(default_factory=list, max_length=30)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place: Text = Field(default="", max_length=100)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: FreeText = Field(min_length=1, max_length=500)
    answer: FreeText | None = Field(default=None, max_length=2000)


class MeetingHeldRecord(BaseModel):
    """What happened: who came, the minutes, the questions raised and their answers."""

    model_config = ConfigDict(extra="forbid")

    attended_guardian_ids: list[OpaqueId] = Field(default_factory=list)
    minutes: FreeText | None = Field(default=None, max_length=20000)
    questions: list[Question] = Field(default_factory=list, max_length=100)


class PastMeetingRecord(MeetingCreate):
    """A meeting held before it was entered (a parent meeting last week, an open day before the
    platform was adopted): when it was, how many came, the minutes. Nobody was invited through the
    platform, so attendance is counts, not guardians."""

    invited_count: int = Field(ge=0, le=100000, description="Guardians invited (邀请人数).")
    rsvp_yes_count: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="Guardians who answered yes (回复参加); 0 when nobody was asked.",
    )
    attended_count: int = Field(ge=0, le=100000, description="Guardians who came (实到人数).")
    minutes: FreeText | None = Field(default=None, max_length=20000)
    questions: list[Question] = Field(default_factory=list, max_length=100)


class QuestionPublic(BaseModel):
    question: str
    answer: str | None = None


class MeetingPublic(BaseModel):
    meeting_id: str
    school_id: str
    kind: MeetingKind
    level: MeetingLevel
    class_ids: list[str]
    title: str
    agenda: list[str]
    starts_at: datetime
    ends_at: datetime
    place: str
    status: Literal["planned", "held", "cancelled"]
    invited_count: int
    rsvp: dict[str, int] = Field(default_factory=dict, description="Answers so far: yes, no, maybe.")
    attended_count: int | None = None
    my_rsvp: Answer | None = Field(
        default=None, description="The calling guardian's own answer; null for staff or not answered yet."
    )
    recorded_after: bool = Field(
        default=False,
        description="Recorded as held after the fact (POST /v1/meetings/held): its counts are as entered.",
    )
    minutes: str | None = Field(
        default=None,
        description="纪要 of a held meeting; for the school's staff only (null for guardians, the bureau).",
    )
    questions: list[QuestionPublic] = Field(
        default_factory=list,
        description="Questions raised and their answers; for the school's staff only (empty for others).",
    )
    version: int


class MeetingRejected(Invalid):
    kind = "meeting-rejected"


class Clash(Problem):
    def __init__(self, other: Document) -> None:
        super().__init__(
            409,
            "calendar-clash",
            f"与已安排的「{other['title']}」({other['starts_at']} – {other['ends_at']}) 时间冲突",
            errors=[{"field": "body.starts_at", "message": f"clashes with {other['_id']}"}],
        )


def ensure_free(
    own_meetings: list[Document], starts_at: datetime, ends_at: datetime, ignore: str | None = None
) -> None:
    """A teacher is never booked twice at once: the clashing meeting is named."""
    other = calendar.clash(own_meetings, starts_at, ends_at, ignore)
    if other is not None:
        raise Clash(other)


class MeetingClosed(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(409, "meeting-closed", detail)


class MeetingNotStarted(Problem):
    def __init__(self, starts_at: str) -> None:
        super().__init__(
            409,
            "meeting-not-started",
            f"会议尚未开始（开始时间 {starts_at}），开始后才能登记召开 "
            "(a meeting is recorded as held once it has started)",
        )


class MeetingMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime


def invitation(meeting: Document, status: Told, version: int) -> MeetingInvitationV1:
    """The internal event telling notifications whom to reach about this meeting."""
    return MeetingInvitationV1.about(
        PRODUCER,
        meeting,
        MeetingInvitation(
            meeting_id=meeting["meeting_id"],
            kind=meeting["kind"],
            title=meeting["title"],
            starts_at=meeting["starts_at"],
            ends_at=meeting["ends_at"],
            place=meeting["place"],
            guardian_ids=meeting["invitee_ids"],
            status=status,
            version=version,
        ),
    )


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise MeetingRejected("body.ends_at", "结束时间应晚于开始时间")
    if starts_at <= now:
        raise MeetingRejected("body.starts_at", "会议时间应在将来")


def _check_audience(meeting: MeetingCreate) -> None:
    if meeting.level is not MeetingLevel.school and not meeting.class_ids:
        raise MeetingRejected("body.class_ids", "班级或年级会议须列出受邀班级")


def school_year_of(day: date) -> tuple[date, date]:
    """The school year (学年) a day falls in: 1 September to 31 August."""
    first = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return first, date(first.year + 1, 8, 31)


def held_on(starts_at: datetime | str, zone: ZoneInfo) -> date:
    """The school's date of a meeting: its start on the school clock's zone, whatever offset the
    client sent (07:00 in Beijing is not yesterday's meeting)."""
    return datetime.fromisoformat(str(starts_at)).astimezone(zone).date()


def schedule_meeting(caller: Caller, meeting: MeetingCreate, invitee_ids: list[str], now: datetime) -> Change:
    _check_times(meeting.starts_at, meeting.ends_at, now)
    _check_audience(meeting)
    record = meeting.model_dump(mode="json") | {
        "meeting_id": f"m-{uuid4().hex[:12]}",
        "district_id": caller.district_id,
        "school_id": caller.school_id or "",
        "status": "planned",
        "organiser_id": caller.subject,
        "invitee_ids": sorted(set(invitee_ids)),
        "attended_guardian_ids": [],
        "minutes": None,
        "questions": [],
    }
    access.runs_meeting(caller, record, "班级")
    event = MeetingScheduledV1.about(
        PRODUCER,
        record,
        MeetingScheduled(
            meeting_id=record["meeting_id"],
            kind=meeting.kind,
            level=meeting.level,
            grade=meeting.grade,
            class_ids=meeting.class_ids,
            starts_at=meeting.starts_at,
            invited_count=len(record["invitee_ids"]),
        ),
    )
    events = (event, invitation(record, "scheduled", 1))
    return Change(MEETINGS, record["meeting_id"], 1, record, events, caller.actor, "会议")


def reschedule_meeting(caller: Caller, meeting: Document | None, move: MeetingMove, now: datetime) -> Change:
    """Move a planned meeting; guardians' answers stay, and they may change them until it starts."""
    access.MEETING_ORGANISERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.runs_meeting(caller, meeting)
    if meeting["status"] != "planned":
        raise MeetingClosed(f"会议已是「{meeting['status']}」状态")
    _check_times(move.starts_at, move.ends_at, now)
    record = next_state(meeting, move.model_dump(mode="json"))
    version = meeting["version"] + 1
    moved = MeetingRescheduledV1.about(
        PRODUCER,
        record,
        MeetingRescheduled(
            meeting_id=record["meeting_id"],
            kind=record["kind"],
            starts_at=move.starts_at,
            previous_starts_at=meeting["starts_at"],
            version=version,
        ),
    )
    events = (moved, invitation(record, "rescheduled", version))
    return Change(MEETINGS, record["meeting_id"], version, record, events, caller.actor, "会议")


def own_answer(caller: Caller, rsvps: list[Document]) -> Answer | None:
    """The caller's own answer among a meeting's RSVPs (a guardian's; staff answer nothing)."""
    if caller.role is not Role.guardian:
        return None
    return next((r["answer"] for r in rsvps if r["guardian_id"] == caller.subject), None)


def rsvp(caller: Caller, meeting: Document | None, answer: Answer, now: datetime) -> Document:
    """A guardian's answer, changeable until the meeting starts (the guardian's own record)."""
    access.ANSWERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.ANSWERS.check(caller, access.invitation_scope(meeting))
    if meeting["status"] != "planned" or datetime.fromisoformat(str(meeting["starts_at"])) <= now:
        raise MeetingClosed("会议已开始或已结束，不能再回复 (RSVP closed)")
    return {
        "_id": f"{meeting['meeting_id']}:{caller.subject}",
        "meeting_id": meeting["meeting_id"],
        "guardian_id": caller.subject,
        "answer": answer,
        "at": now,
    }


def record_held(
    caller: Caller,
    meeting: Document | None,
    held: MeetingHeldRecord,
    answers: dict[str, int],
    now: datetime,
    zone: ZoneInfo,
    uninvited_children: Mapping[str, list[Document]] | None = None,
) -> Change:
    """The meeting took place: its attendance, minutes and questions, announced as counts.

    Not before it has started: attendance recorded ahead would count a meeting that may still be
    moved or cancelled, and close the guardians' RSVPs early. An attendee it did not invite is a
    422 when a child of theirs is at the meeting's school (``uninvited_children``, from the
    projection), and the 404 of a stranger otherwise: another school's guardian, as for a read."""
    access.MEETING_ORGANISERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.runs_meeting(caller, meeting)
    if meeting["status"] != "planned":
        raise MeetingClosed(f"会议已是「{meeting['status']}」状态")
    if datetime.fromisoformat(str(meeting["starts_at"])) > now:
        raise MeetingNotStarted(str(meeting["starts_at"]))
    strangers = sorted(set(held.attended_guardian_ids) - set(meeting["invitee_ids"]))
    for guardian_id in strangers:
        access.check_guardian_named(meeting, guardian_id, (uninvited_children or {}).get(guardian_id, []))
    if strangers:
        raise MeetingRejected("body.attended_guardian_ids", f"未受邀的家长: {', '.join(strangers)}")
    record = next_state(meeting, held.model_dump(mode="json") | {"status": "held"})
    event = MeetingHeldV1.about(
        PRODUCER,
        record,
        MeetingHeld(
            meeting_id=record["meeting_id"],
            kind=record["kind"],
            level=record["level"],
            grade=record.get("grade"),
            class_ids=record["class_ids"],
            held_on=held_on(record["starts_at"], zone),
            invited_count=len(record["invitee_ids"]),
            rsvp_yes_count=answers.get("yes", 0),
            attended_count=len(set(held.attended_guardian_ids)),
        ),
    )
    return Change(
        MEETINGS, record["meeting_id"], meeting["version"] + 1, record, (event,), caller.actor, "会议"
    )


def record_past_meeting(
    caller: Caller, past: PastMeetingRecord, now: datetime, today: date, zone: ZoneInfo
) -> Change:
    """A meeting held before it was entered, recorded directly as held.

    Schools record what they did after the fact, and it counts like any other held meeting: the
    same ``meeting-held``. Within the school year of ``today`` (the school clock) only, the year
    whose figures are still being gathered; earlier years' reports are closed. Nobody is invited:
    the meeting is over, so no ``meeting-invitation`` is published."""
    if past.ends_at <= past.starts_at:
        raise MeetingRejected("body.ends_at", "结束时间应晚于开始时间")
    if past.starts_at > now:
        raise MeetingRejected("body.starts_at", "会议尚未开始：将来的会议请用「安排会议」(POST /v1/meetings)")
    on = held_on(past.starts_at, zone)
    first, last = school_year_of(today)
    if not first <= on <= last:
        raise MeetingRejected(
            "body.starts_at", f"只能补录本学年（{first} 至 {last}）召开的会议，该会议在 {on}"
        )
    _check_audience(past)
    if past.rsvp_yes_count > past.invited_count:
        raise MeetingRejected("body.rsvp_yes_count", "回复参加的人数不能多于邀请人数")
    if past.attended_count > past.invited_count:
        raise MeetingRejected("body.attended_count", "实到人数不能多于邀请人数")
    counts = {"invited": past.invited_count, "rsvp_yes": past.rsvp_yes_count, "attended": past.attended_count}
    record = past.model_dump(mode="json", exclude={"invited_count", "rsvp_yes_count", "attended_count"}) | {
        "meeting_id": f"m-{uuid4().hex[:12]}",
        "district_id": caller.district_id,
        "school_id": caller.school_id or "",
        "status": "held",
        "organiser_id": caller.subject,
        "invitee_ids": [],
        "attended_guardian_ids": [],
        "recorded_counts": counts,
    }
    access.runs_meeting(caller, record, "班级")
    event = MeetingHeldV1.about(
        PRODUCER,
        record,
        MeetingHeld(
            meeting_id=record["meeting_id"],
            kind=past.kind,
            level=past.level,
            grade=past.grade,
            class_ids=past.class_ids,
            held_on=on,
            invited_count=past.invited_count,
            rsvp_yes_count=past.rsvp_yes_count,
            attended_count=past.attended_count,
        ),
    )
    return Change(MEETINGS, record["meeting_id"], 1, record, (event,), caller.actor, "会议")


def cancel_meeting(caller: Caller, meeting: Document | None) -> Change:
    access.MEETING_ORGANISERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.runs_meeting(caller, meeting)
    if meeting["status"] != "planned":
        raise MeetingClosed(f"会议已是「{meeting['status']}」状态")
    record = next_state(meeting, {"status": "cancelled"})
    event = MeetingCancelledV1.about(
        PRODUCER,
        record,
        MeetingCancelled(meeting_id=record["meeting_id"], kind=record["kind"], starts_at=record["starts_at"]),
    )
    version = meeting["version"] + 1
    told = invitation(record, "cancelled", version)  # notifications tells the invited guardians
    return Change(MEETINGS, record["meeting_id"], version, record, (event, told), caller.actor, "会议")


def meeting_public(
    meeting: Document, answers: dict[str, int], mine: Answer | None = None, *, notes: bool = False
) -> MeetingPublic:
    """A meeting as its readers see it. ``notes``: with its minutes and questions, which may name
    families (access.reads_meeting_notes: the school's staff); without, they are left out."""
    if not notes:
        meeting = meeting | {"minutes": None, "questions": []}
    if (counts := meeting.get("recorded_counts")) is not None:  # recorded after the fact: as entered
        return MeetingPublic.model_validate(
            meeting
            | {
                "invited_count": counts["invited"],
                "rsvp": {"yes": counts["rsvp_yes"], "no": 0, "maybe": 0},
                "attended_count": counts["attended"],
                "recorded_after": True,
            }
        )
    attended = len(meeting["attended_guardian_ids"]) if meeting["status"] == "held" else None
    return MeetingPublic.model_validate(
        meeting
        | {
            "invited_count": len(meeting["invitee_ids"]),
            "rsvp": answers,
            "attended_count": attended,
            "my_rsvp": mine,
        }
    )


def tally(rsvps: list[Document]) -> dict[str, int]:
    counts = {"yes": 0, "no": 0, "maybe": 0}
    for answer in rsvps:
        counts[answer["answer"]] += 1
    return counts


def ahead(meetings: list[Document], now: datetime) -> list[Document]:
    """The meetings a guardian can still be invited to: planned and not yet started."""
    return [
        m for m in meetings if m["status"] == "planned" and datetime.fromisoformat(str(m["starts_at"])) > now
    ]


def invited_classes(level: str, class_ids: list[str]) -> list[str] | None:
    """The classes whose guardians a meeting invites; None for the whole school."""
    return None if level == MeetingLevel.school else class_ids


def invites(classes: list[str] | None, student: Document) -> bool:
    """A meeting invites the guardians of the enrolled students of its classes (of the whole
    school when ``classes`` is None)."""
    return student["status"] == "enrolled" and (classes is None or student["class_id"] in classes)


def invited_students(classes: list[str] | None, students: list[Document]) -> set[str]:
    """The students whose guardians a meeting of their school invites (see ``invites``)."""
    return {s["_id"] for s in students if invites(classes, s)}


def guardians_of(student_ids: set[str], guardians: list[Document]) -> list[str]:
    """The guardians of any of these students, wherever the registry first recorded them: a child
    the bureau moved to another school brings their guardians along."""
    return sorted(g["_id"] for g in guardians if student_ids & set(g["student_ids"]))


def belongs(meeting: Document, students: list[Document]) -> bool:
    """Whether a guardian of these students is among the meeting's invitees."""
    classes = invited_classes(meeting["level"], meeting["class_ids"])
    return any(s["school_id"] == meeting["school_id"] and invites(classes, s) for s in students)


def as_told(meeting: Document) -> Told:
    """What the meeting's own latest invitation event told its invitees."""
    if meeting["status"] == "cancelled":
        return "cancelled"
    return "scheduled" if meeting["version"] == 1 else "rescheduled"


def late_invitation(
    meeting: Document,
    guardian_id: str,
    now: datetime,
    status: Told = "scheduled",
) -> Change:
    """Invite a guardian announced after the meeting was scheduled, to the meeting as it stands.

    ``status`` other than "scheduled" repeats what the meeting's own event of this version told
    its invitees, for a guardian that event may have missed; notifications sends one message per
    (event key, guardian), so a guardian it did reach hears nothing twice."""
    version = meeting["version"]
    record = {
        "meeting_id": meeting["meeting_id"],
        "guardian_id": guardian_id,
        "meeting_version": version,
        "status": status,
        "district_id": meeting["district_id"],
        "school_id": meeting["school_id"],
        "invited_at": now,
    }
    told = invitation(meeting | {"invitee_ids": [guardian_id]}, status, version)
    return Change(
        LATE_INVITATIONS,
        f"{meeting['meeting_id']}:{guardian_id}:v{version}",
        1,
        record,
        (told,),
        {"subject": "scheduling", "role": "registry-follower"},
        "邀请",
    )


def late_invitations(ahead: list[Document], guardian_id: str, now: datetime) -> Change:
    """One guardian's late invitations to several meetings, recorded as one change."""
    first, *rest = [late_invitation(meeting, guardian_id, now) for meeting in ahead]
    return replace(
        first,
        events=tuple(event for change in (first, *rest) for event in change.events),
        also=tuple(Applied(c.collection, c.aggregate_id, c.version, c.state) for c in rest),
    )


class RosterEntry(BaseModel):
    """An invited guardian: the children the meeting invites them for, their answer, whether they came."""

    guardian_id: str
    student_ids: list[str] = Field(description="Their children enrolled in the invited classes (or school).")
    answer: Answer | None = Field(description="Their RSVP; null while they have not answered.")
    attended: bool


def roster(
    meeting: Document, rsvps: list[Document], guardians: list[Document], students: list[Document]
) -> list[RosterEntry]:
    """Everyone the meeting invites (late invitations included), for taking attendance on the day.

    ``guardians``: the invitees as the projection knows them; ``students``: their children. A
    child is listed when the meeting invites their guardians for them now (``invites``): the roster
    names no child of another school or class."""
    classes = invited_classes(meeting["level"], meeting["class_ids"])
    invited = {
        s["_id"]
        for s in students
        if (s["district_id"], s["school_id"]) == (meeting["district_id"], meeting["school_id"])
        and invites(classes, s)
    }
    children = {g["_id"]: sorted(invited & set(g["student_ids"])) for g in guardians}
    answers = {r["guardian_id"]: r["answer"] for r in rsvps}
    came = set(meeting.get("attended_guardian_ids") or [])
    entries = [
        RosterEntry(
            guardian_id=guardian_id,
            student_ids=children.get(guardian_id, []),
            answer=answers.get(guardian_id),
            attended=guardian_id in came,
        )
        for guardian_id in meeting["invitee_ids"]
    ]
    return sorted(entries, key=lambda e: (e.student_ids[:1] or ["~"], e.guardian_id))


def check_roster_reader(caller: Caller, meeting: Document | None) -> Document:
    """The school admin, the organiser and the teachers of an invited class read a meeting's
    roster (access.MEETING_ROSTERS); another role 403, anyone else the 404 of a missing meeting."""
    access.MEETING_ROSTERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.MEETING_ROSTERS.check(caller, access.meeting_roster_scope(meeting))
    return meeting
