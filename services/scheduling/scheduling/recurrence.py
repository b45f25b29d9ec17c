"""Recurring meetings (RFC 5545 rules, e.g. the principal's reception day on the first Friday of
each month: ``FREQ=MONTHLY;BYDAY=1FR``) expanded over a term's school days. No I/O."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.events.meetings import MeetingKind
from contracts.inputs import SchoolYear, TermKind, Text
from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field

from scheduling.calendar import Document
from scheduling.meetings import MeetingRejected


class RecurringMeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MeetingKind = MeetingKind.reception_day
    title: Text = Field(min_length=2, max_length=80, examples=["校长接待日"])
    rrule: Text = Field(max_length=200, examples=["FREQ=MONTHLY;BYDAY=1FR"], description="RFC 5545 RRULE")
    start_time: time = Field(examples=["09:00"])
    duration_minutes: int = Field(ge=15, le=600)
    place: Text = Field(default="", max_length=100)
    school_year: SchoolYear = Field(examples=["2026-2027"])
    term: TermKind


def occurrences(
    rule: str, term: Document, start_time: time, timezone: str, after: datetime
) -> list[datetime]:
    """The rule's dates within the term, outside its holidays and after ``after``, at the local time."""
    zone = ZoneInfo(timezone)
    first = date.fromisoformat(str(term["starts_on"]))
    last = date.fromisoformat(str(term["ends_on"]))
    try:
        expanded = rrulestr(rule, dtstart=datetime.combine(first, start_time))
        dates = [
            d
            for d in expanded.between(
                datetime.combine(first, time.min), datetime.combine(last, time.max), inc=True
            )
        ]
    except (ValueError, TypeError) as exc:
        raise MeetingRejected("body.rrule", f"无法解析重复规则 (not an RFC 5545 RRULE): {exc}") from exc
    holidays: list[dict[str, Any]] = term.get("holidays", [])
    local = [d.replace(tzinfo=zone) for d in dates if not _in_holiday(d.date(), holidays)]
    upcoming = [d for d in local if d > after]
    if not upcoming:
        raise MeetingRejected("body.rrule", "该规则在本学期剩余时间内没有日期 (no date left in the term)")
    return upcoming


def _in_holiday(day: date, holidays: list[dict[str, Any]]) -> bool:
    return any(
        date.fromisoformat(str(h["starts_on"])) <= day <= date.fromisoformat(str(h["ends_on"]))
        for h in holidays
    )


def span(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    return start, start + timedelta(minutes=minutes)
