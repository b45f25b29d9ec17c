"""Rules for home visits (家访). No I/O: the API hands in the caller and the clock."""

from datetime import UTC, date, datetime
from typing import Literal, TypeVar
from uuid import uuid4

from contracts.envelope import Event
from contracts.events.visits import (
    FollowUpsChanged,
    FollowUpsChangedV1,
    FollowUpState,
    VisitCancelled,
    VisitCancelledV1,
    VisitConfirmed,
    VisitConfirmedV1,
    VisitLogged,
    VisitLoggedV1,
    VisitMode,
    VisitPlanned,
    VisitPlannedV1,
    VisitSummaryShared,
    VisitSummarySharedV1,
)
from contracts.inputs import FreeText, OpaqueId, Text
from pydantic import BaseModel, ConfigDict, Field
from service_kit.access import OutOfScope, ensure_found
from service_kit.auth import Caller, Role
from service_kit.changes import Change, next_state
from service_kit.errors import Invalid, NotFound, Problem
from service_kit.storage import Document

from scheduling import access

HOME_VISITS = "home_visits"
PRODUCER = "scheduling"
E = TypeVar("E", bound=Event)


class FollowUp(BaseModel):
    """A follow-up action agreed on the visit, with whoever owns it and when it is due."""

    model_config = ConfigDict(extra="forbid")

    action: Text = Field(min_length=1, max_length=200)
    owner_id: OpaqueId
    due_on: date
    done: bool = False


class HomeVisitCreate(BaseModel):
    """A home visit that took place, as the visiting teacher records it."""

    model_config = ConfigDict(extra="forbid")

    student_id: OpaqueId = Field(examples=["stu-000481"])
    class_id: OpaqueId = Field(examples=["cls-3-2"])
    visited_on: date = Field(description="家访日期 (date of the visit)")
    mode: VisitMode = Field(description="家访方式: in_person, phone, video, school_visit (校访)")
    visiting_staff_ids: list[OpaqueId] = Field(
        default_factory=list,
        max_length=10,
        description="Other staff who came along; the caller is always included.",
    )
    topics: list[Text] = Field(default_factory=list, max_length=20, description="Topics discussed.")
    findings: FreeText | None = Field(
        default=None, max_length=5000, description="Confidential findings; never leave the school."
    )
    follow_ups: list[FollowUp] = Field(
        default_factory=list,
        max_length=20,
        description="Follow-up actions agreed, each with its owner and a due date on or after the visit.",
    )
    report: FreeText | None = Field(default=None, max_length=20000, description="书面报告")
    shareable_summary: FreeText | None = Field(
        default=None, max_length=1000, description="A summary the guardian may read (findings never are)."
    )
    guardian_confirmation: bool = Field(
        default=False,
        description="Ask the guardian to confirm the visit (with the shared summary, which it then needs).",
    )


class StudentFacts(BaseModel):
    """Tolerant reader of ``student-changed``: what scheduling needs, additions ignored."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        student_id: str
        class_id: str
        status: str
        care_categories: list[str]
        version: int

    district_id: str
    school_id: str
    payload: Payload


def student_projection(event: StudentFacts) -> Document:
    return {
        "_id": event.payload.student_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
        "class_id": event.payload.class_id,
        "status": event.payload.status,
        "care_categories": event.payload.care_categories,
        "version": event.payload.version,
    }


class SchoolFacts(BaseModel):
    """Tolerant reader of ``school-changed``: which district a school belongs to."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        school_id: str
        status: str
        version: int

    district_id: str
    payload: Payload


def school_projection(event: SchoolFacts) -> Document:
    p = event.payload
    return {"_id": p.school_id, "district_id": event.district_id, "status": p.status, "version": p.version}


class ClassFacts(BaseModel):
    """Tolerant reader of ``class-changed``: which school a class belongs to (it has no version)."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        class_id: str
        status: str
        head_teacher_id: str | None = None

    district_id: str
    school_id: str
    occurred_at: datetime
    payload: Payload


def class_projection(event: ClassFacts) -> Document:
    """Where a class belongs and who its head teacher is (班主任, who confirms its term plan); a
    class projected before the head teacher was kept has none until its next announcement."""
    return {
        "_id": event.payload.class_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
        "status": event.payload.status,
        "head_teacher_id": event.payload.head_teacher_id,
        # a fixed-width UTC string: ordered as text, stored without a time zone to lose
        "at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


class StaffFacts(BaseModel):
    """Tolerant reader of the registry's internal ``staff-changed``: the classes a member of staff
    teaches (their contacts are for notifications; scheduling keeps none)."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        staff_id: str
        roles: list[str]
        class_ids: list[str]
        version: int

    district_id: str
    school_id: str
    payload: Payload


def staff_projection(event: StaffFacts) -> Document:
    p = event.payload
    return {
        "_id": p.staff_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
        "class_ids": p.class_ids,
        "roles": p.roles,
        "version": p.version,
    }


class NotClassTeacher(Invalid):
    kind = "not-class-teacher"


def check_class_staff(caller: Caller, teachers: set[str], staff_ids: list[str], field: str) -> None:
    """Staff named on a visit (its visitors, a follow-up's owner, a term plan's teachers) are
    teachers of the class: ``teachers``, from ``store.class_teacher_ids`` (its head teacher and the
    staff the registry announced teaching it). Whoever is named reads the visit's confidential
    findings, so a made-up or another class's id is refused (422 naming ``<field>.N``); the caller
    is always allowed (a school admin visiting, a teacher the projection has not heard of yet)."""
    for n, staff_id in enumerate(staff_ids):
        _check_teacher(caller, teachers, staff_id, f"{field}.{n}")


def _check_teacher(caller: Caller, teachers: set[str], staff_id: str, field: str) -> None:
    if staff_id != caller.subject and staff_id not in teachers:
        raise NotClassTeacher(field, "不是本班的任课教师")


def check_follow_up_owners(caller: Caller, teachers: set[str], follow_ups: list[FollowUp]) -> None:
    """A follow-up's owner is a teacher of the class, or the caller (``check_class_staff``)."""
    for n, item in enumerate(follow_ups):
        _check_teacher(caller, teachers, item.owner_id, f"body.follow_ups.{n}.owner_id")


class OpenFollowUp(BaseModel):
    visit_id: str
    index: int
    class_id: str
    student_id: str
    action: str
    owner_id: str
    due_on: date
    overdue: bool


class GuardianVisitView(BaseModel):
    """What a guardian reads of a visit to their child: never the findings."""

    visit_id: str
    student_id: str
    status: str
    planned_on: date | None
    visited_on: date | None
    mode: VisitMode
    shareable_summary: str | None
    guardian_confirmation: bool = Field(default=False, description="The teacher asked them to confirm.")
    confirmed_on: date | None = None


class VisitPlan(BaseModel):
    """A home visit planned for a date (计划家访)."""

    model_config = ConfigDict(extra="forbid")

    student_id: OpaqueId
    class_id: OpaqueId
    planned_on: date
    mode: VisitMode
    visiting_staff_ids: list[OpaqueId] = Field(default_factory=list, max_length=10)


class VisitOutcome(BaseModel):
    """What became of a planned visit: done, missed, rescheduled or cancelled (with a reason)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["done", "missed", "rescheduled", "cancelled"]
    visited_on: date | None = Field(default=None, description="For done: the actual date (today if omitted).")
    mode: VisitMode | None = Field(default=None, description="For done: how it was made, if not as planned.")
    topics: list[Text] = Field(default_factory=list, max_length=20)
    findings: FreeText | None = Field(default=None, max_length=5000)
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=20)
    report: FreeText | None = Field(default=None, max_length=20000, description="书面报告")
    shareable_summary: FreeText | None = Field(
        default=None, max_length=1000, description="A summary the guardian may read (findings never are)."
    )
    guardian_confirmation: bool = Field(
        default=False, description="For done: ask the guardian to confirm (needs shareable_summary)."
    )
    reason: FreeText | None = Field(
        default=None, max_length=500, description="For missed, rescheduled, cancelled."
    )
    new_date: date | None = Field(default=None, description="For rescheduled.")


class GuardianFacts(BaseModel):
    """Tolerant reader of ``guardian-changed``: which children a guardian has (contacts are for
    notifications; scheduling keeps none)."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        guardian_id: str
        student_ids: list[str]
        version: int

    district_id: str
    school_id: str
    payload: Payload


def guardian_projection(event: GuardianFacts) -> Document:
    """A guardian and their children, without a school of its own.

    The envelope's school is the school whose admin registered the guardian; it stays so when the
    bureau moves a child to another school (the registry then announces only the student). A
    guardian belongs to the schools their children are enrolled in now, so whom a meeting invites
    goes through the children's projection, never through this record's school."""
    return {
        "_id": event.payload.guardian_id,
        "district_id": event.district_id,
        "student_ids": event.payload.student_ids,
        "version": event.payload.version,
    }


class HomeVisitPublic(BaseModel):
    visit_id: str
    school_id: str
    class_id: str
    student_id: str
    status: Literal["planned", "done", "missed", "cancelled"]
    planned_on: date | None
    visited_on: date | None
    mode: VisitMode
    visiting_staff_ids: list[str]
    topics: list[str]
    findings: str | None
    follow_ups: list[FollowUp]
    report: str | None
    shareable_summary: str | None = None
    guardian_confirmation: bool = Field(default=False, description="The guardian was asked to confirm.")
    reason: str | None
    confirmed_on: date | None = Field(default=None, description="When a guardian confirmed the visit.")
    version: int


class VisitRejected(Invalid):
    kind = "visit-rejected"


STATUS_WORDS = {"planned": "计划中", "done": "已完成", "missed": "未完成", "cancelled": "已取消"}
SETTLED_ADVICE = {
    "cancelled": "这次计划的家访已取消，不能再登记结果；如已上门，请改用「登记家访」",
    "done": "这次家访已完成并登记了结果，不能再登记一次",
    "missed": "这次计划的家访已登记为未完成，不能再登记结果；如已上门，请改用「登记家访」",
}


class VisitSettled(Problem):
    """409: the visit is no longer planned; said in plain Chinese with what to do instead."""

    def __init__(self, status: str) -> None:
        word = STATUS_WORDS.get(status, status)
        advice = SETTLED_ADVICE.get(status, f"家访已是「{word}」状态，不能再登记结果")
        super().__init__(409, "visit-settled", advice)


def _visitor_school(caller: Caller, klass: Document | None, student: Document | None) -> str:
    """The school the visit belongs to, once the caller may visit this student of this class.

    ``klass`` and ``student`` are scheduling's projection of the registry: the class decides the
    school (a teacher visits only students of the classes they teach, a school admin those of
    their school), and the student must be enrolled in that class now.
    """
    access.CLASSES.role_allowed(caller)
    klass = ensure_found(klass, "班级")
    access.CLASSES.check(caller, access.class_scope(klass))
    student = ensure_found(student, "学生")
    if (
        (student["district_id"], student["school_id"]) != (klass["district_id"], klass["school_id"])
        or student["class_id"] != klass["_id"]
        or student["status"] != "enrolled"
    ):
        raise OutOfScope("学生", "student not enrolled in the named class")
    return str(klass["school_id"])


def check_visitable(caller: Caller, klass: Document | None, student: Document | None) -> None:
    """403 or 404 unless the caller may visit this student of this class (``_visitor_school``)."""
    _visitor_school(caller, klass, student)


def _visit_change(caller: Caller, document: Document, version: int, *events: Event) -> Change:
    return Change(
        collection=HOME_VISITS,
        aggregate_id=document["_id"],
        version=version,
        state=document,
        events=events,
        actor=caller.actor,
        what="家访记录",
    )


def follow_ups_event(document: Document, version: int) -> FollowUpsChangedV1:
    """Due dates and done flags only: the actions' text stays with the school."""
    states = [FollowUpState(due_on=f["due_on"], done=f.get("done", False)) for f in document["follow_ups"]]
    payload = FollowUpsChanged(
        visit_id=document["_id"], class_id=document["class_id"], follow_ups=states, version=version
    )
    return FollowUpsChangedV1.about(PRODUCER, document, payload)


def _logged(document: Document, version: int) -> tuple[Event, ...]:
    """``visit-logged`` with its follow-ups, and for the guardians (internal topic) the summary the
    teacher shared."""
    logged = VisitLoggedV1.about(
        PRODUCER,
        document,
        VisitLogged(
            visit_id=document["_id"],
            student_id=document["student_id"],
            class_id=document["class_id"],
            visiting_staff_ids=document["visiting_staff_ids"],
            visited_on=document["visited_on"],
            mode=document["mode"],
            two_staff=len(document["visiting_staff_ids"]) >= 2,
        ),
    )
    events: tuple[Event, ...] = (logged,)
    if document.get("follow_ups"):
        events += (follow_ups_event(document, version),)
    if not document.get("shareable_summary"):
        return events
    shared = VisitSummaryShared(
        visit_id=document["_id"],
        student_id=document["student_id"],
        class_id=document["class_id"],
        visited_on=document["visited_on"],
        mode=document["mode"],
        summary=document["shareable_summary"],
        confirmation_requested=bool(document.get("guardian_confirmation")),
    )
    return (*events, VisitSummarySharedV1.about(PRODUCER, document, shared))


def _planned(document: Document, version: int) -> VisitPlannedV1:
    return VisitPlannedV1.about(
        PRODUCER,
        document,
        VisitPlanned(
            visit_id=document["_id"],
            student_id=document["student_id"],
            class_id=document["class_id"],
            visiting_staff_ids=document["visiting_staff_ids"],
            planned_on=document["planned_on"],
            mode=document["mode"],
            version=version,
        ),
    )


def _new_visit(
    caller: Caller,
    school_id: str,
    student_id: str,
    class_id: str,
    staff_ids: list[str],
    with_caller: bool = True,
    visit_id: str | None = None,
) -> Document:
    """``visit_id``: the id a retry must find again (a term plan's visit, a visit sent with an
    ``Idempotency-Key``); a fresh random one otherwise."""
    visitors = (
        [caller.subject, *(s for s in staff_ids if s != caller.subject)] if with_caller else list(staff_ids)
    )
    return {
        "_id": visit_id or f"v-{uuid4().hex[:16]}",
        "district_id": caller.district_id,
        "school_id": school_id,
        "class_id": class_id,
        "student_id": student_id,
        "visiting_staff_ids": visitors,
        "planned_on": None,
        "visited_on": None,
        "topics": [],
        "findings": None,
        "follow_ups": [],
        "report": None,
        "shareable_summary": None,
        "reason": None,
        "logged_by": caller.subject,
    }


def check_visit_date(visited_on: date, today: date, term: Document | None) -> None:
    """A visit took place by today, and not before the current term began (``term``: the term
    holding today, as the registry announced it; None when scheduling knows no such term)."""
    if visited_on > today:
        raise VisitRejected("body.visited_on", "家访日期不能晚于今天 (visit date is in the future)")
    if term is not None and visited_on < date.fromisoformat(str(term["starts_on"])):
        raise VisitRejected(
            "body.visited_on",
            f"家访日期早于本学期开始（{term['starts_on']}） (visit date is before the term began)",
        )


def check_follow_ups(follow_ups: list[FollowUp], visited_on: date) -> None:
    """A follow-up agreed on a visit falls due on the day of the visit or later."""
    for n, item in enumerate(follow_ups):
        if item.due_on < visited_on:
            raise VisitRejected(
                f"body.follow_ups.{n}.due_on",
                "跟进事项的截止日期不能早于家访日期 (a follow-up is due before the visit)",
            )


class AlreadyPlanned(Invalid):
    """422: a term plan names a student this class already has a visit planned for this term."""

    kind = "already-planned"

    def __init__(self, n: int) -> None:
        super().__init__(f"body.visits.{n}.student_id", "该学生本学期已有计划家访")


def check_confirmation(guardian_confirmation: bool, shareable_summary: str | None) -> None:
    """The guardian confirms the visit from the message that shares its summary with them: asking
    for a confirmation without a summary would ask them nothing."""
    if guardian_confirmation and not shareable_summary:
        raise VisitRejected(
            "body.shareable_summary",
            "请家长确认时须填写可与家长分享的摘要 (asking the guardian to confirm needs a summary)",
        )


def _visit_record(
    visited_on: date,
    mode: VisitMode,
    visit: "HomeVisitCreate | VisitOutcome",
) -> Document:
    """What a logged visit and a done outcome both record: the same fields, the same events."""
    return {
        "status": "done",
        "visited_on": visited_on.isoformat(),
        "mode": mode.value,
        "topics": visit.topics,
        "findings": visit.findings,
        "follow_ups": [f.model_dump(mode="json") | {"done": False} for f in visit.follow_ups],
        "report": visit.report,
        "shareable_summary": visit.shareable_summary,
        "guardian_confirmation": visit.guardian_confirmation,
    }


def log_home_visit(
    caller: Caller,
    visit: HomeVisitCreate,
    klass: Document | None,
    student: Document | None,
    today: date,
    term: Document | None = None,
    visit_id: str | None = None,
) -> Change:
    """A visit that took place, recorded with its ``visit-logged`` event (and its follow-ups and
    shared summary, as a done outcome records them) as one change. ``term``: the current term;
    ``visit_id``: see ``_new_visit``."""
    school_id = _visitor_school(caller, klass, student)
    check_visit_date(visit.visited_on, today, term)
    check_follow_ups(visit.follow_ups, visit.visited_on)
    check_confirmation(visit.guardian_confirmation, visit.shareable_summary)
    document = _new_visit(
        caller, school_id, visit.student_id, visit.class_id, visit.visiting_staff_ids, visit_id=visit_id
    ) | _visit_record(visit.visited_on, visit.mode, visit)
    return _visit_change(caller, document, 1, *_logged(document, 1))


def plan_home_visit(
    caller: Caller,
    plan: VisitPlan,
    klass: Document | None,
    student: Document | None,
    today: date,
    with_caller: bool = True,
    visit_id: str | None = None,
) -> Change:
    """A visit planned for today or later, announced by ``visit-planned``.

    ``with_caller`` adds the caller to the visitors: false when a head teacher confirms a term plan
    whose visits the class's teachers share. ``visit_id``: see ``_new_visit``.
    """
    school_id = _visitor_school(caller, klass, student)
    if plan.planned_on < today:
        raise VisitRejected("body.planned_on", "计划日期不能早于今天 (planned date is in the past)")
    staff = plan.visiting_staff_ids
    document = _new_visit(
        caller, school_id, plan.student_id, plan.class_id, staff, with_caller or not staff, visit_id
    ) | {
        "status": "planned",
        "planned_on": plan.planned_on.isoformat(),
        "mode": plan.mode.value,
    }
    return _visit_change(caller, document, 1, _planned(document, 1))


def record_outcome(
    caller: Caller, current: Document | None, outcome: VisitOutcome, today: date, term: Document | None = None
) -> Change:
    """Done → ``visit-logged``; missed or cancelled → ``visit-cancelled``; rescheduled → a new
    ``visit-planned``. Only a planned visit takes an outcome, and only from its visitors' side.
    ``term``: the current term (a visit done is dated within it, as a logged one)."""
    access.VISIT_RECORDING.role_allowed(caller)
    current = ensure_found(current, "家访记录")
    access.VISIT_RECORDING.check(caller, access.visit_scope(current))
    if current["status"] != "planned":
        raise VisitSettled(current["status"])
    if outcome.outcome != "done" and not outcome.reason:
        raise VisitRejected("body.reason", "未完成、改期或取消的家访须写明原因 (a reason is required)")
    document = next_state(current, {"reason": outcome.reason})
    version = current["version"] + 1
    if outcome.outcome == "done":
        visited_on = outcome.visited_on or today
        check_visit_date(visited_on, today, term)
        check_confirmation(outcome.guardian_confirmation, outcome.shareable_summary)
        document |= _visit_record(visited_on, outcome.mode or VisitMode(current["mode"]), outcome)
        return _visit_change(caller, document, version, *_logged(document, version))
    if outcome.outcome == "rescheduled":
        if outcome.new_date is None or outcome.new_date < today:
            raise VisitRejected("body.new_date", "改期须给出今天或以后的新日期 (a new date, today or later)")
        document |= {"planned_on": outcome.new_date.isoformat()}
        return _visit_change(caller, document, version, _planned(document, version))
    document |= {"status": outcome.outcome}
    cancelled = VisitCancelled(
        visit_id=document["_id"],
        student_id=document["student_id"],
        class_id=document["class_id"],
        outcome=outcome.outcome,
        planned_on=document["planned_on"],
    )
    return _visit_change(caller, document, version, VisitCancelledV1.about(PRODUCER, document, cancelled))


class AlreadyConfirmed(Problem):
    def __init__(self) -> None:
        super().__init__(409, "already-confirmed", "该家访已确认 (already confirmed)")


def confirm_visit(caller: Caller, current: Document | None, today: date) -> Change:
    """A guardian confirms, with their own token, that a visit to their child took place."""
    access.VISIT_CONFIRMATION.role_allowed(caller)
    current = ensure_found(current, "家访记录")
    access.VISIT_CONFIRMATION.check(caller, access.visit_scope(current))
    if current["status"] != "done":
        raise VisitSettled(current["status"])
    if current.get("confirmed_on"):
        raise AlreadyConfirmed()
    document = next_state(
        current,
        {
            "confirmed_on": today.isoformat(),
            "confirmed_by": caller.subject,
        },
    )
    event = VisitConfirmedV1.about(
        PRODUCER,
        document,
        VisitConfirmed(visit_id=document["_id"], class_id=document["class_id"], confirmed_on=today),
    )
    return Change(
        HOME_VISITS,
        current["_id"],
        current["version"] + 1,
        document,
        (event,),
        caller.actor,
        "家访记录",
    )


def visit_public(document: Document) -> HomeVisitPublic:
    """The visit as school staff read it (access.HOME_VISITS)."""
    return HomeVisitPublic.model_validate(document | {"visit_id": document["_id"]})


def open_follow_ups(visits: list[Document], today: date, owner_id: str | None = None) -> list[OpenFollowUp]:
    """Follow-ups not done yet, soonest due first; those past their due date are flagged."""
    found = [
        OpenFollowUp(
            visit_id=visit["_id"],
            index=index,
            class_id=visit["class_id"],
            student_id=visit["student_id"],
            action=item["action"],
            owner_id=item["owner_id"],
            due_on=item["due_on"],
            overdue=date.fromisoformat(item["due_on"]) < today,
        )
        for visit in visits
        for index, item in enumerate(visit.get("follow_ups") or [])
        if not item.get("done") and (owner_id is None or item["owner_id"] == owner_id)
    ]
    return sorted(found, key=lambda f: (f.due_on, f.visit_id, f.index))


def complete_follow_up(caller: Caller, current: Document | None, index: int) -> Change:
    """A teacher of the class, one who made the visit or the school admin marks a follow-up done."""
    access.VISIT_RECORDING.role_allowed(caller)
    current = ensure_found(current, "家访记录")
    access.VISIT_RECORDING.check(caller, access.visit_scope(current))
    follow_ups = [dict(item) for item in current.get("follow_ups") or []]
    if not 0 <= index < len(follow_ups):
        raise NotFound("后续跟进事项")
    follow_ups[index]["done"] = True
    document = next_state(current, {"follow_ups": follow_ups})
    version = current["version"] + 1
    return Change(
        HOME_VISITS,
        current["_id"],
        version,
        document,
        (follow_ups_event(document, version),),
        caller.actor,
        "家访记录",
    )


def visit_for(caller: Caller, document: Document) -> HomeVisitPublic | GuardianVisitView:
    """A visit as the caller may read it (access.HOME_VISITS): school staff the whole record, a
    guardian of the visited child the summary the teacher shared, never the findings."""
    access.HOME_VISITS.check(caller, access.visit_scope(document))
    if caller.role is Role.guardian:
        return GuardianVisitView.model_validate(document | {"visit_id": document["_id"]})
    return visit_public(document)
