from datetime import UTC, datetime
from typing import Annotated

from contracts import inputs
from fastapi import APIRouter, Depends, Path, Query, Request
from service_kit.auth import CurrentCaller, ensure_visible
from service_kit.errors import documented_problem

from registry import domain, roster
from registry.store import RegistryStore


def get_store(request: Request) -> RegistryStore:
    store: RegistryStore = request.app.state.store
    return store


StoreDep = Annotated[RegistryStore, Depends(get_store)]
SchoolYear = Annotated[inputs.SchoolYear, Path(description="学年 (school year)", examples=["2026-2027"])]

router = APIRouter(prefix="/v1")


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
        for s in schools
        if caller.sees_school(s["district_id"], s["_id"])
    ]


@router.get("/schools/{school_id}", response_model=domain.SchoolPublic, tags=["schools 学校"])
async def read_school(school_id: str, caller: CurrentCaller, store: StoreDep) -> domain.SchoolPublic:
    """查看学校."""
    school = await store.school(school_id)
    ensure_visible(school is not None and caller.sees_school(school["district_id"], school_id), "学校")
    return domain.SchoolPublic.model_validate(school)


@router.patch("/schools/{school_id}", response_model=domain.SchoolPublic, tags=["schools 学校"])
async def change_school(
    school_id: str, update: domain.SchoolUpdate, caller: CurrentCaller, store: StoreDep
) -> domain.SchoolPublic:
    """修改学校信息 (bureau)."""
    change = domain.change_school(caller, await store.school(school_id), update)
    await store.record(change)
    return domain.SchoolPublic.model_validate(change.state | {"version": change.version})


@router.post(
    "/schools/{school_id}/classes", status_code=201, response_model=domain.ClassPublic, tags=["classes 班级"]
)
async def open_class(
    school_id: str, klass: domain.ClassCreate, caller: CurrentCaller, store: StoreDep
) -> domain.ClassPublic:
    """开设班级 (a school admin, in their own school)."""
    change = domain.open_class(caller, await store.school(school_id), klass)
    await store.record(change)
    return domain.ClassPublic.model_validate(change.state | {"version": 1, "enrolled_count": 0})


@router.get("/schools/{school_id}/classes", response_model=list[domain.ClassPublic], tags=["classes 班级"])
async def list_classes(school_id: str, caller: CurrentCaller, store: StoreDep) -> list[domain.ClassPublic]:
    """班级列表 (a teacher sees the classes they teach)."""
    school = await store.school(school_id)
    ensure_visible(school is not None and caller.sees_school(school["district_id"], school_id), "学校")
    visible = [
        k for k in await store.classes_of(caller.district_id, school_id) if domain.may_read_class(caller, k)
    ]
    return [
        domain.ClassPublic.model_validate(k | {"enrolled_count": await store.enrolled_count(k["class_id"])})
        for k in visible
    ]


@router.get("/classes/{class_id}/students", response_model=list[domain.StudentPublic], tags=["students 学生"])
async def list_students(class_id: str, caller: CurrentCaller, store: StoreDep) -> list[domain.StudentPublic]:
    """班级学生名单 (the class's teachers, the school admin and the bureau)."""
    klass = await store.class_(class_id)
    ensure_visible(klass is not None and domain.may_read_class(caller, klass), "班级")
    return [domain.student_public(caller, s) for s in await store.students_of(class_id)]


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
async def read_student(student_id: str, caller: CurrentCaller, store: StoreDep) -> domain.StudentPublic:
    """查看学生 (teachers of the class, the school admin, the bureau, the student's guardians)."""
    student = await store.student(student_id)
    ensure_visible(student is not None and domain.may_read_student(caller, student), "学生")
    assert student is not None
    return domain.student_public(caller, student)


@router.patch("/students/{student_id}", response_model=domain.StudentPublic, tags=["students 学生"])
async def change_student(
    student_id: str, update: domain.StudentUpdate, caller: CurrentCaller, store: StoreDep
) -> domain.StudentPublic:
    """修改学生信息：姓名、关爱类别、在籍状态 (the school admin)."""
    current = await store.student(student_id)
    klass = await store.class_(current["class_id"]) if current else None
    enrolled = await store.enrolled_count(klass["class_id"]) if klass else 0
    change = domain.change_student(caller, current, update, klass, enrolled)
    await store.record(change)
    return domain.student_public(caller, change.state | {"version": change.version})


@router.post("/students/{student_id}/transfer", response_model=domain.StudentPublic, tags=["students 学生"])
async def transfer_student(
    student_id: str, transfer: domain.Transfer, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.StudentPublic:
    """转班/转学 (to a class of the same school by its admin; to another school by the bureau)."""
    current = await store.student(student_id)
    ensure_visible(current is not None and domain.may_manage_student(caller, current), "学生")
    assert current is not None
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
    assert student is not None
    return domain.guardian_public(caller, student, change.state | {"version": 1})


@router.get(
    "/students/{student_id}/guardians", response_model=list[domain.GuardianPublic], tags=["guardians 家长"]
)
async def list_guardians(
    student_id: str, caller: CurrentCaller, store: StoreDep
) -> list[domain.GuardianPublic]:
    """学生的家长 (phones masked; the bureau sees no contact details)."""
    student = await store.student(student_id)
    ensure_visible(student is not None and domain.may_read_student(caller, student), "学生")
    assert student is not None
    return [domain.guardian_public(caller, student, g) for g in await store.guardians_of(student_id)]


@router.patch("/guardians/{guardian_id}", response_model=domain.GuardianContact, tags=["guardians 家长"])
async def change_guardian(
    guardian_id: str, update: domain.GuardianUpdate, caller: CurrentCaller, store: StoreDep
) -> domain.GuardianContact:
    """修改家长联系方式与通知偏好 (the school admin)."""
    change = domain.change_guardian(caller, await store.guardian(guardian_id), update)
    await store.record(change)
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
    student, guardian = await store.student(student_id), await store.guardian(guardian_id)
    ensure_visible(
        student is not None
        and guardian is not None
        and student_id in guardian["student_ids"]
        and domain.contacts_guardians(caller, student),
        "家长",
    )
    assert student is not None
    assert guardian is not None
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
    ensure_visible(domain.may_read_audit(caller, school_id), "学校")
    entries = await store.audit_trail(caller.district_id, school_id, limit)
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
    school = await store.school(school_id)
    ensure_visible(school is not None and caller.sees_school(school["district_id"], school_id), "学校")
    assert school is not None
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
async def read_policy(school_year: SchoolYear, caller: CurrentCaller, store: StoreDep) -> domain.PolicyPublic:
    """区级政策 (targets of a school year; DOMAIN.md's defaults until the bureau edits them)."""
    return domain.current_policy(
        caller.district_id, school_year, await store.policy(caller.district_id, school_year)
    )


@router.put("/policy/{school_year}", response_model=domain.PolicyPublic, tags=["district policy 区级政策"])
async def revise_policy(
    school_year: SchoolYear, update: domain.PolicyUpdate, caller: CurrentCaller, store: StoreDep
) -> domain.PolicyPublic:
    """修订区级政策 (bureau only; each edit is a new version of that school year's policy)."""
    change = domain.revise_policy(
        caller, school_year, await store.policy(caller.district_id, school_year), update
    )
    await store.record(change)
    return domain.current_policy(caller.district_id, school_year, change.state | {"version": change.version})
