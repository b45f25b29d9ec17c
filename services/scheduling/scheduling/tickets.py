"""Issues guardians raise at meetings and reception days (家长诉求), each with an owner, a reply
and a due date; one still unanswered after its due date is escalated to the school admin. No I/O.

Staff record an issue raised at a meeting, naming its owner and due date. A guardian raises their
own, for the principal's reception day (校长接待日) or the principal's mailbox (校长信箱):

- owner: the reception day's organiser (the principal or the admin who scheduled it); a mailbox
  issue has no named owner (``owner_id`` null) and any of the school's admins answers it;
- due date: five school days after the issue is raised, or after the reception day when that is
  later (the principal hears it on the day). School days are Monday to Friday; the term's holidays
  are not counted out, which keeps the rule simple and errs on the side of answering sooner;
- a reception day takes issues from when it is scheduled until 14 days after it, unless cancelled.
"""

from datetime import date, datetime, timedelta
from typing import Literal
from uuid import uuid4
from zoneinfo import ZoneInfo

from contracts.events.meetings import MeetingKind
from contracts.inputs import FreeText, OpaqueId
from pydantic import BaseModel, ConfigDict, Field
from service_kit.access import ensure_found
from service_kit.auth import Caller, Role
from service_kit.changes import Change, next_state
from service_kit.errors import Invalid, Problem

from scheduling import access
from scheduling.calendar import Document
from scheduling.meetings import MeetingClosed

TICKETS = "tickets"
ANSWER_WITHIN_SCHOOL_DAYS = 5
RECEPTION_DAY_OPEN_AFTER = timedelta(days=14)
Channel = Literal["meeting", "mailbox"]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: FreeText = Field(min_length=1, max_length=1000)
    raised_by_guardian_id: OpaqueId | None = None
    owner_id: OpaqueId = Field(description="The staff member who answers it.")
    due_on: date


class GuardianTicketCreate(BaseModel):
    """A guardian's own issue: for a reception day (``meeting_id``) or the principal's mailbox."""

    model_config = ConfigDict(extra="forbid")

    question: FreeText = Field(min_length=1, max_length=1000, examples=["希望学校增加课后托管服务"])
    meeting_id: OpaqueId | None = Field(
        default=None,
        description="The reception day (校长接待日); omitted for the principal's mailbox (校长信箱).",
    )


class TicketReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: FreeText = Field(min_length=1, max_length=2000)


class TicketPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    channel: Channel = Field(description="meeting: raised for a meeting; mailbox: 校长信箱.")
    meeting_id: str | None
    question: str
    raised_by_guardian_id: str | None
    owner_id: str | None = Field(description="Null: any of the school's admins answers it (校长信箱).")
    raised_on: date | None = None
    due_on: date
    reply: str | None
    replied_on: date | None
    overdue: bool
    escalated_to: str | None = Field(description="school_admin once it is overdue without a reply.")
    version: int


class GuardianTicketView(BaseModel):
    """What a guardian reads of their own issue: the question, when it is due and the reply."""

    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    channel: Channel
    meeting_id: str | None
    question: str
    raised_on: date | None = None
    due_on: date
    reply: str | None
    replied_on: date | None


def raise_ticket(
    caller: Caller, meeting: Document | None, ticket: TicketCreate, guardians_children: list[Document]
) -> Change:
    """Staff who run the meeting record an issue raised at it, by a guardian it concerns
    (``guardians_children``: that guardian's children in the projection)."""
    access.MEETING_ORGANISERS.role_allowed(caller)
    meeting = ensure_found(meeting, "会议")
    access.runs_meeting(caller, meeting)
    if ticket.raised_by_guardian_id is not None:
        access.check_guardian_named(meeting, ticket.raised_by_guardian_id, guardians_children)
    record = ticket.model_dump(mode="json") | {
        "ticket_id": f"tk-{uuid4().hex[:12]}",
        "meeting_id": meeting["meeting_id"],
        "district_id": meeting["district_id"],
        "school_id": meeting["school_id"],
        "reply": None,
        "replied_on": None,
    }
    return Change(TICKETS, record["ticket_id"], 1, record, (), caller.actor, "家长诉求")


def reply_ticket(caller: Caller, ticket: Document | None, reply: TicketReply, today: date) -> Change:
    """Its owner or the school admin answers it."""
    access.TICKET_REPLIES.role_allowed(caller)
    ticket = ensure_found(ticket, "家长诉求")
    access.TICKET_REPLIES.check(caller, access.reply_scope(ticket))
    if ticket["reply"]:
        raise Problem(409, "already-replied", "该诉求已答复")
    record = next_state(
        ticket,
        {
            "reply": reply.reply,
            "replied_on": today.isoformat(),
        },
    )
    return Change(TICKETS, ticket["ticket_id"], ticket["version"] + 1, record, (), caller.actor, "家长诉求")


def school_days_after(start: date, days: int) -> date:
    """The day ``days`` school days (Monday to Friday) after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _day_of(meeting: Document, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(str(meeting["starts_at"])).astimezone(zone).date()


def raise_guardian_ticket(
    caller: Caller,
    meeting: Document | None,
    kids: list[Document],
    ask: GuardianTicketCreate,
    today: date,
    zone: ZoneInfo,
) -> Change:
    """A guardian raises an issue for a reception day of their child's school, or the mailbox.

    ``kids``: the guardian's children where the projection has them enrolled now; their schools,
    not the one in the token, are the guardian's (access.guardian_school)."""
    access.GUARDIAN_TICKETS.role_allowed(caller)
    owner_id: str | None = None
    due_from = today
    school_id = access.guardian_school(caller, kids)
    district_id = caller.district_id
    if ask.meeting_id is not None:
        meeting = ensure_found(meeting, "会议")
        access.MEETINGS.check(caller, access.meeting_scope(meeting, kids))
        district_id, school_id = meeting["district_id"], meeting["school_id"]
        if meeting["kind"] != MeetingKind.reception_day:
            raise Invalid("body.meeting_id", "只能为校长接待日提出诉求 (only a reception day takes issues)")
        day = _day_of(meeting, zone)
        if meeting["status"] == "cancelled" or day + RECEPTION_DAY_OPEN_AFTER < today:
            raise MeetingClosed(
                "该接待日已取消或已过去两周以上，请使用校长信箱 (use the principal's mailbox)"
            )
        owner_id = meeting["organiser_id"]
        due_from = max(today, day)
    school_id = ensure_found(school_id, "学生 (no child enrolled)")
    ticket_id = f"tk-{uuid4().hex[:12]}"
    record = {
        "ticket_id": ticket_id,
        "meeting_id": ask.meeting_id,
        "district_id": district_id,
        "school_id": school_id,
        "question": ask.question,
        "raised_by_guardian_id": caller.subject,
        "owner_id": owner_id,
        "raised_on": today.isoformat(),
        "due_on": school_days_after(due_from, ANSWER_WITHIN_SCHOOL_DAYS).isoformat(),
        "reply": None,
        "replied_on": None,
    }
    return Change(TICKETS, ticket_id, 1, record, (), caller.actor, "家长诉求")


def _channel(ticket: Document) -> Channel:
    return "mailbox" if ticket.get("meeting_id") is None else "meeting"


def ticket_public(ticket: Document, today: date) -> TicketPublic:
    overdue = ticket["reply"] is None and date.fromisoformat(str(ticket["due_on"])) < today
    return TicketPublic.model_validate(
        ticket
        | {
            "channel": _channel(ticket),
            "overdue": overdue,
            "escalated_to": "school_admin" if overdue else None,
        }
    )


def guardian_ticket_view(ticket: Document) -> GuardianTicketView:
    return GuardianTicketView.model_validate(ticket | {"channel": _channel(ticket)})


def view(caller: Caller, ticket: Document | None, today: date) -> TicketPublic | GuardianTicketView:
    """One issue as the caller may read it (access.TICKETS): the guardian who raised it their view,
    staff the whole."""
    access.TICKETS.role_allowed(caller)
    ticket = ensure_found(ticket, "家长诉求")
    access.TICKETS.check(caller, access.ticket_scope(ticket))
    return guardian_ticket_view(ticket) if caller.role is Role.guardian else ticket_public(ticket, today)


def guardians_tickets(tickets: list[Document]) -> list[GuardianTicketView]:
    """A guardian's issues, the newest first."""
    newest = sorted(
        tickets, key=lambda t: (str(t.get("raised_on") or t["due_on"]), t["ticket_id"]), reverse=True
    )
    return [guardian_ticket_view(t) for t in newest]
