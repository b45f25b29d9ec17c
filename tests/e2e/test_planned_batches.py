"""A district letter's messages are written once, at their batch's first round, on the real store.

A county's letter is 150,000 messages. A school's part keeps only each batch's recipients; each
message is made when its batch first goes out and written once, in its state after that round.
The dispatcher here is driven by hand, on a database of its own, so each step can be looked at."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from contracts.events.registry import Channel
from notifications.announcements import AnnouncementCreate, Announcements
from notifications.channels import Outgoing, Sent
from notifications.delivery import Dispatcher, Outbox
from notifications.keeper import AudienceKeeper
from notifications.messages import Notice
from notifications.priorities import Priority
from notifications.settings import Settings
from notifications.store import PLANS, NotificationStore
from pymongo import AsyncMongoClient
from service_kit.auth import Caller, Role

pytestmark = pytest.mark.infra

LETTER = {
    "audience": {"kind": "district"},
    "variables": {"title": "寒假安全告家长书", "body": "注意防火防冻。"},
}


class RecordingSms:
    """An SMS provider that accepts every send and keeps its message id, repeats included."""

    channel = Channel.sms

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, outgoing: Outgoing) -> Sent:
        self.sent.append(outgoing.message_id)
        return Sent()


@dataclass
class Letters:
    store: NotificationStore
    announcements: Announcements
    dispatcher: Dispatcher
    sms: RecordingSms
    district: str
    school: str

    @property
    def bureau(self) -> Caller:
        return Caller("bureau-1", Role.bureau, self.district)

    async def addressed(self, announcement_id: str, letter: dict = LETTER) -> None:
        """The bureau sends the letter and its one school's part is addressed."""
        await self.announcements.send(self.bureau, AnnouncementCreate.model_validate(letter), announcement_id)
        [part] = [e for e in await self.store.due(datetime.now(UTC)) if e["kind"] == "fanout"]
        await self.announcements.finish_fan_out(part, datetime.now(UTC))

    async def guardian_joins(self, guardian_id: str, child: str) -> None:
        """A guardian of the child joins the school, as the registry's event makes it known: a
        new generation of its people."""
        await self.store.db["guardians"].insert_one(
            {
                "_id": guardian_id,
                "district_id": self.district,
                "school_id": self.school,
                "student_ids": [child],
                "contacts": {"phone": f"1390000000{guardian_id.removeprefix('gdn-')}"},
            }
        )
        await self.store.audience_changed(self.district, self.school)

    async def planned_batches(self) -> list[dict]:
        """The batches queued, the largest first."""
        queued = [e for e in await self.store.due(datetime.now(UTC)) if e["kind"] == "batch"]
        return sorted(queued, key=lambda e: -e["planned"])


@pytest.fixture
async def letters(infrastructure) -> AsyncIterator[Letters]:
    client: AsyncMongoClient = AsyncMongoClient(infrastructure.mongodb_url, tz_aware=True)
    name = f"district_test_plans_{uuid.uuid4().hex[:8]}"
    # batches of two; no quiet hours, whatever the hour the suite runs at
    settings = Settings(delivery_batch_size=2, quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    store = NotificationStore(client[name], batch_size=settings.delivery_batch_size)
    await store.create_indexes()
    outbox = Outbox(store, settings)
    announcements = Announcements(store, outbox)
    sms = RecordingSms()
    dispatcher = Dispatcher(store, settings, channels={Channel.sms: sms})
    dispatcher.make_planned = announcements.made_at_first_round
    district, school = "d-plans", "sch-plans"
    db = client[name]
    await db["schools"].insert_one({"_id": school, "district_id": district, "name": "平安小学"})
    for n in range(4):
        child = f"stu-{n}"
        await db["students"].insert_one(
            {"_id": child, "district_id": district, "school_id": school, "status": "enrolled"}
        )
        # the last guardian has no contact: their message is failed at once, never planned
        contacts = {"phone": f"1390000000{n}"} if n < 3 else {}
        await db["guardians"].insert_one(
            {
                "_id": f"gdn-{n}",
                "district_id": district,
                "school_id": school,
                "student_ids": [child],
                "contacts": contacts,
            }
        )
    try:
        yield Letters(store, announcements, dispatcher, sms, district, school)
    finally:
        await client.drop_database(name)
        await client.close()


async def test_a_district_letters_part_plans_its_batches_and_each_message_is_written_once_sent(letters):
    store, announcements, dispatcher, sms = (
        letters.store,
        letters.announcements,
        letters.dispatcher,
        letters.sms,
    )
    bureau = letters.bureau
    await letters.addressed("ann-plan")

    # the part wrote only the message that will never be sent, and planned the others' batches
    [failed] = await store.find("messages", {"source_id": "ann-plan"})
    assert (failed["recipient_id"], failed["status"]) == ("gdn-3", "failed")
    batches = await letters.planned_batches()
    assert [e["planned"] for e in batches] == [2, 1]
    summary = await announcements.summary(bureau, "ann-plan")
    assert summary.status_counts == {"queued": 3, "failed": 1}

    for batch in batches:
        await dispatcher.send_batch(batch, datetime.now(UTC))

    assert sorted(sms.sent) == ["ann-plan-gdn-0", "ann-plan-gdn-1", "ann-plan-gdn-2"]
    stored = {m["recipient_id"]: m for m in await store.find("messages", {"source_id": "ann-plan"})}
    assert {g: m["status"] for g, m in stored.items()} == {
        "gdn-0": "sent",
        "gdn-1": "sent",
        "gdn-2": "sent",
        "gdn-3": "failed",
    }
    # made as addressed: each guardian's own child and number, in the batch it was planned in
    assert [stored[f"gdn-{n}"]["student_ids"] for n in range(3)] == [["stu-0"], ["stu-1"], ["stu-2"]]
    assert stored["gdn-1"]["contacts"] == {"phone": "13900000001"}
    assert {stored[f"gdn-{n}"]["batch"] for n in range(3)} == {
        e["_id"].removeprefix("batch-") for e in batches
    }
    # nothing left queued or planned; the letter's counts come from its messages alone
    assert await letters.planned_batches() == []
    assert await store.db[PLANS].count_documents({}) == 0
    summary = await announcements.summary(bureau, "ann-plan")
    assert summary.status_counts == {"sent": 3, "failed": 1}


async def test_a_first_round_cut_off_before_its_record_makes_and_sends_the_same_messages_again(
    letters, monkeypatch
):
    store, dispatcher, sms = letters.store, letters.dispatcher, letters.sms
    await letters.addressed("ann-cut")
    [pair, _] = await letters.planned_batches()

    recorded = store.record_round

    async def stopped(*args: object) -> None:
        raise ConnectionError("process stopped")

    monkeypatch.setattr(store, "record_round", stopped)
    with pytest.raises(ConnectionError):
        await dispatcher.send_batch(pair, datetime.now(UTC))
    first_sends = list(sms.sent)
    assert len(first_sends) == 2
    # nothing was written: the batch is still planned, its messages still to be made
    assert await store.find("messages", {"batch": pair["_id"].removeprefix("batch-")}) == []
    assert await store.plan_of(pair["_id"].removeprefix("batch-")) is not None

    monkeypatch.setattr(store, "record_round", recorded)
    await store.release(pair["_id"])  # its lease has ended, as after a crash
    await dispatcher.send_batch(pair, datetime.now(UTC))

    # the same two messages again, by the same ids (the window the provider drops repeats in)
    assert sorted(sms.sent[2:]) == sorted(first_sends)
    made = await store.find("messages", {"batch": pair["_id"].removeprefix("batch-")})
    assert sorted((m["_id"], m["status"]) for m in made) == [(m, "sent") for m in sorted(first_sends)]


async def test_a_schools_part_reads_the_roster_kept_when_it_was_counted_until_its_people_change(
    letters, monkeypatch
):
    """Counting the letter's audience keeps each school's roster; its part reads that one value,
    not the school's students and guardians, unless the registry has changed them since."""
    store, announcements = letters.store, letters.announcements
    bureau = letters.bureau
    await announcements.send(bureau, AnnouncementCreate.model_validate(LETTER), "ann-kept")
    people_read = store.people_of_school

    async def not_read(district_id: str, school_id: str) -> None:
        raise AssertionError("the school's people were read again")

    monkeypatch.setattr(store, "people_of_school", not_read)
    [part] = [e for e in await store.due(datetime.now(UTC)) if e["kind"] == "fanout"]
    await announcements.finish_fan_out(part, datetime.now(UTC))
    planned = await letters.planned_batches()
    assert sum(e["planned"] for e in planned) == 3

    # a guardian joins the school: a new generation, and the next letter reads the people again
    await store.db["students"].insert_one(
        {"_id": "stu-4", "district_id": letters.district, "school_id": letters.school, "status": "enrolled"}
    )
    await letters.guardian_joins("gdn-4", "stu-4")
    with pytest.raises(AssertionError, match="read again"):
        await announcements.send(bureau, AnnouncementCreate.model_validate(LETTER), "ann-again")
    monkeypatch.setattr(store, "people_of_school", people_read)
    again = await announcements.send(bureau, AnnouncementCreate.model_validate(LETTER), "ann-again")
    assert again.recipients == 5


async def test_who_has_not_confirmed_a_district_letter_is_read_from_its_schools_parts(letters):
    await letters.addressed("ann-confirm", LETTER | {"confirmation": "any_guardian"})

    state = await letters.announcements.confirmations(letters.bureau, "ann-confirm")
    assert (state.students, state.confirmed) == (4, 0)
    assert [(p.student_id, p.pending_guardian_ids) for p in state.pending] == [
        (f"stu-{n}", [f"gdn-{n}"]) for n in range(4)
    ]


async def test_an_emergencys_batch_is_handed_to_this_dispatcher_and_a_letters_is_read_from_the_queue(
    letters,
):
    store = letters.store
    await letters.addressed("ann-handed")
    assert store.take_handed(datetime.now(UTC)) == []  # the letter's part and its batches wait their turn
    guardian = await store.get("guardians", "gdn-0")
    emergency = Notice(
        key="emg-1-step0",
        purpose="emergency",
        district_id=letters.district,
        school_id=letters.school,
        source_id="emg-1",
        urgent=True,
        variables={"summary": "孩子发烧", "student_id": "stu-0"},
    )
    made = await Outbox(store, letters.dispatcher.settings).tell(emergency, [guardian], {"gdn-0": ["stu-0"]})
    [batch] = {m["batch"] for m in made}  # every channel of the guardian, in one batch
    [handed] = store.take_handed(datetime.now(UTC))
    assert (handed["_id"], handed["priority"]) == (f"batch-{batch}", int(Priority.emergency))
    assert handed["_id"] in {e["_id"] for e in await store.due(datetime.now(UTC))}  # queued all the same
    assert store.take_handed(datetime.now(UTC)) == []  # handed once


async def test_the_keeper_counts_a_school_whose_people_changed_so_the_preview_reads_no_people(
    letters, monkeypatch
):
    store, announcements = letters.store, letters.announcements
    keeper = AudienceKeeper(store, announcements, seconds=30)
    await keeper.keep_once()  # after a start: every school counted once, before any preview
    people_read = store.people_of_school

    async def not_read(district_id: str, school_id: str) -> None:
        raise AssertionError("the school's people were read by the preview")

    monkeypatch.setattr(store, "people_of_school", not_read)
    preview = await announcements.preview(letters.bureau, AnnouncementCreate.model_validate(LETTER))
    assert preview.recipients == 4

    # a guardian joins: the keeper counts the school again, and the preview still reads no people
    await letters.guardian_joins("gdn-5", "stu-0")
    monkeypatch.setattr(store, "people_of_school", people_read)
    await keeper.keep_once()
    monkeypatch.setattr(store, "people_of_school", not_read)
    preview = await announcements.preview(letters.bureau, AnnouncementCreate.model_validate(LETTER))
    assert preview.recipients == 5
