"""The read model: every district's facts in memory (``Snapshot``), loaded from the store once and
then kept up to date straight from the topics. Views are computed from it, and each school's
figures are kept until a fact touching that school arrives (``Snapshot.memo``).

Why in memory, and why from the topics. The store answers a query by scanning the collection
(FerretDB v1), so a view that reads facts costs the whole history, and an aggregate updated in
place is a read-modify-write that two writers can interleave. Here the store takes only inserts
under unique keys (the facts, from the service's consumer group), which are safe from any number
of writers, replays and rebuilds; each replica then follows the same topics itself, without a
group, from where its group had committed when it loaded: every event before that is among the
stored facts, every event after it is read here. A fact taken twice changes nothing, so two
replicas, a redelivered batch or a killed consumer give every replica the same figures.
"""

import asyncio
import contextlib
import gc
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from service_kit.errors import Problem
from service_kit.loops import BackgroundLoop
from service_kit.messaging import MalformedEvent, committed_offsets, kafka_client_options, partitions_of
from service_kit.settings import ServiceSettings
from service_kit.storage import Document

from reporting import facts, measures
from reporting.periods import TermName
from reporting.snapshot import Snapshot
from reporting.store import ActiveStore, ReportStore

log = logging.getLogger(__name__)


# Records a topic's consumer applies before the others' get their turn (about 20 ms of receipts).
FOLLOWED_AT_ONCE = 500
# Seconds the warmer waits for facts to stop arriving before it computes the next school anyway.
WARMING_PUT_OFF_AT_MOST = 5.0


class Loading(Problem):
    def __init__(self) -> None:
        super().__init__(503, "reports-loading", "报表数据正在加载，请稍后再试 (reports are loading)")


@dataclass
class Projection:
    """Each district's snapshot, and which facts database it was loaded from."""

    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    source: str | None = None
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    load_seconds: float | None = None
    warm: dict[tuple[str, TermName], date] = field(default_factory=dict)
    following: bool = False  # a Follower loads it and keeps it up to date
    busy_until: float = 0.0  # facts arrived lately: taking them comes before keeping rows warm

    async def ready(self, seconds: float = 60.0) -> None:
        """Wait for the first load (a request during start-up waits rather than failing); an app
        run without its workers (a contract test's) answers from what it has."""
        if not self.following:
            return
        try:
            await asyncio.wait_for(self.loaded.wait(), seconds)
        except TimeoutError:
            raise Loading() from None

    def keep_warm(self, district_id: str, term: TermName, day: date) -> None:
        """The bureau read the district's overview or ranking of the term on this day: keep every
        school's row of it computed as facts arrive (``Warmer``), so the next reading is quick."""
        self.warm[(district_id, term)] = day

    def snapshot(self, district_id: str) -> Snapshot:
        if district_id not in self.snapshots:
            self.snapshots[district_id] = Snapshot(district_id)
        return self.snapshots[district_id]

    def apply(self, found: list[tuple[str, Document]]) -> None:
        for collection, fact in found:
            try:
                self.snapshot(fact["district_id"]).add(collection, fact)
            except (KeyError, TypeError, ValueError):
                # a fact ``facts.fact_of`` did not make: kept in the store for audit, not counted
                log.exception("a stored fact is not readable", extra={"fact_id": fact.get("_id")})

    def release(self) -> None:
        """Let the snapshots go before loading again (after a rebuild's switch, or a failure):
        requests wait for the new load meanwhile, rather than the process holding the district
        twice (at county scale that is past the memory it is given)."""
        self.loaded.clear()
        self.snapshots = {}
        gc.unfreeze()
        gc.collect()

    async def load(self, store: ReportStore) -> None:
        """Read every stored fact into fresh snapshots, then use them."""
        began = time.perf_counter()
        fresh = Projection()
        for collection in facts.FACT_COLLECTIONS:
            async for page in store.all_facts(collection):
                fresh.apply([(collection, fact) for fact in page])
        self.snapshots, self.source = fresh.snapshots, store.db.name
        # millions of facts that live as long as the process: out of the collector's full passes,
        # which would otherwise walk them all every few thousand new objects (pauses of seconds)
        gc.collect()
        gc.freeze()
        self.load_seconds = round(time.perf_counter() - began, 2)
        self.loaded.set()
        log.info("read model loaded", extra={"database": self.source, "seconds": self.load_seconds})

    def whereabouts(self, kind: str, record_id: str, district_id: str) -> tuple[str, str] | None:
        """The district and school of a registry record as its newest version has them, for the
        access rules: the caller's district's record when it has one, else another district's, so
        that a request across districts is refused as such (and logged), not taken for a typo.
        A school the registry has not announced yet but visits were logged for is where they say."""
        others = [d for d in self.snapshots if d != district_id]
        for district in [district_id, *others]:
            snapshot = self.snapshots.get(district)
            record = snapshot.as_of(kind, record_id) if snapshot else None
            if record is not None:
                return district, record["school_id"]
        if kind == "school":
            for district in [district_id, *others]:
                snapshot = self.snapshots.get(district)
                if snapshot is not None and snapshot.visits_made(record_id):
                    return district, record_id
        return None


class Warmer(BackgroundLoop):
    """Computes again, a school at a time, the rows of the overviews and rankings being read that
    facts arriving have made stale, yielding between schools so requests are answered meanwhile."""

    task_name = "reporting-warmer"

    def __init__(self, projection: Projection, seconds: float = 0.5) -> None:
        self.projection, self.seconds = projection, seconds

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            for (district_id, name), day in list(self.projection.warm.items()):
                try:
                    await self.warm(self.projection.snapshot(district_id), name, day)
                except Exception:
                    log.exception("keeping the overview warm failed", extra={"district_id": district_id})

    async def warm(self, snapshot: Snapshot, name: TermName, today: date) -> None:
        term = snapshot.term(name)
        if term is None:
            return
        day = measures.reference_day(term, today)
        for school_id in snapshot.schools(day):
            # during a burst every school is touched again and again: take the facts first (the
            # school report a reader asks for is computed then anyway), warm once it is quiet;
            # facts arriving while it waits put that moment off again
            # up to a point: facts arriving at least once a second would put it off for ever
            patience = time.monotonic() + WARMING_PUT_OFF_AT_MOST
            quiet_in = self.projection.busy_until - time.monotonic()
            while quiet_in > 0 and time.monotonic() < patience:
                await asyncio.sleep(min(quiet_in, patience - time.monotonic()))
                quiet_in = self.projection.busy_until - time.monotonic()
            measures.school_measures(snapshot, school_id, term, today)
            measures.activity_summary(snapshot, school_id, term.starts_on, day)
            await asyncio.sleep(0)


class Follower(BackgroundLoop):
    """Loads the projection and keeps it up to date from the topics; loads it again when a rebuild
    has switched the facts database."""

    task_name = "reporting-projection"

    def __init__(
        self,
        projection: Projection,
        store: ActiveStore,
        settings: ServiceSettings,
        topics: list[str],
        zone: ZoneInfo,
    ) -> None:
        self.projection, self.store, self.settings, self.topics = projection, store, settings, topics
        self.zone = zone

    def start(self) -> None:
        self.projection.following = True
        super().start()

    async def run(self) -> None:
        while True:
            try:
                await self.follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("following the topics failed; loading again")
                await asyncio.sleep(1)

    async def follow(self) -> None:
        partitions = await partitions_of(self.settings, self.topics)
        # where the group stands, read before the facts: every event before it is stored
        committed = await committed_offsets(self.settings, self.settings.consumer_group, partitions)
        source = self.store.facts
        self.projection.release()
        await self.projection.load(source)
        # a consumer per topic, as the service's group has: a flood on one topic (a district's SMS
        # receipts) never queues a logged visit or a registry change behind it
        async with asyncio.TaskGroup() as following:
            for topic in self.topics:
                mine = [tp for tp in partitions if tp.topic == topic]
                following.create_task(self.follow_topic(mine, committed, source.db.name))

    async def follow_topic(
        self, partitions: list[TopicPartition], committed: dict[TopicPartition, int], source: str
    ) -> None:
        """Apply one topic's events from where the group had committed, until a rebuild switches
        the facts database."""
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.settings),
            group_id=None,  # no group, nothing committed: the service's consumers are untouched
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=FOLLOWED_AT_ONCE,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            for tp in partitions:
                if tp in committed:
                    consumer.seek(tp, committed[tp])
                else:
                    await consumer.seek_to_beginning(tp)
            while self.store.facts.db.name == source:
                batch = await consumer.getmany(timeout_ms=200)
                found = [kept for records in batch.values() for r in records if (kept := self.read(r.value))]
                self.projection.apply(found)
                if found:
                    self.projection.busy_until = time.monotonic() + 1.0
                # getmany answers from what the consumer fetched ahead without giving up the loop:
                # a flood of receipts would otherwise hold it for every record buffered (seconds),
                # and a logged visit read by another topic's consumer would wait for all of them
                await asyncio.sleep(0)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    def read(self, value: bytes | None) -> tuple[str, Document] | None:
        try:
            return facts.fact_of_json(value or b"", self.zone)
        except (MalformedEvent, ValidationError, KeyError):
            return None  # the service's consumer dead-letters it
