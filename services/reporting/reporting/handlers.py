import logging
from typing import Any
from zoneinfo import ZoneInfo

from service_kit.messaging import Handler

from reporting import facts
from reporting.store import ActiveStore

log = logging.getLogger(__name__)


def on_event(store: ActiveStore, zone: ZoneInfo) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Keeps one fact per event reporting counts; the same event twice changes nothing."""
        found = facts.fact_of(message, zone)
        if found is None:
            return
        collection, fact = found
        if not await store.add_fact(collection, fact):
            log.info("duplicate event ignored", extra={"event_id": fact.get("event_id")})

    return handle
