from datetime import date
from typing import Annotated, Literal

from contracts.inputs import OpaqueId, SchoolYear, TermKind
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from service_kit.access import Rule, ensure_found
from service_kit.auth import Caller, CurrentCaller, Role
from service_kit.changes import Change, ChangedMeanwhile
from service_kit.idempotency import visit_id_for
from service_kit.storage import Document

from scheduling import access, domain, term_plan
from scheduling.store import VisitStore


def get_store(request: Request) -> VisitStore:
    store: VisitStore = request.app.state.store
    return store


StoreDep = Annotated[VisitStore, Depends(get_store)]

router = APIRouter(prefix="/v1", tags=["home visits 家访"])


@router.post("/home-visits", status_code=201, response_model=domain.HomeVisitPublic)
async def log_home_visit(
    visit: domain.HomeVisitCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.HomeVisitPublic:
    """登记一次家访 (log a home visit made to a student of the caller's class).

    Dated today or earlier, and not before the current term began; follow-ups fall due on the day
    of the visit or later; a summary shared with the guardians goes to them, with a request to
    confirm the visit when ``guardian_confirmation`` is set. Sent again with the same
    ``Idempotency-Key`` (an offline phone syncing), it is recorded once and answered the same: the
    middleware replays the first answer, and the visit's id derives from the caller and the key, so
    a retry after the key was released (a 5xx once the change was recorded) finds that visit."""
    today = request.app.state.settings.school_today()
    visit_id = visit_id_for(request, caller, "v-")
    if earlier := await store.recorded_by(visit_id, caller):
        return domain.visit_public(earlier)  # this submission was recorded before its answer was lost
    klass, student = await store.class_(visit.class_id), await store.student(visit.student_id)
    term = term_plan.current_term(await store.terms_of(caller.district_id), today)
    change = domain.log_home_visit(caller, visit, klass, student, today, term, visit_id)
    teachers = await store.class_teacher_ids(ensure_found(klass, "班级"))
    domain.check_class_staff(caller, teachers, visit.visiting_staff_ids, "body.visiting_staff_ids")
    domain.check_follow_up_owners(caller, teachers, visit.follow_ups)
    return await record_new_visit(store, change, caller)


async def record_new_visit(store: VisitStore, change: Change, caller: Caller) -> domain.HomeVisitPublic:
    """Record a new visit; when its id was derived (from the Idempotency-Key, or a term plan's class,
    term and student) and another attempt by the caller recorded it meanwhile — or recorded its
    change but stopped before writing the visit — answer with that one."""
    try:
        await store.record(change)
    except ChangedMeanwhile:
        if earlier := await store.recorded_by(change.aggregate_id, caller):
            return domain.visit_public(earlier)
        raise
    return domain.visit_public(change.state | {"version": change.version})


@router.post("/home-visits/plans", status_code=201, response_model=domain.HomeVisitPublic)
async def plan_home_visit(
    plan: domain.VisitPlan, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.HomeVisitPublic:
    """计划一次家访 (plan a visit to a student of the caller's class). Sent again with the same
    ``Idempotency-Key``, it is recorded once: the visit's id derives from the caller and the key."""
    visit_id = visit_id_for(request, caller, "v-")
    if earlier := await store.recorded_by(visit_id, caller):
        return domain.visit_public(earlier)
    klass, student = await store.class_(plan.class_id), await store.student(plan.student_id)
    today = request.app.state.settings.school_today()
    change = domain.plan_home_visit(caller, plan, klass, student, today, visit_id=visit_id)
    teachers = await store.class_teacher_ids(ensure_found(klass, "班级"))
    domain.check_class_staff(caller, teachers, plan.visiting_staff_ids, "body.visiting_staff_ids")
    return await record_new_visit(store, change, caller)


@router.post("/home-visits/{visit_id}/outcome", response_model=domain.HomeVisitPublic)
async def record_outcome(
    visit_id: str, outcome: domain.VisitOutcome, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.HomeVisitPublic:
    """登记家访结果：完成、未完成、改期或取消 (record what became of a planned visit; a visit done is
    dated as a logged one: today or earlier, not before the current term began)."""
    today = request.app.state.settings.school_today()
    current = await store.get(visit_id)
    district_id = current["district_id"] if current else caller.district_id
    term = term_plan.current_term(await store.terms_of(district_id), today)
    change = domain.record_outcome(caller, current, outcome, today, term)
    if (
        outcome.outcome == "done"
        and outcome.follow_ups
        and (klass := await store.class_(change.state["class_id"]))
    ):
        teachers = await store.class_teacher_ids(klass)
        domain.check_follow_up_owners(caller, teachers, outcome.follow_ups)
    await store.record(change)
    return domain.visit_public(change.state | {"version": change.version})


@router.get("/home-visits/{visit_id}", response_model=domain.HomeVisitPublic | domain.GuardianVisitView)
async def read_home_visit(
    visit_id: str, caller: CurrentCaller, store: StoreDep
) -> domain.HomeVisitPublic | domain.GuardianVisitView:
    """查看家访记录 (teachers of the class, the school admin; a guardian sees the shared summary)."""
    access.HOME_VISITS.role_allowed(caller)
    return domain.visit_for(caller, ensure_found(await store.get(visit_id), "家访记录"))


async def reached_class(store: VisitStore, caller: Caller, class_id: str, rule: Rule) -> Document:
    """The class as the projection knows it, once the caller may reach it under ``rule``: 403 for
    a role the rule leaves out, 404 for a class unknown or of another school or district."""
    rule.role_allowed(caller)
    klass = ensure_found(await store.class_(class_id), "班级")
    rule.check(caller, access.class_scope(klass))
    return klass


async def reached_school(store: VisitStore, caller: Caller, school_id: str | None, rule: Rule) -> Document:
    """The school as the projection knows it, once the caller may reach it under ``rule`` (a school
    route answers 404 for a school of another district, never an empty list)."""
    rule.role_allowed(caller)
    school = ensure_found(await store.school(school_id) if school_id else None, "学校")
    rule.check(caller, access.school_scope(school))
    return school


async def children(store: VisitStore, caller: Caller) -> list[Document]:
    """A guardian's children where the projection has them enrolled now (none for staff): which
    meetings and activities concern them, whatever school the token names."""
    if caller.role is not Role.guardian or not caller.student_ids:
        return []
    return access.children(caller, await store.students_by_id(sorted(caller.student_ids)))


@router.get("/classes/{class_id}/follow-ups", response_model=list[domain.OpenFollowUp])
async def class_follow_ups(
    class_id: str, caller: CurrentCaller, store: StoreDep, request: Request, mine: bool = False
) -> list[domain.OpenFollowUp]:
    """班级待办跟进事项，逾期标出 (open follow-ups of a class; ``mine`` keeps the caller's own)."""
    klass = await reached_class(store, caller, class_id, access.CLASSES)
    visits = await store.visits_of_class(klass["district_id"], klass["school_id"], class_id)
    today = request.app.state.settings.school_today()
    return domain.open_follow_ups(visits, today, caller.subject if mine else None)


async def term_of_today(store: VisitStore, district_id: str, today: date) -> Document:
    """The district's term holding today (school clock): 404 between terms or before the bureau set it."""
    term = term_plan.current_term(await store.terms_of(district_id), today)
    return ensure_found(term, "本学期 (no term holds today)")


@router.get("/classes/{class_id}/must-visit", response_model=term_plan.MustVisit)
async def class_must_visit(
    class_id: str, caller: CurrentCaller, store: StoreDep, request: Request
) -> term_plan.MustVisit:
    """本学期尚未家访的三必访学生 (the class's enrolled left-behind, hardship and special-attention
    students with no visit done this term, each with the visit planned for them, if any; the
    class's teachers and the school admin; 404 when no term holds today)."""
    klass = await reached_class(store, caller, class_id, access.CLASSES)
    term = await term_of_today(store, klass["district_id"], request.app.state.settings.school_today())
    students = await store.students_of_class(class_id)
    visits = await store.visits_of_students(klass["district_id"], [s["_id"] for s in students])
    return term_plan.must_visit(students, visits, term, klass)


@router.get("/classes/{class_id}/home-visits", response_model=list[domain.HomeVisitPublic])
async def class_home_visits(
    class_id: str,
    caller: CurrentCaller,
    store: StoreDep,
    request: Request,
    status: Annotated[
        Literal["planned", "done", "missed", "cancelled"] | None,
        Query(description="Only visits with this status."),
    ] = None,
    mine: Annotated[
        bool, Query(description="Only visits the caller makes (among the visiting staff).")
    ] = False,
) -> list[domain.HomeVisitPublic]:
    """班级本学期的家访 (the class's visits of the current term, by the day they were made or are
    planned for, soonest first; the class's teachers and the school admin; 404 between terms)."""
    klass = await reached_class(store, caller, class_id, access.CLASSES)
    term = await term_of_today(store, klass["district_id"], request.app.state.settings.school_today())
    visits = await store.visits_of_class(klass["district_id"], klass["school_id"], class_id)
    chosen = term_plan.visits_of_term(visits, term, status, caller.subject if mine else None)
    return [domain.visit_public(v) for v in chosen]


@router.post("/home-visits/{visit_id}/follow-ups/{index}/done", response_model=domain.HomeVisitPublic)
async def complete_follow_up(
    visit_id: str, index: int, caller: CurrentCaller, store: StoreDep
) -> domain.HomeVisitPublic:
    """完成一项后续跟进."""
    change = domain.complete_follow_up(caller, await store.get(visit_id), index)
    await store.record(change)
    return domain.visit_public(change.state | {"version": change.version})


@router.post("/home-visits/{visit_id}/confirmation", response_model=domain.GuardianVisitView)
async def confirm_visit(
    visit_id: str, caller: CurrentCaller, store: StoreDep, request: Request
) -> domain.GuardianVisitView:
    """家长确认家访 (the guardian of the visited child confirms, with their own token)."""
    change = domain.confirm_visit(
        caller, await store.get(visit_id), request.app.state.settings.school_today()
    )
    await store.record(change)
    return domain.GuardianVisitView.model_validate(change.state | {"visit_id": visit_id})


class TermPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_year: SchoolYear = Field(examples=["2026-2027"])
    term: TermKind
    teacher_ids: list[OpaqueId] = Field(
        min_length=1, max_length=20, description="The class's teachers who visit."
    )


class TermPlanConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: list[term_plan.ProposedVisit] = Field(min_length=1, max_length=200)


@router.post(
    "/classes/{class_id}/term-plan/proposal", response_model=term_plan.TermPlan, tags=["term plan 学期计划"]
)
async def propose_term_plan(
    class_id: str, proposal: TermPlanRequest, caller: CurrentCaller, store: StoreDep, request: Request
) -> term_plan.TermPlan:
    """建议学期家访计划 (三必访 first, then the policy's coverage; school days; shared among teachers).

    Students this class already has a visit planned or done for this term are left out, named in
    ``already_planned``, and count towards the coverage."""
    klass = await reached_class(store, caller, class_id, access.CLASSES)
    district_id = klass["district_id"]
    term = ensure_found(
        await store.term(district_id, proposal.school_year, proposal.term),
        "学期 (the bureau has not set this term)",
    )
    teachers = await store.class_teacher_ids(klass)
    domain.check_class_staff(caller, teachers, proposal.teacher_ids, "body.teacher_ids")
    students = [s for s in await store.students_of_class(class_id) if s["school_id"] == klass["school_id"]]
    target = term_plan.coverage_target(await store.policy(district_id, proposal.school_year))
    today = request.app.state.settings.school_today()
    visits = await store.visits_of_class(district_id, klass["school_id"], class_id)
    return term_plan.propose(class_id, students, term, target, proposal.teacher_ids, today, visits)


@router.post(
    "/classes/{class_id}/term-plan",
    status_code=201,
    response_model=list[domain.HomeVisitPublic],
    tags=["term plan 学期计划"],
)
async def confirm_term_plan(
    class_id: Annotated[OpaqueId, Path(description="The class; its id is checked, as VisitPlan checks it.")],
    plan: TermPlanConfirmation,
    caller: CurrentCaller,
    store: StoreDep,
    request: Request,
) -> list[domain.HomeVisitPublic]:
    """确认学期家访计划 (only the class's head teacher, 班主任, confirms the plan, adjusted or not,
    as planned visits; another teacher of the class or the school admin: 403 not-head-teacher).

    Visitors are teachers of the class (422 ``body.visits.N.visiting_staff_ids.M``). A student this
    class already has a visit planned for in the visit's term is refused (422
    ``body.visits.N.student_id``), and so is a student named twice; every visit is checked before
    the first is recorded.

    FerretDB has no transaction across documents, so the visits are recorded one change at a time
    and a failure half-way leaves part of the plan. Confirming again completes it rather than
    duplicating it: each visit's id derives from class + term + student
    (``term_plan.plan_visit_id``), so a visit an earlier attempt recorded is found under its id —
    the very visit sent again (same day, mode and visitors) is answered as it stands and not
    recorded again; a different one for that student is the refusal above. Two attempts at once
    cannot both record a visit: the second insert of the same id and version fails, and that
    attempt answers with the visit the first recorded (``record_new_visit``)."""
    today = request.app.state.settings.school_today()
    klass = await reached_class(store, caller, class_id, access.CLASSES)
    students = {v.student_id: await store.student(v.student_id) for v in plan.visits}
    for student in students.values():  # a student outside the class: its 404 comes first
        domain.check_visitable(caller, klass, student)
    access.check_head_teacher(caller, klass)
    teachers = await store.class_teacher_ids(klass)
    for n, v in enumerate(plan.visits):
        domain.check_class_staff(
            caller, teachers, v.visiting_staff_ids, f"body.visits.{n}.visiting_staff_ids"
        )
    terms = await store.terms_of(klass["district_id"])
    visits = await store.visits_of_class(klass["district_id"], klass["school_id"], class_id)
    answers: list[domain.HomeVisitPublic | Change] = []
    named: set[str] = set()
    for n, v in enumerate(plan.visits):
        term = term_plan.current_term(terms, v.planned_on)
        visit_id = term_plan.plan_visit_id(class_id, term, v.student_id)
        earlier = next((d for d in visits if d["_id"] == visit_id), None)
        others = [d for d in visits if d["_id"] != visit_id]
        if v.student_id in named or term_plan.planned_in_term(others, v.student_id, term):
            raise domain.AlreadyPlanned(n)
        named.add(v.student_id)
        if earlier is not None and earlier["status"] == "planned":
            if not term_plan.same_visit(earlier, v):
                raise domain.AlreadyPlanned(n)
            answers.append(domain.visit_public(earlier))  # recorded by an earlier attempt
            continue
        answers.append(
            domain.plan_home_visit(
                caller,
                domain.VisitPlan(
                    student_id=v.student_id,
                    class_id=class_id,
                    planned_on=v.planned_on,
                    mode=v.mode,
                    visiting_staff_ids=v.visiting_staff_ids,
                ),
                klass,
                students[v.student_id],
                today,
                with_caller=False,
                # an earlier plan's visit since settled (cancelled, done): a new visit, a new id
                visit_id=visit_id if earlier is None else None,
            )
        )
    recorded: list[domain.HomeVisitPublic] = []
    for answer in answers:  # every visit was checked before the first is recorded
        if isinstance(answer, Change):
            answer = await record_new_visit(store, answer, caller)
        recorded.append(answer)
    return recorded
