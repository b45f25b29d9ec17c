"""Guardians the registry announces after a meeting was scheduled are invited to it then.

A new student's guardians, a guardian added to a family, a student moved into another class or by
the bureau into another school: each arrives here as a registry event, and the guardians it
concerns are invited to the meetings still ahead of their children's schools that they belong to,
unless already invited. A roster import sends thousands of these events, so a guardian's
invitations are one change, and the common case (no meeting ahead) costs two reads: the children,
then the meetings ahead of their schools.
"""

from contextlib import suppress
from datetime import datetime

from service_kit.changes import ChangedMeanwhile
from service_kit.storage import Document

from scheduling import meetings
from scheduling.store import GUARDIANS, VisitStore


async def guardian_announced(store: VisitStore, guardian: Document, now: datetime) -> None:
    # The meetings of the schools their children are in now, not of the school that registered the
    # guardian: the registry keeps that one when the bureau moves a child to another school.
    children = await _children(store, guardian)
    schools = {s["school_id"] for s in children}
    if schools and (upcoming := await _ahead(store, guardian["district_id"], schools, now)):
        await _invite(store, upcoming, guardian, children, now)


async def student_announced(store: VisitStore, student: Document, now: datetime) -> None:
    """A student enrolled, moved to another class, or moved by the bureau to another school: the
    envelope (and so ``student``) names the school they are in now, whose meetings ahead invite
    their guardians."""
    if upcoming := await _ahead(store, student["district_id"], {student["school_id"]}, now):
        for guardian in await store.find(GUARDIANS, {"student_ids": student["_id"]}):
            await _invite(store, upcoming, guardian, await _children(store, guardian), now)


async def _children(store: VisitStore, guardian: Document) -> list[Document]:
    return await store.students_by_id(guardian["student_ids"])


async def _ahead(store: VisitStore, district_id: str, school_ids: set[str], now: datetime) -> list[Document]:
    return meetings.ahead(await store.planned_meetings_of_schools(district_id, school_ids), now)


async def _invite(
    store: VisitStore, upcoming: list[Document], guardian: Document, students: list[Document], now: datetime
) -> None:
    told = await store.late_invitation_versions(guardian["_id"])
    due = [
        m
        for m in upcoming
        if meetings.belongs(m, students)
        and guardian["_id"] not in m["invitee_ids"]
        and m["meeting_id"] not in told
    ]
    # invited late before, then the meeting moved without them (the catch-up below did not run)
    behind = {
        m["meeting_id"]: told[m["meeting_id"]]
        for m in upcoming
        if told.get(m["meeting_id"], m["version"]) < m["version"] and guardian["_id"] not in m["invitee_ids"]
    }
    await invite(store, due, guardian["_id"], now, behind)


async def invite(
    store: VisitStore,
    due: list[Document],
    guardian_id: str,
    now: datetime,
    behind: dict[str, int] | None = None,
) -> None:
    """Invite one guardian, and keep up with meetings moved or cancelled meanwhile. ``behind``:
    meetings the guardian was invited to late, by the version they were last told."""
    if due:
        with suppress(ChangedMeanwhile):  # recorded before: this registry event came again
            await store.record(meetings.late_invitations(due, guardian_id, now))
    told = {m["meeting_id"]: m["version"] for m in due} | (behind or {})
    while told:
        states = await store.meeting_states(list(told))
        # a move or cancellation decided without this guardian (its record would list them)
        missed = [
            s["_id"]
            for s in states
            if s["version"] != told[s["_id"]]
            and s["status"] != "held"
            and guardian_id not in s["invitee_ids"]
        ]
        told = {}
        for meeting_id in missed:  # they are told what that event told the others
            current = await store.meeting(meeting_id)
            if current is None:
                continue
            with suppress(ChangedMeanwhile):
                await store.record(
                    meetings.late_invitation(current, guardian_id, now, meetings.as_told(current))
                )
            told[meeting_id] = current["version"]
