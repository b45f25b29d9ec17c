"""Guardians the registry announces after a meeting was scheduled are invited to it then.

A new student's guardians, a guardian added to a family, a student moved into another class: each
arrives here as a registry event, and the guardians it concerns are invited to the meetings of
that school still ahead that they belong to, unless already invited. A roster import sends
thousands of these events, so a guardian's invitations are one change, and the common case (no
meeting ahead) costs one read.
"""

from contextlib import suppress
from datetime import datetime

from service_kit.changes import ChangedMeanwhile
from service_kit.storage import Document

from scheduling import meetings
from scheduling.store import GUARDIANS, VisitStore


async def invite_newcomers(store: VisitStore, announced: Document, now: datetime) -> None:
    """``announced``: a student or guardian as scheduling has just projected it."""
    upcoming = meetings.ahead(
        await store.planned_meetings_of_school(announced["district_id"], announced["school_id"]), now
    )
    if not upcoming:
        return
    is_guardian = "student_ids" in announced
    guardians = [announced] if is_guardian else await store.find(GUARDIANS, {"student_ids": announced["_id"]})
    for guardian in guardians:
        students = [s for s in [await store.student(i) for i in guardian["student_ids"]] if s]
        already = await store.meetings_invited_late(guardian["_id"])
        due = [
            m
            for m in upcoming
            if meetings.belongs(m, students)
            and guardian["_id"] not in m["invitee_ids"]
            and m["meeting_id"] not in already
        ]
        if due:
            await invite(store, due, guardian["_id"], now)


async def invite(store: VisitStore, due: list[Document], guardian_id: str, now: datetime) -> None:
    """Invite one guardian, and keep up with meetings moved or cancelled meanwhile."""
    with suppress(ChangedMeanwhile):  # recorded before: this registry event came again
        await store.record(meetings.late_invitations(due, guardian_id, now))
    told = {m["meeting_id"]: m for m in due}
    while told:
        states = await store.meeting_states(list(told))
        changed = [s for s in states if s["version"] != told[s["_id"]]["version"] and s["status"] != "held"]
        told = {}
        for state in changed:
            # decided by an event that may not have known this guardian: they are told what it told
            current = await store.meeting(state["_id"])
            if current is None:
                continue
            with suppress(ChangedMeanwhile):
                await store.record(
                    meetings.late_invitation(current, guardian_id, now, meetings.as_told(current))
                )
            told[current["meeting_id"]] = current
