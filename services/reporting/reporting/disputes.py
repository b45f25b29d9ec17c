"""A figure of a bulletin disputed by a school (通报异议), as rules without I/O: what a school
admin raises, and how a dispute is found and answered. One dispute per school, figure and
revision: the record's key names them, so a second is refused when stored. Accepting and rejecting
a dispute are ``bulletin.acceptance`` and ``bulletin.may_reject``.
"""

from typing import Any

from service_kit.errors import NotFound, Problem
from service_kit.storage import Document

from reporting.periods import Month


class AlreadyDisputed(Problem):
    def __init__(self) -> None:
        super().__init__(409, "already-disputed", "该数据已提出异议，等待教育局处理 (already disputed)")


def dispute_id(district_id: str, month: Month, school_id: str, revision: int, figure: str) -> str:
    return f"dsp-{district_id}-{month}-{school_id}-{revision}-{figure}"


def raised(
    district_id: str,
    month: Month,
    school_id: str,
    figure: str,
    reason: str,
    revision: int,
    raised_by: str,
) -> dict[str, Any]:
    """A dispute of a figure of the month's current revision, open until the bureau answers it."""
    return {
        "_id": dispute_id(district_id, month, school_id, revision, figure),
        "district_id": district_id,
        "month": str(month),
        "school_id": school_id,
        "figure": figure,
        "reason": reason,
        "revision": revision,
        "status": "open",
        "raised_by": raised_by,
    }


def require_month(dispute: Document, month: Month, resource: str) -> Document:
    """A dispute asked for under another month answers as a missing one (404)."""
    if dispute["month"] != str(month):
        raise NotFound(resource)
    return dispute


def public_dispute(record: Document) -> dict[str, Any]:
    """A dispute as the API answers it: its key as ``dispute_id``."""
    return {"dispute_id": record["_id"], **{k: v for k, v in record.items() if k != "_id"}}
