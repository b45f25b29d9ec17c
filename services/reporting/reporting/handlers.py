import logging
from typing import Any

from service_kit.messaging import Handler

from reporting import domain
from reporting.store import ReportStore

log = logging.getLogger(__name__)


def on_visit_event(store: ReportStore) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Counts home visits per school from ``visit-logged``; other visit events are skipped."""
        if message.get("event_type") != "visit-logged":
            return
        event = domain.VisitLoggedFacts.model_validate(message)
        if not await store.add_visit_fact(domain.visit_fact(event)):
            log.info("duplicate event ignored", extra={"event_id": event.event_id})

    return handle
