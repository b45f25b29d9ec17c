from datetime import date

import pytest
from scheduling import access, activities
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
AGREEMENT = {
    "_id": "agr-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "partner_id": "ptn-1",
    "partner_kind": "police_station",
    "status": "active",
    "version": 1,
}
BODY = activities.ActivityCreate(
    agreement_id="agr-1",
    kind="legal_education",
    title="法制讲座",
    held_on=date(2026, 11, 1),
    participant_times=96,
)


def test_an_ended_agreement_takes_no_activity():
    with pytest.raises(activities.ActivityRejected) as rejected:
        activities.record_activity(ADMIN, AGREEMENT | {"status": "ended"}, BODY, [], date(2026, 11, 20))

    assert rejected.value.errors[0]["field"] == "body.agreement_id"


def test_another_schools_agreement_is_not_found():
    with pytest.raises(NotFound):
        activities.record_activity(ADMIN, AGREEMENT | {"school_id": "sch-2"}, BODY, [], date(2026, 11, 20))


def test_a_class_of_another_school_named_in_the_body_is_not_found():
    theirs = {"_id": "cls-b1", "district_id": "d-yecheng", "school_id": "sch-2"}
    ours = {"_id": "cls-a1", "district_id": "d-yecheng", "school_id": "sch-1"}
    body = BODY.model_copy(update={"class_ids": ["cls-a1", "cls-b1"]})

    with pytest.raises(NotFound):
        activities.record_activity(ADMIN, AGREEMENT, body, [ours, theirs], date(2026, 11, 20))
    with pytest.raises(NotFound):
        activities.record_activity(ADMIN, AGREEMENT, body, [ours, None], date(2026, 11, 20))
    assert activities.record_activity(ADMIN, AGREEMENT, body, [ours], date(2026, 11, 20)).state["class_ids"]


ACTIVITY = AGREEMENT | {
    "activity_id": "pa-1",
    "agreement_id": "agr-1",
    "kind": "legal_education",
    "title": "法制讲座",
    "held_on": "2026-11-01",
    "place": "礼堂",
    "class_ids": ["cls-a1"],
    "students_count": 40,
    "teachers_count": 2,
    "residents_count": 0,
    "participant_times": 42,
    "outcome_notes": "某某家长提出建议",
    "partner_confirmed": False,
}
CHILD = {
    "_id": "stu-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "class_id": "cls-a1",
    "status": "enrolled",
}
# the token's school is the one that registered the guardian; the child's class decides
GUARDIAN = Caller("gdn-1", Role.guardian, "d-yecheng", "sch-9", student_ids=frozenset({"stu-1"}))


def test_a_guardian_reads_the_public_fields_of_an_activity_of_their_childs_class_or_school():
    view = activities.activity_for(GUARDIAN, ACTIVITY, [CHILD])
    whole_school = activities.activity_for(GUARDIAN, ACTIVITY | {"class_ids": []}, [CHILD])

    assert set(view.model_dump()) == set(access.GUARDIAN_ACTIVITY_FIELDS)
    assert whole_school.title == "法制讲座"
    with pytest.raises(NotFound):
        activities.activity_for(GUARDIAN, ACTIVITY, [CHILD | {"class_id": "cls-a2"}])
    with pytest.raises(NotFound):
        activities.activity_for(GUARDIAN, ACTIVITY, [CHILD | {"school_id": "sch-2"}])
    elsewhere = Caller("gdn-1", Role.guardian, "d-other", student_ids=frozenset({"stu-1"}))
    with pytest.raises(NotFound):  # another district's token naming the child
        activities.activity_for(elsewhere, ACTIVITY, [CHILD])


def test_a_partner_reads_and_confirms_its_own_activities_only():
    own = Caller("ptn-1", Role.partner, "d-yecheng", "sch-1")
    other = Caller("ptn-2", Role.partner, "d-yecheng", "sch-1")

    assert activities.activity_for(own, ACTIVITY, []).outcome_notes  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        activities.activity_for(other, ACTIVITY, [])
    with pytest.raises(NotFound):
        activities.confirm_activity(other, ACTIVITY | {"version": 1})
    with pytest.raises(RoleRefused):
        activities.confirm_activity(ADMIN, ACTIVITY | {"version": 1})
