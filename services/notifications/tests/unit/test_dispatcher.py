"""The dispatcher's choice of what to start, on a fake store (no I/O)."""

import asyncio
from datetime import UTC, datetime, timedelta

from notifications.delivery import (
    BULK_PLACES_WHILE_ADDRESSING,
    FANOUTS_AT_MOST,
    FANOUTS_AT_ONCE,
    GUARDIANS_ADDRESSED_AT_ONCE,
    Dispatcher,
)
from notifications.priorities import Priority
from notifications.settings import Settings

NOW = datetime.now(UTC)


class BusyElsewhere:
    """A store whose every batch is claimed by another process."""

    def __init__(self, entries: list[dict]) -> None:
        self.entries, self.queued = entries, asyncio.Event()
        self.claims = 0
        self.handed: list[dict] = []

    async def due(self, now: datetime) -> list[dict]:
        return list(self.entries)

    def take_handed(self, now: datetime) -> list[dict]:
        handed, self.handed = self.handed, []
        return handed

    async def claim(self, key: str, now: datetime, lease_seconds: float) -> bool:
        self.claims += 1
        return False


def batch(entry_id: str, level: Priority, school: str = "sch-a") -> dict:
    return {
        "_id": entry_id,
        "kind": "batch",
        "priority": int(level),
        "school_id": school,
        "due_at": NOW - timedelta(seconds=1),
    }


async def test_work_another_process_holds_is_not_tried_again_before_the_next_poll():
    store = BusyElsewhere([batch("batch-b1", Priority.bulk)])
    dispatcher = Dispatcher(store, Settings(delivery_poll_seconds=30), channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1
    await asyncio.sleep(0.01)  # the round finds the claim taken
    for _ in range(50):  # the finished task wakes the loop at once: it must not start it again
        assert await dispatcher.dispatch_once() == 0
    assert store.claims == 1


async def test_an_emergency_starts_even_when_its_lane_is_full():
    store = BusyElsewhere([batch(f"batch-r{n}", Priority.time_critical) for n in range(3)])
    release = asyncio.Event()

    async def slow_round(entry: dict, now: datetime) -> None:
        await release.wait()

    settings = Settings(delivery_urgent_concurrency=1, delivery_poll_seconds=30)
    dispatcher = Dispatcher(store, settings, {"batch": slow_round}, channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1  # one reminder's batch fills the urgent lane
    store.entries.append(batch("batch-emergency", Priority.emergency))
    store.queued.set()
    assert await dispatcher.dispatch_once() == 1
    assert "batch-emergency" in dispatcher._busy  # it went past the full lane; the reminders wait
    release.set()
    await dispatcher.stop()


def school_part(n: int, due_at: datetime = NOW) -> dict:
    """Queued work addressing one school's part of a district letter."""
    part = batch(f"fanout-ann-1-sch-{n}", Priority.bulk, school=f"sch-{n}")
    return part | {"kind": "fanout", "announcement_id": "ann-1", "due_at": due_at}


async def test_while_a_district_letter_is_addressed_bulk_sending_keeps_one_place():
    parts = [school_part(n, NOW - timedelta(seconds=5)) for n in range(6)]  # queued before any batch
    made = [batch(f"batch-made-{n}", Priority.bulk, school=f"sch-{n}") for n in range(3)]
    class_notice = batch("batch-class-notice", Priority.normal)
    store = BusyElsewhere([*parts, *made, class_notice])
    addressed, sent = asyncio.Event(), asyncio.Event()

    async def address(entry: dict, now: datetime) -> None:
        await addressed.wait()
        store.entries.remove(entry)

    async def send(entry: dict, now: datetime) -> None:
        await sent.wait()
        store.entries.remove(entry)

    settings = Settings(delivery_concurrency=FANOUTS_AT_ONCE, delivery_poll_seconds=30)
    dispatcher = Dispatcher(store, settings, {"batch": send, "fanout": address}, channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == FANOUTS_AT_ONCE + BULK_PLACES_WHILE_ADDRESSING + 1
    addressing = {f"fanout-ann-1-sch-{n}" for n in range(FANOUTS_AT_ONCE)}
    # one bulk batch goes out meanwhile; a class's notice (normal, not bulk) is not held back
    assert dispatcher._busy == addressing | {"batch-made-0", "batch-class-notice"}
    addressed.set()  # every school is addressed: bulk sending takes the lane's places again
    for _ in range(50):
        await asyncio.sleep(0)
        await dispatcher.dispatch_once()
    assert {m["_id"] for m in made} <= dispatcher._busy
    assert not any(e.startswith("fanout-") for e in dispatcher._busy)
    sent.set()
    for _ in range(50):
        await asyncio.sleep(0)
    # every place given back
    assert not dispatcher._busy
    assert (dispatcher._fanning, dispatcher._addressing, dispatcher._sending_bulk) == (0, 0, 0)
    assert dispatcher._running == {True: 0, False: 0}
    await dispatcher.stop()


async def test_more_small_schools_than_large_ones_are_addressed_at_once():
    small = GUARDIANS_ADDRESSED_AT_ONCE // (2 * FANOUTS_AT_MOST)  # a county's many small schools
    large = GUARDIANS_ADDRESSED_AT_ONCE // FANOUTS_AT_ONCE
    earlier = NOW - timedelta(seconds=5)
    parts = [school_part(n, earlier) | {"guardians": small} for n in range(FANOUTS_AT_MOST + 2)]
    parts += [school_part(100 + n) | {"guardians": large} for n in range(2)]
    store = BusyElsewhere(parts)
    release = asyncio.Event()

    async def address(entry: dict, now: datetime) -> None:
        await release.wait()

    dispatcher = Dispatcher(store, Settings(delivery_poll_seconds=30), {"fanout": address}, channels={})  # type: ignore[arg-type]
    # every small part the cap allows, and no large one beside them (its turn comes after)
    assert await dispatcher.dispatch_once() == FANOUTS_AT_MOST
    assert not {"fanout-ann-1-sch-100", "fanout-ann-1-sch-101"} & dispatcher._busy
    release.set()
    await dispatcher.stop()


async def test_large_schools_and_parts_without_a_count_are_addressed_a_few_at_a_time():
    large = GUARDIANS_ADDRESSED_AT_ONCE // FANOUTS_AT_ONCE
    counted = [school_part(n) | {"guardians": large} for n in range(FANOUTS_AT_ONCE + 2)]
    queued_before_counts = [school_part(100 + n) for n in range(FANOUTS_AT_ONCE + 2)]
    release = asyncio.Event()

    async def address(entry: dict, now: datetime) -> None:
        await release.wait()

    for parts in (counted, queued_before_counts):
        store = BusyElsewhere(parts)
        settings = Settings(delivery_poll_seconds=30)
        dispatcher = Dispatcher(store, settings, {"fanout": address}, channels={})  # type: ignore[arg-type]
        assert await dispatcher.dispatch_once() == FANOUTS_AT_ONCE
        release.set()
        await dispatcher.stop()
        release.clear()


async def test_a_school_letters_unfinished_fan_out_does_not_hold_bulk_sending_back():
    # a school letter's safety net (its sender stopped half-way), not a district letter's part
    earlier = NOW - timedelta(seconds=5)  # started before the batches
    unfinished = batch("fanout-ann-2", Priority.bulk) | {"kind": "fanout", "due_at": earlier}
    made = [batch(f"batch-made-{n}", Priority.bulk, school=f"sch-{n}") for n in range(3)]
    store = BusyElsewhere([unfinished, *made])
    release = asyncio.Event()

    async def slow(entry: dict, now: datetime) -> None:
        await release.wait()

    settings = Settings(delivery_concurrency=len(made), delivery_poll_seconds=30)
    dispatcher = Dispatcher(store, settings, {"batch": slow, "fanout": slow}, channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1 + len(made)
    release.set()
    await dispatcher.stop()


async def test_a_step_that_raised_is_not_tried_again_at_once():
    store = BusyElsewhere([batch("fanout-ann-1-sch-0", Priority.bulk) | {"kind": "fanout"}])
    tries = []

    async def failing(entry: dict, now: datetime) -> None:
        tries.append(entry["_id"])
        raise RuntimeError("a guardian record the fan-out cannot read")

    dispatcher = Dispatcher(store, Settings(delivery_poll_seconds=30), {"fanout": failing}, channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1
    await asyncio.sleep(0.01)  # the step fails; its end wakes the loop at once
    for _ in range(20):
        assert await dispatcher.dispatch_once() == 0
    assert tries == ["fanout-ann-1-sch-0"]
    await dispatcher.stop()


async def test_an_urgent_entry_queued_here_starts_before_the_queue_is_read():
    class SlowQueue(BusyElsewhere):
        """A county letter's queue, slow to read under load."""

        def __init__(self) -> None:
            super().__init__([batch(f"batch-letter-{n}", Priority.bulk) for n in range(300)])
            self.read = asyncio.Event()

        async def due(self, now: datetime) -> list[dict]:
            await self.read.wait()
            return list(self.entries)

    store = SlowQueue()
    started = asyncio.Event()

    async def emergency_round(entry: dict, now: datetime) -> None:
        started.set()

    handlers = {"batch": emergency_round}
    dispatcher = Dispatcher(store, Settings(delivery_poll_seconds=30), handlers, channels={})  # type: ignore[arg-type]
    store.handed = [batch("batch-emergency", Priority.emergency)]
    store.queued.set()
    looking = asyncio.create_task(dispatcher.dispatch_once())
    await asyncio.wait_for(started.wait(), 1)  # while the queue is still being read
    assert not looking.done()
    store.read.set()
    assert await looking >= 1
    await dispatcher.stop()


async def test_schools_are_addressed_while_every_sending_place_is_taken():
    made = [batch(f"batch-made-{n}", Priority.bulk) for n in range(2)]
    fanouts = [batch(f"fanout-ann-1-sch-{n}", Priority.bulk) | {"kind": "fanout"} for n in range(3)]
    store = BusyElsewhere(made)
    release = asyncio.Event()

    async def slow(entry: dict, now: datetime) -> None:
        await release.wait()

    settings = Settings(delivery_concurrency=len(made), delivery_poll_seconds=30)
    dispatcher = Dispatcher(store, settings, {"batch": slow, "fanout": slow}, channels={})  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == len(made)  # the sending lane is full
    store.entries += fanouts
    store.queued.set()
    assert await dispatcher.dispatch_once() == len(fanouts)
    assert {e["_id"] for e in fanouts} <= dispatcher._busy
    release.set()
    await dispatcher.stop()


async def test_work_that_ended_while_the_queue_was_read_is_not_started_again_from_that_read():
    class ReadUnderLoad(BusyElsewhere):
        """The queue as it was when the read began, answered only when the test lets it."""

        def __init__(self, entries: list[dict]) -> None:
            super().__init__(entries)
            self.answer = asyncio.Event()

        async def due(self, now: datetime) -> list[dict]:
            seen = list(self.entries)
            await self.answer.wait()
            self.answer.clear()
            return seen

    part = school_part(1)
    store = ReadUnderLoad([part])
    finish, addressed = asyncio.Event(), []

    async def address(entry: dict, now: datetime) -> None:
        addressed.append(entry["_id"])
        await finish.wait()
        store.entries = [e for e in store.entries if e["_id"] != entry["_id"]]  # done: its entry goes

    dispatcher = Dispatcher(store, Settings(delivery_poll_seconds=30), {"fanout": address}, channels={})  # type: ignore[arg-type]
    store.answer.set()
    assert await dispatcher.dispatch_once() == 1
    store.queued.set()  # something else was queued: the queue is read again
    reading = asyncio.create_task(dispatcher.dispatch_once())
    await asyncio.sleep(0.01)  # the read has begun and still shows the part
    finish.set()
    await asyncio.sleep(0.01)  # the part ends while the read is under way
    store.answer.set()
    assert await reading == 0
    await asyncio.sleep(0.01)
    assert addressed == [part["_id"]]
    await dispatcher.stop()
