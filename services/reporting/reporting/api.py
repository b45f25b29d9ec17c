from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from contracts.inputs import FreeText, OpaqueId, SchoolYear, Text
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from service_kit.access import RecordScope, Rule, ensure_found
from service_kit.auth import Caller, CurrentCaller
from service_kit.errors import NotFound
from service_kit.storage import Document

from reporting import access, bulletin_render, reports, views
from reporting.bulletin_store import Bulletins
from reporting.disputes import AlreadyDisputed, public_dispute, raised, require_month
from reporting.periods import Month, TermName
from reporting.projection import Projection
from reporting.rebuild import Rebuilder
from reporting.store import DISPUTES, SUBMISSIONS, ActiveStore
from reporting.submissions import AlreadySubmitted, SubmissionKind, by_month, submit


def get_store(request: Request) -> ActiveStore:
    store: ActiveStore = request.app.state.store
    return store


async def get_projection(request: Request) -> Projection:
    """The read model, once loaded (a request during start-up waits for it)."""
    projection: Projection = request.app.state.projection
    await projection.ready()
    return projection


def today(request: Request) -> date:
    return request.app.state.settings.school_today()  # type: ignore[no-any-return]


StoreDep = Annotated[ActiveStore, Depends(get_store)]
ModelDep = Annotated[Projection, Depends(get_projection)]
Today = Annotated[date, Depends(today)]
TermQuery = Annotated[str, Query(description="学期, e.g. 2026-2027-autumn")]

router = APIRouter(prefix="/v1", tags=["reports 报表"])


@dataclass(frozen=True, eq=False)
class Allowed:
    """The caller, once the route's rule (``access``) admits its role: 403 before anything is read."""

    rule: Rule

    async def __call__(self, caller: CurrentCaller) -> Caller:
        self.rule.role_allowed(caller)
        return caller


def allowed(rule: Rule) -> Any:
    return Depends(Allowed(rule))


def located(model: Projection, caller: Caller, rule: Rule, kind: str, record_id: str) -> RecordScope:
    """A registry record's own place, as reporting knows it, checked against the caller's reach:
    404 for one reporting does not know, the same 404 (logged) for one out of reach."""
    where = ensure_found(model.whereabouts(kind, record_id, caller.district_id), rule.resource)
    scope = access.registry_scope(kind, record_id, *where)
    rule.check(caller, scope)
    return scope


class SchoolVisitSummary(BaseModel):
    district_id: str
    school_id: str
    visits_logged: int
    students_visited: int
    two_staff_visits: int = Field(description="Visits made by at least two staff.")
    guardian_confirmed: int = Field(
        description="Visits a guardian confirmed (the confirmation rate's numerator)."
    )


@router.get("/schools/{school_id}/home-visits", response_model=SchoolVisitSummary)
async def school_home_visits(
    school_id: str, caller: Annotated[Caller, allowed(access.SCHOOL_VISITS)], model: ModelDep
) -> SchoolVisitSummary:
    """学校家访统计 (home visits logged and distinct students visited, for one school)."""
    located(model, caller, access.SCHOOL_VISITS, "school", school_id)
    snapshot = model.snapshot(caller.district_id)
    made = snapshot.visits_made(school_id)
    return SchoolVisitSummary(
        district_id=caller.district_id,
        school_id=school_id,
        visits_logged=len(made),
        students_visited=len({v["student_id"] for v in made}),
        two_staff_visits=sum(1 for v in made if v["two_staff"]),
        guardian_confirmed=snapshot.confirmed(school_id),
    )


@router.get("/schools/{school_id}/report", response_model=reports.SchoolReport)
async def school_report(
    school_id: str,
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.SCHOOL_REPORT)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """学校报表 (measures against the policy with status, classes, teachers; bureau and the school)."""
    name = TermName.parse(term)
    located(model, caller, access.SCHOOL_REPORT, "school", school_id)
    snapshot = model.snapshot(caller.district_id)
    return views.school_report(caller, snapshot, school_id, name, day)


@router.get("/classes/{class_id}/report", response_model=reports.ClassReport)
async def class_report(
    class_id: str,
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.CLASS_REPORT)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """班级报表 (coverage, 三必访 and meetings of one class; unknown or outside the caller's scope: 404)."""
    name = TermName.parse(term)
    located(model, caller, access.CLASS_REPORT, "class", class_id)
    return views.class_report(caller, model.snapshot(caller.district_id), class_id, name, day)


@router.get("/teachers/me/report", response_model=reports.TeacherReport)
async def teacher_report(
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.TEACHER_REPORT)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """我的班级 (coverage of the classes I teach, and the mandatory students still unvisited)."""
    name = TermName.parse(term)
    # the school the registry has the teacher in, not the one the token names
    mine = located(model, caller, access.TEACHER_REPORT, "staff", caller.subject)
    assert mine.school_id is not None
    snapshot = model.snapshot(caller.district_id)
    return views.teacher_report(caller, snapshot, mine.school_id, name, day)


@router.get("/overview", response_model=reports.Overview)
async def overview(
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.OVERVIEW)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """全区概览 (bureau: totals, rates and each school's score; counts only, no names of people)."""
    name = TermName.parse(term)
    found = views.overview(model.snapshot(caller.district_id), name, day)
    model.keep_warm(caller.district_id, name, day)
    return found


@router.get("/rankings", response_model=reports.Ranking)
async def rankings(
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.RANKING)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """学校排名 (composite score with the policy's weights shown beside it)."""
    name = TermName.parse(term)
    found = views.ranking(model.snapshot(caller.district_id), name, day)
    model.keep_warm(caller.district_id, name, day)
    return found


@router.get("/completeness", response_model=reports.Completeness)
async def completeness(
    month: Annotated[str, Query(description="YYYY-MM")],
    caller: Annotated[Caller, allowed(access.COMPLETENESS)],
    store: StoreDep,
    model: ModelDep,
) -> dict[str, Any]:
    """报送完整性与及时性 (who confirmed the month, who was late, who logged nothing)."""
    which = Month.parse(month)
    submissions = await Bulletins(store, model).submissions(caller.district_id, which)
    return views.completeness(model.snapshot(caller.district_id), which, submissions)


@router.get("/trends", response_model=list[reports.TrendMonth])
async def trends(
    caller: Annotated[Caller, allowed(access.SCHOOL_TRENDS)],
    model: ModelDep,
    school_year: Annotated[SchoolYear, Query(description="学年, e.g. 2026-2027")],
    school_id: str | None = None,
) -> list[dict[str, Any]]:
    """月度趋势 (the district, or one school, month by month over a school year)."""
    if school_id is None:
        access.DISTRICT_TRENDS.role_allowed(caller)
    else:
        located(model, caller, access.SCHOOL_TRENDS, "school", school_id)
    return views.trends(model.snapshot(caller.district_id), school_year, school_id)


@router.get("/pairs/{pair_id}/comparison", response_model=reports.PairComparison)
async def pair_comparison(
    pair_id: str,
    term: TermQuery,
    caller: Annotated[Caller, allowed(access.PAIR_COMPARISON)],
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """结对帮扶对比 (the paired schools side by side, and their exchanges)."""
    name = TermName.parse(term)
    located(model, caller, access.PAIR_COMPARISON, "pair", pair_id)
    return views.pair_comparison(model.snapshot(caller.district_id), pair_id, name, day)


# Monthly submissions ------------------------------------------------------------------------------


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SubmissionKind = Field(description="confirmed 确认本月数据, or nothing_to_report 本月无数据")
    reason: FreeText | None = Field(
        default=None, max_length=300, description="Required for nothing_to_report, e.g. 寒假."
    )


class SubmissionOut(BaseModel):
    school_id: str
    month: str
    kind: str
    reason: str | None
    submitted_on: date
    deadline: date
    late: bool


@router.put("/schools/{school_id}/submissions/{month}", status_code=201, response_model=SubmissionOut)
async def submit_month(
    school_id: str,
    month: str,
    submission: SubmissionIn,
    caller: Annotated[Caller, allowed(access.SUBMIT)],
    store: StoreDep,
    model: ModelDep,
    day: Today,
) -> SubmissionOut:
    """月度报送 (a school admin confirms the month, or declares nothing to report with a reason)."""
    located(model, caller, access.SUBMIT, "school", school_id)
    which = Month.parse(month, "path.month")
    snapshot = model.snapshot(caller.district_id)
    made = submit(snapshot, school_id, which, submission.kind, submission.reason, day, caller.subject)
    record = made.record()
    if not await store.records.insert(SUBMISSIONS, record):
        raise AlreadySubmitted(str(which))
    return SubmissionOut.model_validate(record)


@router.get("/schools/{school_id}/submissions", response_model=list[SubmissionOut])
async def submissions(
    school_id: str, caller: Annotated[Caller, allowed(access.SUBMISSIONS)], store: StoreDep, model: ModelDep
) -> list[SubmissionOut]:
    located(model, caller, access.SUBMISSIONS, "school", school_id)
    found = await store.records.find(SUBMISSIONS, {"district_id": caller.district_id, "school_id": school_id})
    return [SubmissionOut.model_validate(s) for s in by_month(found)]


# Bulletins ----------------------------------------------------------------------------------------


def _bulletins(store: ActiveStore, model: Projection) -> Bulletins:
    return Bulletins(store, model)


@router.post("/bulletins/{month}", status_code=201, response_model=reports.Bulletin, tags=["bulletins 通报"])
async def publish_bulletin(
    month: str,
    caller: Annotated[Caller, allowed(access.PUBLISH_BULLETIN)],
    store: StoreDep,
    model: ModelDep,
    day: Today,
) -> dict[str, Any]:
    """发布月度通报 (once; publishing again answers the published revision)."""
    return _public(
        await _bulletins(store, model).publish(caller.district_id, Month.parse(month, "path.month"), day)
    )


@router.get(
    "/bulletins/{month}",
    response_model=reports.Bulletin,
    responses={
        200: {
            "description": "JSON by default; `format` asks for HTML, CSV or XLSX",
            "content": {
                "text/html": {},
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        }
    },
    tags=["bulletins 通报"],
)
async def read_bulletin(
    month: str,
    caller: Annotated[Caller, allowed(access.BULLETIN)],
    store: StoreDep,
    model: ModelDep,
    request: Request,
    revision: int | None = None,
    format: Literal["json", "html", "csv", "xlsx"] = "json",
) -> Any:
    """月度通报 (JSON; HTML to print on A4 with the ranking as a chart; CSV or XLSX with the same
    Chinese headers; any revision)."""
    record = await _bulletins(store, model).latest(
        caller.district_id, Month.parse(month, "path.month"), revision
    )
    access.BULLETIN.check(caller, access.district_scope(record["district_id"]))
    name = f"bulletin-{record['month']}-r{record['revision']}"
    settings = request.app.state.settings
    district_name = settings.district_names.get(record["district_id"])
    if format == "html":
        return HTMLResponse(bulletin_render.as_html(record, district_name, settings.school_zone))
    if format == "csv":
        return Response(
            bulletin_render.as_csv(record["document"]),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        heading = bulletin_render.Heading.of(record, district_name, settings.school_zone)
        return Response(
            bulletin_render.as_xlsx(record["document"], heading),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return _public(record)


@router.get(
    "/bulletins/{month}/revisions", response_model=list[reports.BulletinRevision], tags=["bulletins 通报"]
)
async def bulletin_revisions(
    month: str, caller: Annotated[Caller, allowed(access.BULLETIN)], store: StoreDep, model: ModelDep
) -> list[dict[str, Any]]:
    found = await _bulletins(store, model).revisions(caller.district_id, Month.parse(month, "path.month"))
    return [{k: r.get(k) for k in ("revision", "published_at", "reason", "changes")} for r in found]


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_id: OpaqueId
    figure: Text = Field(max_length=60, description="The measure disputed, e.g. home_visit_coverage")
    reason: FreeText = Field(min_length=1, max_length=500)


@router.post(
    "/bulletins/{month}/disputes", status_code=201, response_model=reports.Dispute, tags=["bulletins 通报"]
)
async def dispute(
    month: str,
    body: DisputeIn,
    caller: Annotated[Caller, allowed(access.DISPUTE)],
    store: StoreDep,
    model: ModelDep,
) -> dict[str, Any]:
    """对通报数据提出异议 (a school admin disputes a figure of its own school, with a reason)."""
    located(model, caller, access.DISPUTE, "school", body.school_id)
    which = Month.parse(month, "path.month")
    current = await _bulletins(store, model).latest(caller.district_id, which)
    record = raised(
        caller.district_id,
        which,
        body.school_id,
        body.figure,
        body.reason,
        current["revision"],
        caller.subject,
    )
    if not await store.records.insert(DISPUTES, record):
        raise AlreadyDisputed()
    return public_dispute(record)


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText = Field(
        min_length=1, max_length=500, description="The bureau's decision, e.g. 补录迟到数据"
    )


@router.post(
    "/bulletins/{month}/disputes/{dispute_id}/acceptance",
    status_code=201,
    response_model=reports.Bulletin,
    tags=["bulletins 通报"],
)
async def accept_dispute(
    month: str,
    dispute_id: str,
    body: AcceptanceIn,
    caller: Annotated[Caller, allowed(access.ACCEPT_DISPUTE)],
    store: StoreDep,
    model: ModelDep,
) -> dict[str, Any]:
    """采纳异议并发布新版通报 (records what changed and why; earlier revisions stay readable)."""
    which = Month.parse(month, "path.month")
    found = await _dispute(store, caller, access.ACCEPT_DISPUTE, month, dispute_id)
    return _public(
        await _bulletins(store, model).accept(caller.district_id, which, found, body.note, caller.subject)
    )


@router.get("/bulletins/{month}/disputes", response_model=list[reports.Dispute], tags=["bulletins 通报"])
async def disputes(
    month: str, caller: Annotated[Caller, allowed(access.DISPUTES)], store: StoreDep, model: ModelDep
) -> list[dict[str, Any]]:
    """通报异议 (the month's disputes: the bureau reads its district's, a school admin its school's)."""
    found = await _bulletins(store, model).disputes(caller.district_id, Month.parse(month, "path.month"))
    return [public_dispute(d) for d in found if access.DISPUTES.allows(caller, access.dispute_scope(d))]


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText = Field(
        min_length=1, max_length=500, description="Why the figure stands, e.g. 经核实，原数据无误"
    )


@router.post(
    "/bulletins/{month}/disputes/{dispute_id}/rejection",
    response_model=reports.Dispute,
    tags=["bulletins 通报"],
)
async def reject_dispute(
    month: str,
    dispute_id: str,
    body: RejectionIn,
    caller: Annotated[Caller, allowed(access.REJECT_DISPUTE)],
    store: StoreDep,
    model: ModelDep,
) -> dict[str, Any]:
    """驳回异议 (the revision stands; the dispute keeps the bureau's note; 409 once settled)."""
    which = Month.parse(month, "path.month")
    found = await _dispute(store, caller, access.REJECT_DISPUTE, month, dispute_id)
    return public_dispute(
        await _bulletins(store, model).reject(caller.district_id, which, found, body.note, caller.subject)
    )


async def _dispute(store: ActiveStore, caller: Caller, rule: Rule, month: str, dispute_id: str) -> Document:
    """The month's dispute as stored, within the caller's reach: a dispute out of reach answers as
    a missing one, word for word."""
    which = Month.parse(month, "path.month")
    found: Document = ensure_found(await store.records.get(DISPUTES, dispute_id), rule.resource)
    rule.check(caller, access.dispute_scope(found))
    return require_month(found, which, rule.resource)


def _public(record: Document) -> dict[str, Any]:
    """A bulletin revision as the API answers it, with the Chinese label of each of its keys."""
    return {k: v for k, v in record.items() if k != "_id"} | {
        "labels": bulletin_render.labels_of(record["document"])
    }


# Rebuild ------------------------------------------------------------------------------------------


@router.post("/rebuilds", status_code=202, response_model=reports.RebuildRun, tags=["rebuild 重建"])
async def start_rebuild(
    caller: Annotated[Caller, allowed(access.REBUILD)], request: Request
) -> dict[str, Any]:
    """重建报表 (replay every topic into a fresh database; switches over once caught up)."""
    rebuilder: Rebuilder = request.app.state.rebuilder
    return rebuilder.start().as_dict()


@router.get("/rebuilds/{rebuild_id}", response_model=reports.RebuildRun, tags=["rebuild 重建"])
async def rebuild_status(
    rebuild_id: str, caller: Annotated[Caller, allowed(access.REBUILD)], request: Request
) -> dict[str, Any]:
    rebuilder: Rebuilder = request.app.state.rebuilder
    run = rebuilder.runs.get(rebuild_id)
    if run is None:
        raise NotFound("重建任务")
    return run.as_dict()
