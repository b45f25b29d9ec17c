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
_backlog = metrics.get_meter("district.outbox").create_counter(
    "outbox.published", description="Events published by the outbox relay"
)

PENDING = "pending"
PUBLISHED = "published"


def outbox_entry(event: Event) -> Document:
    """What to store in the aggregate's ``outbox`` array, in the same write as the change."""
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
    """Publishes pending outbox entries of one collection, oldest aggregate first."""

    def __init__(
        self, collection: AsyncCollection[Document], broker: KafkaBroker, poll_seconds: float = 0.2
    ) -> None:
        self.collection, self.broker, self.poll_seconds = collection, broker, poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def relay_once(self, limit: int = 100) -> int:
        published = 0
        cursor = self.collection.find({"outbox.status": PENDING}, {"outbox": 1}).limit(limit)
        async for document in cursor:
            for index, entry in enumerate(document["outbox"]):
                if entry["status"] != PENDING:
                    continue
                await self.publish(entry)
                await self.mark_published(document["_id"], index)
                published += 1
        if published:
            _backlog.add(published, {"collection": self.collection.name})
        return published

    async def publish(self, entry: Document) -> None:
        token = otel_context.attach(propagate.extract(entry.get("headers") or {}))
        try:
            await self.broker.publish(
                entry["value"].encode(),
                topic=entry["topic"],
                key=entry["key"].encode(),
                headers={"event_type": entry["event_type"], "event_id": entry["event_id"]},
            )
        finally:
            otel_context.detach(token)

    async def mark_published(self, document_id: Any, index: int) -> None:
        await self.collection.update_one(
            {"_id": document_id},
            {
                "$set": {
                    f"outbox.{index}.status": PUBLISHED,
                    f"outbox.{index}.published_at": datetime.now(UTC),
                }
            },
        )

    async def pending_count(self) -> int:
        return await self.collection.count_documents({"outbox.status": PENDING})

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
