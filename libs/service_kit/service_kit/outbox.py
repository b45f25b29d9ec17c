"""Per-aggregate outbox: an event is stored inside the same document write as the change.

FerretDB has no multi-document transactions, so the aggregate document carries an ``outbox``
array of pending events. A relay publishes them and then marks them published. A crash between
the two publishes again on restart; consumers deduplicate on ``event_id``. Nothing is lost.

Entries move pending → published (eShop's not-published → published); each keeps the trace
context of the request that produced it so the trace continues through the broker.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import Event
from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate
from pymongo.asynchronous.collection import AsyncCollection

from service_kit.storage import Document

log = logging.getLogger(__name__)
_published = metrics.get_meter("district.outbox").create_counter(
    "outbox.published", description="Events published by the outbox relay"
)

PENDING = "pending"
PUBLISHED = "published"
# Top-level and indexed, so the relay finds pending work without scanning every aggregate.
HAS_PENDING = "outbox_pending"


def with_outbox(document: Document, *events: Event) -> Document:
    """The aggregate document carrying its new events, to be stored in one write."""
    return document | {"outbox": [outbox_entry(event) for event in events], HAS_PENDING: True}


def outbox_entry(event: Event) -> Document:
    """One pending event, keeping the trace context of the request that produced it."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "topic": event.topic,
        "key": event.school_id,
        "value": event.model_dump_json(),
        "headers": headers,
        "status": PENDING,
        "created_at": datetime.now(UTC),
    }


class OutboxRelay:
    """Publishes the pending outbox entries of one collection, then marks them published.

    It is the second writer of an aggregate document. FerretDB applies updates without
    compare-and-set, so an aggregate must not be changed while the relay marks it: today every
    aggregate with an outbox is written once (inserted). Aggregates that change later need their
    published marks kept outside the document.
    """

    def __init__(
        self, collection: AsyncCollection[Document], broker: KafkaBroker, poll_seconds: float = 0.2
    ) -> None:
        self.collection, self.broker, self.poll_seconds = collection, broker, poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def relay_once(self, limit: int = 200) -> int:
        """Publish one batch; nothing is marked until the broker has acknowledged all of it."""
        documents = await self.collection.find({HAS_PENDING: True}, {"outbox": 1}).limit(limit).to_list()
        deliveries = [
            await self.publish(entry)
            for document in documents
            for entry in document["outbox"]
            if entry["status"] == PENDING
        ]
        # Sent in order without waiting for each acknowledgement (the producer keeps a school's
        # events in order on its partition), then awaited together.
        await asyncio.gather(*deliveries)
        await asyncio.gather(*(self.mark_published(document) for document in documents))
        if deliveries:
            _published.add(len(deliveries), {"collection": self.collection.name})
        return len(deliveries)

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

    async def mark_published(self, document: Document) -> None:
        now = datetime.now(UTC)
        marks: dict[str, Any] = {HAS_PENDING: False}
        for index, entry in enumerate(document["outbox"]):
            if entry["status"] == PENDING:
                marks |= {f"outbox.{index}.status": PUBLISHED, f"outbox.{index}.published_at": now}
        await self.collection.update_one({"_id": document["_id"]}, {"$set": marks})

    async def pending_count(self) -> int:
        return await self.collection.count_documents({HAS_PENDING: True})

    async def run(self) -> None:
        while True:
            try:
                if await self.relay_once() == 0:
                    await asyncio.sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(self.poll_seconds * 5)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.collection.name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
