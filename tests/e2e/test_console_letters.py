"""The school admin's letters, monthly submission and report (issue 16) in a browser, on the real
platform: a letter to be confirmed is previewed, sent, confirmed by one guardian and reminded to
the rest only; the month is confirmed and shown on time or late as reporting judged it; the school
report draws its charts and shows reporting's own coverage figure."""

import re
from collections.abc import AsyncIterator

import pytest
from console_world import ConsoleWorld, accessible_desk, console_world, new_desk
from playwright.async_api import Locator, Page, expect
from service_kit.auth import Role
from teacher_world import TERM, sign_in_as_staff

pytestmark = pytest.mark.infra

TITLE = "致家长的一封信：冬季安全提示"
BODY = "天气转冷，请提醒孩子注意交通与用火用电安全，阅读后请点击确认。"


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
    return await console_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def choose(page: Page, select: Locator, option: str) -> None:
    """An Element Plus select: a click on its box opens the list, a click on the option picks it."""
    await select.locator("xpath=ancestor::div[contains(@class, 'el-select__wrapper')][1]").click()
    await page.get_by_role("option", name=option).click()


async def tick(page: Page, role: str, name: str) -> None:
    """An Element Plus radio or checkbox: its words are what a person clicks (the round or square
    drawn over the real input takes the click otherwise)."""
    await page.locator(f"label.el-{role}").filter(has_text=name).click()
    await expect(page.get_by_role(role, name=name)).to_be_checked()


def sms_to(provider, phone: str) -> list[dict]:
    return provider[0].to("sms", phone)


def percent(rate: float) -> str:
    """A rate as the console shows it (src/lib/console/report.ts percent): one decimal at most."""
    value = round(rate * 1000) / 10
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


async def test_a_letter_to_be_confirmed_is_previewed_sent_and_reminded_only_to_who_has_not_confirmed(
    platform, registry_api, world, desk, provider, eventually
):
    pupils = world.teacher.pupils
    admin = world.school_admin
    await sign_in_as_staff(desk, admin.account, admin.password)
    await desk.goto("/console/letters")
    await expect(desk.get_by_role("heading", name="致家长的一封信", level=1)).to_be_visible()

    await tick(desk, "checkbox", world.teacher.class_name)
    await desk.get_by_label("标题", exact=True).fill(TITLE)
    await desk.get_by_label("正文", exact=True).fill(BODY)
    await tick(desk, "radio", "每名学生任一家长确认")
    await desk.get_by_role("button", name="预览发送范围").click()

    # who it reaches, who opted out, who has no contact; the text in each language guardians read
    preview = desk.get_by_role("region", name="发送前预览")
    await expect(preview.locator('[data-count="recipients"]')).to_have_text("6")
    await expect(preview.locator('[data-count="students"]')).to_have_text("6")
    await expect(preview.locator('[data-count="opted_out"]')).to_have_text("0")
    await expect(preview.locator('[data-count="without_contact"]')).to_have_text("0")
    chinese = preview.get_by_role("article", name="中文（简体）")
    await expect(chinese).to_contain_text(f"【{world.school_name}】{TITLE}")
    await expect(chinese).to_contain_text("请阅读后点击确认")
    await expect(preview.get_by_role("article", name="英文")).to_contain_text(
        "Please confirm you have read this"
    )
    await accessible_desk(desk, "console-letters-preview")

    await desk.get_by_role("button", name="发送给 6 位家长").click()
    await expect(desk).to_have_url(re.compile(r"/console/letters/ann-[0-9a-f]+$"))
    announcement_id = desk.url.rsplit("/", 1)[1]

    async def all_told() -> bool:
        return all(len(sms_to(provider, p.guardian_phone)) == 1 for p in pupils)

    await eventually(all_told, 30)

    # the first guardian confirms from their inbox
    first = pupils[0]
    notifications = platform.all_services["notifications"]
    as_guardian = registry_api.auth(Role.guardian, world.school_id, subject=first.guardian_id)

    async def in_inbox() -> list[dict]:
        inbox = await notifications.get("/v1/inbox", headers=as_guardian)
        return [m for m in inbox.json() if m["message_id"].startswith(announcement_id)]

    async def listed() -> bool:
        # a round records what it sent once its sends are done: the SMS may come a moment earlier
        return bool(await in_inbox())

    await eventually(listed, 20)
    [letter] = await in_inbox()
    confirmed = await notifications.post(
        f"/v1/inbox/{letter['message_id']}/confirmation", headers=as_guardian
    )
    assert confirmed.status_code == 200, confirmed.text

    await desk.reload()
    await expect(desk.locator('[data-count="students"]')).to_have_text("6")
    await expect(desk.locator('[data-count="confirmed"]')).to_have_text("1")
    await expect(desk.locator('[data-count="pending"]')).to_have_text("5")
    # who has and has not, by name
    rows = desk.get_by_role("row")
    await expect(rows.filter(has_text=first.guardian_name)).to_contain_text("已确认")
    for pupil in pupils[1:]:
        await expect(rows.filter(has_text=pupil.guardian_name)).to_contain_text("未确认")
    await accessible_desk(desk, "console-letter-detail")

    await desk.get_by_role("button", name="提醒未确认的家长（5 位）").click()
    await expect(desk.get_by_role("status").filter(has_text="已提醒")).to_have_text("已提醒 5 位未确认的家长")

    async def reminded() -> bool:
        return all(len(sms_to(provider, p.guardian_phone)) == 2 for p in pupils[1:])

    await eventually(reminded, 30)
    assert all("请确认" in sms_to(provider, p.guardian_phone)[1]["subject"] for p in pupils[1:])
    assert len(sms_to(provider, first.guardian_phone)) == 1  # the one who confirmed is left alone

    # the letters list (notifications' list of the school's letters) shows it, with its counts
    await desk.get_by_role("link", name="← 返回信件列表").click()
    row = desk.get_by_role("row").filter(has_text=TITLE)
    await expect(row).to_contain_text("1 / 6")
    await expect(row).to_contain_text(world.teacher.class_name)
    await expect(row.get_by_role("cell")).to_have_text(
        [TITLE, world.teacher.class_name, "中文（简体）", re.compile(r"\d+月\d+日"), "6", "6", "1 / 6", "0"]
    )


EN_TITLE = "A letter to parents: winter safety"
EN_BODY = "It is getting cold: please remind your child to mind the roads."


async def test_a_letter_with_an_english_text_reaches_an_english_reading_guardian_in_english(
    platform, registry_api, world, desk, provider, eventually
):
    pupils = world.teacher.pupils
    english, chinese = pupils[0], pupils[1]
    notifications = platform.all_services["notifications"]
    as_english = registry_api.auth(Role.guardian, world.school_id, subject=english.guardian_id)
    chosen = await notifications.put("/v1/preferences", json={"language": "en"}, headers=as_english)
    assert chosen.status_code == 200, chosen.text

    admin = world.school_admin
    await sign_in_as_staff(desk, admin.account, admin.password)
    await desk.goto("/console/letters")
    await tick(desk, "checkbox", world.teacher.class_name)
    await tick(desk, "radio", "无需确认")
    await desk.get_by_label("标题", exact=True).fill(TITLE)
    await desk.get_by_label("正文", exact=True).fill(BODY)
    await desk.get_by_role("tab", name="英文（可选）").click()
    # an English text begun without its title is not previewed: the title's field says why
    await desk.get_by_label("正文（英文）").fill(EN_BODY)
    await desk.get_by_role("button", name="预览发送范围").click()
    await expect(desk.locator(".el-form-item").filter(has=desk.get_by_label("标题（英文）"))).to_contain_text(
        "请填写标题"
    )
    await desk.get_by_label("标题（英文）").fill(EN_TITLE)
    await desk.get_by_role("button", name="预览发送范围").click()

    # each language as its guardians will read it
    preview = desk.get_by_role("region", name="发送前预览")
    await expect(preview.get_by_role("article", name="英文")).to_contain_text(
        f"[{world.school_name}] {EN_TITLE}"
    )
    await expect(preview.get_by_role("article", name="英文")).to_contain_text(EN_BODY)
    await expect(preview.get_by_role("article", name="中文（简体）")).to_contain_text(
        f"【{world.school_name}】{TITLE}"
    )
    await accessible_desk(desk, "console-letters-english")

    await desk.get_by_role("button", name="发送给 6 位家长").click()
    await expect(desk).to_have_url(re.compile(r"/console/letters/ann-[0-9a-f]+$"))
    announcement_id = desk.url.rsplit("/", 1)[1]

    async def inbox(guardian) -> list[dict]:
        headers = registry_api.auth(Role.guardian, world.school_id, subject=guardian.guardian_id)
        answer = await notifications.get("/v1/inbox", headers=headers)
        return [m for m in answer.json() if m["message_id"].startswith(announcement_id)]

    async def both_read_it() -> bool:
        return bool(await inbox(english)) and bool(await inbox(chinese))

    await eventually(both_read_it, 30)
    [theirs], [hers] = await inbox(english), await inbox(chinese)
    assert theirs["subject"] == f"[{world.school_name}] {EN_TITLE}"
    assert theirs["body"].startswith(EN_BODY)
    assert hers["subject"] == f"【{world.school_name}】{TITLE}"
    assert hers["body"].startswith(BODY)

    # the list names the letter's languages
    await desk.goto("/console/letters")
    row = desk.get_by_role("row").filter(has_text=TITLE)
    await expect(row).to_contain_text("中文（简体）、英文")
    await expect(row).to_contain_text("无需确认")


async def test_a_school_admin_confirms_october_and_sees_it_late_or_on_time_as_reporting_judged(
    platform, world, desk
):
    admin = world.school_admin
    await sign_in_as_staff(desk, admin.account, admin.password)
    await desk.goto("/console/submissions")
    await expect(desk.get_by_role("heading", name="月度报送", level=1)).to_be_visible()
    await choose(desk, desk.get_by_role("combobox", name="月份"), "2026年10月")
    await tick(desk, "radio", "确认本月数据")
    await desk.get_by_role("button", name="报送", exact=True).click()
    done = desk.get_by_role("status").filter(has_text="已报送")
    await expect(done).to_contain_text("2026年10月已报送")

    answer = await platform.reporting.get(
        f"/v1/schools/{world.school_id}/submissions", headers=world.teacher.admin()
    )
    [october] = [s for s in answer.json() if s["month"] == "2026-10"]
    assert october["kind"] == "confirmed"
    said = "逾期" if october["late"] else "按时"
    await expect(done).to_have_text(f"2026年10月已报送（{said}）")
    await expect(desk.locator('[data-timeliness="2026-10"]')).to_have_text(said)
    await accessible_desk(desk, "console-submissions")


async def test_the_school_report_draws_its_charts_with_reportings_coverage(platform, world, desk, eventually):
    pupil = next(p for p in world.teacher.pupils if p.mandatory)
    logged = await platform.scheduling.post(
        "/v1/home-visits",
        json={
            "student_id": pupil.student_id,
            "class_id": world.class_id,
            "visited_on": "2026-11-18",
            "mode": "in_person",
        },
        headers=world.teacher.as_staff(world.teacher.head_teacher),
    )
    assert logged.status_code == 201, logged.text

    async def report() -> dict:
        answer = await platform.reporting.get(
            f"/v1/schools/{world.school_id}/report", params={"term": TERM}, headers=world.teacher.admin()
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def counted() -> bool:
        return any(c["visited"] == 1 for c in (await report())["classes"])

    await eventually(counted, 30)
    figures = await report()
    coverage = next(m for m in figures["measures"] if m["key"] == "home_visit_coverage")

    admin = world.school_admin
    await sign_in_as_staff(desk, admin.account, admin.password)
    await expect(desk).to_have_url(re.compile(r"/console$"))
    await expect(desk.get_by_role("heading", name="学校报表", level=1)).to_be_visible()
    await expect(desk.locator("[data-chart] canvas")).to_have_count(2)
    await expect(desk.locator('[data-measure="home_visit_coverage"]')).to_have_text(
        percent(coverage["actual"])
    )
    assert percent(coverage["actual"]) == "16.7%"  # one of six pupils visited
    await expect(desk.locator(f'[data-class-coverage="{world.class_id}"]')).to_have_text("16.7%")
    await expect(desk.get_by_role("row").filter(has_text=world.teacher.class_name).first).to_contain_text(
        "33.3%"
    )
    await accessible_desk(desk, "console-school-report")
