"""The monthly bulletin as a document people print and open in a spreadsheet, and its disputes, on
the real parts (issue 16): a generated district published to the platform's topics, the bulletin
published through reporting's API and downloaded as HTML, CSV and XLSX (every measure and weight
under its Chinese label, never a raw key; A4; the ranking as an inline SVG with names and values;
percent formats and frozen header rows); disputes listed per role, rejected or accepted by the
bureau only, and settled once."""

import asyncio
import csv
import io
import re
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from bearer import bearer
from district_generator import District, generate
from openpyxl import load_workbook
from reporting.measures import LABELS, SCORED
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra

MONTH = "2026-10"
RAW_KEYS = [*LABELS, *SCORED]


@pytest.fixture(scope="module")
async def district(platform, infrastructure) -> District:
    d = generate(f"d-doc-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY)
    producer = AIOKafkaProducer(**infrastructure.kafka_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in d.events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    facts = platform.reporting_app.state.store.facts
    where = {"district_id": d.district_id}
    registry_events = sum(1 for e in d.events if e.topic.endswith("registry.v1"))

    expected = {
        "visit_facts": len(d.visits),
        "registry_versions": registry_events,
        "contact_facts": len(d.contacts),
    }

    async def counts() -> dict[str, int]:
        return {name: await facts.db[name].count_documents(where) for name in expected}

    deadline = asyncio.get_running_loop().time() + 180  # a new consumer group replays the topics first
    while (found := await counts()) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"reporting stored {found} of {expected}"
        await asyncio.sleep(0.5)
    return d


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
    assert bulletin["labels"]["home_visit_coverage"] == "家访覆盖率"
    assert bulletin["labels"]["weight_guardian_contact"] == "家长月度联系覆盖率权重"
    settings = platform.reporting_app.state.settings
    settings.district_names[district.district_id] = "测试县教育局"
    try:
        page = await platform.reporting.get(
            f"/v1/bulletins/{MONTH}", params={"format": "html", "revision": 1}, headers=bureau_of(district)
        )
    finally:
        del settings.district_names[district.district_id]
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert raw_keys_in(text) == []
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", text)
    header = text[text.index("<header>") : text.index("</header>")]
    assert "测试县教育局" in header
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


async def test_a_district_reporting_has_no_name_for_is_headed_by_its_id(platform, district):
    await published(platform, district)
    page = await platform.reporting.get(
        f"/v1/bulletins/{MONTH}", params={"format": "html", "revision": 1}, headers=bureau_of(district)
    )
    header = page.text[page.text.index("<header>") : page.text.index("</header>")]
    assert district.district_id in header


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
    await published(platform, district)
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
    assert [r["revision"] for r in revisions.json()] == [1]  # a rejection issues no revision

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
    assert "有一次三必访漏录" in page.text
    assert raw_keys_in(page.text) == []
