"""Emergency contact (紧急联系): a student is ill or injured at school.

The first guardian is told at once on every channel they have, whatever the hour and whatever
they consented to. If nobody acknowledges within the waiting time, the next guardian is told, and
after the last guardian the class's head teacher. Each step is recorded on the emergency; the
waiting is a due-dated queue entry, so a restart does not forget an escalation.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.inputs import FreeText, OpaqueId
from pydantic import BaseModel, ConfigDict, Field
from service_kit.access import ensure_found
from service_kit.auth import Caller
from service_kit.errors import Problem
from service_kit.storage import Document

from notifications import access
from notifications.delivery import Outbox
from notifications.links import Action
from notifications.messages import Notice
from notifications.priorities import Priority
from notifications.store import (
    ACKNOWLEDGEMENTS,
    CLASSES,
    EMERGENCIES,
    GUARDIANS,
    STAFF,
    STUDENTS,
    NotificationStore,
)

START_GRACE = timedelta(seconds=15)


class EmergencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student_id: OpaqueId
    summary: FreeText = Field(
        min_length=1, max_length=300, description="What happened and what the school did."
    )
    ack_within_seconds: float | None = Field(
        default=None, gt=0, description="Wait this long for an acknowledgement before the next person."
    )


class EmergencyStep(BaseModel):
    at: datetime
    recipient_kind: str
    recipient_id: str
    message_ids: list[str]


class EmergencyPublic(BaseModel):
    emergency_id: str
    school_id: str
    student_id: str
    status: str = Field(description="open 等待确认, acknowledged 已确认, unanswered 无人确认")
    steps: list[EmergencyStep]
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    created_at: datetime


class NoOneToContact(Problem):
    def __init__(self) -> None:
        super().__init__(
            422,
            "no-one-to-contact",
            "该学生没有可联系的家长或班主任 (no guardian or head teacher to contact)",
            errors=[{"field": "body.student_id", "message": "no guardian or head teacher known"}],
        )


@dataclass(frozen=True)
class Read:
    """What raising an emergency has read already for telling its first person: the school's
    name, and the first guardian with their choices (none: the head teacher is first)."""

    school_name: str
    guardian: Document | None
    chosen: dict[str, Document]

    def chosen_for(self, recipient: Document | None) -> dict[str, Document] | None:
        """The choices read already for this recipient, or None when they are still to be read
        (only the first guardian's were)."""
        return self.chosen if recipient is self.guardian else None


class Emergencies:
    def __init__(self, store: NotificationStore, outbox: Outbox) -> None:
        self.store, self.outbox = store, outbox

    async def raise_(self, caller: Caller, request: EmergencyCreate, emergency_id: str) -> Document:
        access.EMERGENCY_STUDENT.role_allowed(caller)
        # Each store round trip here delays the first guardian's message, and under a county
        # letter each can take a tenth of a second: what does not depend on another is read (or
        # written) side by side. Reading guardians before the check leaks nothing: they are
        # returned only past it (and a student not found is a 404 once both reads are back).
        found, guardians = await asyncio.gather(
            self.store.get(STUDENTS, request.student_id), self.store.guardians_of([request.student_id])
        )
        student = ensure_found(found, "学生")
        access.EMERGENCY_STUDENT.check(caller, access.student_scope(student))
        first = guardians[0] if guardians else None
        now = datetime.now(UTC)
        # The escalation entry is queued before the emergency is kept and its first person told:
        # should this process stop before that, the dispatcher does it shortly (message ids are
        # fixed: nobody is told twice). With a guardian to tell, it is queued beside the reads;
        # should one of them fail, the entry finds no emergency when due and goes.
        reads = asyncio.gather(
            self.store.get(CLASSES, student["class_id"]),
            self.store.school_name(student["school_id"]),
            self.store.preferences_of([first["_id"]] if first else []),
        )
        if first is not None:
            (klass, school_name, chosen), _ = await asyncio.gather(
                reads, self._queue_escalation(emergency_id, student["school_id"], now + START_GRACE)
            )
        else:
            klass, school_name, chosen = await reads
        order = [{"kind": "guardian", "id": g["_id"]} for g in guardians]
        if klass and klass.get("head_teacher_id"):
            order.append({"kind": "staff", "id": klass["head_teacher_id"]})
        if not order:
            raise NoOneToContact()
        if first is None:  # the head teacher alone, known only now
            await self._queue_escalation(emergency_id, student["school_id"], now + START_GRACE)
        emergency = {
            "_id": emergency_id,
            "district_id": student["district_id"],
            "school_id": student["school_id"],
            "student_id": student["_id"],
            "class_id": student["class_id"],
            "summary": request.summary,
            "ack_seconds": request.ack_within_seconds or self.outbox.settings.emergency_ack_seconds,
            "order": order,
            "steps": [],
            "status": "open",
            "created_by": caller.subject,
            "created_at": now,
        }
        await self.store.insert_once(EMERGENCIES, emergency)
        return await self._contact_next(emergency, now, Read(school_name, first, chosen))

    async def _queue_escalation(self, emergency_id: str, school_id: str, due_at: datetime) -> None:
        await self.store.enqueue(_entry_id(emergency_id), due_at, "escalation", Priority.emergency, school_id)

    async def _contact_next(self, emergency: Document, now: datetime, read: Read | None = None) -> Document:
        """Tell the next person in the order; ``read``: what raising the emergency has just read
        of the school and the first guardian."""
        step = len(emergency["steps"])
        if step >= len(emergency["order"]):
            emergency = emergency | {"status": "unanswered"}
            await self.store.replace(EMERGENCIES, emergency)
            await self.store.dequeue(_entry_id(emergency["_id"]))
            return emergency
        who = emergency["order"][step]
        if read is not None and read.guardian is not None and read.guardian["_id"] == who["id"]:
            recipient: Document | None = read.guardian
        else:
            recipient = await self.store.get(GUARDIANS if who["kind"] == "guardian" else STAFF, who["id"])
        notice = Notice(
            key=f"{emergency['_id']}-step{step}",
            purpose="emergency" if who["kind"] == "guardian" else "emergency_staff",
            district_id=emergency["district_id"],
            school_id=emergency["school_id"],
            source_id=emergency["_id"],
            urgent=True,
            variables={"summary": emergency["summary"], "student_id": emergency["student_id"]},
            action=Action("acknowledge", emergency["_id"]),
        )
        made = await self.outbox.tell(
            notice,
            [recipient or {"_id": who["id"], "kind": who["kind"]}],
            {who["id"]: [emergency["student_id"]]},
            read.chosen_for(recipient) if read is not None else None,
            read.school_name if read is not None else None,
        )
        emergency = emergency | {
            "steps": [
                *emergency["steps"],
                {
                    "at": now,
                    "recipient_kind": who["kind"],
                    "recipient_id": who["id"],
                    "message_ids": [m["_id"] for m in made],
                },
            ]
        }
        await self.store.replace(EMERGENCIES, emergency)
        await self._queue_escalation(
            emergency["_id"], emergency["school_id"], now + timedelta(seconds=emergency["ack_seconds"])
        )
        return emergency

    async def escalate(self, entry: Document, now: datetime) -> None:
        """The waiting time is over: stop if someone acknowledged, else contact the next person."""
        emergency = await self.store.get(EMERGENCIES, entry["_id"].removeprefix("escalation-"))
        if emergency is None or emergency["status"] != "open":
            await self.store.dequeue(entry["_id"])
            return
        claim = f"{entry['_id']}:{len(emergency['steps'])}"
        if not await self.store.claim(claim, now, self.outbox.settings.delivery_lease_seconds):
            return
        try:
            if await self.store.get(ACKNOWLEDGEMENTS, emergency["_id"]):
                await self.store.replace(EMERGENCIES, emergency | {"status": "acknowledged"})
                await self.store.dequeue(entry["_id"])
            else:
                await self._contact_next(emergency, now)
        finally:
            await self.store.release(claim)

    async def acknowledge(self, caller: Caller, emergency_id: str) -> Document:
        """A guardian of the student, or staff of the class, says they have it in hand (first one counts)."""
        await self._visible(caller, emergency_id)
        await self.store.insert_once(
            ACKNOWLEDGEMENTS,
            {"_id": emergency_id, "by": caller.subject, "role": caller.role.value, "at": datetime.now(UTC)},
        )
        return await self.view(caller, emergency_id)

    async def view(self, caller: Caller, emergency_id: str) -> Document:
        emergency = await self._visible(caller, emergency_id)
        ack = await self.store.get(ACKNOWLEDGEMENTS, emergency_id)
        status = "acknowledged" if ack else emergency["status"]
        return emergency | {
            "emergency_id": emergency["_id"],
            "status": status,
            "acknowledged_by": ack["by"] if ack else None,
            "acknowledged_at": ack["at"] if ack else None,
        }

    async def _visible(self, caller: Caller, emergency_id: str) -> Document:
        """An emergency in the caller's reach: its own district, school and class, then the people
        it contacted and the student's guardians as the registry now holds them."""
        access.EMERGENCIES.role_allowed(caller)
        emergency = ensure_found(await self.store.get(EMERGENCIES, emergency_id), "紧急联系")
        guardians = await self.store.guardians_of([emergency["student_id"]])
        access.EMERGENCIES.check(caller, access.emergency_scope(emergency, guardians))
        return emergency


def _entry_id(emergency_id: str) -> str:
    return f"escalation-{emergency_id}"
