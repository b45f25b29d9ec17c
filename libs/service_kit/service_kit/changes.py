"""Changes and their events, decided by one insert: the change log is the outbox.

FerretDB v1 has no multi-document transactions, its updates are read-modify-write without
compare-and-set (``UPDATE … WHERE _id``; the filter is not re-checked at write time) and rewrite
the whole document, and ``$in`` is filtered in FerretDB after reading every document. Only an
insert under a unique ``_id`` is atomic (and cheap). So every change to an aggregate is *inserted* into the
service's ``changes`` collection under ``<collection>:<aggregate id>:<version>``, carrying the
aggregate's new state, the events announcing it and who made it:

- two writers of the same version: the second insert fails → 409, nothing half-written;
- a tiny marker in ``changes_pending``, written first, is the relay's queue: the relay reads only
  that collection, never the growing change log; the events wait beside it in
  ``changes_events``, read once, when the relay publishes them (the relay reads every marker at
  each look, and a marker waits there for its writer: a letter's round carries 250 events, which
  markers carrying them made FerretDB read some fifteen times each);
- the aggregate document is written next, then the change is flagged applied by a tiny insert
  into ``changes_applied`` (an update of the marker would be FerretDB's read-modify-write, which a
  relay deleting it at the same moment could undo); a writer that stops before that is repaired
  by the relay, which applies the change's state first;
- the relay publishes the events and then removes the flag, the events and the marker; a crash in
  between publishes again, and consumers deduplicate on ``event_id``;
- the change keeps its other aggregates' states and its events packed in one BSON value
  (``storage.pack``): only the relay's repair and an audit read them, and spelled out they cost FerretDB
  as much as the aggregates themselves.

Changes are never updated after their insert, so the change log is also the audit trail of who
changed what, and when.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.envelope import Event
from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from service_kit.errors import Problem
from service_kit.loops import BackgroundLoop
from service_kit.storage import Database, Document, insert_reporting_duplicates, pack, unpack

log = logging.getLogger(__name__)
_published = metrics.get_meter("district.changes").create_counter(
    "changes.events_published", description="Events published by the change relay"
)

CHANGES = "changes"
BULK_REPLACE_FROM = 50
PENDING = "changes_pending"
EVENTS = "changes_events"  # a pending change's events, apart from its marker
APPLIED = "changes_applied"  # one tiny document per pending change whose writer applied it


class ChangedMeanwhile(Problem):
    def __init__(self, what: str) -> None:
        super().__init__(409, "changed-meanwhile", f"{what}已被他人修改，请刷新后重试 (changed meanwhile)")


@dataclass(frozen=True)
class Applied:
    """Another aggregate a change writes (a roster import writes many students at once)."""

    collection: str
    aggregate_id: str
    version: int
    state: Document


@dataclass(frozen=True)
class Change:
    """A new state of one aggregate and the events that announce it.

    ``also`` lists further aggregates the same change writes; they are applied before the main
    one, so a main aggregate showing the change proves the whole change was applied.
    """

    collection: str
    aggregate_id: str
    version: int  # the version this change creates; 1 for a new aggregate
    state: Document
    events: tuple[Event, ...] = ()
    actor: dict[str, str] = field(default_factory=dict)
    what: str = "记录"
    also: tuple[Applied, ...] = ()
    # For a collection ``also`` writes in bulk: a filter selecting exactly the documents those
    # states replace, so they are replaced in two statements (see ``apply_states``).
    replacing: dict[str, Document] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.collection}:{self.aggregate_id}:{self.version}"


def next_state(current: Document, updates: Document) -> Document:
    """The record's next state: its stored fields but ``version`` (the change sets it), then the updates."""
    return {k: v for k, v in current.items() if k != "version"} | updates


def kept_of(change: Document) -> tuple[list[Applied], list[Document]]:
    """A logged change's other states and its events, packed (``record``); a change logged before
    they were keeps them spelled out."""
    if "kept" not in change:
        return [Applied(**applied) for applied in change.get("also", [])], list(change.get("events", []))
    kept = unpack(change["kept"])
    return [Applied(**applied) for applied in kept["also"]], list(kept["events"])


def event_entry(event: Event) -> Document:
    """An event as stored with its change, keeping the trace context of the request."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "topic": event.topic,
        "key": event.school_id,
        "value": event.model_dump_json(),
        "headers": headers,
    }


def on_school_day(event: Event, day: date | None) -> Event:
    """The event dated on the producer's school day, unless it says its own."""
    if day is None or event.effective_on is not None:
        return event
    return event.model_copy(update={"effective_on": day})


class ChangeLog:
    """``school_today``: the service's school clock (``ServiceSettings.school_today``), which dates
    every event recorded (``effective_on``), so a pinned demo or test day dates the registry's
    records as it dates everything else."""

    def __init__(self, db: Database, school_today: Callable[[], date] | None = None) -> None:
        self.db = db
        self.changes, self.pending, self.applied = db[CHANGES], db[PENDING], db[APPLIED]
        self.events = db[EVENTS]
        self.school_today = school_today

    async def create_indexes(self) -> None:
        await self.changes.create_index(
            [("district_id", ASCENDING), ("school_id", ASCENDING), ("at", ASCENDING)]
        )
        await self.pending.create_index([("at", ASCENDING)])

    async def record(self, change: Change) -> None:
        """Queue, insert (the deciding step), apply to the aggregate, flag the queue entry."""
        now, token = datetime.now(UTC), uuid.uuid4().hex
        day = self.school_today() if self.school_today else None
        events = [event_entry(on_school_day(event, day)) for event in change.events]
        try:
            # The marker goes first: a change is never in the log without being queued. A marker
            # whose change never lands (the process stopped in between) is removed by the relay.
            # The token ties the applied flag to this marker: a flag a slow writer leaves after the
            # relay finished its change must not pass for a later marker of the same key.
            marker = {"_id": change.key, "at": now, "applied": False, "token": token}
            await self.pending.insert_one(marker)
        except DuplicateKeyError as exc:  # the same version is being written by someone else
            raise ChangedMeanwhile(change.what) from exc
        try:
            await _insert_or_replace(self.events, {"_id": change.key, "events": events})
            await self.changes.insert_one(
                {
                    "_id": change.key,
                    "collection": change.collection,
                    "aggregate_id": change.aggregate_id,
                    "version": change.version,
                    "state": change.state,
                    # read only to repair a writer that stopped (and to audit): a letter's round
                    # keeps 250 messages and their events, some 10,000 values spelled out
                    "kept": pack({"also": [vars(a) for a in change.also], "events": events}),
                    "replacing": change.replacing,
                    "actor": change.actor,
                    "district_id": change.state.get("district_id"),
                    "school_id": change.state.get("school_id"),
                    "at": now,
                }
            )
        except DuplicateKeyError as exc:  # that version was written and published before
            await self.events.delete_one({"_id": change.key})
            await self.pending.delete_one({"_id": change.key})
            raise ChangedMeanwhile(change.what) from exc
        await self.apply(change)
        await self.flag(change.key, token)

    async def flag(self, key: str, token: str) -> None:
        """The change is applied: the relay may publish it at once."""
        with contextlib.suppress(DuplicateKeyError):
            await self.applied.insert_one({"_id": key, "token": token})

    async def apply(self, change: Change) -> None:
        await apply_states(self.db, change.also, change.replacing)
        await apply_state(self.db, change.collection, change.aggregate_id, change.version, change.state)


async def apply_state(
    db: Database, collection: str, aggregate_id: str, version: int, state: Document
) -> None:
    document = state | {"_id": aggregate_id, "version": version}
    if version > 1:
        await db[collection].replace_one({"_id": aggregate_id}, document)
        return
    # A new aggregate: an insert is one statement for FerretDB where an upsert is a query and a
    # write; a duplicate means the relay has already applied this very change.
    with contextlib.suppress(DuplicateKeyError):
        await db[collection].insert_one(document)


async def apply_states(
    db: Database,
    states: "tuple[Applied, ...] | list[Applied]",
    replacing: Document | None = None,
) -> None:
    """Apply many states at once: new aggregates inserted in one batch per collection; changed
    ones, when there are many, deleted and re-inserted in two statements rather than replaced one
    by one (each FerretDB replace scans the collection). Readers may miss those records for the
    moment between the two statements; a crash in between is repaired by the relay, because the
    change's main aggregate is written only after all of these.

    ``replacing`` maps a collection to the filter that selects the documents its states replace:
    a scalar equality FerretDB answers in one pass, where ``$in`` makes it read every document.
    Applying again deletes only what still matches and inserts only what is missing."""
    batches: dict[str, list[Applied]] = {}
    for applied in states:
        batches.setdefault(applied.collection, []).append(applied)
    for collection, batch in batches.items():
        changed = [a for a in batch if a.version > 1]
        if replacing and collection in replacing:
            await db[collection].delete_many(replacing[collection])
            fresh = batch
        elif len(changed) > BULK_REPLACE_FROM:
            await db[collection].delete_many({"_id": {"$in": [a.aggregate_id for a in changed]}})
            fresh = batch
        else:
            for a in changed:
                await apply_state(db, a.collection, a.aggregate_id, a.version, a.state)
            fresh = [a for a in batch if a.version == 1]
        if not fresh:
            continue
        documents = [a.state | {"_id": a.aggregate_id, "version": a.version} for a in fresh]
        taken = await insert_reporting_duplicates(db[collection], documents)
        # A duplicate was applied before (by the relay), or was written in the moment between the
        # delete and this insert by someone adding it anew (a redelivered event): an older version
        # there gives way to this change's.
        for state in taken:
            older = {"_id": state["_id"], "version": {"$lt": state["version"]}}
            await db[collection].replace_one(older, state)


async def _insert_or_replace(collection: Any, document: Document) -> None:
    """Under its marker, so never another writer's document; one left by a writer that stopped
    before its change landed (and not yet cleared by the relay) is replaced."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        await collection.replace_one({"_id": document["_id"]}, document)


class ChangeRelay(BackgroundLoop):
    """Publishes the events of pending changes in the order they were made.

    A change whose aggregate is still behind after ``repair_after`` had its writer stop between
    its writes; the relay applies its state before publishing, so the aggregate and its events
    never diverge. The grace period keeps the relay from racing a writer still at work.
    """

    task_name = "change-relay"

    def __init__(
        self,
        db: Database,
        broker: KafkaBroker,
        poll_seconds: float = 0.2,
        repair_after: timedelta = timedelta(seconds=10),
    ) -> None:
        self.db, self.changes, self.pending, self.broker = db, db[CHANGES], db[PENDING], broker
        self.applied, self.events = db[APPLIED], db[EVENTS]
        self.poll_seconds, self.repair_after = poll_seconds, repair_after

    async def relay_once(self, limit: int = 200) -> int:
        """Publish one batch; no marker is removed until the broker has acknowledged all of it."""
        markers = await self.pending.find().sort("at", ASCENDING).limit(limit).to_list()
        flags = await self.applied.find().to_list() if markers else []
        applied = {(flag["_id"], flag.get("token")) for flag in flags}
        ready: list[Document] = []
        settled: dict[str, list[Document]] = {}  # the events of changes the relay finished
        for marker in markers:
            # a marker of before this flag carries its own ``applied``
            if not (marker.get("applied") or (marker["_id"], marker.get("token")) in applied):
                finished = await self._settle(marker)
                if finished is None:
                    break  # its writer is still at work: keep the order, try again next round
                settled[marker["_id"]] = finished
            ready.append(marker)
        # each ready change's events, read once
        events = await asyncio.gather(*(self._events_of(m, settled.get(m["_id"])) for m in ready))
        deliveries = [await self.publish(entry) for entries in events for entry in entries]
        # Sent in order without waiting for each acknowledgement (the producer keeps a school's
        # events in order on its partition), then awaited together.
        await asyncio.gather(*deliveries)
        await self.mark_published([marker["_id"] for marker in ready])
        if deliveries:
            _published.add(len(deliveries))
        return len(deliveries)

    async def _settle(self, marker: Document) -> list[Document] | None:
        """Finish what a writer left half-done once it has had time: the events to publish, or
        None while it may still work.

        Either its change never landed (the marker goes, with no events), or the change is in the
        log but its aggregate may be behind (the relay applies the change's state); the events are
        then the change's own, as the log keeps them.
        """
        made_at: datetime = marker["at"] if marker["at"].tzinfo else marker["at"].replace(tzinfo=UTC)
        if datetime.now(UTC) - made_at < self.repair_after:
            return None
        change = await self.changes.find_one({"_id": marker["_id"]})
        if change is None:
            return []
        aggregate = await self.db[change["collection"]].find_one(
            {"_id": change["aggregate_id"]}, {"version": 1}
        )
        also, events = kept_of(change)
        if aggregate is None or aggregate.get("version", 0) < change["version"]:
            log.warning("applying a change its writer did not apply", extra={"change": change["_id"]})
            await apply_states(self.db, also, change.get("replacing"))
            await apply_state(
                self.db, change["collection"], change["aggregate_id"], change["version"], change["state"]
            )
        return events

    async def _events_of(self, marker: Document, settled: list[Document] | None) -> list[Document]:
        """The events kept beside the marker; a marker of before that carries its own; failing
        both (lost by hand, say), the change log's."""
        if settled is not None:
            return settled
        kept = await self.events.find_one({"_id": marker["_id"]})
        if kept is not None:
            return list(kept["events"])
        if "events" in marker:
            return list(marker["events"])
        log.warning("a change's events were not beside its marker", extra={"change": marker["_id"]})
        change = await self.changes.find_one({"_id": marker["_id"]})
        return kept_of(change)[1] if change else []

    async def publish(self, entry: Document) -> "asyncio.Future[Any]":
        token = otel_context.attach(propagate.extract(entry.get("headers") or {}))
        try:
            delivery: asyncio.Future[Any] = await self.broker.publish(
                entry["value"].encode(),
                topic=entry["topic"],
                key=entry["key"].encode(),
                headers={"event_type": entry["event_type"], "event_id": entry["event_id"]},
                no_confirm=True,
            )
            return delivery
        finally:
            otel_context.detach(token)

    async def mark_published(self, change_ids: list[str]) -> None:
        # By _id one at a time (FerretDB reads the whole collection for $in); the client's pool
        # (DISTRICT_MONGODB_MAX_POOL_SIZE) bounds how many run at once. The marker goes last: one
        # left without its flag is settled again (its change is applied) and published again from
        # the change log.
        for collection in (self.applied, self.events, self.pending):
            await asyncio.gather(*(collection.delete_one({"_id": change_id}) for change_id in change_ids))

    async def pending_count(self) -> int:
        return await self.pending.count_documents({})

    async def run(self) -> None:
        while True:
            try:
                if await self.relay_once() == 0:
                    await asyncio.sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("change relay failed; retrying")
                await asyncio.sleep(self.poll_seconds * 5)
