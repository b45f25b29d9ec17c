"""Co-building activities and pairing exchanges on the real parts: agreements and pairs reach
scheduling from the registry's topic; the partner confirms with its own token."""

import pytest
from contracts.topics import PAIRING_EXCHANGES_V1, PARTNER_ACTIVITIES_V1
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra


async def test_activity_under_an_active_agreement_confirmed_by_its_partner(
    platform, registry_api, read_topic, eventually
):
    school = await registry_api.new_school("松山街道中心小学")
    admin = registry_api.auth(Role.school_admin, school)
    partner = (
        await registry_api.http.post(
            f"/v1/schools/{school}/partners",
            json={"name": "文化路派出所", "kind": "police_station", "contact_person": "王警官"},
            headers=admin,
        )
    ).json()
    active = (
        await registry_api.http.post(
            f"/v1/partners/{partner['partner_id']}/agreements",
            json={
                "title": "警校共建协议书",
                "starts_on": "2026-09-01",
                "ends_on": "2027-07-15",
                "signed_on": "2026-09-10",
            },
            headers=admin,
        )
    ).json()
    draft = (
        await registry_api.http.post(
            f"/v1/partners/{partner['partner_id']}/agreements",
            json={"title": "草案", "starts_on": "2026-09-01", "ends_on": "2027-07-15"},
            headers=admin,
        )
    ).json()
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        return all([await store.projected("agreements", a["agreement_id"]) for a in (active, draft)])

    await eventually(projected, 30)
    body = {
        "agreement_id": active["agreement_id"],
        "kind": "legal_education",
        "title": "禁毒宣传「珍惜生命、远离毒品」",
        "held_on": SCHOOL_TODAY.replace(day=1).isoformat(),
        "students_count": 92,
        "teachers_count": 4,
        "participant_times": 96,
        "outcome_notes": "学生反响热烈",
    }

    recorded = await platform.scheduling.post("/v1/partner-activities", json=body, headers=admin)
    under_draft = await platform.scheduling.post(
        "/v1/partner-activities", json=body | {"agreement_id": draft["agreement_id"]}, headers=admin
    )
    activity_id = recorded.json()["activity_id"]
    partner_token = registry_api.auth(Role.partner, school, subject=partner["partner_id"])
    other_partner = registry_api.auth(Role.partner, school, subject="ptn-other")
    by_other = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=other_partner
    )
    confirmed = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=partner_token
    )
    twice = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=partner_token
    )

    assert recorded.status_code == 201, recorded.text
    assert under_draft.status_code == 422
    assert under_draft.json()["errors"][0]["field"] == "body.agreement_id"
    assert by_other.status_code == 404
    assert confirmed.json()["partner_confirmed"] is True
    assert twice.status_code == 409

    def about(messages):
        return [m["payload"] for m in messages if m.get("payload", {}).get("activity_id") == activity_id]

    events = about(await read_topic(PARTNER_ACTIVITIES_V1, lambda ms: len(about(ms)) >= 2))
    assert [(e["version"], e["partner_confirmed"]) for e in events] == [(1, False), (2, True)]
    assert events[0]["participant_times"] == 96
    assert "学生反响热烈" not in str(events)


async def test_pairing_exchange_is_recorded_by_a_school_of_the_pair(
    platform, registry_api, read_topic, eventually
):
    supporting, supported = await registry_api.new_school(), await registry_api.new_school("良舍小学")
    bystander = await registry_api.new_school("丹阳小学")
    pair = (
        await registry_api.http.post(
            "/v1/pairs",
            json={
                "supporting_school_id": supporting,
                "supported_school_ids": [supported],
                "starts_on": "2026-09-01",
            },
            headers=registry_api.bureau,
        )
    ).json()
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        return await store.projected("pairs", pair["pair_id"]) is not None

    await eventually(projected, 30)
    body = {
        "pair_id": pair["pair_id"],
        "kind": "demonstration_lesson",
        "held_on": "2026-10-20",
        "teachers_benefiting": 12,
        "students_benefiting": 45,
    }

    recorded = await platform.scheduling.post(
        "/v1/pairing-exchanges", json=body, headers=registry_api.auth(Role.school_admin, supported)
    )
    outsider = await platform.scheduling.post(
        "/v1/pairing-exchanges", json=body, headers=registry_api.auth(Role.school_admin, bystander)
    )

    assert recorded.status_code == 201, recorded.text
    assert outsider.status_code == 404

    def about(messages):
        return [m["payload"] for m in messages if m.get("payload", {}).get("pair_id") == pair["pair_id"]]

    [event] = about(await read_topic(PAIRING_EXCHANGES_V1, lambda ms: len(about(ms)) >= 1))
    assert (event["teachers_benefiting"], event["students_benefiting"]) == (12, 45)
    assert event["supported_school_ids"] == [supported]


async def _partner_with_agreement(platform, registry_api, eventually, school: str, name: str):
    """A partner of the school with an active agreement scheduling has projected."""
    admin = registry_api.auth(Role.school_admin, school)
    partner = (
        await registry_api.http.post(
            f"/v1/schools/{school}/partners",
            json={"name": name, "kind": "community_committee", "contact_person": "李主任"},
            headers=admin,
        )
    ).json()
    agreement = (
        await registry_api.http.post(
            f"/v1/partners/{partner['partner_id']}/agreements",
            json={
                "title": "社区共建协议书",
                "starts_on": "2026-09-01",
                "ends_on": "2027-07-15",
                "signed_on": "2026-09-10",
            },
            headers=admin,
        )
    ).json()
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        return await store.projected("agreements", agreement["agreement_id"]) is not None

    await eventually(projected, 30)
    return partner["partner_id"], agreement["agreement_id"]


async def test_a_partner_logs_an_activity_the_school_lists_and_confirms(
    platform, registry_api, read_topic, eventually
):
    school = await registry_api.new_school("依干其小学")
    admin = registry_api.auth(Role.school_admin, school)
    teacher = registry_api.auth(Role.teacher, school, subject="stf-any")
    mine, agreement = await _partner_with_agreement(
        platform, registry_api, eventually, school, "依干其街社区居委会"
    )
    _other, other_agreement = await _partner_with_agreement(
        platform, registry_api, eventually, school, "莘纪苑居委"
    )
    as_partner = registry_api.auth(Role.partner, school, subject=mine)
    body = {
        "kind": "volunteer_service",
        "title": "社区志愿服务",
        "place": "社区活动中心",
        "students_count": 30,
        "teachers_count": 2,
        "residents_count": 10,
        "participant_times": 42,
    }
    day = SCHOOL_TODAY.replace(day=1)

    logged = await platform.scheduling.post(
        "/v1/partner-activities",
        json=body | {"agreement_id": agreement, "held_on": day.isoformat()},
        headers=as_partner,
    )
    under_another = await platform.scheduling.post(
        "/v1/partner-activities",
        json=body | {"agreement_id": other_agreement, "held_on": day.isoformat()},
        headers=as_partner,
    )
    by_school = await platform.scheduling.post(
        "/v1/partner-activities",
        json=body | {"agreement_id": other_agreement, "held_on": SCHOOL_TODAY.isoformat()},
        headers=admin,
    )
    assert logged.status_code == 201, logged.text
    assert under_another.status_code == 404
    assert by_school.status_code == 201, by_school.text
    activity_id = logged.json()["activity_id"]

    listed = await platform.scheduling.get(f"/v1/schools/{school}/partner-activities", headers=admin)
    by_teacher = await platform.scheduling.get(f"/v1/schools/{school}/partner-activities", headers=teacher)
    own = await platform.scheduling.get("/v1/partner-activities?mine=true", headers=as_partner)
    without_mine = await platform.scheduling.get("/v1/partner-activities", headers=as_partner)
    by_admin_mine = await platform.scheduling.get("/v1/partner-activities?mine=true", headers=admin)
    elsewhere = await platform.scheduling.get(
        f"/v1/schools/{await registry_api.new_school('丹阳小学')}/partner-activities", headers=admin
    )

    rows = [
        (a["activity_id"], a["logged_by"], a["partner_confirmed"], a["school_confirmed"])
        for a in listed.json()
    ]
    assert rows == [  # newest first
        (by_school.json()["activity_id"], "school", False, True),
        (activity_id, "partner", True, False),
    ]
    assert by_teacher.json() == listed.json()
    assert [a["activity_id"] for a in own.json()] == [activity_id]
    assert without_mine.status_code == 422
    assert by_admin_mine.status_code == 403
    assert elsewhere.status_code == 404

    by_partner_again = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=as_partner
    )
    by_teacher_confirming = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=teacher
    )
    confirmed = await platform.scheduling.post(
        f"/v1/partner-activities/{activity_id}/confirmation", headers=admin
    )
    assert by_partner_again.status_code == 409
    assert by_teacher_confirming.status_code == 403
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["school_confirmed"], confirmed.json()["version"]) == (True, 2)
    again = await platform.scheduling.get("/v1/partner-activities?mine=true", headers=as_partner)
    assert again.json()[0]["school_confirmed"] is True

    def about(messages):
        return [m["payload"] for m in messages if m.get("payload", {}).get("activity_id") == activity_id]

    # announced once the school vouched for it, not when the partner logged it
    events = about(await read_topic(PARTNER_ACTIVITIES_V1, lambda ms: len(about(ms)) >= 1))
    assert [(e["version"], e["partner_confirmed"]) for e in events] == [(2, True)]
