"""The desks' records and accounts on the real parts (issue 16): saves made from a version someone
else has changed since are refused (the registry's If-Match, through the portal's gateway), the
district policy refuses weights that do not add up, and the bureau's officers get portal accounts
of their own."""

import pytest
from console_world import bureau_account, partner_account
from service_kit.auth import Role
from teacher_world import StaffAccount, activate, activation_token, signed_in, unique_phone

pytestmark = pytest.mark.infra

ADMIN_PASSWORD = "德育主任保存记录2026"
BUREAU_PASSWORD = "教育局科员2026秋季"


async def school_admin(platform, registry_api, eventually, mailbox, provider, school: str) -> StaffAccount:
    """A school admin of ``school`` whose account is activated with a known password."""
    phone = unique_phone()
    email = f"a{phone}@school.example.cn"
    hired = await registry_api.http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "赵敏", "roles": ["school_admin"], "phone": phone, "email": email},
        headers=registry_api.auth(Role.school_admin, school),
    )
    assert hired.status_code == 201, hired.text
    staff_id = str(hired.json()["staff_id"])
    admin = StaffAccount(staff_id, "赵敏", ("school_admin",), phone, email, ADMIN_PASSWORD)
    token = await activation_token(eventually, mailbox, provider, admin, platform)
    await activate(platform.portal, token, admin)
    return admin


async def test_the_later_of_two_saves_from_the_same_version_is_told_the_record_changed(
    platform, registry_api, eventually, mailbox, provider
):
    school = await registry_api.new_school()
    class_id = await registry_api.new_class(school)
    enrolled = await registry_api.http.post(
        f"/v1/classes/{class_id}/students",
        json={"name": "张小雨", "gender": "女", "student_number": "20260001"},
        headers=registry_api.auth(Role.school_admin, school),
    )
    assert enrolled.status_code == 201, enrolled.text
    student_id = enrolled.json()["student_id"]
    admin = await school_admin(platform, registry_api, eventually, mailbox, provider, school)
    # the same school's admin at two desks (or two admins): two sessions, each opening the record
    desk, other_desk = await signed_in(platform.portal, admin), await signed_in(platform.portal, admin)

    opened = await desk.send("GET", f"/api/registry/v1/students/{student_id}")
    assert opened.status_code == 200, opened.text
    assert opened.headers["etag"] == '"1"'  # the version, through the gateway
    also_opened = await other_desk.send("GET", f"/api/registry/v1/students/{student_id}")
    version = also_opened.headers["etag"]

    first = await desk.send(
        "PATCH",
        f"/api/registry/v1/students/{student_id}",
        json={"care_categories": ["left_behind"]},
        headers={"if-match": version},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    second = await other_desk.send(
        "PATCH",
        f"/api/registry/v1/students/{student_id}",
        json={"care_categories": ["hardship"]},
        headers={"if-match": version},
    )
    assert second.status_code == 409, second.text
    problem = second.json()
    assert problem["type"].endswith("/record-changed")
    assert "请刷新后再保存" in problem["detail"]
    kept = await desk.send("GET", f"/api/registry/v1/students/{student_id}")
    assert (kept.json()["care_categories"], kept.json()["version"]) == (["left_behind"], 2)

    # saved again from the version the refusal sent them back to read, the change applies
    again = await other_desk.send(
        "PATCH",
        f"/api/registry/v1/students/{student_id}",
        json={"care_categories": ["hardship"]},
        headers={"if-match": kept.headers["etag"]},
    )
    assert again.status_code == 200, again.text


async def test_the_policy_refuses_weights_that_do_not_add_up_and_rates_above_100_percent(registry_api):
    # a school year of its own: the district's policy is one record per year, shared by every test
    year = "2031-2032"
    policy = f"/v1/policy/{year}"
    opened = await registry_api.http.get(policy, headers=registry_api.bureau)
    assert opened.status_code == 200, opened.text
    assert opened.json()["defaults"]["home_visit_coverage"] == 0.667
    assert opened.headers["etag"] == f'"{opened.json()["version"]}"'
    weights = {k: v for k, v in opened.json()["targets"].items() if k.startswith("weight_")}

    short = weights | {"weight_guardian_contact": weights["weight_guardian_contact"] - 0.05}
    refused = await registry_api.http.put(policy, json={"targets": short}, headers=registry_api.bureau)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"field": "body.targets", "message": "权重合计须为 100%，当前为 95%"}]

    above = await registry_api.http.put(
        policy, json={"targets": {"home_visit_coverage": 1.2}}, headers=registry_api.bureau
    )
    assert above.status_code == 422, above.text
    assert [e["field"] for e in above.json()["errors"]] == ["body.targets.home_visit_coverage"]

    unchanged = await registry_api.http.get(policy, headers=registry_api.bureau)
    assert unchanged.json()["version"] == opened.json()["version"]

    saved = await registry_api.http.put(
        policy,
        json={"targets": {"home_visit_coverage": 0.7}},
        headers=registry_api.bureau | {"if-match": opened.headers["etag"]},
    )
    assert saved.status_code == 200, saved.text
    stale = await registry_api.http.put(
        policy,
        json={"targets": {"home_visit_coverage": 0.75}},
        headers=registry_api.bureau | {"if-match": opened.headers["etag"]},
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["type"].endswith("/record-changed")
    assert (await registry_api.http.get(policy, headers=registry_api.bureau)).json()["targets"][
        "home_visit_coverage"
    ] == 0.7


async def test_the_bureau_hires_an_officer_who_activates_signs_in_as_the_bureau_and_reads_counts_not_contacts(
    platform, registry_api, eventually, mailbox, provider
):
    school = await registry_api.new_school()
    class_id = await registry_api.new_class(school)
    admin = registry_api.auth(Role.school_admin, school)
    student = await registry_api.http.post(
        f"/v1/classes/{class_id}/students",
        json={"name": "李浩然", "gender": "男", "student_number": "20260002"},
        headers=admin,
    )
    assert student.status_code == 201, student.text
    student_id = student.json()["student_id"]
    guardian = await registry_api.http.post(
        f"/v1/students/{student_id}/guardians",
        json={"name": "李建国", "relationship": "父亲", "phone": unique_phone()},
        headers=admin,
    )
    assert guardian.status_code == 201, guardian.text

    phone = unique_phone()
    email = f"k{phone}@jyj.example.gov.cn"
    refused = await registry_api.http.post(
        "/v1/bureau-staff", json={"name": "马建华", "phone": phone, "email": email}, headers=admin
    )
    assert refused.status_code == 403  # a school admin hires no bureau officer
    hired = await registry_api.http.post(
        "/v1/bureau-staff",
        json={"name": "马建华", "phone": phone, "email": email},
        headers=registry_api.bureau,
    )
    assert hired.status_code == 201, hired.text
    officer = StaffAccount(
        str(hired.json()["staff_id"]), "马建华", ("bureau",), phone, email, BUREAU_PASSWORD
    )
    listed = await registry_api.http.get("/v1/bureau-staff", headers=registry_api.bureau)
    assert officer.staff_id in [o["staff_id"] for o in listed.json()]

    token = await activation_token(eventually, mailbox, provider, officer, platform)  # by mail
    assert any("/activate#" in (m.get_body(("plain",)).get_content()) for m in mailbox.to(email))
    activated = await activate(platform.portal, token, officer)
    assert (activated["role"], activated["school_id"]) == ("bureau", None)

    desk = await signed_in(platform.portal, officer)
    me = await desk.send("GET", "/auth/me")
    assert me.status_code == 200, me.text
    assert (me.json()["user"]["role"], me.json()["user"]["school_id"]) == ("bureau", None)
    overview = await desk.send("GET", "/api/reporting/v1/overview", params={"term": "2026-2027-autumn"})
    assert overview.status_code == 200, overview.text
    contact = await desk.send(
        "GET", f"/api/registry/v1/students/{student_id}/guardians/{guardian.json()['guardian_id']}/contact"
    )
    assert contact.status_code == 403, contact.text


async def test_the_desks_partner_and_bureau_accounts_sign_in_with_their_passwords(
    platform, registry_api, eventually, mailbox, provider
):
    school = await registry_api.new_school()
    partner = await partner_account(platform, registry_api, eventually, mailbox, provider, school)
    officer = await bureau_account(platform, registry_api, eventually, mailbox, provider)

    partner_desk = await signed_in(platform.portal, partner)
    assert (await partner_desk.send("GET", "/auth/me")).json()["user"]["role"] == "partner"
    agreements = await partner_desk.send("GET", "/api/registry/v1/agreements")
    assert [a["agreement_id"] for a in agreements.json()] == [partner.agreement_id]
    bureau_desk = await signed_in(platform.portal, officer)
    assert (await bureau_desk.send("GET", "/auth/me")).json()["user"]["role"] == "bureau"
