"""Terms, assistance pairs, partners and agreements on the real broker and store."""

import random

import pytest
from contracts.topics import REGISTRY_V1
from service_kit.auth import Role

pytestmark = pytest.mark.infra


@pytest.fixture
def registry(registry_api):
    return registry_api


def a_school_year() -> str:
    start = random.randint(2100, 2900)  # a year no other test uses, on a store that persists
    return f"{start}-{start + 1}"


async def test_terms_are_set_by_the_bureau_versioned_and_checked(registry):
    year = a_school_year()
    autumn = {
        "starts_on": f"{year[:4]}-09-01",
        "ends_on": f"{year[5:]}-01-20",
        "holidays": [{"name": "国庆节", "starts_on": f"{year[:4]}-10-01", "ends_on": f"{year[:4]}-10-07"}],
    }
    bureau = registry.bureau

    first = await registry.http.put(f"/v1/terms/{year}/autumn", json=autumn, headers=bureau)
    second = await registry.http.put(
        f"/v1/terms/{year}/autumn", json=autumn | {"holidays": []}, headers=bureau
    )
    by_admin = await registry.http.put(
        f"/v1/terms/{year}/autumn", json=autumn, headers=registry.auth(Role.school_admin, "s")
    )
    outside = await registry.http.put(
        f"/v1/terms/{year}/spring",
        json={
            "starts_on": f"{year[5:]}-02-20",
            "ends_on": f"{year[5:]}-07-10",
            "holidays": [{"name": "寒假", "starts_on": f"{year[5:]}-01-01", "ends_on": f"{year[5:]}-02-10"}],
        },
        headers=bureau,
    )
    backwards = await registry.http.put(
        f"/v1/terms/{year}/spring",
        json={"starts_on": f"{year[5:]}-07-10", "ends_on": f"{year[5:]}-02-20"},
        headers=bureau,
    )
    listed = await registry.http.get(f"/v1/terms/{year}", headers=registry.auth(Role.teacher, "s", ["c"]))

    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert by_admin.status_code == 403
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "body.holidays.0"
    assert backwards.status_code == 422
    assert [(t["kind"], t["holidays"]) for t in listed.json()] == [("autumn", [])]


async def test_pairs_join_schools_of_the_district_and_each_school_sees_its_own(registry, read_topic):
    supporting, supported = await registry.new_school(), await registry.new_school("良舍小学")
    bystander = await registry.new_school("丹阳小学")
    body = {
        "supporting_school_id": supporting,
        "supported_school_ids": [supported],
        "starts_on": "2026-09-01",
    }

    created = await registry.http.post("/v1/pairs", json=body, headers=registry.bureau)
    unknown = await registry.http.post(
        "/v1/pairs", json=body | {"supported_school_ids": ["sch-nowhere"]}, headers=registry.bureau
    )
    self_paired = await registry.http.post(
        "/v1/pairs", json=body | {"supported_school_ids": [supporting]}, headers=registry.bureau
    )
    seen_by_supported = await registry.http.get(
        "/v1/pairs", headers=registry.auth(Role.school_admin, supported)
    )
    seen_by_bystander = await registry.http.get(
        "/v1/pairs", headers=registry.auth(Role.school_admin, bystander)
    )

    assert created.status_code == 201, created.text
    assert unknown.status_code == 404
    assert self_paired.status_code == 422
    assert [p["pair_id"] for p in seen_by_supported.json()] == [created.json()["pair_id"]]
    assert seen_by_bystander.json() == []

    def pair_events(messages):
        return [
            m for m in messages if m.get("event_type") == "pair-changed" and m.get("school_id") == supporting
        ]

    [event] = pair_events(await read_topic(REGISTRY_V1, lambda ms: len(pair_events(ms)) >= 1))
    assert event["payload"]["supported_school_ids"] == [supported]


async def test_partner_reads_only_its_own_agreements_and_public_events_omit_contacts(registry, read_topic):
    school = await registry.new_school("松山街道中心小学")
    admin = registry.auth(Role.school_admin, school)
    partner = (
        await registry.http.post(
            f"/v1/schools/{school}/partners",
            json={
                "name": "文化路派出所",
                "kind": "police_station",
                "contact_person": "王警官",
                "contact_phone": "13900001111",
            },
            headers=admin,
        )
    ).json()
    other = (
        await registry.http.post(
            f"/v1/schools/{school}/partners",
            json={"name": "社区卫生服务中心", "kind": "health_centre", "contact_person": "李医生"},
            headers=admin,
        )
    ).json()
    agreement = await registry.http.post(
        f"/v1/partners/{partner['partner_id']}/agreements",
        json={
            "title": "警校共建协议书",
            "starts_on": "2026-09-01",
            "ends_on": "2027-07-15",
            "commitments": ["法制讲座每学期一次", "上下学护学岗"],
            "signed_on": "2026-09-10",
        },
        headers=admin,
    )
    agreement_id = agreement.json()["agreement_id"]
    reviewed = await registry.http.patch(
        f"/v1/agreements/{agreement_id}", json={"year_end_review": "全年完成法制讲座 2 次"}, headers=admin
    )

    own = await registry.http.get(
        "/v1/agreements", headers=registry.auth(Role.partner, school, subject=partner["partner_id"])
    )
    not_own = await registry.http.get(
        f"/v1/agreements/{agreement_id}",
        headers=registry.auth(Role.partner, school, subject=other["partner_id"]),
    )
    other_school = await registry.http.get(
        f"/v1/agreements/{agreement_id}", headers=registry.auth(Role.school_admin, "sch-elsewhere")
    )

    assert agreement.json()["status"] == "active"
    assert reviewed.json()["version"] == 2
    assert [a["agreement_id"] for a in own.json()] == [agreement_id]
    assert not_own.status_code == other_school.status_code == 404

    def about(messages):
        return [
            m for m in messages if m.get("school_id") == school and m.get("event_type") != "school-changed"
        ]

    public = about(await read_topic(REGISTRY_V1, lambda ms: len(about(ms)) >= 4))
    assert [m["event_type"] for m in public] == [
        "partner-changed",
        "partner-changed",
        "agreement-changed",
        "agreement-changed",
    ]
    assert public[-1]["payload"]["reviewed"] is True
    assert public[-1]["payload"]["commitments_count"] == 2
    assert "王警官" not in str(public)
    assert "13900001111" not in str(public)
    assert "法制讲座" not in str(public)
