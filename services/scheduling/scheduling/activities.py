"""Co-building activities with partners (共建活动) and exchanges between paired schools
(结对帮扶交流). No I/O: agreements and pairs come from scheduling's projection of the registry."""

from datetime import date
from typing import Literal
from uuid import uuid4

from contracts.events.partner_activities import (
    ActivityKind,
    ExchangeKind,
    PairingExchange,
    PairingExchangeV1,
    PartnerActivity,
    PartnerActivityV1,
)
from contracts.inputs import FreeText, OpaqueId, Text
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt
from service_kit.access import OutOfScope, ensure_found
from service_kit.auth import Caller, Role
from service_kit.changes import Change, next_state
from service_kit.errors import Invalid, Problem
from service_kit.storage import Document

from scheduling import access
from scheduling.domain import PRODUCER

ACTIVITIES, EXCHANGES, AGREEMENTS, PAIRS = "partner_activities", "pairing_exchanges", "agreements", "pairs"


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_id: OpaqueId
    kind: ActivityKind
    title: Text = Field(min_length=2, max_length=80, examples=["禁毒宣传「珍惜生命、远离毒品」"])
    held_on: date
    place: Text = Field(default="", max_length=100)
    class_ids: list[OpaqueId] = Field(default_factory=list)
    students_count: NonNegativeInt = 0
    teachers_count: NonNegativeInt = 0
    residents_count: NonNegativeInt = 0
    participant_times: NonNegativeInt = Field(description="人次")
    outcome_notes: FreeText | None = Field(default=None, max_length=5000)


class ActivityPublic(ActivityCreate):
    model_config = ConfigDict(extra="ignore")

    activity_id: str
    school_id: str
    partner_id: str
    logged_by: Literal["school", "partner"] = Field(
        default="school", description="Who logged it: the school's staff or the partner."
    )
    partner_confirmed: bool = Field(description="The partner logged or confirmed it with its own token.")
    school_confirmed: bool = Field(
        default=True, description="The school logged it, or its admin confirmed what the partner logged."
    )
    version: int


class ActivityGuardianView(BaseModel):
    """What a guardian reads of an activity of their child's class or school (access.py): what,
    when and where; no counts, notes or agreement."""

    model_config = ConfigDict(extra="ignore")

    activity_id: str
    school_id: str
    kind: ActivityKind
    title: str
    held_on: date
    place: str


class ExchangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pair_id: OpaqueId
    kind: ExchangeKind
    held_on: date
    teachers_benefiting: NonNegativeInt
    students_benefiting: NonNegativeInt
    notes: FreeText | None = Field(default=None, max_length=5000)


class ActivityRejected(Invalid):
    kind = "activity-rejected"


class AlreadyConfirmed(Problem):
    def __init__(self, by_partner: bool) -> None:
        who = "共建单位" if by_partner else "学校"
        super().__init__(409, "already-confirmed", f"{who}已确认该活动 (already confirmed)")


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AgreementFacts(_Tolerant):
    """Tolerant reader of the registry's ``agreement-changed``."""

    class Payload(_Tolerant):
        agreement_id: str
        partner_id: str
        partner_kind: str
        status: str
        version: int

    district_id: str
    school_id: str
    payload: Payload


class PairFacts(_Tolerant):
    """Tolerant reader of the registry's ``pair-changed``."""

    class Payload(_Tolerant):
        pair_id: str
        supporting_school_id: str
        supported_school_ids: list[str]
        version: int

    district_id: str
    payload: Payload


def agreement_projection(event: AgreementFacts) -> Document:
    return event.payload.model_dump() | {
        "_id": event.payload.agreement_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
    }


def pair_projection(event: PairFacts) -> Document:
    return event.payload.model_dump() | {"_id": event.payload.pair_id, "district_id": event.district_id}


def _activity_event(activity: Document, version: int) -> PartnerActivityV1:
    return PartnerActivityV1.about(
        PRODUCER,
        activity,
        PartnerActivity(
            activity_id=activity["activity_id"],
            partner_id=activity["partner_id"],
            partner_kind=activity["partner_kind"],
            agreement_id=activity["agreement_id"],
            kind=activity["kind"],
            held_on=activity["held_on"],
            class_ids=activity["class_ids"],
            students_count=activity["students_count"],
            teachers_count=activity["teachers_count"],
            residents_count=activity["residents_count"],
            participant_times=activity["participant_times"],
            partner_confirmed=activity["partner_confirmed"],
            version=version,
        ),
    )


def _announced(activity: Document, version: int) -> tuple[PartnerActivityV1, ...]:
    """An activity is announced once the school vouches for it (it logged it, or its admin
    confirmed what the partner logged), and again when the partner confirms: reports count, and
    guardians hear of, only what the school stands behind."""
    return (_activity_event(activity, version),) if activity["school_confirmed"] else ()


def record_activity(
    caller: Caller,
    agreement: Document | None,
    activity: ActivityCreate,
    classes: list[Document | None],
    today: date,
) -> Change:
    """The school (its staff) or the partner logs an activity under one of their co-building
    agreements, for classes of the agreement's school (``classes``: those the body names, as the
    projection knows them). What one side logs, the other confirms (``confirm_activity``)."""
    access.ACTIVITY_RECORDING.role_allowed(caller)
    agreement = ensure_found(agreement, "共建协议")
    access.ACTIVITY_RECORDING.check(caller, access.agreement_scope(agreement))
    for klass in classes:
        klass = ensure_found(klass, "班级")
        if (klass["district_id"], klass["school_id"]) != (agreement["district_id"], agreement["school_id"]):
            raise OutOfScope("班级", "class of another school than the agreement's")
    if agreement["status"] != "active":
        raise ActivityRejected("body.agreement_id", "协议未生效，不能登记活动 (the agreement is not active)")
    if activity.held_on > today:
        raise ActivityRejected("body.held_on", "活动日期不能晚于今天")
    by_partner = caller.role is Role.partner
    record = activity.model_dump(mode="json") | {
        "activity_id": f"pa-{uuid4().hex[:12]}",
        "district_id": agreement["district_id"],
        "school_id": agreement["school_id"],
        "partner_id": agreement["partner_id"],
        "partner_kind": agreement["partner_kind"],
        "logged_by": "partner" if by_partner else "school",
        "partner_confirmed": by_partner,
        "school_confirmed": not by_partner,
    }
    return Change(
        ACTIVITIES, record["activity_id"], 1, record, _announced(record, 1), caller.actor, "共建活动"
    )


def confirm_activity(caller: Caller, activity: Document | None) -> Change:
    """The partner confirms, with its own token (its subject), an activity of its that the school
    logged; the school admin one of the school's that the partner logged. Each side's own
    confirmation is given by logging it: confirming it again is 409."""
    access.ACTIVITY_CONFIRMATION.role_allowed(caller)
    activity = ensure_found(activity, "共建活动")
    access.ACTIVITY_CONFIRMATION.check(caller, access.activity_scope(activity))
    by_partner = caller.role is Role.partner
    flag = "partner_confirmed" if by_partner else "school_confirmed"
    if activity.get(flag, True):  # activities logged before partners logged any: the school's
        raise AlreadyConfirmed(by_partner)
    record = next_state(activity, {flag: True})
    record.setdefault("school_confirmed", True)
    version = activity["version"] + 1
    return Change(
        ACTIVITIES,
        record["activity_id"],
        version,
        record,
        _announced(record, version),
        caller.actor,
        "共建活动",
    )


def listed(activities: list[Document]) -> list[ActivityPublic]:
    """Activities as the school's staff or the partner list them: newest first by the day held
    (one day's in a fixed order)."""
    ordered = sorted(activities, key=lambda a: (a["held_on"], a["activity_id"]), reverse=True)
    return [ActivityPublic.model_validate(a) for a in ordered]


def activity_for(
    caller: Caller, activity: Document, kids: list[Document]
) -> ActivityPublic | ActivityGuardianView:
    """An activity as the caller may read it (access.PARTNER_ACTIVITIES): a guardian the public
    fields of one concerning a child of theirs (``kids``), the school, bureau and partner all."""
    access.PARTNER_ACTIVITIES.check(caller, access.activity_scope(activity, kids))
    if caller.role is Role.guardian:
        return ActivityGuardianView.model_validate(activity)
    return ActivityPublic.model_validate(activity)


def record_exchange(caller: Caller, pair: Document | None, exchange: ExchangeCreate, today: date) -> Change:
    """A school of the pair records an exchange between them."""
    access.EXCHANGES.role_allowed(caller)
    pair = ensure_found(pair, "结对")
    access.check_pair(caller, pair)
    if exchange.held_on > today:
        raise ActivityRejected("body.held_on", "交流日期不能晚于今天")
    record = exchange.model_dump(mode="json") | {
        "exchange_id": f"px-{uuid4().hex[:12]}",
        "district_id": pair["district_id"],
        "school_id": pair["supporting_school_id"],
        "recorded_by_school": caller.school_id,
    }
    event = PairingExchangeV1(
        producer="scheduling",
        district_id=pair["district_id"],
        school_id=pair["supporting_school_id"],
        payload=PairingExchange(
            exchange_id=record["exchange_id"],
            pair_id=pair["_id"],
            supporting_school_id=pair["supporting_school_id"],
            supported_school_ids=pair["supported_school_ids"],
            kind=exchange.kind,
            held_on=exchange.held_on,
            teachers_benefiting=exchange.teachers_benefiting,
            students_benefiting=exchange.students_benefiting,
        ),
    )
    return Change(EXCHANGES, record["exchange_id"], 1, record, (event,), caller.actor, "结对交流")
