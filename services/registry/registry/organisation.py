"""Rules for what surrounds the schools: terms (学期), assistance pairs (结对帮扶), community
partners (共建单位) and their co-building agreements (共建协议). No I/O."""

from datetime import date
from enum import StrEnum

from contracts.events.partner_activities import PartnerKind
from contracts.events.registry import (
    AgreementChanged,
    AgreementChangedV1,
    AgreementStatus,
    BureauStaffChanged,
    BureauStaffChangedV1,
    Holiday,
    PairChanged,
    PairChangedV1,
    PartnerChanged,
    PartnerChangedV1,
    PartnerContactChanged,
    PartnerContactChangedV1,
    StaffChanged,
    StaffChangedV1,
    StaffContacts,
    TermChanged,
    TermChangedV1,
    TermKind,
)
from contracts.inputs import FreeText, OpaqueId, Text
from pydantic import BaseModel, ConfigDict, Field, model_validator
from service_kit.access import ensure_found
from service_kit.auth import Caller
from service_kit.changes import Change
from service_kit.errors import Invalid
from service_kit.storage import Document

from registry import access
from registry.domain import (
    DISTRICT_KEY,
    MOBILE_PATTERN,
    PRODUCER,
    Record,
    new_id,
    without_meta,
)

TERMS, PAIRS, PARTNERS, AGREEMENTS = "terms", "pairs", "partners", "agreements"


def _next_version(current: Document | None) -> int:
    return 1 if current is None else int(current["version"]) + 1


# Terms ----------------------------------------------------------------------------------------


class HolidaySet(Record):
    """A holiday as the bureau sets it (the request's side of the event's ``Holiday``)."""

    name: Text = Field(description="e.g. 国庆节, 寒假")
    starts_on: date
    ends_on: date


class TermSet(Record):
    starts_on: date
    ends_on: date
    holidays: list[HolidaySet] = Field(default_factory=list, description="假期, e.g. 国庆节")

    @model_validator(mode="after")
    def _dates_in_order(self) -> "TermSet":
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        return self


class TermPublic(BaseModel):
    school_year: str
    kind: TermKind
    starts_on: date
    ends_on: date
    holidays: list[Holiday]
    version: int


def term_id(district_id: str, school_year: str, kind: TermKind) -> str:
    return f"{district_id}:{school_year}:{kind.value}"


def set_term(
    caller: Caller, school_year: str, kind: TermKind, current: Document | None, term: TermSet
) -> Change:
    """The bureau sets the district's terms; each edit is a new version of that term."""
    access.TERM_RECORDS.role_allowed(caller)
    for i, holiday in enumerate(term.holidays):
        if not (term.starts_on <= holiday.starts_on <= holiday.ends_on <= term.ends_on):
            raise Invalid(f"body.holidays.{i}", f"假期「{holiday.name}」不在学期内或日期颠倒")
    version = _next_version(current)
    record = {
        "district_id": caller.district_id,
        "school_year": school_year,
        "kind": kind.value,
    } | term.model_dump(mode="json")
    event = TermChangedV1(
        producer=PRODUCER,
        district_id=caller.district_id,
        school_id=DISTRICT_KEY,
        payload=TermChanged(school_year=school_year, kind=kind, version=version, **term.model_dump()),
    )
    return Change(
        TERMS,
        term_id(caller.district_id, school_year, kind),
        version,
        record,
        (event,),
        caller.actor,
        "学期",
    )


# Assistance pairs -----------------------------------------------------------------------------


class PairCreate(Record):
    supporting_school_id: OpaqueId = Field(description="帮扶学校")
    supported_school_ids: list[OpaqueId] = Field(min_length=1, description="受援学校")
    starts_on: date
    ends_on: date | None = None


class PairPublic(PairCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    pair_id: str
    version: int


def create_pair(caller: Caller, pair: PairCreate, schools: dict[str, Document | None]) -> Change:
    """The bureau pairs a supporting school with the schools it supports, all of its district."""
    access.PAIR_RECORDS.role_allowed(caller)
    for school_id, school in schools.items():
        access.named(access.PAIR_RECORDS, caller, school, access.school_scope, f"学校 {school_id}")
    if pair.supporting_school_id in pair.supported_school_ids:
        raise Invalid("body.supported_school_ids", "帮扶学校不能同时是受援学校")
    record = pair.model_dump(mode="json") | {"pair_id": new_id("pair"), "district_id": caller.district_id}
    event = PairChangedV1(
        producer=PRODUCER,
        district_id=caller.district_id,
        school_id=pair.supporting_school_id,
        payload=PairChanged(pair_id=record["pair_id"], version=1, **pair.model_dump()),
    )
    return Change(PAIRS, record["pair_id"], 1, record, (event,), caller.actor, "结对")


# Partners and agreements ----------------------------------------------------------------------


class PartnerCreate(Record):
    name: Text = Field(min_length=2, max_length=60, examples=["文化路派出所"])
    kind: PartnerKind
    contact_person: Text = Field(min_length=1, max_length=30, description="联系人")
    contact_phone: Text | None = Field(default=None, pattern=MOBILE_PATTERN)


class PartnerPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    partner_id: str
    school_id: str
    name: str
    kind: PartnerKind
    contact_person: str | None = Field(
        description="联系人: only for the school's staff and the partner itself (null for others)."
    )
    contact_phone: str | None = Field(
        description="Only for the school's staff and the partner itself (null for others)."
    )
    version: int


def partner_public(caller: Caller, partner: Document) -> PartnerPublic:
    """A partner's contact person and phone only for those ``access.PARTNER_CONTACTS`` names."""
    shown = dict(partner)
    if not access.PARTNER_CONTACTS.allows(caller, access.partner_scope(partner)):
        shown["contact_person"] = shown["contact_phone"] = None
    return PartnerPublic.model_validate(shown)


def register_partner(caller: Caller, school: Document | None, partner: PartnerCreate) -> Change:
    """A school admin registers a community partner of their school."""
    school = access.school_route(access.PARTNER_RECORDS, caller, school)
    record = partner.model_dump(mode="json") | {
        "partner_id": new_id("ptn"),
        "district_id": school["district_id"],
        "school_id": school["school_id"],
    }
    return Change(
        PARTNERS, record["partner_id"], 1, record, partner_events(record, 1), caller.actor, "共建单位"
    )


def partner_events(partner: Document, version: int) -> tuple[PartnerChangedV1, PartnerContactChangedV1]:
    """Every change of a partner: the organisation on the public topic, and how the platform reaches
    its contact on the internal one (the portal opens the partner's account from it)."""
    public = PartnerChangedV1.about(
        PRODUCER,
        partner,
        PartnerChanged(
            partner_id=partner["partner_id"], name=partner["name"], kind=partner["kind"], version=version
        ),
    )
    contact = PartnerContactChangedV1.about(
        PRODUCER,
        partner,
        PartnerContactChanged(
            partner_id=partner["partner_id"], contact_phone=partner.get("contact_phone"), version=version
        ),
    )
    return public, contact


class AgreementCreate(Record):
    title: Text = Field(min_length=2, max_length=80, examples=["警校共建协议书"])
    starts_on: date
    ends_on: date
    commitments: list[FreeText] = Field(default_factory=list, max_length=30, description="共建承诺")
    signed_on: date | None = None


class AgreementUpdate(Record):
    status: AgreementStatus | None = None
    signed_on: date | None = None
    year_end_review: FreeText | None = Field(default=None, max_length=2000, description="年终评议")


class AgreementPublic(AgreementCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    agreement_id: str
    partner_id: str
    school_id: str
    status: AgreementStatus
    year_end_review: str | None
    version: int


def agreement_event(agreement: Document, partner: Document, version: int) -> AgreementChangedV1:
    return AgreementChangedV1.about(
        PRODUCER,
        agreement,
        AgreementChanged(
            agreement_id=agreement["agreement_id"],
            partner_id=agreement["partner_id"],
            partner_kind=partner["kind"],
            starts_on=agreement["starts_on"],
            ends_on=agreement["ends_on"],
            signed_on=agreement["signed_on"],
            status=agreement["status"],
            commitments_count=len(agreement["commitments"]),
            reviewed=bool(agreement.get("year_end_review")),
            version=version,
        ),
    )


def sign_agreement(caller: Caller, partner: Document | None, agreement: AgreementCreate) -> Change:
    partner = access.checked(access.PARTNER_RECORDS, caller, partner, access.partner_scope)
    if agreement.ends_on <= agreement.starts_on:
        raise Invalid("body.ends_on", "协议结束日期应晚于开始日期")
    status = AgreementStatus.active if agreement.signed_on else AgreementStatus.draft
    record = agreement.model_dump(mode="json") | {
        "agreement_id": new_id("agr"),
        "partner_id": partner["partner_id"],
        "district_id": partner["district_id"],
        "school_id": partner["school_id"],
        "status": status.value,
        "year_end_review": None,
    }
    return Change(
        AGREEMENTS,
        record["agreement_id"],
        1,
        record,
        (agreement_event(record, partner, 1),),
        caller.actor,
        "共建协议",
    )


def change_agreement(
    caller: Caller, current: Document | None, partner: Document | None, update: AgreementUpdate
) -> Change:
    current = access.checked(access.PARTNER_RECORDS, caller, current, access.partner_scope, "共建协议")
    partner = ensure_found(partner, "共建单位")
    record = without_meta(current) | update.model_dump(mode="json", exclude_none=True)
    version = current["version"] + 1
    return Change(
        AGREEMENTS,
        current["agreement_id"],
        version,
        record,
        (agreement_event(record, partner, version),),
        caller.actor,
        "共建协议",
    )


# Staff (教职工) -------------------------------------------------------------------------------

STAFF, COMMITTEES = "staff", "committees"


class StaffRole(StrEnum):
    school_admin = "school_admin"  # 校长, 德育主任, 政教处
    head_teacher = "head_teacher"  # 班主任
    subject_teacher = "subject_teacher"  # 科任教师


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class StaffCreate(Record):
    name: Text = Field(min_length=1, max_length=30)
    roles: list[StaffRole] = Field(min_length=1)
    class_ids: list[OpaqueId] = Field(default_factory=list, description="Classes taught (任教班级)")
    phone: Text | None = Field(default=None, pattern=MOBILE_PATTERN, description="紧急联系用手机号")
    email: Text | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=120)


class StaffUpdate(Record):
    roles: list[StaffRole] | None = Field(default=None, min_length=1)
    class_ids: list[OpaqueId] | None = None
    phone: Text | None = Field(default=None, pattern=MOBILE_PATTERN)
    email: Text | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=120)


def staff_event(staff: Document, version: int) -> StaffChangedV1:
    """Internal: notifications reach a head teacher when no guardian answers an emergency."""
    return StaffChangedV1.about(
        PRODUCER,
        staff,
        StaffChanged(
            staff_id=staff["staff_id"],
            roles=staff["roles"],
            class_ids=staff["class_ids"],
            contacts=StaffContacts(phone=staff.get("phone"), email=staff.get("email")),
            version=version,
        ),
    )


class StaffPublic(StaffCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    staff_id: str
    school_id: str
    version: int


class ClassTeacher(BaseModel):
    """A teacher of a class as its colleagues see them: no contact details."""

    staff_id: str
    name: str
    roles: list[StaffRole]
    head_teacher: bool = Field(description="The class's head teacher (班主任).")


def class_teachers(klass: Document, staff: list[Document]) -> list[ClassTeacher]:
    """The staff of the class's school who teach it (its ``class_ids``), and its head teacher
    whether or not they list it; the head teacher first, then by name."""
    head = klass.get("head_teacher_id")
    teaching = [
        s
        for s in staff
        if (s["district_id"], s["school_id"]) == (klass["district_id"], klass["school_id"])
        and (klass["class_id"] in s["class_ids"] or s["staff_id"] == head)
    ]
    found = [
        ClassTeacher(
            staff_id=s["staff_id"], name=s["name"], roles=s["roles"], head_teacher=s["staff_id"] == head
        )
        for s in teaching
    ]
    return sorted(found, key=lambda t: (not t.head_teacher, t.name, t.staff_id))


def _classes_of_school(caller: Caller, class_ids: list[str], classes: dict[str, Document | None]) -> None:
    """The classes a member of staff teaches: 404, as for a read, for one that does not exist or
    is another school's."""
    for class_id in class_ids:
        access.named(
            access.STAFF_RECORDS, caller, classes.get(class_id), access.class_scope, f"班级 {class_id}"
        )


def hire_staff(
    caller: Caller, school: Document | None, staff: StaffCreate, classes: dict[str, Document | None]
) -> Change:
    """A school admin records the staff of their school and the classes each teaches."""
    school = access.school_route(access.STAFF_RECORDS, caller, school)
    _classes_of_school(caller, staff.class_ids, classes)
    record = staff.model_dump(mode="json") | {
        "staff_id": new_id("stf"),
        "district_id": school["district_id"],
        "school_id": school["school_id"],
    }
    return Change(STAFF, record["staff_id"], 1, record, (staff_event(record, 1),), caller.actor, "教职工")


def change_staff(
    caller: Caller, current: Document | None, update: StaffUpdate, classes: dict[str, Document | None]
) -> Change:
    current = access.checked(access.STAFF_RECORDS, caller, current, access.staff_scope)
    if update.class_ids is not None:
        _classes_of_school(caller, update.class_ids, classes)
    record = without_meta(current) | update.model_dump(mode="json", exclude_none=True)
    version = current["version"] + 1
    return Change(
        STAFF, current["staff_id"], version, record, (staff_event(record, version),), caller.actor, "教职工"
    )


# The bureau's officers (区教育局工作人员) ------------------------------------------------------------

BUREAU_STAFF = "bureau_staff"


class BureauStaffCreate(Record):
    name: Text = Field(min_length=1, max_length=30, examples=["马建华"])
    phone: Text | None = Field(default=None, pattern=MOBILE_PATTERN, description="手机号 (账号与激活短信)")
    email: Text | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=120, description="激活邮件")


class BureauStaffPublic(BureauStaffCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    staff_id: str
    version: int


def bureau_staff_event(officer: Document, version: int) -> BureauStaffChangedV1:
    """Internal, read by the portal alone: the officer's account and where its activation link goes.
    Not ``staff-changed``, whose readers (scheduling, notifications, reporting) take every member
    of staff for a teacher of a school."""
    return BureauStaffChangedV1.about(
        PRODUCER,
        officer,
        BureauStaffChanged(
            staff_id=officer["staff_id"],
            contacts=StaffContacts(phone=officer.get("phone"), email=officer.get("email")),
            version=version,
        ),
        school_id=DISTRICT_KEY,
    )


def hire_bureau_staff(caller: Caller, officer: BureauStaffCreate) -> Change:
    """The bureau records its own officers, each of whom gets a portal account of the bureau's role
    (no school: the bureau reads every school of its district as counts and rates)."""
    access.BUREAU_STAFF_RECORDS.role_allowed(caller)
    if officer.phone is None and officer.email is None:
        raise Invalid("body.phone", "请填写手机号或邮箱，以便发送账号激活链接 (a phone or an email)")
    record = officer.model_dump(mode="json") | {
        "staff_id": new_id("bst"),
        "district_id": caller.district_id,
        "school_id": None,
    }
    event = bureau_staff_event(record, 1)
    return Change(BUREAU_STAFF, record["staff_id"], 1, record, (event,), caller.actor, "教育局工作人员")


# Parent committees (家长委员会) -----------------------------------------------------------------


class CommitteeLevel(StrEnum):
    class_ = "class"
    school = "school"


class CommitteeMember(Record):
    guardian_id: OpaqueId
    role: Text = Field(default="委员", max_length=10, examples=["主任", "副主任", "委员"])


class CommitteeCreate(Record):
    level: CommitteeLevel
    class_id: OpaqueId | None = Field(default=None, description="For a class committee.")
    members: list[CommitteeMember] = Field(min_length=1)


class CommitteePublic(BaseModel):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    committee_id: str
    school_id: str
    level: CommitteeLevel
    class_id: str | None
    members: list[CommitteeMember] | None = Field(
        description="Who sits on it: only for the school's staff (null for the bureau)."
    )
    member_count: int
    version: int


def committee_public(caller: Caller, committee: Document) -> CommitteePublic:
    """Membership only for those ``access.COMMITTEE_MEMBERS`` names; the bureau reads counts."""
    shown = dict(committee) | {"member_count": len(committee["members"])}
    if not access.COMMITTEE_MEMBERS.allows(caller, access.school_record_scope(committee)):
        shown["members"] = None
    return CommitteePublic.model_validate(shown)


CLASS_COMMITTEE_SIZE = range(5, 8)  # a class committee has 5–7 parents


def form_committee(
    caller: Caller,
    school: Document | None,
    committee: CommitteeCreate,
    named_records: tuple[Document | None, dict[str, Document | None]],
    class_students: set[str],
    class_committees: list[Document],
) -> Change:
    """Class committees have 5–7 guardians of the class; the school committee has one member
    elected from each class committee.

    ``named_records`` holds the class and the guardians the body names: each must be of the school (404,
    as for a read, for one that does not exist or is another school's)."""
    school = access.school_route(access.COMMITTEE_RECORDS, caller, school)
    klass, guardians = named_records
    if committee.class_id is not None:
        access.named(access.COMMITTEE_RECORDS, caller, klass, access.class_scope, "班级")
    ids = [m.guardian_id for m in committee.members]
    for guardian_id in ids:
        guardian = guardians.get(guardian_id)
        access.named(access.COMMITTEE_RECORDS, caller, guardian, access.guardian_scope, f"家长 {guardian_id}")
    if len(set(ids)) != len(ids):
        raise Invalid("body.members", "成员重复 (a guardian appears twice)")
    if committee.level is CommitteeLevel.class_:
        if committee.class_id is None:
            raise Invalid("body.class_id", "班级家委会须指定班级")
        if len(ids) not in CLASS_COMMITTEE_SIZE:
            raise Invalid("body.members", "班级家委会由 5–7 名家长组成 (a class committee has 5–7 parents)")
        for i, guardian_id in enumerate(ids):
            guardian = guardians[guardian_id]
            assert guardian is not None
            if not set(guardian["student_ids"]) & class_students:
                raise Invalid(f"body.members.{i}.guardian_id", "该家长的孩子不在本班")
    else:
        elected_from: dict[str, str] = {}
        for committee_doc in class_committees:
            for member in committee_doc["members"]:
                elected_from[member["guardian_id"]] = committee_doc["class_id"]
        classes = [elected_from.get(guardian_id) for guardian_id in ids]
        for i, class_id in enumerate(classes):
            if class_id is None:
                raise Invalid(f"body.members.{i}.guardian_id", "校级家委会成员须来自班级家委会")
        if len(set(classes)) != len(classes):
            raise Invalid("body.members", "每个班级家委会推选一名成员 (one member per class committee)")
    record = committee.model_dump(mode="json") | {
        "committee_id": new_id("cmt"),
        "district_id": school["district_id"],
        "school_id": school["school_id"],
    }
    return Change(COMMITTEES, record["committee_id"], 1, record, (), caller.actor, "家长委员会")
