import logging
from typing import Any

from service_kit.messaging import Handler

from reporting import domain
from reporting.store import ReportStore

log = logging.getLogger(__name__)


def on_visit_event(store: ReportStore) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Counts visits logged and guardian confirmations per school; other visit events are skipped."""
        kind = message.get("event_type")
        if kind == "visit-logged":
            event = domain.VisitLoggedFacts.model_validate(message)
            if not await store.add_visit_fact(domain.visit_fact(event)):
                log.info("duplicate event ignored", extra={"event_id": event.event_id})
        elif kind == "visit-confirmed":
            await store.add_confirmation(
                domain.confirmation_fact(domain.VisitConfirmedFacts.model_validate(message))
            )

    return handle
