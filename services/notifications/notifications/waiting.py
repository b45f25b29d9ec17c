"""Events that name people the registry has not announced yet wait here, in MongoDB.

The registry's events and the events naming their people travel on different topics, so an
invitation can arrive before the guardian it invites. Whoever is known is told at once; the event
is kept with the ids still unknown and handled again from the delivery queue, sooner at first and
less often later (handling is idempotent: whoever already has a message gets nothing new). After
``registry_wait_seconds`` the ones still unknown are recorded as undeliverable with the reason,
for the school to see.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from service_kit.messaging import Handler
from service_kit.storage import Document

from notifications.handlers import Facts, Reaction
from notifications.settings import Settings
from notifications.store import WAITING, NotificationStore

KIND = "registry-wait"


def next_try(since: datetime, tries: int, now: datetime, settings: Settings) -> datetime:
    """Back-off doubling from ``registry_retry_seconds`` up to a cap, never past the give-up time."""
    delay = min(settings.registry_retry_seconds * 2**tries, settings.registry_retry_max_seconds)
    return min(now + timedelta(seconds=delay), since + timedelta(seconds=settings.registry_wait_seconds))


class WaitingForRegistry:
    def __init__(self, store: NotificationStore, settings: Settings, react: Reaction) -> None:
        self.store, self.settings, self.react = store, settings, react

    def handler(self) -> Handler:
        async def handle(message: dict[str, Any]) -> None:
            unknown = await self.react(Facts.model_validate(message), False)
            if unknown:
                await self.park(message, unknown, datetime.now(UTC))

        return handle

    async def park(self, message: dict[str, Any], unknown: list[str], now: datetime) -> None:
        entry_id = f"wait-{message['event_id']}"
        kept = await self.store.get(WAITING, entry_id)
        since = kept["since"] if kept else now
        tries = kept["tries"] + 1 if kept else 0
        await self.store.replace(
            WAITING,
            {
                "_id": entry_id,
                "district_id": message["district_id"],
                "school_id": message["school_id"],
                "event": message,
                "unknown": unknown,
                "since": since,
                "tries": tries,
            },
            upsert=True,
        )
        due = next_try(since, tries, now, self.settings)
        await self.store.enqueue(entry_id, due, KIND, school_id=message["school_id"])

    async def retry(self, entry: Document, now: datetime) -> None:
        """A queue entry: handle the kept event again; give up on whoever is still unknown in time."""
        kept = await self.store.get(WAITING, entry["_id"])
        if kept is not None:
            give_up = now >= kept["since"] + timedelta(seconds=self.settings.registry_wait_seconds)
            unknown = await self.react(Facts.model_validate(kept["event"]), give_up)
            if unknown:
                await self.park(kept["event"], unknown, now)
                return
            await self.store.delete(WAITING, entry["_id"])
        await self.store.dequeue(entry["_id"])
