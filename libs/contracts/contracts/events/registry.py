"""Registry changes. Organisation-level facts go on the public ``district.registry.v1``; what
only platform services may read (class membership, care categories, contacts) on
``internal.registry.v1``.

Each event carries the full current state of its record (a snapshot), so a consumer can build its
projection from the latest event per record and replaying a topic rebuilds it.
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt

from contracts.envelope import Contract, Event
from contracts.events.partner_activities import PartnerKind
from contracts.topic_names import INTERNAL_REGISTRY_V1, REGISTRY_V1


class SchoolLevel(StrEnum):
    primary = "primary"
    junior = "junior"
    senior = "senior"


class SchoolSetting(StrEnum):
    urban = "urban"
    rural = "rural"


class RecordStatus(StrEnum):
    active = "active"
    closed = "closed"


class SchoolChanged(Contract):
    """A school was registered or changed (an organisation, not a person: its name is public)."""

    school_id: str
    name: str = Field(description="The school's official name, e.g. 叶城县第九小学.")
    level: SchoolLevel
    setting: SchoolSetting = Field(description="城区 urban or 农村 rural.")
    status: RecordStatus
    version: int = Field(ge=1, description="Version of the school record; a consumer keeps the highest.")


class SchoolChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["school-changed"] = "school-changed"
    schema_version: Literal[1] = 1
    payload: SchoolChanged


class ClassChanged(Contract):
    """A class was opened or changed, or its enrolment moved (counts only, never who)."""

    class_id: str
    grade: int = Field(ge=1, le=12)
    status: RecordStatus
    enrolled_count: NonNegativeInt = Field(description="Students enrolled in the class after the change.")
    head_teacher_id: str | None = Field(
        default=None, description="Opaque staff id of the head teacher (班主任)."
    )


class ClassChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["class-changed"] = "class-changed"
    schema_version: Literal[1] = 1
    payload: ClassChanged


class PolicyChanged(Contract):
    """The district policy of a school year was published or revised (a new version)."""

    school_year: str = Field(pattern=r"^\d{4}-\d{4}$", examples=["2026-2027"])
    version: int = Field(ge=1)
    targets: dict[str, float] = Field(description="Target per rule, e.g. home_visit_coverage: 0.667.")


class PolicyChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["policy-changed"] = "policy-changed"
    schema_version: Literal[1] = 1
    payload: PolicyChanged


class CareCategory(StrEnum):
    left_behind = "left_behind"  # 留守儿童
    hardship = "hardship"  # 困难家庭
    special_attention = "special_attention"  # 特别关注
    single_parent = "single_parent"  # 单亲家庭
    disability = "disability"  # 残疾
    idle_youth_risk = "idle_youth_risk"  # 辍学/闲散青少年


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    transferred_out = "transferred_out"
    graduated = "graduated"
    left = "left"


class StudentChanged(Contract):
    """Internal: a student's class membership, enrolment status or care categories changed."""

    student_id: str
    class_id: str
    status: EnrolmentStatus
    care_categories: list[CareCategory] = Field(description="Sensitive: decides mandatory visits (三必访).")
    name: str | None = Field(
        default=None, description="Internal only: shown to the student's own teachers in their reports."
    )
    version: int = Field(ge=1)


class StudentChangedV1(Event):
    topic: ClassVar[str] = INTERNAL_REGISTRY_V1

    event_type: Literal["student-changed"] = "student-changed"
    schema_version: Literal[1] = 1
    payload: StudentChanged


class Channel(StrEnum):
    sms = "sms"
    email = "email"
    wechat = "wechat"  # a WeChat-style messaging service
    app = "app"  # the platform's in-app inbox


class GuardianContacts(Contract):
    phone: str | None = None
    email: str | None = None
    messaging_handle: str | None = None


class GuardianChanged(Contract):
    """Internal: how to reach a guardian and what they agreed to, for notifications."""

    guardian_id: str
    student_ids: list[str]
    contacts: GuardianContacts
    preferred_channel: Channel
    language: Literal["zh-CN", "en"]
    consent_non_essential: bool = Field(
        description="Consent to non-essential messages; emergencies ignore it."
    )
    version: int = Field(ge=1)


class GuardianChangedV1(Event):
    topic: ClassVar[str] = INTERNAL_REGISTRY_V1

    event_type: Literal["guardian-changed"] = "guardian-changed"
    schema_version: Literal[1] = 1
    payload: GuardianChanged


class StaffContacts(Contract):
    phone: str | None = None
    email: str | None = None


class StaffChanged(Contract):
    """Internal: a member of staff, the classes they teach and how to reach them (emergencies)."""

    staff_id: str
    roles: list[str]
    class_ids: list[str]
    contacts: StaffContacts
    version: int = Field(ge=1)


class StaffChangedV1(Event):
    topic: ClassVar[str] = INTERNAL_REGISTRY_V1

    event_type: Literal["staff-changed"] = "staff-changed"
    schema_version: Literal[1] = 1
    payload: StaffChanged


class BureauStaffChanged(Contract):
    """Internal: an officer of the district's education bureau (区教育局工作人员) and how to reach them,
    for their portal account and its activation link. Of the district, not of a school: the
    envelope's school_id is ``district``. Sent with every change of the officer's record."""

    staff_id: str
    contacts: StaffContacts
    version: int = Field(ge=1, description="Version of the officer's record; a consumer keeps the highest.")


class BureauStaffChangedV1(Event):
    topic: ClassVar[str] = INTERNAL_REGISTRY_V1

    event_type: Literal["bureau-staff-changed"] = "bureau-staff-changed"
    schema_version: Literal[1] = 1
    payload: BureauStaffChanged


class TermKind(StrEnum):
    autumn = "autumn"  # 秋季学期, Sep–Jan
    spring = "spring"  # 春季学期, Feb–Jul


class Holiday(Contract):
    name: str = Field(description="e.g. 国庆节, 寒假")
    starts_on: date
    ends_on: date


class TermChanged(Contract):
    """A term of a school year was set or revised by the bureau."""

    school_year: str = Field(pattern=r"^\d{4}-\d{4}$")
    kind: TermKind
    starts_on: date
    ends_on: date
    holidays: list[Holiday]
    version: int = Field(ge=1)


class TermChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["term-changed"] = "term-changed"
    schema_version: Literal[1] = 1
    payload: TermChanged


class PairChanged(Contract):
    """An assistance pair (结对帮扶): one supporting school and the schools it supports."""

    pair_id: str
    supporting_school_id: str
    supported_school_ids: list[str] = Field(min_length=1)
    starts_on: date
    ends_on: date | None
    version: int = Field(ge=1)


class PairChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["pair-changed"] = "pair-changed"
    schema_version: Literal[1] = 1
    payload: PairChanged


class PartnerChanged(Contract):
    """A community partner of a school (an organisation: its name is public; its contact is not)."""

    partner_id: str
    name: str = Field(description="e.g. 文化路派出所")
    kind: PartnerKind
    version: int = Field(ge=1)


class PartnerChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["partner-changed"] = "partner-changed"
    schema_version: Literal[1] = 1
    payload: PartnerChanged


class PartnerContactChanged(Contract):
    """Internal: how the platform reaches a community partner's contact (联系人), for the partner's
    portal account and its activation link. Sent with every change of the partner record."""

    partner_id: str
    contact_phone: str | None = Field(
        default=None, description="The contact's mobile number (11 digits), or null when none is recorded."
    )
    version: int = Field(ge=1, description="Version of the partner record; a consumer keeps the highest.")


class PartnerContactChangedV1(Event):
    topic: ClassVar[str] = INTERNAL_REGISTRY_V1

    event_type: Literal["partner-contact-changed"] = "partner-contact-changed"
    schema_version: Literal[1] = 1
    payload: PartnerContactChanged


class AgreementStatus(StrEnum):
    draft = "draft"
    active = "active"
    ended = "ended"


class AgreementChanged(Contract):
    """A co-building agreement (共建协议) between a school and a partner; commitments as a count."""

    agreement_id: str
    partner_id: str
    partner_kind: PartnerKind
    starts_on: date
    ends_on: date
    signed_on: date | None
    status: AgreementStatus
    commitments_count: int = Field(ge=0)
    reviewed: bool = Field(description="Whether the year-end review (年终评议) is recorded.")
    version: int = Field(ge=1)


class AgreementChangedV1(Event):
    topic: ClassVar[str] = REGISTRY_V1

    event_type: Literal["agreement-changed"] = "agreement-changed"
    schema_version: Literal[1] = 1
    payload: AgreementChanged
