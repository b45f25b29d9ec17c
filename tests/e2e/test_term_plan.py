"""The term visit plan on the real parts: the registry's term, policy and students reach
scheduling through Kafka; the plan covers the 三必访 students first and the policy's coverage."""

import random

import pytest
from service_kit.auth import Role

pytestmark = pytest.mark.infra


async def test_term_plan_covers_mandatory_students_first_and_is_confirmed_as_planned_visits(
    platform, registry_api, eventually
):
    start = random.randint(3000, 3900)  # a school year no other test uses
    year = f"{start}-{start + 1}"
    bureau = registry_api.bureau
    await registry_api.http.put(
        f"/v1/terms/{year}/autumn",
        json={"starts_on": f"{start}-09-01", "ends_on": f"{start + 1}-01-20"},
        headers=bureau,
    )
    await registry_api.http.put(
        f"/v1/policy/{year}", json={"targets": {"home_visit_coverage": 0.5}}, headers=bureau
    )
    school = await registry_api.new_school()
    admin = registry_api.auth(Role.school_admin, school)
    hired = await registry_api.http.post(
        f"/v1/schools/{school}/staff", json={"name": "王老师", "roles": ["head_teacher"]}, headers=admin
    )
    assert hired.status_code == 201, hired.text
    head_id = hired.json()["staff_id"]  # only the class's head teacher confirms its plan
    opened = await registry_api.http.post(
        f"/v1/schools/{school}/classes",
        json={"grade": 3, "name": "三年级2班", "head_teacher_id": head_id},
        headers=admin,
    )
    assert opened.status_code == 201, opened.text
    class_id = opened.json()["class_id"]
    # a subject teacher of the class: the plan's visitors are the class's teachers
    math = await registry_api.http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "李老师", "roles": ["subject_teacher"], "class_ids": [class_id]},
        headers=admin,
    )
    assert math.status_code == 201, math.text
    math_id = math.json()["staff_id"]
    care = [["left_behind"], [], ["hardship"], [], [], []]
    ids = []
    for n, categories in enumerate(care):
        answer = await registry_api.http.post(
            f"/v1/classes/{class_id}/students",
            json={
                "name": f"学生{n}",
                "gender": "女",
                "student_number": f"T{n}",
                "care_categories": categories,
            },
            headers=admin,
        )
        ids.append(answer.json()["student_id"])
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        return (
            len(await store.students_of_class(class_id)) == len(care)
            and await store.term("d-e2e", year, "autumn") is not None
            and await store.policy("d-e2e", year) is not None
            and (await store.class_(class_id) or {}).get("head_teacher_id") == head_id
            and await store.projected("staff", math_id) is not None
        )

    await eventually(projected, 30)
    head_teacher = registry_api.auth(Role.teacher, school, [class_id], subject=head_id)

    proposal = await platform.scheduling.post(
        f"/v1/classes/{class_id}/term-plan/proposal",
        json={"school_year": year, "term": "autumn", "teacher_ids": [head_id, math_id]},
        headers=head_teacher,
    )
    unknown_term = await platform.scheduling.post(
        f"/v1/classes/{class_id}/term-plan/proposal",
        json={"school_year": year, "term": "spring", "teacher_ids": [head_id]},
        headers=head_teacher,
    )

    assert proposal.status_code == 200, proposal.text
    plan = proposal.json()
    assert plan["coverage_target"] == 0.5
    assert len(plan["visits"]) == 3  # ceil(0.5 × 6)
    assert {v["student_id"] for v in plan["visits"][:2]} == {ids[0], ids[2]}
    assert [v["mandatory"] for v in plan["visits"]] == [True, True, False]
    assert unknown_term.status_code == 404

    confirmed = await platform.scheduling.post(
        f"/v1/classes/{class_id}/term-plan", json={"visits": plan["visits"]}, headers=head_teacher
    )

    assert confirmed.status_code == 201, confirmed.text
    assert [v["status"] for v in confirmed.json()] == ["planned"] * 3
    assert [v["visiting_staff_ids"] for v in confirmed.json()] == [[head_id], [math_id], [head_id]]


async def test_a_class_of_45_with_8_mandatory_students_imported_from_a_roster(
    platform, registry_api, eventually
):
    start = random.randint(5000, 5900)
    year = f"{start}-{start + 1}"
    await registry_api.http.put(
        f"/v1/terms/{year}/autumn",
        json={"starts_on": f"{start}-09-01", "ends_on": f"{start + 1}-01-20"},
        headers=registry_api.bureau,
    )
    school = await registry_api.new_school()
    class_id = await registry_api.new_class(school)
    rows = "".join(f"学生{n},男,P{n:03d},三年级2班,,,,{'是' if n < 8 else '否'},否\n" for n in range(45))
    imported = await registry_api.http.post(
        f"/v1/schools/{school}/roster?dry_run=false",
        content=("姓名,性别,学号,班级,家长姓名,关系,联系电话,留守儿童,困难家庭\n" + rows).encode(),
        headers=registry_api.auth(Role.school_admin, school) | {"content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        known = await store.students_of_class(class_id)
        return len(known) == 45 and await store.term("d-e2e", year, "autumn") is not None

    await eventually(projected, 30)
    mandatory = {s["_id"] for s in await store.students_of_class(class_id) if s["care_categories"]}
    empty_class = await registry_api.new_class(school, "三年级9班")

    async def class_known() -> bool:  # scheduling plans only for a class its projection knows
        return await store.class_(empty_class) is not None

    admin = registry_api.auth(Role.school_admin, school)
    staff = []
    for name in ("李老师", "张老师"):  # the class's subject teachers share its visits with the caller
        hired = await registry_api.http.post(
            f"/v1/schools/{school}/staff",
            json={"name": name, "roles": ["subject_teacher"], "class_ids": [class_id, empty_class]},
            headers=admin,
        )
        assert hired.status_code == 201, hired.text
        staff.append(hired.json()["staff_id"])

    async def staff_known() -> bool:
        return all([await store.projected("staff", s) is not None for s in staff])

    await eventually(class_known, 30)
    await eventually(staff_known, 30)
    teacher = registry_api.auth(Role.teacher, school, [class_id, empty_class], subject="stf-head")
    body = {"school_year": year, "term": "autumn", "teacher_ids": ["stf-head", *staff]}

    plan = (
        await platform.scheduling.post(
            f"/v1/classes/{class_id}/term-plan/proposal", json=body, headers=teacher
        )
    ).json()
    empty = await platform.scheduling.post(
        f"/v1/classes/{empty_class}/term-plan/proposal", json=body, headers=teacher
    )

    planned = {v["student_id"] for v in plan["visits"]}
    assert len(mandatory) == 8
    assert mandatory <= planned
    assert len(planned) >= 0.667 * 45
    assert empty.status_code == 200
    assert empty.json()["visits"] == []
    assert "no enrolled students" in empty.json()["reason"]
