"""Rebuild every read model by replaying the topics from the beginning into a fresh database.

While the replay runs, the live consumers write new events to both databases; the replay reads
each partition up to the end it had when the rebuild began, and then the fresh database becomes
the one in use. Facts are keyed by their records, so an event both replayed and written live
lands once.

    python -m reporting.rebuild        (or POST /v1/rebuilds as the bureau)
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from service_kit.messaging import MalformedEvent, decode, kafka_client_options, partitions_of
from service_kit.storage import Document

from reporting import facts
from reporting.bootstrap import opened
from reporting.settings import Settings
from reporting.store import ActiveStore, ReportStore

log = logging.getLogger(__name__)


@dataclass
class Rebuild:
    rebuild_id: str
    database: str
    status: str = "running"  # running, done, failed
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    events_replayed: int = 0
    facts_stored: int = 0
    skipped: int = 0
    seconds: float | None = None
    replay_seconds: float | None = None  # reading the topics and storing the facts, without the settle wait
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Rebuilder:
    def __init__(
        self, store: ActiveStore, client: AsyncMongoClient[Document], settings: Settings, topics: list[str]
    ) -> None:
        self.store, self.client, self.settings, self.topics = store, client, settings, topics
        self.runs: dict[str, Rebuild] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Rebuild:
        if self._task is not None and not self._task.done():
            running = next(r for r in self.runs.values() if r.status == "running")
            return running
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        run = Rebuild(f"rb-{stamp}", f"{self.settings.mongodb_database}_rb{stamp}")
        self.runs[run.rebuild_id] = run
        self._task = asyncio.create_task(self.run(run), name="reporting-rebuild")
        return run

    async def wait(self) -> None:
        """Until the rebuild under way, if any, has finished (the command line waits for it)."""
        if self._task is not None:
            await self._task

    async def run(self, run: Rebuild) -> None:
        began = time.perf_counter()
        fresh = ReportStore(self.client[run.database])
        try:
            # every replica writes new events to both from its next refresh on; the replay's end
            # offsets are taken once they all do, so no event falls between the two
            await self.store.begin_rebuild(fresh)
            await asyncio.sleep(2 * self.settings.control_refresh_seconds)
            replay_began = time.perf_counter()
            await self.replay(fresh, run)
            run.replay_seconds = round(time.perf_counter() - replay_began, 2)
            await self.store.switch(fresh)
            run.status = "done"
        except Exception as exc:
            log.exception("rebuild failed")
            await self.store.abandon_rebuild()
            run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            run.finished_at = datetime.now(UTC)
            run.seconds = round(time.perf_counter() - began, 2)

    async def replay(self, fresh: ReportStore, run: Rebuild) -> None:
        """Read every partition from its start up to the end it had when the replay began."""
        partitions = await partitions_of(self.settings, self.topics)
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.settings),
            group_id=None,  # no group: nothing committed, the live consumers are untouched
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=2000,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end > 0}
            while ends:
                batch = await consumer.getmany(*ends, timeout_ms=500)
                found: dict[str, list[Document]] = {}
                for tp, records in batch.items():
                    for record in records:
                        if record.offset < ends.get(tp, 0):
                            self._read(found, run, record.value)
                for collection, kept in found.items():
                    run.facts_stored += await fresh.add_facts(collection, kept)
                for tp in list(ends):
                    if await consumer.position(tp) >= ends[tp]:
                        del ends[tp]
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    def _read(self, found: dict[str, list[Document]], run: Rebuild, value: bytes | None) -> None:
        run.events_replayed += 1
        try:
            fact = facts.fact_of(decode(value), self.settings.school_zone)
        except (MalformedEvent, ValidationError, KeyError):
            run.skipped += 1  # the live consumer dead-lettered it when it first came
            return
        if fact is not None:
            found.setdefault(fact[0], []).append(fact[1])


async def _main() -> None:
    async with opened() as reporting:
        rebuilder = Rebuilder(reporting.store, reporting.client, reporting.settings, reporting.topics)
        run = rebuilder.start()
        await rebuilder.wait()
        print(f"{run.status}: {run.events_replayed} events, {run.facts_stored} facts, {run.seconds} s")
        print(f"reporting now reads {run.database}")


if __name__ == "__main__":
    asyncio.run(_main())
