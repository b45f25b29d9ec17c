"""How many store round trips an emergency's first message waits for, on a fake store whose every
call answers only at the next tick of a clock the test drives (no I/O, no timing): calls made side
by side answer at the same tick."""

import asyncio

import pytest
from notifications.delivery import Outbox
from notifications.emergencies import Emergencies, EmergencyCreate, NoOneToContact
from notifications.settings import Settings
from service_kit.access import OutOfScope
from service_kit.auth import Caller, Role

STUDENT = {
    "_id": "stu-1",
    "district_id": "dst-1",
    "school_id": "sch-1",
    "class_id": "cls-1",
}
GUARDIAN = {
    "_id": "gdn-1",
    "kind": "guardian",
    "school_id": "sch-1",
    "student_ids": ["stu-1"],
    "contacts": {"phone": "13900000001"},
}
CLASS = {"_id": "cls-1", "school_id": "sch-1", "head_teacher_id": "stf-1"}


class TickingStore:
    """Answers each call at the next tick; records each call with the tick it was made at."""

    def __init__(self, guardians: list[dict], klass: dict = CLASS) -> None:
        self.guardians, self.klass = guardians, klass
        self.waiting: list[asyncio.Future[None]] = []
        self.tick = 0
        self.calls: list[tuple[str, int]] = []
        self.queued_at_tick: int | None = None
        self.entries: list[str] = []

    def made_at(self, call: str) -> list[int]:
        return [tick for made, tick in self.calls if made == call]

    async def _trip(self, call: str) -> None:
        self.calls.append((call, self.tick))
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append(answer)
        await answer

    def answer_all(self) -> None:
        self.tick += 1
        waiting, self.waiting = self.waiting, []
        for answer in waiting:
            answer.set_result(None)

    async def get(self, collection: str, record_id: str) -> dict | None:
        await self._trip(f"get {collection}")
        return {"students": STUDENT, "classes": self.klass}.get(collection)

    async def guardians_of(self, student_ids: list[str]) -> list[dict]:
        await self._trip("guardians_of")
        return list(self.guardians)

    async def school_name(self, school_id: str) -> str:
        await self._trip("school_name")
        return "第一小学"

    async def preferences_of(self, recipient_ids: list[str]) -> dict:
        await self._trip("preferences_of")
        return {}

    async def enqueue(self, entry_id: str, *args: object) -> None:
        await self._trip("enqueue")
        self.entries.append(entry_id)

    async def dequeue(self, entry_id: str) -> None:
        await self._trip("dequeue")

    async def insert_once(self, collection: str, document: dict) -> None:
        await self._trip("insert_once")

    async def replace(self, collection: str, document: dict) -> None:
        await self._trip("replace")

    async def add_messages(self, messages: list[dict]) -> int:
        if self.queued_at_tick is None:
            self.queued_at_tick = self.tick
        await self._trip("add_messages")
        return len(messages)


TEACHER = Caller("tch-1", Role.teacher, "dst-1", "sch-1", frozenset({"cls-1"}))


async def raised(store: TickingStore, caller: Caller = TEACHER) -> dict:
    emergencies = Emergencies(store, Outbox(store, Settings()))  # type: ignore[arg-type]
    raising = asyncio.create_task(
        emergencies.raise_(caller, EmergencyCreate(student_id="stu-1", summary="摔伤"), "emg-1")
    )
    while not raising.done():
        for _ in range(20):  # every call made side by side is waiting before the clock ticks
            await asyncio.sleep(0)
        store.answer_all()
    return raising.result()


async def test_an_emergencys_first_message_is_queued_after_three_round_trips():
    # the student and their guardians; the class, school name, choices and escalation entry;
    # the emergency kept: then the first guardian's message is queued
    store = TickingStore([GUARDIAN])
    emergency = await raised(store)
    assert store.queued_at_tick == 3
    assert emergency["steps"][0]["recipient_id"] == "gdn-1"
    assert store.entries == ["escalation-emg-1", "escalation-emg-1"]  # queued, then due at the ack time


async def test_the_escalation_is_queued_before_the_emergency_is_kept_and_that_before_anyone_is_told():
    for guardians in ([GUARDIAN], []):  # the first guardian, or the head teacher alone
        store = TickingStore(guardians)
        await raised(store)
        [kept] = store.made_at("insert_once")
        assert store.made_at("enqueue")[0] < kept < store.made_at("add_messages")[0]


async def test_a_caller_without_the_students_class_is_refused_before_anything_is_written():
    store = TickingStore([GUARDIAN])
    other_class = Caller("tch-2", Role.teacher, "dst-1", "sch-1", frozenset({"cls-2"}))
    with pytest.raises(OutOfScope):
        await raised(store, other_class)
    assert {call for call, _ in store.calls} == {"get students", "guardians_of"}


async def test_a_student_with_no_guardian_nor_head_teacher_is_refused_and_nothing_is_queued():
    store = TickingStore([], klass={"_id": "cls-1", "school_id": "sch-1"})
    with pytest.raises(NoOneToContact):
        await raised(store)
    assert not store.made_at("enqueue")
    assert not store.made_at("insert_once")


async def test_with_no_guardian_the_head_teacher_is_told_and_the_school_read_once():
    store = TickingStore([])
    emergency = await raised(store)
    assert emergency["order"] == [{"kind": "staff", "id": "stf-1"}]
    assert emergency["steps"][0]["recipient_id"] == "stf-1"
    assert len(store.made_at("school_name")) == 1
