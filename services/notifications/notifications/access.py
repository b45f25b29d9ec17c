"""Who sees what in notifications: one rule per kind of record (``service_kit.access``). No I/O.

Each record's scope is read from the record itself (a message's district, school and recipient; a
letter's school and author; an emergency's student, class and the people it contacted) or from
notifications' projection of the registry (a school's district, a class's school, a guardian's
children and their classes), never from the ids a request or a token names: a token of another
district that names this school's guardian reaches nothing. A role a rule leaves out gets 403;
a record out of reach the 404 of a missing one.

The README's "who sees what" table under Notifications says these rules in words.

Fields: nothing is narrowed by role. A message carries the text sent to its own recipient, a
letter's answers ids and counts, an emergency the ids of whom it contacted; contacts (phones,
emails, handles) never leave notifications. Provider receipts are authenticated by the provider's
signature, not by a caller, and the link keys are public.
"""

from collections.abc import Iterable
from typing import Literal

from service_kit.access import Reach, RecordScope, Rule
from service_kit.auth import Role
from service_kit.storage import Document

ADMIN, TEACHER, GUARDIAN, BUREAU = Role.school_admin, Role.teacher, Role.guardian, Role.bureau

# A message in the caller's own inbox: only its recipient reads it (a read receipt) or confirms it.
INBOX = Rule("通知", {ADMIN: Reach.own, TEACHER: Reach.own, GUARDIAN: Reach.own})
# A message's delivery status (every attempt): the school's admin, or the recipient.
DELIVERY = Rule("通知", {ADMIN: Reach.school, TEACHER: Reach.own, GUARDIAN: Reach.own})
# What the school sent and what failed, with the reason: the school's admin.
SCHOOL_MESSAGES = Rule("学校", {ADMIN: Reach.school})

# Whom a letter (致家长的一封信) may address, by kind of audience: a teacher writes to the classes
# they teach and those classes' guardians, a whole school, grade or care category is the admin's.
_SCHOOL_WIDE = Rule("全校、年级或关爱类别通知", {ADMIN: Reach.school})
_TO_CLASSES = Rule("班级通知", {ADMIN: Reach.school, TEACHER: Reach.classes})
AudienceKind = Literal["district", "school", "grade", "class", "care_category", "guardians"]
AUDIENCES: dict[AudienceKind, Rule] = {
    # every guardian of the district's schools: the bureau's letter (教育局致家长的一封信)
    "district": Rule("全区通知", {BUREAU: Reach.district}),
    "school": _SCHOOL_WIDE,
    "grade": _SCHOOL_WIDE,
    "care_category": _SCHOOL_WIDE,
    "class": _TO_CLASSES,
    "guardians": _TO_CLASSES,
}
# What a letter names, each against its own record: the school it is from, the classes, students
# and guardians it addresses (a teacher: only those of the classes they teach).
LETTER_SCHOOL = Rule("学校", {ADMIN: Reach.school, TEACHER: Reach.school})
ADDRESSED_CLASS = Rule("班级", {ADMIN: Reach.school, TEACHER: Reach.classes})
ADDRESSED_STUDENT = Rule("学生", {ADMIN: Reach.school, TEACHER: Reach.classes})
ADDRESSED_GUARDIAN = Rule("家长", {ADMIN: Reach.school, TEACHER: Reach.classes})
# A letter once sent, its confirmations and reminders: the school's admin, or the teacher who wrote it.
ANNOUNCEMENTS = Rule("通知", {ADMIN: Reach.school, TEACHER: Reach.classes})
# The bureau's own letters to the district: the bureau of that district; a school's letter is
# not the bureau's to read (its confirmations name families).
DISTRICT_LETTERS = Rule("通知", {BUREAU: Reach.district})


# A school's list of letters (title, audience, counts; no family named): the school's admin, and
# the bureau of its district.
SCHOOL_LETTERS = Rule("学校", {ADMIN: Reach.school, BUREAU: Reach.district})


def letters_rule(announcement: Document) -> Rule:
    return ANNOUNCEMENTS if announcement["school_id"] else DISTRICT_LETTERS


# Raising an emergency for a student: the school's admin or staff of the student's class.
EMERGENCY_STUDENT = Rule("学生", {ADMIN: Reach.school, TEACHER: Reach.classes})
# An emergency and its steps, and acknowledging it: the school's admin, staff of the class or
# contacted in it, the student's guardians.
EMERGENCIES = Rule("紧急联系", {ADMIN: Reach.school, TEACHER: Reach.classes, GUARDIAN: Reach.own})

# A guardian's channel order, digest, quiet hours and language: the guardian themself.
PREFERENCES = Rule("接收偏好", {GUARDIAN: Reach.own})

# The templates and their sample data (no one's record): staff and the bureau.
TEMPLATES = Rule("通知模板", {Role.bureau: Reach.district, ADMIN: Reach.school, TEACHER: Reach.school})


def message_scope(message: Document) -> RecordScope:
    """A message reaches its recipient only: a co-guardian of the same child reads their own copy,
    so the child is not in the scope."""
    return RecordScope.of(message["district_id"], message["school_id"], people=[message["recipient_id"]])


def school_scope(district_id: str, school_id: str) -> RecordScope:
    """A school, with the district notifications' projection of the registry holds it in."""
    return RecordScope.of(district_id, school_id)


def class_scope(klass: Document) -> RecordScope:
    return RecordScope.of(klass["district_id"], klass["school_id"], class_ids=[klass["_id"]])


def student_scope(student: Document) -> RecordScope:
    return RecordScope.of(
        student["district_id"],
        student["school_id"],
        class_ids=[student["class_id"]],
        student_ids=[student["_id"]],
    )


def guardian_scope(guardian: Document, class_ids: Iterable[str] = ()) -> RecordScope:
    """A guardian as addressed: their school, their children and the classes those are in."""
    return RecordScope.of(
        guardian["district_id"],
        guardian["school_id"],
        class_ids=class_ids,
        student_ids=guardian.get("student_ids", []),
        people=[guardian["_id"]],
    )


def own_record_scope(guardian: Document) -> RecordScope:
    """What is a guardian's own (their preferences): the guardian as the registry holds them."""
    return RecordScope.of(guardian["district_id"], guardian["school_id"], people=[guardian["_id"]])


def announcement_scope(announcement: Document) -> RecordScope:
    """A letter reaches its school's admin and its author (no class: a teacher of an addressed
    class does not read another sender's confirmations)."""
    return RecordScope.of(
        announcement["district_id"], announcement["school_id"], people=[announcement["created_by"]]
    )


def emergency_scope(emergency: Document, guardians: Iterable[Document] = ()) -> RecordScope:
    """An emergency: its student's class, everyone it contacted (guardians and the head teacher),
    and the student's guardians of its own district and school as the registry now holds them."""
    current = [
        g["_id"]
        for g in guardians
        if (g.get("district_id"), g.get("school_id")) == (emergency["district_id"], emergency["school_id"])
    ]
    return RecordScope.of(
        emergency["district_id"],
        emergency["school_id"],
        class_ids=[emergency["class_id"]],
        student_ids=[emergency["student_id"]],
        people=[*(step["id"] for step in emergency["order"]), *current],
    )
