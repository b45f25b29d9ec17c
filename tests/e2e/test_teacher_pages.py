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
from playwright.async_api import Page, Route, expect
from school_clock import SCHOOL_TODAY
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
    await expect(page.get_by_role("dialog")).to_be_hidden()


async def test_the_head_teacher_sees_the_mandatory_students_still_unvisited_by_name(
    platform, world, phone, eventually
):
    # a visit already made to a student who is not 三必访, with a follow-up due next Monday
    other = next(p for p in world.pupils if not p.mandatory)
    action = "联系班主任跟进作业完成情况"
    logged = await platform.scheduling.post(
        "/v1/home-visits",
        json={
            "student_id": other.student_id,
            "class_id": world.class_id,
            "visited_on": "2026-11-19",
            "mode": "in_person",
            "follow_ups": [
                {"action": action, "owner_id": world.head_teacher.staff_id, "due_on": "2026-11-23"}
            ],
        },
        headers=world.as_staff(world.head_teacher),
    )
    assert logged.status_code == 201, logged.text

    async def reported() -> bool:
        answer = await platform.reporting.get(
            f"/v1/classes/{world.class_id}/report", params={"term": TERM}, headers=world.admin()
        )
        return answer.status_code == 200 and answer.json()["visited"] == 1

    await eventually(reported, 30)
    report = await platform.reporting.get(
        f"/v1/classes/{world.class_id}/report", params={"term": TERM}, headers=world.admin()
    )
    status = next(m["status"] for m in report.json()["measures"] if m["key"] == "home_visit_coverage")

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
    coverage = phone.get_by_role("region", name="本学年家访覆盖率")
    await expect(coverage).to_contain_text("17%")  # 1 of 6, as reporting counts it
    await expect(coverage).to_contain_text("已家访 1 人 / 在籍 6 人")
    labels = {"met": "达标", "on_track": "进度正常", "at_risk": "有风险", "missed": "未达标"}
    await expect(coverage.get_by_test_id("coverage-status")).to_have_text(labels[status])  # reporting's
    # what the status is measured against: the target paced over the school year (67% × 81/142 ÷ 2)
    if status in ("on_track", "at_risk"):
        await expect(coverage.get_by_test_id("coverage-why")).to_contain_text("按学年进度现在应达 19%")
    # each 三必访 name leads to logging a visit of that student
    for pupil in world.mandatory:
        await expect(unvisited.get_by_role("link", name=f"登记家访：{pupil.name}")).to_have_attribute(
            "href", f"/teacher/visits/new?class={world.class_id}&student={pupil.student_id}"
        )
    # signing out is a small button at the foot of the page, not the page's main action
    await expect(phone.get_by_role("button", name="退出登录")).to_be_visible()
    await expect(phone.locator(".van-button").filter(has_text="退出登录")).to_have_count(0)
    await expect(phone.get_by_text("到期的跟进事项（1 项）")).to_be_visible()
    await expect(phone.get_by_text(action)).to_be_visible()
    tabs = phone.get_by_role("navigation", name="主要导航")
    await expect(tabs.get_by_role("link", name="班级")).to_have_attribute("aria-current", "page")
    await accessible(phone, "teacher-my-classes")

    await phone.get_by_role("link", name=f"进入{world.class_name}").click()
    await expect(phone.get_by_role("heading", name=world.class_name, level=1)).to_be_visible()
    await phone.get_by_role("button", name=f"完成：{action}").click()
    await expect(phone.get_by_role("status").filter(has_text="已完成")).to_be_visible()
    open_ones = await platform.scheduling.get(
        f"/v1/classes/{world.class_id}/follow-ups", headers=world.admin()
    )
    assert open_ones.json() == []
    await accessible(phone, "teacher-class")

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
    # the day as the page writes it, whatever the browser's own date format
    first_item = items.filter(has_text=first.name)
    await expect(first_item.get_by_test_id("plan-day")).to_have_text("11月25日（周三）")
    await expect(plan).not_to_contain_text("11/25/2026")
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
    assert f"UID:{visits[first.student_id]['visit_id']}@" in feed.text
    assert f"UID:{visits[second.student_id]['visit_id']}@" not in feed.text
    assert first.student_id not in feed.text  # a calendar app is told the class and mode, never who

    # back later: the page says the calendar is subscribed (the address itself cannot be shown
    # again), and a new address is made only once the teacher agrees the old one stops working
    await phone.reload()
    await expect(phone.get_by_test_id("feed-state")).to_contain_text("已订阅（创建于")
    await expect(phone.get_by_text("只在生成时显示一次")).to_be_visible()
    await expect(phone.get_by_role("button", name="订阅到手机日历")).to_have_count(0)
    await phone.get_by_role("button", name="重新生成地址").click()
    dialog = phone.get_by_role("dialog")
    await expect(dialog).to_contain_text("原来的订阅地址会立即失效")
    await dialog.get_by_role("button", name="保留原地址").click()
    await expect(dialog).to_be_hidden()
    assert (await platform.portal.get("/calendar/" + url.rsplit("/calendar/", 1)[1])).status_code == 200
    await phone.get_by_role("button", name="重新生成地址").click()
    await phone.get_by_role("dialog").get_by_role("button", name="重新生成地址").click()
    await expect(address).not_to_have_value(url)
    await expect(address).to_have_value(re.compile(r"/calendar/[^/]+\.ics$"))
    assert (await platform.portal.get("/calendar/" + url.rsplit("/calendar/", 1)[1])).status_code == 404


async def test_a_student_planned_meanwhile_is_refused_and_shown_against_that_student_in_the_plan(
    platform, world, phone
):
    first = world.mandatory[0]
    await sign_in_as_staff(
        phone,
        world.head_teacher.account,
        world.head_teacher.password,
        start=f"/teacher/classes/{world.class_id}/plan",
    )
    await phone.get_by_role("button", name="生成建议计划").click()
    items = phone.get_by_role("list", name="计划家访名单").get_by_role("listitem")
    await expect(items.filter(has_text=first.name)).to_have_count(1)
    count = await items.count()
    # meanwhile (another phone) the student is planned for this term
    meanwhile = await platform.scheduling.post(
        f"/v1/classes/{world.class_id}/term-plan",
        json={
            "visits": [
                {
                    "student_id": first.student_id,
                    "planned_on": "2026-11-25",
                    "visiting_staff_ids": [world.head_teacher.staff_id],
                    "mode": "in_person",
                    "mandatory": True,
                }
            ]
        },
        headers=world.as_staff(world.head_teacher),
    )
    assert meanwhile.status_code in (200, 201), meanwhile.text

    await phone.get_by_role("button", name="确认计划").click()

    refused = items.filter(has_text=first.name).get_by_test_id("visit-refused")
    await expect(refused).to_have_text("该学生本学期已有计划家访")
    await expect(phone.get_by_test_id("visit-refused")).to_have_count(1)  # that student only
    await expect(phone.get_by_role("alert")).to_contain_text("有 1 名学生的家访未能加入计划")
    assert len(await planned_visits(platform, world)) == 1  # nothing else was planned
    assert count > 1


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
    # told once, before pressing, who confirms
    notice = f"学期计划需由班主任{world.head_teacher.name}确认"
    await expect(confirm).to_have_accessible_description(notice)
    await expect(phone.get_by_text(notice)).to_have_count(1)
    await expect(phone.get_by_text("只有本班班主任可以确认学期家访计划")).to_have_count(0)

    await confirm.click()

    # the server's refusal, said once: it takes the notice's place
    await expect(phone.get_by_role("alert")).to_have_text("只有本班班主任可以确认学期家访计划")
    await expect(phone.get_by_text("只有本班班主任可以确认学期家访计划")).to_have_count(1)
    await expect(phone.get_by_text(notice)).to_have_count(0)
    await expect(confirm).to_have_accessible_description("只有本班班主任可以确认学期家访计划")
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
    soon = datetime.now(UTC) + timedelta(seconds=90)
    starts = soon.replace(second=0, microsecond=0) + timedelta(minutes=1)
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

    await accessible(phone, "teacher-meeting-rsvps")

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
    assert datetime.now(UTC) < starts - timedelta(seconds=5), "too slow to try before the start"
    await save.click()
    await expect(phone.get_by_role("alert")).to_contain_text("会议尚未开始")

    async def started() -> bool:
        return datetime.now(UTC) >= starts

    await eventually(started, 180)
    await save.click()

    await expect(phone.get_by_test_id("attendance-rate")).to_contain_text("33%")
    # a third of the guardians is not good news: the rate is in the text's colour, not success green
    figure = phone.get_by_test_id("attendance-rate").locator("strong")
    await expect(figure).to_have_css("color", "rgb(31, 35, 41)")
    await expect(phone.get_by_test_id("attendance-rate")).to_contain_text("实到 2 人 / 受邀 6 人")
    for pupil in attended:
        came = roster.get_by_role("listitem").filter(has_text=f"{pupil.guardian_name}（{pupil.name}")
        await expect(came).to_contain_text("已到")
    await expect(roster.get_by_text("已到")).to_have_count(len(attended))
    await accessible(phone, "teacher-meeting-attendance")
    await expect(phone.get_by_text("周末作业量能否减少？")).to_be_visible()
    record = (await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=world.admin())).json()
    assert (record["status"], record["attended_count"]) == ("held", 2)
    stored = await platform.scheduling_app.state.store.meeting(meeting_id)
    assert set(stored["attended_guardian_ids"]) == {p.guardian_id for p in attended}
    assert stored["minutes"] == "通报期中成绩，家长交流辅导方法。"
    assert stored["questions"] == [
        {"question": "周末作业量能否减少？", "answer": "各科统筹，周末作业不超过 1 小时。"}
    ]

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
                and klass.json()["attendance_rate"] == round(2 / 6, 4)
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
    proposed = phone.get_by_role("list", name="计划家访名单").get_by_role("listitem")
    await expect(proposed.first).to_be_visible()
    planned = await proposed.count()
    choices = phone.get_by_label("添加学生")
    # "请选择" and the class's own students the plan left out, never another class's
    await expect(choices.locator("option")).to_have_count(1 + len(world.pupils) - planned)
    assert "赵外班" not in await choices.inner_text()

    await phone.goto(f"/teacher/classes/{other_id}")
    await expect(phone.get_by_role("alert").first).to_have_text("未找到")
    await expect(phone.get_by_text("赵外班")).to_have_count(0)


async def test_signing_out_with_visits_waiting_on_the_phone_asks_first(world, phone):
    """A visit logged offline waits for this teacher: signing out says it will be sent only once
    they sign in again, and signs out only when they say so."""
    pupil = world.pupils[5]
    await log_visit_offline(phone, world, pupil)
    await phone.goto("/teacher")  # no network: the service worker serves the app
    await expect(phone.get_by_role("heading", name="我的班级")).to_be_visible()

    await phone.get_by_role("button", name="退出登录").click()
    dialog = phone.get_by_role("dialog")
    await expect(dialog).to_contain_text("手机上还有 1 条家访等待同步")
    await expect(dialog).to_contain_text("等您再次登录后才会发送")
    await dialog.get_by_role("button", name="暂不退出").click()
    await expect(dialog).to_be_hidden()
    await expect(phone).to_have_url(re.compile(r"/teacher$"))

    await phone.get_by_role("button", name="退出登录").click()
    await phone.get_by_role("dialog").get_by_role("button", name="仍然退出").click()
    await expect(phone).to_have_url(re.compile(r"/staff/sign-in"))


# The visit forms and the offline queue (helper F1) -----------------------------------------------

VISITS = "/api/scheduling/v1/home-visits"


async def done_visits(platform, world: TeacherWorld, student_id: str | None = None) -> list[dict[str, Any]]:
    """The class's visits done this term, as scheduling has them (of one student, if named)."""
    answer = await platform.scheduling.get(
        f"/v1/classes/{world.class_id}/home-visits", params={"status": "done"}, headers=world.admin()
    )
    assert answer.status_code == 200, answer.text
    return [v for v in answer.json() if student_id is None or v["student_id"] == student_id]


async def visits_in_report(platform, world: TeacherWorld) -> int:
    """The visits reporting counts for the class this term."""
    answer = await platform.reporting.get(
        f"/v1/classes/{world.class_id}/report", params={"term": TERM}, headers=world.admin()
    )
    if answer.status_code == 404:
        return 0
    assert answer.status_code == 200, answer.text
    return int(answer.json()["visits"])


async def open_visit_form(phone: Page, world: TeacherWorld, pupil: Pupil | None = None) -> None:
    query = f"?class={world.class_id}" + (f"&student={pupil.student_id}" if pupil else "")
    await phone.goto(f"/teacher/visits/new{query}")
    await expect(phone.get_by_role("heading", name="登记家访")).to_be_visible()
    # the class's students are on the phone (read online, or this phone's copy)
    await expect(phone.get_by_label("学生").locator("option", has_text=world.pupils[-1].name)).to_have_count(
        1
    )


async def fill_visit(phone: Page, pupil: Pupil, *, mode: str = "电话", visited_on: str | None = None) -> None:
    await phone.get_by_label("学生").select_option(label=pupil.name)
    await phone.get_by_label("家访日期").fill(visited_on or SCHOOL_TODAY.isoformat())
    await phone.get_by_role("radio", name=mode).click()
    await phone.get_by_role("checkbox", name="学习情况").click()
    await phone.get_by_label("给家长的小结").fill(f"{pupil.name}在家按时完成作业，家长配合。")


async def log_visit_offline(phone: Page, world: TeacherWorld, pupil: Pupil) -> None:
    """The head teacher signs in, opens 登记家访 once online (the app installs), goes offline and
    logs a visit to ``pupil``: it waits on the phone."""
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await open_visit_form(phone, world)
    await app_installed(phone)
    await phone.context.set_offline(True)
    await fill_visit(phone, pupil)
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_role("status").filter(has_text="已保存在本机，待同步")).to_be_visible()


async def app_installed(phone: Page) -> None:
    """The service worker holds the app (its install precached every built file)."""
    assert await phone.evaluate("navigator.serviceWorker.ready.then((r) => Boolean(r.active))")


async def test_the_head_teacher_logs_a_visit_online_and_scheduling_records_it(
    platform, world, phone, eventually
):
    pupil = world.mandatory[0]
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await open_visit_form(phone, world, pupil)
    # preselected from the class page's link
    await expect(phone.get_by_label("学生")).to_have_value(pupil.student_id)
    await phone.get_by_role("radio", name="上门").click()
    await expect(phone.get_by_text("上门家访最好由两位教职工一同前往。")).to_be_visible()
    await phone.get_by_role("checkbox", name=world.subject_teacher.name).click()
    await expect(phone.get_by_text("上门家访最好由两位教职工一同前往。")).to_be_hidden()
    await phone.get_by_role("checkbox", name="心理情绪").click()
    await phone.get_by_label("家访发现（保密）").fill("祖父母照看，孩子想念外出务工的父母。")
    await phone.get_by_role("button", name="添加跟进事项").click()
    follow_up = phone.get_by_role("group", name="跟进事项 1")
    await follow_up.get_by_label("事项").fill("联系心理老师谈心")
    await follow_up.get_by_label("负责人").select_option(label=world.subject_teacher.name)
    await follow_up.get_by_label("完成期限").fill("2026-11-27")
    await phone.get_by_label("给家长的小结").fill("孩子学习认真，请家长每周与孩子视频通话。")
    await phone.get_by_role("switch", name="请家长确认").click()
    await accessible(phone, "teacher-visit-form")

    await phone.get_by_role("button", name="提交").click()

    await expect(phone.get_by_role("status").filter(has_text="家访已登记").first).to_be_visible()
    await accessible(phone, "teacher-visit-logged")
    [visit] = await done_visits(platform, world, pupil.student_id)
    assert visit["visited_on"] == SCHOOL_TODAY.isoformat()
    assert visit["mode"] == "in_person"
    assert set(visit["visiting_staff_ids"]) == {world.head_teacher.staff_id, world.subject_teacher.staff_id}
    assert visit["topics"] == ["心理情绪"]
    assert visit["follow_ups"] == [
        {
            "action": "联系心理老师谈心",
            "owner_id": world.subject_teacher.staff_id,
            "due_on": "2026-11-27",
            "done": False,
        }
    ]
    assert visit["shareable_summary"] == "孩子学习认真，请家长每周与孩子视频通话。"

    async def counted() -> bool:
        return await visits_in_report(platform, world) == 1

    await eventually(counted, 30)


async def test_two_visits_logged_offline_wait_through_a_reload_and_are_recorded_once_when_back_online(
    platform, world, phone, eventually
):
    first, second = world.pupils[3], world.pupils[4]
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await open_visit_form(phone, world)
    await app_installed(phone)

    await phone.context.set_offline(True)
    await expect(phone.get_by_text("当前无网络")).to_be_visible()
    for pupil in (first, second):
        await fill_visit(phone, pupil)
        await phone.get_by_role("button", name="提交").click()
        await expect(phone.get_by_role("status").filter(has_text="已保存在本机，待同步")).to_be_visible()
        await phone.get_by_role("button", name="登记家访").click()
    await phone.reload()  # no network: the service worker serves the app, IndexedDB the visits
    await expect(phone.get_by_role("heading", name="登记家访")).to_be_visible()
    await phone.goto("/teacher/outbox")

    await expect(phone.get_by_text("待同步 2")).to_be_visible()
    waiting = phone.get_by_role("list", name="等待同步").get_by_role("listitem")
    await expect(waiting).to_have_count(2)
    await expect(waiting.first).to_contain_text(first.name)
    await expect(waiting.last).to_contain_text(second.name)
    await expect(phone.get_by_text("当前无网络，联网后自动同步")).to_be_visible()
    await accessible(phone, "teacher-offline-queue")
    assert await done_visits(platform, world) == []

    await phone.context.set_offline(False)  # the online event syncs

    await expect(phone.get_by_text("待同步 0")).to_be_visible()
    recorded = await done_visits(platform, world)
    assert sorted(v["student_id"] for v in recorded) == sorted([first.student_id, second.student_id])

    async def counted_once() -> bool:
        return await visits_in_report(platform, world) == 2

    await eventually(counted_once, 30)
    assert len(await done_visits(platform, world)) == 2


async def test_a_waiting_outcome_the_server_refuses_stays_on_the_phone_with_its_reason(
    platform, world, phone, eventually
):
    pupil = world.mandatory[1]
    head = world.as_staff(world.head_teacher)
    planned = await platform.scheduling.post(
        "/v1/home-visits/plans",
        json={
            "student_id": pupil.student_id,
            "class_id": world.class_id,
            "planned_on": SCHOOL_TODAY.isoformat(),
            "mode": "in_person",
        },
        headers=head,
    )
    assert planned.status_code == 201, planned.text
    visit_id = planned.json()["visit_id"]
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await phone.goto(f"/teacher/visits/{visit_id}/outcome")
    await expect(phone.get_by_text(pupil.name)).to_be_visible()
    await app_installed(phone)

    await phone.context.set_offline(True)
    await phone.get_by_role("radio", name="已完成").click()
    await phone.get_by_label("家访日期").fill(SCHOOL_TODAY.isoformat())
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_role("status").filter(has_text="已保存在本机，待同步")).to_be_visible()
    # meanwhile the planned visit is cancelled (the colleague phoned the family)
    cancelled = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome",
        json={"outcome": "cancelled", "reason": "家长改约到校面谈"},
        headers=head,
    )
    assert cancelled.status_code == 200, cancelled.text
    await phone.goto("/teacher/outbox")
    await expect(phone.get_by_text("待同步 1")).to_be_visible()

    await phone.context.set_offline(False)

    refused = phone.get_by_role("list", name="服务器拒绝").get_by_role("listitem")
    await expect(refused).to_have_count(1)
    await expect(refused).to_contain_text(pupil.name)
    await expect(refused).to_contain_text("这次计划的家访已取消，不能再登记结果")
    await expect(phone.get_by_text("待同步 0")).to_be_visible()
    await expect(phone.get_by_text("被拒绝 1")).to_be_visible()
    await accessible(phone, "teacher-outbox-refused")
    await phone.reload()  # kept on the phone, not only on the page
    await expect(phone.get_by_role("list", name="服务器拒绝").get_by_role("listitem")).to_have_count(1)
    assert await done_visits(platform, world, pupil.student_id) == []

    await phone.get_by_role("button", name=f"删除：{pupil.name}").click()
    await phone.get_by_role("button", name="删除", exact=True).click()
    await expect(phone.get_by_text("没有待同步的记录")).to_be_visible()


async def test_a_waiting_visit_of_a_student_moved_to_another_class_is_refused_with_the_reason(
    platform, registry_api, world, phone, eventually
):
    pupil = world.pupils[5]
    await log_visit_offline(phone, world, pupil)

    admin = registry_api.auth(Role.school_admin, world.school_id)
    other = await registry_api.http.post(
        f"/v1/schools/{world.school_id}/classes", json={"grade": 3, "name": "三年级3班"}, headers=admin
    )
    assert other.status_code == 201, other.text
    moved = await registry_api.http.post(
        f"/v1/students/{pupil.student_id}/transfer",
        json={"class_id": other.json()["class_id"]},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    scheduling = platform.scheduling_app.state.store

    async def scheduling_knows() -> bool:
        student = await scheduling.student(pupil.student_id)
        return student is not None and student["class_id"] != world.class_id

    await eventually(scheduling_knows, 30)
    await phone.goto("/teacher/outbox")
    await phone.context.set_offline(False)

    refused = phone.get_by_role("list", name="服务器拒绝").get_by_role("listitem")
    await expect(refused).to_contain_text(pupil.name)
    await expect(refused).to_contain_text("学生不存在或不在您的权限范围内")
    assert await done_visits(platform, world, pupil.student_id) == []


async def test_a_visit_dated_in_the_future_or_before_the_term_is_refused_by_the_form_before_sending(
    world, phone
):
    sent: list[str] = []
    phone.on("request", lambda r: sent.append(r.url) if r.method == "POST" and VISITS in r.url else None)
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await open_visit_form(phone, world)
    await expect(phone.get_by_text(f"不能晚于今天（{SCHOOL_TODAY.isoformat()}）")).to_be_visible()

    await fill_visit(phone, world.pupils[3], visited_on="2026-11-21")
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_text("家访日期不能晚于今天（2026-11-20）")).to_be_visible()

    await phone.get_by_label("家访日期").fill("2026-08-31")
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_text("家访日期早于本学期开始（2026-09-01）")).to_be_visible()
    await accessible(phone, "teacher-visit-date-refused")
    assert sent == []


async def test_a_waiting_visit_whose_answer_was_lost_is_sent_again_with_its_key_and_recorded_once(
    platform, world, phone, eventually
):
    pupil = world.pupils[3]
    await log_visit_offline(phone, world, pupil)
    await phone.goto("/teacher/outbox")
    await expect(phone.get_by_text("待同步 1")).to_be_visible()

    keys: list[str] = []
    lost: list[int] = []

    async def lose_the_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        answer = await route.fetch()  # the server records the visit…
        await route.abort("connectionreset")  # …and the phone never hears of it
        lost.append(answer.status)

    await phone.route(f"**{VISITS}", lose_the_answer, times=1)
    await phone.context.set_offline(False)  # the online event syncs: its answer is lost

    async def answer_lost() -> bool:
        return bool(lost)

    await eventually(answer_lost, 10)
    assert lost == [201]
    await expect(phone.get_by_text("待同步 1")).to_be_visible()
    assert len(await done_visits(platform, world, pupil.student_id)) == 1

    resent: list[str] = []
    phone.on(
        "request",
        lambda r: (
            resent.append(r.headers.get("idempotency-key", ""))
            if r.method == "POST" and VISITS in r.url
            else None
        ),
    )
    await phone.get_by_role("button", name="立即同步").click()

    await expect(phone.get_by_text("待同步 0")).to_be_visible()
    assert resent == keys  # the same key, made when the visit was entered
    assert len(await done_visits(platform, world, pupil.student_id)) == 1

    async def counted_once() -> bool:
        return await visits_in_report(platform, world) == 1

    await eventually(counted_once, 30)


async def test_the_app_shell_is_served_for_the_service_worker(platform):
    worker = await platform.portal.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"  # a new build is found at the next visit
    assert re.search(r"const PRECACHE = \[\"/", worker.text), "the build wrote the files to precache"
    assert "/index.html" in worker.text
    manifest = await platform.portal.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["display"] == "standalone"
    page = await platform.portal.get("/teacher/visits/new")
    assert page.headers["x-school-date"] == SCHOOL_TODAY.isoformat()


async def plan_a_visit(platform, world: TeacherWorld, pupil: Pupil) -> str:
    """A visit the head teacher planned for today; its id."""
    planned = await platform.scheduling.post(
        "/v1/home-visits/plans",
        json={
            "student_id": pupil.student_id,
            "class_id": world.class_id,
            "planned_on": SCHOOL_TODAY.isoformat(),
            "mode": "in_person",
        },
        headers=world.as_staff(world.head_teacher),
    )
    assert planned.status_code == 201, planned.text
    return str(planned.json()["visit_id"])


async def test_a_planned_visits_outcome_is_reached_from_the_visit_form_offline_and_recorded_once(
    platform, world, phone, eventually
):
    pupil = world.mandatory[1]
    visit_id = await plan_a_visit(platform, world, pupil)
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await open_visit_form(phone, world)  # online once: the class's plan is kept on the phone
    await app_installed(phone)

    await phone.context.set_offline(True)
    await open_visit_form(phone, world)  # opened with no network, from the service worker
    await expect(phone.get_by_text("当前无网络")).to_be_visible()
    await phone.get_by_label("学生").select_option(label=pupil.name)
    await expect(phone.get_by_text("这名学生有一次计划家访")).to_be_visible()
    await phone.get_by_role("button", name="登记这次计划家访的结果").click()

    await expect(phone).to_have_url(re.compile(f"/teacher/visits/{visit_id}/outcome$"))
    await expect(phone.get_by_text(f"家访 {pupil.name}")).to_be_visible()
    await phone.get_by_role("radio", name="已完成").click()
    await phone.get_by_label("家访日期").fill(SCHOOL_TODAY.isoformat())
    await phone.get_by_label("给家长的小结").fill("按计划上门，家长配合。")
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_role("status").filter(has_text="已保存在本机，待同步")).to_be_visible()
    await phone.goto("/teacher/outbox")
    await expect(phone.get_by_text("待同步 1")).to_be_visible()
    assert await done_visits(platform, world, pupil.student_id) == []

    await phone.context.set_offline(False)  # the online event syncs

    await expect(phone.get_by_text("待同步 0")).to_be_visible()
    [visit] = await done_visits(platform, world, pupil.student_id)
    assert visit["visit_id"] == visit_id  # the planned visit itself, done
    assert visit["shareable_summary"] == "按计划上门，家长配合。"
    assert all(v["visit_id"] != visit_id for v in await planned_visits(platform, world))

    async def counted_once() -> bool:
        return await visits_in_report(platform, world) == 1

    await eventually(counted_once, 30)
    assert len(await done_visits(platform, world, pupil.student_id)) == 1


async def test_a_refused_outcome_comes_back_as_typed_and_is_logged_as_a_visit_instead(
    platform, world, phone, eventually
):
    pupil = world.mandatory[1]
    visit_id = await plan_a_visit(platform, world, pupil)
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)
    await phone.goto(f"/teacher/visits/{visit_id}/outcome")
    await expect(phone.get_by_text(pupil.name)).to_be_visible()
    await app_installed(phone)
    await phone.context.set_offline(True)
    await phone.get_by_role("radio", name="已完成").click()
    await phone.get_by_label("家访日期").fill(SCHOOL_TODAY.isoformat())
    await phone.get_by_label("给家长的小结").fill("孩子近况良好，请家长多陪伴。")
    await phone.get_by_role("button", name="提交").click()
    await expect(phone.get_by_role("status").filter(has_text="已保存在本机，待同步")).to_be_visible()
    cancelled = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome",
        json={"outcome": "cancelled", "reason": "家长改约到校面谈"},
        headers=world.as_staff(world.head_teacher),
    )
    assert cancelled.status_code == 200, cancelled.text
    await phone.goto("/teacher/outbox")
    await phone.context.set_offline(False)
    await expect(phone.get_by_text("被拒绝 1")).to_be_visible()

    await phone.get_by_role("button", name=f"修改后重发：{pupil.name}").click()
    await expect(phone).to_have_url(re.compile(r"/outcome\?retry="))
    await phone.reload()  # opened afresh (the outbox not listed yet): the record is read first

    # the outcome form holds what was typed, read from the phone
    await expect(phone.get_by_label("给家长的小结")).to_have_value("孩子近况良好，请家长多陪伴。")
    await phone.get_by_role("button", name="改为登记家访").click()
    await expect(phone.get_by_role("heading", name="登记家访")).to_be_visible()
    await expect(phone.get_by_label("学生")).to_have_value(pupil.student_id)
    await expect(phone.get_by_label("给家长的小结")).to_have_value("孩子近况良好，请家长多陪伴。")
    await phone.get_by_role("button", name="提交").click()

    await expect(phone.get_by_role("status").filter(has_text="家访已登记").first).to_be_visible()
    [visit] = await done_visits(platform, world, pupil.student_id)
    assert visit["visit_id"] != visit_id  # a visit logged, the cancelled plan left as it is
    assert visit["shareable_summary"] == "孩子近况良好，请家长多陪伴。"
    await phone.goto("/teacher/outbox")
    await expect(phone.get_by_text("没有待同步的记录")).to_be_visible()  # the refused record replaced


async def test_visits_waiting_when_the_session_expires_are_counted_kept_and_sent_after_signing_in(
    platform, world, phone, eventually
):
    pupil = world.pupils[4]
    await log_visit_offline(phone, world, pupil)
    await phone.goto("/teacher/outbox")
    await expect(phone.get_by_text("待同步 1")).to_be_visible()

    await phone.context.clear_cookies()  # the session ends while the phone is away
    await phone.context.set_offline(False)  # the online event syncs: 401

    await expect(phone.get_by_text("本机有 1 条待发送，请重新登录后发送")).to_be_visible()
    await expect(phone.get_by_text("没有待同步的记录")).to_be_hidden()
    assert await done_visits(platform, world, pupil.student_id) == []

    await sign_in_as_staff(
        phone, world.head_teacher.account, world.head_teacher.password, start="/teacher/outbox"
    )
    await expect(phone).to_have_url(re.compile(r"/teacher/outbox$"))
    await expect(phone.get_by_text("待同步 0")).to_be_visible()
    assert len(await done_visits(platform, world, pupil.student_id)) == 1
