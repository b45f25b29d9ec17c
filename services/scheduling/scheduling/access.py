"""Who sees what in scheduling: one rule per kind of record, written once. No I/O.

Every check starts from the record's own district, school and class: a visit, a meeting, a ticket
or an activity as stored; a class or a school named in a path or a body as scheduling's projection
of the registry knows it (``store.class_``, ``store.school``), never as the caller names it. A role
a rule leaves out gets 403 on every route of that record; a record outside the caller's reach the
404 of a missing one (``service_kit.access``).

A guardian's children are the students their token names, looked up in the projection: where they
are enrolled now (their school and class) decides which meetings and activities concern them, not
the school in the token, which stays the school that registered the guardian after a child moves.

The table, by role, is the README's "Scheduling: who sees what"; the rules below are its source.
"""

from collections.abc import Iterable

from service_kit.access import Reach, RecordScope, Rule
from service_kit.auth import Caller, Role
from service_kit.errors import OutOfScope, Problem
from service_kit.storage import Document

STAFF = {Role.school_admin: Reach.school, Role.teacher: Reach.classes}

# Findings are confidential: the class's teachers, the staff who make the visit and the school
# admin read a visit; a guardian the summary shared of their own child's (domain.GuardianVisitView).
# The bureau reads visits as counts, in reporting.
HOME_VISITS = Rule("家访记录", {**STAFF, Role.guardian: Reach.own})
VISIT_RECORDING = Rule("家访记录", STAFF)  # an outcome, a follow-up done
VISIT_CONFIRMATION = Rule("家访记录", {Role.guardian: Reach.own})
# A class named in a path or a body: its follow-ups, its term plan, a visit or a meeting for it.
CLASSES = Rule("班级", STAFF)
CLASS_CALENDAR = Rule("班级", {Role.bureau: Reach.district, **STAFF})
SCHOOL_CALENDAR = Rule(
    "学校", {Role.bureau: Reach.district, Role.school_admin: Reach.school, Role.teacher: Reach.school}
)
MY_CALENDAR = Rule("日程", {**STAFF, Role.guardian: Reach.own})
MEETINGS = Rule("会议", {Role.bureau: Reach.district, **STAFF, Role.guardian: Reach.own})
# schedule, move, cancel, record as held, record an issue raised at it; a teacher runs only the
# meetings of classes they all teach (runs_meeting)
MEETING_ORGANISERS = Rule("会议", STAFF)
# who was invited, their answers and who came: the school admin, the organiser, the teachers of an
# invited class (meeting_roster_scope)
MEETING_ROSTERS = Rule("会议", STAFF)
ANSWERS = Rule("会议", {Role.guardian: Reach.own})  # an RSVP: invited guardians only
# a guardian raises and lists their own issues (for a reception day they reach as a MEETINGS one)
GUARDIAN_TICKETS = Rule("家长诉求", {Role.guardian: Reach.own})
TICKETS = Rule(
    "家长诉求", {Role.school_admin: Reach.school, Role.teacher: Reach.school, Role.guardian: Reach.own}
)
# A school's own routes for its staff: its tickets, the school a meeting is organised in.
SCHOOL_STAFF = Rule("学校", {Role.school_admin: Reach.school, Role.teacher: Reach.school})
TICKET_REPLIES = Rule("家长诉求", STAFF)  # a teacher answers the issues that name them owner
PARTNER_ACTIVITIES = Rule(
    "共建活动",
    {
        Role.bureau: Reach.district,
        Role.school_admin: Reach.school,
        Role.teacher: Reach.school,
        Role.partner: Reach.own,
        Role.guardian: Reach.own,
    },
)
# The school's staff log activities under its agreements, a partner under its own; each side then
# confirms what the other logged (activities.confirm_activity): the partner with its own token, the
# school through its admin.
ACTIVITY_RECORDING = Rule(
    "共建协议", {Role.school_admin: Reach.school, Role.teacher: Reach.school, Role.partner: Reach.own}
)
ACTIVITY_CONFIRMATION = Rule("共建活动", {Role.school_admin: Reach.school, Role.partner: Reach.own})
# The lists: a school's activities for its staff (SCHOOL_STAFF), a partner its own.
MY_PARTNER_ACTIVITIES = Rule("共建活动", {Role.partner: Reach.own})
EXCHANGES = Rule("结对", {Role.school_admin: Reach.school})

# Field-level narrowing beside the rules: what a guardian reads of a partner activity (no counts,
# no notes that may name other families, no agreement); of a visit, domain.GuardianVisitView.
GUARDIAN_ACTIVITY_FIELDS = ("activity_id", "school_id", "kind", "title", "held_on", "place")


def school_scope(school: Document) -> RecordScope:
    return RecordScope.of(school["district_id"], school["_id"])


def class_scope(klass: Document) -> RecordScope:
    return RecordScope.of(klass["district_id"], klass["school_id"], class_ids=[klass["_id"]])


class NotHeadTeacher(Problem):
    """403: the class is within the caller's reach, but only its head teacher may do this."""

    def __init__(self, class_id: str) -> None:
        super().__init__(403, "not-head-teacher", "只有本班班主任可以确认学期家访计划")
        self.reason = f"not the head teacher of {class_id}"


def check_head_teacher(caller: Caller, klass: Document) -> None:
    """Only the class's head teacher (班主任, the ``head_teacher_id`` the registry announced with
    the class) confirms its term plan: another teacher of the class, the school admin, or anyone
    while no head teacher is known gets 403. Check the class's scope first (its 404)."""
    head_teacher = klass.get("head_teacher_id")
    if caller.role is not Role.teacher or head_teacher is None or caller.subject != head_teacher:
        raise NotHeadTeacher(str(klass["_id"]))


def visit_scope(visit: Document) -> RecordScope:
    return RecordScope.of(
        visit["district_id"],
        visit["school_id"],
        class_ids=[visit["class_id"]],
        student_ids=[visit["student_id"]],
        people=visit["visiting_staff_ids"],
    )


def children(caller: Caller, students: Iterable[Document]) -> list[Document]:
    """The caller's children as the projection knows them: of the caller's district, enrolled."""
    return [
        s
        for s in students
        if s["_id"] in caller.student_ids
        and s["district_id"] == caller.district_id
        and s["status"] == "enrolled"
    ]


def _concerned(
    kids: Iterable[Document], district_id: str, school_id: str, class_ids: Iterable[str] | None
) -> list[str]:
    """Those of ``kids`` enrolled now in the school (and in one of the classes, unless None)."""
    wanted = None if class_ids is None else set(class_ids)
    return [
        s["_id"]
        for s in kids
        if s["district_id"] == district_id
        and s["school_id"] == school_id
        and (wanted is None or s["class_id"] in wanted)
    ]


def meeting_scope(meeting: Document, kids: Iterable[Document] = ()) -> RecordScope:
    """A meeting concerns its classes (or its whole school), its organiser and its invitees, and
    the children of ``kids`` it invites the guardians of."""
    classes = None if meeting["level"] == "school" else meeting["class_ids"]
    return RecordScope.of(
        meeting["district_id"],
        meeting["school_id"],
        class_ids=meeting["class_ids"],
        student_ids=_concerned(kids, meeting["district_id"], meeting["school_id"], classes),
        people=[meeting.get("organiser_id"), *meeting["invitee_ids"]],
    )


def meeting_roster_scope(meeting: Document) -> RecordScope:
    """A meeting's roster concerns its school, its invited classes and its organiser (never its
    guardians: they read their own answer on the meeting)."""
    return RecordScope.of(
        meeting["district_id"],
        meeting["school_id"],
        class_ids=meeting["class_ids"],
        people=[meeting.get("organiser_id")],
    )


def invitation_scope(meeting: Document) -> RecordScope:
    """For an RSVP: the guardians the meeting invites, no one else."""
    return RecordScope.of(meeting["district_id"], meeting["school_id"], people=meeting["invitee_ids"])


def reads_meeting_notes(caller: Caller) -> bool:
    """A held meeting's minutes and questions (they may name families and what they asked): the
    school's staff who read the meeting; not guardians (other families' words), not the bureau
    (counts only). Check the meeting's scope first (MEETINGS)."""
    return caller.role in STAFF


def runs_meeting(caller: Caller, meeting: Document, what: str = "会议") -> None:
    """403 for a role that runs no meeting; 404 unless the caller runs this one: the school admin
    every meeting of the school, a teacher those whose classes they all teach."""
    scope = RecordScope.of(meeting["district_id"], meeting["school_id"], class_ids=meeting["class_ids"])
    reach = MEETING_ORGANISERS.role_allowed(caller)
    if not MEETING_ORGANISERS.allows(caller, scope) or (
        reach is Reach.classes and not set(meeting["class_ids"]) <= caller.class_ids
    ):
        raise OutOfScope(what, f"{what} not run by this {caller.role.value}")


def check_guardian_named(meeting: Document, guardian_id: str, kids: Iterable[Document]) -> None:
    """A guardian named in a body about a meeting (an issue they raised at it): one it invites, or
    whose child (``kids``, from the projection) is enrolled in its school now; else 404."""
    if guardian_id in meeting["invitee_ids"]:
        return
    if not _concerned(kids, meeting["district_id"], meeting["school_id"], None):
        raise OutOfScope("家长", "guardian of no child of the meeting's school")


def ticket_scope(ticket: Document) -> RecordScope:
    return RecordScope.of(
        ticket["district_id"], ticket["school_id"], people=[ticket.get("raised_by_guardian_id")]
    )


def reply_scope(ticket: Document) -> RecordScope:
    """A teacher replies to an issue naming them its owner (no class: Reach.classes then means
    'names the caller'); the school admin to any of the school's."""
    return RecordScope.of(ticket["district_id"], ticket["school_id"], people=[ticket.get("owner_id")])


def activity_scope(activity: Document, kids: Iterable[Document] = ()) -> RecordScope:
    """An activity concerns its partner, and the children of ``kids`` in its classes (or in its
    school when it names no class)."""
    classes = activity["class_ids"] or None
    return RecordScope.of(
        activity["district_id"],
        activity["school_id"],
        class_ids=activity["class_ids"],
        student_ids=_concerned(kids, activity["district_id"], activity["school_id"], classes),
        people=[activity["partner_id"]],
    )


def agreement_scope(agreement: Document) -> RecordScope:
    return RecordScope.of(agreement["district_id"], agreement["school_id"], people=[agreement["partner_id"]])


def check_pair(caller: Caller, pair: Document) -> None:
    """A school of the pair, the supporting one or a supported one."""
    EXCHANGES.role_allowed(caller)
    schools = [pair["supporting_school_id"], *pair["supported_school_ids"]]
    if not any(EXCHANGES.allows(caller, RecordScope.of(pair["district_id"], s)) for s in schools):
        raise OutOfScope("结对", "school not of the pair")


def guardian_school(caller: Caller, kids: list[Document]) -> str | None:
    """The school a guardian's own issue for the principal's mailbox goes to: a school a child is
    enrolled in now, the token's one if a child is there (the portal signs guardians in per school)."""
    schools = sorted({s["school_id"] for s in kids})
    if caller.school_id in schools:
        return caller.school_id
    return schools[0] if schools else None
