"""A school admin disputes a figure of the bureau's monthly bulletin (issue 16) in a browser, on
the real platform: the bureau publishes October's bulletin through the API; the school admin sees
the school's figures in it on /console/submissions, raises a dispute of 家访覆盖率 with a reason on
the page and sees it listed as open; the bureau rejects it through the API with a note, and the
page read again shows it rejected with the note.

As in test_console_bureau.py, the figures come from a generated district of its own
(tests/district_generator.py), dated from September: a school the registry records today
(20 November on the school clock) is in no bulletin of October. The school admin is a member of
staff of the generated district's first school, announced as the registry announces staff
(``staff-changed``); the portal opens the account and the activation link arrives as for anyone.
"""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from bearer import bearer
from bulletin_world import MONTH, new_district, percent, publish, stored_district
from console_world import accessible_desk, new_desk
from contracts.events.registry import StaffChanged, StaffChangedV1, StaffContacts
from district_generator import NAMES, District, at
from playwright.async_api import Page, expect
from service_kit.auth import Role
from teacher_world import StaffAccount, activate, activation_token, sign_in_as_staff, unique_phone

pytestmark = pytest.mark.infra

PASSWORD = "德育主任异议2026十月"
REASON = "10月有3次家访因网络故障迟录，实际已完成，请核实"
NOTE = "已核实，迟录家访不在10月统计口径内，数据不变"


@pytest.fixture(scope="module")
def generated() -> District:
    return new_district("d-dispute")


@pytest.fixture
async def district(platform, infrastructure, eventually, generated) -> District:
    """A district of its own, its events stored by reporting."""
    return await stored_district(platform, infrastructure, eventually, generated)


def as_bureau(district: District) -> dict[str, str]:
    return bearer(Role.bureau, district.district_id, "bst-setup")


@pytest.fixture
async def school_admin(platform, infrastructure, district, eventually, mailbox, provider) -> StaffAccount:
    """The first school's 德育主任 (role school_admin), announced by the registry's event and
    activated through the real flow."""
    phone = unique_phone()
    email = f"d{phone}@school.example.cn"
    school = district.schools[0]
    staff_id = f"stf-admin-{uuid.uuid4().hex[:8]}"
    announced = StaffChangedV1(
        producer="registry",
        district_id=district.district_id,
        school_id=school,
        occurred_at=at(date(2026, 11, 20)),
        payload=StaffChanged(
            staff_id=staff_id,
            roles=["school_admin"],
            class_ids=[],
            contacts=StaffContacts(phone=phone, email=email),
            version=1,
        ),
    )
    await publish(infrastructure, [announced])
    staff = StaffAccount(staff_id, "李红", ("school_admin",), phone, email, PASSWORD)
    user = await activate(
        platform.portal, await activation_token(eventually, mailbox, provider, staff, platform), staff
    )
    assert (user["role"], user["school_id"]) == ("school_admin", school), user
    return staff


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def test_a_school_admin_disputes_a_bulletin_figure_and_reads_the_bureaus_rejection(
    platform, district, school_admin, desk
):
    school = district.schools[0]
    published = await platform.reporting.post(f"/v1/bulletins/{MONTH}", headers=as_bureau(district))
    assert published.status_code in (200, 201), published.text
    bulletin = published.json()
    ours = next(r for r in bulletin["document"]["ranking"] if r["school_id"] == school)
    coverage = ours["measures"]["home_visit_coverage"]

    await sign_in_as_staff(desk, school_admin.account, school_admin.password)
    await expect(desk).to_have_url(re.compile(r"/console$"))
    await desk.goto("/console/submissions")

    # the school's figures in October's bulletin, as reporting ranked it
    await expect(desk.get_by_text(f"2026年10月通报 · 第 {bulletin['revision']} 版")).to_be_visible()
    await expect(desk.get_by_text(f"本校排名第 {ours['rank']}。")).to_be_visible()
    figures = desk.locator('[aria-label="本校数据"]')
    row = figures.get_by_role("row").filter(has=desk.get_by_role("cell", name="家访覆盖率", exact=True))
    await expect(row).to_contain_text(percent(coverage["actual"]))
    await expect(row).to_contain_text(percent(coverage["target"]))
    await expect(figures.get_by_role("row").filter(has_text="综合得分")).to_contain_text(
        f"{ours['score']:.1f}"
    )

    # a dispute of 家访覆盖率 with its reason, raised on the page, listed as open
    await row.get_by_role("button", name="对“家访覆盖率”提出异议", exact=True).click()
    await desk.get_by_role("textbox", name="异议理由").fill(REASON)
    await desk.get_by_role("button", name="提交异议").click()
    await expect(desk.get_by_role("status").filter(has_text="已对“家访覆盖率”提出异议")).to_have_text(
        "已对“家访覆盖率”提出异议，等待教育局处理"
    )
    listed = desk.locator('[aria-label="本校的异议"]').get_by_role("row").filter(has_text=REASON)
    await expect(listed).to_contain_text("家访覆盖率")
    await expect(listed).to_contain_text("待处理")
    await expect(listed).to_contain_text(f"第 {bulletin['revision']} 版")
    await accessible_desk(desk, "console-dispute-raised")

    # the bureau sees it, of this school and figure, and rejects it with a note
    disputes = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=as_bureau(district))
    (raised,) = [d for d in disputes.json() if d["reason"] == REASON]
    assert (raised["school_id"], raised["figure"], raised["status"]) == (
        school,
        "home_visit_coverage",
        "open",
    )
    rejected = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes/{raised['dispute_id']}/rejection",
        json={"note": NOTE},
        headers=as_bureau(district),
    )
    assert rejected.status_code == 200, rejected.text

    # read again, the page shows it rejected with the bureau's note
    await desk.reload()
    listed = desk.locator('[aria-label="本校的异议"]').get_by_role("row").filter(has_text=REASON)
    await expect(listed).to_contain_text("未采纳")
    await expect(listed).to_contain_text(NOTE)
    await expect(listed).not_to_contain_text("待处理")
    text = await desk.locator("body").inner_text()
    assert not [name for name in NAMES[1:] if name in text], "another school named on the school's page"
    await accessible_desk(desk, "console-dispute-rejected")
