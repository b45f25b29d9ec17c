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


async def test_staff_teach_classes_of_their_own_school_only(registry):
    school, other = await registry.new_school(), await registry.new_school("丹阳小学")
    class_id, foreign_class = await registry.new_class(school), await registry.new_class(other)
    admin = registry.auth(Role.school_admin, school)

    hired = await registry.http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "张老师", "roles": ["head_teacher"], "class_ids": [class_id]},
        headers=admin,
    )
    foreign = await registry.http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "李老师", "roles": ["subject_teacher"], "class_ids": [foreign_class]},
        headers=admin,
    )
    changed = await registry.http.patch(
        f"/v1/staff/{hired.json()['staff_id']}",
        json={"roles": ["head_teacher", "subject_teacher"]},
        headers=admin,
    )
    by_teacher = await registry.http.get(
        f"/v1/schools/{school}/staff", headers=registry.auth(Role.teacher, school, [class_id])
    )

    assert hired.status_code == 201, hired.text
    assert foreign.status_code == 404  # another school's class, as when it is read
    assert changed.json()["version"] == 2
    assert by_teacher.status_code == 403  # a role that never reads the staff list


async def _guardians(registry, school: str, class_id: str, count: int) -> list[str]:
    admin = registry.auth(Role.school_admin, school)
    ids = []
    for n in range(count):
        student = await registry.http.post(
            f"/v1/classes/{class_id}/students",
            json={"name": f"学生{n}", "gender": "女", "student_number": f"C{class_id[-6:]}{n}"},
            headers=admin,
        )
        guardian = await registry.http.post(
            f"/v1/students/{student.json()['student_id']}/guardians",
            json={"name": f"家长{n}", "relationship": "母亲", "phone": f"1370000{n:04d}"},
            headers=admin,
        )
        ids.append(guardian.json()["guardian_id"])
    return ids


async def test_class_committee_has_5_to_7_parents_and_the_school_committee_one_per_class(registry):
    school = await registry.new_school()
    class_a, class_b = await registry.new_class(school), await registry.new_class(school, "三年级3班")
    admin = registry.auth(Role.school_admin, school)
    parents_a, parents_b = (
        await _guardians(registry, school, class_a, 6),
        await _guardians(registry, school, class_b, 5),
    )

    def body(level, class_id, ids):
        return {"level": level, "class_id": class_id, "members": [{"guardian_id": g} for g in ids]}

    too_small = await registry.http.post(
        f"/v1/schools/{school}/committees", json=body("class", class_a, parents_a[:4]), headers=admin
    )
    wrong_class = await registry.http.post(
        f"/v1/schools/{school}/committees",
        json=body("class", class_a, parents_a[:4] + parents_b[:1]),
        headers=admin,
    )
    for class_id, parents in ((class_a, parents_a), (class_b, parents_b)):
        formed = await registry.http.post(
            f"/v1/schools/{school}/committees", json=body("class", class_id, parents), headers=admin
        )
        assert formed.status_code == 201, formed.text
    two_from_one_class = await registry.http.post(
        f"/v1/schools/{school}/committees", json=body("school", None, parents_a[:2]), headers=admin
    )
    school_committee = await registry.http.post(
        f"/v1/schools/{school}/committees",
        json=body("school", None, [parents_a[0], parents_b[0]]),
        headers=admin,
    )

    assert too_small.status_code == 422
    assert too_small.json()["errors"][0]["field"] == "body.members"
    assert wrong_class.status_code == 422
    assert two_from_one_class.status_code == 422
    assert school_committee.status_code == 201, school_committee.text


async def test_bureau_sees_care_categories_as_counts(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)
    admin = registry.auth(Role.school_admin, school)
    for n, care in enumerate((["left_behind"], ["left_behind", "hardship"], [])):
        await registry.http.post(
            f"/v1/classes/{class_id}/students",
            json={"name": f"学生{n}", "gender": "男", "student_number": f"K{n}", "care_categories": care},
            headers=admin,
        )

    counts = await registry.http.get(f"/v1/schools/{school}/care-counts", headers=registry.bureau)
    for_teacher = await registry.http.get(
        f"/v1/schools/{school}/care-counts", headers=registry.auth(Role.teacher, school, [class_id])
    )

    assert counts.json()["left_behind"] == 2
    assert counts.json()["hardship"] == 1
    assert counts.json()["disability"] == 0
    assert for_teacher.status_code == 403  # a role that never reads care counts
