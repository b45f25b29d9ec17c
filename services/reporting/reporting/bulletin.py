"""The monthly bulletin (通报): ranking, each school's measures and status, schools that reported
nothing, and changes since last month; as JSON, printable HTML with an SVG chart, CSV and XLSX.

The document of a month is computed as of the month's last day, from the facts, so running it
twice gives the same document. Once published it is frozen: a dispute the bureau accepts issues a
new revision recording what changed and why, and earlier revisions stay readable.

    python -m reporting.bulletin --month 2026-10 [--district d-yecheng]
"""

import argparse
import asyncio
import csv
import html
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from service_kit.errors import NotFound
from service_kit.storage import Document

from reporting import views
from reporting.periods import Month, TermName
from reporting.snapshot import Snapshot
from reporting.store import BULLETINS, DISPUTES, SUBMISSIONS, ActiveStore

STATUS_ZH = {"met": "达标", "on_track": "进度正常", "at_risk": "有风险", "missed": "未达标"}


def term_for(snapshot: Snapshot, month: Month) -> TermName:
    """The term the month belongs to: the latest one started by the month's end."""
    started = []
    for record_id in snapshot.records("term"):
        school_year, kind = record_id.split(":")
        term = snapshot.term(TermName(school_year, kind))
        if term is not None and term.starts_on <= month.last:
            started.append((term.starts_on, term.name))
    if not started:
        raise NotFound(f"{month} 所在学期")
    return max(started, key=lambda s: s[0])[1]


def build(snapshot: Snapshot, month: Month, submissions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    term = term_for(snapshot, month)
    ranked = views.ranking(snapshot, term, month.last)
    previous: dict[str, dict[str, Any]] = {}
    try:
        before = views.ranking(snapshot, term_for(snapshot, month.previous()), month.previous().last)
        previous = {row["school_id"]: row for row in before["schools"]}
    except NotFound:
        pass
    completeness = views.completeness(snapshot, month, submissions)
    changes = []
    for row in ranked["schools"]:
        earlier = previous.get(row["school_id"])
        if earlier is not None:
            changes.append(
                {
                    "school_id": row["school_id"],
                    "score_change": round(row["score"] - earlier["score"], 1),
                    "rank_change": earlier["rank"] - row["rank"],
                }
            )
    return {
        "district_id": snapshot.district_id,
        "month": str(month),
        "term": str(term),
        "as_of": month.last.isoformat(),
        "weights": ranked["weights"],
        "ranking": ranked["schools"],
        "silent_schools": completeness["silent_schools"],
        "completeness": {
            k: completeness[k] for k in ("schools", "submitted", "on_time", "completeness", "timeliness")
        },
        "changes_since_last_month": changes,
    }


def bulletin_id(district_id: str, month: Month, revision: int) -> str:
    return f"{district_id}:{month}:r{revision}"


class Bulletins:
    def __init__(self, store: ActiveStore) -> None:
        self.store = store

    async def submissions(self, district_id: str, month: Month) -> dict[str, dict[str, Any]]:
        found = await self.store.records.find(SUBMISSIONS, {"district_id": district_id, "month": str(month)})
        return {s["school_id"]: s for s in found}

    async def revisions(self, district_id: str, month: Month) -> list[Document]:
        found = await self.store.records.find(BULLETINS, {"district_id": district_id, "month": str(month)})
        return sorted(found, key=lambda b: b["revision"])

    async def latest(self, district_id: str, month: Month, revision: int | None = None) -> Document:
        found = await self.revisions(district_id, month)
        chosen = [b for b in found if revision is None or b["revision"] == revision]
        if not chosen:
            raise NotFound(f"{month} 通报" + (f" 第 {revision} 版" if revision else ""))
        return chosen[-1]

    async def revision(self, district_id: str, month: Month, number: int, **why: Any) -> Document:
        """Revision ``number`` of the month's bulletin, built from the facts as they are now."""
        snapshot = await self.store.facts.snapshot(district_id)
        return {
            "_id": bulletin_id(district_id, month, number),
            "district_id": district_id,
            "month": str(month),
            "revision": number,
            "document": build(snapshot, month, await self.submissions(district_id, month)),
            "published_at": datetime.now(UTC),
            "reason": None,
            "changes": [],
        } | why

    async def publish(self, district_id: str, month: Month, today: date) -> Document:
        """Publish the month's bulletin once; publishing again answers the published one."""
        month.require_ended(today, "path.month", "发布通报")
        found = await self.revisions(district_id, month)
        if found:
            return found[-1]
        record = await self.revision(district_id, month, 1)
        if not await self.store.records.insert(BULLETINS, record):  # published meanwhile by another run
            return await self.latest(district_id, month)
        return record

    async def accept(
        self, district_id: str, month: Month, dispute: Document, note: str, actor: str
    ) -> Document:
        """A new revision from the facts as they are now, with what changed and why."""
        current = await self.latest(district_id, month)
        number = current["revision"] + 1
        record = await self.revision(
            district_id,
            month,
            number,
            reason=f"{dispute['reason']}；教育局：{note}",
            dispute_id=dispute["_id"],
            accepted_by=actor,
        )
        record["changes"] = differences(current["document"], record["document"])
        await self.store.records.insert(BULLETINS, record)
        await self.store.records.replace(DISPUTES, dispute | {"status": "accepted", "revision": number})
        return record


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Each school's figure that moved between two revisions."""
    old = {row["school_id"]: row for row in before["ranking"]}
    changes = []
    for row in after["ranking"]:
        earlier = old.get(row["school_id"], {"score": None, "measures": {}})
        if earlier["score"] != row["score"]:
            changes.append(
                {
                    "school_id": row["school_id"],
                    "figure": "score",
                    "from": earlier["score"],
                    "to": row["score"],
                }
            )
        for key, value in row["measures"].items():
            was = earlier["measures"].get(key, {}).get("actual")
            if was != value["actual"]:
                changes.append(
                    {"school_id": row["school_id"], "figure": key, "from": was, "to": value["actual"]}
                )
    return changes


# Formats ------------------------------------------------------------------------------------------

MEASURE_COLUMNS = (
    "home_visit_coverage",
    "mandatory_visit_coverage",
    "class_parent_meetings_per_term",
    "guardian_contacts_per_month",
)


def as_rows(document: dict[str, Any]) -> list[list[Any]]:
    header = (
        ["排名", "学校", "学校编号", "综合得分"]
        + [f"{k}" for k in MEASURE_COLUMNS]
        + [f"{k} 状态" for k in MEASURE_COLUMNS]
    )
    rows: list[list[Any]] = [header]
    for row in document["ranking"]:
        measures = row["measures"]
        rows.append(
            [row["rank"], row["name"], row["school_id"], row["score"]]
            + [measures.get(k, {}).get("actual") for k in MEASURE_COLUMNS]
            + [STATUS_ZH.get(measures.get(k, {}).get("status", ""), "") for k in MEASURE_COLUMNS]
        )
    return rows


def as_csv(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(as_rows(document))
    writer.writerow([])
    writer.writerow(["未报送且无记录的学校", *document["silent_schools"]])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read the Chinese right


def as_xlsx(document: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "排名"
    for row in as_rows(document):
        sheet.append(row)
    silent = book.create_sheet("未报送")
    silent.append(["学校编号"])
    for school_id in document["silent_schools"]:
        silent.append([school_id])
    weights = book.create_sheet("权重")
    for key, value in document["weights"].items():
        weights.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:4px 8px}@media print{body{margin:0}}"
)


def as_html(record: Document) -> str:
    document = record["document"]
    e = html.escape
    bars = []
    for i, row in enumerate(document["ranking"]):
        width = 4 * row["score"]
        bars.append(
            f'<text x="0" y="{i * 26 + 17}" font-size="13">{e(row["name"])}</text>'
            f'<rect x="170" y="{i * 26 + 4}" width="{width:.0f}" height="18" fill="#2b6cb0"/>'
            f'<text x="{176 + width:.0f}" y="{i * 26 + 17}" font-size="12">{row["score"]}</text>'
        )
    chart = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{26 * len(bars) + 8}" role="img" '
        f'aria-label="综合得分">{"".join(bars)}</svg>'
    )
    table = "".join(
        "<tr>" + "".join(f"<td>{e(str(cell))}</td>" for cell in row) + "</tr>"
        for row in as_rows(document)[1:]
    )
    head = "".join(f"<th>{e(str(cell))}</th>" for cell in as_rows(document)[0])
    weights = "，".join(f"{e(k)} {v}" for k, v in document["weights"].items())
    changes = "".join(
        f"<li>{e(c['school_id'])} {e(c['figure'])}: {c['from']} → {c['to']}</li>" for c in record["changes"]
    )
    revision_note = (
        f"<p>第 {record['revision']} 版：{e(record['reason'] or '')}</p><ul>{changes}</ul>"
        if record["revision"] > 1
        else ""
    )
    share = document["completeness"]
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(document["month"])} 家校社协同育人工作通报</title>
<style>{STYLE}</style></head><body>
<h1>{e(document["month"])} 家校社协同育人工作通报</h1>
<p>学期 {e(document["term"])}，统计截至 {e(document["as_of"])}。综合得分权重：{weights}</p>
{revision_note}
<h2>综合得分</h2>{chart}
<h2>各校指标</h2><table><thead><tr>{head}</tr></thead><tbody>{table}</tbody></table>
<h2>本月未报送且无记录的学校</h2><p>{e("、".join(document["silent_schools"]) or "无")}</p>
<p>报送率 {share["completeness"]:.0%}，按时报送率 {share["timeliness"]:.0%}</p>
</body></html>"""


async def _main(month: Month, district_id: str) -> None:
    from service_kit.storage import connect, service_database

    from reporting.settings import Settings
    from reporting.store import ReportStore

    settings = Settings()
    client = connect(settings)
    store = ActiveStore(ReportStore(service_database(client, settings)), client)
    await store.refresh()
    record = await Bulletins(store).publish(district_id, month, settings.school_today())
    print(f"{record['month']} 通报 第 {record['revision']} 版：{len(record['document']['ranking'])} 所学校")
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="发布月度通报 (publish a month's bulletin)")
    parser.add_argument("--month", required=True, help="YYYY-MM, a month that has ended")
    parser.add_argument("--district", default="d-yecheng")
    arguments = parser.parse_args()
    asyncio.run(_main(Month.parse(arguments.month, "--month"), arguments.district))
