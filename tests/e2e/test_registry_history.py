"""A student's enrolment history cannot run backwards (issue 17), on the real broker and store: a
transfer, within a school or between schools, dated before the current enrolment began is refused
with 422 naming ``body.on``, and the history stays as it was; a roster row that would move a student
before their current enrolment began is a bad row. Today on the school clock is ``SCHOOL_TODAY``."""

from datetime import timedelta

import pytest
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra
ENROLLED_ON = SCHOOL_TODAY  # enrolment starts the history on the school clock's today
AHEAD = SCHOOL_TODAY + timedelta(days=7)
BETWEEN = SCHOOL_TODAY + timedelta(days=3)


async def enrol(registry, school_id: str, class_id: str, number: str = "20260481") -> dict:
    answer = await registry.http.post(
        f"/v1/classes/{class_id}/students",
        json={"name": "阿依古丽", "gender": "女", "student_number": number, "care_categories": []},
        headers=registry.auth(Role.school_admin, school_id),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def transfer(registry, student_id: str, class_id: str, on, headers):
    body = {"class_id": class_id} | ({"on": on.isoformat()} if on is not None else {})
    return await registry.http.post(f"/v1/students/{student_id}/transfer", json=body, headers=headers)


async def read(registry, student_id: str) -> dict:
    answer = await registry.http.get(f"/v1/students/{student_id}", headers=registry.bureau)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def refused_on(answer, detail: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"].endswith("/transfer-before-enrolment")
    assert [e["field"] for e in problem["errors"]] == ["body.on"]
    assert detail in problem["detail"]


async def test_transfer_within_a_school_before_the_enrolment_or_the_last_transfer_is_refused(registry_api):
    school = await registry_api.new_school()
    first, second = await registry_api.new_class(school), await registry_api.new_class(school, "三年级3班")
    student_id = (await enrol(registry_api, school, first))["student_id"]
    admin = registry_api.auth(Role.school_admin, school)

    before_enrolment = await transfer(
        registry_api, student_id, second, ENROLLED_ON - timedelta(days=19), admin
    )
    refused_on(before_enrolment, f"不能早于当前班级的入学日期 {ENROLLED_ON}")
    moved = await transfer(registry_api, student_id, second, AHEAD, admin)
    assert moved.status_code == 200, moved.text
    after_first = await read(registry_api, student_id)

    back = await transfer(registry_api, student_id, first, BETWEEN, admin)
    undated = await transfer(registry_api, student_id, first, None, admin)  # today, before AHEAD

    refused_on(back, f"转班日期 {BETWEEN} 不能早于当前班级的入学日期 {AHEAD}")
    refused_on(undated, f"转班日期 {SCHOOL_TODAY} 不能早于当前班级的入学日期 {AHEAD}")
    assert await read(registry_api, student_id) == after_first
    assert [(h["class_id"], h["from"], h.get("to")) for h in after_first["history"]] == [
        (first, ENROLLED_ON.isoformat(), AHEAD.isoformat()),
        (second, AHEAD.isoformat(), None),
    ]
    counts = await registry_api.http.get(f"/v1/schools/{school}/classes", headers=admin)
    assert {c["class_id"]: c["enrolled_count"] for c in counts.json()} == {first: 0, second: 1}


async def test_transfer_between_schools_before_the_last_transfer_is_refused(registry_api):
    school, other = await registry_api.new_school(), await registry_api.new_school("良舍小学")
    first, second = await registry_api.new_class(school), await registry_api.new_class(school, "三年级3班")
    elsewhere = await registry_api.new_class(other)
    student_id = (await enrol(registry_api, school, first))["student_id"]
    moved = await transfer(
        registry_api, student_id, second, AHEAD, registry_api.auth(Role.school_admin, school)
    )
    assert moved.status_code == 200, moved.text
    after_first = await read(registry_api, student_id)

    back = await transfer(registry_api, student_id, elsewhere, BETWEEN, registry_api.bureau)
    after_refusal = await read(registry_api, student_id)
    on_the_day = await transfer(registry_api, student_id, elsewhere, AHEAD, registry_api.bureau)

    refused_on(back, f"转学日期 {BETWEEN} 不能早于当前班级的入学日期 {AHEAD}")
    assert after_refusal == after_first
    assert on_the_day.status_code == 200, on_the_day.text
    assert [
        (h["school_id"], h["class_id"], h["from"], h.get("to")) for h in on_the_day.json()["history"]
    ] == [
        (school, first, ENROLLED_ON.isoformat(), AHEAD.isoformat()),
        (school, second, AHEAD.isoformat(), AHEAD.isoformat()),
        (other, elsewhere, AHEAD.isoformat(), None),
    ]


async def test_a_roster_row_moving_a_student_before_their_enrolment_began_applies_nothing(registry_api):
    school = await registry_api.new_school()
    first, second = await registry_api.new_class(school), await registry_api.new_class(school, "三年级3班")
    student_id = (await enrol(registry_api, school, first, "R001"))["student_id"]
    admin = registry_api.auth(Role.school_admin, school)
    moved = await transfer(registry_api, student_id, second, AHEAD, admin)
    assert moved.status_code == 200, moved.text
    after_transfer = await read(registry_api, student_id)

    # the school's spreadsheet still lists the student in the class they leave on AHEAD
    roster = "姓名,性别,学号,班级\n阿依古丽,女,R001,三年级2班\n".encode()
    answer = await registry_api.http.post(
        f"/v1/schools/{school}/roster?dry_run=false",
        content=roster,
        headers=admin | {"content-type": "text/csv; charset=utf-8"},
    )

    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["message"].split(" (")[0]) for e in answer.json()["errors"]] == [
        ("row 2: 班级", f"转班日期 {SCHOOL_TODAY} 不能早于当前班级的入学日期 {AHEAD}")
    ]
    assert await read(registry_api, student_id) == after_transfer
