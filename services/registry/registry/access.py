"""Who may read and change each kind of record the registry keeps: the table of rules, written once.

Every route goes through these rules (see the README's "Registry: who sees what"): a role a rule
does not name gets **403** whatever the record; a record outside the caller's reach (another
school, another district, another family, another partner, a class the teacher does not teach)
gets the **404** of a missing one. A record's scope is read from the stored record itself, never
from ids in the request or the token. A record named in a request body (a class to teach, a
guardian to seat on a committee, a class to move a student into) is checked like one in the path.
No I/O here: the routes and the rules in ``domain``/``organisation`` hand in the stored records.
"""

from collections.abc import Callable, Iterable

from service_kit.access import OutOfScope, Reach, RecordScope, Rule, ensure_found
from service_kit.auth import Caller, Role
from service_kit.storage import Document

# The reaches and roles, short, so that each rule below reads as one line of the table.
DISTRICT, SCHOOL, CLASS, OWN = Reach.district, Reach.school, Reach.classes, Reach.own
BUREAU, ADMIN, TEACHER = Role.bureau, Role.school_admin, Role.teacher
GUARDIAN, PARTNER = Role.guardian, Role.partner

# Reads --------------------------------------------------------------------------------------------

# Everyone of the district reaches its own school (the bureau: every school of the district).
EVERYONE = {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: SCHOOL, GUARDIAN: SCHOOL, PARTNER: SCHOOL}

# A school's own record (name, level, setting, address): public on district.registry.v1 anyway.
SCHOOLS = Rule("学校", EVERYONE)
# A class, and its list of students.
CLASSES = Rule("班级", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: CLASS})
STUDENTS = Rule("学生", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: CLASS, GUARDIAN: OWN})
# Who teaches a class and who the guardians of its students are (the teacher's phone: the class's
# teachers by name and role; its guardians with phones masked): for those who work with the class.
CLASS_PEOPLE = Rule("班级", {ADMIN: SCHOOL, TEACHER: CLASS})
# A student's guardians, read through the student; the contact fields are narrowed below.
GUARDIANS = Rule("家长", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: CLASS, GUARDIAN: OWN})
# The full phone, email and messaging handle (each read audited): those whose work is to call.
GUARDIAN_CONTACTS = Rule("家长联系方式", {ADMIN: SCHOOL, TEACHER: CLASS})
AUDIT = Rule("审计日志", {BUREAU: DISTRICT, ADMIN: SCHOOL})
CARE_COUNTS = Rule("关爱学生人数", {BUREAU: DISTRICT, ADMIN: SCHOOL})
STAFF = Rule("教职工", {BUREAU: DISTRICT, ADMIN: SCHOOL})
# A pair is of each of its schools (access.sees_pair).
PAIRS = Rule("结对帮扶", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: SCHOOL})
# A guardian sees the school's partners by name and kind only; a partner sees its own record.
PARTNERS = Rule(
    "共建单位", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: SCHOOL, GUARDIAN: SCHOOL, PARTNER: OWN}
)
AGREEMENTS = Rule("共建协议", {BUREAU: DISTRICT, ADMIN: SCHOOL, PARTNER: OWN})
# The bureau reads committees as member counts (COMMITTEE_MEMBERS below), never who sits on them.
COMMITTEES = Rule("家长委员会", {BUREAU: DISTRICT, ADMIN: SCHOOL, TEACHER: SCHOOL})
# The bureau's own officers (区教育局工作人员): of the district, no school; the bureau only.
BUREAU_STAFF = Rule("教育局工作人员", {BUREAU: DISTRICT})
# District records (school_id None): everyone of the district reads them.
TERMS = Rule("学期", EVERYONE)
POLICY = Rule("区级政策", EVERYONE)

# Fields within a record a caller may read ------------------------------------------------------

# Guardians' phones (masked) and emails in lists: GUARDIAN_CONTACTS, those whose work is to call.
# Care categories are sensitive (DOMAIN.md, privacy): the class's teachers and the school admin;
# the bureau sees them only as counts (CARE_COUNTS), guardians and partners never.
CARE_CATEGORIES = Rule("关爱类别", {ADMIN: SCHOOL, TEACHER: CLASS})
# A partner's contact person and phone: the school's staff, and the partner itself.
PARTNER_CONTACTS = Rule("共建单位联系人", {ADMIN: SCHOOL, TEACHER: SCHOOL, PARTNER: OWN})
# Who sits on a parent committee: the school's staff only.
COMMITTEE_MEMBERS = Rule("家长委员会成员", {ADMIN: SCHOOL, TEACHER: SCHOOL})

# Changes ------------------------------------------------------------------------------------------

SCHOOL_RECORDS = Rule("学校", {BUREAU: DISTRICT})  # register and change schools
PAIR_RECORDS = Rule("结对帮扶", {BUREAU: DISTRICT})  # pair schools of its district
CLASS_RECORDS = Rule("班级", {ADMIN: SCHOOL})  # open classes
STUDENT_RECORDS = Rule("学生", {ADMIN: SCHOOL})  # enrol, change, add guardians, import rosters
# Moves: within its school by its admin; between the schools of its district by the bureau. Both
# the student and the class it moves into are checked.
TRANSFERS = Rule("学生", {BUREAU: DISTRICT, ADMIN: SCHOOL})
PLACEMENTS = Rule("班级", {BUREAU: DISTRICT, ADMIN: SCHOOL})
GUARDIAN_RECORDS = Rule("家长", {ADMIN: SCHOOL})  # contacts, preferences, another child
STAFF_RECORDS = Rule("教职工", {ADMIN: SCHOOL})
PARTNER_RECORDS = Rule("共建单位", {ADMIN: SCHOOL})  # partners and their agreements
COMMITTEE_RECORDS = Rule("家长委员会", {ADMIN: SCHOOL})
TERM_RECORDS = Rule("学期", {BUREAU: DISTRICT})
POLICY_RECORDS = Rule("区级政策", {BUREAU: DISTRICT})
BUREAU_STAFF_RECORDS = Rule("教育局工作人员", {BUREAU: DISTRICT})  # hire officers (portal accounts)

# Every rule, for the tests that walk the table.
RULES: tuple[Rule, ...] = (
    SCHOOLS,
    CLASSES,
    CLASS_PEOPLE,
    STUDENTS,
    GUARDIANS,
    GUARDIAN_CONTACTS,
    AUDIT,
    CARE_COUNTS,
    STAFF,
    PAIRS,
    PARTNERS,
    AGREEMENTS,
    COMMITTEES,
    TERMS,
    POLICY,
    BUREAU_STAFF,
    CARE_CATEGORIES,
    PARTNER_CONTACTS,
    COMMITTEE_MEMBERS,
    SCHOOL_RECORDS,
    PAIR_RECORDS,
    CLASS_RECORDS,
    STUDENT_RECORDS,
    TRANSFERS,
    PLACEMENTS,
    GUARDIAN_RECORDS,
    STAFF_RECORDS,
    PARTNER_RECORDS,
    COMMITTEE_RECORDS,
    TERM_RECORDS,
    POLICY_RECORDS,
    BUREAU_STAFF_RECORDS,
)

# Where each kind of record belongs, read from the record ---------------------------------------


def school_scope(school: Document) -> RecordScope:
    return RecordScope.of(school["district_id"], school["school_id"])


def class_scope(klass: Document) -> RecordScope:
    return RecordScope.of(klass["district_id"], klass["school_id"], class_ids=[klass["class_id"]])


def student_scope(student: Document) -> RecordScope:
    return RecordScope.of(
        student["district_id"],
        student["school_id"],
        class_ids=[student["class_id"]],
        student_ids=[student["student_id"]],
    )


def guardian_scope(record: Document) -> RecordScope:
    return RecordScope.of(
        record["district_id"],
        record["school_id"],
        student_ids=record["student_ids"],
        people=[record["guardian_id"]],
    )


def partner_scope(record: Document) -> RecordScope:
    """A partner record, or one of its agreements: the partner is the token's subject."""
    return RecordScope.of(record["district_id"], record["school_id"], people=[record["partner_id"]])


def staff_scope(record: Document) -> RecordScope:
    return RecordScope.of(
        record["district_id"], record["school_id"], class_ids=record["class_ids"], people=[record["staff_id"]]
    )


def school_record_scope(record: Document) -> RecordScope:
    """Anything else kept per school (a committee, an agreement): its district and school."""
    return RecordScope.of(record["district_id"], record["school_id"])


def district_scope(district_id: str) -> RecordScope:
    """A record of the whole district (a term, the policy), kept under that district's id."""
    return RecordScope.of(district_id)


def district_record_scope(record: Document) -> RecordScope:
    """A record kept for the whole district (a bureau officer): its district."""
    return district_scope(record["district_id"])


def pair_scopes(pair: Document) -> list[RecordScope]:
    schools = [pair["supporting_school_id"], *pair["supported_school_ids"]]
    return [RecordScope.of(pair["district_id"], school_id) for school_id in schools]


# Checks, in the order every route answers them -------------------------------------------------


def checked(
    rule: Rule,
    caller: Caller,
    record: Document | None,
    scope: Callable[[Document], RecordScope],
    what: str | None = None,
) -> Document:
    """403 for a role the rule does not name (whatever the record), then 404 for a record that
    does not exist, then the same 404 for one outside the caller's reach. ``what`` names the record
    in the 404 when it is not the rule's own resource (the class a student is enrolled into)."""
    rule.role_allowed(caller)
    return named(rule, caller, record, scope, what or rule.resource)


def named(
    rule: Rule,
    caller: Caller,
    record: Document | None,
    scope: Callable[[Document], RecordScope],
    what: str,
) -> Document:
    """A record a request names, in its path or its body (a class to teach, a guardian to seat on
    a committee, a school to pair): 404 when it does not exist, the same 404 when it lies outside
    the caller's reach for ``rule``, and 403 for a role the rule does not name."""
    found = ensure_found(record, what)
    reach = rule.role_allowed(caller)
    if not rule.allows(caller, scope(found)):
        raise OutOfScope(what, f"{what} outside the {reach.value} reach of {caller.role.value}")
    return found


def school_route(rule: Rule, caller: Caller, school: Document | None) -> Document:
    """A ``/schools/{id}/…`` route serving ``rule``'s records: 403 for a role the rule does not
    name; 404 for a school that does not exist, of another district, or (for anyone but the
    bureau) not the caller's own; never 200 with an empty list. The records listed are filtered
    with ``rule`` itself (a teacher's classes, a partner's own record)."""
    rule.role_allowed(caller)
    return named(SCHOOLS, caller, school, school_scope, SCHOOLS.resource)


def visible(
    rule: Rule, caller: Caller, records: Iterable[Document], scope: Callable[[Document], RecordScope]
) -> list[Document]:
    """The records of a list the caller may see (403 first for a role the rule does not name)."""
    rule.role_allowed(caller)
    return [r for r in records if rule.allows(caller, scope(r))]


def sees_pair(caller: Caller, pair: Document) -> bool:
    """A pair is seen by the bureau of its district and by the staff of any of its schools."""
    return any(PAIRS.allows(caller, scope) for scope in pair_scopes(pair))
