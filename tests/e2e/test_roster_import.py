"""Roster import on the real store: dry run, commit, re-import, bad rows, GBK CSV, XLSX."""

import io

import openpyxl
import pytest
from service_kit.auth import Role

pytestmark = pytest.mark.infra
HEADER = "姓名,性别,学号,班级,家长姓名,关系,联系电话,留守儿童,困难家庭"


def roster_csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


GOOD = roster_csv(
    "阿依古丽,女,R001,三年级2班,阿依古丽妈妈,母亲,13800000001,是,否",
    "李明,男,R002,三年级2班,李明爸爸,父亲,13800000002,否,是",
    "王芳,女,R003,三年级2班,,,,否,否",
)


async def post_roster(registry, school, body: bytes, content_type="text/csv; charset=utf-8", dry_run=False):
    return await registry.http.post(
        f"/v1/schools/{school}/roster?dry_run={str(dry_run).lower()}",
        content=body,
        headers=registry.auth(Role.school_admin, school) | {"content-type": content_type},
    )


async def students(registry, school, class_id):
    answer = await registry.http.get(
        f"/v1/classes/{class_id}/students", headers=registry.auth(Role.school_admin, school)
    )
    return answer.json()


@pytest.fixture
def registry(registry_api):
    return registry_api


async def test_dry_run_reports_and_changes_nothing(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)

    answer = await post_roster(registry, school, GOOD.encode(), dry_run=True)

    assert answer.status_code == 200, answer.text
    assert answer.json() | {"problems": []} == {
        "rows": 3,
        "bad_rows": 0,
        "problems": [],
        "students_created": 3,
        "students_updated": 0,
        "guardians_created": 2,
        "guardians_updated": 0,
        "applied": False,
    }
    assert await students(registry, school, class_id) == []


async def test_commit_applies_every_row_and_reimport_updates_instead_of_duplicating(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)

    first = await post_roster(registry, school, GOOD.encode())
    again = await post_roster(registry, school, GOOD.replace("否,是", "是,是").encode())

    assert first.json()["students_created"] == 3
    assert again.json()["students_created"] == 0
    assert again.json()["students_updated"] == 3
    assert again.json()["guardians_updated"] == 2
    listed = await students(registry, school, class_id)
    assert [s["student_number"] for s in listed] == ["R001", "R002", "R003"]
    assert listed[1]["care_categories"] == ["left_behind", "hardship"]
    guardians = await registry.http.get(
        f"/v1/students/{listed[0]['student_id']}/guardians", headers=registry.auth(Role.school_admin, school)
    )
    assert [g["phone"] for g in guardians.json()] == ["138****0001"]
    audit = await registry.http.get(
        f"/v1/schools/{school}/audit", headers=registry.auth(Role.school_admin, school)
    )
    assert [e["action"] for e in audit.json()].count("change:roster_imports") == 2


async def test_a_roster_half_of_whose_rows_are_bad_applies_nothing_and_lists_them_all(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)
    body = roster_csv(
        "阿依古丽,女,R001,三年级2班,妈妈,母亲,13800000001,是,否",
        "李明,男,R001,三年级2班,爸爸,父亲,13800000002,否,否",
        "王芳,女,R003,五年级9班,,,,否,否",
        "赵强,未知,R004,三年级2班,爷爷,祖父,1380000,否,否",
    )

    answer = await post_roster(registry, school, body.encode())

    assert answer.status_code == 422
    problems = [(e["field"], e["message"]) for e in answer.json()["errors"]]
    assert ("row 3: 学号", "与第 2 行重复 (duplicate student number)") in problems
    assert ("row 4: 班级", "本校没有班级「五年级9班」 (unknown class)") in problems
    assert {"row 5: 性别", "row 5: 联系电话"} <= {field for field, _ in problems}
    assert await students(registry, school, class_id) == []


async def test_gbk_csv_as_excel_saves_it_is_read(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)

    answer = await post_roster(registry, school, GOOD.encode("gbk"), content_type="text/csv")

    assert answer.status_code == 200, answer.text
    assert [s["name"] for s in await students(registry, school, class_id)] == ["阿依古丽", "李明", "王芳"]


async def test_xlsx_roster_is_read_and_a_file_that_is_not_a_spreadsheet_is_refused(registry):
    school = await registry.new_school()
    class_id = await registry.new_class(school)
    workbook = openpyxl.Workbook()
    for line in GOOD.strip().splitlines():
        workbook.active.append(line.split(","))
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    good = await post_roster(registry, school, xlsx.getvalue(), content_type=xlsx_type)
    not_a_sheet = await post_roster(registry, school, b"%PDF-1.7 not a spreadsheet", content_type=xlsx_type)
    wrong_type = await post_roster(registry, school, b"{}", content_type="application/json")

    assert good.status_code == 200, good.text
    assert len(await students(registry, school, class_id)) == 3
    assert not_a_sheet.status_code == 422
    assert "不是有效的 XLSX" in not_a_sheet.json()["detail"]
    assert wrong_type.status_code == 415
    assert wrong_type.headers["content-type"] == "application/problem+json"
