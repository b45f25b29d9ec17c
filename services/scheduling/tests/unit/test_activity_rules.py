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
    with pytest.raises(RoleRefused):  # a teacher logs activities but does not confirm for the school
        activities.confirm_activity(TEACHER, ACTIVITY | {"version": 1})
    with pytest.raises(activities.AlreadyConfirmed):  # the school logged it: its confirmation given
        activities.confirm_activity(ADMIN, ACTIVITY | {"version": 1})


TEACHER = Caller("tch-1", Role.teacher, "d-yecheng", "sch-1", class_ids=frozenset({"cls-a1"}))
PARTNER = Caller("ptn-1", Role.partner, "d-yecheng", "sch-1")
TODAY = date(2026, 11, 20)


def test_what_the_school_logs_is_announced_at_once_and_awaits_the_partner():
    logged = activities.record_activity(TEACHER, AGREEMENT, BODY, [], TODAY)

    assert (logged.state["logged_by"], logged.state["partner_confirmed"]) == ("school", False)
    assert logged.state["school_confirmed"] is True
    assert [e.payload.partner_confirmed for e in logged.events] == [False]
    confirmed = activities.confirm_activity(PARTNER, logged.state | {"version": 1})
    assert confirmed.state["partner_confirmed"] is True
    assert [(e.payload.version, e.payload.partner_confirmed) for e in confirmed.events] == [(2, True)]


def test_a_partner_logs_under_its_own_agreement_and_the_school_admin_confirms_it():
    logged = activities.record_activity(PARTNER, AGREEMENT, BODY, [], TODAY)

    assert logged.state["logged_by"] == "partner"
    assert (logged.state["partner_confirmed"], logged.state["school_confirmed"]) == (True, False)
    assert logged.events == ()  # not counted nor told to families before the school vouches for it
    with pytest.raises(activities.AlreadyConfirmed):
        activities.confirm_activity(PARTNER, logged.state | {"version": 1})
    with pytest.raises(RoleRefused):
        activities.confirm_activity(TEACHER, logged.state | {"version": 1})
    with pytest.raises(NotFound):
        activities.confirm_activity(
            Caller("adm-2", Role.school_admin, "d-yecheng", "sch-2"), logged.state | {"version": 1}
        )
    confirmed = activities.confirm_activity(ADMIN, logged.state | {"version": 1})
    assert confirmed.state["school_confirmed"] is True
    assert [(e.payload.version, e.payload.partner_confirmed) for e in confirmed.events] == [(2, True)]
    listed = activities.listed([confirmed.state | {"version": 2}])
    assert (listed[0].logged_by, listed[0].partner_confirmed, listed[0].school_confirmed) == (
        "partner",
        True,
        True,
    )


def test_a_partner_logs_under_no_agreement_but_its_own():
    other = Caller("ptn-2", Role.partner, "d-yecheng", "sch-1")

    with pytest.raises(NotFound):
        activities.record_activity(other, AGREEMENT, BODY, [], TODAY)
    with pytest.raises(RoleRefused):
        activities.record_activity(Caller("bur", Role.bureau, "d-yecheng"), AGREEMENT, BODY, [], TODAY)


def test_activities_are_listed_newest_first_and_older_records_read_as_the_schools():
    older = ACTIVITY | {"version": 1, "held_on": "2026-10-08", "activity_id": "pa-0"}
    newer = ACTIVITY | {"version": 2, "held_on": "2026-11-01"}

    listed = activities.listed([older, newer])

    assert [a.activity_id for a in listed] == ["pa-1", "pa-0"]
    assert (listed[1].logged_by, listed[1].school_confirmed) == ("school", True)
