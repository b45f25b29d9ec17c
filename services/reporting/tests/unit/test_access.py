"""Reporting's rules of access without I/O: who reads which view, against the record's own district,
school and class; every route goes through a rule of the table."""

from datetime import date

import pytest
from reporting import access, api, measures, views
from reporting.periods import TermName
from reporting.snapshot import Snapshot
from service_kit.access import OutOfScope, RecordScope, RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

SCHOOL_A = access.registry_scope("school", "sch-a", "d-1", "sch-a")
CLASS_A1 = access.registry_scope("class", "cls-a1", "d-1", "sch-a")
TEACHER_A = access.registry_scope("staff", "stf-a", "d-1", "sch-a")


def caller(
    role: Role,
    district: str = "d-1",
    school: str | None = "sch-a",
    subject: str = "someone",
    class_ids: frozenset[str] = frozenset(),
) -> Caller:
    return Caller(subject, role, district, school, class_ids)


def bureau(district: str = "d-1") -> Caller:
    return caller(Role.bureau, district, None)


@pytest.mark.parametrize("rule", access.RULES, ids=lambda r: r.resource)
@pytest.mark.parametrize("role", [Role.guardian, Role.partner])
def test_guardians_and_partners_read_no_report_and_are_refused_with_403(rule, role) -> None:
    with pytest.raises(RoleRefused) as refused:
        rule.check(caller(role, subject="gdn-1"), SCHOOL_A)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("rule", "role"),
    [
        (access.SCHOOL_REPORT, Role.teacher),
        (access.SUBMISSIONS, Role.teacher),
        (access.OVERVIEW, Role.school_admin),
        (access.RANKING, Role.teacher),
        (access.COMPLETENESS, Role.school_admin),
        (access.DISTRICT_TRENDS, Role.school_admin),
        (access.PAIR_COMPARISON, Role.school_admin),
        (access.PUBLISH_BULLETIN, Role.school_admin),
        (access.BULLETIN, Role.teacher),
        (access.ACCEPT_DISPUTE, Role.school_admin),
        (access.REJECT_DISPUTE, Role.school_admin),  # a school does not settle its own dispute
        (access.DISPUTES, Role.teacher),
        (access.REBUILD, Role.school_admin),
        (access.TEACHER_REPORT, Role.school_admin),
        (access.TEACHER_REPORT, Role.bureau),
        (access.SUBMIT, Role.bureau),  # only the school itself confirms its month
        (access.DISPUTE, Role.bureau),
    ],
)
def test_a_role_a_view_is_not_for_gets_403_not_the_404_of_a_missing_record(rule, role) -> None:
    with pytest.raises(RoleRefused) as refused:
        rule.role_allowed(caller(role, school=None if role is Role.bureau else "sch-a"))
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "rule", [access.SCHOOL_VISITS, access.SCHOOL_REPORT, access.SCHOOL_TRENDS, access.SUBMISSIONS]
)
def test_another_districts_bureau_reaches_no_school_of_this_district(rule) -> None:
    rule.check(bureau(), SCHOOL_A)
    with pytest.raises(OutOfScope) as refused:
        rule.check(bureau("d-2"), SCHOOL_A)
    assert refused.value.status == 404
    assert refused.value.detail == NotFound(rule.resource).detail


def test_a_token_of_another_district_naming_this_school_reaches_nothing() -> None:
    for rule in (access.SCHOOL_VISITS, access.SCHOOL_REPORT, access.SUBMIT, access.DISPUTE):
        assert not rule.allows(caller(Role.school_admin, district="d-2"), SCHOOL_A)
    assert not access.CLASS_REPORT.allows(
        caller(Role.teacher, district="d-2", class_ids=frozenset({"cls-a1"})), CLASS_A1
    )
    assert not access.TEACHER_REPORT.allows(caller(Role.teacher, district="d-2", subject="stf-a"), TEACHER_A)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (bureau(), True),
        (bureau("d-2"), False),
        (caller(Role.school_admin), True),
        (caller(Role.school_admin, school="sch-b"), False),
        (caller(Role.teacher, class_ids=frozenset({"cls-a1"})), True),
        (caller(Role.teacher, class_ids=frozenset({"cls-a2"})), False),
        # the class's own school, not the school the token names: a teacher of school B whose
        # token claims school A's class reaches nothing of it
        (caller(Role.teacher, school="sch-b", class_ids=frozenset({"cls-a1"})), False),
    ],
)
def test_a_class_report_is_checked_against_the_classs_own_school_and_the_classes_taught(who, allowed) -> None:
    assert access.CLASS_REPORT.allows(who, CLASS_A1) is allowed


def test_a_teacher_reads_its_own_teacher_report_only() -> None:
    access.TEACHER_REPORT.check(caller(Role.teacher, subject="stf-a"), TEACHER_A)
    with pytest.raises(OutOfScope):
        access.TEACHER_REPORT.check(caller(Role.teacher, subject="stf-b"), TEACHER_A)


def test_a_schools_submission_and_dispute_are_its_own_admins_only() -> None:
    access.SUBMIT.check(caller(Role.school_admin), SCHOOL_A)
    access.DISPUTE.check(caller(Role.school_admin), SCHOOL_A)
    for rule in (access.SUBMIT, access.DISPUTE):
        with pytest.raises(OutOfScope):
            rule.check(caller(Role.school_admin, school="sch-b"), SCHOOL_A)


def test_a_dispute_is_answered_by_the_bureau_of_its_own_district() -> None:
    raised = {"_id": "dsp-1", "district_id": "d-1", "school_id": "sch-a", "raised_by": "adm-a"}
    access.ACCEPT_DISPUTE.check(bureau(), access.dispute_scope(raised))
    with pytest.raises(OutOfScope):
        access.ACCEPT_DISPUTE.check(bureau("d-2"), access.dispute_scope(raised))


def test_a_dispute_is_rejected_by_the_bureau_of_its_own_district_only() -> None:
    raised = {"_id": "dsp-1", "district_id": "d-1", "school_id": "sch-a", "raised_by": "adm-a"}
    access.REJECT_DISPUTE.check(bureau(), access.dispute_scope(raised))
    with pytest.raises(OutOfScope):
        access.REJECT_DISPUTE.check(bureau("d-2"), access.dispute_scope(raised))
    with pytest.raises(RoleRefused):
        access.REJECT_DISPUTE.check(caller(Role.school_admin, subject="adm-a"), access.dispute_scope(raised))


def test_the_disputes_listed_are_the_bureaus_whole_district_and_a_school_admins_own_school() -> None:
    raised = [
        {"_id": f"dsp-{school}", "district_id": district, "school_id": school, "raised_by": f"adm-{school}"}
        for district, school in (("d-1", "sch-a"), ("d-1", "sch-b"), ("d-2", "sch-z"))
    ]

    def listed(who: Caller) -> list[str]:
        return [d["_id"] for d in raised if access.DISPUTES.allows(who, access.dispute_scope(d))]

    assert listed(bureau()) == ["dsp-sch-a", "dsp-sch-b"]
    assert listed(bureau("d-2")) == ["dsp-sch-z"]
    assert listed(caller(Role.school_admin)) == ["dsp-sch-a"]
    # the school the dispute was raised for, not who raised it: another admin of school A reads it
    assert listed(caller(Role.school_admin, subject="adm-other")) == ["dsp-sch-a"]
    assert listed(caller(Role.school_admin, district="d-2", school="sch-a")) == []
    assert listed(caller(Role.teacher, class_ids=frozenset({"cls-a1"}))) == []


def test_a_bulletin_is_read_by_the_schools_of_its_own_district() -> None:
    access.BULLETIN.check(caller(Role.school_admin), access.district_scope("d-1"))
    with pytest.raises(OutOfScope):
        access.BULLETIN.check(caller(Role.school_admin, district="d-2"), access.district_scope("d-1"))


def test_the_unvisited_mandatory_students_are_names_for_teachers_ids_for_admins_counts_for_the_bureau() -> (
    None
):
    assert access.unvisited_shown(caller(Role.teacher)) is access.Unvisited.names
    assert access.unvisited_shown(caller(Role.school_admin)) is access.Unvisited.ids
    assert access.unvisited_shown(bureau()) is access.Unvisited.counts


def test_every_route_goes_through_one_rule_of_the_table() -> None:
    """A route added without a rule fails here."""
    ruled = {}
    for route in api.router.routes:
        found = [d.call for d in route.dependant.dependencies if isinstance(d.call, api.Allowed)]  # type: ignore[attr-defined]
        assert len(found) == 1, f"{route.path} has no rule of reporting.access"  # type: ignore[attr-defined]
        assert found[0].rule in access.RULES
        for method in route.methods:  # type: ignore[attr-defined]
            ruled[(method, route.path)] = found[0].rule  # type: ignore[attr-defined]
    assert ruled[("GET", "/v1/schools/{school_id}/home-visits")] is access.SCHOOL_VISITS
    assert ruled[("PUT", "/v1/schools/{school_id}/submissions/{month}")] is access.SUBMIT
    assert ruled[("POST", "/v1/bulletins/{month}/disputes/{dispute_id}/acceptance")] is access.ACCEPT_DISPUTE
    assert ruled[("POST", "/v1/bulletins/{month}/disputes/{dispute_id}/rejection")] is access.REJECT_DISPUTE
    assert ruled[("GET", "/v1/bulletins/{month}/disputes")] is access.DISPUTES
    # every rule but the district's trends (the narrower check inside /trends) guards a route
    unused = {id(r) for r in access.RULES} - {id(r) for r in ruled.values()}
    assert unused == {id(access.DISTRICT_TRENDS)}


# the teacher report: the classes the teacher teaches in its own school, as reporting knows it ----


def registry(kind: str, record_id: str, school_id: str, data: dict, at: str = "2026-08-20") -> dict:
    return {
        "_id": f"d-1:{kind}:{record_id}:1",
        "district_id": "d-1",
        "school_id": school_id,
        "kind": kind,
        "record_id": record_id,
        "version": 1,
        "at": at,
        "data": data,
    }


def two_schools() -> Snapshot:
    term = {
        "school_year": "2026-2027",
        "kind": "autumn",
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-20",
        "holidays": [],
    }
    klass = {"grade": 3, "status": "active", "enrolled_count": 0, "head_teacher_id": None}
    return Snapshot(
        "d-1",
        versions=[
            registry("term", "2026-2027:autumn", "district", term),
            *(
                registry(
                    "school", s, s, {"name": s, "level": "primary", "setting": "rural", "status": "active"}
                )
                for s in ("sch-a", "sch-b")
            ),
            registry("class", "cls-a1", "sch-a", klass),
            registry("class", "cls-a2", "sch-a", klass),
            registry("class", "cls-b1", "sch-b", klass),
            registry("staff", "stf-a", "sch-a", {"roles": ["head_teacher"], "class_ids": ["cls-a1"]}),
        ],
    )


def test_a_teacher_report_lists_only_the_classes_taught_in_the_teachers_own_school() -> None:
    teacher = caller(Role.teacher, subject="stf-a", class_ids=frozenset({"cls-a1", "cls-b1"}))
    report = views.teacher_report(
        teacher, two_schools(), "sch-a", TermName("2026-2027", "autumn"), date(2026, 11, 2)
    )
    assert [c["class_id"] for c in report["classes"]] == ["cls-a1"]


def test_a_class_row_shows_unvisited_students_as_the_callers_role_may_see_them() -> None:
    figures = measures.ClassFigures
    row = figures(
        class_id="cls-a1",
        grade=3,
        enrolled=1,
        visited=0,
        mandatory=1,
        mandatory_visited=0,
        parent_meetings=0,
        visits=0,
        open_follow_ups=0,
        overdue_follow_ups=0,
        unvisited_mandatory=["stu-1"],
    )
    day = date(2026, 11, 2)
    snap = two_schools()
    assert views.class_row(bureau(), snap, row, day)["unvisited_mandatory"] is None
    assert views.class_row(caller(Role.school_admin), snap, row, day)["unvisited_mandatory"] == ["stu-1"]
    assert views.class_row(caller(Role.teacher), snap, row, day)["unvisited_mandatory"] == [
        {"student_id": "stu-1", "name": None}
    ]


def test_a_scope_is_built_from_the_records_own_place() -> None:
    assert RecordScope.of("d-1", "sch-a", class_ids=["cls-a1"]) == CLASS_A1
    assert RecordScope.of("d-1", "sch-a", people=["stf-a"]) == TEACHER_A
