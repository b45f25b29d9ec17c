"""The rules behind the teacher's phone (issue 15): only the head teacher confirms a term plan; a
visit is dated within the current term, its follow-ups on or after it; a logged visit records what
a done outcome records; the 三必访 students still to visit; a class's visits of the term; a
meeting's roster."""

from datetime import UTC, date, datetime

import pytest
from scheduling import access
from scheduling.domain import (
    ClassFacts,
    HomeVisitCreate,
    VisitOutcome,
    VisitPlan,
    VisitRejected,
    class_projection,
    log_home_visit,
    plan_home_visit,
    record_outcome,
)
from scheduling.meetings import check_roster_reader, roster
from scheduling.term_plan import current_term, must_visit, visits_of_term
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

TODAY = date(2026, 11, 20)
AUTUMN = {
    "_id": "d-yecheng:2026-2027:autumn",
    "district_id": "d-yecheng",
    "school_year": "2026-2027",
    "kind": "autumn",
    "starts_on": "2026-09-01",
    "ends_on": "2027-01-20",
    "holidays": [],
}
SPRING = AUTUMN | {"_id": "d-yecheng:2026-2027:spring", "kind": "spring", "starts_on": "2027-02-01"}
SPRING |= {"ends_on": "2027-07-15"}
HEAD = Caller("stf-head", Role.teacher, "d-yecheng", "sch-9", frozenset({"cls-3-2"}))
SUBJECT = Caller("stf-math", Role.teacher, "d-yecheng", "sch-9", frozenset({"cls-3-2"}))
ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-9")
CLASS = {"_id": "cls-3-2", "district_id": "d-yecheng", "school_id": "sch-9", "head_teacher_id": "stf-head"}
STUDENT = {
    "_id": "stu-1",
    "district_id": "d-yecheng",
    "school_id": "sch-9",
    "class_id": "cls-3-2",
    "status": "enrolled",
    "care_categories": ["left_behind"],
    "version": 1,
}


def visit(**changes) -> HomeVisitCreate:
    fields = {"student_id": "stu-1", "class_id": "cls-3-2", "visited_on": date(2026, 11, 19), "mode": "phone"}
    return HomeVisitCreate(**(fields | changes))


# Only the head teacher confirms a term plan -------------------------------------------------------


def test_the_head_teacher_named_by_the_registry_may_confirm_the_plan():
    access.check_head_teacher(HEAD, CLASS)  # no refusal


@pytest.mark.parametrize(
    ("caller", "klass"),
    [
        (SUBJECT, CLASS),
        (ADMIN, CLASS),
        (HEAD, CLASS | {"head_teacher_id": None}),  # no head teacher known yet: nobody confirms
        (HEAD, {k: v for k, v in CLASS.items() if k != "head_teacher_id"}),  # projected before it was kept
        # a school admin whose subject happens to be the head teacher's id is still no teacher
        (Caller("stf-head", Role.school_admin, "d-yecheng", "sch-9"), CLASS),
    ],
    ids=["subject-teacher", "school-admin", "no-head-teacher", "old-projection", "admin-with-that-id"],
)
def test_anyone_but_the_head_teacher_is_refused_with_403_not_head_teacher(caller, klass):
    with pytest.raises(access.NotHeadTeacher) as refused:
        access.check_head_teacher(caller, klass)

    assert (refused.value.status, refused.value.kind) == (403, "not-head-teacher")
    assert refused.value.detail == "只有本班班主任可以确认学期家访计划"


def test_the_class_projection_keeps_the_head_teacher_the_registry_announces():
    announced = {
        "district_id": "d-yecheng",
        "school_id": "sch-9",
        "occurred_at": datetime(2026, 9, 1, tzinfo=UTC),
        "payload": {"class_id": "cls-3-2", "status": "active", "grade": 3, "head_teacher_id": "stf-head"},
    }
    without = announced | {"payload": {"class_id": "cls-3-2", "status": "active"}}

    assert class_projection(ClassFacts.model_validate(announced))["head_teacher_id"] == "stf-head"
    assert class_projection(ClassFacts.model_validate(without))["head_teacher_id"] is None


# The current term and a visit's date --------------------------------------------------------------


def test_the_current_term_is_the_one_holding_today_and_none_between_terms():
    assert current_term([SPRING, AUTUMN], TODAY) == AUTUMN
    assert current_term([SPRING, AUTUMN], date(2027, 2, 1)) == SPRING
    assert current_term([SPRING, AUTUMN], date(2027, 1, 25)) is None  # winter break
    assert current_term([], TODAY) is None


def test_a_visit_before_the_term_began_is_refused_naming_visited_on():
    with pytest.raises(VisitRejected) as refused:
        log_home_visit(HEAD, visit(visited_on=date(2026, 8, 31)), CLASS, STUDENT, TODAY, AUTUMN)

    assert refused.value.errors[0]["field"] == "body.visited_on"
    assert "家访日期早于本学期开始" in refused.value.detail


def test_a_visit_on_the_terms_first_day_is_logged_and_without_a_known_term_any_past_day_is():
    on_first_day = log_home_visit(HEAD, visit(visited_on=date(2026, 9, 1)), CLASS, STUDENT, TODAY, AUTUMN)
    no_term = log_home_visit(HEAD, visit(visited_on=date(2026, 8, 31)), CLASS, STUDENT, TODAY, None)

    assert on_first_day.state["visited_on"] == "2026-09-01"
    assert no_term.state["visited_on"] == "2026-08-31"


def test_a_visit_in_the_future_is_still_refused_within_the_term():
    with pytest.raises(VisitRejected) as refused:
        log_home_visit(HEAD, visit(visited_on=date(2026, 11, 21)), CLASS, STUDENT, TODAY, AUTUMN)

    assert refused.value.errors[0]["field"] == "body.visited_on"


def test_a_planned_visit_done_before_the_term_began_is_refused_like_a_logged_one():
    plan = VisitPlan(student_id="stu-1", class_id="cls-3-2", planned_on=TODAY, mode="in_person")
    current = plan_home_visit(HEAD, plan, CLASS, STUDENT, TODAY).state | {"version": 1}

    with pytest.raises(VisitRejected) as refused:
        record_outcome(
            HEAD, current, VisitOutcome(outcome="done", visited_on=date(2026, 8, 1)), TODAY, AUTUMN
        )

    assert refused.value.errors[0]["field"] == "body.visited_on"
    assert "家访日期早于本学期开始" in refused.value.detail


# Follow-ups and what a logged visit records -------------------------------------------------------


def test_a_follow_up_due_before_the_visit_is_refused_naming_its_index():
    follow_ups = [
        {"action": "送学习资料", "owner_id": "stf-head", "due_on": "2026-11-19"},  # the visit's day: fine
        {"action": "联系心理老师", "owner_id": "stf-math", "due_on": "2026-11-18"},
    ]

    with pytest.raises(VisitRejected) as refused:
        log_home_visit(HEAD, visit(follow_ups=follow_ups), CLASS, STUDENT, TODAY, AUTUMN)

    assert refused.value.errors[0]["field"] == "body.follow_ups.1.due_on"


def test_a_logged_visit_records_and_announces_what_a_done_outcome_does():
    details = {
        "topics": ["学习习惯"],
        "findings": "祖父母照看",
        "follow_ups": [{"action": "每周电话联系", "owner_id": "stf-head", "due_on": "2026-11-27"}],
        "report": "书面报告全文",
        "shareable_summary": "孩子学习认真",
        "guardian_confirmation": True,
    }
    logged = log_home_visit(HEAD, visit(**details), CLASS, STUDENT, TODAY, AUTUMN)
    plan = VisitPlan(student_id="stu-1", class_id="cls-3-2", planned_on=TODAY, mode="phone")
    current = plan_home_visit(HEAD, plan, CLASS, STUDENT, TODAY).state | {"version": 1}
    outcome = VisitOutcome(outcome="done", visited_on=date(2026, 11, 19), **details)
    done = record_outcome(HEAD, current, outcome, TODAY, AUTUMN)

    fields = ("status", "visited_on", "mode", "topics", "findings", "follow_ups", "report")
    fields += ("shareable_summary", "guardian_confirmation")
    assert {f: logged.state[f] for f in fields} == {f: done.state[f] for f in fields}
    assert logged.state["follow_ups"] == [
        {"action": "每周电话联系", "owner_id": "stf-head", "due_on": "2026-11-27", "done": False}
    ]
    assert [e.event_type for e in logged.events] == [e.event_type for e in done.events]
    assert [e.event_type for e in logged.events] == [
        "visit-logged",
        "follow-ups-changed",
        "visit-summary-shared",
    ]
    shared = logged.events[2].payload
    assert (shared.summary, shared.confirmation_requested) == ("孩子学习认真", True)


def test_a_summary_shared_without_asking_for_a_confirmation_says_so():
    logged = log_home_visit(HEAD, visit(shareable_summary="孩子进步明显"), CLASS, STUDENT, TODAY, AUTUMN)

    assert logged.state["guardian_confirmation"] is False
    assert logged.events[-1].payload.confirmation_requested is False


def test_asking_the_guardian_to_confirm_needs_a_summary_to_send_them():
    with pytest.raises(VisitRejected) as refused:
        log_home_visit(HEAD, visit(guardian_confirmation=True), CLASS, STUDENT, TODAY, AUTUMN)

    assert refused.value.errors[0]["field"] == "body.shareable_summary"


# The 三必访 students still to visit ----------------------------------------------------------------


def student(n: int, *care: str, **changes) -> dict:
    return STUDENT | {"_id": f"stu-{n}", "care_categories": list(care)} | changes


def a_visit(n: int, student_id: str, status: str, **days) -> dict:
    return {
        "_id": f"v-{n}",
        "district_id": "d-yecheng",
        "school_id": "sch-9",
        "class_id": "cls-3-2",
        "student_id": student_id,
        "status": status,
        "visiting_staff_ids": ["stf-head"],
        "planned_on": None,
        "visited_on": None,
    } | days


def test_must_visit_lists_enrolled_mandatory_students_without_a_visit_done_this_term():
    students = [
        student(1, "left_behind"),
        student(2, "hardship", "single_parent"),
        student(3, "special_attention"),
        student(4, "single_parent"),  # cared for, but not one of the three that must be visited
        student(5),
        student(6, "left_behind", status="left"),
        student(7, "hardship"),
        student(8, "left_behind"),
    ]
    visits = [
        a_visit(1, "stu-3", "done", visited_on="2026-10-12"),  # visited this term: off the list
        a_visit(2, "stu-7", "done", visited_on="2026-06-01"),  # last term's visit does not count
        a_visit(3, "stu-8", "cancelled", planned_on="2026-11-02"),
        a_visit(4, "stu-2", "done", visited_on="2026-11-03", class_id="cls-old"),  # made by the class it left
    ]

    listed = must_visit(students, visits, AUTUMN, CLASS)

    assert [s.student_id for s in listed.students] == ["stu-1", "stu-7", "stu-8"]
    assert (listed.school_year, listed.term, listed.starts_on.isoformat()) == (
        "2026-2027",
        "autumn",
        "2026-09-01",
    )
    assert listed.students[0].care_categories == ["left_behind"]


def test_must_visit_shows_the_earliest_visit_planned_for_a_student_in_the_class_this_term():
    students = [student(1, "left_behind"), student(2, "hardship")]
    visits = [
        a_visit(1, "stu-1", "planned", planned_on="2026-12-10"),
        a_visit(2, "stu-1", "planned", planned_on="2026-11-25", visiting_staff_ids=["stf-math"]),
        a_visit(3, "stu-2", "planned", planned_on="2027-03-01"),  # next term's plan
        a_visit(4, "stu-2", "planned", planned_on="2026-11-30", school_id="sch-other"),  # not this school's
    ]

    listed = must_visit(students, visits, AUTUMN, CLASS)

    first, second = listed.students
    assert first.planned is not None
    assert (first.planned.visit_id, first.planned.planned_on.isoformat()) == ("v-2", "2026-11-25")
    assert first.planned.visiting_staff_ids == ["stf-math"]
    assert second.planned is None


def test_a_student_the_projection_has_in_another_class_or_school_is_not_listed():
    students = [
        student(1, "left_behind", class_id="cls-other"),
        student(2, "hardship", school_id="sch-other"),
    ]

    assert must_visit(students, [], AUTUMN, CLASS).students == []


# A class's visits of the term ---------------------------------------------------------------------


def test_the_visits_of_the_term_are_soonest_first_by_status_and_by_the_callers_own():
    visits = [
        a_visit(1, "stu-1", "planned", planned_on="2026-12-01"),
        a_visit(2, "stu-2", "done", visited_on="2026-10-10", visiting_staff_ids=["stf-math"]),
        a_visit(3, "stu-3", "done", visited_on="2026-06-10"),  # last term
        a_visit(4, "stu-4", "planned", planned_on="2026-11-21", visiting_staff_ids=["stf-math", "stf-head"]),
        a_visit(5, "stu-5", "cancelled", planned_on="2026-11-22"),
    ]

    every = visits_of_term(visits, AUTUMN, None, None)
    planned = visits_of_term(visits, AUTUMN, "planned", None)
    mine = visits_of_term(visits, AUTUMN, None, "stf-math")

    assert [v["_id"] for v in every] == ["v-2", "v-4", "v-5", "v-1"]
    assert [v["_id"] for v in planned] == ["v-4", "v-1"]
    assert [v["_id"] for v in mine] == ["v-2", "v-4"]


# A meeting's roster -------------------------------------------------------------------------------

MEETING = {
    "_id": "mtg-1",
    "meeting_id": "mtg-1",
    "district_id": "d-yecheng",
    "school_id": "sch-9",
    "level": "class",
    "class_ids": ["cls-3-2"],
    "organiser_id": "stf-head",
    "invitee_ids": ["gdn-a", "gdn-b", "gdn-c"],
    "attended_guardian_ids": ["gdn-b"],
    "status": "held",
}


def test_the_roster_lists_every_invitee_with_their_children_answer_and_attendance():
    guardians = [
        {"_id": "gdn-a", "student_ids": ["stu-2", "stu-elsewhere"]},
        {"_id": "gdn-b", "student_ids": ["stu-1"]},
        {"_id": "gdn-c", "student_ids": ["stu-3"]},
    ]
    students = [student(1), student(2), student(3), student(9, _id="stu-elsewhere", school_id="sch-other")]
    rsvps = [{"guardian_id": "gdn-a", "answer": "no"}, {"guardian_id": "gdn-b", "answer": "yes"}]

    listed = [e.model_dump() for e in roster(MEETING, rsvps, guardians, students)]

    assert listed == [
        {"guardian_id": "gdn-b", "student_ids": ["stu-1"], "answer": "yes", "attended": True},
        {"guardian_id": "gdn-a", "student_ids": ["stu-2"], "answer": "no", "attended": False},
        {"guardian_id": "gdn-c", "student_ids": ["stu-3"], "answer": None, "attended": False},
    ]


@pytest.mark.parametrize(
    ("caller", "answer"),
    [
        (HEAD, "reads"),  # the organiser, a teacher of the invited class
        (SUBJECT, "reads"),  # a teacher of the invited class
        (ADMIN, "reads"),
        (Caller("stf-other", Role.teacher, "d-yecheng", "sch-9", frozenset({"cls-1-1"})), 404),
        (Caller("adm", Role.school_admin, "d-yecheng", "sch-other"), 404),
        (Caller("adm", Role.school_admin, "d-other", "sch-9"), 404),
        (Caller("gdn-a", Role.guardian, "d-yecheng", "sch-9", student_ids=frozenset({"stu-2"})), 403),
        (Caller("b", Role.bureau, "d-yecheng"), 403),
    ],
)
def test_the_roster_is_for_the_organiser_the_invited_classes_teachers_and_the_school_admin(caller, answer):
    if answer == "reads":
        assert check_roster_reader(caller, MEETING) == MEETING
    else:
        with pytest.raises(RoleRefused if answer == 403 else NotFound):
            check_roster_reader(caller, MEETING)


def test_a_teacher_who_organised_a_school_meeting_reads_its_roster():
    school_meeting = MEETING | {"level": "school", "class_ids": [], "organiser_id": "stf-math"}

    assert check_roster_reader(SUBJECT, school_meeting) == school_meeting
    with pytest.raises(NotFound):
        check_roster_reader(HEAD, school_meeting)


def test_staff_named_on_a_visit_must_teach_the_class_but_the_caller_always_may():
    from scheduling.domain import FollowUp, NotClassTeacher, check_class_staff, check_follow_up_owners

    teachers = {"stf-head", "stf-math"}

    check_class_staff(HEAD, teachers, ["stf-math", "stf-head"], "body.visiting_staff_ids")
    check_class_staff(HEAD, set(), ["stf-head"], "body.visiting_staff_ids")  # the caller, unknown or not
    with pytest.raises(NotClassTeacher) as outsider:
        check_class_staff(HEAD, teachers, ["stf-math", "stf-made-up"], "body.visiting_staff_ids")
    owner = FollowUp(action="送资料", owner_id="stf-other-class", due_on=TODAY)
    with pytest.raises(NotClassTeacher) as owned:
        check_follow_up_owners(HEAD, teachers, [owner.model_copy(update={"owner_id": "stf-math"}), owner])

    assert (outsider.value.status, outsider.value.detail) == (422, "不是本班的任课教师")
    assert outsider.value.errors == [{"field": "body.visiting_staff_ids.1", "message": "不是本班的任课教师"}]
    assert owned.value.errors[0]["field"] == "body.follow_ups.1.owner_id"


def test_staff_changed_is_projected_with_the_classes_they_teach():
    from scheduling.domain import StaffFacts, staff_projection

    event = {
        "event_type": "staff-changed",
        "district_id": "d-yecheng",
        "school_id": "sch-9",
        "payload": {
            "staff_id": "stf-math",
            "roles": ["subject_teacher"],
            "class_ids": ["cls-3-2"],
            "contacts": {"phone": "13912345678", "email": None},
            "version": 2,
        },
    }

    projected = staff_projection(StaffFacts.model_validate(event))

    assert projected == {
        "_id": "stf-math",
        "district_id": "d-yecheng",
        "school_id": "sch-9",
        "class_ids": ["cls-3-2"],
        "roles": ["subject_teacher"],
        "version": 2,
    }
    assert "contacts" not in projected
