"""Calendars of a teacher, of a class and of a guardian, and their iCalendar (RFC 5545) feeds.
No I/O."""

from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, Literal

from contracts.events.meetings import MeetingKind
from contracts.events.visits import VisitMode
from pydantic import BaseModel, Field

Document = dict[str, Any]
RsvpAnswer = Literal["yes", "no", "maybe"]


class CalendarItem(BaseModel):
    kind: Literal["meeting", "home_visit"]
    id: str
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    on: date | None = None  # a home visit is planned for a day, not an hour
    place: str = ""
    status: str
    meeting_kind: MeetingKind | None = Field(default=None, description="For a meeting: reception_day, …")
    mode: VisitMode | None = Field(default=None, description="For a home visit: how it is planned.")
    my_rsvp: RsvpAnswer | None = Field(
        default=None, description="For a guardian's meeting: their own answer; null if not answered."
    )


MODE_WORDS = {"in_person": "上门", "phone": "电话", "video": "视频", "school_visit": "来校"}
VISIT_DESCRIPTION = "学生姓名不写入日历；请打开家校平台查看要家访的学生和家访详情。"


def visit_summary(item: "CalendarItem") -> str:
    """A planned visit as a calendar app shows it (the .ics feed): no student's name or id leaves
    the platform in a calendar app (it syncs to phones' and vendors' clouds); the mode tells the
    teacher what kind of visit it is, and the description sends them to the app for the student.
    The registry announces classes without their names, so the class is 班级. (The JSON calendar
    keeps the student's id in the title: the signed-in app shows the name instead.)"""
    mode = MODE_WORDS.get(item.mode.value if item.mode else "", "家访")
    return f"家访 · 班级 · {mode}"


def items(
    meetings: list[Document], visits: list[Document], answers: dict[str, RsvpAnswer] | None = None
) -> list[CalendarItem]:
    """``answers``: the calling guardian's own answers, by meeting."""
    found = [
        CalendarItem(
            kind="meeting",
            id=m["_id"],
            title=m["title"],
            starts_at=m["starts_at"],
            ends_at=m["ends_at"],
            place=m.get("place", ""),
            status=m["status"],
            meeting_kind=m.get("kind"),
            my_rsvp=(answers or {}).get(m["_id"]),
        )
        for m in meetings
    ] + [
        CalendarItem(
            kind="home_visit",
            id=v["_id"],
            title=f"家访 {v['student_id']}",
            on=v["planned_on"],
            status=v["status"],
            mode=v.get("mode"),
        )
        for v in visits
        if v.get("planned_on")
    ]
    return sorted(
        found, key=lambda i: i.starts_at or datetime.combine(i.on or date.min, datetime.min.time(), UTC)
    )


def guardian_items(
    guardian_id: str,
    student_ids: Collection[str],
    meetings: list[Document],
    late_invitations: Collection[str],
    visits: list[Document],
    rsvps: list[Document],
    now: datetime,
    today: date,
) -> list[CalendarItem]:
    """A guardian's calendar: the meetings not yet over that invite them (invited when scheduled or
    late, ``late_invitations`` naming those meetings), each with their own answer, and the planned
    home visits to their children from ``today`` on (the day and the mode; findings are never in a
    calendar). A cancelled meeting stays, with status cancelled, so a guardian who was invited sees
    it called off rather than vanish."""
    invited = [
        m
        for m in meetings
        if (guardian_id in m["invitee_ids"] or m["_id"] in late_invitations)
        and datetime.fromisoformat(str(m["ends_at"])) > now
    ]
    planned = [
        v
        for v in visits
        if v["student_id"] in student_ids
        and v["status"] == "planned"
        and v.get("planned_on")
        and date.fromisoformat(str(v["planned_on"])) >= today
    ]
    answers: dict[str, RsvpAnswer] = {
        r["meeting_id"]: r["answer"] for r in rsvps if r["guardian_id"] == guardian_id
    }
    return items(invited, planned, answers)


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
        visit = item.kind == "home_visit"
        lines += [
            f"SUMMARY:{_escape(visit_summary(item) if visit else item.title)}",
            f"STATUS:{'CANCELLED' if item.status == 'cancelled' else 'CONFIRMED'}",
        ]
        if item.place:
            lines.append(f"LOCATION:{_escape(item.place)}")
        if visit:
            lines.append(f"DESCRIPTION:{_escape(VISIT_DESCRIPTION)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
