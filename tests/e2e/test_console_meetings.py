"""The school admin's meetings, tickets and organisation pages (issue 16) in a browser, on the real
platform: an open day scheduled for the class's guardians, a guardian's answer on its record, the
attendance and minutes once it has started (still shown when the record is read again); a
guardian's ticket answered; an agreement signed with a partner and its year-end review saved
against the version the page read."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bearer import bearer
from console_world import ConsoleWorld, accessible_desk, console_world, new_desk
from playwright.async_api import Locator, Page, expect
from service_kit.auth import Role
from teacher_world import Pupil, sign_in_as_staff

pytestmark = pytest.mark.infra

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
    return await console_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


def guardian_bearer(world: ConsoleWorld, pupil: Pupil) -> dict[str, str]:
    return bearer(
        Role.guardian,
        world.teacher.district_id,
        pupil.guardian_id,
        world.school_id,
        None,
        [pupil.student_id],
    )


async def tick(control: Locator) -> None:
    """Checks an Element Plus radio or checkbox as a person does: a click on the box drawn over the
    (visually hidden) input, then the input is checked."""
    await control.locator("xpath=..").click()
    await expect(control).to_be_checked()


async def choose(page: Page, select: Locator, option: str) -> None:
    """Picks an option of an Element Plus select: a click on its box opens the list, a click on the
    option chooses it."""
    await select.locator("xpath=ancestor::div[contains(@class, 'el-select__wrapper')][1]").click()
    await page.get_by_role("option", name=option).click()
    await expect(
        select.locator("xpath=ancestor::div[contains(@class, 'el-select__wrapper')][1]")
    ).to_contain_text(option)


async def signed_in(desk: Page, world: ConsoleWorld, start: str) -> None:
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await expect(desk).to_have_url(re.compile(r"/console$"))
    await desk.goto(start)


async def test_a_school_admin_schedules_an_open_day_sees_a_guardians_rsvp_and_records_attendance(
    platform, world, desk, eventually
):
    await signed_in(desk, world, "/console/meetings")
    # a minute or two ahead of the real clock: meetings lie ahead of the real now, and attendance is
    # taken once the meeting has started
    soon = datetime.now(UTC) + timedelta(seconds=90)
    starts = soon.replace(second=0, microsecond=0) + timedelta(minutes=1)
    local = starts.astimezone(BEIJING)
    ends = min(local + timedelta(hours=1), local.replace(hour=23, minute=59))

    form = desk.get_by_role("form", name="安排会议")
    await tick(form.get_by_role("radio", name="家长开放日"))
    await tick(form.get_by_role("radio", name="班级", exact=True))
    await tick(form.get_by_role("checkbox", name=world.teacher.class_name))
    await form.get_by_label("会议名称").fill("秋季家长开放日")
    await form.get_by_label("议程（每行一项）").fill("参观课堂\n家长座谈")
    await form.get_by_label("日期").fill(local.strftime("%Y-%m-%d"))
    await form.get_by_label("开始时间").fill(local.strftime("%H:%M"))
    await form.get_by_label("结束时间").fill(ends.strftime("%H:%M"))
    await form.get_by_label("地点").fill("三年级2班教室")
    await accessible_desk(desk, "console-meetings")
    await form.get_by_role("button", name="安排会议并通知家长").click()
    await expect(form.get_by_role("status")).to_have_text(
        f"已安排「秋季家长开放日」，已邀请 {len(world.teacher.pupils)} 位家长"
    )

    listed = desk.get_by_test_id("meetings-table").get_by_role("row").filter(has_text="秋季家长开放日")
    await expect(listed).to_contain_text("家长开放日")
    await expect(listed).to_contain_text("待召开")
    await listed.get_by_role("link", name="秋季家长开放日").click()
    await expect(desk).to_have_url(re.compile(r"/console/meetings/m-[0-9a-f]+$"))
    meeting_id = desk.url.rsplit("/", 1)[1]
    stored = await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=world.teacher.admin())
    assert (stored.json()["kind"], stored.json()["level"], stored.json()["class_ids"]) == (
        "open_day",
        "class",
        [world.class_id],
    )
    assert datetime.fromisoformat(stored.json()["starts_at"]) == starts

    # a guardian answers (as their one-tap link would); the record shows it by name
    coming = world.teacher.pupils[0]
    answered = await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "yes"}, headers=guardian_bearer(world, coming)
    )
    assert answered.status_code == 200, answered.text
    await desk.reload()
    invited = len(world.teacher.pupils)
    await expect(desk.get_by_test_id("rsvp-counts")).to_have_text(
        f"邀请 {invited} 人：参加 1，不参加 0，待定 0，未回复 {invited - 1}"
    )
    row = desk.get_by_test_id("roster").get_by_role("row").filter(has_text=coming.guardian_name)
    await expect(row).to_contain_text(coming.name)
    await expect(row).to_contain_text(re.compile(r"(?<!不)参加"))
    await accessible_desk(desk, "console-meeting-rsvp")

    # attendance and minutes, once it has started
    attended = [world.teacher.pupils[0], world.teacher.pupils[2]]
    for pupil in attended:
        await tick(desk.get_by_role("checkbox", name=f"{pupil.guardian_name} 到会"))
    await desk.get_by_label("会议纪要").fill("家长观摩语文、数学课堂，座谈课后服务安排。")
    await desk.get_by_role("button", name="添加问题").click()
    await desk.get_by_label("问题 1").fill("课后托管能否延长到六点？")
    await desk.get_by_label("答复 1").fill("下学期起试行。")

    async def started() -> bool:
        return datetime.now(UTC) >= starts

    await eventually(started, 180)
    await desk.get_by_role("button", name="保存签到和纪要").click()
    rate = desk.get_by_test_id("attendance-rate")
    await expect(rate).to_contain_text("33.3%")
    await expect(rate).to_contain_text(f"实到 2 人 / 受邀 {invited} 人")
    await expect(desk.get_by_test_id("meeting-status")).to_have_text("已召开")
    await expect(desk.get_by_test_id("roster").get_by_text("已到", exact=True)).to_have_count(2)
    await accessible_desk(desk, "console-meeting-held")

    # the record read again (a reload, another day) still shows the minutes and the question answered
    await desk.reload()
    await expect(desk.get_by_test_id("meeting-status")).to_have_text("已召开")
    await expect(desk.get_by_test_id("minutes")).to_have_text("家长观摩语文、数学课堂，座谈课后服务安排。")
    questions = desk.get_by_test_id("questions")
    await expect(questions.locator("dt")).to_have_text(["课后托管能否延长到六点？"])
    await expect(questions.locator("dd")).to_have_text(["下学期起试行。"])

    record = await platform.scheduling_app.state.store.meeting(meeting_id)
    assert record["status"] == "held"
    assert set(record["attended_guardian_ids"]) == {p.guardian_id for p in attended}
    assert record["minutes"] == "家长观摩语文、数学课堂，座谈课后服务安排。"
    assert record["questions"] == [{"question": "课后托管能否延长到六点？", "answer": "下学期起试行。"}]


async def test_a_school_admin_schedules_the_reception_day_and_replies_to_guardians_tickets(
    platform, world, desk, eventually
):
    await signed_in(desk, world, "/console/meetings")
    reception = desk.get_by_role("form", name="校长接待日")
    await expect(reception.get_by_label("会议名称")).to_have_value("校长接待日")
    await reception.get_by_label("地点").fill("校长室")
    await reception.get_by_role("button", name="安排接待日").click()
    await expect(reception.get_by_role("status")).to_have_text(re.compile(r"^已安排 \d+ 次接待日$"))
    calendar = await platform.scheduling.get(
        f"/v1/calendars/schools/{world.school_id}", headers=world.teacher.admin()
    )
    days = sorted(
        (i for i in calendar.json() if i["meeting_kind"] == "reception_day"), key=lambda i: i["starts_at"]
    )
    assert days, calendar.json()
    # the first Friday of each month left in the term, at 09:00 in Beijing
    for day in days:
        start = datetime.fromisoformat(day["starts_at"]).astimezone(BEIJING)
        assert (start.weekday(), start.hour, start.minute, start.day <= 7) == (4, 9, 0, True), day
    await expect(reception.get_by_role("status")).to_have_text(f"已安排 {len(days)} 次接待日")
    listed = desk.get_by_test_id("meetings-table").get_by_role("row").filter(has_text="校长接待日")
    await expect(listed).to_have_count(len(days))

    # one guardian raises an issue for the reception day, another through the principal's mailbox
    at_reception, by_mail = world.teacher.pupils[1], world.teacher.pupils[3]
    for pupil, ask in (
        (at_reception, {"question": "希望学校增加课后托管服务", "meeting_id": days[0]["id"]}),
        (by_mail, {"question": "校门口接送车辆太多，存在安全隐患"}),
    ):
        raised = await platform.scheduling.post(
            "/v1/tickets", json=ask, headers=guardian_bearer(world, pupil)
        )
        assert raised.status_code == 201, raised.text

    await desk.goto("/console/tickets")
    tickets = desk.get_by_test_id("tickets")
    row = tickets.get_by_role("row").filter(has_text="希望学校增加课后托管服务")
    await expect(row).to_contain_text(at_reception.guardian_name)
    await expect(row).to_contain_text("接待日")
    await expect(row).to_contain_text(world.school_admin.name)  # the reception day's organiser owns it
    await expect(row).to_contain_text("待答复")
    mailed = tickets.get_by_role("row").filter(has_text="校门口接送车辆太多")
    await expect(mailed).to_contain_text(by_mail.guardian_name)
    await expect(mailed).to_contain_text("校长信箱")
    await expect(mailed).to_contain_text("学校管理员")  # any of the school's admins answers the mailbox
    await expect(desk.get_by_test_id("ticket-counts")).to_have_text("已逾期 0 件，待答复 2 件，已答复 0 件")
    await accessible_desk(desk, "console-tickets")

    await row.get_by_role("button", name="答复：希望学校增加课后托管服务").click()
    await desk.get_by_label("答复内容").fill("下学期起开设课后托管，至 18:00。")
    await desk.get_by_role("button", name="发送答复").click()
    await expect(desk.get_by_role("status").filter(has_text="已答复")).to_be_visible()
    await expect(row).to_contain_text("已答复")
    await expect(row).to_contain_text("下学期起开设课后托管，至 18:00。")
    await expect(desk.get_by_test_id("ticket-counts")).to_have_text("已逾期 0 件，待答复 1 件，已答复 1 件")

    mine = await platform.scheduling.get("/v1/tickets/mine", headers=guardian_bearer(world, at_reception))
    assert [t["reply"] for t in mine.json()] == ["下学期起开设课后托管，至 18:00。"]


async def test_a_school_admin_signs_an_agreement_records_its_year_end_review_and_forms_a_committee(
    platform, registry_api, world, desk
):
    await signed_in(desk, world, "/console/organisation")
    partner_form = desk.get_by_role("form", name="登记共建单位")
    await partner_form.get_by_label("单位名称").fill("文化路派出所")
    await partner_form.get_by_label("联系人", exact=True).fill("王警官")
    await tick(partner_form.get_by_role("radio", name="派出所"))
    await partner_form.get_by_role("button", name="登记").click()
    await expect(partner_form.get_by_role("status")).to_have_text("已登记「文化路派出所」")
    await expect(
        desk.get_by_test_id("partners").get_by_role("row").filter(has_text="文化路派出所")
    ).to_contain_text("派出所")

    agreement_form = desk.get_by_role("form", name="签订共建协议")
    await choose(desk, agreement_form.get_by_label("共建单位"), "文化路派出所")
    await agreement_form.get_by_label("协议名称").fill("警校共建协议书")
    await agreement_form.get_by_label("开始日期").fill("2026-09-01")
    await agreement_form.get_by_label("结束日期").fill("2027-08-31")
    await agreement_form.get_by_label("签订日期（未签订可不填）").fill("2026-09-01")
    await agreement_form.get_by_label("共建承诺（每行一项）").fill("每学期两次法治课\n上下学护学岗")
    await agreement_form.get_by_role("button", name="登记协议").click()
    await expect(agreement_form.get_by_role("status")).to_have_text("已登记「警校共建协议书」")
    row = desk.get_by_test_id("agreements").get_by_role("row").filter(has_text="警校共建协议书")
    await expect(row).to_contain_text("文化路派出所")
    await expect(row).to_contain_text("履行中")
    await expect(row).to_contain_text("待评议")
    await accessible_desk(desk, "console-organisation")

    listed = await registry_api.http.get("/v1/agreements", headers=world.teacher.admin())
    agreement = next(a for a in listed.json() if a["title"] == "警校共建协议书")
    assert agreement["commitments"] == ["每学期两次法治课", "上下学护学岗"]
    assert agreement["signed_on"] == "2026-09-01"

    # someone else changes it while the review is open: the save is told, not overwritten silently
    await row.get_by_role("button", name="填写「警校共建协议书」的年终评议").click()
    await desk.get_by_label("评议内容").fill("全年完成法治课 4 次，护学岗从未间断。")
    other = await registry_api.http.patch(
        f"/v1/agreements/{agreement['agreement_id']}",
        json={"year_end_review": "另一位管理员的评议"},
        headers=world.teacher.admin() | {"If-Match": f'"{agreement["version"]}"'},
    )
    assert other.status_code == 200, other.text
    await desk.get_by_role("button", name="保存评议").click()
    await expect(desk.get_by_role("alert")).to_contain_text("该记录已被他人修改，请刷新后再保存")
    await desk.get_by_role("button", name="刷新后重新填写").click()
    await expect(desk.get_by_label("评议内容")).to_have_value("另一位管理员的评议")

    await desk.get_by_label("评议内容").fill("全年完成法治课 4 次，护学岗从未间断。")
    await desk.get_by_role("button", name="保存评议").click()
    await expect(desk.get_by_role("status").filter(has_text="已保存年终评议")).to_be_visible()
    await expect(row).to_contain_text("全年完成法治课 4 次，护学岗从未间断。")
    await accessible_desk(desk, "console-organisation-review")

    saved = await registry_api.http.get(
        f"/v1/agreements/{agreement['agreement_id']}", headers=world.teacher.admin()
    )
    assert saved.json()["year_end_review"] == "全年完成法治课 4 次，护学岗从未间断。"
    assert saved.json()["version"] == agreement["version"] + 2

    # a class parent committee of five of the class's guardians, the first chosen chairing it
    committee = desk.get_by_role("form", name="成立家长委员会")
    await choose(desk, committee.get_by_label("班级"), world.teacher.class_name)
    members = world.teacher.pupils[:5]
    for pupil in members:
        await tick(committee.get_by_role("checkbox", name=pupil.guardian_name, exact=True))
    await committee.get_by_role("button", name="成立").click()
    await expect(committee.get_by_role("status")).to_have_text("已成立家长委员会（5 人）")
    formed = desk.get_by_test_id("committees").get_by_role("row").filter(has_text="班级家委会")
    await expect(formed).to_contain_text(world.teacher.class_name)
    await expect(formed).to_contain_text(f"{members[0].guardian_name}（主任）")
    await expect(formed).to_contain_text(f"{members[4].guardian_name}（委员）")
    stored = await registry_api.http.get(
        f"/v1/schools/{world.school_id}/committees", headers=world.teacher.admin()
    )
    assert [sorted(m["guardian_id"] for m in c["members"]) for c in stored.json()] == [
        sorted(p.guardian_id for p in members)
    ]
