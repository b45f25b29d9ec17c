"""Scheduling's table of rules (access.py): each reach from the record's own district, school and
class; 403 for a role a rule leaves out, the 404 of a missing record outside the reach."""

import pytest
from scheduling import access
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

SCHOOL = {"_id": "sch-1", "district_id": "d-yecheng"}
CLASS = {"_id": "cls-a", "district_id": "d-yecheng", "school_id": "sch-1"}
VISIT = {
    "_id": "v-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "class_id": "cls-a",
    "student_id": "stu-1",
    "visiting_staff_ids": ["stf-visitor"],
}
ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
TEACHER = Caller("stf-1", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-a"}))
BUREAU = Caller("b", Role.bureau, "d-yecheng")
PARTNER = Caller("ptn-1", Role.partner, "d-yecheng", "sch-1")
GUARDIAN = Caller("gdn-1", Role.guardian, "d-yecheng", "sch-1", student_ids=frozenset({"stu-1"}))


@pytest.mark.parametrize(
    ("caller", "answer"),
    [
        (ADMIN, "reached"),
        (BUREAU, "reached"),
        (Caller("adm-2", Role.school_admin, "d-yecheng", "sch-2"), 404),
        (Caller("b-2", Role.bureau, "d-other"), 404),  # another district's bureau: 404, not []
        (Caller("adm", Role.school_admin, "d-other", "sch-1"), 404),  # a token naming this school
        (PARTNER, 403),
        (GUARDIAN, 403),
    ],
)
def test_a_school_calendar_is_for_its_staff_and_its_districts_bureau(caller, answer):
    if answer == "reached":
        access.SCHOOL_CALENDAR.check(caller, access.school_scope(SCHOOL))
    else:
        with pytest.raises(RoleRefused if answer == 403 else NotFound) as refused:
            access.SCHOOL_CALENDAR.check(caller, access.school_scope(SCHOOL))
        assert refused.value.status == answer


def test_home_visits_in_a_calendar_are_for_school_staff_only():
    scope = access.visit_scope(VISIT)
    other_teacher = Caller("stf-2", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-b"}))
    visitor = Caller("stf-visitor", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-b"}))

    assert [access.HOME_VISITS.allows(c, scope) for c in (ADMIN, TEACHER, visitor, GUARDIAN)] == [True] * 4
    assert [access.HOME_VISITS.allows(c, scope) for c in (other_teacher, BUREAU, PARTNER)] == [False] * 3


@pytest.mark.parametrize(
    "caller",
    [
        Caller("adm-2", Role.school_admin, "d-yecheng", "sch-2"),  # school A's admin, school B's class
        Caller("stf-1", Role.teacher, "d-yecheng", "sch-2", frozenset({"cls-a"})),  # names the class
        Caller("stf-1", Role.teacher, "d-other", "sch-1", frozenset({"cls-a"})),  # another district
    ],
)
def test_a_class_is_reached_from_its_own_school_not_the_callers(caller):
    assert not access.CLASSES.allows(caller, access.class_scope(CLASS))
    assert access.CLASSES.allows(ADMIN, access.class_scope(CLASS))
    assert access.CLASSES.allows(TEACHER, access.class_scope(CLASS))


def test_a_guardian_named_at_a_meeting_is_invited_or_has_a_child_in_its_school():
    meeting = {"district_id": "d-yecheng", "school_id": "sch-1", "invitee_ids": ["gdn-1"]}
    child_here = {"_id": "stu-5", "district_id": "d-yecheng", "school_id": "sch-1", "class_id": "cls-c"}

    access.check_guardian_named(meeting, "gdn-1", [])
    access.check_guardian_named(meeting, "gdn-5", [child_here])
    with pytest.raises(NotFound):
        access.check_guardian_named(meeting, "gdn-9", [child_here | {"school_id": "sch-2"}])


def test_an_exchange_is_recorded_by_a_school_of_the_pair():
    pair = {"district_id": "d-yecheng", "supporting_school_id": "sch-1", "supported_school_ids": ["sch-2"]}

    access.check_pair(ADMIN, pair)
    access.check_pair(Caller("adm-2", Role.school_admin, "d-yecheng", "sch-2"), pair)
    with pytest.raises(NotFound):
        access.check_pair(Caller("adm-3", Role.school_admin, "d-yecheng", "sch-3"), pair)
    with pytest.raises(NotFound):
        access.check_pair(Caller("adm", Role.school_admin, "d-other", "sch-1"), pair)
    with pytest.raises(RoleRefused):
        access.check_pair(TEACHER, pair)


def test_a_guardians_mailbox_goes_to_a_school_their_child_is_in_now():
    kids = [
        {"_id": "stu-1", "school_id": "sch-1"},
        {"_id": "stu-2", "school_id": "sch-3"},
    ]

    assert access.guardian_school(GUARDIAN, kids) == "sch-1"  # the token's school, a child is there
    assert access.guardian_school(Caller("g", Role.guardian, "d-yecheng", "sch-9"), kids[1:]) == "sch-3"
    assert access.guardian_school(GUARDIAN, []) is None
