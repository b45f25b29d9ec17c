"""The bureau's desk (issue 16) in a browser, on the real platform: the dashboard draws its charts
with reporting's figures (counts and rates, no child's name); the bulletin of October is published
on the page, a school disputes a figure through the API, the bureau accepts it on the page and the
second revision appears with its reason; the XLSX downloads through the page and reads back with
its Chinese headers; the printed bulletin (Chromium's print to PDF, A4) is kept as a PNG.

The figures come from a generated district of its own (tests/district_generator.py, as reporting's
own tests use it): three schools with a term of visits, meetings and contacts dated from September,
published to the platform's topics. A bureau member of staff of that district is registered,
activated through the real flow and signs in on the staff page. (console_world's ``bureau_account``
is an officer of ``d-e2e``, whose schools the registry records on the school day, 20 November: none
of them is in October's bulletin, so this module hires its officer in its own district.)
"""

import io
import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import date

import pypdfium2 as pdfium
import pytest
from bearer import bearer
from bulletin_world import MONTH, new_district, percent, publish, stored_district
from console_world import accessible_desk, new_desk
from contracts.events.visits import VisitLogged, VisitLoggedV1
from district_generator import NAMES, TERM, District
from openpyxl import load_workbook
from phone_pages import SCREENSHOTS
from playwright.async_api import Page, expect
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role
from teacher_world import StaffAccount, activate, activation_token, sign_in_as_staff, unique_phone

pytestmark = pytest.mark.infra

BUREAU_PASSWORD = "教育局通报2026十月"
DISPUTE_REASON = "10月20日的家访迟报，请补录"
DECISION_NOTE = "核实无误，予以补录"


@pytest.fixture(scope="module")
def generated() -> District:
    return new_district("d-bureau")


@pytest.fixture
async def district(platform, infrastructure, eventually, generated) -> District:
    """A district of its own, its events stored by reporting."""
    return await stored_district(platform, infrastructure, eventually, generated)


def as_bureau(district: District) -> dict[str, str]:
    return bearer(Role.bureau, district.district_id, "bst-setup")


def as_school_admin(district: District, school_id: str) -> dict[str, str]:
    return bearer(Role.school_admin, district.district_id, f"stf-admin-{school_id}", school_id)


@pytest.fixture
async def bureau(platform, district, eventually, mailbox, provider) -> StaffAccount:
    """A member of the bureau's staff of the district, with an activated portal account."""
    phone = unique_phone()
    email = f"b{phone}@jyj.example.cn"
    hired = await platform.all_services["registry"].post(
        "/v1/bureau-staff", json={"name": "王丽", "phone": phone, "email": email}, headers=as_bureau(district)
    )
    assert hired.status_code == 201, hired.text
    staff = StaffAccount(str(hired.json()["staff_id"]), "王丽", ("bureau",), phone, email, BUREAU_PASSWORD)
    token = await activation_token(eventually, mailbox, provider, staff, platform)
    user = await activate(platform.portal, token, staff)
    assert user["role"] == "bureau", user
    return staff


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def register_pair(platform, district: District, eventually) -> str:
    """Two schools the registry registers today (丹阳小学 helps 松山街道中心小学) as a 结对帮扶 pair;
    returns its id once reporting compares them."""
    registry = platform.all_services["registry"]
    schools = []
    for name in ("丹阳小学", "松山街道中心小学"):
        made = await registry.post(
            "/v1/schools",
            json={"name": name, "level": "primary", "setting": "rural"},
            headers=as_bureau(district),
        )
        assert made.status_code == 201, made.text
        schools.append(str(made.json()["school_id"]))
    paired = await registry.post(
        "/v1/pairs",
        json={
            "supporting_school_id": schools[0],
            "supported_school_ids": [schools[1]],
            "starts_on": SCHOOL_TODAY.isoformat(),
        },
        headers=as_bureau(district),
    )
    assert paired.status_code == 201, paired.text
    pair_id = str(paired.json()["pair_id"])

    async def compared() -> bool:
        answer = await platform.reporting.get(
            f"/v1/pairs/{pair_id}/comparison", params={"term": TERM}, headers=as_bureau(district)
        )
        return answer.status_code == 200 and len(answer.json()["schools"]) == 2

    await eventually(compared, 60)
    return pair_id


async def test_the_dashboard_draws_its_charts_with_reportings_figures_and_names_no_child(
    platform, district, bureau, desk, eventually
):
    pair_id = await register_pair(platform, district, eventually)
    first = district.schools[0]
    confirmed = await platform.reporting.put(
        f"/v1/schools/{first}/submissions/{MONTH}",
        json={"kind": "confirmed"},
        headers=as_school_admin(district, first),
    )
    assert confirmed.status_code in (201, 409), confirmed.text  # 409: confirmed by an earlier test
    api = as_bureau(district)
    overview = (await platform.reporting.get("/v1/overview", params={"term": TERM}, headers=api)).json()
    ranking = (await platform.reporting.get("/v1/rankings", params={"term": TERM}, headers=api)).json()
    completeness = (
        await platform.reporting.get("/v1/completeness", params={"month": MONTH}, headers=api)
    ).json()
    comparison = (
        await platform.reporting.get(f"/v1/pairs/{pair_id}/comparison", params={"term": TERM}, headers=api)
    ).json()

    await sign_in_as_staff(desk, bureau.account, bureau.password)
    await expect(desk).to_have_url(re.compile(r"/bureau$"))

    # the charts are drawn: coverage, 三必访 coverage, the trend and the pair
    charts = desk.locator("[data-chart]")
    await expect(charts).to_have_count(4)
    for i in range(4):
        await expect(charts.nth(i).locator("canvas")).to_have_count(1)

    # the overview's rates, as reporting gives them
    await expect(desk.locator('[data-figure="home_visit_coverage"]')).to_have_text(
        percent(overview["home_visit_coverage"])
    )
    await expect(desk.locator('[data-figure="mandatory_visit_coverage"]')).to_have_text(
        percent(overview["mandatory_visit_coverage"])
    )
    # the ranking in reporting's order, each school's score and coverage beside its name
    rows = desk.get_by_test_id("ranking").locator("tbody tr")
    await expect(rows.locator("th")).to_have_text([s["name"] for s in ranking["schools"]])
    for row, school in zip(await rows.all(), ranking["schools"], strict=True):
        cells = row.locator("td")
        await expect(cells.nth(0)).to_have_text(str(school["rank"]))
        await expect(cells.nth(1)).to_have_text(f"{school['score']:.1f}")
        await expect(cells.nth(2)).to_have_text(percent(school["measures"]["home_visit_coverage"]["actual"]))
    # the policy's weights beside it, in Chinese, as percentages
    weights = desk.get_by_test_id("weights")
    await expect(weights.get_by_role("row", name="家访覆盖率")).to_contain_text(
        percent(ranking["weights"]["weight_home_visit_coverage"])
    )
    await expect(weights.get_by_role("row", name="三必访覆盖率")).to_contain_text(
        percent(ranking["weights"]["weight_mandatory_visit_coverage"])
    )
    # October's completeness: the school that confirmed, on time or late as reporting says
    row = next(r for r in completeness["rows"] if r["school_id"] == first)
    reported = desk.get_by_test_id("completeness").get_by_role("row").filter(has_text=NAMES[0])
    await expect(reported).to_contain_text("已确认")
    await expect(reported).to_contain_text("逾期" if row["late"] else "按时")
    await expect(desk.get_by_test_id("completeness-summary")).to_contain_text(
        f"报送率 {percent(completeness['completeness'])}"
    )
    # the pair side by side: a column per school, the score and each measure as reporting gives them
    pair = desk.get_by_role("region", name="丹阳小学 帮扶 松山街道中心小学")
    await expect(pair.locator("thead th")).to_have_text(
        ["指标", "丹阳小学（帮扶学校）", "松山街道中心小学（受援学校）"]
    )
    await expect(pair.get_by_role("row", name="综合得分").locator("td")).to_have_text(
        [f"{side['score']:.1f}" for side in comparison["schools"]]
    )
    await expect(pair.get_by_role("row", name="家访覆盖率").locator("td")).to_have_text(
        [percent(side["measures"]["home_visit_coverage"]) for side in comparison["schools"]]
    )
    await expect(pair).to_contain_text(f"本学期交流 {comparison['exchanges']} 次")
    # counts and rates only: no child of the district is named anywhere on the page
    text = await desk.locator("body").inner_text()
    assert not [s.name for s in district.students if s.name in text]
    await accessible_desk(desk, "bureau-dashboard")


def png(width: int, height: int, rgb: bytes, stride: int) -> bytes:
    """An RGB bitmap as a PNG file (no imaging library needed for one screenshot)."""
    rows = b"".join(b"\x00" + rgb[y * stride : y * stride + width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def printed_as_png(page: Page, name: str) -> int:
    """Chromium's print of the page to PDF on A4, its first page kept as a PNG; the page count."""
    pdf = await page.pdf(format="A4", print_background=True)
    document = pdfium.PdfDocument(pdf)
    try:
        first = document[0]
        width, height = first.get_size()
        assert abs(width - 595.3) < 2, f"not A4 wide: {width} pt"
        assert abs(height - 841.9) < 2, f"not A4 high: {height} pt"
        bitmap = first.render(scale=1.5, rev_byteorder=True)  # opaque: RGB, three bytes a pixel
        assert bitmap.n_channels == 3
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(
            png(bitmap.width, bitmap.height, bytes(bitmap.buffer), bitmap.stride)
        )
        return len(document)
    finally:
        document.close()


async def late_visit_arrives(platform, infrastructure, eventually, district: District, school: str) -> None:
    """The visit the school said was reported late, dated 20 October, reaches reporting."""
    visited = {v[1] for v in district.visits}
    student = next(s for s in district.students if s.school == school and s.student_id not in visited)
    visit = VisitLoggedV1(
        producer="scheduling",
        district_id=district.district_id,
        school_id=school,
        payload=VisitLogged(
            visit_id=f"vis-late-{uuid.uuid4().hex[:6]}",
            student_id=student.student_id,
            class_id=student.class_id,
            visiting_staff_ids=["stf-x"],
            visited_on=date(2026, 10, 20),
            mode="in_person",
        ),
    )
    await publish(infrastructure, [visit])
    facts = platform.reporting_app.state.store.facts

    async def stored() -> bool:
        return bool(await facts.db["visit_facts"].count_documents({"_id": visit.payload.visit_id}))

    await eventually(stored, 30)
    district.visits.append(
        (visit.payload.visit_id, student.student_id, student.class_id, date(2026, 10, 20), "stf-x")
    )


async def test_the_bureau_publishes_the_bulletin_accepts_a_dispute_and_downloads_the_xlsx(
    platform, infrastructure, district, bureau, desk, eventually
):
    await sign_in_as_staff(desk, bureau.account, bureau.password)
    await expect(desk).to_have_url(re.compile(r"/bureau$"))
    await desk.get_by_role("menuitem", name="通报").click()
    await expect(desk).to_have_url(re.compile(r"/bureau/bulletins$"))
    await expect(desk.get_by_text(f"{MONTH} 的通报尚未发布")).to_be_visible()
    await desk.get_by_role("button", name=f"发布 {MONTH} 通报").click()
    revisions = desk.get_by_test_id("revisions")
    await expect(revisions.get_by_role("row", name=re.compile(r"第 1 版"))).to_contain_text("首次发布")
    api = as_bureau(district)
    published = (await platform.reporting.get(f"/v1/bulletins/{MONTH}", headers=api)).json()
    ranked = desk.get_by_test_id("bulletin-ranking").locator("tbody tr th")
    await expect(ranked).to_have_text([row["name"] for row in published["document"]["ranking"]])

    # the second school disputes its coverage through the API; the late visit then arrives
    second = district.schools[1]
    disputed = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes",
        json={"school_id": second, "figure": "home_visit_coverage", "reason": DISPUTE_REASON},
        headers=as_school_admin(district, second),
    )
    assert disputed.status_code == 201, disputed.text
    await late_visit_arrives(platform, infrastructure, eventually, district, second)

    # the bureau accepts it on the page, with a note: revision 2 appears, its published reason the
    # school, the figure and the note (the school's own words stay on the dispute, for the bureau)
    await desk.reload()
    dispute = desk.get_by_test_id("disputes").get_by_role("row").filter(has_text=DISPUTE_REASON)
    await expect(dispute).to_contain_text("待处理")
    await expect(dispute).to_contain_text(NAMES[1])
    await dispute.get_by_role("button", name="采纳").click()
    dialog = desk.get_by_role("dialog", name="采纳异议并发布新版通报")
    await dialog.get_by_role("button", name="采纳").click()
    await expect(dialog.get_by_role("alert")).to_have_text("请填写处理意见")  # a decision needs a note
    await dialog.get_by_label("处理意见").fill(DECISION_NOTE)
    await dialog.get_by_role("button", name="采纳").click()
    await expect(dialog).to_be_hidden()
    second_revision = revisions.get_by_role("row", name=re.compile(r"第 2 版"))
    published_reason = f"{NAMES[1]} 家访覆盖率：{DECISION_NOTE}"
    await expect(second_revision).to_contain_text(published_reason)
    await expect(second_revision).not_to_contain_text(DISPUTE_REASON)
    await expect(desk.get_by_test_id("revision-reason")).to_contain_text(published_reason)
    changed = desk.get_by_test_id("changes").get_by_role("row").filter(has_text=NAMES[1])
    await expect(changed.filter(has_text="家访覆盖率")).to_have_count(1)
    await expect(dispute).to_contain_text("已采纳")
    await expect(dispute.get_by_role("button", name="采纳")).to_have_count(0)
    listed = (await platform.reporting.get(f"/v1/bulletins/{MONTH}/revisions", headers=api)).json()
    assert [r["revision"] for r in listed] == [1, 2]
    assert listed[1]["reason"] == published_reason

    # another dispute, of revision 2, rejected on the page with a note: no new revision
    first = district.schools[0]
    rejected_reason = "三必访学生已于10月转学，请剔除"
    again = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes",
        json={"school_id": first, "figure": "mandatory_visit_coverage", "reason": rejected_reason},
        headers=as_school_admin(district, first),
    )
    assert again.status_code == 201, again.text
    await desk.reload()
    other = desk.get_by_test_id("disputes").get_by_role("row").filter(has_text=rejected_reason)
    await other.get_by_role("button", name="驳回").click()
    dialog = desk.get_by_role("dialog", name="驳回异议")
    await dialog.get_by_label("处理意见").fill("转学在11月2日，10月数据不变")
    await dialog.get_by_role("button", name="驳回").click()
    await expect(other).to_contain_text("未采纳")
    await expect(other).to_contain_text("转学在11月2日，10月数据不变")
    await expect(revisions.locator("tbody tr")).to_have_count(2)
    disputes = (await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=api)).json()
    assert {d["school_id"]: d["status"] for d in disputes} == {second: "accepted", first: "rejected"}

    # the XLSX of revision 2, downloaded through the page, reads back with its Chinese headers
    async with desk.expect_download() as waiting:
        await desk.get_by_role("link", name="下载 XLSX").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    headers = [cell.value for cell in book["排名"][1]]
    assert headers[:4] == ["排名", "学校", "学校编号", "综合得分"]
    assert {"家访覆盖率", "三必访覆盖率"} <= set(headers)
    revised = (await platform.reporting.get(f"/v1/bulletins/{MONTH}", headers=api)).json()
    assert revised["revision"] == 2
    names = [row[1] for row in book["排名"].iter_rows(min_row=2, values_only=True)]
    assert names == [row["name"] for row in revised["document"]["ranking"]]
    await accessible_desk(desk, "bureau-bulletin")

    # the printed bulletin: its HTML format opened from the page, printed to PDF on A4
    async with desk.context.expect_page() as opening:
        await desk.get_by_role("link", name="打印版（HTML）").click()
    printed = await opening.value
    await printed.wait_for_load_state()
    await expect(printed.locator("h1")).to_have_text("家校社协同育人工作通报")
    await expect(printed.locator("header")).to_contain_text("2026年10月 · 第2版")
    assert await printed_as_png(printed, "bureau-bulletin-printed") >= 1
    await printed.close()
