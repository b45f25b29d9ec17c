"""Rules for home visits (家访). No I/O: the API hands in the caller and the clock."""

from datetime import date
from uuid import uuid4

from contracts.events.visits import VisitLogged, VisitLoggedV1, VisitMode
from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Caller, Role, ensure_visible
from service_kit.changes import Change
from service_kit.errors import Problem
from service_kit.storage import Document

HOME_VISITS = "home_visits"
OpaqueId = str
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class HomeVisitCreate(BaseModel):
    """A home visit that took place, as the visiting teacher records it."""

    model_config = ConfigDict(extra="forbid")

    student_id: OpaqueId = Field(pattern=ID_PATTERN, examples=["stu-000481"])
    class_id: OpaqueId = Field(pattern=ID_PATTERN, examples=["cls-3-2"])
    visited_on: date = Field(description="家访日期 (date of the visit)")
    mode: VisitMode = Field(description="家访方式: in_person, phone, video, school_visit (校访)")
    visiting_staff_ids: list[OpaqueId] = Field(
        default_factory=list,
        max_length=10,
        description="Other staff who came along; the caller is always included.",
    )
    topics: list[str] = Field(default_factory=list, max_length=20, description="Topics discussed.")
    findings: str | None = Field(
        default=None, max_length=5000, description="Confidential findings; never leave the school."
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


class HomeVisitPublic(BaseModel):
    visit_id: str
    school_id: str
    class_id: str
    student_id: str
    visited_on: date
    mode: VisitMode
    visiting_staff_ids: list[str]
    topics: list[str]
    findings: str | None


class VisitRejected(Problem):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, "visit-rejected", reason, errors=[{"field": field, "message": reason}])


class RoleMayNotLogVisits(Problem):
    def __init__(self, role: Role) -> None:
        super().__init__(403, "role-forbidden", f"角色 {role.value} 不能登记家访")


VISITING_ROLES = (Role.teacher, Role.school_admin)


def log_home_visit(caller: Caller, visit: HomeVisitCreate, student: Document | None, today: date) -> Change:
    """The new visit and its ``visit-logged`` event, recorded together as one change.

    ``student`` is scheduling's projection of the registry: the student must be enrolled in the
    named class, and a teacher logs visits only for the classes they teach.
    """
    if caller.role not in VISITING_ROLES:
        raise RoleMayNotLogVisits(caller.role)
    school_id = caller.school_id or ""
    ensure_visible(caller.sees_class(caller.district_id, school_id, visit.class_id), "班级")
    ensure_visible(
        student is not None
        and student["school_id"] == school_id
        and student["class_id"] == visit.class_id
        and student["status"] == "enrolled",
        "学生",
    )
    if visit.visited_on > today:
        raise VisitRejected("body.visited_on", "家访日期不能晚于今天 (visit date is in the future)")

    visit_id = f"v-{uuid4().hex[:16]}"
    staff = [caller.subject, *(s for s in visit.visiting_staff_ids if s != caller.subject)]
    event = VisitLoggedV1(
        producer="scheduling",
        district_id=caller.district_id,
        school_id=school_id,
        payload=VisitLogged(
            visit_id=visit_id,
            student_id=visit.student_id,
            class_id=visit.class_id,
            visiting_staff_ids=staff,
            visited_on=visit.visited_on,
            mode=visit.mode,
        ),
    )
    visit_document: Document = {
        "_id": visit_id,
        "district_id": caller.district_id,
        "school_id": school_id,
        "class_id": visit.class_id,
        "student_id": visit.student_id,
        "visited_on": visit.visited_on.isoformat(),
        "mode": visit.mode.value,
        "visiting_staff_ids": staff,
        "topics": visit.topics,
        "findings": visit.findings,
        "logged_by": caller.subject,
        "logged_at": event.occurred_at,
    }
    return Change(
        collection=HOME_VISITS,
        aggregate_id=visit_id,
        version=1,
        state=visit_document,
        events=(event,),
        actor={"subject": caller.subject, "role": caller.role.value},
        what="家访记录",
    )


def visit_public(document: Document) -> HomeVisitPublic:
    """The visit as its readers see it (the caller must be allowed to read it, see may_read_visit)."""
    return HomeVisitPublic(
        visit_id=document["_id"], **{k: document[k] for k in HomeVisitPublic.model_fields if k != "visit_id"}
    )


def may_read_visit(caller: Caller, document: Document) -> bool:
    """Findings are confidential: the class's teachers and the school admin read a visit."""
    return caller.role in VISITING_ROLES and caller.sees_class(
        document["district_id"], document["school_id"], document["class_id"]
    )
