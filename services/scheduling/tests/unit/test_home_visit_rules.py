from datetime import date

import pytest
from contracts.events.visits import VisitLoggedV1
from scheduling.access import HOME_VISITS, visit_scope
from scheduling.domain import (
    HomeVisitCreate,
    VisitOutcome,
    VisitPlan,
    VisitRejected,
    VisitSettled,
    complete_follow_up,
    log_home_visit,
    open_follow_ups,
    plan_home_visit,
    record_outcome,
    visit_for,
)
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

TODAY = date(2026, 11, 20)
TEACHER = Caller("stf-0012", Role.teacher, "d-yecheng", "sch-yecheng-9", frozenset({"cls-3-2"}))
CLASS = {"_id": "cls-3-2", "district_id": "d-yecheng", "school_id": "sch-yecheng-9"}
STUDENT = {
    "_id": "stu-000481",
    "district_id": "d-yecheng",
    "school_id": "sch-yecheng-9",
    "class_id": "cls-3-2",
    "status": "enrolled",
    "version": 1,
}


def visit(**changes) -> HomeVisitCreate:
    fields = {
        "student_id": "stu-000481",
        "class_id": "cls-3-2",
        "visited_on": date(2026, 11, 19),
        "mode": "in_person",
        "visiting_staff_ids": ["stf-0031"],
        "findings": "祖父母照看，学习习惯良好",
    }
    return HomeVisitCreate(**(fields | changes))


def test_a_new_visit_is_one_change_carrying_its_visit_logged_event():
    change = log_home_visit(TEACHER, visit(), CLASS, STUDENT, TODAY)

    [event] = change.events
    assert isinstance(event, VisitLoggedV1)
    assert (change.collection, change.version) == ("home_visits", 1)
    assert change.key == f"home_visits:{change.aggregate_id}:1"
    assert event.payload.visit_id == change.aggregate_id == change.state["_id"]
    assert event.payload.visiting_staff_ids == ["stf-0012", "stf-0031"]
    assert (event.district_id, event.school_id) == ("d-yecheng", "sch-yecheng-9")
    assert change.actor == {"subject": "stf-0012", "role": "teacher"}


def test_findings_stay_out_of_the_public_event():
    change = log_home_visit(TEACHER, visit(), CLASS, STUDENT, TODAY)

    assert change.state["findings"] == "祖父母照看，学习习惯良好"
    assert "祖父母" not in change.events[0].model_dump_json()


def test_teacher_cannot_log_for_a_class_they_do_not_teach():
    with pytest.raises(NotFound):
        log_home_visit(TEACHER, visit(class_id="cls-6-1"), CLASS | {"_id": "cls-6-1"}, STUDENT, TODAY)


@pytest.mark.parametrize(
    "klass",
    [None, CLASS | {"school_id": "sch-liangshe"}, CLASS | {"district_id": "d-other"}],
    ids=["unknown", "other-school", "other-district"],
)
def test_the_class_named_is_checked_as_the_projection_knows_it_not_as_the_token_says(klass):
    # the teacher's token names cls-3-2; the class's own school and district decide
    with pytest.raises(NotFound):
        log_home_visit(TEACHER, visit(), klass, STUDENT, TODAY)


@pytest.mark.parametrize(
    "student",
    [
        None,
        STUDENT | {"class_id": "cls-6-1"},
        STUDENT | {"status": "left"},
        STUDENT | {"school_id": "sch-liangshe"},
    ],
    ids=["unknown", "other-class", "left", "other-school"],
)
def test_visit_needs_a_student_enrolled_in_the_named_class(student):
    with pytest.raises(NotFound):
        log_home_visit(TEACHER, visit(), CLASS, student, TODAY)


def test_visit_in_the_future_is_rejected_naming_the_field():
    with pytest.raises(VisitRejected) as rejected:
        log_home_visit(TEACHER, visit(visited_on=date(2026, 11, 21)), CLASS, STUDENT, TODAY)

    assert rejected.value.errors == [{"field": "body.visited_on", "message": rejected.value.detail}]


@pytest.mark.parametrize("role", [Role.guardian, Role.partner, Role.bureau])
def test_only_school_staff_log_visits(role):
    with pytest.raises(RoleRefused):
        log_home_visit(
            Caller("x", role, "d-yecheng", "sch-yecheng-9", frozenset({"cls-3-2"})),
            visit(),
            CLASS,
            STUDENT,
            TODAY,
        )


def test_findings_are_read_by_the_class_teachers_and_school_admin_only():
    document = log_home_visit(TEACHER, visit(), CLASS, STUDENT, TODAY).state
    admin = Caller("adm", Role.school_admin, "d-yecheng", "sch-yecheng-9")
    other_teacher = Caller("t2", Role.teacher, "d-yecheng", "sch-yecheng-9", frozenset({"cls-1-1"}))
    bureau = Caller("b", Role.bureau, "d-yecheng")

    assert HOME_VISITS.allows(TEACHER, visit_scope(document))
    assert HOME_VISITS.allows(admin, visit_scope(document))
    assert not HOME_VISITS.allows(other_teacher, visit_scope(document))
    assert not HOME_VISITS.allows(bureau, visit_scope(document))


def planned_visit():
    plan = VisitPlan(
        student_id="stu-000481", class_id="cls-3-2", planned_on=date(2026, 11, 25), mode="in_person"
    )
    change = plan_home_visit(TEACHER, plan, CLASS, STUDENT, TODAY)
    return change, change.state | {"version": 1}


def done_with(*follow_ups: dict):
    """A planned visit recorded done, with these follow-ups."""
    _, current = planned_visit()
    return record_outcome(TEACHER, current, VisitOutcome(outcome="done", follow_ups=list(follow_ups)), TODAY)


def test_a_plan_is_announced_and_a_done_outcome_logs_the_visit():
    planned, current = planned_visit()

    done = record_outcome(
        TEACHER,
        current,
        VisitOutcome(
            outcome="done",
            visited_on=date(2026, 11, 20),
            topics=["学习"],
            follow_ups=[{"action": "联系心理老师", "owner_id": "stf-0031", "due_on": "2026-12-01"}],
        ),
        TODAY,
    )

    assert planned.events[0].event_type == "visit-planned"
    assert done.version == 2
    assert done.events[0].event_type == "visit-logged"
    assert done.state["status"] == "done"
    assert done.state["follow_ups"][0]["owner_id"] == "stf-0031"


def test_missed_rescheduled_and_cancelled_need_a_reason():
    _, current = planned_visit()

    with pytest.raises(VisitRejected) as rejected:
        record_outcome(TEACHER, current, VisitOutcome(outcome="missed"), TODAY)

    assert rejected.value.errors[0]["field"] == "body.reason"


def test_rescheduling_announces_the_plan_again_with_a_higher_version():
    _, current = planned_visit()

    moved = record_outcome(
        TEACHER,
        current,
        VisitOutcome(outcome="rescheduled", reason="家长出差", new_date=date(2026, 12, 2)),
        TODAY,
    )

    assert moved.state["planned_on"] == "2026-12-02"
    assert (moved.events[0].event_type, moved.events[0].payload.version) == ("visit-planned", 2)


def test_a_settled_visit_takes_no_second_outcome():
    _, current = planned_visit()
    cancelled = record_outcome(TEACHER, current, VisitOutcome(outcome="cancelled", reason="学生生病"), TODAY)

    assert cancelled.events[0].payload.outcome == "cancelled"
    with pytest.raises(VisitSettled) as refused:
        record_outcome(TEACHER, cancelled.state | {"version": 2}, VisitOutcome(outcome="done"), TODAY)
    assert refused.value.detail == "这次计划的家访已取消，不能再登记结果；如已上门，请改用「登记家访」"
    assert "cancelled" not in refused.value.detail


def test_a_settled_visit_is_refused_in_chinese_status_words():
    for status, word in (("done", "已完成"), ("missed", "未完成")):
        detail = VisitSettled(status).detail
        assert word in detail
        assert status not in detail


def test_open_follow_ups_are_listed_soonest_first_with_overdue_flagged():
    done = done_with(
        {"action": "送学习资料", "owner_id": "stf-0012", "due_on": "2026-11-30"},
        {"action": "联系心理老师", "owner_id": "stf-0031", "due_on": "2026-11-10"},
    )
    visit = done.state | {"version": 2}

    listed = open_follow_ups([visit], TODAY)
    mine = open_follow_ups([visit], TODAY, owner_id="stf-0012")
    after = open_follow_ups([complete_follow_up(TEACHER, visit, 1).state], TODAY)

    assert [(f.action, f.overdue) for f in listed] == [("联系心理老师", True), ("送学习资料", False)]
    assert [f.index for f in mine] == [0]
    assert [f.action for f in after] == ["送学习资料"]


def test_a_guardian_sees_only_the_shared_summary_of_their_own_childs_visit():
    _, current = planned_visit()
    visit = record_outcome(
        TEACHER,
        current,
        VisitOutcome(outcome="done", findings="家庭矛盾", shareable_summary="孩子进步明显"),
        TODAY,
    ).state
    parent = Caller("g", Role.guardian, "d-yecheng", "sch-yecheng-9", student_ids=frozenset({"stu-000481"}))
    stranger = Caller("g2", Role.guardian, "d-yecheng", "sch-yecheng-9", student_ids=frozenset({"stu-x"}))

    view = visit_for(parent, visit)

    assert view.shareable_summary == "孩子进步明显"
    assert "findings" not in view.model_dump()
    with pytest.raises(NotFound):
        visit_for(stranger, visit)
    # a token of another district naming the child reads nothing
    with pytest.raises(NotFound):
        visit_for(Caller("g", Role.guardian, "d-other", student_ids=frozenset({"stu-000481"})), visit)


def test_follow_ups_are_published_as_due_dates_and_done_flags_without_their_text():
    done = done_with({"action": "联系心理老师", "owner_id": "stf-0031", "due_on": "2026-11-10"})
    [logged, changed] = done.events
    assert (logged.event_type, changed.event_type) == ("visit-logged", "follow-ups-changed")
    assert changed.payload.model_dump(mode="json")["follow_ups"] == [{"due_on": "2026-11-10", "done": False}]
    assert "联系心理老师" not in changed.model_dump_json()
    completed = complete_follow_up(TEACHER, done.state | {"version": 2}, 0)
    [again] = completed.events
    assert again.payload.version == 3
    assert again.payload.follow_ups[0].done is True
