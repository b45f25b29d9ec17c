"""Registry on the real broker and store: schools, classes, students, the district policy; who
sees what; the events on the public and the internal topic."""

import uuid

import pytest
from contracts.topics import INTERNAL_REGISTRY_V1, REGISTRY_V1
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

pytestmark = pytest.mark.infra
DISTRICT = "d-e2e"


def auth(role: Role, school_id: str | None = None, classes: list[str] | None = None, **claims) -> dict:
    token = mint_token(
        ServiceSettings(),
        subject=claims.get("subject", f"{role.value}-1"),
        role=role,
        district_id=claims.get("district_id", DISTRICT),
        school_id=school_id,
        class_ids=classes,
        student_ids=claims.get("students"),
    )
    return {"authorization": f"Bearer {token}"}


BUREAU = auth(Role.bureau)


@pytest.fixture
def registry(platform):
    return platform.all_services["registry"]


async def new_school(registry, name: str = "叶城县第九小学") -> str:
    answer = await registry.post(
        "/v1/schools", json={"name": name, "level": "primary", "setting": "urban"}, headers=BUREAU
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["school_id"]


async def new_class(registry, school_id: str, name: str = "三年级2班") -> str:
    answer = await registry.post(
        f"/v1/schools/{school_id}/classes",
        json={"grade": 3, "name": name},
        headers=auth(Role.school_admin, school_id),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["class_id"]


async def enrol(registry, school_id: str, class_id: str, number: str = "20260481", **changes):
    body = {"name": "阿依古丽", "gender": "女", "student_number": number, "care_categories": ["left_behind"]}
    return await registry.post(
        f"/v1/classes/{class_id}/students", json=body | changes, headers=auth(Role.school_admin, school_id)
    )


async def test_school_class_and_student_round_trip_with_care_categories_for_the_class_only(registry):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    enrolled = await enrol(registry, school, class_id)
    assert enrolled.status_code == 201, enrolled.text
    student = enrolled.json()

    teacher = await registry.get(
        f"/v1/students/{student['student_id']}", headers=auth(Role.teacher, school, [class_id])
    )
    bureau = await registry.get(f"/v1/students/{student['student_id']}", headers=BUREAU)
    guardian = await registry.get(
        f"/v1/students/{student['student_id']}",
        headers=auth(Role.guardian, school, students=[student["student_id"]]),
    )
    classes = await registry.get(f"/v1/schools/{school}/classes", headers=auth(Role.school_admin, school))

    assert teacher.json()["care_categories"] == ["left_behind"]
    assert teacher.json()["history"][0]["class_id"] == class_id
    assert bureau.status_code == guardian.status_code == 200
    assert bureau.json()["care_categories"] is None
    assert guardian.json()["care_categories"] is None
    assert [(c["class_id"], c["enrolled_count"]) for c in classes.json()] == [(class_id, 1)]


async def test_records_outside_the_callers_scope_answer_404(registry):
    school, other = await new_school(registry), await new_school(registry, "良舍小学")
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]
    other_admin = auth(Role.school_admin, other)

    assert (await registry.get(f"/v1/students/{student_id}", headers=other_admin)).status_code == 404
    assert (
        await registry.get(f"/v1/students/{student_id}", headers=auth(Role.teacher, school, ["cls-x"]))
    ).status_code == 404
    assert (
        await registry.get(f"/v1/students/{student_id}", headers=auth(Role.guardian, school, students=["x"]))
    ).status_code == 404
    assert (
        await registry.get(f"/v1/students/{student_id}", headers=auth(Role.bureau, district_id="d-other"))
    ).status_code == 404
    # a class of another school: opening, listing and enrolling into it
    assert (
        await registry.post(
            f"/v1/schools/{school}/classes", json={"grade": 1, "name": "一年级1班"}, headers=other_admin
        )
    ).status_code == 404
    assert (await enrol(registry, other, class_id, "x1")).status_code == 404


async def test_duplicate_student_number_in_a_school_is_409_naming_it(registry):
    school = await new_school(registry)
    class_a, class_b = await new_class(registry, school), await new_class(registry, school, "三年级3班")
    assert (await enrol(registry, school, class_a, "20260001")).status_code == 201

    again = await enrol(registry, school, class_b, "20260001", name="李明", gender="男")

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "20260001" in again.json()["detail"]
    assert again.json()["errors"][0]["field"] == "body.student_number"
    listed = await registry.get(f"/v1/classes/{class_b}/students", headers=auth(Role.school_admin, school))
    assert listed.json() == []


async def test_malformed_student_is_422_naming_the_field(registry):
    school = await new_school(registry)
    class_id = await new_class(registry, school)

    answer = await enrol(registry, school, class_id, gender="unknown")

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.gender"]


async def test_transfer_keeps_history_and_moves_enrolment_counts(registry):
    school = await new_school(registry)
    from_class, to_class = await new_class(registry, school), await new_class(registry, school, "三年级3班")
    student_id = (await enrol(registry, school, from_class)).json()["student_id"]

    moved = await registry.post(
        f"/v1/students/{student_id}/transfer",
        json={"class_id": to_class, "on": "2026-11-23"},
        headers=auth(Role.school_admin, school),
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["class_id"] == to_class
    assert [(h["class_id"], h["from"], h.get("to")) for h in moved.json()["history"]][1:] == [
        (to_class, "2026-11-23", None)
    ]
    assert moved.json()["history"][0]["to"] == "2026-11-23"
    counts = await registry.get(f"/v1/schools/{school}/classes", headers=auth(Role.school_admin, school))
    assert {c["class_id"]: c["enrolled_count"] for c in counts.json()} == {from_class: 0, to_class: 1}


async def test_transfer_to_a_class_that_does_not_exist_is_404_and_nothing_changes(registry):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    student = (await enrol(registry, school, class_id)).json()

    answer = await registry.post(
        f"/v1/students/{student['student_id']}/transfer",
        json={"class_id": "cls-missing"},
        headers=auth(Role.school_admin, school),
    )

    assert answer.status_code == 404
    after = await registry.get(
        f"/v1/students/{student['student_id']}", headers=auth(Role.school_admin, school)
    )
    assert after.json() == student


async def test_policy_defaults_versions_and_only_the_bureau_edits(registry):
    year = f"{2030 + uuid.uuid4().int % 900}-{2031 + uuid.uuid4().int % 900}"
    year = f"{int(year[:4])}-{int(year[:4]) + 1}"

    defaults = await registry.get(f"/v1/policy/{year}", headers=auth(Role.school_admin, "sch-any"))
    refused = await registry.put(
        f"/v1/policy/{year}",
        json={"targets": {"home_visit_coverage": 0.5}},
        headers=auth(Role.school_admin, "sch-any"),
    )
    first = await registry.put(
        f"/v1/policy/{year}", json={"targets": {"home_visit_coverage": 0.8}}, headers=BUREAU
    )
    second = await registry.put(
        f"/v1/policy/{year}", json={"targets": {"open_days_per_term": 2}}, headers=BUREAU
    )
    unknown = await registry.put(f"/v1/policy/{year}", json={"targets": {"happiness": 1}}, headers=BUREAU)
    next_year = f"{int(year[:4]) + 1}-{int(year[:4]) + 2}"
    untouched = await registry.get(f"/v1/policy/{next_year}", headers=BUREAU)

    assert defaults.json()["version"] == 0
    assert defaults.json()["targets"]["home_visit_coverage"] == 0.667
    assert refused.status_code == 403
    assert first.json()["version"] == 1
    assert second.json()["version"] == 2
    assert second.json()["targets"]["home_visit_coverage"] == 0.8
    assert second.json()["targets"]["open_days_per_term"] == 2
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.targets.happiness"
    assert untouched.json()["version"] == 0


async def test_changes_reach_the_public_and_the_internal_topic(registry, read_topic):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]

    def about_school(messages):
        return [m for m in messages if m.get("school_id") == school]

    public = about_school(await read_topic(REGISTRY_V1, lambda ms: len(about_school(ms)) >= 3))
    internal = about_school(await read_topic(INTERNAL_REGISTRY_V1, lambda ms: len(about_school(ms)) >= 1))

    assert [m["event_type"] for m in public] == ["school-changed", "class-changed", "class-changed"]
    assert public[0]["payload"]["name"] == "叶城县第九小学"
    assert [m["payload"]["enrolled_count"] for m in public[1:]] == [0, 1]
    assert "care_categories" not in str(public)
    assert "阿依古丽" not in str(public)
    [student_changed] = internal
    assert student_changed["payload"] == {
        "student_id": student_id,
        "class_id": class_id,
        "status": "enrolled",
        "care_categories": ["left_behind"],
        "name": "阿依古丽",  # internal only: for the student's own teachers' reports
        "version": 1,
    }


async def add_guardian(registry, school: str, student_id: str, **changes):
    body = {
        "name": "阿依古丽妈妈",
        "relationship": "母亲",
        "phone": "13812341234",
        "preferred_channel": "sms",
    }
    return await registry.post(
        f"/v1/students/{student_id}/guardians", json=body | changes, headers=auth(Role.school_admin, school)
    )


async def test_guardian_phone_is_masked_in_lists_full_only_for_contacting_roles_and_each_read_audited(
    registry,
):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]
    guardian = (await add_guardian(registry, school, student_id)).json()
    teacher = auth(Role.teacher, school, [class_id], subject="stf-0012")

    listed = await registry.get(f"/v1/students/{student_id}/guardians", headers=teacher)
    for_bureau = await registry.get(f"/v1/students/{student_id}/guardians", headers=BUREAU)
    contact_path = f"/v1/students/{student_id}/guardians/{guardian['guardian_id']}/contact"
    full = await registry.get(contact_path, headers=teacher)
    bureau_full = await registry.get(contact_path, headers=BUREAU)
    audit = await registry.get(f"/v1/schools/{school}/audit", headers=auth(Role.school_admin, school))
    teacher_audit = await registry.get(f"/v1/schools/{school}/audit", headers=teacher)

    assert [g["phone"] for g in listed.json()] == ["138****1234"]
    assert [g["phone"] for g in for_bureau.json()] == [None]
    assert full.json()["phone"] == "13812341234"
    assert bureau_full.status_code == 403  # a role that never reads full contacts
    actions = [(e["action"], e["who"]) for e in audit.json()]
    assert actions[0] == ("read:guardian-contact", "stf-0012")
    assert ("change:guardians", "school_admin-1") in actions
    assert ("change:students", "school_admin-1") in actions
    assert teacher_audit.status_code == 403  # a role that never reads the audit log


async def test_malformed_phone_is_422_naming_the_field_and_nothing_is_stored(registry):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]

    answer = await add_guardian(registry, school, student_id, phone="1381234")

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.phone"]
    listed = await registry.get(
        f"/v1/students/{student_id}/guardians", headers=auth(Role.school_admin, school)
    )
    assert listed.json() == []


async def test_guardian_contacts_travel_only_on_the_internal_topic(registry, read_topic):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]
    guardian_id = (await add_guardian(registry, school, student_id)).json()["guardian_id"]

    def guardian_events(messages):
        return [
            m for m in messages if m.get("event_type") == "guardian-changed" and m.get("school_id") == school
        ]

    [event] = guardian_events(
        await read_topic(INTERNAL_REGISTRY_V1, lambda ms: len(guardian_events(ms)) >= 1)
    )
    public = [
        m for m in await read_topic(REGISTRY_V1, lambda ms: any(m.get("school_id") == school for m in ms))
    ]

    assert event["payload"]["guardian_id"] == guardian_id
    assert event["payload"]["contacts"]["phone"] == "13812341234"
    assert event["payload"]["student_ids"] == [student_id]
    assert "13812341234" not in str(public)


async def test_a_guardian_of_two_children_and_a_changed_preference_reach_the_internal_topic(
    registry, read_topic
):
    school = await new_school(registry)
    class_id = await new_class(registry, school)
    first = (await enrol(registry, school, class_id, "G001")).json()["student_id"]
    second = (await enrol(registry, school, class_id, "G002", name="阿依古丽弟弟", gender="男")).json()[
        "student_id"
    ]
    guardian_id = (await add_guardian(registry, school, first)).json()["guardian_id"]
    admin = auth(Role.school_admin, school)

    linked = await registry.post(f"/v1/guardians/{guardian_id}/students/{second}", headers=admin)
    twice = await registry.post(f"/v1/guardians/{guardian_id}/students/{second}", headers=admin)
    changed = await registry.patch(
        f"/v1/guardians/{guardian_id}",
        json={"preferred_channel": "wechat", "consent_non_essential": False},
        headers=admin,
    )
    bad_phone = await registry.patch(f"/v1/guardians/{guardian_id}", json={"phone": "12345"}, headers=admin)
    of_second = await registry.get(f"/v1/students/{second}/guardians", headers=admin)

    assert linked.status_code == 204
    assert twice.status_code == 409
    assert changed.status_code == 200
    assert bad_phone.status_code == 422
    assert bad_phone.json()["errors"][0]["field"] == "body.phone"
    assert [g["guardian_id"] for g in of_second.json()] == [guardian_id]

    def versions(messages):
        return [
            m["payload"]
            for m in messages
            if m.get("event_type") == "guardian-changed" and m["payload"]["guardian_id"] == guardian_id
        ]

    latest = versions(await read_topic(INTERNAL_REGISTRY_V1, lambda ms: len(versions(ms)) >= 3))[-1]
    assert latest["version"] == 3
    assert latest["student_ids"] == [first, second]
    assert latest["preferred_channel"] == "wechat"
    assert latest["consent_non_essential"] is False


async def test_school_round_trip_and_a_student_leaving_moves_the_class_count(registry, read_topic):
    school = await new_school(registry)
    changed = await registry.patch(
        f"/v1/schools/{school}", json={"address": "叶城县文化路 9 号", "status": "active"}, headers=BUREAU
    )
    by_admin = await registry.patch(
        f"/v1/schools/{school}", json={"address": "x"}, headers=auth(Role.school_admin, school)
    )
    read = await registry.get(f"/v1/schools/{school}", headers=auth(Role.school_admin, school))
    listed = await registry.get("/v1/schools", headers=auth(Role.school_admin, school))
    class_id = await new_class(registry, school)
    student_id = (await enrol(registry, school, class_id)).json()["student_id"]

    left = await registry.patch(
        f"/v1/students/{student_id}", json={"status": "left"}, headers=auth(Role.school_admin, school)
    )
    classes = await registry.get(f"/v1/schools/{school}/classes", headers=auth(Role.school_admin, school))

    assert changed.json()["version"] == 2
    assert by_admin.status_code == 403
    assert read.json()["address"] == "叶城县文化路 9 号"
    assert [s["school_id"] for s in listed.json()] == [school]
    assert left.json()["status"] == "left"
    assert [c["enrolled_count"] for c in classes.json()] == [0]

    def class_counts(messages):
        return [
            m["payload"]["enrolled_count"]
            for m in messages
            if m.get("event_type") == "class-changed" and m["payload"]["class_id"] == class_id
        ]

    assert class_counts(await read_topic(REGISTRY_V1, lambda ms: len(class_counts(ms)) >= 3)) == [0, 1, 0]
