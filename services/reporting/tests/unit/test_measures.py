"""Reporting's rules without I/O: reading events, periods, the registry on a date, measures."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from reporting import facts, measures, reports, views
from reporting.periods import BadPeriod, Month, TermName
from reporting.snapshot import FEW, Snapshot
from service_kit.auth import Caller, Role
from service_kit.messaging import MalformedEvent

BEIJING = ZoneInfo("Asia/Shanghai")
SCHOOL = "sch-1"


def event(
    event_type: str,
    payload: dict,
    occurred: str = "2026-09-01T02:00:00Z",
    version: int = 1,
    school: str = SCHOOL,
) -> dict:
    return {
        "event_id": f"e-{event_type}-{sorted(payload.items())!s:.60}-{occurred}",
        "event_type": event_type,
        "schema_version": version,
        "occurred_at": occurred,
        "producer": "test",
        "district_id": "d-1",
        "school_id": school,
        "payload": payload,
    }


def student(
    student_id: str,
    class_id: str,
    version: int,
    occurred: str,
    care=(),
    status="enrolled",
    school: str = SCHOOL,
) -> dict:
    payload = {
        "student_id": student_id,
        "class_id": class_id,
        "status": status,
        "care_categories": list(care),
        "name": f"名{student_id}",
        "version": version,
    }
    return event("student-changed", payload, occurred, school=school)


def visit(
    visit_id: str, student_id: str, class_id: str, on: str, staff=("stf-1",), school: str = SCHOOL
) -> dict:
    payload = {
        "visit_id": visit_id,
        "student_id": student_id,
        "class_id": class_id,
        "visiting_staff_ids": list(staff),
        "visited_on": on,
        "mode": "in_person",
    }
    return event("visit-logged", payload, f"{on}T08:00:00Z", school=school)


def snapshot_of(*events: dict) -> Snapshot:
    kept: dict[str, dict[str, dict]] = {name: {} for name in facts.FACT_COLLECTIONS}
    for message in events:
        found = facts.fact_of(message, BEIJING)
        if found:
            collection, fact = found
            kept[collection].setdefault(fact["_id"], fact)  # as the store: the first one stays
    return Snapshot(
        "d-1",
        versions=list(kept[facts.VERSIONS].values()),
        visits=list(kept[facts.VISITS].values()),
        meetings=list(kept[facts.MEETINGS].values()),
        activities=list(kept[facts.ACTIVITIES].values()),
        contacts=list(kept[facts.CONTACTS].values()),
        undelivered=list(kept[facts.UNDELIVERED].values()),
        follow_ups=list(kept[facts.FOLLOW_UPS].values()),
    )


BASE = (
    event(
        "school-changed",
        {
            "school_id": SCHOOL,
            "name": "良舍小学",
            "level": "primary",
            "setting": "rural",
            "status": "active",
            "version": 1,
        },
    ),
    event("class-changed", {"class_id": "cls-a", "grade": 3, "status": "active", "enrolled_count": 0}),
    event("class-changed", {"class_id": "cls-b", "grade": 3, "status": "active", "enrolled_count": 0}),
    event(
        "term-changed",
        {
            "school_year": "2026-2027",
            "kind": "autumn",
            "starts_on": "2026-09-01",
            "ends_on": "2027-01-20",
            "holidays": [{"name": "国庆节", "starts_on": "2026-10-01", "ends_on": "2026-10-07"}],
            "version": 1,
        },
    ),
)
AUTUMN = TermName("2026-2027", "autumn")


def test_status_compares_the_actual_with_the_pace_of_the_target():
    assert measures.status_of(0.7, 0.667, 0.3) == "met"
    assert measures.status_of(0.3, 0.667, 0.4) == "on_track"  # 0.3 ≥ 0.667 × 0.4
    assert measures.status_of(0.1, 0.667, 0.4) == "at_risk"
    assert measures.status_of(0.5, 0.667, 1.0) == "missed"


def test_terms_and_months_are_named_as_the_bureau_names_them():
    assert TermName.parse("2026-2027-autumn") == AUTUMN
    assert str(Month.parse("2026-10").next()) == "2026-11"
    assert str(Month.parse("2027-01").previous()) == "2026-12"
    assert Month.parse("2026-02").last == date(2026, 2, 28)
    for bad, field in (("2026-autumn", "query.term"), ("2026-2028-autumn", "query.term")):
        with pytest.raises(BadPeriod) as problem:
            TermName.parse(bad)
        assert problem.value.errors == [{"field": field, "message": problem.value.errors[0]["message"]}]
    with pytest.raises(BadPeriod):
        Month.parse("2026-13")


def test_a_transfer_moves_the_denominators_from_the_day_it_happened():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-1", "cls-b", 2, "2026-10-15T02:00:00Z"),
    )
    assert set(snap.enrolled(SCHOOL, date(2026, 10, 1), "cls-a")) == {"stu-1"}
    assert set(snap.enrolled(SCHOOL, date(2026, 10, 20), "cls-a")) == set()
    assert set(snap.enrolled(SCHOOL, date(2026, 10, 20), "cls-b")) == {"stu-1"}


def test_coverage_counts_only_students_in_the_denominator_so_it_never_exceeds_one():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-2", "cls-a", 2, "2026-10-10T02:00:00Z", status="transferred_out"),
        visit("v-1", "stu-1", "cls-a", "2026-09-10"),
        visit("v-2", "stu-2", "cls-a", "2026-09-11"),  # then the student left the school
        visit("v-3", "stu-1", "cls-a", "2026-09-20"),  # a second visit to the same student
    )
    term = snap.term(AUTUMN)
    assert term is not None
    [class_a, _] = measures.class_figures(snap, SCHOOL, term, date(2026, 11, 1))
    assert (class_a.enrolled, class_a.visited) == (1, 1)


def test_mandatory_coverage_and_the_unvisited_mandatory_students():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z", care=["left_behind"]),
        student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z", care=["hardship"]),
        student("stu-3", "cls-a", 1, "2026-09-01T02:00:00Z", care=["single_parent"]),  # not 三必访
        visit("v-1", "stu-1", "cls-a", "2026-09-10"),
    )
    term = snap.term(AUTUMN)
    assert term is not None
    found = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))}
    mandatory = found["mandatory_visit_coverage"]
    assert (mandatory.numerator, mandatory.denominator, mandatory.actual) == (1, 2, 0.5)
    # 62 of the term's 142 days gone by 1 November: half done is ahead of that pace
    assert mandatory.status == "on_track"
    december = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2026, 12, 31))}
    assert december["mandatory_visit_coverage"].status == "at_risk"  # 85% of the term gone
    after = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2027, 2, 1))}
    assert after["mandatory_visit_coverage"].status == "missed"
    [class_a, _] = measures.class_figures(snap, SCHOOL, term, date(2026, 11, 1))
    assert class_a.unvisited_mandatory == ["stu-2"]


def class_meeting(meeting_id: str, class_ids: list[str], on: str, invited: int, attended: int) -> dict:
    payload = {
        "meeting_id": meeting_id,
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": class_ids,
        "held_on": on,
        "invited_count": invited,
        "rsvp_yes_count": attended,
        "attended_count": attended,
    }
    return event("meeting-held", payload, f"{on}T02:00:00Z")


def test_a_class_report_measures_the_class_against_the_policy_with_its_status_and_meeting_attendance():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z", care=["left_behind"]),
        student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z", care=["hardship"]),
        student("stu-3", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-4", "cls-b", 1, "2026-09-01T02:00:00Z", care=["left_behind"]),
        visit("v-1", "stu-1", "cls-a", "2026-09-10"),
        visit("v-4", "stu-4", "cls-b", "2026-09-10"),  # another class: not this one's figures
        class_meeting("m-a", ["cls-a"], "2026-10-20", invited=4, attended=3),
        class_meeting("m-b", ["cls-b"], "2026-10-21", invited=5, attended=1),
    )
    admin = Caller("adm-1", Role.school_admin, "d-1", SCHOOL)

    report = reports.ClassReport.model_validate(
        views.class_report(admin, snap, "cls-a", AUTUMN, date(2026, 11, 1))
    )

    found = {m.key: m for m in report.measures}
    assert set(found) == {"home_visit_coverage", "mandatory_visit_coverage"}
    coverage, mandatory = found["home_visit_coverage"], found["mandatory_visit_coverage"]
    assert (coverage.numerator, coverage.denominator, coverage.actual) == (1, 3, 0.3333)
    # paced over the school year, as the school's: a third by 1 November is ahead of 2/3 × the year gone
    assert coverage.status == "on_track"
    assert (mandatory.numerator, mandatory.denominator, mandatory.actual, mandatory.status) == (
        1,
        2,
        0.5,
        "on_track",
    )
    assert report.attendance_rate == 0.75  # cls-a's meeting only
    later = reports.ClassReport.model_validate(
        views.class_report(admin, snap, "cls-a", AUTUMN, date(2027, 2, 1))
    )
    assert {m.key: m.status for m in later.measures}["mandatory_visit_coverage"] == "missed"
    none_held = views.class_report(admin, snapshot_of(*BASE), "cls-a", AUTUMN, date(2026, 11, 1))
    assert none_held["attendance_rate"] is None


def test_a_visit_in_the_holidays_counts_for_holiday_coverage():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z"),
        visit("v-1", "stu-1", "cls-a", "2026-10-03"),
        visit("v-2", "stu-2", "cls-a", "2026-10-12"),
    )
    term = snap.term(AUTUMN)
    assert term is not None
    found = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))}
    assert (found["holiday_visit_coverage"].numerator, found["holiday_visit_coverage"].denominator) == (1, 2)


def test_the_policy_of_the_school_year_overrides_the_defaults_and_weights_the_score():
    revised = event(
        "policy-changed", {"school_year": "2026-2027", "version": 2, "targets": {"home_visit_coverage": 0.5}}
    )
    snap = snapshot_of(*BASE, revised)
    targets = snap.targets("2026-2027")
    assert targets["home_visit_coverage"] == 0.5
    assert targets["mandatory_visit_coverage"] == 1.0
    found = [
        measures.measure("home_visit_coverage", 0.5, 0.25, 1.0),  # half of its target
        measures.measure("mandatory_visit_coverage", 1.0, 1.0, 1.0),
    ]
    weights = {"weight_home_visit_coverage": 0.3, "weight_mandatory_visit_coverage": 0.3}
    assert measures.score(found, weights) == 75.0


def test_an_event_is_one_fact_under_its_records_key():
    first = facts.fact_of(visit("v-9", "stu-1", "cls-a", "2026-10-13"), BEIJING)
    assert first is not None
    assert first[0] == facts.VISITS
    assert first[1]["_id"] == "v-9"
    assert first[1]["on"] == "2026-10-13"  # a late event lands in the month its date says


def test_an_event_dated_on_its_producers_school_day_lands_on_that_day():
    # a demo or test pins the school day: the registry records on 20 November on a later machine date
    enrolled = student("stu-9", "cls-a", 1, "2026-12-01T02:00:00Z") | {"effective_on": "2026-11-20"}
    logged = visit("v-9", "stu-9", "cls-a", "2026-11-19") | {
        "occurred_at": "2026-12-01T02:00:00Z",
        "effective_on": "2026-11-20",
    }
    version, recorded = facts.fact_of(enrolled, BEIJING), facts.fact_of(logged, BEIJING)
    assert version is not None
    assert recorded is not None
    assert version[1]["at"] == "2026-11-20"  # enrolled from the school day, not the machine's
    assert recorded[1]["recorded"] == "2026-11-20"  # recorded a day after the visit, not twelve


def test_the_day_an_event_was_recorded_is_the_schools_day():
    late_evening = visit("v-9", "stu-1", "cls-a", "2026-10-31") | {"occurred_at": "2026-10-31T17:30:00Z"}
    in_beijing = facts.fact_of(late_evening, BEIJING)
    in_london = facts.fact_of(late_evening, ZoneInfo("Europe/London"))
    assert in_beijing is not None
    assert in_london is not None
    assert in_beijing[1]["recorded"] == "2026-11-01"  # 01:30 on 1 November in Beijing
    assert in_london[1]["recorded"] == "2026-10-31"


def test_an_unknown_schema_version_or_a_missing_field_is_malformed():
    with pytest.raises(MalformedEvent, match="schema_version 2"):
        facts.fact_of(visit("v-9", "stu-1", "cls-a", "2026-10-13") | {"schema_version": 2}, BEIJING)
    broken = visit("v-9", "stu-1", "cls-a", "2026-10-13")
    del broken["payload"]["student_id"]
    with pytest.raises(ValidationError, match="student_id"):
        facts.fact_of(broken, BEIJING)


GUARDIAN = event(
    "guardian-changed",
    {
        "guardian_id": "gdn-1",
        "student_ids": ["stu-1"],
        "contacts": {"phone": "13900000001"},
        "preferred_channel": "sms",
        "language": "zh-CN",
        "consent_non_essential": True,
        "version": 1,
    },
)


def test_registry_versions_keep_no_contact_details():
    found = facts.fact_of(GUARDIAN, BEIJING)
    assert found is not None
    assert "13900000001" not in str(found[1])


def staff(staff_id: str, roles=("subject_teacher",), school: str = SCHOOL) -> dict:
    payload = {
        "staff_id": staff_id,
        "roles": list(roles),
        "class_ids": ["cls-a"],
        "contacts": {"phone": "13900000009"},
        "version": 1,
    }
    return event("staff-changed", payload, school=school)


def test_a_teacher_without_visits_counts_with_none():
    snap = snapshot_of(
        *BASE,
        staff("stf-1"),
        staff("stf-2"),
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        visit("v-1", "stu-1", "cls-a", "2026-09-10"),
    )
    term = snap.term(AUTUMN)
    assert term is not None
    made = measures.teacher_visits(snap, SCHOOL, term, date(2026, 11, 1))
    assert {s: (t.visits, t.students) for s, t in made.items()} == {"stf-1": (1, 1), "stf-2": (0, 0)}
    found = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))}
    assert found["teachers_reaching_visit_quota_per_term"].numerator == 0
    kept = [snap.as_of("staff", s, day) for s in ("stf-1", "stf-2") for day in (None, date(2026, 11, 1))]
    assert "13900000009" not in str(kept)  # staff contacts never reach reporting


# Every teacher visits five students a term ----------------------------------------------------------

# 科任教师……每学期至少家访5人: one teacher visited nobody, one the same student six times, one
# five different students; a school leader's visit is listed but the measure counts teachers
UNEVEN = (
    *BASE,
    staff("stf-none"),
    staff("stf-same", ("head_teacher",)),
    staff("stf-five"),
    staff("stf-lead", ("school_admin",)),
    *(student(f"stu-{n}", "cls-a", 1, "2026-09-01T02:00:00Z") for n in range(1, 6)),
    *(visit(f"v-same-{n}", "stu-1", "cls-a", f"2026-09-{10 + n}", ("stf-same",)) for n in range(6)),
    *(visit(f"v-five-{n}", f"stu-{n}", "cls-a", f"2026-10-{10 + n}", ("stf-five",)) for n in range(1, 6)),
    visit("v-lead", "stu-2", "cls-a", "2026-10-20", ("stf-lead",)),
)


def test_the_share_of_teachers_who_visited_five_students_is_what_the_policy_asks():
    snap = snapshot_of(*UNEVEN)
    term = snap.term(AUTUMN)
    assert term is not None
    today = date(2026, 11, 1)
    found = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, today)}
    assert "visits_per_teacher_per_term" not in found  # the fewest visits, labelled an average, is gone
    quota = found["teachers_reaching_visit_quota_per_term"]
    assert (quota.numerator, quota.denominator) == (1, 3)  # only stf-five: six visits to one child are one
    assert (quota.actual, quota.target) == (0.3333, 1.0)
    assert quota.label == "家访满5名学生的教师比例 (本学期)"
    assert quota.status == "at_risk"  # 1/3 of the teachers, 62 of the term's 142 days gone
    made = measures.teacher_visits(snap, SCHOOL, term, today)
    assert {s: (t.visits, t.students, t.teaches) for s, t in made.items()} == {
        "stf-five": (5, 5, True),
        "stf-lead": (1, 1, False),
        "stf-none": (0, 0, True),
        "stf-same": (6, 1, True),
    }
    summary = measures.teacher_summary(snap, SCHOOL, term, today)
    assert summary == measures.TeacherSummary(
        quota=5, teachers=3, reaching_quota=1, average_students=2.0, fewest_students=0
    )
    ended = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2027, 1, 21))}
    assert ended["teachers_reaching_visit_quota_per_term"].status == "missed"
    admin = Caller("adm-1", Role.school_admin, "d-1", SCHOOL)
    report = reports.SchoolReport.model_validate(views.school_report(admin, snap, SCHOOL, AUTUMN, today))
    assert report.teacher_visits.model_dump() == {
        "quota": 5,
        "teachers": 3,
        "reaching_quota": 1,
        "average_students": 2.0,
        "fewest_students": 0,
    }
    assert [(t.staff_id, t.students_visited) for t in report.teachers if t.teaches] == [
        ("stf-five", 5),
        ("stf-none", 0),
        ("stf-same", 1),
    ]
    teacher = Caller("stf-same", Role.teacher, "d-1", SCHOOL, frozenset({"cls-a"}))
    mine = reports.TeacherReport.model_validate(views.teacher_report(teacher, snap, SCHOOL, AUTUMN, today))
    assert (mine.my_visits, mine.my_students_visited) == (6, 1)


def test_the_bureau_revising_the_number_of_students_revises_the_quota_and_its_label():
    revised = event(
        "policy-changed",
        {"school_year": "2026-2027", "version": 2, "targets": {"visits_per_teacher_per_term": 1}},
    )
    snap = snapshot_of(*UNEVEN, revised)
    term = snap.term(AUTUMN)
    assert term is not None
    found = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))}
    quota = found["teachers_reaching_visit_quota_per_term"]
    assert (quota.numerator, quota.denominator, quota.label) == (2, 3, "家访满1名学生的教师比例 (本学期)")
    assert quota.status == "on_track"  # 2/3 of the teachers ahead of the 44% of the term gone


def test_every_measure_has_a_label_and_says_its_period():
    snap = snapshot_of(*UNEVEN)
    term = snap.term(AUTUMN)
    assert term is not None
    found = measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))
    assert {m.key for m in found} <= set(measures.LABELS)
    for m in found:
        assert "{" not in m.label
        assert any(period in m.label for period in ("学年", "学期", "季度", "月")), m.label


# A visit follows the child to another school ---------------------------------------------------------

OTHER = "sch-2"
MOVED_BETWEEN_SCHOOLS = (
    *BASE,
    event(
        "school-changed",
        {
            "school_id": OTHER,
            "name": "澄铭窯小学",
            "level": "primary",
            "setting": "rural",
            "status": "active",
            "version": 1,
        },
        school=OTHER,
    ),
    event(
        "class-changed",
        {"class_id": "cls-c", "grade": 3, "status": "active", "enrolled_count": 0},
        school=OTHER,
    ),
    staff("stf-1"),
    staff("stf-c", school=OTHER),
    student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z", care=["left_behind"]),
    student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z"),
    student("stu-3", "cls-c", 1, "2026-09-01T02:00:00Z", school=OTHER),
    student("stu-4", "cls-c", 1, "2026-09-01T02:00:00Z", school=OTHER),
    visit("v-1", "stu-1", "cls-a", "2026-10-03"),  # by school 1, on 国庆节
    visit("v-3", "stu-3", "cls-c", "2026-09-15", ("stf-c",), school=OTHER),
    # the bureau moves stu-1 to school 2 on 2 November
    student("stu-1", "cls-c", 2, "2026-11-02T02:00:00Z", care=["left_behind"], school=OTHER),
)


def coverage_of(snap: Snapshot, school: str, today: date) -> dict[str, tuple[int | None, int | None]]:
    term = snap.term(AUTUMN)
    assert term is not None
    return {
        m.key: (m.numerator, m.denominator)
        for m in measures.school_measures(snap, school, term, today)
        if m.key.endswith("coverage")
    }


def test_a_visit_counts_for_the_school_the_child_is_in_on_the_day_read_whichever_school_made_it():
    snap = snapshot_of(*MOVED_BETWEEN_SCHOOLS)
    before, after = date(2026, 10, 20), date(2026, 11, 20)
    assert coverage_of(snap, SCHOOL, before) == {
        "home_visit_coverage": (1, 2),
        "mandatory_visit_coverage": (1, 1),
        "holiday_visit_coverage": (1, 2),
    }
    assert coverage_of(snap, OTHER, before) == {
        "home_visit_coverage": (1, 2),
        "mandatory_visit_coverage": (0, 0),
        "holiday_visit_coverage": (0, 2),
    }
    # school 1 no longer counts the child it visited; school 2 counts the child with that visit
    assert coverage_of(snap, SCHOOL, after) == {
        "home_visit_coverage": (0, 1),
        "mandatory_visit_coverage": (0, 0),
        "holiday_visit_coverage": (0, 1),
    }
    assert coverage_of(snap, OTHER, after) == {
        "home_visit_coverage": (2, 3),
        "mandatory_visit_coverage": (1, 1),
        "holiday_visit_coverage": (1, 3),
    }
    term = snap.term(AUTUMN)
    assert term is not None
    [class_c] = measures.class_figures(snap, OTHER, term, after)
    assert (class_c.enrolled, class_c.visited, class_c.unvisited_mandatory) == (3, 2, [])
    assert class_c.visits == 1  # visits made stay with the school that made them
    [class_a, _] = measures.class_figures(snap, SCHOOL, term, after)
    assert class_a.visits == 1
    made = measures.teacher_visits(snap, SCHOOL, term, after)["stf-1"]
    assert (made.visits, made.students) == (1, 1)
    assert "stf-1" not in measures.teacher_visits(snap, OTHER, term, after)


def test_the_overview_counts_each_enrolled_student_visited_once_after_a_move_between_schools():
    snap = snapshot_of(*MOVED_BETWEEN_SCHOOLS)
    for today in (date(2026, 10, 20), date(2026, 11, 20)):
        overview = reports.Overview.model_validate(views.overview(snap, AUTUMN, today))
        enrolled = set(snap.enrolled(SCHOOL, today)) | set(snap.enrolled(OTHER, today))
        logged = [found for e in MOVED_BETWEEN_SCHOOLS if (found := facts.fact_of(e, BEIJING))]
        visited = {f["student_id"] for c, f in logged if c == facts.VISITS and f["on"] <= today.isoformat()}
        assert (overview.students_enrolled, overview.students_visited) == (4, len(visited & enrolled))
        assert overview.students_visited == 2
        assert (overview.mandatory_students, overview.mandatory_visit_coverage) == (1, 1.0)
        assert overview.visits == 2  # visits made, each by the school that made it


def test_open_and_overdue_follow_ups_come_from_the_newest_state_of_each_visit():
    def follow_ups(version: int, items: list[tuple[str, bool]]) -> dict:
        payload = {
            "visit_id": "v-1",
            "class_id": "cls-a",
            "follow_ups": [{"due_on": due, "done": done} for due, done in items],
            "version": version,
        }
        return event("follow-ups-changed", payload, f"2026-10-0{version}T02:00:00Z")

    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        follow_ups(2, [("2026-10-20", True), ("2026-12-01", False)]),
        follow_ups(1, [("2026-10-20", False), ("2026-12-01", False)]),  # older, arriving late
    )
    term = snap.term(AUTUMN)
    assert term is not None
    [class_a, _] = measures.class_figures(snap, SCHOOL, term, date(2026, 11, 1))
    assert (class_a.open_follow_ups, class_a.overdue_follow_ups) == (1, 0)
    [later, _] = measures.class_figures(snap, SCHOOL, term, date(2026, 12, 2))
    assert later.overdue_follow_ups == 1


def test_the_winter_break_counts_for_the_autumn_terms_holiday_coverage():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
        student("stu-2", "cls-a", 1, "2026-09-01T02:00:00Z"),
        visit("v-1", "stu-1", "cls-a", "2027-02-01"),  # 寒假, after the term ended on 20 January
    )
    term = snap.term(AUTUMN)
    assert term is not None
    during_break = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2027, 2, 10))}
    holiday = during_break["holiday_visit_coverage"]
    assert (holiday.numerator, holiday.denominator) == (1, 2)
    assert holiday.status == "at_risk"  # not settled until the break is over
    settled = {m.key: m for m in measures.school_measures(snap, SCHOOL, term, date(2027, 4, 1))}
    assert settled["holiday_visit_coverage"].status == "missed"  # 50% < 60%


def test_a_school_with_no_students_registered_does_not_score_full_marks():
    snap = snapshot_of(*BASE)
    term = snap.term(AUTUMN)
    assert term is not None
    found = measures.school_measures(snap, SCHOOL, term, date(2026, 11, 1))
    by_key = {m.key: m for m in found}
    assert by_key["home_visit_coverage"].actual == 0.0
    assert by_key["mandatory_visit_coverage"].actual == 1.0  # no 三必访 student: nothing left to do
    assert measures.score(found, snap.targets("2026-2027")) < 50


def test_every_view_answers_the_shape_the_openapi_document_names():
    snap = snapshot_of(
        *BASE,
        student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z", care=("left_behind",)),
        student("stu-2", "cls-b", 1, "2026-09-01T02:00:00Z"),
        visit("v-1", "stu-2", "cls-b", "2026-09-10"),
    )
    today = date(2026, 11, 20)
    admin = Caller("adm-1", Role.school_admin, "d-1", SCHOOL)
    teacher = Caller("stf-1", Role.teacher, "d-1", SCHOOL, frozenset({"cls-a"}))
    school = reports.SchoolReport.model_validate(views.school_report(admin, snap, SCHOOL, AUTUMN, today))
    assert school.classes[0].unvisited_mandatory == ["stu-1"]  # ids for the school admin
    mine = reports.TeacherReport.model_validate(views.teacher_report(teacher, snap, SCHOOL, AUTUMN, today))
    assert mine.classes[0].unvisited_mandatory == [
        reports.UnvisitedStudent(student_id="stu-1", name="名stu-1")
    ]
    reports.ClassReport.model_validate(views.class_report(admin, snap, "cls-b", AUTUMN, today))
    overview = reports.Overview.model_validate(views.overview(snap, AUTUMN, today))
    assert (overview.students_enrolled, overview.students_visited, overview.visits) == (2, 1, 1)
    reports.Ranking.model_validate(views.ranking(snap, AUTUMN, today))
    reports.Completeness.model_validate(views.completeness(snap, Month(2026, 10), {}))
    for month in views.trends(snap, "2026-2027", SCHOOL):
        reports.TrendMonth.model_validate(month)
    with pytest.raises(ValidationError, match="surprise"):
        reports.Overview.model_validate(views.overview(snap, AUTUMN, today) | {"surprise": 1})


def reached(message_id: str, channel: str, at: str, event_type: str = "notification-delivered") -> dict:
    payload = {"message_id": message_id, "recipient_kind": "guardian", "recipient_id": "gdn-1"}
    payload |= {"channel": channel} | (
        {"delivered_at": at, "student_ids": ["stu-1"], "purpose": "announcement"}
        if event_type == "notification-delivered"
        else {"reported_at": at}
    )
    return event(event_type, payload, at)


def test_a_reach_a_provider_reports_failed_is_taken_back_for_that_channel_only():
    registered = (*BASE, student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"), GUARDIAN)
    october = Month(2026, 10)
    sent = reached("m-1", "sms", "2026-10-09T02:00:00Z")
    bounced = reached("m-1", "sms", "2026-10-09T02:05:00Z", "notification-undelivered")
    by_email = reached("m-1", "email", "2026-10-09T02:06:00Z")
    assert measures.guardian_contact(snapshot_of(*registered, sent), SCHOOL, october) == (1, 1)
    assert measures.guardian_contact(snapshot_of(*registered, sent, bounced), SCHOOL, october) == (0, 1)
    after_fallback = snapshot_of(*registered, sent, bounced, by_email)
    assert measures.guardian_contact(after_fallback, SCHOOL, october) == (1, 1)


def test_a_guardian_messaged_more_than_a_few_times_a_month_is_reached_once_and_each_message_taken_once():
    registered = (*BASE, student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"), GUARDIAN)
    october = Month(2026, 10)
    days = range(1, 3 * FEW)  # past the few kept one by one
    sent = [reached(f"m-{n}", "sms", f"2026-10-{n:02d}T02:00:00Z") for n in days]
    bounced = [
        reached(f"m-{n}", "sms", f"2026-10-{n:02d}T03:00:00Z", "notification-undelivered") for n in days
    ]
    snapshot = snapshot_of(*registered, *sent)
    assert measures.guardian_contact(snapshot, SCHOOL, october) == (1, 1)
    for message in sent:  # the same messages again change nothing
        found = facts.fact_of(message, BEIJING)
        assert found is not None
        assert snapshot.add(*found) == set()
    assert measures.guardian_contact(snapshot_of(*registered, *sent, *bounced), SCHOOL, october) == (0, 1)
    # every reach but the last reported failed: the last still counts
    last_kept = snapshot_of(*registered, *sent, *bounced[:-1])
    assert measures.guardian_contact(last_kept, SCHOOL, october) == (1, 1)


# The rule for a month in progress -------------------------------------------------------------------


def reception(meeting_id: str, on: str) -> dict:
    payload = {
        "meeting_id": meeting_id,
        "kind": "reception_day",
        "level": "school",
        "held_on": on,
        "invited_count": 0,
        "rsvp_yes_count": 0,
        "attended_count": 3,
    }
    return event("meeting-held", payload, f"{on}T02:00:00Z")


# one guardian, reached in September and October, never in November; a reception day each month
MONTHLY = (
    *BASE,
    student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z"),
    GUARDIAN,
    reached("m-9", "sms", "2026-09-10T02:00:00Z"),
    reached("m-10", "sms", "2026-10-10T02:00:00Z"),
    reception("r-9", "2026-09-04"),
    reception("r-10", "2026-10-09"),
    reception("r-11", "2026-11-06"),
)


def monthly_measures(today: date) -> dict[str, measures.Measure]:
    snap = snapshot_of(*MONTHLY)
    term = snap.term(AUTUMN)
    assert term is not None
    return {m.key: m for m in measures.school_measures(snap, SCHOOL, term, today)}


@pytest.mark.parametrize(
    ("today", "months"),
    [
        (date(2026, 9, 1), ["2026-09"]),  # the term's first day: its first month, so far
        (date(2026, 9, 30), ["2026-09"]),  # the last day of the first month: still in progress
        (date(2026, 10, 1), ["2026-09"]),  # the first day of a month: only ended months
        (date(2026, 10, 16), ["2026-09"]),  # a middle day
        (date(2026, 10, 31), ["2026-09"]),  # the last day of a month: it has not ended yet
        (date(2026, 12, 1), ["2026-09", "2026-10", "2026-11"]),
        (date(2027, 1, 20), ["2026-09", "2026-10", "2026-11", "2026-12"]),  # the term's last day
        (date(2027, 1, 21), ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]),  # the break
    ],
)
def test_a_per_month_measure_is_judged_on_the_months_that_have_ended(today, months):
    term = snapshot_of(*BASE).term(AUTUMN)
    assert term is not None
    assert [str(m) for m in measures.months_judged(term, today).months] == months


def test_until_the_first_month_ends_it_is_judged_so_far_against_its_pace():
    term = snapshot_of(*BASE).term(AUTUMN)
    assert term is not None
    assert measures.months_judged(term, date(2026, 9, 1)).pace == pytest.approx(1 / 30)
    assert measures.months_judged(term, date(2026, 9, 15)).pace == pytest.approx(15 / 30)
    assert measures.months_judged(term, date(2026, 10, 1)).pace == 1.0
    assert measures.months_judged(term, date(2026, 8, 20)).months == []  # before the term: nothing yet


def test_the_first_day_of_a_month_keeps_the_share_of_the_months_before_it():
    # reached in September and October: on 1 November the share is 2 of 2, not 2 of 3
    first_of_november = monthly_measures(date(2026, 11, 1))["guardian_contacts_per_month"]
    assert (first_of_november.numerator, first_of_november.denominator) == (2, 2)
    assert (first_of_november.actual, first_of_november.status) == (1.0, "met")
    last_of_november = monthly_measures(date(2026, 11, 30))["guardian_contacts_per_month"]
    assert (last_of_november.numerator, last_of_november.denominator) == (2, 2)
    # once November has ended, the guardian nobody reached in it counts
    first_of_december = monthly_measures(date(2026, 12, 1))["guardian_contacts_per_month"]
    assert (first_of_december.numerator, first_of_december.denominator) == (2, 3)
    assert first_of_december.status == "missed"  # a month that has ended cannot be made up


def test_the_term_first_month_is_paced_for_contact_and_reception_days():
    first_day = monthly_measures(date(2026, 9, 1))
    assert (
        first_day["guardian_contacts_per_month"].numerator,
        first_day["guardian_contacts_per_month"].denominator,
    ) == (0, 1)
    assert first_day["guardian_contacts_per_month"].status == "at_risk"  # 0 < 1 × 1/30
    assert first_day["reception_days_per_month"].actual == 0
    mid_september = monthly_measures(date(2026, 9, 12))
    assert mid_september["guardian_contacts_per_month"].status == "met"  # reached on 10 September
    assert mid_september["reception_days_per_month"].status == "met"  # held on 4 September


def test_reception_days_count_a_month_once_it_has_ended():
    # December has no reception day: it lowers the minimum only once December is over
    on_the_terms_last_day = monthly_measures(date(2027, 1, 20))["reception_days_per_month"]
    assert (on_the_terms_last_day.actual, on_the_terms_last_day.status) == (0, "missed")
    in_december = monthly_measures(date(2026, 12, 15))["reception_days_per_month"]
    assert (in_december.actual, in_december.status) == (1, "met")


# The read model kept as facts arrive ---------------------------------------------------------------


def figures_of(snap: Snapshot, today: date) -> dict:
    """Every figure the views compute, for every school, as the snapshot has them now."""
    from service_kit.errors import NotFound

    found: dict = {"trends": views.trends(snap, "2026-2027", None)}
    try:
        found["overview"] = views.overview(snap, AUTUMN, today)
        found["completeness"] = views.completeness(snap, Month(2026, 10), {})
    except NotFound:
        found["overview"] = "no term yet"
    term = snap.term(AUTUMN)
    for school in sorted(snap.schools()):
        found[school] = (
            measures.school_measures(snap, school, term, today) if term else None,
            measures.class_figures(snap, school, term, today) if term else None,
            measures.teacher_visits(snap, school, term, today) if term else None,
            measures.activity_summary(snap, school, date(2026, 9, 1), today),
            views.trends(snap, "2026-2027", school),
        )
    return found


def generated_facts(seed: int) -> list[tuple[str, dict]]:
    import json

    from district_generator import generate

    district = generate("d-1", date(2026, 11, 20), seed=seed, schools=3, per_class=6)
    found = [facts.fact_of(json.loads(e.to_json()), BEIJING) for e in district.events]
    return [f for f in found if f is not None]


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_kept_as_facts_arrive_in_any_order_equal_those_computed_from_scratch(seed):
    """Facts arrive in any order (a visit before its student, a transfer after the visits) and
    the figures kept per school are forgotten only for the schools a fact touches: at every step
    they equal the figures of a snapshot built from scratch from the same facts."""
    import random

    arrived = generated_facts(seed)
    random.Random(seed).shuffle(arrived)
    today = date(2026, 11, 20)
    kept = Snapshot("d-1")
    step = max(1, len(arrived) // 12)
    for start in range(0, len(arrived), step):
        for collection, fact in arrived[start : start + step]:
            kept.add(collection, fact)
        taken = arrived[: start + step]
        scratch = Snapshot("d-1")
        for collection, fact in taken:
            scratch.add(collection, fact)
        assert figures_of(kept, today) == figures_of(scratch, today), f"after {len(taken)} facts"
    # the same facts again (a redelivered batch) touch no school and change nothing
    before = figures_of(kept, today)
    assert all(kept.add(collection, fact) == set() for collection, fact in arrived)
    assert figures_of(kept, today) == before


def test_a_guardian_no_longer_naming_a_child_leaves_that_childs_school():
    child = student("stu-1", "cls-a", 1, "2026-09-01T02:00:00Z")
    names = {
        "guardian_id": "gdn-1",
        "student_ids": ["stu-1"],
        "relationship": "mother",
        "contacts": {"sms": "13900000001"},
        "version": 1,
    }
    kept = snapshot_of(*BASE, child)
    # announced by the school of a sibling: the child's school learns of it from the child
    named = event("guardian-changed", names, "2026-09-02T02:00:00Z", school=OTHER)
    kept.add(*facts.fact_of(named, BEIJING))
    assert measures.guardian_contact(kept, SCHOOL, Month(2026, 10)) == (0, 1)
    moved = names | {"student_ids": [], "version": 2}
    touched = kept.add(
        *facts.fact_of(event("guardian-changed", moved, "2026-09-03T02:00:00Z", school=OTHER), BEIJING)
    )
    assert SCHOOL in touched
    assert measures.guardian_contact(kept, SCHOOL, Month(2026, 10)) == (0, 0)
