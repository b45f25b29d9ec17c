import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from service_kit.storage import Document

from reporting import facts
from reporting.store import ActiveStore

log = logging.getLogger(__name__)
Fact = tuple[str, Document]


def reader(zone: ZoneInfo) -> Callable[[dict[str, Any]], Fact | None]:
    def read(message: dict[str, Any]) -> Fact | None:
        """Keeps one fact per event reporting counts; the same event twice changes nothing."""
        return facts.fact_of(message, zone)

    return read


def keeper(store: ActiveStore) -> Callable[[list[Fact]], Awaitable[None]]:
    async def keep(found: list[Fact]) -> None:
        new = await store.add_batch(found)
        if new < len(found):
            log.info("duplicate events ignored", extra={"duplicates": len(found) - new})

    return keep
