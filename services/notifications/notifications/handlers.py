"""What arrives from the topics: the registry's projection, and the events that become messages.

Tolerant readers: each event is parsed for the fields used here and nothing else. A message's id
comes from the event's record and version, so a redelivered event sends nothing twice.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from service_kit.messaging import Handler
from service_kit.storage import Document

from notifications.delivery import Outbox
from notifications.links import Action
from notifications.messages import Notice
from notifications.store import CLASSES, GUARDIANS, SCHOOLS, STAFF, STUDENTS, NotificationStore


class Facts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str
    event_type: str
    occurred_at: datetime
    district_id: str
    school_id: str
    payload: dict[str, Any]


class Invitation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    meeting_id: str
    title: str
    starts_at: datetime
    place: str
    guardian_ids: list[str]
    status: Literal["scheduled", "rescheduled", "cancelled"]
    version: int


class VisitPlanned(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visit_id: str
    student_id: str
    planned_on: date
    mode: str
    version: int


class SummaryShared(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visit_id: str
    student_id: str
    visited_on: date
    mode: str
    summary: str
    confirmation_requested: bool = False  # the teacher asks the guardian to confirm the visit


class PartnerActivity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    activity_id: str
    kind: str
    held_on: date
    class_ids: list[str]


def _tenancy(facts: Facts) -> Document:
    return {"district_id": facts.district_id, "school_id": facts.school_id}


def projection(facts: Facts) -> tuple[str, Document] | None:
    """The registry record an event carries, as notifications keeps it."""
    p = facts.payload
    if facts.event_type == "guardian-changed":
        return GUARDIANS, _tenancy(facts) | {
            "_id": p["guardian_id"],
            "kind": "guardian",
            "student_ids": p["student_ids"],
            "contacts": p["contacts"],
            "preferred_channel": p["preferred_channel"],
            "language": p["language"],
            "consent_non_essential": p["consent_non_essential"],
            "since": facts.occurred_at.astimezone(UTC).isoformat(),
            "version": p["version"],
        }
    if facts.event_type == "student-changed":
        return STUDENTS, _tenancy(facts) | {
            "_id": p["student_id"],
            "class_id": p["class_id"],
            "status": p["status"],
            "care_categories": p["care_categories"],
            "version": p["version"],
        }
    if facts.event_type == "staff-changed":
        return STAFF, _tenancy(facts) | {
            "_id": p["staff_id"],
            "kind": "staff",
            "class_ids": p["class_ids"],
            "contacts": p["contacts"],
            "preferred_channel": "sms",
            "language": "zh-CN",
            "version": p["version"],
        }
    return None


def on_registry_event(store: NotificationStore) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Keeps guardians (contacts, language, consent), students, staff, schools and classes."""
        facts = Facts.model_validate(message)
        p = facts.payload
        if facts.event_type == "school-changed":
            # the district is kept for access checks: a school route answers only its own district
            await store.db[SCHOOLS].replace_one(
                {"_id": p["school_id"]},
                {"district_id": facts.district_id, "name": p["name"], "status": p["status"]},
                upsert=True,
            )
        elif facts.event_type == "class-changed":
            # class-changed carries no version; one school's events arrive in order
            await store.db[CLASSES].replace_one(
                {"_id": p["class_id"]},
                _tenancy(facts) | {"grade": p["grade"], "head_teacher_id": p.get("head_teacher_id")},
                upsert=True,
            )
        elif (record := projection(facts)) is not None:
            changed = await store.project(*record)
            if record[0] == STUDENTS:  # its guardians may be kept under the school it left
                changed |= await store.schools_of_guardians_of(record[1]["_id"])
            if record[0] in (GUARDIANS, STUDENTS):
                for school_id in sorted(changed):
                    await store.audience_changed(facts.district_id, school_id)

    return handle


# Handles an event that becomes messages; returns the people it names that the registry has not
# announced here yet (guardian ids, or students without a known guardian). ``give_up``: record
# those as undeliverable instead.
Reaction = Callable[[Facts, bool], Awaitable[list[str]]]


def reactions(store: NotificationStore, outbox: Outbox) -> Reaction:
    async def react(facts: Facts, give_up: bool = False) -> list[str]:
        """Invitations, reschedules, cancellations and reminders of meetings; planned visits and
        visit summaries; partner activities with classes."""
        if facts.event_type == "meeting-invitation":
            return await _meeting(outbox, facts, Invitation.model_validate(facts.payload), give_up)
        if facts.event_type == "visit-summary-shared":
            shared = SummaryShared.model_validate(facts.payload)
            notice = Notice(
                key=f"vis-{shared.visit_id}-summary",
                purpose="visit_summary",
                source_id=shared.visit_id,
                variables={"visited_on": shared.visited_on, "mode": shared.mode, "summary": shared.summary},
                action=Action("visit", shared.visit_id),
                confirmation=shared.confirmation_requested,
                **_tenancy(facts),
            )
            return await outbox.tell_guardians_of(notice, [shared.student_id], give_up)
        if facts.event_type == "visit-planned":
            planned = VisitPlanned.model_validate(facts.payload)
            notice = Notice(
                key=f"vis-{planned.visit_id}-v{planned.version}-planned",
                purpose="visit_planned",
                source_id=planned.visit_id,
                version=planned.version,
                variables={"planned_on": planned.planned_on, "mode": planned.mode},
                **_tenancy(facts),
            )
            return await outbox.tell_guardians_of(notice, [planned.student_id], give_up)
        if facts.event_type == "partner-activity":
            await _partner_activity(store, outbox, facts, PartnerActivity.model_validate(facts.payload))
        return []

    return react


async def _meeting(outbox: Outbox, facts: Facts, invitation: Invitation, give_up: bool) -> list[str]:
    if await outbox.superseded(invitation.meeting_id, invitation.version):
        return []  # a kept invitation handled again after the meeting moved: only the newest counts
    key = f"mtg-{invitation.meeting_id}-v{invitation.version}"
    variables = {"title": invitation.title, "starts_at": invitation.starts_at, "place": invitation.place}
    base = {
        "source_id": invitation.meeting_id,
        "version": invitation.version,
        "starts_at": invitation.starts_at,  # news of a meeting today goes first
        **_tenancy(facts),
    }
    # the answer may change until the meeting starts; a cancelled meeting has nothing to open
    rsvp = Action("rsvp", invitation.meeting_id, until=invitation.starts_at)
    if invitation.status != "scheduled":
        await outbox.cancel_reminders(invitation.meeting_id, before_version=invitation.version)
    purpose = {"scheduled": "meeting_invitation", "rescheduled": "meeting_rescheduled"}.get(
        invitation.status, "meeting_cancelled"
    )
    cancelled = invitation.status == "cancelled"
    notices = [
        Notice(
            key=f"{key}-{invitation.status}",
            purpose=purpose,
            variables=variables,
            action=None if cancelled else rsvp,
            linked=not cancelled,
            **base,
        )
    ]
    if invitation.status != "cancelled":
        now = datetime.now(UTC)
        for before in outbox.settings.meeting_reminders_before:
            due = invitation.starts_at - before
            if due > now:  # a reminder whose time has passed is not sent late
                notices.append(
                    Notice(
                        key=f"{key}-reminder-{int(before.total_seconds())}",
                        purpose="meeting_reminder",
                        variables=variables,
                        due_at=due,
                        link_scope=rsvp,
                        **base,
                    )
                )
    return await outbox.tell_guardians(notices, invitation.guardian_ids, give_up)


async def _partner_activity(
    store: NotificationStore, outbox: Outbox, facts: Facts, activity: PartnerActivity
) -> None:
    """The classes' guardians hear of it (non-essential, needs consent); whoever the registry has
    not announced yet is not waited for."""
    if not activity.class_ids:
        return
    students = [
        s["_id"]
        for s in await store.students_of_school(facts.district_id, facts.school_id)
        if s["class_id"] in activity.class_ids
    ]
    notice = Notice(
        key=f"act-{activity.activity_id}",  # a later version (the partner confirming) is not news
        purpose="partner_activity",
        source_id=activity.activity_id,
        essential=False,
        variables={"held_on": activity.held_on, "kind": activity.kind},
        **_tenancy(facts),
    )
    await outbox.tell_guardians_of(notice, students)
