from datetime import UTC, datetime
from typing import Annotated

from contracts import inputs
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from service_kit.access import OutOfScope, ensure_found
from service_kit.auth import CurrentCaller
from service_kit.changes import Change
from service_kit.errors import documented_problem

from registry import access, domain, roster
from registry import organisation as org
from registry.store import RegistryStore


def get_store(request: Request) -> RegistryStore:
    store: RegistryStore = request.app.state.store
    return store


StoreDep = Annotated[RegistryStore, Depends(get_store)]
SchoolYear = Annotated[inputs.SchoolYear, Path(description="学年 (school year)", examples=["2026-2027"])]

IfMatch = Annotated[
    str | None,
    Header(
        description=(
            '记录的版本 (the record\'s version as the page read it, "3"): a record changed since is '
            "refused with 409 record-changed; without it the change applies as it stands"
        ),
        examples=['"3"'],
    ),
]

router = APIRouter(prefix="/v1")


def tagged(response: Response, version: int) -> None:
    """The answer names the record's version (``ETag: "3"``), which the next save sends back."""
    response.headers["ETag"] = domain.etag(version)


def saved_from(if_match: str | None, change: Change) -> None:
    """The change was made from the version the caller opened (checked after access and the
    record's own rules, so a record out of scope stays a 404)."""
    domain.unchanged_since(if_match, change.version - 1)


@router.post("/schools", status_code=201, response_model=domain.SchoolPublic, tags=["schools 学校"])
async def register_school(
    school: domain.SchoolCreate, caller: CurrentCaller, store: StoreDep
) -> domain.SchoolPublic:
    """登记学校 (the bureau registers a school of its district)."""
    change = domain.register_school(caller, school)
    await store.record(change)
    return domain.SchoolPublic.model_validate(change.state | {"version": change.version})


@router.get("/schools", response_model=list[domain.SchoolPublic], tags=["schools 学校"])
async def list_schools(caller: CurrentCaller, store: StoreDep) -> list[domain.SchoolPublic]:
    """学校列表 (the bureau sees its district's schools; others their own school)."""
    schools = await store.schools_of(caller.district_id)
    return [
        domain.SchoolPublic.model_validate(s)
        for s in access.visible(access.SCHOOLS, caller, schools, access.school_scope)
    ]


@router.get("/schools/{school_id}", response_model=domain.SchoolPublic, tags=["schools 学校"])
async def read_school(
    school_id: str, caller: CurrentCaller, store: StoreDep, response: Response
) -> domain.SchoolPublic:
    """查看学校."""
    school = access.checked(access.SCHOOLS, caller, await store.school(school_id), access.school_scope)
    tagged(response, school["version"])
    return domain.SchoolPublic.model_validate(school)


@router.patch("/schools/{school_id}", response_model=domain.SchoolPublic, tags=["schools 学校"])
async def change_school(
    school_id: str,
    update: domain.SchoolUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> domain.SchoolPublic:
    """修改学校信息 (bureau)."""
    change = domain.change_school(caller, await store.school(school_id), update)
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return domain.SchoolPublic.model_validate(change.state | {"version": change.version})


@router.post(
    "/schools/{school_id}/classes", status_code=201, response_model=domain.ClassPublic, tags=["classes 班级"]
)
async def open_class(
    school_id: str, klass: domain.ClassCreate, caller: CurrentCaller, store: StoreDep
) -> domain.ClassPublic:
    """开设班级 (a school admin, in their own school, with one of its staff as head teacher)."""
    head_teacher = await store.get(org.STAFF, klass.head_teacher_id) if klass.head_teacher_id else None
    change = domain.open_class(caller, await store.school(school_id), klass, head_teacher)
    await store.record(change)
    return domain.ClassPublic.model_validate(change.state | {"version": 1, "enrolled_count": 0})


@router.get("/schools/{school_id}/classes", response_model=list[domain.ClassPublic], tags=["classes 班级"])
async def list_classes(school_id: str, caller: CurrentCaller, store: StoreDep) -> list[domain.ClassPublic]:
    """班级列表 (a teacher sees the classes they teach)."""
    school = access.school_route(access.CLASSES, caller, await store.school(school_id))
    classes = await store.classes_of(school["district_id"], school_id)
    visible = access.visible(access.CLASSES, caller, classes, access.class_scope)
    return [
        domain.ClassPublic.model_validate(k | {"enrolled_count": await store.enrolled_count(k["class_id"])})
        for k in visible
    ]


@router.get("/classes/{class_id}/students", response_model=list[domain.StudentPublic], tags=["students 学生"])
async def list_students(class_id: str, caller: CurrentCaller, store: StoreDep) -> list[domain.StudentPublic]:
    """班级学生名单 (the class's teachers, the school admin and the bureau)."""
    access.checked(access.CLASSES, caller, await store.class_(class_id), access.class_scope)
    return [domain.student_public(caller, s) for s in await store.students_of(class_id)]


@router.get("/classes/{class_id}/teachers", response_model=list[org.ClassTeacher], tags=["classes 班级"])
async def list_class_teachers(
    class_id: str, caller: CurrentCaller, store: StoreDep
) -> list[org.ClassTeacher]:
    """班级的任课教师与班主任 (the staff who teach the class and its head teacher, by name and role;
    for the class's teachers and the school admin)."""
    klass = access.checked(access.CLASS_PEOPLE, caller, await store.class_(class_id), access.class_scope)
    return org.class_teachers(klass, await store.teachers_of(klass))


@router.get(
    "/classes/{class_id}/guardians", response_model=list[domain.GuardianPublic], tags=["guardians 家长"]
)
async def list_class_guardians(
    class_id: str, caller: CurrentCaller, store: StoreDep
) -> list[domain.GuardianPublic]:
    """班级学生的家长 (the guardians of the class's enrolled students, phones masked; for the class's
    teachers and the school admin)."""
    klass = access.checked(access.CLASS_PEOPLE, caller, await store.class_(class_id), access.class_scope)
    students = [
        s
        for s in await store.students_of(class_id)
        if (s["district_id"], s["school_id"]) == (klass["district_id"], klass["school_id"])
    ]
    guardians = await store.guardians_of_students(klass["district_id"], [s["student_id"] for s in students])
    return domain.class_guardians(caller, students, guardians)


@router.post(
    "/classes/{class_id}/students",
    status_code=201,
    response_model=domain.StudentPublic,
    tags=["students 学生"],
)
async def enrol_student(
    class_id: str, student: domain.StudentCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.StudentPublic:
    """学生入学 (a school admin enrols a student in a class of their school)."""
    klass = await store.class_(class_id)
    change = domain.enrol_student(
        caller,
        klass,
        student,
        await store.enrolled_count(class_id),
        request.app.state.settings.school_today(),
    )
    school_id = change.state["school_id"]
    if not await store.claim_student_number(school_id, student.student_number, change.aggregate_id):
        raise domain.StudentNumberTaken(student.student_number)
    try:
        await store.record(change)
    except Exception:
        await store.release_student_number(school_id, student.student_number)
        raise
    return domain.student_public(caller, change.state | {"version": 1})


@router.get("/students/{student_id}", response_model=domain.StudentPublic, tags=["students 学生"])
async def read_student(
    student_id: str, caller: CurrentCaller, store: StoreDep, response: Response
) -> domain.StudentPublic:
    """查看学生 (teachers of the class, the school admin, the bureau, the student's guardians)."""
    student = access.checked(access.STUDENTS, caller, await store.student(student_id), access.student_scope)
    tagged(response, student["version"])
    return domain.student_public(caller, student)


@router.patch("/students/{student_id}", response_model=domain.StudentPublic, tags=["students 学生"])
async def change_student(
    student_id: str,
    update: domain.StudentUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> domain.StudentPublic:
    """修改学生信息：姓名、关爱类别、在籍状态 (the school admin)."""
    current = await store.student(student_id)
    klass = await store.class_(current["class_id"]) if current else None
    enrolled = await store.enrolled_count(klass["class_id"]) if klass else 0
    change = domain.change_student(caller, current, update, klass, enrolled)
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return domain.student_public(caller, change.state | {"version": change.version})


@router.post("/students/{student_id}/transfer", response_model=domain.StudentPublic, tags=["students 学生"])
async def transfer_student(
    student_id: str, transfer: domain.Transfer, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.StudentPublic:
    """转班/转学 (to a class of the same school by its admin; to another school by the bureau)."""
    # checked before anything else of the student is read; domain.transfer_student checks it again
    current = access.checked(access.TRANSFERS, caller, await store.student(student_id), access.student_scope)
    target = await store.class_(transfer.class_id)
    old_class = await store.class_(current["class_id"])
    assert old_class is not None
    counts = (
        old_class,
        await store.enrolled_count(old_class["class_id"]),
        await store.enrolled_count(transfer.class_id) if target else 0,
    )
    change = domain.transfer_student(
        caller, current, target, counts, request.app.state.settings.school_today(), transfer
    )
    await store.record(change)
    return domain.student_public(caller, change.state | {"version": change.version})


@router.post(
    "/students/{student_id}/guardians",
    status_code=201,
    response_model=domain.GuardianPublic,
    tags=["guardians 家长"],
)
async def add_guardian(
    student_id: str, guardian: domain.GuardianCreate, caller: CurrentCaller, store: StoreDep
) -> domain.GuardianPublic:
    """登记家长 (the school admin records a guardian of a student)."""
    student = await store.student(student_id)
    change = domain.add_guardian(caller, student, guardian)
    await store.record(change)
    return domain.guardian_public(caller, ensure_found(student), change.state | {"version": 1})


@router.get(
    "/students/{student_id}/guardians", response_model=list[domain.GuardianPublic], tags=["guardians 家长"]
)
async def list_guardians(
    student_id: str, caller: CurrentCaller, store: StoreDep
) -> list[domain.GuardianPublic]:
    """学生的家长 (phones masked; the bureau sees no contact details)."""
    student = access.checked(
        access.GUARDIANS, caller, await store.student(student_id), access.student_scope, "学生"
    )
    return [domain.guardian_public(caller, student, g) for g in await store.guardians_of(student_id)]


@router.patch("/guardians/{guardian_id}", response_model=domain.GuardianContact, tags=["guardians 家长"])
async def change_guardian(
    guardian_id: str,
    update: domain.GuardianUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> domain.GuardianContact:
    """修改家长联系方式与通知偏好 (the school admin; the new version in the ETag)."""
    change = domain.change_guardian(caller, await store.guardian(guardian_id), update)
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return domain.GuardianContact.model_validate(change.state)


@router.post("/guardians/{guardian_id}/students/{student_id}", status_code=204, tags=["guardians 家长"])
async def link_guardian(guardian_id: str, student_id: str, caller: CurrentCaller, store: StoreDep) -> None:
    """关联另一个孩子 (a guardian of several students; the school admin)."""
    change = domain.link_guardian(caller, await store.guardian(guardian_id), await store.student(student_id))
    await store.record(change)


@router.get(
    "/students/{student_id}/guardians/{guardian_id}/contact",
    response_model=domain.GuardianContact,
    tags=["guardians 家长"],
)
async def read_guardian_contact(
    student_id: str, guardian_id: str, caller: CurrentCaller, store: StoreDep
) -> domain.GuardianContact:
    """家长完整联系方式 (for the class's teachers and the school admin; every read is audited)."""
    student = access.checked(
        access.GUARDIAN_CONTACTS, caller, await store.student(student_id), access.student_scope, "学生"
    )
    guardian = ensure_found(await store.guardian(guardian_id), "家长")
    if student_id not in guardian["student_ids"]:
        raise OutOfScope("家长", "guardian not linked to the student named in the path")
    await store.log_contact_read(
        {
            "at": datetime.now(UTC),
            "who": caller.subject,
            "role": caller.role.value,
            "guardian_id": guardian_id,
            "student_id": student_id,
            "district_id": student["district_id"],
            "school_id": student["school_id"],
        }
    )
    return domain.GuardianContact.model_validate(guardian)


@router.get("/schools/{school_id}/audit", response_model=list[domain.AuditEntry], tags=["audit 审计"])
async def audit_trail(
    school_id: str, caller: CurrentCaller, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[domain.AuditEntry]:
    """审计日志 (changes to students and guardians, reads of full contacts; school admin and bureau)."""
    school = access.school_route(access.AUDIT, caller, await store.school(school_id))
    entries = await store.audit_trail(school["district_id"], school_id, limit)
    return [domain.AuditEntry.model_validate(e) for e in entries]


_ROSTER_FILE = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/schools/{school_id}/roster",
    response_model=roster.RosterReport,
    tags=["roster 花名册"],
    # the file is read from the raw body (no multipart), so its media types are declared here
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {kind: _ROSTER_FILE for kind in (*roster.CSV_TYPES, roster.XLSX_TYPE)},
        }
    },
    responses={415: documented_problem("不是 CSV 或 XLSX 文件 (neither CSV nor XLSX)")},
)
async def import_roster(
    school_id: str,
    request: Request,
    caller: CurrentCaller,
    store: StoreDep,
    dry_run: Annotated[bool, Query(description="检查但不导入 (check only, change nothing)")] = True,
) -> roster.RosterReport:
    """导入花名册 (CSV or XLSX with Chinese headers; every row is checked; all rows or none)."""
    school = access.school_route(access.STUDENT_RECORDS, caller, await store.school(school_id))
    rows = roster.read_rows(await request.body(), request.headers.get("content-type", ""))
    known = await store.school_roster(school)
    report, change = roster.plan_import(
        caller, rows, known, request.app.state.settings.school_today(), dry_run
    )
    if change is None:
        return report
    new_numbers = {
        a.state["student_number"]: a.aggregate_id
        for a in change.also
        if a.collection == domain.STUDENTS and a.version == 1
    }
    taken = await store.claim_student_numbers(school_id, new_numbers)
    if taken:
        raise domain.StudentNumberTaken(", ".join(taken))
    try:
        await store.record(change)
    except Exception:
        await store.release_student_numbers(school_id, list(new_numbers))
        raise
    return report


@router.get("/policy/{school_year}", response_model=domain.PolicyPublic, tags=["district policy 区级政策"])
async def read_policy(
    school_year: SchoolYear, caller: CurrentCaller, store: StoreDep, response: Response
) -> domain.PolicyPublic:
    """区级政策 (targets of a school year; DOMAIN.md's defaults until the bureau edits them)."""
    # the caller's district's own record: the rule only decides which roles read it
    access.POLICY.check(caller, access.district_scope(caller.district_id))
    policy = domain.current_policy(
        caller.district_id, school_year, await store.policy(caller.district_id, school_year)
    )
    tagged(response, policy.version)
    return policy


@router.put("/policy/{school_year}", response_model=domain.PolicyPublic, tags=["district policy 区级政策"])
async def revise_policy(
    school_year: SchoolYear,
    update: domain.PolicyUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> domain.PolicyPublic:
    """修订区级政策 (bureau only; each edit is a new version of that school year's policy)."""
    change = domain.revise_policy(
        caller, school_year, await store.policy(caller.district_id, school_year), update
    )
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return domain.current_policy(caller.district_id, school_year, change.state | {"version": change.version})
