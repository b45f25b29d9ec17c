"""Which message goes first: four levels, and fairness across schools within a level. No I/O.

- **emergency** (紧急联系): sent the moment it is raised, whatever else is queued;
- **time-critical**: sign-in codes and activation links, a meeting today, a reminder (it is due
  now), an invitation moved to today;
- **normal**: what one event or one class's letter says to a few families;
- **bulk**: letters to a whole school, grade or district, and digests.

The dispatcher takes the due queue entries level by level and, within a level, one sender at a
time in turn (a school, or the bureau for its letter to the whole district), so one school's
letter to 3,000 families does not hold back another's to 30, nor does the bureau's letter to 200
schools hold back one school's.
"""

from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo


class Priority(IntEnum):
    emergency = 0
    time_critical = 1
    normal = 2
    bulk = 3

    @property
    def urgent(self) -> bool:
        """Sent on a lane of its own and ahead of the provider's queued sends."""
        return self <= Priority.time_critical


# Purposes that are news for today whenever they are sent.
TIME_CRITICAL_PURPOSES = frozenset({"meeting_reminder", "emergency", "emergency_staff"})
# Meeting news that becomes time-critical when the meeting is today.
MEETING_PURPOSES = frozenset({"meeting_invitation", "meeting_rescheduled", "meeting_cancelled"})
# Letters whose audience is a whole school, grade or the district.
BULK_AUDIENCES = frozenset({"district", "school", "grade"})


def of_notice(
    purpose: str,
    urgent: bool,
    starts_at: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    audience: str | None = None,
) -> Priority:
    """The level of a notice: ``starts_at`` is the meeting's start for meeting news, ``audience``
    the kind of audience of a letter."""
    if urgent:
        return Priority.emergency
    if purpose in TIME_CRITICAL_PURPOSES:
        return Priority.time_critical
    if purpose in MEETING_PURPOSES and starts_at is not None:
        today = now.astimezone(zone).date()
        return Priority.time_critical if starts_at.astimezone(zone).date() <= today else Priority.normal
    if audience in BULK_AUDIENCES:
        return Priority.bulk
    return Priority.normal


def of_entry(entry: dict[str, Any]) -> Priority:
    """A queue entry's level; entries written before levels existed are normal."""
    return Priority(entry.get("priority", Priority.normal))


def fair_order(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Due entries in the order to start them: by level, and within a level one sender at a time
    in turn (each sender's own entries oldest first)."""
    by_level: dict[Priority, dict[str, list[dict[str, Any]]]] = {}
    for entry in sorted(entries, key=lambda e: (e["due_at"], e["_id"])):
        schools = by_level.setdefault(of_entry(entry), {})
        schools.setdefault(entry.get("sender") or entry.get("school_id") or "", []).append(entry)
    ordered: list[dict[str, Any]] = []
    for level in sorted(by_level):
        lines = list(by_level[level].values())
        for turn in range(max(len(line) for line in lines)):
            ordered += [line[turn] for line in lines if turn < len(line)]
    return ordered
