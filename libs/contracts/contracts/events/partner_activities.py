"""Co-building activities with community partners (共建活动) on ``district.partner-activities.v1``."""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt

from contracts.envelope import Contract, Event
from contracts.topic_names import PAIRING_EXCHANGES_V1, PARTNER_ACTIVITIES_V1


class PartnerKind(StrEnum):
    community_committee = "community_committee"  # 社区居委会
    police_station = "police_station"  # 派出所
    enterprise = "enterprise"  # 企业
    village = "village"  # 村委会
    health_centre = "health_centre"  # 社区卫生服务中心
    ngo = "ngo"


class ActivityKind(StrEnum):
    legal_education = "legal_education"
    volunteer_service = "volunteer_service"
    safety_drill = "safety_drill"
    science_talk = "science_talk"
    cultural_event = "cultural_event"
    health_service = "health_service"
    social_practice = "social_practice"


class PartnerActivity(Contract):
    """A partner ran an activity with the school under a co-building agreement (共建协议)."""

    activity_id: str = Field(description="Opaque id of the activity.")
    partner_id: str
    partner_kind: PartnerKind
    agreement_id: str = Field(description="Co-building agreement the activity counts towards.")
    kind: ActivityKind
    held_on: date
    class_ids: list[str] = Field(default_factory=list, description="Participating classes.")
    students_count: NonNegativeInt
    teachers_count: NonNegativeInt
    residents_count: NonNegativeInt
    participant_times: NonNegativeInt = Field(description="人次: participant-times over all sessions.")
    partner_confirmed: bool | None = Field(
        default=None,
        description="Whether the partner confirmed the activity and its figures with its own token.",
    )
    version: int | None = Field(
        default=None, ge=1, description="Announced again, higher, once the partner confirms."
    )


class PartnerActivityV1(Event):
    topic: ClassVar[str] = PARTNER_ACTIVITIES_V1

    event_type: Literal["partner-activity"] = "partner-activity"
    schema_version: Literal[1] = 1
    payload: PartnerActivity


class ExchangeKind(StrEnum):
    demonstration_lesson = "demonstration_lesson"  # 示范课
    mutual_observation = "mutual_observation"  # 互相听课
    teaching_research = "teaching_research"  # 教研活动
    leadership_visit = "leadership_visit"  # 管理干部交流


class PairingExchange(Contract):
    """An exchange between paired schools (结对帮扶交流), with the teachers and students benefiting."""

    exchange_id: str
    pair_id: str
    supporting_school_id: str
    supported_school_ids: list[str] = Field(min_length=1)
    kind: ExchangeKind
    held_on: date
    teachers_benefiting: NonNegativeInt = Field(description="受益教师人次")
    students_benefiting: NonNegativeInt = Field(description="受益学生人次")


class PairingExchangeV1(Event):
    topic: ClassVar[str] = PAIRING_EXCHANGES_V1

    event_type: Literal["pairing-exchange"] = "pairing-exchange"
    schema_version: Literal[1] = 1
    payload: PairingExchange
