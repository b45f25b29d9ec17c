"""Issues guardians raise at meetings and reception days (家长诉求), each with an owner, a reply
and a due date; one still unanswered after its due date is escalated to the school admin. No I/O."""

from datetime import date
from uuid import uuid4

from contracts.inputs import FreeText, OpaqueId
from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Caller, Role, ensure_visible
from service_kit.changes import Change, next_state
from service_kit.errors import Problem

from scheduling.calendar import Document
from scheduling.meetings import may_manage

TICKETS = "tickets"


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: FreeText = Field(min_length=1, max_length=1000)
    raised_by_guardian_id: OpaqueId | None = None
    owner_id: OpaqueId = Field(description="The staff member who answers it.")
    due_on: date


class TicketReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: FreeText = Field(min_length=1, max_length=2000)


class TicketPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    meeting_id: str
    question: str
    raised_by_guardian_id: str | None
    owner_id: str
    due_on: date
    reply: str | None
    replied_on: date | None
    overdue: bool
    escalated_to: str | None = Field(description="school_admin once it is overdue without a reply.")
    version: int


def raise_ticket(caller: Caller, meeting: Document | None, ticket: TicketCreate) -> Change:
    ensure_visible(meeting is not None and may_manage(caller, meeting), "会议")
    assert meeting is not None
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
    ensure_visible(
        ticket is not None
        and caller.sees_school(ticket["district_id"], ticket["school_id"])
        and (caller.subject == ticket["owner_id"] or caller.role is Role.school_admin),
        "家长诉求",
    )
    assert ticket is not None
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


def ticket_public(ticket: Document, today: date) -> TicketPublic:
    overdue = ticket["reply"] is None and date.fromisoformat(str(ticket["due_on"])) < today
    return TicketPublic.model_validate(
        ticket | {"overdue": overdue, "escalated_to": "school_admin" if overdue else None}
    )
