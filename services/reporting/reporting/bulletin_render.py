"""A published bulletin as the documents people read, print and open in a spreadsheet: HTML for A4
with a header (the district, the month, the revision, the day published), the ranking as an inline
SVG bar chart and a table of each school's measures; CSV (UTF-8 with a BOM, so Excel reads the
Chinese right) and XLSX with the same headers. Every measure and weight appears under its Chinese
label (``measures.SHORT_LABELS``, ``measures.WEIGHT_LABELS``), rates as percentages. No I/O.

The HTML stands alone: no script and nothing fetched (the portal's CSP is ``default-src 'self'``
with inline styles allowed), so it prints the same from the browser, the portal or a saved file.
"""

import csv
import html
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from service_kit.storage import Document

from reporting.measures import LABELS, RATES, SCORED, SHORT_LABELS, WEIGHT_LABELS

STATUS_ZH = {"met": "达标", "on_track": "进度正常", "at_risk": "有风险", "missed": "未达标"}
TERM_KINDS_ZH = {"autumn": "秋季学期", "spring": "春季学期"}
TITLE = "家校社协同育人工作通报"
SCORE = "综合得分"
RATE_FORMAT, SCORE_FORMAT, COUNT_FORMAT = "0.0%", "0.0", "0"


def label(key: str) -> str:
    """A measure's or a weight's name for people: 家访覆盖率, 家访覆盖率权重."""
    return SHORT_LABELS.get(key) or WEIGHT_LABELS.get(key) or key


def weights_of(document: dict[str, Any]) -> list[tuple[str, float]]:
    """The score's weights in the policy's order (the measures' order), each with its value."""
    given = document["weights"]
    order = [*SCORED, *sorted(given.keys() - SCORED.keys())]
    return [(key, given[key]) for key in order if key in given]


def weight_line(document: dict[str, Any]) -> list[str]:
    """家访覆盖率 30%, … : each weight by the measure it weighs."""
    return [f"{label(key).removesuffix('权重')} {weight(value)}" for key, value in weights_of(document)]


def labels_of(document: dict[str, Any]) -> dict[str, str]:
    """The short Chinese name of every measure and weight (those of the document first, in its
    order, then any other the policy knows) and of the score, for a page that shows them."""
    keys = [*measure_keys(document), *SHORT_LABELS, *document["weights"], *WEIGHT_LABELS]
    return {key: label(key) for key in keys} | {"score": SCORE}


def month_zh(month: str) -> str:
    """2026-10 → 2026年10月."""
    return f"{int(month[:4])}年{int(month[5:7])}月"


def day_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def term_zh(term: str) -> str:
    """2026-2027-autumn → 2026-2027学年秋季学期."""
    return f"{term[:9]}学年{TERM_KINDS_ZH.get(term[10:], term[10:])}"


def percent(value: float) -> str:
    """0.875 → 87.5%."""
    return f"{value * 100:.1f}%"


def weight(value: float) -> str:
    """0.15 → 15%, 0.125 → 12.5%."""
    return f"{round(value * 100, 1):g}%"


def figure(key: str, value: float | None) -> str:
    """A measure's value as read: a rate as a percentage, a count as a number, the score to 0.1."""
    if value is None:
        return "—"
    if key in RATES:
        return percent(value)
    if key == "score":
        return f"{value:.1f}"
    return f"{value:g}"


def measure_keys(document: dict[str, Any]) -> list[str]:
    """The measures any school of the bulletin has, in the policy's order."""
    present = {key for row in document["ranking"] for key in row["measures"]}
    return [key for key in LABELS if key in present] + sorted(present - LABELS.keys())


def published_on(record: Document, zone: ZoneInfo) -> date:
    moment: datetime = record["published_at"]
    if moment.tzinfo is None:  # the store gives back UTC without a zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class Heading:
    """What the document's header names: who issues it, which month, which revision, and when."""

    issuer: str  # the district's name, or its id where reporting does not know the name
    month: str
    revision: int
    published: date

    @classmethod
    def of(cls, record: Document, district_name: str | None, zone: ZoneInfo) -> "Heading":
        return cls(
            district_name or record["district_id"],
            record["month"],
            record["revision"],
            published_on(record, zone),
        )

    @property
    def line(self) -> str:
        return f"{month_zh(self.month)} · 第{self.revision}版 · 发布日期 {day_zh(self.published)}"


# Rows: the ranking table shared by CSV and XLSX ------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # rank, text, score, rate, count, status
    key: str | None = None  # the measure, for its figure and status
    width: float = 14


def columns(document: dict[str, Any]) -> list[Column]:
    found = [
        Column("排名", "rank", width=6),
        Column("学校", "text", width=24),
        Column("学校编号", "text", width=18),
        Column(SCORE, "score", width=10),
    ]
    for key in measure_keys(document):
        found.append(
            Column(label(key), "rate" if key in RATES else "count", key, max(12, 2.2 * len(label(key))))
        )
        found.append(Column(f"{label(key)}状态", "status", key, 12))
    return found


def cells(document: dict[str, Any], row: dict[str, Any]) -> list[Any]:
    """One school's row as values: numbers stay numbers (a rate 0..1), statuses in words."""
    values: list[Any] = []
    for column in columns(document):
        standing = row["measures"].get(column.key or "", {})
        if column.kind == "rank":
            values.append(row["rank"])
        elif column.header == "学校":
            values.append(row["name"])
        elif column.header == "学校编号":
            values.append(row["school_id"])
        elif column.kind == "score":
            values.append(row["score"])
        elif column.kind == "status":
            values.append(STATUS_ZH.get(standing.get("status", ""), ""))
        else:
            values.append(standing.get("actual"))
    return values


def names_of(document: dict[str, Any]) -> dict[str, str]:
    return {row["school_id"]: row["name"] for row in document["ranking"]}


def silent_names(document: dict[str, Any]) -> list[str]:
    names = names_of(document)
    return [names.get(school_id, school_id) for school_id in document["silent_schools"]]


def as_csv(document: dict[str, Any]) -> str:
    """The ranking table with rates as percentages, then the weights and the silent schools."""
    out = io.StringIO()
    writer = csv.writer(out)
    table = columns(document)
    writer.writerow([c.header for c in table])
    for row in document["ranking"]:
        writer.writerow(
            [
                figure(c.key, value) if c.kind in ("rate", "count") and c.key and value is not None else value
                for c, value in zip(table, cells(document, row), strict=True)
            ]
        )
    writer.writerow([])
    writer.writerow([f"{SCORE}权重", *weight_line(document)])
    writer.writerow(["未报送且无记录的学校", *silent_names(document)])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read the Chinese right


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _header(sheet: Worksheet, headers: list[str], widths: list[float]) -> None:
    sheet.append(headers)
    for number, (cell, width) in enumerate(zip(sheet[1], widths, strict=True), start=1):
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.print_title_rows = "1:1"  # the header on every printed page


def _for_print(sheet: Worksheet, heading: Heading | None, landscape: bool = False) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if landscape:
        sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    header, footer = sheet.oddHeader, sheet.oddFooter
    if heading is not None and header is not None and footer is not None:
        header.center.text = f"{heading.issuer} {TITLE} {heading.line}"
        footer.center.text = "第 &P 页，共 &N 页"


def as_xlsx(document: dict[str, Any], heading: Heading | None = None) -> bytes:
    """Three sheets (排名, 未报送, 权重) under Chinese headers, the header row frozen and repeated
    on every printed page; rates as numbers formatted 0.0%, so they sort and sum."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "排名"
    table = columns(document)
    _header(sheet, [c.header for c in table], [c.width for c in table])
    formats = {"rate": RATE_FORMAT, "score": SCORE_FORMAT, "count": COUNT_FORMAT, "rank": COUNT_FORMAT}
    for row in document["ranking"]:
        sheet.append(cells(document, row))
        for cell, column in zip(sheet[sheet.max_row], table, strict=True):
            if column.kind in formats:
                cell.number_format = formats[column.kind]
    sheet.freeze_panes = "C2"  # the header row, and each row's rank and school, stay in sight
    _for_print(sheet, heading, landscape=True)

    silent = book.create_sheet("未报送")
    _header(silent, ["学校编号", "学校"], [18, 24])
    names = names_of(document)
    for school_id in document["silent_schools"]:
        silent.append([school_id, names.get(school_id, "")])
    silent.freeze_panes = "A2"
    _for_print(silent, heading)

    weights = book.create_sheet("权重")
    _header(weights, ["指标", "权重"], [28, 10])
    for key, value in weights_of(document):
        weights.append([label(key), value])
        weights.cell(row=weights.max_row, column=2).number_format = RATE_FORMAT
    weights.freeze_panes = "A2"
    _for_print(weights, heading)

    if heading is not None:
        book.properties.title = f"{heading.issuer} {TITLE} {heading.line}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# HTML -----------------------------------------------------------------------------------------------

STYLE = """
@page{size:A4;margin:16mm 14mm 18mm}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
color:#1a1a1a;margin:2em auto;max-width:190mm;font-size:11pt;line-height:1.5}
header{border-bottom:2px solid #8b0000;padding-bottom:.5em;margin-bottom:1em;text-align:center}
.issuer{font-size:13pt;letter-spacing:.2em;margin:0}
h1{font-size:18pt;margin:.2em 0;color:#8b0000}
.meta{margin:0;color:#333}
h2{font-size:13pt;border-left:4px solid #8b0000;padding-left:.5em;margin:1.2em 0 .5em}
table{border-collapse:collapse;width:100%;font-size:9pt}
th,td{border:1px solid #999;padding:3px 5px;text-align:center}
th{background:#eef2f7}
td.name{text-align:left}
thead{display:table-header-group}
tr,svg,li{break-inside:avoid}
.target{display:block;font-weight:normal;color:#555}
.status{display:block;font-size:8pt}
.met{color:#1d6b2f}.on_track{color:#1f4e99}.at_risk{color:#9a5b00}.missed{color:#a01010}
svg{display:block;max-width:100%;height:auto}
.revision{border:1px solid #c9a227;background:#fffbea;padding:.5em 1em}
@media print{body{margin:0;max-width:none}}
"""


def chart(document: dict[str, Any]) -> str:
    """The ranking as horizontal bars, 0 to 100, each with the school's name and its score."""
    rows = document["ranking"]
    left, span, step, top = 190, 400, 26, 22
    height = top + step * len(rows) + 6
    caption = f"{SCORE}（满分 100）"
    parts = [
        f'<text x="{left - 8}" y="{top - 6}" font-size="10" fill="#555" text-anchor="end">{caption}</text>'
    ]
    for tick in range(0, 101, 20):
        x = left + span * tick / 100
        parts.append(
            f'<line x1="{x:.0f}" y1="{top - 4}" x2="{x:.0f}" y2="{height - 4}" stroke="#ddd"/>'
            f'<text x="{x:.0f}" y="{top - 6}" font-size="9" fill="#777" text-anchor="middle">{tick}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * step
        width = span * max(0.0, min(row["score"], 100.0)) / 100
        name = html.escape(f"{row['rank']}. {row['name']}")
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" font-size="12" text-anchor="end">{name}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{width:.1f}" height="16" fill="#2b6cb0">'
            f"<title>{name}：{row['score']:.1f}</title></rect>"
            f'<text x="{left + width + 5:.1f}" y="{y + 14}" font-size="11">{row["score"]:.1f}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 {height}" width="640" '
        f'height="{height}" role="img" aria-label="各校{SCORE}排名">{"".join(parts)}</svg>'
    )


def _measure_table(document: dict[str, Any]) -> str:
    e = html.escape
    keys = measure_keys(document)
    targets: dict[str, float] = {}
    for row in document["ranking"]:
        for key, standing in row["measures"].items():
            targets.setdefault(key, standing["target"])
    moved = {c["school_id"]: c for c in document.get("changes_since_last_month", [])}
    head = "<th>排名</th><th>学校</th><th>综合得分</th><th>较上月</th>" + "".join(
        f'<th>{e(label(k))}<span class="target">目标 {figure(k, targets.get(k))}</span></th>' for k in keys
    )
    body = []
    for row in document["ranking"]:
        change = moved.get(row["school_id"])
        since = (
            f"{change['score_change']:+.1f} 分"
            + (f"，名次 {change['rank_change']:+d}" if change["rank_change"] else "")
            if change
            else "—"
        )
        measures = []
        for key in keys:
            standing = row["measures"].get(key)
            if standing is None:
                measures.append("<td>—</td>")
                continue
            status = standing["status"]
            measures.append(
                f"<td>{figure(key, standing['actual'])}"
                f'<span class="status {e(status)}">{STATUS_ZH.get(status, "")}</span></td>'
            )
        body.append(
            f'<tr><td>{row["rank"]}</td><td class="name">{e(row["name"])}</td>'
            f"<td>{row['score']:.1f}</td><td>{since}</td>{''.join(measures)}</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _revision_note(record: Document) -> str:
    if record["revision"] <= 1:
        return ""
    e = html.escape
    names = names_of(record["document"])
    changes = "".join(
        f"<li>{e(names.get(c['school_id'], c['school_id']))} "
        f"{e(SCORE if c['figure'] == 'score' else label(c['figure']))}："
        f"{figure(c['figure'], c['from'])} → {figure(c['figure'], c['to'])}</li>"
        for c in record["changes"]
    )
    return (
        f'<section class="revision"><h2>第{record["revision"]}版修订说明</h2>'
        f"<p>修订原因：{e(record.get('reason') or '')}</p>"
        f"<ul>{changes or '<li>各项数据未变</li>'}</ul></section>"
    )


def as_html(record: Document, district_name: str | None = None, zone: ZoneInfo | None = None) -> str:
    document = record["document"]
    heading = Heading.of(record, district_name, zone or ZoneInfo("Asia/Shanghai"))
    e = html.escape
    weights = e("，".join(weight_line(document)))
    share = document["completeness"]
    silent = "、".join(silent_names(document)) or "无"
    title = f"{heading.issuer} {month_zh(heading.month)} {TITLE}（第{heading.revision}版）"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{STYLE}</style></head><body>
<header>
<p class="issuer">{e(heading.issuer)}</p>
<h1>{TITLE}</h1>
<p class="meta">{e(heading.line)}</p>
<p class="meta">{e(term_zh(document["term"]))}，统计截至 {day_zh(date.fromisoformat(document["as_of"]))}</p>
</header>
{_revision_note(record)}
<section><h2>{SCORE}排名</h2>
<p>{SCORE}权重：{weights}</p>
{chart(document)}
</section>
<section><h2>各校指标</h2>
{_measure_table(document)}
</section>
<section><h2>报送情况</h2>
<p>报送率 {percent(share["completeness"])}，按时报送率 {percent(share["timeliness"])}
（{share["submitted"]}/{share["schools"]} 所学校已报送，{share["on_time"]} 所按时）。</p>
<p>本月未报送且无记录的学校：{e(silent)}</p>
</section>
</body></html>"""
