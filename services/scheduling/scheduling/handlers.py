"""Scheduling's projection of the registry, fed by ``internal.registry.v1`` (never its database)."""

import logging
from datetime import UTC, datetime
from typing import Any

from service_kit.messaging import Handler

from scheduling import activities, domain, late_invitations, term_plan
from scheduling.store import CLASSES, GUARDIANS, POLICIES, SCHOOLS, STAFF, STUDENTS, TERMS, VisitStore

log = logging.getLogger(__name__)


def on_registry_event(store: VisitStore) -> Handler:
    async def handle(message: dict[str, Any]) -> None:
        """Keeps schools and classes (where each belongs), students (class, enrolment, care
        categories), guardians, terms, the policy, agreements and pairs;
        the staff (the classes each teaches: who may be named on a class's visits),
        invites guardians announced late to the meetings ahead they belong to."""
        kind = message.get("event_type")
        if kind == "class-changed":  # no version: ordered by when it happened
            facts = domain.ClassFacts.model_validate(message)
            await store.project_latest(CLASSES, domain.class_projection(facts))
            return
        if kind == "school-changed":
            projection = domain.school_projection(domain.SchoolFacts.model_validate(message))
        elif kind == "student-changed":
            projection = domain.student_projection(domain.StudentFacts.model_validate(message))
        elif kind == "guardian-changed":
            projection = domain.guardian_projection(domain.GuardianFacts.model_validate(message))
        elif kind == "staff-changed":
            projection = domain.staff_projection(domain.StaffFacts.model_validate(message))
        elif kind == "term-changed":
            projection = term_plan.term_projection(term_plan.TermFacts.model_validate(message))
        elif kind == "policy-changed":
            projection = term_plan.policy_projection(term_plan.PolicyFacts.model_validate(message))
        elif kind == "agreement-changed":
            projection = activities.agreement_projection(activities.AgreementFacts.model_validate(message))
        elif kind == "pair-changed":
            projection = activities.pair_projection(activities.PairFacts.model_validate(message))
        else:
            return
        # One school's (or the district's) events arrive in order on one partition, handled by one
        # consumer: this read-then-write has no other writer. An older version changes nothing.
        await store.project(PROJECTIONS[kind], projection)
        if kind == "guardian-changed":
            await late_invitations.guardian_announced(store, projection, datetime.now(UTC))
        elif kind == "student-changed":
            await late_invitations.student_announced(store, projection, datetime.now(UTC))

    return handle


PROJECTIONS = {
    "school-changed": SCHOOLS,
    "student-changed": STUDENTS,
    "guardian-changed": GUARDIANS,
    "staff-changed": STAFF,
    "term-changed": TERMS,
    "policy-changed": POLICIES,
    "agreement-changed": activities.AGREEMENTS,
    "pair-changed": activities.PAIRS,
}
