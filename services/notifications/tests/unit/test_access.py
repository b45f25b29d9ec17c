"""Notifications' table of rules, without I/O: every record's scope starts from its own district and
school, then its recipient, author, class or child; a role left out is refused with 403, a record
out of reach with the 404 of a missing one."""

from datetime import UTC, datetime

import pytest
from notifications import access
from service_kit.access import RoleRefused, Rule
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound, OutOfScope

D, SCHOOL, CLASS = "d-yecheng", "sch-yecheng-9", "cls-3-2"
MUM, DAD, CHILD, HEAD = "gdn-mum", "gdn-dad", "stu-aygul", "stf-wang"


def caller(
    role: Role,
    subject: str = "someone",
    district: str = D,
    school: str | None = SCHOOL,
    classes: tuple[str, ...] = (),
    students: tuple[str, ...] = (),
) -> Caller:
    return Caller(subject, role, district, school, frozenset(classes), frozenset(students))


MESSAGE = {
    "_id": "ann-1-gdn-mum",
    "district_id": D,
    "school_id": SCHOOL,
    "recipient_id": MUM,
    "student_ids": [CHILD],
}
LETTER = {"_id": "ann-1", "district_id": D, "school_id": SCHOOL, "created_by": "stf-li"}
STUDENT = {"_id": CHILD, "district_id": D, "school_id": SCHOOL, "class_id": CLASS}
KLASS = {"_id": CLASS, "district_id": D, "school_id": SCHOOL}
GUARDIAN = {"_id": MUM, "district_id": D, "school_id": SCHOOL, "student_ids": [CHILD]}
EMERGENCY = {
    "_id": "emg-1",
    "district_id": D,
    "school_id": SCHOOL,
    "student_id": CHILD,
    "class_id": CLASS,
    "order": [{"kind": "guardian", "id": MUM}, {"kind": "staff", "id": HEAD}],
    "created_at": datetime(2026, 11, 30, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (caller(Role.guardian, MUM), True),
        # a token of another district naming the guardian and their child
        (caller(Role.guardian, MUM, district="d-other", students=(CHILD,)), False),
        # the other guardian of the same child reads their own copy, not this one
        (caller(Role.guardian, DAD, students=(CHILD,)), False),
        (caller(Role.school_admin), False),  # reading would record a read receipt for someone else
    ],
)
def test_a_message_is_read_in_the_inbox_only_by_its_recipient_in_its_own_district(
    who: Caller, allowed: bool
) -> None:
    assert access.INBOX.allows(who, access.message_scope(MESSAGE)) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (caller(Role.school_admin), True),
        (caller(Role.school_admin, school="sch-liangshe"), False),
        (caller(Role.school_admin, district="d-other"), False),  # naming this school in its token
        (caller(Role.teacher, classes=(CLASS,)), False),  # a teacher sees their own messages only
        (caller(Role.guardian, MUM), True),
        (caller(Role.guardian, MUM, district="d-other"), False),
    ],
)
def test_a_delivery_status_is_the_schools_admins_and_the_recipients(who: Caller, allowed: bool) -> None:
    assert access.DELIVERY.allows(who, access.message_scope(MESSAGE)) is allowed


@pytest.mark.parametrize(
    ("rule", "role"),
    [
        (access.INBOX, Role.bureau),
        (access.INBOX, Role.partner),
        (access.DELIVERY, Role.bureau),
        (access.SCHOOL_MESSAGES, Role.bureau),
        (access.SCHOOL_MESSAGES, Role.teacher),
        (access.ANNOUNCEMENTS, Role.guardian),
        (access.ANNOUNCEMENTS, Role.bureau),
        (access.DISTRICT_LETTERS, Role.school_admin),
        (access.AUDIENCES["district"], Role.school_admin),
        (access.AUDIENCES["district"], Role.teacher),
        (access.EMERGENCY_STUDENT, Role.guardian),
        (access.EMERGENCIES, Role.partner),
        (access.PREFERENCES, Role.teacher),
        (access.PREFERENCES, Role.school_admin),
        (access.TEMPLATES, Role.guardian),
        (access.AUDIENCES["school"], Role.teacher),
        (access.AUDIENCES["grade"], Role.teacher),
        (access.AUDIENCES["care_category"], Role.teacher),
    ],
)
def test_a_role_the_rule_leaves_out_is_refused_with_403_whatever_the_record(rule: Rule, role: Role) -> None:
    with pytest.raises(RoleRefused) as refused:
        rule.role_allowed(caller(role))
    assert refused.value.status == 403


def test_a_teacher_writes_to_the_classes_they_teach_and_their_guardians_only() -> None:
    teacher = caller(Role.teacher, classes=(CLASS,))
    assert access.AUDIENCES["class"].role_allowed(teacher)
    assert access.AUDIENCES["guardians"].role_allowed(teacher)
    assert access.LETTER_SCHOOL.allows(teacher, access.school_scope(D, SCHOOL))
    assert access.ADDRESSED_CLASS.allows(teacher, access.class_scope(KLASS))
    assert access.ADDRESSED_GUARDIAN.allows(teacher, access.guardian_scope(GUARDIAN, [CLASS]))
    assert access.ADDRESSED_STUDENT.allows(teacher, access.student_scope(STUDENT))
    other = caller(Role.teacher, classes=("cls-3-1",))
    assert not access.ADDRESSED_CLASS.allows(other, access.class_scope(KLASS))
    assert not access.ADDRESSED_GUARDIAN.allows(other, access.guardian_scope(GUARDIAN, [CLASS]))
    assert not access.ADDRESSED_STUDENT.allows(other, access.student_scope(STUDENT))


@pytest.mark.parametrize(
    "who",
    [
        caller(Role.school_admin, school="sch-liangshe"),
        caller(Role.school_admin, district="d-other"),  # its token names this school
        caller(Role.teacher, school="sch-liangshe", classes=(CLASS,)),  # its token claims this class
        caller(Role.teacher, district="d-other", classes=(CLASS,)),
    ],
)
def test_a_letter_naming_another_schools_school_class_or_guardian_answers_like_a_missing_one(
    who: Caller,
) -> None:
    for rule, scope in (
        (access.LETTER_SCHOOL, access.school_scope(D, SCHOOL)),
        (access.ADDRESSED_CLASS, access.class_scope(KLASS)),
        (access.ADDRESSED_GUARDIAN, access.guardian_scope(GUARDIAN, [CLASS])),
    ):
        with pytest.raises(OutOfScope) as refused:
            rule.check(who, scope)
        assert refused.value.detail == NotFound(rule.resource).detail


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (caller(Role.school_admin), True),
        (caller(Role.teacher, "stf-li"), True),  # the teacher who wrote it
        (caller(Role.teacher, "stf-zhao", classes=(CLASS,)), False),  # another sender's confirmations
        (caller(Role.teacher, "stf-li", district="d-other"), False),
        (caller(Role.school_admin, school="sch-liangshe"), False),
        (caller(Role.school_admin, district="d-other"), False),
    ],
)
def test_a_letter_and_its_confirmations_are_its_schools_admins_and_its_authors(
    who: Caller, allowed: bool
) -> None:
    assert access.ANNOUNCEMENTS.allows(who, access.announcement_scope(LETTER)) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (caller(Role.school_admin), True),
        (caller(Role.teacher, classes=(CLASS,)), True),
        (caller(Role.teacher, HEAD), True),  # contacted in it, whatever the classes in the token
        (caller(Role.teacher, HEAD, school="sch-liangshe"), False),
        (caller(Role.teacher, classes=("cls-3-1",)), False),
        (caller(Role.guardian, MUM), True),
        (caller(Role.guardian, DAD), True),  # a guardian the registry added after the emergency
        (caller(Role.guardian, "gdn-other-family"), False),
        (caller(Role.guardian, MUM, district="d-other", students=(CHILD,)), False),
        (caller(Role.school_admin, district="d-other"), False),
    ],
)
def test_an_emergency_is_the_schools_the_class_staffs_the_contacted_and_the_childs_guardians(
    who: Caller, allowed: bool
) -> None:
    dad = GUARDIAN | {"_id": DAD}
    foreign = GUARDIAN | {"_id": "gdn-other-family", "district_id": "d-other"}  # never counts
    scope = access.emergency_scope(EMERGENCY, [GUARDIAN, dad, foreign])
    assert access.EMERGENCIES.allows(who, scope) is allowed


def test_raising_an_emergency_needs_the_students_own_school_and_class() -> None:
    scope = access.student_scope(STUDENT)
    assert access.EMERGENCY_STUDENT.allows(caller(Role.teacher, classes=(CLASS,)), scope)
    assert not access.EMERGENCY_STUDENT.allows(
        caller(Role.teacher, school="sch-liangshe", classes=(CLASS,)), scope
    )
    assert not access.EMERGENCY_STUDENT.allows(caller(Role.school_admin, district="d-other"), scope)


def test_preferences_are_the_guardians_own_in_their_own_district() -> None:
    scope = access.own_record_scope(GUARDIAN)
    assert access.PREFERENCES.allows(caller(Role.guardian, MUM), scope)
    assert not access.PREFERENCES.allows(caller(Role.guardian, MUM, district="d-other"), scope)
    assert not access.PREFERENCES.allows(caller(Role.guardian, DAD, students=(CHILD,)), scope)


def test_a_schools_delivery_list_is_its_admins_in_its_own_district() -> None:
    scope = access.school_scope(D, SCHOOL)
    assert access.SCHOOL_MESSAGES.allows(caller(Role.school_admin), scope)
    assert not access.SCHOOL_MESSAGES.allows(caller(Role.school_admin, district="d-other"), scope)
    assert not access.SCHOOL_MESSAGES.allows(caller(Role.school_admin, school="sch-liangshe"), scope)


def test_a_letter_to_the_district_is_the_bureaus_of_that_district_and_a_schools_letter_is_not():
    district_letter = LETTER | {"school_id": None, "created_by": "bureau-1"}
    assert access.letters_rule(district_letter) is access.DISTRICT_LETTERS
    assert access.letters_rule(LETTER) is access.ANNOUNCEMENTS
    scope = access.announcement_scope(district_letter)
    assert access.DISTRICT_LETTERS.allows(caller(Role.bureau, school=None), scope)
    assert not access.DISTRICT_LETTERS.allows(caller(Role.bureau, district="d-other", school=None), scope)
    with pytest.raises(RoleRefused):
        access.ANNOUNCEMENTS.check(caller(Role.bureau, school=None), access.announcement_scope(LETTER))
