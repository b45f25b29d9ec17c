"""Rules for what surrounds the schools: terms (学期), assistance pairs (结对帮扶), community
partners (共建单位) and their co-building agreements (共建协议). No I/O."""

from datetime import date

from contracts.events.partner_activities import PartnerKind
from contracts.events.registry import (
    AgreementChanged,
    AgreementChangedV1,
    AgreementStatus,
    Holiday,
    PairChanged,
    PairChangedV1,
    PartnerChanged,
    PartnerChangedV1,
    TermChanged,
    TermChangedV1,
    TermKind,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator
from service_kit.auth import Caller, Role, ensure_visible
from service_kit.changes import Change
from service_kit.errors import Problem
from service_kit.storage import Document

from registry.domain import DISTRICT_KEY, MOBILE_PATTERN, PRODUCER, Forbidden, Record, new_id

TERMS, PAIRS, PARTNERS, AGREEMENTS = "terms", "pairs", "partners", "agreements"


class Invalid(Problem):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(422, "invalid", reason, errors=[{"field": field, "message": reason}])


def _actor(caller: Caller) -> dict[str, str]:
    return {"subject": caller.subject, "role": caller.role.value}


def _next_version(current: Document | None) -> int:
    return 1 if current is None else int(current["version"]) + 1


# Terms ----------------------------------------------------------------------------------------


class TermSet(Record):
    starts_on: date
    ends_on: date
    holidays: list[Holiday] = Field(default_factory=list, description="假期, e.g. 国庆节")

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
    if caller.role is not Role.bureau:
        raise Forbidden("学期由教育局设置 (terms are set by the bureau)")
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
        _actor(caller),
        "学期",
    )


# Assistance pairs -----------------------------------------------------------------------------


class PairCreate(Record):
    supporting_school_id: str = Field(description="帮扶学校")
    supported_school_ids: list[str] = Field(min_length=1, description="受援学校")
    starts_on: date
    ends_on: date | None = None


class PairPublic(PairCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    pair_id: str
    version: int


def create_pair(caller: Caller, pair: PairCreate, schools: dict[str, Document | None]) -> Change:
    """The bureau pairs a supporting school with the schools it supports, all of its district."""
    if caller.role is not Role.bureau:
        raise Forbidden("结对帮扶由教育局设置 (pairs are set by the bureau)")
    if pair.supporting_school_id in pair.supported_school_ids:
        raise Invalid("body.supported_school_ids", "帮扶学校不能同时是受援学校")
    for school_id, school in schools.items():
        ensure_visible(
            school is not None and caller.sees_school(school["district_id"], school_id), f"学校 {school_id}"
        )
    record = pair.model_dump(mode="json") | {"pair_id": new_id("pair"), "district_id": caller.district_id}
    event = PairChangedV1(
        producer=PRODUCER,
        district_id=caller.district_id,
        school_id=pair.supporting_school_id,
        payload=PairChanged(pair_id=record["pair_id"], version=1, **pair.model_dump()),
    )
    return Change(PAIRS, record["pair_id"], 1, record, (event,), _actor(caller), "结对")


def pair_involves(caller: Caller, pair: Document) -> bool:
    if caller.district_id != pair["district_id"]:
        return False
    schools = {pair["supporting_school_id"], *pair["supported_school_ids"]}
    return caller.role is Role.bureau or caller.school_id in schools


# Partners and agreements ----------------------------------------------------------------------


class PartnerCreate(Record):
    name: str = Field(min_length=2, max_length=60, examples=["文化路派出所"])
    kind: PartnerKind
    contact_person: str = Field(min_length=1, max_length=30, description="联系人")
    contact_phone: str | None = Field(default=None, pattern=MOBILE_PATTERN)


class PartnerPublic(PartnerCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    partner_id: str
    school_id: str
    version: int


def register_partner(caller: Caller, school: Document | None, partner: PartnerCreate) -> Change:
    """A school admin registers a community partner of their school."""
    ensure_visible(
        school is not None and caller.sees_school(school["district_id"], school["school_id"]), "学校"
    )
    assert school is not None
    if caller.role is not Role.school_admin:
        raise Forbidden("共建单位由学校管理员登记")
    record = partner.model_dump(mode="json") | {
        "partner_id": new_id("ptn"),
        "district_id": school["district_id"],
        "school_id": school["school_id"],
    }
    event = PartnerChangedV1(
        producer=PRODUCER,
        district_id=school["district_id"],
        school_id=school["school_id"],
        payload=PartnerChanged(
            partner_id=record["partner_id"], name=partner.name, kind=partner.kind, version=1
        ),
    )
    return Change(PARTNERS, record["partner_id"], 1, record, (event,), _actor(caller), "共建单位")


class AgreementCreate(Record):
    title: str = Field(min_length=2, max_length=80, examples=["警校共建协议书"])
    starts_on: date
    ends_on: date
    commitments: list[str] = Field(default_factory=list, max_length=30, description="共建承诺")
    signed_on: date | None = None


class AgreementUpdate(Record):
    status: AgreementStatus | None = None
    signed_on: date | None = None
    year_end_review: str | None = Field(default=None, max_length=2000, description="年终评议")


class AgreementPublic(AgreementCreate):
    model_config = ConfigDict(extra="ignore")  # answers leave out internal fields

    agreement_id: str
    partner_id: str
    school_id: str
    status: AgreementStatus
    year_end_review: str | None
    version: int


def agreement_event(agreement: Document, partner: Document, version: int) -> AgreementChangedV1:
    return AgreementChangedV1(
        producer=PRODUCER,
        district_id=agreement["district_id"],
        school_id=agreement["school_id"],
        payload=AgreementChanged(
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
    ensure_visible(
        partner is not None and caller.sees_school(partner["district_id"], partner["school_id"]), "共建单位"
    )
    assert partner is not None
    if caller.role is not Role.school_admin:
        raise Forbidden("共建协议由学校管理员登记")
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
        _actor(caller),
        "共建协议",
    )


def change_agreement(
    caller: Caller, current: Document | None, partner: Document | None, update: AgreementUpdate
) -> Change:
    ensure_visible(
        current is not None and caller.sees_school(current["district_id"], current["school_id"]), "共建协议"
    )
    assert current is not None
    assert partner is not None
    if caller.role is not Role.school_admin:
        raise Forbidden("共建协议由学校管理员修改")
    record = {k: v for k, v in current.items() if k not in ("_id", "version")} | update.model_dump(
        mode="json", exclude_none=True
    )
    version = current["version"] + 1
    return Change(
        AGREEMENTS,
        current["agreement_id"],
        version,
        record,
        (agreement_event(record, partner, version),),
        _actor(caller),
        "共建协议",
    )


def may_read_agreement(caller: Caller, agreement: Document) -> bool:
    """School staff read their school's agreements; a partner (its token's subject is the partner
    id) reads its own."""
    if caller.role is Role.partner:
        return caller.district_id == agreement["district_id"] and caller.subject == agreement["partner_id"]
    return caller.role in (Role.bureau, Role.school_admin) and caller.sees_school(
        agreement["district_id"], agreement["school_id"]
    )
