"""Calendars of a teacher and of a class, and their iCalendar (RFC 5545) feeds. No I/O."""

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel

Document = dict[str, Any]


class CalendarItem(BaseModel):
    kind: Literal["meeting", "home_visit"]
    id: str
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    on: date | None = None  # a home visit is planned for a day, not an hour
    place: str = ""
    status: str


def items(meetings: list[Document], visits: list[Document]) -> list[CalendarItem]:
    found = [
        CalendarItem(
            kind="meeting",
            id=m["_id"],
            title=m["title"],
            starts_at=m["starts_at"],
            ends_at=m["ends_at"],
            place=m.get("place", ""),
            status=m["status"],
        )
        for m in meetings
    ] + [
        CalendarItem(
            kind="home_visit",
            id=v["_id"],
            title=f"家访 {v['student_id']}",
            on=v["planned_on"],
            status=v["status"],
        )
        for v in visits
        if v.get("planned_on")
    ]
    return sorted(
        found, key=lambda i: i.starts_at or datetime.combine(i.on or date.min, datetime.min.time(), UTC)
    )


def clash(
    meetings: list[Document], starts_at: datetime, ends_at: datetime, ignore: str | None = None
) -> Document | None:
    """A planned meeting of the same organiser overlapping the given time, if any."""
    for meeting in meetings:
        if meeting["_id"] == ignore or meeting["status"] != "planned":
            continue
        if datetime.fromisoformat(str(meeting["starts_at"])) < ends_at and starts_at < datetime.fromisoformat(
            str(meeting["ends_at"])
        ):
            return meeting
    return None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets are folded, never inside a UTF-8 character."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(name: str, entries: list[CalendarItem], now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//district-platform//scheduling//ZH-CN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for item in entries:
        lines += ["BEGIN:VEVENT", f"UID:{item.id}@district-platform", f"DTSTAMP:{_utc(now)}"]
        if item.starts_at and item.ends_at:
            lines += [f"DTSTART:{_utc(item.starts_at)}", f"DTEND:{_utc(item.ends_at)}"]
        elif item.on:
            lines.append(f"DTSTART;VALUE=DATE:{item.on:%Y%m%d}")
        lines += [
            f"SUMMARY:{_escape(item.title)}",
            f"STATUS:{'CANCELLED' if item.status == 'cancelled' else 'CONFIRMED'}",
        ]
        if item.place:
            lines.append(f"LOCATION:{_escape(item.place)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
