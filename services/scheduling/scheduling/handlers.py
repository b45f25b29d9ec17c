"""Scheduling's projection of the registry, fed by ``internal.registry.v1`` (never its database)."""

import logging
from typing import Any

from service_kit.messaging import Handler

from scheduling import domain
from scheduling.store import VisitStore

log = logging.getLogger(__name__)


def on_registry_event(store: VisitStore) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Keeps each student's class, enrolment and care categories; other events are skipped."""
        if message.get("event_type") != "student-changed":
            return
        student = domain.StudentFacts.model_validate(message)
        # One school's events arrive in order on one partition, handled by one consumer: this
        # read-then-write has no other writer. A replayed older version changes nothing.
        current = await store.student(student.payload.student_id)
        if current is None or current["version"] < student.payload.version:
            await store.put_student(domain.student_projection(student))

    return handle
