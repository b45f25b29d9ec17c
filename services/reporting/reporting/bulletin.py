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
from dataclasses import dataclass
from typing import Any

from service_kit.errors import NotFound, Problem

from reporting import views
from reporting.measures import SHORT_LABELS
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


class DisputeSettled(Problem):
    def __init__(self) -> None:
        super().__init__(409, "dispute-closed", "该异议已处理 (the dispute is already settled)")


def published_reason(document: dict[str, Any], dispute: dict[str, Any], note: str) -> str:
    """Why a revision was issued, as every school of the district reads it: the school and the
    figure disputed, and the bureau's decision (良舍小学 家访覆盖率：予以补录). Never the school's own
    reason, which is free text that may name a child; it stays on the dispute, which only the
    bureau and that school read."""
    names = {row["school_id"]: row["name"] for row in document["ranking"]}
    figure = "综合得分" if dispute["figure"] == "score" else SHORT_LABELS.get(dispute["figure"], "所涉数据")
    return f"{names.get(dispute['school_id'], dispute['school_id'])} {figure}：{note}"


@dataclass(frozen=True)
class Acceptance:
    """What accepting a dispute does, given the month's revisions read at once: ``made`` the
    revision published for it already (a retry after a stop between publishing and settling), or
    else ``number``, the new revision's."""

    made: dict[str, Any] | None
    number: int


def acceptance(dispute: dict[str, Any], revisions: list[dict[str, Any]]) -> Acceptance:
    """The rule for accepting a dispute: the revision is published before the dispute is settled,
    and a dispute has one revision at most. A dispute rejected, or accepted with its revision
    recorded, is settled (409). Otherwise the revision a previous attempt published for it is
    the one (it is settled now, not published again), or the next number after the latest.

    Reading the revisions once and inserting by number keeps it one per dispute under retries and
    concurrent requests: numbers are taken in order, so an insert that wins its number was made
    after every earlier revision, and a racing request either sees it or loses its number."""
    if dispute["status"] == "rejected" or dispute.get("decided_revision") is not None:
        raise DisputeSettled()
    made = [r for r in revisions if r.get("dispute_id") == dispute["_id"]]
    if made:
        return Acceptance(made[0], made[0]["revision"])
    if not revisions:
        raise NotFound(f"{dispute['month']} 通报")
    return Acceptance(None, max(r["revision"] for r in revisions) + 1)


def may_reject(dispute: dict[str, Any], revisions: list[dict[str, Any]]) -> None:
    """A dispute open with a revision already published for it (an acceptance stopped half-way)
    is not rejected: accepting it again finishes the acceptance."""
    if dispute["status"] != "open" or any(r.get("dispute_id") == dispute["_id"] for r in revisions):
        raise DisputeSettled()


async def _main(month: Month, district_id: str) -> None:
    from reporting.bootstrap import opened
    from reporting.bulletin_store import Bulletins

    async with opened(load=True) as reporting:
        today = reporting.settings.school_today()
        record = await Bulletins(reporting.store, reporting.projection).publish(district_id, month, today)
        schools = len(record["document"]["ranking"])
        print(f"{record['month']} 通报 第 {record['revision']} 版：{schools} 所学校")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="发布月度通报 (publish a month's bulletin)")
    parser.add_argument("--month", required=True, help="YYYY-MM, a month that has ended")
    parser.add_argument("--district", default="d-yecheng")
    arguments = parser.parse_args()
    asyncio.run(_main(Month.parse(arguments.month, "--month"), arguments.district))
