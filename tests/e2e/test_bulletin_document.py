"""The monthly bulletin as a document people print and open in a spreadsheet, and its disputes, on
the real parts (issue 16): a generated district published to the platform's topics, the bulletin
published through reporting's API and downloaded as HTML, CSV and XLSX (every measure and weight
under its Chinese label, never a raw key; A4; the ranking as an inline SVG with names and values;
percent formats and frozen header rows); disputes listed per role, rejected or accepted by the
bureau only, and settled once: accepting the same dispute twice publishes one revision, whose
published reason is the school, the figure and the bureau's note, never the school's own words
(which may name a child). The district's name in the header comes from reporting's settings on the
test platform (bulletin_world.NAMED_DISTRICT)."""

import asyncio
import csv
import io
import re

import pytest
from bearer import bearer
from bulletin_world import MONTH, NAMED_DISTRICT, NAMED_DISTRICT_NAME, new_district, stored_district
from district_generator import District
from openpyxl import load_workbook
from reporting.measures import LABELS, SCORED
from service_kit.auth import Role

pytestmark = pytest.mark.infra

RAW_KEYS = [*LABELS, *SCORED]


@pytest.fixture(scope="module")
def generated() -> District:
    """The module's district, named in reporting's settings (bulletin_world.NAMED_DISTRICT)."""
    return new_district("d-doc", NAMED_DISTRICT)


@pytest.fixture(scope="module")
def generated_unnamed() -> District:
    return new_district("d-doc-unnamed")


@pytest.fixture
async def district(platform, infrastructure, eventually, generated) -> District:
    return await stored_district(platform, infrastructure, eventually, generated)


@pytest.fixture
async def unnamed_district(platform, infrastructure, eventually, generated_unnamed) -> District:
    return await stored_district(platform, infrastructure, eventually, generated_unnamed)


def bureau_of(d: District) -> dict[str, str]:
    return bearer(Role.bureau, d.district_id, "bur-1")


def admin_of(d: District, school: str) -> dict[str, str]:
    return bearer(Role.school_admin, d.district_id, f"adm-{school}", school)


async def published(platform, d: District) -> dict:
    answer = await platform.reporting.post(f"/v1/bulletins/{MONTH}", headers=bureau_of(d))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def raw_keys_in(text: str) -> list[str]:
    return [key for key in RAW_KEYS if key in text]


async def test_the_published_bulletin_prints_on_a4_with_chinese_labels_and_a_ranking_chart(
    platform, district
):
    bulletin = await published(platform, district)
    page = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}", params={"format": "html", "revision": 1}, headers=bureau_of(district)
    )
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert raw_keys_in(text) == []
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", text)
    header = text[text.index("<header>") : text.index("</header>")]
    assert NAMED_DISTRICT_NAME in header
    assert "2026年10月" in header
    assert "第1版" in header
    assert "发布日期 " in header
    for words in ("家访覆盖率", "三必访覆盖率", "家长月度联系覆盖率"):
        assert f"<th>{words}<span" in text
    assert "家访覆盖率 30%" in text  # the default policy's weight, by the measure it weighs
    svg = text[text.index("<svg") : text.index("</svg>")]
    for row in bulletin["document"]["ranking"]:
        assert row["name"] in svg
        assert f">{row['score']:.1f}</text>" in svg
    coverage = bulletin["document"]["ranking"][0]["measures"]["home_visit_coverage"]["actual"]
    assert f"{coverage * 100:.1f}%" in text
    assert "<script" not in text


async def test_a_district_reporting_has_no_name_for_is_headed_by_its_id(platform, unnamed_district):
    await published(platform, unnamed_district)
    page = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}",
        params={"format": "html", "revision": 1},
        headers=bureau_of(unnamed_district),
    )
    header = page.text[page.text.index("<header>") : page.text.index("</header>")]
    assert f'<p class="issuer">{unnamed_district.district_id}</p>' in header
    assert NAMED_DISTRICT_NAME not in header


async def test_the_bulletins_labels_name_every_measure_and_weight_by_its_short_name(platform, district):
    bulletin = await published(platform, district)
    labels = bulletin["labels"]
    assert labels["home_visit_coverage"] == "家访覆盖率"
    assert labels["mandatory_visit_coverage"] == "三必访覆盖率"
    assert labels["guardian_contacts_per_month"] == "家长月度联系覆盖率"
    assert labels["weight_guardian_contact"] == "家长月度联系覆盖率权重"
    assert labels["score"] == "综合得分"
    assert set(labels) >= {*RAW_KEYS, "score"}  # every measure the policy knows, and every weight
    assert not [name for name in labels.values() if "(" in name]  # the short names, not explained


async def test_the_csv_and_the_xlsx_have_the_same_chinese_headers_and_rates_as_percentages(
    platform, district
):
    bulletin = await published(platform, district)
    first = bulletin["document"]["ranking"][0]
    table = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}", params={"format": "csv", "revision": 1}, headers=bureau_of(district)
    )
    assert table.status_code == 200, table.text
    assert table.content.startswith("\ufeff".encode())  # a BOM: Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:4] == ["排名", "学校", "学校编号", "综合得分"]
    assert "家访覆盖率" in header
    assert "家访覆盖率状态" in header
    assert raw_keys_in(table.text) == []
    assert (
        rows[1][header.index("家访覆盖率")]
        == f"{first['measures']['home_visit_coverage']['actual'] * 100:.1f}%"
    )

    sheet = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}", params={"format": "xlsx", "revision": 1}, headers=bureau_of(district)
    )
    assert sheet.status_code == 200, sheet.text
    book = load_workbook(io.BytesIO(sheet.content))
    ranking = book["排名"]
    assert [c.value for c in ranking[1]] == header
    rate = ranking.cell(row=2, column=header.index("家访覆盖率") + 1)
    assert rate.value == pytest.approx(first["measures"]["home_visit_coverage"]["actual"])
    assert "%" in rate.number_format
    assert ranking.freeze_panes == "C2"
    assert "第1版" in ranking.oddHeader.center.text
    weights = [row[0].value for row in book["权重"].iter_rows(min_row=2)]
    assert "家访覆盖率权重" in weights
    every_cell = " ".join(str(cell.value) for ws in book.worksheets for row in ws.iter_rows() for cell in row)
    assert raw_keys_in(every_cell) == []


async def test_disputes_are_listed_per_role_and_a_rejected_one_is_settled_once_by_the_bureau(
    platform, district
):
    bulletin = await published(platform, district)
    names = {row["school_id"]: row["name"] for row in bulletin["document"]["ranking"]}
    ours, theirs = district.schools[0], district.schools[1]
    raised = {}
    for school in (ours, theirs):
        answer = await platform.reporting.post(
            f"/v1/bulletins/{MONTH}/disputes",
            json={"school_id": school, "figure": "mandatory_visit_coverage", "reason": "有一次三必访漏录"},
            headers=admin_of(district, school),
        )
        assert answer.status_code == 201, answer.text
        raised[school] = answer.json()["dispute_id"]

    listed = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=bureau_of(district))
    assert listed.status_code == 200, listed.text
    assert {d["dispute_id"] for d in listed.json()} >= set(raised.values())
    mine = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=admin_of(district, ours))
    assert mine.status_code == 200, mine.text
    assert {d["school_id"] for d in mine.json()} == {ours}
    assert raised[ours] in {d["dispute_id"] for d in mine.json()}
    other_district = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}/disputes", headers=bearer(Role.bureau, "d-elsewhere", "bur-x")
    )
    assert other_district.json() == []

    rejection = f"/v1/bulletins/{MONTH}/disputes/{raised[ours]}/rejection"
    by_school = await platform.reporting.post(
        rejection, json={"note": "自行驳回"}, headers=admin_of(district, ours)
    )
    assert by_school.status_code == 403, by_school.text
    rejected = await platform.reporting.post(
        rejection, json={"note": "经核实，原数据无误"}, headers=bureau_of(district)
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decided_note"] == "经核实，原数据无误"
    assert rejected.json()["decided_by"] == "bur-1"
    again = await platform.reporting.post(rejection, json={"note": "再次"}, headers=bureau_of(district))
    assert again.status_code == 409, again.text
    accepted_after = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes/{raised[ours]}/acceptance",
        json={"note": "改为采纳"},
        headers=bureau_of(district),
    )
    assert accepted_after.status_code == 409, accepted_after.text

    seen = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=admin_of(district, ours))
    decided = next(d for d in seen.json() if d["dispute_id"] == raised[ours])
    assert decided["status"] == "rejected"
    assert decided["decided_note"] == "经核实，原数据无误"
    revisions = await platform.reporting.get(f"/v1/bulletins/{MONTH}/revisions", headers=bureau_of(district))
    assert [r["revision"] for r in revisions.json()] == [bulletin["revision"]]  # a rejection issues none

    # the other school's dispute, accepted: a new revision, recorded on the dispute
    accepted = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes/{raised[theirs]}/acceptance",
        json={"note": "核实无误，予以补录"},
        headers=bureau_of(district),
    )
    assert accepted.status_code == 201, accepted.text
    number = accepted.json()["revision"]
    assert number >= 2
    listed = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=bureau_of(district))
    theirs_now = next(d for d in listed.json() if d["dispute_id"] == raised[theirs])
    assert theirs_now["status"] == "accepted"
    assert theirs_now["decided_revision"] == number
    assert theirs_now["decided_note"] == "核实无误，予以补录"
    assert theirs_now["revision"] == 1  # the revision disputed stays as raised
    page = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}", params={"format": "html"}, headers=bureau_of(district)
    )
    header = page.text[page.text.index("<header>") : page.text.index("</header>")]
    assert f"第{number}版" in header
    assert f"第{number}版修订说明" in page.text
    assert f"修订原因：{names[theirs]} 三必访覆盖率：核实无误，予以补录" in page.text
    assert "有一次三必访漏录" not in page.text  # the school's own words stay on the dispute
    assert raw_keys_in(page.text) == []


async def bulletin_texts(platform, d: District, revision: int) -> dict[str, str]:
    """Every format of a revision as text: JSON, HTML, CSV, each XLSX cell and its printed header,
    and the list of revisions."""
    where = f"/v1/bulletins/{MONTH}"
    texts = {}
    for form in ("json", "html", "csv"):
        answer = await platform.reporting.get(
            where, params={"format": form, "revision": revision}, headers=bureau_of(d)
        )
        assert answer.status_code == 200, answer.text
        texts[form] = answer.text
    sheet = await platform.reporting.get(
        where, params={"format": "xlsx", "revision": revision}, headers=bureau_of(d)
    )
    book = load_workbook(io.BytesIO(sheet.content))
    texts["xlsx"] = " ".join(
        [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
        + [ws.oddHeader.center.text or "" for ws in book.worksheets]
    )
    texts["revisions"] = (await platform.reporting.get(f"{where}/revisions", headers=bureau_of(d))).text
    return texts


async def test_an_accepted_disputes_own_reason_naming_a_pupil_is_in_no_format_of_the_bulletin(
    platform, district
):
    bulletin = await published(platform, district)
    school = district.schools[2]
    name = next(row["name"] for row in bulletin["document"]["ranking"] if row["school_id"] == school)
    pupil = next(s.name for s in district.students if s.school == school)
    reason = f"{pupil}的家访10月20日已完成，因网络故障迟录"
    raised = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes",
        json={"school_id": school, "figure": "home_visit_coverage", "reason": reason},
        headers=admin_of(district, school),
    )
    assert raised.status_code == 201, raised.text
    accepted = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes/{raised.json()['dispute_id']}/acceptance",
        json={"note": "予以补录"},
        headers=bureau_of(district),
    )
    assert accepted.status_code == 201, accepted.text
    revision = accepted.json()
    assert revision["reason"] == f"{name} 家访覆盖率：予以补录"

    texts = await bulletin_texts(platform, district, revision["revision"])
    for form, text in texts.items():
        assert pupil not in text, form
        assert "网络故障" not in text, form
    assert f"修订原因：{name} 家访覆盖率：予以补录" in texts["html"]
    # the school's own words stay on the dispute: the bureau and that school read them
    mine = await platform.reporting.get(f"/v1/bulletins/{MONTH}/disputes", headers=admin_of(district, school))
    assert reason in {d["reason"] for d in mine.json()}


async def test_accepting_the_same_dispute_twice_publishes_one_revision(platform, district):
    await published(platform, district)
    school = district.schools[1]
    raised = await platform.reporting.post(
        f"/v1/bulletins/{MONTH}/disputes",
        json={"school_id": school, "figure": "guardian_contacts_per_month", "reason": "9月的联系记录漏报"},
        headers=admin_of(district, school),
    )
    assert raised.status_code == 201, raised.text
    where = f"/v1/bulletins/{MONTH}"
    before = (await platform.reporting.get(f"{where}/revisions", headers=bureau_of(district))).json()
    acceptance = f"{where}/disputes/{raised.json()['dispute_id']}/acceptance"

    # two clicks at once, then a third after both answered
    answers = await asyncio.gather(
        *[
            platform.reporting.post(acceptance, json={"note": "予以补录"}, headers=bureau_of(district))
            for _ in range(2)
        ]
    )
    answers.append(
        await platform.reporting.post(acceptance, json={"note": "予以补录"}, headers=bureau_of(district))
    )
    given = [a.json()["revision"] for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code != 201]
    assert given, [a.text for a in answers]
    assert len(set(given)) == 1  # whoever answered 201 answered the same revision
    assert all(a.status_code == 409 and a.json()["type"].endswith("dispute-closed") for a in refused)
    assert answers[-1].status_code == 409  # once settled, settled

    after = (await platform.reporting.get(f"{where}/revisions", headers=bureau_of(district))).json()
    assert [r["revision"] for r in after] == [r["revision"] for r in before] + given[:1]
    listed = await platform.reporting.get(f"{where}/disputes", headers=bureau_of(district))
    settled = next(d for d in listed.json() if d["dispute_id"] == raised.json()["dispute_id"])
    assert (settled["status"], settled["decided_revision"]) == ("accepted", given[0])
