"""The term visit plan of a class (学期家访计划). No I/O.

One call proposes a plan: every mandatory student (三必访: left-behind, hardship, special
attention) first, then enough others to reach the district policy's coverage target, on the
term's school days (weekdays outside holidays) spread evenly from today, and shared out among the
class's teachers in turn. The head teacher adjusts it and confirms it as planned visits.
"""

import math
from datetime import date, timedelta
from typing import Any

from contracts.events.visits import VisitMode
from contracts.inputs import OpaqueId
from pydantic import BaseModel, ConfigDict, Field

MANDATORY = ("left_behind", "hardship", "special_attention")  # 三必访
DEFAULT_COVERAGE = 0.667  # DOMAIN.md: at least 2/3 of a class, when no policy has been published


class ProposedVisit(BaseModel):
    """A visit of the plan: proposed by ``propose``, sent back (adjusted or not) to confirm it, so
    it is checked as strictly as a planned visit (``domain.VisitPlan``) that it becomes."""

    model_config = ConfigDict(extra="forbid")

    student_id: OpaqueId
    planned_on: date
    visiting_staff_ids: list[OpaqueId] = Field(min_length=1, max_length=10)
    mode: VisitMode = VisitMode.in_person
    mandatory: bool = Field(description="三必访: the student's care category makes this visit compulsory.")


class TermPlan(BaseModel):
    class_id: str
    school_year: str
    term: str
    enrolled: int
    coverage_target: float
    visits: list[ProposedVisit]
    reason: str | None = Field(default=None, description="Why the plan is empty, when it is.")


def school_days(starts_on: date, ends_on: date, holidays: list[dict[str, Any]]) -> list[date]:
    """Weekdays of the term outside its holidays."""
    off = [(date.fromisoformat(str(h["starts_on"])), date.fromisoformat(str(h["ends_on"]))) for h in holidays]
    days = []
    day = starts_on
    while day <= ends_on:
        if day.weekday() < 5 and not any(first <= day <= last for first, last in off):
            days.append(day)
        day += timedelta(days=1)
    return days


def propose(
    class_id: str,
    students: list[dict[str, Any]],
    term: dict[str, Any],
    coverage_target: float,
    teacher_ids: list[str],
    today: date,
) -> TermPlan:
    enrolled = sorted((s for s in students if s["status"] == "enrolled"), key=lambda s: s["_id"])
    mandatory = [s for s in enrolled if set(s["care_categories"]) & set(MANDATORY)]
    others = [s for s in enrolled if s not in mandatory]
    wanted = max(len(mandatory), math.ceil(coverage_target * len(enrolled)))
    chosen = (mandatory + others)[:wanted]
    start = max(today, date.fromisoformat(str(term["starts_on"])))
    days = school_days(start, date.fromisoformat(str(term["ends_on"])), term.get("holidays", []))
    visits = []
    for n, student in enumerate(chosen):
        # Evenly spaced over the remaining school days, mandatory students first (earliest).
        planned_on = days[(n * len(days)) // len(chosen)] if days else start
        visits.append(
            ProposedVisit(
                student_id=student["_id"],
                planned_on=planned_on,
                visiting_staff_ids=[teacher_ids[n % len(teacher_ids)]],
                mandatory=student in mandatory,
            )
        )
    reason = None
    if not enrolled:
        reason = "班级没有在籍学生，无需家访计划 (the class has no enrolled students)"
    elif not days:
        reason = "本学期已没有剩余的上课日 (no school day left in the term)"
        visits = []
    return TermPlan(
        class_id=class_id,
        school_year=term["school_year"],
        term=term["kind"],
        enrolled=len(enrolled),
        coverage_target=coverage_target,
        visits=visits,
        reason=reason,
    )


class TermFacts(BaseModel):
    """Tolerant reader of the registry's ``term-changed``."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        school_year: str
        kind: str
        starts_on: date
        ends_on: date
        holidays: list[dict[str, Any]]
        version: int

    district_id: str
    payload: Payload


def term_projection(event: TermFacts) -> dict[str, Any]:
    p = event.payload
    return {
        "_id": f"{event.district_id}:{p.school_year}:{p.kind}",
        "district_id": event.district_id,
        "school_year": p.school_year,
        "kind": p.kind,
        "starts_on": p.starts_on.isoformat(),
        "ends_on": p.ends_on.isoformat(),
        "holidays": p.holidays,
        "version": p.version,
    }


class PolicyFacts(BaseModel):
    """Tolerant reader of the registry's ``policy-changed``."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        school_year: str
        version: int
        targets: dict[str, float]

    district_id: str
    payload: Payload


def policy_projection(event: PolicyFacts) -> dict[str, Any]:
    p = event.payload
    return {
        "_id": f"{event.district_id}:{p.school_year}",
        "district_id": event.district_id,
        "school_year": p.school_year,
        "targets": p.targets,
        "version": p.version,
    }


def coverage_target(policy: dict[str, Any] | None) -> float:
    """The policy's home-visit coverage, or DOMAIN.md's default while none is published."""
    return float((policy or {}).get("targets", {}).get("home_visit_coverage", DEFAULT_COVERAGE))
