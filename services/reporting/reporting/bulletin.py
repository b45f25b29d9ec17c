"""The monthly bulletin (通报): its figures. Ranking, each school's measures and status, schools
that reported nothing, and changes since last month (``build``); what moved between two revisions
(``differences``). No I/O: ``bulletin_store`` keeps the published revisions and the disputes,
``bulletin_render`` turns a revision into the printable HTML, CSV and XLSX.

The document of a month is computed as of the month's last day, from the facts, so running it
twice gives the same document. Once published it is frozen: a dispute the bureau accepts issues a
new revision recording what changed and why, and earlier revisions stay readable.

    python -m reporting.bulletin --month 2026-10 [--district d-yecheng]
"""

import argparse
import asyncio
from typing import Any

from service_kit.errors import NotFound

from reporting import views
from reporting.periods import Month, TermName
from reporting.snapshot import Snapshot


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


async def _main(month: Month, district_id: str) -> None:
    from service_kit.storage import connect, service_database

    from reporting.bulletin_store import Bulletins
    from reporting.settings import Settings
    from reporting.store import ActiveStore, ReportStore

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
