"""The school's registry at the desk (issue 16), in a browser on the real platform: a school admin
imports a class roster (dry run, each bad row and column marked, fixed, committed), reads a
guardian's full contact (audited), and saves a student that someone else saved meanwhile; another
school's student is "未找到"."""

import io
import json
import re
from collections.abc import AsyncIterator

import openpyxl
import pytest
from console_world import ConsoleWorld, accessible_desk, console_world, new_desk
from playwright.async_api import Page, expect
from service_kit.auth import Role
from teacher_world import sign_in_as_staff

pytestmark = pytest.mark.infra

HEADER = ["姓名", "性别", "学号", "班级", "家长姓名", "关系", "联系电话", "留守儿童", "困难家庭"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
    return await console_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


@pytest.fixture
async def second_desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def choose_file(page: Page, name: str, mime: str, content: bytes) -> None:
    await page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}]
    )
    await expect(page.get_by_text(name)).to_be_visible()


async def class_students(registry_api, world: ConsoleWorld) -> list[dict]:
    answer = await registry_api.http.get(
        f"/v1/classes/{world.class_id}/students",
        headers=registry_api.auth(Role.school_admin, world.school_id),
    )
    assert answer.status_code == 200, answer.text
    students: list[dict] = answer.json()
    return students


def bad_cell(page: Page, row: int, column: str):
    return page.locator(f'tr[data-row="{row}"] td.bad[data-column="{column}"]')


async def test_a_school_admin_imports_a_roster_with_two_bad_rows_fixes_them_commits_and_sees_the_students(
    world, desk, registry_api
):
    klass = world.teacher.class_name
    rows = [
        ["欧阳娜娜", "女", "R2026-01", klass, "欧阳建国", "父亲", "13812340001", "是", "否"],
        ["周子轩", "M", "R2026-02", klass, "周建华", "父亲", "13812340002", "否", "否"],  # 性别
        ["吴雨桐", "女", "R2026-03", klass, "", "", "", "否", "是"],
        ["郑浩", "男", "R2026-04", klass, "郑丽", "母亲", "1381234", "否", "否"],  # 联系电话
    ]
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await expect(desk.locator("[data-school-name]")).to_have_text(world.school_name)
    await expect(desk.locator("header")).to_contain_text(world.school_admin.name)
    await desk.get_by_role("navigation", name="功能菜单").get_by_role("menuitem", name="名册导入").click()
    await expect(desk.get_by_role("heading", name="名册导入", level=1)).to_be_visible()

    # Excel in China saves CSV as GBK
    await choose_file(desk, f"{klass}.csv", "text/csv", csv_bytes(rows, "gbk"))
    await desk.get_by_role("button", name="检查").click()
    await expect(desk.get_by_text("共 4 行，其中 2 行有误（2 行无误）")).to_be_visible()
    await expect(desk.locator("tr[data-row]")).to_have_count(2)
    await expect(desk.get_by_role("rowheader", name="第 3 行")).to_be_visible()
    await expect(bad_cell(desk, 3, "性别")).to_contain_text("M")
    await expect(bad_cell(desk, 3, "性别")).to_contain_text("有误：应为 男 或 女")
    await expect(bad_cell(desk, 5, "联系电话")).to_contain_text("有误：应为 11 位手机号")
    await expect(desk.locator('tr[data-row="3"] td.bad')).to_have_count(1)
    await expect(desk.locator('tr[data-row="5"] td.bad')).to_have_count(1)
    await expect(desk.get_by_role("button", name="导入")).to_be_disabled()
    await accessible_desk(desk, "console-roster-dry-run")
    assert len(await class_students(registry_api, world)) == 6  # a dry run changes nothing

    rows[1][1] = "男"
    rows[3][6] = "13812340004"
    await choose_file(desk, f"{klass}（改）.csv", "text/csv", csv_bytes(rows))
    await desk.get_by_role("button", name="检查").click()
    await expect(desk.get_by_text("全部 4 行检查通过，可以导入。")).to_be_visible()
    await expect(desk.locator("tr[data-row]")).to_have_count(0)
    await desk.get_by_role("button", name="导入").click()
    await expect(
        desk.get_by_text("已导入 4 行：新增学生 4 名，更新学生 0 名；新增家长 3 名，更新家长 0 名。")
    ).to_be_visible()
    audit = desk.get_by_role("region", name="审计日志")
    await expect(audit.get_by_role("row").filter(has_text="导入花名册").first).to_contain_text(
        world.school_admin.name
    )
    await accessible_desk(desk, "console-roster-committed")

    await desk.get_by_role("link", name="到学生名单查看").click()
    await expect(desk.get_by_role("tab", name="学生", selected=True)).to_be_visible()
    for name in ("欧阳娜娜", "周子轩", "吴雨桐", "郑浩"):
        await expect(desk.get_by_role("link", name=name, exact=True)).to_be_visible()
    # care categories in Chinese, shown to the school admin
    nana = desk.get_by_role("row").filter(has=desk.get_by_role("link", name="欧阳娜娜"))
    await expect(nana).to_contain_text("留守儿童")
    await accessible_desk(desk, "console-registry-students")
    assert len(await class_students(registry_api, world)) == 10
    # the desks' smaller screens: 1024 wide, nothing scrolls sideways
    await desk.set_viewport_size({"width": 1024, "height": 768})
    await expect(desk.get_by_role("link", name="郑浩", exact=True)).to_be_visible()
    assert await desk.evaluate("document.documentElement.scrollWidth") <= 1024


async def test_a_class_roster_without_a_class_column_goes_into_the_class_chosen_on_the_page(
    world, desk, registry_api
):
    klass = world.teacher.class_name
    content = "\r\n".join(
        [
            "姓名,性别,学号,家长姓名,关系,联系电话",
            "黄诗琪,女,C-01,黄伟,父亲,13912340001",
            "林一凡,男,C-02,,,",
            "",
        ]
    )
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await desk.goto("/console/roster")
    await choose_file(desk, "名单.csv", "text/csv", content.encode())
    await desk.get_by_role("button", name="检查").click()
    await expect(desk.get_by_role("alert").filter(has_text="花名册缺少列: 班级")).to_be_visible()

    # an Element Plus select opens from a click on its box
    await (
        desk.get_by_label("导入到")
        .locator("xpath=ancestor::div[contains(@class, 'el-select__wrapper')][1]")
        .click()
    )
    await desk.get_by_role("option", name=klass).click()
    await expect(desk.get_by_text(f"都导入到 {klass}")).to_be_visible()
    await desk.get_by_role("button", name="检查").click()
    await expect(desk.get_by_text("全部 2 行检查通过，可以导入。")).to_be_visible()
    await desk.get_by_role("button", name="导入").click()
    await expect(desk.get_by_text("已导入 2 行：新增学生 2 名")).to_be_visible()
    names = {s["name"] for s in await class_students(registry_api, world)}
    assert {"黄诗琪", "林一凡"} <= names


async def test_a_roster_whose_every_row_is_bad_commits_nothing_and_lists_every_error(
    world, desk, registry_api
):
    rows = [
        ["", "女", "X-01", world.teacher.class_name, "", "", "", "否", "否"],  # 姓名
        ["钱多多", "女", "X-02", "九年级9班", "", "", "", "否", "否"],  # 班级
        [
            "孙悟",
            "男",
            "X 03",
            world.teacher.class_name,
            "孙父",
            "父亲",
            "",
            "也许",
            "否",
        ],  # 学号, 联系电话, 留守儿童
    ]
    content = xlsx_bytes(rows)
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await desk.goto("/console/roster")
    await choose_file(desk, "全校名册.xlsx", XLSX, content)
    await desk.get_by_role("button", name="检查").click()
    await expect(desk.get_by_text("共 3 行，其中 3 行有误（0 行无误）")).to_be_visible()

    checked = await registry_api.http.post(
        f"/v1/schools/{world.school_id}/roster?dry_run=true",
        content=content,
        headers=registry_api.auth(Role.school_admin, world.school_id) | {"content-type": XLSX},
    )
    problems = checked.json()["problems"]
    assert {(p["row"], p["column"]) for p in problems} >= {
        (2, "姓名"),
        (3, "班级"),
        (4, "学号"),
        (4, "联系电话"),
        (4, "留守儿童"),
    }
    for problem in problems:
        await expect(bad_cell(desk, problem["row"], problem["column"])).to_be_visible()
    await expect(desk.locator("td.bad")).to_have_count(len({(p["row"], p["column"]) for p in problems}))
    await expect(desk.get_by_role("button", name="导入")).to_be_disabled()
    await accessible_desk(desk, "console-roster-all-bad")

    # the same file sent for real (dry_run=false): the registry refuses it whole, naming every error,
    # and commits nothing: no student, no import in the audit log
    admin = registry_api.auth(Role.school_admin, world.school_id)
    before = await registry_api.http.get(f"/v1/schools/{world.school_id}/audit", headers=admin)
    committed = await registry_api.http.post(
        f"/v1/schools/{world.school_id}/roster?dry_run=false",
        content=content,
        headers=admin | {"content-type": XLSX},
    )
    assert committed.status_code == 422, committed.text
    refusal = committed.json()
    assert refusal["type"].endswith("roster-rejected")
    assert "未导入任何数据" in refusal["detail"]
    assert sorted((e["field"], e["message"]) for e in refusal["errors"]) == sorted(
        (f"row {p['row']}: {p['column']}", p["reason"]) for p in problems
    )
    assert len(await class_students(registry_api, world)) == 6
    after = await registry_api.http.get(f"/v1/schools/{world.school_id}/audit", headers=admin)
    assert [e for e in after.json() if e["action"] == "change:roster_imports"] == []
    assert len(after.json()) == len(before.json())


async def test_a_school_admin_opening_another_schools_student_by_its_address_is_told_not_found(
    world, desk, registry_api
):
    other_school = await registry_api.new_school("良舍小学")
    other_class = await registry_api.new_class(other_school, "三年级1班")
    enrolled = await registry_api.http.post(
        f"/v1/classes/{other_class}/students",
        json={"name": "马小跳", "gender": "男", "student_number": "L0001"},
        headers=registry_api.auth(Role.school_admin, other_school),
    )
    assert enrolled.status_code == 201, enrolled.text
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await desk.goto(f"/console/students/{enrolled.json()['student_id']}")
    await expect(desk.get_by_role("alert").filter(has_text="未找到")).to_be_visible()
    await expect(desk.get_by_text("马小跳")).to_have_count(0)
    await accessible_desk(desk, "console-student-not-found")


async def test_opening_a_guardians_full_contact_shows_it_and_the_audit_log_records_it(
    world, desk, registry_api
):
    pupil = world.teacher.pupils[0]
    masked = f"{pupil.guardian_phone[:3]}****{pupil.guardian_phone[-4:]}"
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await desk.goto("/console/registry?tab=students")
    await desk.get_by_role("link", name=pupil.name, exact=True).click()
    await expect(desk.get_by_role("heading", name=pupil.name, level=1)).to_be_visible()
    guardians = desk.get_by_role("region", name="家长/监护人")
    row = guardians.get_by_role("row").filter(has_text=pupil.guardian_name)
    await expect(row).to_contain_text(masked)
    await expect(row).not_to_contain_text(pupil.guardian_phone)
    await expect(row).to_contain_text("查看记录将写入审计日志")
    await accessible_desk(desk, "console-student")

    await row.get_by_role("button", name=f"查看完整联系方式（{pupil.guardian_name}）").click()
    await expect(row).to_contain_text(pupil.guardian_phone)

    trail = await registry_api.http.get(
        f"/v1/schools/{world.school_id}/audit", headers=registry_api.auth(Role.school_admin, world.school_id)
    )
    reads = [
        e
        for e in trail.json()
        if e["action"] == "read:guardian-contact" and e["record_id"] == pupil.guardian_id
    ]
    assert len(reads) == 1, trail.json()
    await desk.goto("/console/roster")
    audit = desk.get_by_role("region", name="审计日志")
    read = audit.get_by_role("row").filter(has_text="查看家长完整联系方式")
    await expect(read).to_have_count(1)
    # the guardian by name (the school's classes list them), not by id
    await expect(read).to_contain_text(pupil.guardian_name)
    await expect(read).not_to_contain_text(pupil.guardian_id)
    await expect(read).to_contain_text(world.school_admin.name)


async def test_two_concurrent_edits_of_the_same_student_the_later_is_told_the_record_changed(
    world, desk, second_desk, registry_api
):
    pupil = world.teacher.pupils[3]  # 李浩然, no care category
    for page in (desk, second_desk):
        await sign_in_as_staff(page, world.school_admin.account, world.school_admin.password)
        await page.goto(f"/console/students/{pupil.student_id}")
        await expect(page.get_by_label("姓名")).to_have_value(pupil.name)

    await desk.get_by_label("姓名").fill("李皓然")
    await desk.get_by_role("button", name="保存").click()
    await expect(desk.get_by_role("status").filter(has_text="已保存")).to_be_visible()

    await second_desk.locator("label").filter(has_text="单亲家庭").click()
    await expect(second_desk.get_by_role("checkbox", name="单亲家庭")).to_be_checked()
    await second_desk.get_by_role("button", name="保存").click()
    changed = second_desk.get_by_role("alert").filter(has_text="该记录已被他人修改，请刷新后再保存")
    await expect(changed).to_be_visible()
    await accessible_desk(second_desk, "console-student-changed")

    record = await registry_api.http.get(
        f"/v1/students/{pupil.student_id}", headers=registry_api.auth(Role.school_admin, world.school_id)
    )
    assert record.json()["name"] == "李皓然"  # the first save stands
    assert record.json()["care_categories"] == []  # the later one did not write over it

    await changed.get_by_role("button", name="刷新").click()
    await expect(second_desk.get_by_label("姓名")).to_have_value("李皓然")
    await expect(second_desk.get_by_role("heading", name="李皓然", level=1)).to_be_visible()


async def test_the_phones_service_worker_precaches_the_phone_pages_but_none_of_the_desks_code(platform):
    worker = (await platform.portal.get("/sw.js")).text
    found = re.search(r"^const PRECACHE = (\[.*\])$", worker, re.MULTILINE)
    assert found, "the build wrote the files to precache"
    precached = json.loads(found.group(1))
    assert "/index.html" in precached
    assert any(re.match(r"/assets/VisitLog-[\w-]+\.js$", f) for f in precached), precached
    desk = [
        f
        for f in precached
        if re.search(r"/(ConsoleLayout|RegistryPage|RosterImport|StudentDetail|EChart)-", f)
    ]
    assert desk == [], desk
    # the desks' files are still served, from the network, to a desk that opens them
    index = (await platform.portal.get("/")).text
    entry = re.search(r'src="(/assets/index-[\w-]+\.js)"', index)
    assert entry, index
    script = (await platform.portal.get(entry.group(1))).text
    layout = re.search(r"assets/(ConsoleLayout-[\w-]+\.js)", script)
    assert layout, "the entry loads the console's frame lazily"
    assert (await platform.portal.get(f"/assets/{layout.group(1)}")).status_code == 200
