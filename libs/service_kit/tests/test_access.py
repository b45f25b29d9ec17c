"""One rule per kind of record: the record's own district, school and class against the caller's;
a role without a rule is refused with 403, a record out of reach with the 404 of a missing one, and
both are logged and counted."""

import logging

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from service_kit.access import Reach, RecordScope, RoleRefused, Rule
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound, install_problem_handlers

VISITS = Rule(
    "家访记录",
    {
        Role.bureau: Reach.district,
        Role.school_admin: Reach.school,
        Role.teacher: Reach.classes,
        Role.guardian: Reach.own,
    },
)
VISIT = RecordScope.of("d-1", "sch-a", class_ids=["cls-a1"], student_ids=["stu-1"], people=["stf-visitor"])


def caller(
    role: Role,
    district: str = "d-1",
    school: str | None = "sch-a",
    subject: str = "someone",
    class_ids: frozenset[str] = frozenset(),
    student_ids: frozenset[str] = frozenset(),
) -> Caller:
    return Caller(subject, role, district, school, class_ids, student_ids)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (caller(Role.bureau, school=None), True),
        (caller(Role.bureau, district="d-2", school=None), False),
        (caller(Role.school_admin), True),
        (caller(Role.school_admin, school="sch-b"), False),
        (caller(Role.teacher, class_ids=frozenset({"cls-a1"})), True),
        (caller(Role.teacher, class_ids=frozenset({"cls-a2"})), False),
        (caller(Role.teacher, class_ids=frozenset({"cls-a2"}), subject="stf-visitor"), True),
        (caller(Role.teacher, school="sch-b", class_ids=frozenset({"cls-a1"})), False),
        (caller(Role.guardian, student_ids=frozenset({"stu-1"})), True),
        (caller(Role.guardian, student_ids=frozenset({"stu-2"})), False),
        # a token of another district naming this district's child reaches nothing
        (caller(Role.guardian, district="d-2", student_ids=frozenset({"stu-1"})), False),
        (caller(Role.school_admin, district="d-2"), False),
    ],
)
def test_a_reach_starts_from_the_records_own_district_school_and_class(who: Caller, allowed: bool) -> None:
    assert VISITS.allows(who, VISIT) is allowed


def test_a_role_without_a_rule_is_refused_whatever_the_record() -> None:
    partner = caller(Role.partner, subject="ptn-1")
    assert not VISITS.allows(partner, VISIT)
    with pytest.raises(RoleRefused) as refused:
        VISITS.check(partner, VISIT)
    assert refused.value.status == 403


def test_a_record_out_of_reach_answers_like_a_missing_one() -> None:
    with pytest.raises(NotFound) as refused:
        VISITS.check(caller(Role.school_admin, school="sch-b"), VISIT)
    assert refused.value.status == 404
    assert refused.value.detail == NotFound("家访记录").detail


def app_refusing() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/home-visits/{visit_id}")
    async def read(visit_id: str, request: Request, role: Role, school: str) -> dict[str, str]:
        request.state.caller = caller(role, school=school, subject="stf-7")
        VISITS.check(request.state.caller, VISIT)
        return {"visit_id": visit_id}

    @app.get("/v1/missing")
    async def missing() -> None:
        raise NotFound("家访记录")

    return app


async def get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_refusing())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def denials(reader: InMemoryMetricReader) -> dict[tuple[int, str], int]:
    counted: dict[tuple[int, str], int] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "district.access.denied":
                    for point in metric.data.data_points:  # type: ignore[union-attr]
                        key = (int(point.attributes["status"]), str(point.attributes["route"]))
                        counted[key] = counted.get(key, 0) + int(point.value)  # type: ignore[arg-type]
    return counted


async def test_refusals_are_logged_with_caller_route_and_reason_and_counted(
    caplog: pytest.LogCaptureFixture, metric_reader: InMemoryMetricReader
) -> None:
    route = "/v1/home-visits/{visit_id}"
    before = denials(metric_reader)
    with caplog.at_level(logging.WARNING, logger="district.access"):
        out_of_school = await get("/v1/home-visits/hv-1?role=school_admin&school=sch-b")
        wrong_role = await get("/v1/home-visits/hv-1?role=partner&school=sch-a")
        missing = await get("/v1/missing")
    assert (out_of_school.status_code, wrong_role.status_code, missing.status_code) == (404, 403, 404)
    assert out_of_school.json()["detail"] == missing.json()["detail"]

    logged = [r for r in caplog.records if r.getMessage() == "access denied"]
    assert [(r.status, r.route, r.caller_role, r.caller_school) for r in logged] == [  # type: ignore[attr-defined]
        (404, route, "school_admin", "sch-b"),
        (403, route, "partner", "sch-a"),
    ]
    assert "school reach of school_admin" in logged[0].reason  # type: ignore[attr-defined]
    assert logged[0].caller_subject == "stf-7"  # type: ignore[attr-defined]

    after = denials(metric_reader)
    assert after.get((404, route), 0) - before.get((404, route), 0) == 1
    assert after.get((403, route), 0) - before.get((403, route), 0) == 1
    assert after.get((404, "/v1/missing"), 0) == before.get(
        (404, "/v1/missing"), 0
    )  # a missing record is no refusal
