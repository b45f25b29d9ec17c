from contracts.events.registry import TermKind
from fastapi import APIRouter, Response
from service_kit.auth import CurrentCaller
from service_kit.storage import Document

from registry import access, domain
from registry import organisation as org
from registry.api import IfMatch, SchoolYear, StoreDep, saved_from, tagged

router = APIRouter(prefix="/v1")


@router.put("/terms/{school_year}/{kind}", response_model=org.TermPublic, tags=["terms 学期"])
async def set_term(
    school_year: SchoolYear, kind: TermKind, term: org.TermSet, caller: CurrentCaller, store: StoreDep
) -> org.TermPublic:
    """设置学期 (the bureau; autumn Sep–Jan, spring Feb–Jul, with holidays)."""
    current = await store.get(org.TERMS, org.term_id(caller.district_id, school_year, kind))
    change = org.set_term(caller, school_year, kind, current, term)
    await store.record(change)
    return org.TermPublic.model_validate(change.state | {"version": change.version})


@router.get("/terms/{school_year}", response_model=list[org.TermPublic], tags=["terms 学期"])
async def list_terms(school_year: SchoolYear, caller: CurrentCaller, store: StoreDep) -> list[org.TermPublic]:
    """学年的学期 (everyone in the district)."""
    terms = await store.find(org.TERMS, {"district_id": caller.district_id, "school_year": school_year})
    shown = access.visible(access.TERMS, caller, terms, lambda t: access.district_scope(t["district_id"]))
    return sorted((org.TermPublic.model_validate(t) for t in shown), key=lambda t: t.starts_on)


@router.post("/pairs", status_code=201, response_model=org.PairPublic, tags=["pairs 结对帮扶"])
async def create_pair(pair: org.PairCreate, caller: CurrentCaller, store: StoreDep) -> org.PairPublic:
    """建立结对帮扶 (the bureau)."""
    ids = [pair.supporting_school_id, *pair.supported_school_ids]
    schools = {school_id: await store.school(school_id) for school_id in ids}
    change = org.create_pair(caller, pair, schools)
    await store.record(change)
    return org.PairPublic.model_validate(change.state | {"version": 1})


@router.get("/pairs", response_model=list[org.PairPublic], tags=["pairs 结对帮扶"])
async def list_pairs(caller: CurrentCaller, store: StoreDep) -> list[org.PairPublic]:
    """结对帮扶列表 (the bureau sees all; a school's staff the pairs it is part of)."""
    access.PAIRS.role_allowed(caller)
    pairs = await store.find(org.PAIRS, {"district_id": caller.district_id})
    return [org.PairPublic.model_validate(p) for p in pairs if access.sees_pair(caller, p)]


@router.post(
    "/schools/{school_id}/partners", status_code=201, response_model=org.PartnerPublic, tags=["partners 共建"]
)
async def register_partner(
    school_id: str, partner: org.PartnerCreate, caller: CurrentCaller, store: StoreDep
) -> org.PartnerPublic:
    """登记共建单位 (a school admin)."""
    change = org.register_partner(caller, await store.school(school_id), partner)
    await store.record(change)
    return org.partner_public(caller, change.state | {"version": 1})


@router.get("/schools/{school_id}/partners", response_model=list[org.PartnerPublic], tags=["partners 共建"])
async def list_partners(school_id: str, caller: CurrentCaller, store: StoreDep) -> list[org.PartnerPublic]:
    """学校的共建单位 (contact person and phone for the school's staff; a partner sees its own record)."""
    school = access.school_route(access.PARTNERS, caller, await store.school(school_id))
    partners = await store.find(org.PARTNERS, {"district_id": school["district_id"], "school_id": school_id})
    shown = access.visible(access.PARTNERS, caller, partners, access.partner_scope)
    return [org.partner_public(caller, p) for p in shown]


@router.post(
    "/partners/{partner_id}/agreements",
    status_code=201,
    response_model=org.AgreementPublic,
    tags=["partners 共建"],
)
async def sign_agreement(
    partner_id: str, agreement: org.AgreementCreate, caller: CurrentCaller, store: StoreDep
) -> org.AgreementPublic:
    """登记共建协议 (a school admin, with one of its school's partners)."""
    change = org.sign_agreement(caller, await store.get(org.PARTNERS, partner_id), agreement)
    await store.record(change)
    return org.AgreementPublic.model_validate(change.state | {"version": 1})


@router.patch("/agreements/{agreement_id}", response_model=org.AgreementPublic, tags=["partners 共建"])
async def change_agreement(
    agreement_id: str,
    update: org.AgreementUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> org.AgreementPublic:
    """修改共建协议：状态、签订日期、年终评议 (a school admin)."""
    current = await store.get(org.AGREEMENTS, agreement_id)
    partner = await store.get(org.PARTNERS, current["partner_id"]) if current else None
    change = org.change_agreement(caller, current, partner, update)
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return org.AgreementPublic.model_validate(change.state | {"version": change.version})


@router.get("/agreements", response_model=list[org.AgreementPublic], tags=["partners 共建"])
async def list_agreements(caller: CurrentCaller, store: StoreDep) -> list[org.AgreementPublic]:
    """共建协议 (a partner its own; a school its own; the bureau all of the district)."""
    access.AGREEMENTS.role_allowed(caller)
    agreements = await store.find(org.AGREEMENTS, {"district_id": caller.district_id})
    shown = access.visible(access.AGREEMENTS, caller, agreements, access.partner_scope)
    return [org.AgreementPublic.model_validate(a) for a in shown]


@router.get("/agreements/{agreement_id}", response_model=org.AgreementPublic, tags=["partners 共建"])
async def read_agreement(
    agreement_id: str, caller: CurrentCaller, store: StoreDep, response: Response
) -> org.AgreementPublic:
    """查看共建协议."""
    agreement = access.checked(
        access.AGREEMENTS, caller, await store.get(org.AGREEMENTS, agreement_id), access.partner_scope
    )
    tagged(response, agreement["version"])
    return org.AgreementPublic.model_validate(agreement)


async def _classes(store: StoreDep, class_ids: list[str] | None) -> dict[str, Document | None]:
    return {class_id: await store.class_(class_id) for class_id in class_ids or []}


@router.post(
    "/schools/{school_id}/staff", status_code=201, response_model=org.StaffPublic, tags=["staff 教职工"]
)
async def hire_staff(
    school_id: str, staff: org.StaffCreate, caller: CurrentCaller, store: StoreDep
) -> org.StaffPublic:
    """登记教职工及任教班级 (a school admin)."""
    change = org.hire_staff(
        caller, await store.school(school_id), staff, await _classes(store, staff.class_ids)
    )
    await store.record(change)
    return org.StaffPublic.model_validate(change.state | {"version": 1})


@router.patch("/staff/{staff_id}", response_model=org.StaffPublic, tags=["staff 教职工"])
async def change_staff(
    staff_id: str,
    update: org.StaffUpdate,
    caller: CurrentCaller,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> org.StaffPublic:
    """修改教职工角色或任教班级 (a school admin)."""
    current = await store.get(org.STAFF, staff_id)
    change = org.change_staff(caller, current, update, await _classes(store, update.class_ids))
    saved_from(if_match, change)
    await store.record(change)
    tagged(response, change.version)
    return org.StaffPublic.model_validate(change.state | {"version": change.version})


@router.get("/schools/{school_id}/staff", response_model=list[org.StaffPublic], tags=["staff 教职工"])
async def list_staff(school_id: str, caller: CurrentCaller, store: StoreDep) -> list[org.StaffPublic]:
    """教职工名单 (the school admin and the bureau)."""
    school = access.school_route(access.STAFF, caller, await store.school(school_id))
    staff = await store.find(org.STAFF, {"district_id": school["district_id"], "school_id": school_id})
    return [
        org.StaffPublic.model_validate(s)
        for s in access.visible(access.STAFF, caller, staff, access.staff_scope)
    ]


@router.post(
    "/schools/{school_id}/committees",
    status_code=201,
    response_model=org.CommitteePublic,
    tags=["committees 家委会"],
)
async def form_committee(
    school_id: str, committee: org.CommitteeCreate, caller: CurrentCaller, store: StoreDep
) -> org.CommitteePublic:
    """成立家长委员会 (class: 5–7 parents of the class; school: one elected from each class committee)."""
    school = access.school_route(access.COMMITTEE_RECORDS, caller, await store.school(school_id))
    klass = await store.class_(committee.class_id) if committee.class_id else None
    guardians = {m.guardian_id: await store.guardian(m.guardian_id) for m in committee.members}
    class_students = (
        {s["student_id"] for s in await store.students_of(committee.class_id)}
        if committee.class_id
        else set()
    )
    class_committees = await store.find(
        org.COMMITTEES, {"district_id": school["district_id"], "school_id": school_id, "level": "class"}
    )
    change = org.form_committee(
        caller, school, committee, (klass, guardians), class_students, class_committees
    )
    await store.record(change)
    return org.committee_public(caller, change.state | {"version": 1})


@router.get(
    "/schools/{school_id}/committees", response_model=list[org.CommitteePublic], tags=["committees 家委会"]
)
async def list_committees(
    school_id: str, caller: CurrentCaller, store: StoreDep
) -> list[org.CommitteePublic]:
    """家长委员会 (members for the school's staff; the bureau reads member counts)."""
    school = access.school_route(access.COMMITTEES, caller, await store.school(school_id))
    committees = await store.find(
        org.COMMITTEES, {"district_id": school["district_id"], "school_id": school_id}
    )
    shown = access.visible(access.COMMITTEES, caller, committees, access.school_record_scope)
    return [org.committee_public(caller, c) for c in shown]


@router.get("/schools/{school_id}/care-counts", response_model=dict[str, int], tags=["students 学生"])
async def care_counts(school_id: str, caller: CurrentCaller, store: StoreDep) -> dict[str, int]:
    """关爱学生人数 (the bureau and the school admin see care categories as counts only)."""
    school = access.school_route(access.CARE_COUNTS, caller, await store.school(school_id))
    students = await store.find(
        domain.STUDENTS, {"district_id": school["district_id"], "school_id": school_id, "status": "enrolled"}
    )
    return domain.care_counts(students)


@router.post("/bureau-staff", status_code=201, response_model=org.BureauStaffPublic, tags=["staff 教职工"])
async def hire_bureau_staff(
    officer: org.BureauStaffCreate, caller: CurrentCaller, store: StoreDep
) -> org.BureauStaffPublic:
    """登记教育局工作人员 (the bureau; the portal sends the officer an activation link)."""
    change = org.hire_bureau_staff(caller, officer)
    await store.record(change)
    return org.BureauStaffPublic.model_validate(change.state | {"version": 1})


@router.get("/bureau-staff", response_model=list[org.BureauStaffPublic], tags=["staff 教职工"])
async def list_bureau_staff(caller: CurrentCaller, store: StoreDep) -> list[org.BureauStaffPublic]:
    """教育局工作人员名单 (the bureau)."""
    access.BUREAU_STAFF.role_allowed(caller)
    officers = await store.find(org.BUREAU_STAFF, {"district_id": caller.district_id})
    shown = access.visible(access.BUREAU_STAFF, caller, officers, access.district_record_scope)
    return sorted((org.BureauStaffPublic.model_validate(o) for o in shown), key=lambda o: o.name)
