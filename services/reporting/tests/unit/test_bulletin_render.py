"""The bulletin as documents people read: every measure and weight under its Chinese label (never
a raw key), rates as percentages, the HTML for A4 with a header and an SVG ranking chart, the XLSX
read back with openpyxl, the CSV's header. No I/O."""

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from reporting import bulletin_render
from reporting.bulletin import published_reason
from reporting.measures import LABELS, SCORED

SHANGHAI = ZoneInfo("Asia/Shanghai")


def standing(actual: float, target: float, status: str = "met") -> dict:
    return {"actual": actual, "target": target, "status": status}


def school(rank: int, school_id: str, name: str, score: float, coverage: float, contacts: float) -> dict:
    return {
        "rank": rank,
        "school_id": school_id,
        "name": name,
        "score": score,
        "measures": {
            "home_visit_coverage": standing(coverage, 0.667, "on_track"),
            "mandatory_visit_coverage": standing(1.0, 1.0),
            "class_parent_meetings_per_term": standing(2, 1),
            "guardian_contacts_per_month": standing(contacts, 1.0, "at_risk"),
        },
        "statuses": {"met": 2, "on_track": 1, "at_risk": 1},
    }


DOCUMENT = {
    "district_id": "d-yecheng",
    "month": "2026-10",
    "term": "2026-2027-autumn",
    "as_of": "2026-10-31",
    "weights": {
        "weight_guardian_contact": 0.15,
        "weight_home_visit_coverage": 0.3,
        "weight_mandatory_visit_coverage": 0.3,
        "weight_parent_meetings": 0.15,
        "weight_partner_activities": 0.1,
    },
    "ranking": [
        school(1, "sch-9", "叶城县第九小学", 92.4, 0.875, 0.62),
        school(2, "sch-ls", "良舍小学", 71.0, 0.5, 0.4),
    ],
    "silent_schools": ["sch-ls"],
    "completeness": {"schools": 2, "submitted": 1, "on_time": 1, "completeness": 0.5, "timeliness": 0.5},
    "changes_since_last_month": [{"school_id": "sch-9", "score_change": 3.2, "rank_change": 1}],
}


def record(revision: int = 1, **more) -> dict:
    return {
        "district_id": "d-yecheng",
        "month": "2026-10",
        "revision": revision,
        # 20:30 UTC on 5 November is already 6 November in the schools' zone
        "published_at": datetime(2026, 11, 5, 20, 30, tzinfo=UTC),
        "document": DOCUMENT,
        "reason": None,
        "changes": [],
    } | more


RAW_KEYS = [*LABELS, *SCORED]


def raw_keys_in(text: str) -> list[str]:
    return [key for key in RAW_KEYS if key in text]


def test_every_measure_and_weight_has_a_chinese_label() -> None:
    for key in [*LABELS, *SCORED]:
        assert re.search(r"[\u4e00-\u9fff]", bulletin_render.label(key)), key
    assert bulletin_render.label("home_visit_coverage") == "家访覆盖率"
    assert bulletin_render.label("weight_guardian_contact") == "家长月度联系覆盖率权重"


def test_rates_read_as_percentages_and_counts_as_numbers() -> None:
    assert bulletin_render.figure("home_visit_coverage", 0.875) == "87.5%"
    assert bulletin_render.figure("class_parent_meetings_per_term", 2.0) == "2"
    assert bulletin_render.weight(0.15) == "15%"
    assert bulletin_render.weight(0.125) == "12.5%"


def test_the_html_names_every_measure_and_weight_in_chinese_and_no_raw_key() -> None:
    page = bulletin_render.as_html(record(), "叶城县教育局", SHANGHAI)
    assert raw_keys_in(page) == []
    for words in ("家访覆盖率", "三必访覆盖率", "班级家长会次数", "家长月度联系覆盖率"):
        assert f"<th>{words}<span" in page  # a column of the measures table
    assert "家长月度联系覆盖率 15%" in page  # a weight beside the ranking
    assert "家访覆盖率 30%" in page
    assert "87.5%" in page
    assert "0.875" not in page
    assert "报送率 50.0%" in page


def test_the_html_prints_on_a4_with_the_district_month_revision_and_publication_day() -> None:
    page = bulletin_render.as_html(
        record(2, reason="良舍小学 家访覆盖率：予以补录"), "叶城县教育局", SHANGHAI
    )
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", page)
    assert re.search(r"@page\s*\{[^}]*margin:", page)
    header = page[page.index("<header>") : page.index("</header>")]
    assert "叶城县教育局" in header
    assert "2026年10月" in header
    assert "第2版" in header
    assert "发布日期 2026年11月6日" in header  # the day in the schools' zone
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_a_district_reporting_has_no_name_for_is_headed_by_its_id() -> None:
    page = bulletin_render.as_html(record(), None, SHANGHAI)
    assert '<p class="issuer">d-yecheng</p>' in page


def test_the_ranking_chart_is_an_inline_svg_with_each_schools_name_and_score() -> None:
    page = bulletin_render.as_html(record(), None, SHANGHAI)
    svg = page[page.index("<svg") : page.index("</svg>")]
    for name, score in (("叶城县第九小学", "92.4"), ("良舍小学", "71.0")):
        assert name in svg
        assert re.search(rf">{re.escape(score)}</text>", svg), score
    bars = re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)
    assert len(bars) == 2
    assert float(bars[0]) > float(bars[1])


def test_a_later_revision_shows_what_changed_and_why_in_words() -> None:
    changes = [
        {"school_id": "sch-ls", "figure": "home_visit_coverage", "from": 0.45, "to": 0.5},
        {"school_id": "sch-ls", "figure": "score", "from": 69.5, "to": 71.0},
    ]
    page = bulletin_render.as_html(record(2, reason="良舍小学 家访覆盖率：予以补录", changes=changes))
    note = page[page.index('<section class="revision">') : page.index("</section>")]
    assert "第2版修订说明" in note
    assert "修订原因：良舍小学 家访覆盖率：予以补录" in note
    assert "良舍小学 家访覆盖率：45.0% → 50.0%" in note
    assert "良舍小学 综合得分：69.5 → 71.0" in note
    first = bulletin_render.as_html(record(1))
    assert "修订说明" not in first


def test_the_csv_has_chinese_headers_a_bom_and_rates_as_percentages() -> None:
    text = bulletin_render.as_csv(DOCUMENT)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:4] == ["排名", "学校", "学校编号", "综合得分"]
    assert "家访覆盖率" in rows[0]
    assert "家访覆盖率状态" in rows[0]
    assert "家长月度联系覆盖率" in rows[0]
    assert raw_keys_in(text) == []
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["家访覆盖率"] == "87.5%"
    assert first["家访覆盖率状态"] == "进度正常"
    assert first["班级家长会次数"] == "2"
    assert rows[-2][:3] == ["综合得分权重", "家访覆盖率 30%", "三必访覆盖率 30%"]
    assert rows[-1] == ["未报送且无记录的学校", "良舍小学"]


def test_the_xlsx_reads_back_with_chinese_headers_percent_formats_and_frozen_headers() -> None:
    heading = bulletin_render.Heading.of(record(), "叶城县教育局", SHANGHAI)
    book = load_workbook(io.BytesIO(bulletin_render.as_xlsx(DOCUMENT, heading)))
    assert book.sheetnames == ["排名", "未报送", "权重"]
    ranking = book["排名"]
    headers = [c.value for c in ranking[1]]
    assert headers[:4] == ["排名", "学校", "学校编号", "综合得分"]
    coverage = headers.index("家访覆盖率") + 1
    rate = ranking.cell(row=2, column=coverage)
    assert rate.value == pytest.approx(0.875)
    assert "%" in rate.number_format
    assert ranking.cell(row=2, column=4).number_format == "0.0"  # the score
    assert ranking.freeze_panes == "C2"
    assert ranking.column_dimensions["B"].width >= 20
    assert ranking.print_title_rows == "$1:$1"
    assert "第1版" in ranking.oddHeader.center.text
    assert book["未报送"].freeze_panes == "A2"
    weights = {row[0].value: row[1] for row in book["权重"].iter_rows(min_row=2)}
    assert set(weights) == {bulletin_render.label(k) for k in DOCUMENT["weights"]}
    assert weights["家访覆盖率权重"].value == pytest.approx(0.3)
    assert "%" in weights["家访覆盖率权重"].number_format
    every_cell = " ".join(
        str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    )
    assert raw_keys_in(every_cell) == []


def test_the_labels_the_api_gives_name_every_measure_and_weight_by_its_short_name() -> None:
    labels = bulletin_render.labels_of(DOCUMENT)
    assert labels["home_visit_coverage"] == "家访覆盖率"
    assert labels["mandatory_visit_coverage"] == "三必访覆盖率"
    assert labels["guardian_contacts_per_month"] == "家长月度联系覆盖率"
    assert labels["weight_parent_meetings"] == "班级家长会次数权重"
    assert labels["score"] == "综合得分"
    # every measure the policy knows, also one no school of this document has
    assert labels["open_days_per_term"] == "开放日次数"
    assert set(labels) == {*LABELS, *SCORED, "score"}
    assert not [name for name in labels.values() if "(" in name]  # short names, no explanations


PUPIL = "艾力·买买提"  # a child a school's dispute might name
DISPUTE = {
    "_id": "dsp-1",
    "school_id": "sch-ls",
    "figure": "home_visit_coverage",
    "reason": f"{PUPIL}的家访10月20日已完成，因网络故障迟录",
}


def test_a_disputes_reason_naming_a_pupil_appears_in_no_format_of_the_revision() -> None:
    accepted = record(2, reason=published_reason(DOCUMENT, DISPUTE, "予以补录"), dispute_id="dsp-1")
    page = bulletin_render.as_html(accepted, "叶城县教育局", SHANGHAI)
    assert "良舍小学 家访覆盖率：予以补录" in page
    table = bulletin_render.as_csv(accepted["document"])
    book = load_workbook(
        io.BytesIO(
            bulletin_render.as_xlsx(
                accepted["document"], bulletin_render.Heading.of(accepted, "叶城县教育局", SHANGHAI)
            )
        )
    )
    cells = " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    for text in (page, table, cells):
        assert PUPIL not in text
        assert "网络故障" not in text
