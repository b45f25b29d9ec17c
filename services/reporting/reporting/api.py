from typing import Annotated

from fastapi import APIRouter, Depends, Request
from service_kit.auth import CurrentCaller, ensure_visible

from reporting import domain
from reporting.store import ReportStore


def get_store(request: Request) -> ReportStore:
    store: ReportStore = request.app.state.store
    return store


StoreDep = Annotated[ReportStore, Depends(get_store)]

router = APIRouter(prefix="/v1", tags=["reports 报表"])


@router.get("/schools/{school_id}/home-visits", response_model=domain.SchoolVisitSummary)
async def school_home_visits(
    school_id: str, caller: CurrentCaller, store: StoreDep
) -> domain.SchoolVisitSummary:
    """学校家访统计 (home visits logged and distinct students visited, for one school)."""
    ensure_visible(domain.may_read_school(caller, caller.district_id, school_id), "学校")
    visits, students = await store.school_visit_counts(caller.district_id, school_id)
    two_staff, confirmed = await store.school_evidence(caller.district_id, school_id)
    return domain.SchoolVisitSummary(
        district_id=caller.district_id,
        school_id=school_id,
        visits_logged=visits,
        students_visited=students,
        two_staff_visits=two_staff,
        guardian_confirmed=confirmed,
    )
