from datetime import date

import pytest
from registry import domain
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound, Problem

BUREAU = Caller("b", Role.bureau, "d-yecheng")
ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
TODAY = date(2026, 9, 1)
SCHOOL = {"school_id": "sch-1", "district_id": "d-yecheng", "name": "叶城县第九小学", "version": 1}
CLASS_A = {
    "class_id": "cls-a",
    "school_id": "sch-1",
    "district_id": "d-yecheng",
    "grade": 3,
    "status": "active",
}
CLASS_B = CLASS_A | {"class_id": "cls-b"}
OTHER_SCHOOL_CLASS = CLASS_A | {"class_id": "cls-z", "school_id": "sch-2"}


def enrolled_student():
    create = domain.StudentCreate(
        name="阿依古丽", gender="女", student_number="2026001", care_categories=["hardship"]
    )
    change = domain.enrol_student(ADMIN, CLASS_A, create, enrolled=10, today=TODAY)
    return change, change.state | {"_id": change.aggregate_id, "version": 1}


def test_enrolment_announces_membership_internally_and_the_new_count_publicly():
    change, _ = enrolled_student()

    internal, public = change.events
    assert internal.topic == "internal.registry.v1"
    assert internal.payload.care_categories == ["hardship"]
    assert public.topic == "district.registry.v1"
    assert public.payload.enrolled_count == 11


def test_transfer_closes_the_old_period_and_counts_both_classes():
    _, student = enrolled_student()

    change = domain.transfer_student(
        ADMIN,
        student,
        CLASS_B,
        (CLASS_A, 11, 4),
        TODAY,
        domain.Transfer(class_id="cls-b", on=date(2026, 10, 8)),
    )

    assert change.version == 2
    assert change.state["history"] == [
        {"school_id": "sch-1", "class_id": "cls-a", "from": "2026-09-01", "to": "2026-10-08"},
        {"school_id": "sch-1", "class_id": "cls-b", "from": "2026-10-08"},
    ]
    counts = {e.payload.class_id: e.payload.enrolled_count for e in change.events[1:]}
    assert counts == {"cls-a": 10, "cls-b": 5}


def test_school_admin_cannot_transfer_into_another_school():
    _, student = enrolled_student()

    with pytest.raises(NotFound):
        domain.transfer_student(
            ADMIN, student, OTHER_SCHOOL_CLASS, (CLASS_A, 1, 0), TODAY, domain.Transfer(class_id="cls-z")
        )


def test_bureau_may_transfer_between_schools_of_its_district():
    _, student = enrolled_student()

    change = domain.transfer_student(
        BUREAU, student, OTHER_SCHOOL_CLASS, (CLASS_A, 1, 0), TODAY, domain.Transfer(class_id="cls-z")
    )

    assert change.state["school_id"] == "sch-2"
    assert change.events[0].school_id == "sch-2"


def test_care_categories_are_hidden_from_bureau_and_guardians():
    _, student = enrolled_student()
    guardian = Caller(
        "g", Role.guardian, "d-yecheng", "sch-1", student_ids=frozenset({student["student_id"]})
    )
    teacher = Caller("t", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-a"}))

    assert domain.student_public(teacher, student).care_categories == ["hardship"]
    assert domain.student_public(ADMIN, student).care_categories == ["hardship"]
    assert domain.student_public(BUREAU, student).care_categories is None
    assert domain.student_public(guardian, student).care_categories is None


def test_policy_edit_is_the_bureaus_and_keeps_other_targets():
    with pytest.raises(RoleRefused):
        domain.revise_policy(ADMIN, "2026-2027", None, domain.PolicyUpdate(targets={"open_days_per_term": 2}))

    change = domain.revise_policy(
        BUREAU, "2026-2027", None, domain.PolicyUpdate(targets={"open_days_per_term": 2})
    )

    assert change.version == 1
    assert change.aggregate_id == "d-yecheng:2026-2027"
    assert change.state["targets"]["open_days_per_term"] == 2
    assert change.state["targets"]["home_visit_coverage"] == domain.DEFAULT_TARGETS["home_visit_coverage"]


def moved(student, target, on, caller=ADMIN):
    change = domain.transfer_student(
        caller, student, target, (CLASS_A, 1, 0), TODAY, domain.Transfer(class_id=target["class_id"], on=on)
    )
    return change.state | {"_id": change.aggregate_id, "version": change.version}


def test_transfer_dated_before_the_enrolment_is_422_naming_the_date():
    _, student = enrolled_student()

    with pytest.raises(domain.Problem) as refused:
        moved(student, CLASS_B, date(2026, 8, 1))

    assert refused.value.status == 422
    assert refused.value.errors == [
        {
            "field": "body.on",
            "message": "转班日期 2026-08-01 不能早于当前班级的入学日期 2026-09-01 "
            "(the transfer cannot take effect before the current enrolment began)",
        }
    ]


def test_transfer_dated_before_the_previous_transfer_is_refused_within_and_between_schools():
    _, student = enrolled_student()
    once = moved(student, CLASS_B, date(2026, 12, 1))

    with pytest.raises(domain.Problem) as within:
        moved(once, CLASS_A, date(2026, 11, 1))
    with pytest.raises(domain.Problem) as between:
        moved(once, OTHER_SCHOOL_CLASS, date(2026, 11, 1), caller=BUREAU)

    assert "不能早于当前班级的入学日期 2026-12-01" in within.value.detail
    assert between.value.detail.startswith("转学日期 2026-11-01 不能早于当前班级的入学日期 2026-12-01")
    assert [e["field"] for e in between.value.errors] == ["body.on"]


def test_transfer_on_the_day_the_enrolment_began_is_recorded():
    _, student = enrolled_student()

    once = moved(student, CLASS_B, TODAY)

    assert once["history"] == [
        {"school_id": "sch-1", "class_id": "cls-a", "from": "2026-09-01", "to": "2026-09-01"},
        {"school_id": "sch-1", "class_id": "cls-b", "from": "2026-09-01"},
    ]


def test_transfer_dated_ahead_is_recorded_and_an_undated_one_before_it_is_refused():
    _, student = enrolled_student()
    ahead = moved(student, CLASS_B, date(2026, 12, 1))

    with pytest.raises(domain.Problem) as refused:
        moved(ahead, CLASS_A, None)  # today, 2026-09-01

    assert ahead["history"][-1] == {"school_id": "sch-1", "class_id": "cls-b", "from": "2026-12-01"}
    assert refused.value.errors[0]["field"] == "body.on"
    assert "2026-09-01" in refused.value.detail


def test_transfer_before_a_later_date_anywhere_in_the_history_is_refused():
    _, student = enrolled_student()
    # a history that already runs backwards (recorded before this rule): its latest date counts
    student["history"] = [
        {"school_id": "sch-1", "class_id": "cls-a", "from": "2026-09-01", "to": "2026-12-01"},
        {"school_id": "sch-1", "class_id": "cls-a", "from": "2026-11-01"},
    ]

    with pytest.raises(domain.Problem) as refused:
        moved(student, CLASS_B, date(2026, 11, 15))

    assert "学籍记录中已有的日期 2026-12-01" in refused.value.detail


def test_a_save_from_the_stored_version_applies():
    domain.unchanged_since('"3"', 3)
    domain.unchanged_since('W/"3"', 3)
    domain.unchanged_since('"2", "3"', 3)


def test_a_save_without_if_match_or_with_a_star_applies_as_it_stands():
    domain.unchanged_since(None, 7)
    domain.unchanged_since("*", 7)


@pytest.mark.parametrize("if_match", ['"2"', '"4"', "", '"abc"', "3x"])
def test_a_save_from_another_version_is_told_the_record_changed(if_match):
    with pytest.raises(domain.RecordChanged) as refused:
        domain.unchanged_since(if_match, 3)

    assert refused.value.status == 409
    assert refused.value.kind == "record-changed"
    assert "请刷新后再保存" in refused.value.detail


def test_an_entity_tag_is_the_quoted_version():
    assert domain.etag(5) == '"5"'


def revised(targets, stored=None):
    return domain.revise_policy(BUREAU, "2026-2027", stored, domain.PolicyUpdate(targets=targets))


def test_weights_that_do_not_add_up_to_one_are_refused_with_their_total():
    with pytest.raises(Problem) as refused:
        revised({"weight_guardian_contact": 0.1})  # 0.3 + 0.3 + 0.15 + 0.1 + 0.1

    assert refused.value.status == 422
    assert refused.value.errors == [{"field": "body.targets", "message": "权重合计须为 100%，当前为 95%"}]
    assert refused.value.detail == "权重合计须为 100%，当前为 95%"


def test_weights_moved_between_measures_that_still_add_up_are_kept():
    change = revised({"weight_guardian_contact": 0.1, "weight_partner_activities": 0.15})

    assert change.state["targets"]["weight_partner_activities"] == 0.15


def test_weights_within_half_a_thousandth_of_one_count_as_adding_up():
    revised({"weight_home_visit_coverage": 0.3333, "weight_mandatory_visit_coverage": 0.2667})
    with pytest.raises(Problem):
        revised({"weight_home_visit_coverage": 0.301})


@pytest.mark.parametrize("rate", [1.2, -0.1])
def test_a_rate_target_outside_zero_to_one_hundred_percent_is_refused_naming_it(rate):
    with pytest.raises(Problem) as refused:
        revised({"mandatory_visit_coverage": rate})

    assert refused.value.errors == [
        {
            "field": "body.targets.mandatory_visit_coverage",
            "message": f"须在 0% 到 100% 之间，当前为 {rate * 100:.0f}%",
        }
    ]


def test_counts_may_exceed_one_but_not_go_below_zero():
    change = revised({"class_parent_meetings_per_term": 2, "visits_per_teacher_per_term": 8})
    assert change.state["targets"]["class_parent_meetings_per_term"] == 2

    with pytest.raises(Problem) as refused:
        revised({"open_days_per_term": -1})
    assert [e["field"] for e in refused.value.errors] == ["body.targets.open_days_per_term"]


def test_the_submission_deadline_is_a_day_every_month_has():
    with pytest.raises(Problem) as refused:
        revised({"monthly_submission_deadline_day": 31})
    assert [e["field"] for e in refused.value.errors] == ["body.targets.monthly_submission_deadline_day"]


def test_a_stored_policy_is_checked_as_a_whole_with_the_edit():
    stored = {"version": 3, "targets": domain.DEFAULT_TARGETS | {"weight_guardian_contact": 0.1}}

    repaired = revised({"weight_partner_activities": 0.15}, stored)

    assert repaired.version == 4


def test_the_policy_answer_carries_the_defaults_beside_the_years_targets():
    stored = {"version": 2, "targets": domain.DEFAULT_TARGETS | {"home_visit_coverage": 0.8}}

    policy = domain.current_policy("d-yecheng", "2026-2027", stored)

    assert policy.targets["home_visit_coverage"] == 0.8
    assert policy.defaults == domain.DEFAULT_TARGETS


def test_the_bureau_hires_its_officers_announced_to_the_portal_as_of_the_district():
    from registry import organisation as org

    officer = org.BureauStaffCreate(name="马建华", phone="13987654321")

    with pytest.raises(RoleRefused):
        org.hire_bureau_staff(ADMIN, officer)
    change = org.hire_bureau_staff(BUREAU, officer)

    assert (change.collection, change.version, change.state["school_id"]) == ("bureau_staff", 1, None)
    (event,) = change.events
    assert (event.event_type, event.topic, event.school_id) == (
        "bureau-staff-changed",
        "internal.registry.v1",
        "district",
    )
    assert event.payload.contacts.phone == "13987654321"


def test_an_officer_with_neither_phone_nor_email_cannot_be_sent_an_activation_link():
    from registry import organisation as org

    with pytest.raises(Problem) as refused:
        org.hire_bureau_staff(BUREAU, org.BureauStaffCreate(name="马建华"))

    assert refused.value.errors[0]["field"] == "body.phone"
