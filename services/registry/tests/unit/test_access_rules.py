"""The registry's table of rules (registry.access), without I/O: who reaches which record, judged
from the record's own district, school, class and people; a role a rule does not name is refused
with 403, a record out of reach answers the 404 of a missing one."""

from datetime import date

import pytest
from registry import access, domain
from registry import organisation as org
from service_kit.access import OutOfScope, RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

D, ELSEWHERE = "d-yecheng", "d-elsewhere"
SCHOOL = {"school_id": "sch-a", "district_id": D}
CLASS = {"class_id": "cls-a1", "school_id": "sch-a", "district_id": D, "grade": 3, "status": "active"}
STUDENT = {"student_id": "stu-1", "class_id": "cls-a1", "school_id": "sch-a", "district_id": D}
GUARDIAN = {"guardian_id": "gdn-1", "student_ids": ["stu-1"], "school_id": "sch-a", "district_id": D}
PARTNER = {
    "partner_id": "ptn-1",
    "school_id": "sch-a",
    "district_id": D,
    "name": "文化路派出所",
    "kind": "police_station",
    "contact_person": "王警官",
    "contact_phone": "13900001111",
    "version": 1,
}
AGREEMENT = {"agreement_id": "agr-1", "partner_id": "ptn-1", "school_id": "sch-a", "district_id": D}
COMMITTEE = {
    "committee_id": "cmt-1",
    "school_id": "sch-a",
    "district_id": D,
    "level": "class",
    "class_id": "cls-a1",
    "members": [{"guardian_id": f"gdn-{n}", "role": "委员"} for n in range(5)],
    "version": 1,
}


def caller(
    role: Role, school: str | None = "sch-a", district: str = D, subject: str = "x", **scope
) -> Caller:
    return Caller(
        subject,
        role,
        district,
        school,
        frozenset(scope.get("classes", ())),
        frozenset(scope.get("students", ())),
    )


BUREAU = caller(Role.bureau, None)
ADMIN = caller(Role.school_admin)
TEACHER = caller(Role.teacher, classes=["cls-a1"])
OWN_GUARDIAN = caller(Role.guardian, subject="gdn-1", students=["stu-1"])
OWN_PARTNER = caller(Role.partner, subject="ptn-1")
# around the school
OTHER_BUREAU = caller(Role.bureau, None, ELSEWHERE)
OTHER_ADMIN = caller(Role.school_admin, "sch-b")
OTHER_TEACHER = caller(Role.teacher, classes=["cls-a2"])
OTHER_GUARDIAN = caller(Role.guardian, subject="gdn-2", students=["stu-2"])
OTHER_PARTNER = caller(Role.partner, subject="ptn-2")
# tokens of another district that name this school's ids
NAMING_ADMIN = caller(Role.school_admin, district=ELSEWHERE)
NAMING_TEACHER = caller(Role.teacher, district=ELSEWHERE, classes=["cls-a1"])
NAMING_GUARDIAN = caller(Role.guardian, district=ELSEWHERE, subject="gdn-1", students=["stu-1"])
NAMING_PARTNER = caller(Role.partner, district=ELSEWHERE, subject="ptn-1")

# Of the same school, but another class or another family: school-wide records reach them.
NEIGHBOURS = [OTHER_TEACHER, OTHER_GUARDIAN, OTHER_PARTNER]
OUTSIDERS = [OTHER_BUREAU, OTHER_ADMIN, NAMING_ADMIN, NAMING_TEACHER, NAMING_GUARDIAN, NAMING_PARTNER]
EVERYONE = [BUREAU, ADMIN, TEACHER, OWN_GUARDIAN, OWN_PARTNER, *NEIGHBOURS, *OUTSIDERS]
SCHOOL_STAFF = {ADMIN, TEACHER, OTHER_TEACHER}

# rule, record, who of EVERYONE reaches it
READS = [
    (
        access.SCHOOLS,
        access.school_scope(SCHOOL),
        {BUREAU, OWN_GUARDIAN, OWN_PARTNER, *SCHOOL_STAFF, OTHER_GUARDIAN, OTHER_PARTNER},
    ),
    (access.CLASSES, access.class_scope(CLASS), {BUREAU, ADMIN, TEACHER}),
    (access.CLASS_PEOPLE, access.class_scope(CLASS), {ADMIN, TEACHER}),
    (access.STUDENTS, access.student_scope(STUDENT), {BUREAU, ADMIN, TEACHER, OWN_GUARDIAN}),
    (access.GUARDIANS, access.student_scope(STUDENT), {BUREAU, ADMIN, TEACHER, OWN_GUARDIAN}),
    (access.GUARDIAN_CONTACTS, access.student_scope(STUDENT), {ADMIN, TEACHER}),
    (access.CARE_CATEGORIES, access.student_scope(STUDENT), {ADMIN, TEACHER}),
    (access.AUDIT, access.school_scope(SCHOOL), {BUREAU, ADMIN}),
    (access.CARE_COUNTS, access.school_scope(SCHOOL), {BUREAU, ADMIN}),
    (access.STAFF, access.school_scope(SCHOOL), {BUREAU, ADMIN}),
    (
        access.PARTNERS,
        access.partner_scope(PARTNER),
        {BUREAU, *SCHOOL_STAFF, OWN_GUARDIAN, OTHER_GUARDIAN, OWN_PARTNER},
    ),
    (access.PARTNER_CONTACTS, access.partner_scope(PARTNER), {*SCHOOL_STAFF, OWN_PARTNER}),
    (access.AGREEMENTS, access.partner_scope(AGREEMENT), {BUREAU, ADMIN, OWN_PARTNER}),
    (access.COMMITTEES, access.school_record_scope(COMMITTEE), {BUREAU, *SCHOOL_STAFF}),
    (access.COMMITTEE_MEMBERS, access.school_record_scope(COMMITTEE), SCHOOL_STAFF),
    (access.TRANSFERS, access.student_scope(STUDENT), {BUREAU, ADMIN}),
    (access.PLACEMENTS, access.class_scope(CLASS), {BUREAU, ADMIN}),
    (access.STUDENT_RECORDS, access.student_scope(STUDENT), {ADMIN}),
    (access.GUARDIAN_RECORDS, access.guardian_scope(GUARDIAN), {ADMIN}),
    (access.PARTNER_RECORDS, access.partner_scope(PARTNER), {ADMIN}),
    (access.SCHOOL_RECORDS, access.school_scope(SCHOOL), {BUREAU}),
]


@pytest.mark.parametrize(
    ("rule", "record", "allowed"), READS, ids=[f"{r.resource}-{n}" for n, (r, _, _) in enumerate(READS)]
)
def test_each_rule_reaches_the_records_own_school_class_and_people_and_no_outsider(rule, record, allowed):
    assert {c for c in EVERYONE if rule.allows(c, record)} == allowed


def test_a_role_the_rule_does_not_name_is_refused_before_the_record_is_looked_at():
    with pytest.raises(RoleRefused) as refused:
        access.checked(access.AUDIT, TEACHER, None, access.school_scope)
    assert refused.value.status == 403


def test_out_of_reach_and_missing_answer_the_same_404_and_only_the_first_is_a_refusal():
    with pytest.raises(OutOfScope) as out_of_reach:
        access.checked(access.STUDENTS, OTHER_ADMIN, STUDENT, access.student_scope)
    with pytest.raises(NotFound) as missing:
        access.checked(access.STUDENTS, OTHER_ADMIN, None, access.student_scope)

    assert not isinstance(missing.value, OutOfScope)
    assert (out_of_reach.value.status, out_of_reach.value.detail) == (404, missing.value.detail)


@pytest.mark.parametrize("who", [OTHER_BUREAU, OTHER_ADMIN, NAMING_ADMIN, NAMING_GUARDIAN, NAMING_PARTNER])
def test_a_school_route_outside_the_callers_district_or_school_is_404(who):
    with pytest.raises(OutOfScope):
        access.school_route(access.PARTNERS, who, SCHOOL)


def test_a_school_route_is_open_to_the_bureau_of_its_district_and_the_schools_own_people():
    for who in (BUREAU, ADMIN, TEACHER, OWN_GUARDIAN, OWN_PARTNER):
        assert access.school_route(access.PARTNERS, who, SCHOOL) == SCHOOL


def test_a_pair_is_seen_by_the_staff_of_each_of_its_schools_and_its_bureau():
    pair = {"district_id": D, "supporting_school_id": "sch-a", "supported_school_ids": ["sch-c"]}

    assert access.sees_pair(ADMIN, pair)
    assert access.sees_pair(caller(Role.teacher, "sch-c"), pair)
    assert access.sees_pair(BUREAU, pair)
    assert not access.sees_pair(OTHER_ADMIN, pair)
    assert not access.sees_pair(OTHER_BUREAU, pair)
    assert not access.sees_pair(OWN_PARTNER, pair)


def test_partner_contacts_are_shown_to_the_schools_staff_and_to_the_partner_itself_only():
    def contact(who: Caller) -> tuple[str | None, str | None]:
        shown = org.partner_public(who, PARTNER)
        return shown.contact_person, shown.contact_phone

    assert contact(ADMIN) == contact(TEACHER) == contact(OWN_PARTNER) == ("王警官", "13900001111")
    assert contact(OWN_GUARDIAN) == contact(BUREAU) == (None, None)
    assert org.partner_public(OWN_GUARDIAN, PARTNER).name == "文化路派出所"


def test_committee_members_are_for_the_schools_staff_and_the_bureau_reads_the_count():
    for_bureau = org.committee_public(BUREAU, COMMITTEE)
    for_teacher = org.committee_public(TEACHER, COMMITTEE)

    assert (for_bureau.members, for_bureau.member_count) == (None, 5)
    assert for_teacher.members is not None
    assert [m.guardian_id for m in for_teacher.members] == [f"gdn-{n}" for n in range(5)]


def test_staff_teaching_another_schools_class_or_a_missing_one_is_404():
    staff = org.StaffCreate(name="李老师", roles=["subject_teacher"], class_ids=["cls-b1", "cls-gone"])
    other_class = CLASS | {"class_id": "cls-b1", "school_id": "sch-b"}

    with pytest.raises(OutOfScope):
        org.hire_staff(ADMIN, SCHOOL, staff, {"cls-b1": other_class, "cls-gone": None})
    with pytest.raises(NotFound):
        org.hire_staff(
            ADMIN, SCHOOL, staff.model_copy(update={"class_ids": ["cls-gone"]}), {"cls-gone": None}
        )


def test_a_committee_naming_another_schools_class_or_guardian_is_404():
    ids = [f"gdn-{n}" for n in range(5)]
    body = org.CommitteeCreate(level="class", class_id="cls-a1", members=[{"guardian_id": g} for g in ids])
    guardians = {g: GUARDIAN | {"guardian_id": g} for g in ids}
    foreign_guardian = guardians | {"gdn-4": GUARDIAN | {"guardian_id": "gdn-4", "school_id": "sch-b"}}
    foreign_class = CLASS | {"school_id": "sch-b"}

    with pytest.raises(OutOfScope) as by_guardian:
        org.form_committee(ADMIN, SCHOOL, body, (CLASS, foreign_guardian), {"stu-1"}, [])
    with pytest.raises(OutOfScope) as by_class:
        org.form_committee(ADMIN, SCHOOL, body, (foreign_class, guardians), {"stu-1"}, [])
    formed = org.form_committee(ADMIN, SCHOOL, body, (CLASS, guardians), {"stu-1"}, [])

    assert "家长 gdn-4" in by_guardian.value.detail
    assert "班级" in by_class.value.detail
    assert formed.state["school_id"] == "sch-a"


def test_the_bureau_moves_students_but_does_not_edit_them():
    update = domain.StudentUpdate(name="改名")

    with pytest.raises(RoleRefused):
        domain.change_student(BUREAU, STUDENT | {"version": 1}, update, CLASS, 1)
    with pytest.raises(OutOfScope):
        domain.transfer_student(
            OTHER_BUREAU, STUDENT, CLASS, (CLASS, 1, 0), date(2026, 9, 1), domain.Transfer(class_id="cls-a1")
        )


def test_a_class_led_by_another_schools_member_of_staff_or_a_missing_one_is_404():
    klass = domain.ClassCreate(grade=4, name="借班", head_teacher_id="stf-b")
    theirs = {"staff_id": "stf-b", "school_id": "sch-b", "district_id": D, "class_ids": []}

    with pytest.raises(OutOfScope):
        domain.open_class(ADMIN, SCHOOL, klass, theirs)
    with pytest.raises(NotFound):
        domain.open_class(ADMIN, SCHOOL, klass, None)
    opened = domain.open_class(ADMIN, SCHOOL, klass, theirs | {"school_id": "sch-a"})

    assert opened.state["head_teacher_id"] == "stf-b"
