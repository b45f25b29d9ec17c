"""Reporting's database: facts (insert-only, see ``facts``), monthly submissions, bulletins and
their disputes. A rebuild fills a fresh database of the same shape and then becomes the active one."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from service_kit.loops import BackgroundLoop
from service_kit.storage import Database, Document, insert_new, insert_once

SUBMISSIONS, BULLETINS, DISPUTES = "submissions", "bulletins", "disputes"
log = logging.getLogger(__name__)


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_facts(self, collection: str, found: list[Document]) -> int:
        """Many facts in one statement; those already there stay as they are (the same event
        again, or a batch delivered twice): how many were new."""
        if not found:
            return 0
        unique = list({fact["_id"]: fact for fact in reversed(found)}.values())  # the first of each key
        return await insert_new(self.db[collection], unique)

    async def add_batch(self, found: list[tuple[str, Document]]) -> int:
        by_collection: dict[str, list[Document]] = {}
        for collection, fact in found:
            by_collection.setdefault(collection, []).append(fact)
        counts = await asyncio.gather(*(self.add_facts(c, kept) for c, kept in by_collection.items()))
        return sum(counts)

    async def all_facts(self, collection: str, batch_size: int = 5000) -> AsyncIterator[list[Document]]:
        """Every fact of a collection, a page at a time: what the read model is loaded from."""
        page: list[Document] = []
        async for fact in self.db[collection].find({}, batch_size=batch_size):
            page.append(fact)
            if len(page) == batch_size:
                yield page
                page = []
        if page:
            yield page

    # submissions, bulletins, disputes ------------------------------------------------------------

    async def get(self, collection: str, key: str) -> Document | None:
        return await self.db[collection].find_one({"_id": key})

    async def find(self, collection: str, where: Document) -> list[Document]:
        return await self.db[collection].find(where).to_list()

    async def insert(self, collection: str, document: Document) -> bool:
        return await insert_once(self.db[collection], document)

    async def replace(self, collection: str, document: Document) -> None:
        await self.db[collection].replace_one({"_id": document["_id"]}, document)

    async def settle(self, collection: str, key: str, changes: Document) -> Document | None:
        """Set ``changes`` on a record still open (``status`` "open"), at once: the record as it
        is now, or None when it was settled already (by another request, meanwhile)."""
        done = await self.db[collection].update_one({"_id": key, "status": "open"}, {"$set": changes})
        return await self.get(collection, key) if done.matched_count else None

    async def settle_acceptance(self, collection: str, key: str, changes: Document) -> Document | None:
        """Record an acceptance on a dispute with no revision recorded yet (open, or accepted by a
        run that stopped before recording its revision): the record, or None when it was settled
        otherwise meanwhile."""
        done = await self.db[collection].update_one(
            {"_id": key, "status": {"$in": ["open", "accepted"]}, "decided_revision": None},
            {"$set": changes},
        )
        return await self.get(collection, key) if done.matched_count else None


class ActiveStore:
    """Where facts are read and written now, and the service's own records (submissions,
    bulletins, disputes), which a rebuild never touches.

    A rebuild fills a fresh facts database and, once it has caught up, becomes the one in use.
    Both choices are kept in the service's own ``control`` collection, which every replica reads
    every few seconds (``refresh``): while a rebuild runs, every replica writes new facts to both
    databases, and after the switch every replica reads the rebuilt one, as does a restart.
    """

    IN_USE, REBUILDING = "facts_database", "rebuilding_database"

    def __init__(self, records: ReportStore, client: Any = None, stale_after: float | None = None) -> None:
        """``stale_after``: a replica whose last reading of the control collection is older than
        this reads it again before writing a fact (the service passes its refresh period)."""
        self.records, self.client = records, client
        self.facts = records
        self.rebuilding: ReportStore | None = None
        self.stale_after = stale_after
        self._read_at = float("-inf")

    def _store(self, name: str) -> ReportStore:
        return self.records if name == self.records.db.name else ReportStore(self.client[name])

    async def refresh(self) -> None:
        """Follow the control collection: the facts database in use, and a rebuild under way."""
        in_use = await self.records.get("control", self.IN_USE)
        rebuilding = await self.records.get("control", self.REBUILDING)
        if in_use is not None and in_use["database"] != self.facts.db.name:
            self.facts = self._store(in_use["database"])
        if rebuilding is None:
            self.rebuilding = None
        elif self.rebuilding is None or self.rebuilding.db.name != rebuilding["database"]:
            self.rebuilding = self._store(rebuilding["database"])
        self._read_at = time.monotonic()

    async def begin_rebuild(self, fresh: ReportStore) -> None:
        await self._control(self.REBUILDING, fresh.db.name)
        self.rebuilding = fresh

    async def abandon_rebuild(self) -> None:
        await self.records.db["control"].delete_one({"_id": self.REBUILDING})
        self.rebuilding = None

    async def switch(self, rebuilt: ReportStore) -> None:
        await self._control(self.IN_USE, rebuilt.db.name)
        await self.records.db["control"].delete_one({"_id": self.REBUILDING})
        self.facts, self.rebuilding = rebuilt, None

    async def _control(self, key: str, database: str) -> None:
        await self.records.db["control"].replace_one({"_id": key}, {"database": database}, upsert=True)

    async def add_batch(self, found: list[tuple[str, Document]]) -> int:
        """Store a consumer batch's facts at once: how many were new."""
        # The rebuild takes its end offsets two refresh periods after announcing itself; a replica
        # that missed refreshes meanwhile (the store was out of reach) reads the control collection
        # before writing, so no replica writes to the old database alone after that point.
        if self.stale_after is not None and time.monotonic() - self._read_at > self.stale_after:
            await self.refresh()
        # while a rebuild replays the topics, new events go to both, so none falls between them
        if self.rebuilding is not None:
            await self.rebuilding.add_batch([(c, dict(f)) for c, f in found])
        return await self.facts.add_batch(found)


class ControlWatcher(BackgroundLoop):
    """Keeps a replica's ``ActiveStore`` in step with the control collection."""

    task_name = "reporting-control"

    def __init__(self, store: ActiveStore, seconds: float) -> None:
        self.store, self.seconds = store, seconds

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            try:
                await self.store.refresh()
            except Exception:
                log.exception("reading the control collection failed; trying again")
