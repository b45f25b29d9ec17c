"""Rules of the district's master data. No I/O: the API hands in the caller, the current record
and what the store knows (counts, existence); each rule answers the change to record."""

from datetime import date, datetime
from typing import Any, Literal, TypeVar
from uuid import uuid4

from contracts.envelope import Event
from contracts.events.registry import (
    CareCategory,
    Channel,
    ClassChanged,
    ClassChangedV1,
    EnrolmentStatus,
    GuardianChanged,
    GuardianChangedV1,
    GuardianContacts,
    PolicyChanged,
    PolicyChangedV1,
    RecordStatus,
    SchoolChanged,
    SchoolChangedV1,
    SchoolLevel,
    SchoolSetting,
    StudentChanged,
    StudentChangedV1,
)
from contracts.inputs import Text
from contracts.policy import DEFAULT_TARGETS, RATE_TARGETS, WEIGHT_PREFIX
from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Caller
from service_kit.changes import Change, next_state
from service_kit.errors import Problem
from service_kit.storage import Document

from registry import access

E = TypeVar("E", bound=Event)
SCHOOLS, CLASSES, STUDENTS, GUARDIANS, POLICIES = "schools", "classes", "students", "guardians", "policies"
# 11-digit mainland mobile numbers (13x–19x).
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
PRODUCER = "registry"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Policy events belong to the district, not to one school; this key keeps them in one partition.
DISTRICT_KEY = "district"


class StudentNumberTaken(Problem):
    def __init__(self, student_number: str) -> None:
        super().__init__(
            409,
            "student-number-taken",
            f"学号 {student_number} 在本校已被使用 (student number already used in this school)",
            errors=[{"field": "body.student_number", "message": f"学号 {student_number} 已存在"}],
        )


class RecordChanged(Problem):
    def __init__(self) -> None:
        super().__init__(
            409,
            "record-changed",
            "该记录已被他人修改，请刷新后再保存 (the record changed since you opened it)",
        )


def etag(version: int) -> str:
    """A record's entity tag: its version, quoted (``"3"``), as GET and PATCH answer it."""
    return f'"{version}"'


def unchanged_since(if_match: str | None, stored_version: int) -> None:
    """Optimistic concurrency: a save made from the version the page opened (``If-Match: "3"``)
    applies only while that version is still the stored one. Two people editing the same pupil's
    record at their desks would otherwise overwrite each other silently; the later one is told to
    reload instead. No If-Match (or ``*``) applies the change as before; a weak tag (``W/"3"``)
    counts as its version; a tag that is not a version cannot match."""
    if if_match is None or if_match.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if str(stored_version) not in tags:
        raise RecordChanged()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:12]}"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Schools (学校) ------------------------------------------------------------------------------


class SchoolCreate(Record):
    name: Text = Field(min_length=2, max_length=60, examples=["叶城县第九小学"])
    level: SchoolLevel
    setting: SchoolSetting
    address: Text = Field(default="", max_length=200)


class SchoolUpdate(Record):
    name: Text | None = Field(default=None, min_length=2, max_length=60)
    level: SchoolLevel | None = None
    setting: SchoolSetting | None = None
    address: Text | None = Field(default=None, max_length=200)
    status: RecordStatus | None = None


class SchoolPublic(BaseModel):
    school_id: str
    name: str
    level: SchoolLevel
    setting: SchoolSetting
    address: str
    status: RecordStatus
    version: int


def school_change(caller: Caller, school: Document, version: int) -> Change:
    event = SchoolChangedV1.about(
        PRODUCER,
        school,
        SchoolChanged(
            school_id=school["school_id"],
            name=school["name"],
            level=school["level"],
            setting=school["setting"],
            status=school["status"],
            version=version,
        ),
    )
    return Change(SCHOOLS, school["school_id"], version, school, (event,), caller.actor, "学校")


def register_school(caller: Caller, school: SchoolCreate) -> Change:
    """The bureau registers the schools of its district (区教育局管理学校)."""
    access.SCHOOL_RECORDS.role_allowed(caller)
    school_id = new_id("sch")
    record = school.model_dump(mode="json") | {
        "school_id": school_id,
        "district_id": caller.district_id,
        "status": RecordStatus.active.value,
    }
    return school_change(caller, record, 1)


def change_school(caller: Caller, current: Document | None, update: SchoolUpdate) -> Change:
    current = access.checked(access.SCHOOL_RECORDS, caller, current, access.school_scope)
    record = without_meta(current) | update.model_dump(mode="json", exclude_none=True)
    return school_change(caller, record, current["version"] + 1)


def school_public(document: Document) -> SchoolPublic:
    return SchoolPublic.model_validate(document, from_attributes=False, strict=False)


# Classes (班级) ------------------------------------------------------------------------------


class ClassCreate(Record):
    grade: int = Field(ge=1, le=12, description="年级")
    name: Text = Field(min_length=1, max_length=30, examples=["三年级2班"])
    head_teacher_id: Text | None = Field(default=None, pattern=ID_PATTERN, description="班主任")


class ClassPublic(BaseModel):
    class_id: str
    school_id: str
    grade: int
    name: str
    head_teacher_id: str | None
    status: RecordStatus
    enrolled_count: int
    version: int


def class_event(klass: Document, enrolled_count: int) -> ClassChangedV1:
    return ClassChangedV1.about(
        PRODUCER,
        klass,
        ClassChanged(
            class_id=klass["class_id"],
            grade=klass["grade"],
            status=klass["status"],
            enrolled_count=enrolled_count,
            head_teacher_id=klass.get("head_teacher_id"),
        ),
    )


def open_class(
    caller: Caller, school: Document | None, klass: ClassCreate, head_teacher: Document | None = None
) -> Change:
    """A school admin opens a class in their own school; its head teacher, when named
    (``head_teacher``: that member of staff's record), is one of the school's staff."""
    school = access.school_route(access.CLASS_RECORDS, caller, school)
    if klass.head_teacher_id is not None:
        what = f"教职工 {klass.head_teacher_id}"
        access.named(access.CLASS_RECORDS, caller, head_teacher, access.staff_scope, what)
    record = klass.model_dump(mode="json") | {
        "class_id": new_id("cls"),
        "district_id": school["district_id"],
        "school_id": school["school_id"],
        "status": RecordStatus.active.value,
    }
    return Change(CLASSES, record["class_id"], 1, record, (class_event(record, 0),), caller.actor, "班级")


# Students (学生) -----------------------------------------------------------------------------


class StudentCreate(Record):
    name: Text = Field(min_length=1, max_length=30, description="姓名")
    gender: Text = Field(pattern="^(男|女)$", description="性别: 男 or 女")
    student_number: Text = Field(
        pattern=r"^[A-Za-z0-9-]{1,32}$", description="学号, unique within the school"
    )
    care_categories: list[CareCategory] = Field(default_factory=list, description="关爱类别 (sensitive)")


class StudentUpdate(Record):
    name: Text | None = Field(default=None, min_length=1, max_length=30)
    care_categories: list[CareCategory] | None = None
    status: EnrolmentStatus | None = None


class Transfer(Record):
    class_id: Text = Field(pattern=ID_PATTERN, description="The class the student moves to.")
    on: date | None = Field(
        default=None,
        description=(
            "Effective date; today when omitted. Not before the student's current enrolment began "
            "(the same day is allowed); a later date than today is allowed."
        ),
    )


class StudentPublic(BaseModel):
    student_id: str
    school_id: str
    class_id: str
    name: str
    gender: str
    student_number: str
    status: EnrolmentStatus
    care_categories: list[CareCategory] | None = Field(
        default=None, description="Only for the class's teachers and the school admin."
    )
    history: list[dict[str, Any]]
    version: int


def student_events(student: Document, version: int, classes: list[tuple[Document, int]]) -> tuple[Any, ...]:
    internal = StudentChangedV1.about(
        PRODUCER,
        student,
        StudentChanged(
            student_id=student["student_id"],
            class_id=student["class_id"],
            status=student["status"],
            care_categories=student["care_categories"],
            name=student.get("name"),
            version=version,
        ),
    )
    return (internal, *(class_event(klass, count) for klass, count in classes))


def enrol_student(
    caller: Caller, klass: Document | None, student: StudentCreate, enrolled: int, today: date
) -> Change:
    """A school admin enrols a student in a class of their school.

    ``enrolled`` is the class's current enrolment; the public class event carries the new count.
    """
    klass = access.checked(access.STUDENT_RECORDS, caller, klass, access.class_scope, "班级")
    record = student.model_dump(mode="json") | {
        "student_id": new_id("stu"),
        "class_id": klass["class_id"],
        "district_id": klass["district_id"],
        "school_id": klass["school_id"],
        "status": EnrolmentStatus.enrolled.value,
        "history": [
            {"school_id": klass["school_id"], "class_id": klass["class_id"], "from": today.isoformat()}
        ],
    }
    events = student_events(record, 1, [(klass, enrolled + 1)])
    return Change(STUDENTS, record["student_id"], 1, record, events, caller.actor, "学生")


def change_student(
    caller: Caller, current: Document | None, update: StudentUpdate, klass: Document | None, enrolled: int
) -> Change:
    """Change a student's record; leaving or returning moves the class's enrolment count.

    ``klass`` is the student's class and ``enrolled`` its current enrolment.
    """
    current = access.checked(access.STUDENT_RECORDS, caller, current, access.student_scope)
    record = without_meta(current) | update.model_dump(mode="json", exclude_none=True)
    version = current["version"] + 1
    was, now = current["status"] == "enrolled", record["status"] == "enrolled"
    moved = [(klass, enrolled + (1 if now else -1))] if klass is not None and was != now else []
    return Change(
        STUDENTS,
        current["student_id"],
        version,
        record,
        student_events(record, version, moved),
        caller.actor,
        "学生",
    )


def transfer_student(
    caller: Caller,
    current: Document | None,
    target: Document | None,
    classes_now: tuple[Document, int, int],
    today: date,
    transfer: Transfer,
) -> Change:
    """Move a student to another class, keeping the history (转班/转学).

    A school admin moves students between classes of their school; a move to another school of the
    district is the bureau's. ``classes_now`` is the student's current class with the current
    enrolments of that class and of the target, so both public class events carry the new counts.
    """
    current = access.checked(access.TRANSFERS, caller, current, access.student_scope)
    target = access.named(access.PLACEMENTS, caller, target, access.class_scope, "班级")
    if target["class_id"] == current["class_id"]:
        raise Problem(
            422,
            "same-class",
            "学生已在该班级",
            errors=[{"field": "body.class_id", "message": "already in this class"}],
        )
    effective = transfer.on or today
    move = "转班" if target["school_id"] == current["school_id"] else "转学"
    if (reason := backdates_history(current["history"], effective, move)) is not None:
        raise Problem(
            422, "transfer-before-enrolment", reason, errors=[{"field": "body.on", "message": reason}]
        )
    on = effective.isoformat()
    history = [*current["history"]]
    history[-1] = history[-1] | {"to": on}
    history.append({"school_id": target["school_id"], "class_id": target["class_id"], "from": on})
    record = without_meta(current) | {
        "class_id": target["class_id"],
        "school_id": target["school_id"],
        "history": history,
    }
    old_class, old_count, new_count = classes_now
    version = current["version"] + 1
    events = student_events(record, version, [(old_class, max(old_count - 1, 0)), (target, new_count + 1)])
    return Change(STUDENTS, current["student_id"], version, record, events, caller.actor, "学生")


def backdates_history(history: list[dict[str, Any]], on: date, move: str = "转班") -> str | None:
    """Why a move (``move``: 转班 or 转学) taking effect ``on`` would make the student's history
    run backwards, or None when it may be recorded.

    A move closes the current period and opens the next on the same day, so it may not come before
    the latest date the history already holds: normally the start of the current enrolment, but a
    later date anywhere in the history counts too. A move on that very day is allowed (a student
    placed in the wrong class is corrected on their first day), leaving a period that begins and
    ends the same day. A date after today is allowed too: the registry records a move agreed ahead.
    """
    dates = [date.fromisoformat(d) for entry in history for key in ("from", "to") if (d := entry.get(key))]
    if not dates:
        return None
    latest = max(dates)
    if on >= latest:
        return None
    if latest == date.fromisoformat(history[-1]["from"]):
        return (
            f"{move}日期 {on} 不能早于当前班级的入学日期 {latest} "
            "(the transfer cannot take effect before the current enrolment began)"
        )
    return (
        f"{move}日期 {on} 不能早于学籍记录中已有的日期 {latest} "
        "(the transfer cannot take effect before a date already in the student's history)"
    )


def care_counts(students: list[Document]) -> dict[str, int]:
    """Enrolled students per care category: what the bureau may know of them."""
    return {
        category.value: sum(category.value in s["care_categories"] for s in students)
        for category in CareCategory
    }


def student_public(caller: Caller, student: Document) -> StudentPublic:
    """Care categories only for those ``access.CARE_CATEGORIES`` names."""
    shown = dict(student)
    if not access.CARE_CATEGORIES.allows(caller, access.student_scope(student)):
        shown["care_categories"] = None
    return StudentPublic.model_validate(shown)


# Guardians (家长/监护人) -----------------------------------------------------------------------


class GuardianCreate(Record):
    name: Text = Field(min_length=1, max_length=30, description="家长姓名")
    relationship: Text = Field(
        min_length=1, max_length=10, examples=["母亲", "父亲", "祖父母"], description="关系"
    )
    phone: Text | None = Field(
        default=None, pattern=MOBILE_PATTERN, description="11 位手机号", examples=["13800138000"]
    )
    email: Text | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=120)
    messaging_handle: Text | None = Field(default=None, max_length=60)
    preferred_channel: Channel = Channel.sms
    language: Literal["zh-CN", "en"] = "zh-CN"
    consent_non_essential: bool = Field(default=True, description="同意接收非必要通知")


class GuardianPublic(BaseModel):
    guardian_id: str
    name: str
    relationship: str
    student_ids: list[str]
    phone: str | None = Field(description="Masked (138****1234) in lists; absent for the bureau.")
    email: str | None
    preferred_channel: Channel
    language: str
    consent_non_essential: bool
    version: int


class GuardianContact(BaseModel):
    guardian_id: str
    phone: str | None
    email: str | None
    messaging_handle: str | None


def guardian_event(guardian: Document, version: int) -> GuardianChangedV1:
    return GuardianChangedV1.about(
        PRODUCER,
        guardian,
        GuardianChanged(
            guardian_id=guardian["guardian_id"],
            student_ids=guardian["student_ids"],
            contacts=GuardianContacts(
                phone=guardian["phone"],
                email=guardian["email"],
                messaging_handle=guardian["messaging_handle"],
            ),
            preferred_channel=guardian["preferred_channel"],
            language=guardian["language"],
            consent_non_essential=guardian["consent_non_essential"],
            version=version,
        ),
    )


def add_guardian(caller: Caller, student: Document | None, guardian: GuardianCreate) -> Change:
    """A school admin records a guardian of a student of their school."""
    student = access.checked(access.STUDENT_RECORDS, caller, student, access.student_scope)
    record = guardian.model_dump(mode="json") | {
        "guardian_id": new_id("gdn"),
        "district_id": student["district_id"],
        "school_id": student["school_id"],
        "student_ids": [student["student_id"]],
    }
    return Change(
        GUARDIANS, record["guardian_id"], 1, record, (guardian_event(record, 1),), caller.actor, "家长"
    )


class GuardianUpdate(Record):
    phone: Text | None = Field(default=None, pattern=MOBILE_PATTERN)
    email: Text | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=120)
    messaging_handle: Text | None = Field(default=None, max_length=60)
    preferred_channel: Channel | None = None
    language: Literal["zh-CN", "en"] | None = None
    consent_non_essential: bool | None = None


def change_guardian(caller: Caller, current: Document | None, update: GuardianUpdate) -> Change:
    current = access.checked(access.GUARDIAN_RECORDS, caller, current, access.guardian_scope)
    return _next_guardian(caller, current, update.model_dump(mode="json", exclude_none=True))


def _next_guardian(caller: Caller, current: Document, updates: Document) -> Change:
    """The guardian's next version, announced to the platform's services."""
    record = without_meta(current) | updates
    version = current["version"] + 1
    event = guardian_event(record, version)
    return Change(GUARDIANS, current["guardian_id"], version, record, (event,), caller.actor, "家长")


def link_guardian(caller: Caller, current: Document | None, student: Document | None) -> Change:
    """A guardian may have several children at the school: link another student to them."""
    current = access.checked(access.GUARDIAN_RECORDS, caller, current, access.guardian_scope)
    student = access.named(access.STUDENT_RECORDS, caller, student, access.student_scope, "学生")
    if student["student_id"] in current["student_ids"]:
        raise Problem(409, "already-linked", "该学生已关联此家长")
    return _next_guardian(caller, current, {"student_ids": [*current["student_ids"], student["student_id"]]})


def mask_phone(phone: str | None) -> str | None:
    return f"{phone[:3]}****{phone[-4:]}" if phone else None


def guardian_public(caller: Caller, student: Document, guardian: Document) -> GuardianPublic:
    """Phones are masked in lists, shown to those whose work is to call guardians
    (``access.GUARDIAN_CONTACTS``); the bureau and guardians read them without any contact detail."""
    shown = dict(guardian)
    if access.GUARDIAN_CONTACTS.allows(caller, access.student_scope(student)):
        shown["phone"] = mask_phone(guardian["phone"])
    else:
        shown["phone"] = shown["email"] = None
    return GuardianPublic.model_validate(shown)


def class_guardians(
    caller: Caller, students: list[Document], guardians: list[Document]
) -> list[GuardianPublic]:
    """The guardians of a class's enrolled ``students`` (in the students' order, each guardian
    once), as a list shows them: phones masked for those whose work is to call (``guardian_public``)."""
    shown: list[GuardianPublic] = []
    seen: set[str] = set()
    for student in students:
        mine = [
            g for g in guardians if student["student_id"] in g["student_ids"] and g["guardian_id"] not in seen
        ]
        for guardian in sorted(mine, key=lambda g: (g["name"], g["guardian_id"])):
            seen.add(guardian["guardian_id"])
            shown.append(guardian_public(caller, student, guardian))
    return shown


class AuditEntry(BaseModel):
    at: datetime
    who: str
    role: str
    action: str = Field(
        description="change:students, change:guardians, change:roster_imports (every row of an import) "
        "or read:guardian-contact"
    )
    record_id: str
    version: int | None


# District policy (区级政策) --------------------------------------------------------------------


class PolicyUpdate(Record):
    targets: dict[Text, float] = Field(description="Targets to change; the others keep their values.")


class PolicyPublic(BaseModel):
    district_id: str
    school_year: str
    version: int = Field(description="0 while the defaults have never been edited.")
    targets: dict[str, float]
    defaults: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TARGETS),
        description="DOMAIN.md's default targets, which the editor shows beside the year's.",
    )


def policy_id(district_id: str, school_year: str) -> str:
    return f"{district_id}:{school_year}"


def current_policy(district_id: str, school_year: str, stored: Document | None) -> PolicyPublic:
    if stored is None:
        return PolicyPublic(
            district_id=district_id, school_year=school_year, version=0, targets=DEFAULT_TARGETS
        )
    return PolicyPublic(
        district_id=district_id, school_year=school_year, version=stored["version"], targets=stored["targets"]
    )


def revise_policy(caller: Caller, school_year: str, stored: Document | None, update: PolicyUpdate) -> Change:
    """Only the bureau edits its district's policy; each school year is its own record, so an edit
    never rewrites another year's policy, and every edit is a new version."""
    access.POLICY_RECORDS.role_allowed(caller)
    unknown = sorted(set(update.targets) - set(DEFAULT_TARGETS))
    if unknown:
        raise Problem(
            422,
            "unknown-target",
            f"未知的指标: {', '.join(unknown)}",
            errors=[{"field": f"body.targets.{name}", "message": "unknown target"} for name in unknown],
        )
    current = current_policy(caller.district_id, school_year, stored)
    version = current.version + 1
    targets = current.targets | update.targets
    policy_problems(targets)
    record = {"district_id": caller.district_id, "school_year": school_year, "targets": targets}
    event = PolicyChangedV1(
        producer=PRODUCER,
        district_id=caller.district_id,
        school_id=DISTRICT_KEY,
        payload=PolicyChanged(school_year=school_year, version=version, targets=targets),
    )
    return Change(
        POLICIES,
        policy_id(caller.district_id, school_year),
        version,
        record,
        (event,),
        caller.actor,
        "区级政策",
    )


WEIGHT_TOLERANCE = 0.0005  # weights are typed as percentages with one decimal (15.5%)
DEADLINE_DAYS = range(1, 29)  # a day every month has


def percent(share: float) -> str:
    """A share as the bureau reads it: 0.95 → 95%, 0.155 → 15.5%."""
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


def policy_problems(targets: dict[str, float]) -> None:
    """A policy the reports can measure against: each rate and weight a share between 0% and 100%,
    counts not negative, the submission due on a day every month has, and the ranking's weights
    adding up to 100% (the bulletin's composite score is their weighted sum). Every fault is named
    against its field (``body.targets.<key>``; the weights' total against ``body.targets``)."""
    errors: list[dict[str, str]] = []
    for key, value in sorted(targets.items()):
        field = f"body.targets.{key}"
        if key in RATE_TARGETS or key.startswith(WEIGHT_PREFIX):
            if not 0 <= value <= 1:
                errors.append({"field": field, "message": f"须在 0% 到 100% 之间，当前为 {percent(value)}"})
        elif key == "monthly_submission_deadline_day":
            if value not in DEADLINE_DAYS:
                errors.append({"field": field, "message": "每月截止日须在 1 日到 28 日之间"})
        elif value < 0:
            errors.append({"field": field, "message": "不能为负数"})
    total = sum(v for k, v in targets.items() if k.startswith(WEIGHT_PREFIX))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        errors.append({"field": "body.targets", "message": f"权重合计须为 100%，当前为 {percent(total)}"})
    if errors:
        detail = "；".join(
            e["message"] if e["field"] == "body.targets" else f"{e['field'].rsplit('.', 1)[1]} {e['message']}"
            for e in errors
        )
        raise Problem(422, "invalid-policy", detail, errors=errors)


def without_meta(document: Document) -> Document:
    return next_state(document, {})
