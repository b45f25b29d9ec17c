"""A school's monthly submission (月度报送), as rules without I/O: a school admin confirms a month
that has ended (confirmed 确认本月数据), or declares it had nothing to report, with a reason
(nothing_to_report 本月无数据, e.g. 寒假). A submission after the month's deadline (the policy's,
``Snapshot.submission_deadline``) is accepted and marked late. One submission per school and
month: the record's key is the school and the month, so a second is refused when stored.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from service_kit.errors import Invalid, Problem

from reporting.periods import Month
from reporting.snapshot import Snapshot

SubmissionKind = Literal["confirmed", "nothing_to_report"]


class AlreadySubmitted(Problem):
    def __init__(self, month: str) -> None:
        super().__init__(409, "already-submitted", f"{month} 已报送 (already submitted)")


def require_reason(kind: SubmissionKind, reason: str | None) -> None:
    """Nothing to report needs a reason (422 on ``body.reason``); a confirmation needs none."""
    if kind == "nothing_to_report" and not reason:
        raise Invalid("body.reason", "无数据报送须说明原因 (a reason is required)")


@dataclass(frozen=True)
class Submission:
    district_id: str
    school_id: str
    month: Month
    kind: SubmissionKind
    reason: str | None
    submitted_on: date
    deadline: date
    submitted_by: str

    @property
    def key(self) -> str:
        return submission_id(self.school_id, self.month)

    @property
    def late(self) -> bool:
        """Submitted after the deadline day: accepted, and marked late."""
        return self.submitted_on > self.deadline

    def record(self) -> dict[str, Any]:
        """As stored, and as ``views.completeness`` reads it (``kind``, ``late``)."""
        return {
            "_id": self.key,
            "district_id": self.district_id,
            "school_id": self.school_id,
            "month": str(self.month),
            "kind": self.kind,
            "reason": self.reason,
            "submitted_on": self.submitted_on.isoformat(),
            "deadline": self.deadline.isoformat(),
            "late": self.late,
            "submitted_by": self.submitted_by,
        }


def submission_id(school_id: str, month: Month) -> str:
    return f"{school_id}:{month}"


def submit(
    snapshot: Snapshot,
    school_id: str,
    month: Month,
    kind: SubmissionKind,
    reason: str | None,
    today: date,
    submitted_by: str,
) -> Submission:
    """The school's submission of the month, made today: 422 for a month not yet over
    (``path.month``), then for nothing to report without a reason (``body.reason``); late after the
    district's deadline for the month (its policy's)."""
    month.require_ended(today, "path.month", "报送")
    require_reason(kind, reason)
    deadline = snapshot.submission_deadline(month)
    return Submission(snapshot.district_id, school_id, month, kind, reason, today, deadline, submitted_by)


def by_month(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A school's submissions as listed: by month."""
    return sorted(found, key=lambda s: s["month"])
