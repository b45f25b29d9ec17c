from datetime import date

from scheduling.term_plan import plan_visit_id, propose, school_days

TERM = {
    "school_year": "2026-2027",
    "kind": "autumn",
    "starts_on": "2026-09-01",
    "ends_on": "2027-01-20",
    "holidays": [{"name": "国庆节", "starts_on": "2026-10-01", "ends_on": "2026-10-07"}],
}


def student(n: int, *care: str, status: str = "enrolled") -> dict:
    return {"_id": f"stu-{n:02d}", "class_id": "cls-a", "status": status, "care_categories": list(care)}


def test_school_days_skip_weekends_and_holidays():
    days = school_days(date(2026, 9, 28), date(2026, 10, 9), TERM["holidays"])

    assert days == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
    ]


def test_mandatory_students_first_then_enough_others_for_the_coverage_target():
    students = [student(n) for n in range(8)] + [
        student(8, "left_behind"),
        student(9, "hardship", "single_parent"),
    ]
    students.append(student(10, status="left"))

    plan = propose("cls-a", students, TERM, 0.667, ["t-1", "t-2"], date(2026, 9, 1))

    assert plan.enrolled == 10
    assert len(plan.visits) == 7  # ceil(2/3 of 10)
    assert [v.student_id for v in plan.visits[:2]] == ["stu-08", "stu-09"]
    assert [v.mandatory for v in plan.visits].count(True) == 2
    assert "stu-10" not in {v.student_id for v in plan.visits}


def test_every_mandatory_student_is_planned_even_beyond_the_target():
    students = [student(n, "special_attention") for n in range(5)] + [student(5)]

    plan = propose("cls-a", students, TERM, 0.5, ["t-1"], date(2026, 9, 1))

    assert [v.student_id for v in plan.visits] == [f"stu-0{n}" for n in range(5)]


def test_visits_are_spread_over_school_days_and_shared_among_teachers():
    students = [student(n) for n in range(6)]

    plan = propose("cls-a", students, TERM, 1.0, ["t-1", "t-2", "t-3"], date(2026, 11, 2))
    dates = [v.planned_on for v in plan.visits]

    assert dates == sorted(dates)
    assert dates[0] == date(2026, 11, 2)
    assert dates[-1] <= date(2027, 1, 20)
    assert all(d.weekday() < 5 for d in dates)
    assert [v.visiting_staff_ids[0] for v in plan.visits] == ["t-1", "t-2", "t-3"] * 2


def test_a_class_of_45_with_8_mandatory_students_is_covered_to_the_target():
    students = [
        student(n, "left_behind" if n % 5 == 0 else "single_parent") for n in range(40)
    ]  # 8 mandatory
    students += [student(40 + n) for n in range(5)]

    plan = propose("cls-a", students, TERM, 0.667, ["t-1", "t-2", "t-3"], date(2026, 9, 1))
    planned = {v.student_id for v in plan.visits}
    mandatory = {s["_id"] for s in students if "left_behind" in s["care_categories"]}

    assert len(mandatory) == 8
    assert mandatory <= planned
    assert len(planned) / 45 >= 0.667
    assert len({v.planned_on for v in plan.visits}) == len(plan.visits)  # one visit a school day at most


def test_a_class_without_students_gets_an_empty_plan_with_a_reason():
    plan = propose("cls-a", [], TERM, 0.667, ["t-1"], date(2026, 9, 1))

    assert plan.visits == []
    assert "no enrolled students" in plan.reason


def test_a_visit_sent_back_to_confirm_is_checked_as_strictly_as_the_planned_visit_it_becomes():
    import pytest
    from pydantic import ValidationError
    from scheduling.domain import VisitPlan
    from scheduling.term_plan import ProposedVisit

    sent = {
        "student_id": "stu-1",
        "planned_on": "2026-10-12",
        "visiting_staff_ids": ["stf-1"],
        "mandatory": True,
    }
    for bad in (
        {"student_id": ""},
        {"student_id": "stu-1\x00"},
        {"visiting_staff_ids": [f"stf-{n}" for n in range(11)]},
        {"visiting_staff_ids": ["stf 1"]},
        {"reason": "unknown field"},
    ):
        with pytest.raises(ValidationError):
            ProposedVisit.model_validate(sent | bad)

    visit = ProposedVisit.model_validate(sent | {"visiting_staff_ids": [f"stf-{n}" for n in range(10)]})
    plan = VisitPlan(
        student_id=visit.student_id,
        class_id="cls-3-2",
        planned_on=visit.planned_on,
        mode=visit.mode,
        visiting_staff_ids=visit.visiting_staff_ids,
    )
    assert plan.student_id == "stu-1"


def visit(student_id: str, status: str, day: str, class_id: str = "cls-a") -> dict:
    field = "visited_on" if status == "done" else "planned_on"
    return {
        "_id": f"v-{student_id}",
        "student_id": student_id,
        "class_id": class_id,
        "status": status,
        field: day,
    }


def test_students_with_a_visit_planned_or_done_this_term_are_left_out_and_named():
    students = [student(n) for n in range(6)] + [student(6, "left_behind"), student(7, "hardship")]
    visits = [
        visit("stu-06", "planned", "2026-12-01"),  # 三必访, already planned: not planned again
        visit("stu-00", "done", "2026-10-12"),
        visit("stu-01", "done", "2026-06-01"),  # last school year's: not this term
        visit("stu-02", "cancelled", "2026-12-02"),
        visit("stu-03", "planned", "2026-12-03", class_id="cls-b"),  # another class's
    ]

    plan = propose("cls-a", students, TERM, 0.5, ["t-1"], date(2026, 11, 2), visits)

    assert plan.already_planned == ["stu-00", "stu-06"]
    planned = [v.student_id for v in plan.visits]
    assert "stu-06" not in planned
    assert "stu-00" not in planned
    assert planned[0] == "stu-07"  # the 三必访 student still to plan comes first
    assert len(planned) == 2  # 4 of 8 wanted, 2 already planned or done


def test_a_plan_with_every_student_needed_already_planned_is_empty_and_says_why():
    students = [student(0), student(1)]
    visits = [visit("stu-00", "planned", "2026-12-01"), visit("stu-01", "done", "2026-11-01")]

    plan = propose("cls-a", students, TERM, 1.0, ["t-1"], date(2026, 11, 2), visits)

    assert plan.visits == []
    assert plan.already_planned == ["stu-00", "stu-01"]
    assert plan.reason is not None
    assert "已有 2 名学生" in plan.reason


def test_a_term_plans_visit_id_is_the_same_for_the_same_class_term_and_student_only():
    term = TERM | {"_id": "d-1:2026-2027:autumn"}

    assert plan_visit_id("cls-a", term, "stu-01") == plan_visit_id("cls-a", term, "stu-01")
    assert plan_visit_id("cls-a", term, "stu-01") != plan_visit_id("cls-b", term, "stu-01")
    assert plan_visit_id("cls-a", term, "stu-01") != plan_visit_id("cls-a", term, "stu-02")
    spring = term | {"_id": "d-1:2026-2027:spring"}
    assert plan_visit_id("cls-a", term, "stu-01") != plan_visit_id("cls-a", spring, "stu-01")
