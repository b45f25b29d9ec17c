"""The teacher's phone pages (issue 15) in a browser, on the real platform: a head teacher (班主任)
and a subject teacher (科任教师) of one class with 三必访 students (tests/teacher_world.py) sign in
on the staff page and work from ``/teacher``."""

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bearer import bearer
from phone_pages import accessible, new_phone
from playwright.async_api import Page, expect
from service_kit.auth import Role
from teacher_world import TERM, Pupil, TeacherWorld, sign_in_as_staff, teacher_world

pytestmark = pytest.mark.infra


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
    """A class with its head teacher and subject teacher, both accounts active (tests/teacher_world.py)."""
    return await teacher_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def phone(chromium, platform) -> AsyncIterator[Page]:
    page = await new_phone(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def test_a_signed_out_teacher_opening_their_classes_signs_in_and_comes_back_to_them(world, phone):
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password, start="/teacher")

    await expect(phone).to_have_url(re.compile(r"/teacher$"))
    me = await phone.request.get("/auth/me")
    assert me.status == 200
    user = (await me.json())["user"]
    assert (user["subject"], user["role"], user["class_ids"]) == (
        world.head_teacher.staff_id,
        "teacher",
        [world.class_id],
    )


async def test_the_head_teacher_signing_in_on_the_staff_page_lands_on_their_classes(world, phone):
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)

    await expect(phone).to_have_url(re.compile(r"/teacher$"))


# The classes pages, the term plan and class meetings (helper F2) ---------------------------------

BEIJING = ZoneInfo("Asia/Shanghai")


def guardian_bearer(world: TeacherWorld, pupil: Pupil) -> dict[str, str]:
    return bearer(
        Role.guardian, world.district_id, pupil.guardian_id, world.school_id, None, [pupil.student_id]
    )


async def planned_visits(platform, world: TeacherWorld) -> list[dict[str, Any]]:
    answer = await platform.scheduling.get(
        f"/v1/classes/{world.class_id}/home-visits", params={"status": "planned"}, headers=world.admin()
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json())


@contextmanager
def reporting_reads_as_of(platform, day: date) -> Iterator[None]:
    """Reporting's school clock at ``day`` for the reads inside: a meeting is held on the real
    clock's day, later than the suite's pinned school day, and reports count what is held up to
    their school day (the same setting tests/e2e/test_reporting.py moves)."""
    settings = platform.reporting_app.state.settings
    pinned = settings.school_date
    settings.school_date = day
    try:
        yield
    finally:
        settings.school_date = pinned


async def pick(page: Page, field: str, options: list[str]) -> None:
    """Open a Vant picker by its field's button ("开始时间：14:30"), choose each column's option, tap
    确定. Vant's picker columns move by transform inside a clipped box, so an option out of view is
    chosen by its own click event (what a tap on it sends) rather than a pointer at coordinates
    outside the box."""
    await page.get_by_role("button", name=re.compile(f"^{field}：")).click()
    for option in options:
        await page.get_by_role("button", name=option, exact=True).dispatch_event("click")
    await page.get_by_role("button", name="确定").click()
    await expect(page.get_by_role("button", name="确定")).to_be_hidden()


async def test_the_head_teacher_sees_the_mandatory_students_still_unvisited_by_name(world, phone):
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password, start="/teacher")

    await expect(phone.get_by_role("heading", name="我的班级")).to_be_visible()
    await expect(phone.get_by_role("heading", name=world.class_name)).to_be_visible()
    unvisited = phone.get_by_role("list", name="三必访未访学生")
    await expect(unvisited.get_by_role("listitem")).to_have_count(len(world.mandatory))
    for pupil in world.mandatory:
        await expect(unvisited).to_contain_text(pupil.name)
    for pupil in world.pupils:
        if not pupil.mandatory:
            await expect(unvisited).not_to_contain_text(pupil.name)
    await expect(phone.get_by_text("三必访未访（3 人）")).to_be_visible()
    await expect(
        phone.get_by_role("navigation", name="主要导航").get_by_role("link", name="班级")
    ).to_have_attribute("aria-current", "page")
    await accessible(phone, "teacher-my-classes")

    await phone.get_by_role("link", name=f"进入{world.class_name}").click()
    first = world.mandatory[0]
    await phone.get_by_role("link", name=f"登记家访：{first.name}").click()
    await expect(phone).to_have_url(
        re.compile(rf"/teacher/visits/new\?class={world.class_id}&student={first.student_id}$")
    )


async def test_the_head_teacher_proposes_adjusts_and_confirms_the_term_plan_and_sees_it_in_the_calendar(
    platform, world, phone
):
    first, second = world.mandatory[0], world.mandatory[1]
    await sign_in_as_staff(
        phone,
        world.head_teacher.account,
        world.head_teacher.password,
        start=f"/teacher/classes/{world.class_id}/plan",
    )
    await phone.get_by_role("button", name="生成建议计划").click()

    plan = phone.get_by_role("list", name="计划家访名单")
    items = plan.get_by_role("listitem")
    await expect(items.first).to_be_visible()
    count = await items.count()
    assert count >= len(world.mandatory)
    for n in range(len(world.mandatory)):  # 三必访 first, each marked
        await expect(items.nth(n)).to_contain_text("三必访")
        await expect(items.nth(n)).to_contain_text(
            re.compile("|".join(re.escape(p.name) for p in world.mandatory))
        )
    for n in range(len(world.mandatory), count):
        await expect(items.nth(n)).not_to_contain_text("三必访")
    # adjust: the first 三必访 visit to another school day, by the head teacher; the second by the
    # subject teacher
    await phone.get_by_label(f"家访日期：{first.name}").fill("2026-11-25")
    await phone.get_by_label(f"家访教师：{first.name}").select_option(label=world.head_teacher.name)
    await phone.get_by_label(f"家访教师：{second.name}").select_option(label=world.subject_teacher.name)
    await accessible(phone, "teacher-term-plan")

    await phone.get_by_role("button", name="确认计划").click()

    await expect(phone.get_by_role("status").filter(has_text="计划已确认")).to_contain_text(
        f"{count} 次家访已加入日程"
    )
    visits = {v["student_id"]: v for v in await planned_visits(platform, world)}
    assert len(visits) == count
    assert (visits[first.student_id]["planned_on"], visits[first.student_id]["visiting_staff_ids"]) == (
        "2026-11-25",
        [world.head_teacher.staff_id],
    )
    assert visits[second.student_id]["visiting_staff_ids"] == [world.subject_teacher.staff_id]

    await phone.get_by_role("link", name="查看我的日程").click()
    await expect(phone.get_by_role("heading", name="我的日程")).to_be_visible()
    day = phone.get_by_role("region", name=re.compile("2026年11月25日"))
    await expect(day.get_by_text(f"家访 · {first.name}")).to_be_visible()
    await expect(phone.get_by_text(f"家访 · {second.name}")).to_have_count(0)  # the subject teacher's visit
    await accessible(phone, "teacher-calendar")

    # the same calendar in a phone's calendar app: the secret .ics address, read without a cookie
    await phone.get_by_role("button", name="订阅到手机日历").click()
    address = phone.get_by_label("订阅地址（请勿转发给他人）")
    await expect(address).to_have_value(re.compile(r"^https?://[^/]+/calendar/[^/]+\.ics$"))
    url = await address.input_value()
    await expect(phone.get_by_role("link", name="在日历应用中打开")).to_have_attribute(
        "href", "webcal://" + url.split("://", 1)[1]
    )
    feed = await platform.portal.get("/calendar/" + url.rsplit("/calendar/", 1)[1])
    assert feed.status_code == 200, feed.text
    assert "BEGIN:VCALENDAR" in feed.text
    assert f"家访 {first.student_id}" in feed.text
    assert f"家访 {second.student_id}" not in feed.text


async def test_a_subject_teacher_is_told_only_the_head_teacher_confirms_and_the_server_refuses_them(
    platform, world, phone
):
    await sign_in_as_staff(
        phone,
        world.subject_teacher.account,
        world.subject_teacher.password,
        start=f"/teacher/classes/{world.class_id}/plan",
    )
    await phone.get_by_role("button", name="生成建议计划").click()
    await expect(phone.get_by_role("list", name="计划家访名单").get_by_role("listitem").first).to_be_visible()
    confirm = phone.get_by_role("button", name="确认计划")
    await expect(confirm).to_have_accessible_description("只有本班班主任可以确认学期家访计划")

    await confirm.click()

    await expect(phone.get_by_role("alert")).to_have_text("只有本班班主任可以确认学期家访计划")
    await accessible(phone, "teacher-term-plan-refused")
    assert await planned_visits(platform, world) == []


async def test_a_class_meeting_from_the_phone_rsvps_attendance_and_its_rate_in_reporting(
    platform, world, phone, eventually
):
    await sign_in_as_staff(
        phone,
        world.head_teacher.account,
        world.head_teacher.password,
        start=f"/teacher/classes/{world.class_id}/meetings/new",
    )
    # a minute or two ahead of the real clock: meetings lie ahead of the real now, and attendance is
    # taken once it has started
    starts = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0) + timedelta(
        minutes=1
    )
    local = starts.astimezone(BEIJING)
    await phone.get_by_label("会议名称").fill("期中家长会")
    await phone.get_by_label("议程 1").fill("期中成绩分析")
    await pick(phone, "日期", [f"{local.year}年", f"{local.month:02d}月", f"{local.day:02d}日"])
    await pick(phone, "开始时间", [f"{local.hour:02d}时", f"{local.minute:02d}分"])
    await phone.get_by_label("地点").fill("三年级2班教室")
    await expect(phone.get_by_text("一键回复链接")).to_be_visible()
    await accessible(phone, "teacher-meeting-new")
    await phone.get_by_role("button", name="安排会议并通知家长").click()

    await expect(phone).to_have_url(re.compile(r"/teacher/meetings/m-[0-9a-f]+$"))
    meeting_id = phone.url.rsplit("/", 1)[1]
    held = await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=world.admin())
    assert datetime.fromisoformat(held.json()["starts_at"]) == starts, held.json()
    assert held.json()["invited_count"] == len(world.pupils)

    # two guardians answer (as their one-tap links would), the page shows it
    coming, declining = world.pupils[0], world.pupils[1]
    for pupil, answer in ((coming, "yes"), (declining, "no")):
        put = await platform.scheduling.put(
            f"/v1/meetings/{meeting_id}/rsvp", json={"answer": answer}, headers=guardian_bearer(world, pupil)
        )
        assert put.status_code == 200, put.text
    await phone.reload()
    await expect(phone.get_by_test_id("rsvp-counts")).to_have_text(
        "邀请 6 人：出席 1，不出席 1，待定 0，未回复 4"
    )
    roster = phone.get_by_role("list", name="受邀家长")
    await expect(
        roster.get_by_role("button", name=re.compile(re.escape(coming.guardian_name)))
    ).to_contain_text(re.compile(r"(?<!不)出席"))

    # attendance: tap two guardians; before the start the server refuses, and the page says why
    attended = [world.pupils[0], world.pupils[2]]
    for pupil in attended:
        guardian = roster.get_by_role(
            "button", name=re.compile(re.escape(f"{pupil.guardian_name}（{pupil.name}"))
        )
        await guardian.click()
        await expect(guardian).to_have_attribute("aria-pressed", "true")
    await phone.get_by_label("会议纪要").fill("通报期中成绩，家长交流辅导方法。")
    await phone.get_by_role("button", name="添加问题").click()
    await phone.get_by_label("问题 1").fill("周末作业量能否减少？")
    await phone.get_by_label("答复 1").fill("各科统筹，周末作业不超过 1 小时。")
    save = phone.get_by_role("button", name="保存签到和纪要")
    if datetime.now(UTC) < starts - timedelta(seconds=3):
        await save.click()
        await expect(phone.get_by_role("alert")).to_contain_text("会议尚未开始")

    async def started() -> bool:
        return datetime.now(UTC) >= starts

    await eventually(started, 180)
    await save.click()

    await expect(phone.get_by_test_id("attendance-rate")).to_contain_text("33%")
    await expect(phone.get_by_test_id("attendance-rate")).to_contain_text("实到 2 人 / 受邀 6 人")
    await accessible(phone, "teacher-meeting-attendance")
    record = (await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=world.admin())).json()
    assert (record["status"], record["attended_count"]) == ("held", 2)

    with reporting_reads_as_of(platform, local.date()):

        async def reported() -> bool:
            school = await platform.reporting.get(
                f"/v1/schools/{world.school_id}/report", params={"term": TERM}, headers=world.admin()
            )
            klass = await platform.reporting.get(
                f"/v1/classes/{world.class_id}/report",
                params={"term": TERM},
                headers=world.as_staff(world.head_teacher),
            )
            assert school.status_code == 200, school.text
            assert klass.status_code == 200, klass.text
            return (
                school.json()["activity"]["attendance_rate"] == round(2 / 6, 4)
                and klass.json()["parent_meetings"] == 1
            )

        await eventually(reported, 30)


async def test_a_student_outside_the_teachers_classes_is_not_offered(platform, registry_api, world, phone):
    admin = registry_api.auth(Role.school_admin, world.school_id)
    other = await registry_api.http.post(
        f"/v1/schools/{world.school_id}/classes", json={"grade": 3, "name": "三年级5班"}, headers=admin
    )
    assert other.status_code == 201, other.text
    other_id = other.json()["class_id"]
    outsider = await registry_api.http.post(
        f"/v1/classes/{other_id}/students",
        json={
            "name": "赵外班",
            "gender": "男",
            "student_number": "20269999",
            "care_categories": ["left_behind"],
        },
        headers=admin,
    )
    assert outsider.status_code == 201, outsider.text

    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password, start="/teacher")
    await expect(phone.get_by_role("heading", name=world.class_name)).to_be_visible()
    await expect(phone.get_by_role("list", name="三必访未访学生").get_by_role("listitem")).to_have_count(3)
    await expect(phone.get_by_role("heading", name="三年级5班")).to_have_count(0)
    await expect(phone.get_by_text("赵外班")).to_have_count(0)

    await phone.goto(f"/teacher/classes/{world.class_id}/plan")
    await phone.get_by_role("button", name="生成建议计划").click()
    planned = await phone.get_by_role("list", name="计划家访名单").get_by_role("listitem").count()
    choices = phone.get_by_label("添加学生")
    # "请选择" and the class's own students the plan left out, never another class's
    await expect(choices.locator("option")).to_have_count(1 + len(world.pupils) - planned)
    assert "赵外班" not in await choices.inner_text()

    await phone.goto(f"/teacher/classes/{other_id}")
    await expect(phone.get_by_role("alert").first).to_have_text("未找到")
    await expect(phone.get_by_text("赵外班")).to_have_count(0)
