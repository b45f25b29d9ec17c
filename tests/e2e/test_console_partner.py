"""The partner's pages and the bureau's policy and rebuild pages (issue 16) in a browser, on the
real platform: a partner signs in, logs a co-building activity and confirms one the school logged;
the school admin sees the partner's on /console/organisation and confirms it; the bureau's policy
form says why it will not save weights that do not add up or a rate above 100%, and the registry
refuses the same; the bureau starts a rebuild and watches it finish."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from console_world import (
    ConsoleWorld,
    PartnerAccount,
    accessible_desk,
    bureau_account,
    console_world,
    new_desk,
    partner_account,
)
from playwright.async_api import Page, expect
from school_clock import SCHOOL_TODAY
from teacher_world import StaffAccount, sign_in_as_staff

pytestmark = pytest.mark.infra


@dataclass(frozen=True)
class PartnerDesk:
    account: PartnerAccount  # console_world's partner, with its active agreement
    ending_agreement_id: str  # a second one, active when the form opens, ended before it is sent


async def partner_desk(
    platform, registry_api, eventually, mailbox, provider, world: ConsoleWorld
) -> PartnerDesk:
    """console_world's partner of the school, with a second active agreement scheduling knows."""
    account = await partner_account(platform, registry_api, eventually, mailbox, provider, world.school_id)
    answer = await registry_api.http.post(
        f"/v1/partners/{account.partner_id}/agreements",
        json={"title": ENDING, "starts_on": "2026-09-01", "ends_on": "2027-07-15", "signed_on": "2026-09-10"},
        headers=world.teacher.admin(),
    )
    assert answer.status_code == 201, answer.text
    ending = str(answer.json()["agreement_id"])
    store = platform.scheduling_app.state.store

    async def projected() -> bool:
        return await store.projected("agreements", ending) is not None

    await eventually(projected, 60)
    return PartnerDesk(account, ending)


ENDING = "志愿服务协议（即将终止）"


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


async def _choose(page: Page, select_id: str, option: str) -> None:
    """Opens an Element Plus select (its box, which covers the input) and picks an option."""
    await page.locator(".el-select").filter(has=page.locator(f"#{select_id}")).click()
    await page.get_by_role("option", name=option, exact=True).click()


def _row(page: Page, text: str):
    return page.locator("[data-partner-activities] tbody tr").filter(has_text=text)


async def test_a_partner_logs_an_activity_confirms_the_schools_and_the_school_admin_confirms_its(
    platform, registry_api, eventually, mailbox, provider, world, desk, second_desk
):
    partner = await partner_desk(platform, registry_api, eventually, mailbox, provider, world)
    admin = world.teacher.admin()
    # the school logged one under the partner's agreement: the partner is asked to confirm it
    by_school = await platform.scheduling.post(
        "/v1/partner-activities",
        json={
            "agreement_id": partner.account.agreement_id,
            "kind": "legal_education",
            "title": "学校登记的法治讲座",
            "held_on": SCHOOL_TODAY.replace(day=3).isoformat(),
            "place": "学校礼堂",
            "students_count": 90,
            "teachers_count": 4,
            "participant_times": 94,
        },
        headers=admin,
    )
    assert by_school.status_code == 201, by_school.text

    await sign_in_as_staff(desk, partner.account.account, partner.account.password)
    await expect(desk).to_have_url(re.compile(r"/partner$"))
    await expect(
        desk.locator("[data-agreements]").get_by_text(partner.account.agreement_title)
    ).to_be_visible()
    schools = _row(desk, "学校登记的法治讲座")
    await expect(schools).to_contain_text("法治教育")
    await expect(schools).to_contain_text("待共建单位确认")
    await accessible_desk(desk, "partner-home")
    await schools.get_by_role("button", name=re.compile("确认活动")).click()
    await expect(schools).to_contain_text("双方已确认")
    await expect(schools.get_by_role("button")).to_have_count(0)

    await desk.get_by_role("link", name="登记共建活动").first.click()
    await expect(desk).to_have_url(re.compile(r"/partner/activities/new$"))
    # the form says what is missing before sending anything
    await desk.get_by_role("button", name="提交登记").click()
    await expect(desk.get_by_text("请选择共建协议")).to_be_visible()
    await expect(desk.get_by_text("请填写活动名称（至少 2 个字）")).to_be_visible()

    # the school ends the second agreement while the form is open: scheduling refuses it, and the
    # page shows why beside the agreement
    await _choose(desk, "activity-agreement", ENDING)
    await _choose(desk, "activity-kind", "志愿服务")
    await desk.get_by_label("活动名称").fill("社区志愿服务进校园")
    await desk.get_by_label("活动地点").fill("社区活动中心")
    await desk.get_by_label("学生人数").fill("30")
    await desk.get_by_label("居民人数").fill("10")
    await desk.get_by_label("参与人次").fill("40")
    ended = await registry_api.http.patch(
        f"/v1/agreements/{partner.ending_agreement_id}", json={"status": "ended"}, headers=admin
    )
    assert ended.status_code == 200, ended.text
    store = platform.scheduling_app.state.store

    async def ended_known() -> bool:
        found = await store.projected("agreements", partner.ending_agreement_id)
        return bool(found and found["status"] == "ended")

    await eventually(ended_known, 60)
    await desk.get_by_role("button", name="提交登记").click()
    agreement_item = desk.locator(".el-form-item").filter(has=desk.locator("#activity-agreement"))
    await expect(agreement_item).to_contain_text("协议未生效，不能登记活动")
    await accessible_desk(desk, "partner-activity-new")

    await _choose(desk, "activity-agreement", partner.account.agreement_title)
    await desk.get_by_role("button", name="提交登记").click()
    await expect(desk).to_have_url(re.compile(r"/partner\?logged=1$"))
    mine = _row(desk, "社区志愿服务进校园")
    await expect(mine).to_contain_text("志愿服务")
    await expect(mine).to_contain_text("社区活动中心")
    await expect(mine).to_contain_text("学生 30 人，居民 10 人")
    await expect(mine).to_contain_text("40")
    await expect(mine).to_contain_text("待学校确认")
    await expect(mine.get_by_role("button")).to_have_count(0)  # the school confirms it, not the partner

    # the school admin sees it among the school's co-building and confirms it
    await sign_in_as_staff(second_desk, world.school_admin.account, world.school_admin.password)
    await second_desk.goto("/console/organisation")
    theirs = _row(second_desk, "社区志愿服务进校园")
    await expect(theirs).to_contain_text("共建单位")  # logged by
    await expect(theirs).to_contain_text("待学校确认")
    await theirs.get_by_role("button", name=re.compile("确认活动")).click()
    await expect(theirs).to_contain_text("双方已确认")

    listed = await platform.scheduling.get(f"/v1/schools/{world.school_id}/partner-activities", headers=admin)
    logged = next(a for a in listed.json() if a["title"] == "社区志愿服务进校园")
    assert (logged["logged_by"], logged["partner_confirmed"], logged["school_confirmed"]) == (
        "partner",
        True,
        True,
    )
    assert (logged["students_count"], logged["residents_count"], logged["participant_times"]) == (30, 10, 40)


# A school year no other test measures against: saving it changes no report under test.
POLICY_YEAR = "2024-2025"


@pytest.fixture
async def officer(platform, registry_api, eventually, mailbox, provider) -> StaffAccount:
    return await bureau_account(platform, registry_api, eventually, mailbox, provider)


async def _target(page: Page, key: str, value: str) -> None:
    field = page.locator(f"#target-{key}")
    await field.fill(value)
    await field.blur()


async def test_the_bureau_policy_form_says_why_it_will_not_save_and_the_registry_refuses_the_same(
    platform, registry_api, officer, desk
):
    puts: list[str] = []
    desk.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    await sign_in_as_staff(desk, officer.account, officer.password)
    await expect(desk).to_have_url(re.compile(r"/bureau$"))
    await desk.goto(f"/bureau/policy?year={POLICY_YEAR}")
    coverage = desk.locator("[data-target=home_visit_coverage]")
    await expect(coverage).to_contain_text("家访覆盖率")
    await expect(coverage.locator("[data-default]")).to_have_text("66.7%")  # DOMAIN's default beside it
    await expect(desk.locator("[data-target=weight_guardian_contact]")).to_contain_text(
        "家长月度联系覆盖率权重"
    )
    await expect(desk.locator("[data-weights-sum]")).to_have_text("当前合计 100%")

    # weights that do not add up: the form says why and sends nothing
    await _target(desk, "weight_partner_activities", "5")
    await expect(desk.locator("[data-weights-sum]")).to_have_text("当前合计 95%")
    await desk.get_by_role("button", name="保存").click()
    await expect(desk.locator("[data-field-error=targets]")).to_have_text("权重合计须为 100%，当前为 95%")
    await expect(desk.locator("[data-form-error]")).to_have_text("未保存：请按提示修改")

    # a rate target above 100%: said beside it
    await _target(desk, "weight_partner_activities", "10")
    await _target(desk, "mandatory_visit_coverage", "120")
    await desk.get_by_role("button", name="保存").click()
    await expect(desk.locator("[data-field-error=targets]")).to_have_count(0)
    await expect(desk.locator("[data-field-error=mandatory_visit_coverage]")).to_have_text(
        "比率须在 0% 到 100% 之间"
    )
    await accessible_desk(desk, "bureau-policy")
    assert puts == []  # the form refused both before sending

    # the registry refuses the same, whoever sends it
    path = f"/v1/policy/{POLICY_YEAR}"
    weights = await registry_api.http.put(
        path, json={"targets": {"weight_partner_activities": 0.05}}, headers=registry_api.bureau
    )
    rate = await registry_api.http.put(
        path, json={"targets": {"mandatory_visit_coverage": 1.2}}, headers=registry_api.bureau
    )
    assert weights.status_code == 422, weights.text
    assert [e["field"] for e in weights.json()["errors"]] == ["body.targets"]
    assert "当前为 95%" in weights.json()["errors"][0]["message"]
    assert rate.status_code == 422, rate.text
    assert [e["field"] for e in rate.json()["errors"]] == ["body.targets.mandatory_visit_coverage"]

    # put right, it saves (with If-Match: the version the page opened) and the registry keeps it
    before = (await registry_api.http.get(path, headers=registry_api.bureau)).json()["version"]
    await _target(desk, "mandatory_visit_coverage", "100")
    await _target(desk, "home_visit_coverage", "70")
    await desk.get_by_role("button", name="保存").click()
    await expect(desk.get_by_role("status")).to_have_text(f"已保存为第 {before + 1} 版")
    saved = (await registry_api.http.get(path, headers=registry_api.bureau)).json()
    assert (saved["version"], saved["targets"]["home_visit_coverage"]) == (before + 1, 0.7)
    assert len(puts) == 1


async def test_a_save_from_a_stale_policy_page_is_told_the_record_changed(
    platform, registry_api, officer, desk
):
    await sign_in_as_staff(desk, officer.account, officer.password)
    await desk.goto(f"/bureau/policy?year={POLICY_YEAR}")
    await expect(desk.locator("[data-target=open_days_per_term]")).to_be_visible()
    # another officer saves meanwhile
    path = f"/v1/policy/{POLICY_YEAR}"
    meanwhile = await registry_api.http.put(
        path, json={"targets": {"open_days_per_term": 2}}, headers=registry_api.bureau
    )
    assert meanwhile.status_code == 200, meanwhile.text
    await _target(desk, "committee_meetings_per_term", "3")
    await desk.get_by_role("button", name="保存").click()
    await expect(desk.locator("[data-form-error]")).to_have_text("该记录已被他人修改，请刷新后再保存")
    kept = (await registry_api.http.get(path, headers=registry_api.bureau)).json()
    assert kept["version"] == meanwhile.json()["version"]  # not overwritten


async def test_the_bureau_starts_a_rebuild_and_watches_it_finish(platform, registry_api, officer, desk):
    await sign_in_as_staff(desk, officer.account, officer.password)
    await desk.goto("/bureau/rebuild")
    await expect(desk.get_by_text("尚未开始重建。")).to_be_visible()
    await accessible_desk(desk, "bureau-rebuild")
    await desk.get_by_role("button", name="开始重建").click()
    await expect(desk).to_have_url(re.compile(r"/bureau/rebuild\?run="))
    status = desk.locator("[data-rebuild-status]")
    await expect(status).to_have_text(re.compile("进行中|已完成"))
    # the page asks again every 2 s while it runs, until reporting says it is done
    await expect(status).to_have_text("已完成", timeout=240_000)
    run_id = desk.url.split("run=")[1]
    answer = await platform.reporting.get(f"/v1/rebuilds/{run_id}", headers=registry_api.bureau)
    assert answer.json()["status"] == "done"
    await expect(desk.locator("[data-events-replayed]")).to_have_text(str(answer.json()["events_replayed"]))
