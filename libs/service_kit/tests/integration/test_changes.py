"""The change log on the real store and broker: one insert decides a change, the aggregate and
its events never diverge, a writer that stopped half-way is repaired."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from contracts.events.visits import VisitLogged, VisitLoggedV1, VisitMode
from pymongo import AsyncMongoClient
from service_kit.changes import (
    Applied,
    Change,
    ChangedMeanwhile,
    ChangeLog,
    ChangeRelay,
    event_entry,
    kept_of,
)
from service_kit.messaging import build_broker, ensure_topics
from service_kit.settings import ServiceSettings

pytestmark = pytest.mark.infra


def visit_event(school_id: str) -> VisitLoggedV1:
    return VisitLoggedV1(
        producer="test",
        district_id="d-test",
        school_id=school_id,
        payload=VisitLogged(
            visit_id=f"v-{uuid.uuid4().hex[:8]}",
            student_id="stu-1",
            class_id="cls-1",
            visiting_staff_ids=["stf-1"],
            visited_on=date(2026, 10, 1),
            mode=VisitMode.phone,
        ),
    )


@pytest.fixture
async def db(infrastructure):
    client = AsyncMongoClient(infrastructure.mongodb_url)
    database = client[f"test_changes_{uuid.uuid4().hex[:8]}"]
    await ChangeLog(database).create_indexes()
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def broker(infrastructure):
    # the change relay of the service that owns the topic, as that service's principal
    settings = ServiceSettings(**infrastructure.settings_env("scheduling"))
    await ensure_topics(settings, [VisitLoggedV1.topic])
    kafka = build_broker(settings)
    await kafka.start()
    yield kafka
    await kafka.stop()


async def test_second_writer_of_the_same_version_gets_409_and_nothing_half_written(db):
    log = ChangeLog(db)
    await log.record(Change("students", "stu-1", 1, {"name": "first"}, what="学生"))

    with pytest.raises(ChangedMeanwhile) as conflict:
        await log.record(Change("students", "stu-1", 1, {"name": "second"}, what="学生"))

    assert conflict.value.status == 409
    assert await db.students.find_one({"_id": "stu-1"}) == {"_id": "stu-1", "name": "first", "version": 1}
    assert await db.changes.count_documents({}) == 1
    assert await db.changes_pending.count_documents({}) == 1


class StopsBeforeApplying(ChangeLog):
    """A writer whose process dies after the change is inserted, before the aggregate is written."""

    async def apply(self, change: Change) -> None:
        raise ConnectionError("process killed")


async def test_relay_waits_for_a_writer_then_repairs_the_aggregate_before_publishing(db, broker):
    event = visit_event(f"sch-{uuid.uuid4().hex[:6]}")
    with pytest.raises(ConnectionError):
        await StopsBeforeApplying(db).record(Change("visits", "v-1", 1, {"mode": "phone"}, (event,)))

    patient = ChangeRelay(db, broker, repair_after=timedelta(seconds=30))
    assert await patient.relay_once() == 0  # the writer may still be at work
    assert await db.visits.find_one({"_id": "v-1"}) is None

    repairing = ChangeRelay(db, broker, repair_after=timedelta(0))
    assert await repairing.relay_once() == 1
    assert await db.visits.find_one({"_id": "v-1"}) == {"_id": "v-1", "mode": "phone", "version": 1}
    assert await repairing.pending_count() == 0
    assert await db.changes_events.count_documents({}) == 0


async def test_an_applied_change_is_flagged_beside_its_marker_and_published_at_once(db, broker):
    """The writer flags its change applied with a tiny insert, not by rewriting the marker and
    its events; the relay publishes it without waiting, then removes marker and flag."""
    events = tuple(visit_event(f"sch-{uuid.uuid4().hex[:6]}") for _ in range(3))
    await ChangeLog(db).record(Change("visits", "v-3", 1, {"mode": "home"}, events))

    marker = await db.changes_pending.find_one({"_id": "visits:v-3:1"})
    assert marker["applied"] is False  # never rewritten
    assert "events" not in marker  # they wait apart, read only when published
    kept = await db.changes_events.find_one({"_id": "visits:v-3:1"})
    assert [e["event_id"] for e in kept["events"]] == [str(e.event_id) for e in events]
    assert await db.changes_applied.find_one({"_id": "visits:v-3:1"}) is not None
    assert await ChangeRelay(db, broker, repair_after=timedelta(hours=1)).relay_once() == 3
    assert await db.changes_pending.count_documents({}) == 0
    assert await db.changes_applied.count_documents({}) == 0
    assert await db.changes_events.count_documents({}) == 0


class CountedReads:
    """A collection whose ``find_one`` calls are counted."""

    def __init__(self, collection) -> None:
        self.collection, self.reads = collection, 0

    async def find_one(self, *args, **kwargs):
        self.reads += 1
        return await self.collection.find_one(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.collection, name)


class StopsBeforeFlagging(ChangeLog):
    """A writer still at work: its change is in the log and applied, its flag not yet written."""

    async def flag(self, key: str, token: str) -> None:
        pass


async def test_the_relay_reads_a_changes_events_once_however_long_it_waits_for_an_earlier_writer(db, broker):
    """The relay looks at every pending marker each round, and a letter's round carries 250 events:
    they are read only when published, not at each look while an earlier change is being written."""
    school = f"sch-{uuid.uuid4().hex[:6]}"
    slow = Change("visits", "v-7", 1, {}, (visit_event(school),))
    await StopsBeforeFlagging(db).record(slow)
    await ChangeLog(db).record(Change("visits", "v-8", 1, {}, tuple(visit_event(school) for _ in range(5))))
    relay = ChangeRelay(db, broker, repair_after=timedelta(hours=1))
    relay.events = CountedReads(relay.events)

    for _ in range(3):
        assert await relay.relay_once() == 0  # v-8 waits behind v-7, still being written
    await db.changes_applied.insert_one(
        {"_id": slow.key, "token": (await db.changes_pending.find_one({"_id": slow.key}))["token"]}
    )
    assert await relay.relay_once() == 6

    assert relay.events.reads == 2  # each change's events, once
    assert await db.changes_events.count_documents({}) == 0


async def test_a_marker_queued_before_events_were_kept_apart_is_published_with_its_own_events(db, broker):
    await db.changes_pending.insert_one(
        {
            "_id": "visits:v-6:1",
            "at": datetime.now(UTC),
            "events": [event_entry(visit_event("sch-old"))],
            "applied": True,
        }
    )
    assert await ChangeRelay(db, broker, repair_after=timedelta(hours=1)).relay_once() == 1
    assert await db.changes_pending.count_documents({}) == 0


async def test_a_flag_left_by_a_slow_writer_does_not_pass_for_a_later_marker_of_the_same_change(db, broker):
    """A writer slower than the relay's patience flags its change after the relay repaired and
    published it; a later writer of the same version queues a marker, then finds the change taken
    and withdraws. Meanwhile the old flag must not make the relay publish that marker's events."""
    await db.changes_applied.insert_one({"_id": "visits:v-5:1", "token": "the-first-writers"})
    await db.changes_pending.insert_one(
        {
            "_id": "visits:v-5:1",
            "at": datetime.now(UTC),
            "events": [{"topic": "x", "key": "k", "value": "{}", "event_type": "t", "event_id": "e"}],
            "applied": False,
            "token": "the-second-writers",
        }
    )
    assert await ChangeRelay(db, broker, repair_after=timedelta(hours=1)).relay_once() == 0


async def test_relay_keeps_the_order_of_changes_behind_one_still_being_written(db, broker):
    school = f"sch-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ConnectionError):
        await StopsBeforeApplying(db).record(Change("visits", "v-1", 1, {}, (visit_event(school),)))
    await ChangeLog(db).record(Change("visits", "v-2", 1, {}, (visit_event(school),)))

    relay = ChangeRelay(db, broker, repair_after=timedelta(seconds=30))

    assert await relay.relay_once() == 0
    assert await relay.pending_count() == 2


async def test_a_queued_change_that_never_landed_is_dropped_once_its_writer_had_time(db, broker):
    from datetime import UTC, datetime

    await db.changes_pending.insert_one(
        {"_id": "visits:v-9:1", "at": datetime.now(UTC), "events": [], "applied": False}
    )

    assert await ChangeRelay(db, broker, repair_after=timedelta(seconds=30)).relay_once() == 0
    assert await db.changes_pending.count_documents({}) == 1
    assert await ChangeRelay(db, broker, repair_after=timedelta(0)).relay_once() == 0
    assert await db.changes_pending.count_documents({}) == 0
    assert await db.visits.count_documents({}) == 0


async def test_a_change_replacing_many_documents_by_a_filter_leaves_the_rest_and_can_be_applied_again(db):
    """A batch's round: its queued messages are replaced in two statements; a message of the batch
    already final, and another batch's messages, are left as they are."""
    await db.messages.insert_many(
        [{"_id": f"m{n}", "batch": "b1", "status": "queued", "version": 1} for n in range(3)]
        + [{"_id": "m3", "batch": "b1", "status": "sent", "version": 2, "read_at": "now"}]
        + [{"_id": "m4", "batch": "b2", "status": "queued", "version": 1}]
    )
    after = [
        Applied("messages", "m0", 2, {"batch": "b1", "status": "sent"}),
        Applied("messages", "m1", 2, {"batch": "b1", "status": "queued", "attempts": 1}),
        Applied("messages", "m2", 1, {"batch": "b1", "status": "queued"}),  # not due: unchanged
    ]
    change = Change(
        "batches",
        "b1",
        1,
        {"at": "round 1"},
        also=tuple(after),
        replacing={"messages": {"batch": "b1", "status": "queued"}},
    )
    log = ChangeLog(db)
    await log.record(change)
    await log.apply(change)  # a repair applying it again changes nothing

    found = {m["_id"]: m for m in await db.messages.find().to_list()}
    assert found["m0"] == {"_id": "m0", "batch": "b1", "status": "sent", "version": 2}
    assert found["m1"]["attempts"] == 1
    assert found["m2"]["version"] == 1
    assert found["m3"]["read_at"] == "now"  # final before the round: not rewritten
    assert found["m4"] == {"_id": "m4", "batch": "b2", "status": "queued", "version": 1}
    assert len(found) == 5
    assert (await db.changes.find_one({"_id": change.key}))["replacing"] == change.replacing


async def test_the_relay_repairs_a_round_its_writer_left_unapplied(db, broker):
    await db.messages.insert_many(
        [{"_id": f"m{n}", "batch": "b1", "status": "queued", "version": 1} for n in range(60)]
    )
    after = tuple(Applied("messages", f"m{n}", 2, {"batch": "b1", "status": "sent"}) for n in range(60))
    change = Change(
        "batches",
        "b1",
        1,
        {},
        (visit_event("sch-x"),),
        also=after,
        replacing={"messages": {"batch": "b1", "status": "queued"}},
    )
    with pytest.raises(ConnectionError):
        await StopsBeforeApplying(db).record(change)

    assert await ChangeRelay(db, broker, repair_after=timedelta(0)).relay_once() == 1
    assert await db.messages.count_documents({"status": "sent"}) == 60
    assert await db.messages.count_documents({}) == 60


async def test_a_round_logged_keeps_its_messages_and_events_in_one_value_the_relay_reads_back(db):
    sent_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    after = tuple(Applied("messages", f"m{n}", 2, {"status": "sent", "sent_at": sent_at}) for n in range(3))
    await ChangeLog(db).record(Change("batches", "b2", 1, {}, (visit_event("sch-y"),), also=after))
    logged = await db.changes.find_one({"_id": "batches:b2:1"})
    # one packed value, not the messages spelled out
    assert set(logged) == {
        "_id",
        "collection",
        "aggregate_id",
        "version",
        "state",
        "kept",
        "replacing",
        "actor",
        "district_id",
        "school_id",
        "at",
    }
    also, events = kept_of(logged)
    assert also == list(after)
    assert [e["event_type"] for e in events] == ["visit-logged"]


async def test_a_change_logged_before_its_states_were_packed_is_still_repaired(db, broker):
    """A change a writer left unapplied before an upgrade keeps its states and events spelled out."""
    event = event_entry(visit_event(f"sch-{uuid.uuid4().hex[:6]}"))
    await db.messages.insert_one({"_id": "m0", "batch": "b3", "status": "queued", "version": 1})
    await db.changes_pending.insert_one(
        {"_id": "batches:b3:1", "at": datetime.now(UTC) - timedelta(minutes=1), "applied": False}
    )
    await db.changes.insert_one(
        {
            "_id": "batches:b3:1",
            "collection": "batches",
            "aggregate_id": "b3",
            "version": 1,
            "state": {},
            "also": [
                {"collection": "messages", "aggregate_id": "m0", "version": 2, "state": {"status": "sent"}}
            ],
            "replacing": {"messages": {"batch": "b3", "status": "queued"}},
            "events": [event],
        }
    )

    assert await ChangeRelay(db, broker, repair_after=timedelta(0)).relay_once() == 1
    assert await db.messages.find_one({"_id": "m0"}) == {"_id": "m0", "status": "sent", "version": 2}


async def test_a_document_added_anew_between_the_delete_and_the_insert_gives_way_to_the_changes_state(db):
    """A redelivered event adding a message again in the moment its round replaces it: the round's
    newer state wins, so the message is not sent a second time."""
    await db.messages.insert_one({"_id": "m0", "batch": "b-again", "status": "queued", "version": 1})
    sent = Applied("messages", "m0", 2, {"batch": "b1", "status": "sent"})
    change = Change(
        "batches", "b1", 1, {}, also=(sent,), replacing={"messages": {"batch": "b1", "status": "queued"}}
    )
    await ChangeLog(db).record(change)
    assert await db.messages.find_one({"_id": "m0"}) == {
        "_id": "m0",
        "batch": "b1",
        "status": "sent",
        "version": 2,
    }


async def test_a_change_whose_events_are_missing_beside_its_marker_is_published_from_the_log(db, broker):
    events = tuple(visit_event(f"sch-{uuid.uuid4().hex[:6]}") for _ in range(2))
    await ChangeLog(db).record(Change("visits", "v-4", 1, {"mode": "home"}, events))
    await db.changes_events.delete_one({"_id": "visits:v-4:1"})  # lost, by hand say

    assert await ChangeRelay(db, broker, repair_after=timedelta(hours=1)).relay_once() == 2
    assert await db.changes_pending.count_documents({}) == 0
