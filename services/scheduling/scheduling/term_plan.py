"""The term visit plan of a class (学期家访计划). No I/O.

One call proposes a plan: every mandatory student (三必访: left-behind, hardship, special
attention) first, then enough others to reach the district policy's coverage target, on the
term's school days (weekdays outside holidays) spread evenly from today, and shared out among the
class's teachers in turn. The head teacher adjusts it and confirms it as planned visits.
"""

import hashlib
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
    already_planned: list[str] = Field(
        default_factory=list,
        description="Students left out: this class already has a visit planned or done for them this term.",
    )
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


def covered(class_id: str, visits: list[dict[str, Any]], term: dict[str, Any]) -> set[str]:
    """Students this class already has a visit for in the term: planned for a day of it, or done."""
    return {
        v["student_id"]
        for v in visits
        if v["class_id"] == class_id
        and (
            (v["status"] == "planned" and in_term(v.get("planned_on"), term))
            or (v["status"] == "done" and in_term(v.get("visited_on"), term))
        )
    }


def propose(
    class_id: str,
    students: list[dict[str, Any]],
    term: dict[str, Any],
    coverage_target: float,
    teacher_ids: list[str],
    today: date,
    class_visits: list[dict[str, Any]] | None = None,
) -> TermPlan:
    """``class_visits``: the class's visits; a student with one planned or done this term is left out
    (named in ``already_planned``) and counts towards the coverage target."""
    enrolled = sorted((s for s in students if s["status"] == "enrolled"), key=lambda s: s["_id"])
    done_or_planned = covered(class_id, class_visits or [], term)
    already = [s["_id"] for s in enrolled if s["_id"] in done_or_planned]
    open_ = [s for s in enrolled if s["_id"] not in done_or_planned]
    mandatory = [s for s in open_ if set(s["care_categories"]) & set(MANDATORY)]
    others = [s for s in open_ if s not in mandatory]
    wanted = max(len(mandatory), math.ceil(coverage_target * len(enrolled)) - len(already))
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
    elif not visits:
        reason = (
            f"本学期已有 {len(already)} 名学生计划或完成了家访，已达到覆盖要求 "
            "(the students the term needs already have a visit planned or done)"
        )
    return TermPlan(
        class_id=class_id,
        school_year=term["school_year"],
        term=term["kind"],
        enrolled=len(enrolled),
        coverage_target=coverage_target,
        visits=visits,
        already_planned=already,
        reason=reason,
    )


def plan_visit_id(class_id: str, term: dict[str, Any] | None, student_id: str) -> str:
    """The id of the visit a term plan plans for a student: the same for the same class, term and
    student, so confirming a plan again (a retry after a failure half-way) finds the visits already
    recorded under their ids instead of recording them twice (``api.confirm_term_plan``)."""
    term_key = str(term["_id"]) if term else "no-term"
    digest = hashlib.sha256("\0".join(("term-plan", class_id, term_key, student_id)).encode()).hexdigest()
    return f"v-{digest[:16]}"


def planned_in_term(visits: list[dict[str, Any]], student_id: str, term: dict[str, Any] | None) -> bool:
    """Whether one of ``visits`` (a class's) is planned for this student on a day of the term (any
    planned one when the day is in no term the registry announced)."""
    return any(
        v["student_id"] == student_id
        and v["status"] == "planned"
        and (term is None or in_term(v.get("planned_on"), term))
        for v in visits
    )


def same_visit(stored: dict[str, Any], proposed: ProposedVisit) -> bool:
    """A planned visit as stored is the proposed one: same day, mode and visitors."""
    return (
        str(stored.get("planned_on")) == proposed.planned_on.isoformat()
        and stored.get("mode") == proposed.mode.value
        and list(stored["visiting_staff_ids"]) == list(proposed.visiting_staff_ids)
    )


def current_term(terms: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The term holding ``today`` (school clock) among a district's terms, if any: between terms
    (the winter and summer holidays) there is none."""
    holding = [t for t in terms if str(t["starts_on"]) <= today.isoformat() <= str(t["ends_on"])]
    return min(holding, key=lambda t: str(t["starts_on"])) if holding else None


def in_term(day: str | None, term: dict[str, Any]) -> bool:
    return day is not None and str(term["starts_on"]) <= day <= str(term["ends_on"])


def visit_day(visit: dict[str, Any]) -> str | None:
    """The day a visit is on: when it took place, or when it is planned."""
    return visit.get("visited_on") or visit.get("planned_on")


class PlannedFor(BaseModel):
    visit_id: str
    planned_on: date
    visiting_staff_ids: list[str]


class MustVisitStudent(BaseModel):
    student_id: str
    care_categories: list[str] = Field(description="The student's care categories (三必访 among them).")
    planned: PlannedFor | None = Field(description="The earliest visit planned for them this term, if any.")


class MustVisit(BaseModel):
    """The class's enrolled 三必访 students with no visit done in the current term."""

    school_year: str
    term: str
    starts_on: date
    ends_on: date
    students: list[MustVisitStudent]


def must_visit(
    students: list[dict[str, Any]],
    visits: list[dict[str, Any]],
    term: dict[str, Any],
    klass: dict[str, Any],
) -> MustVisit:
    """``students``: the class's, as the projection knows them; ``visits``: theirs in the district.
    A visit done in the term takes a student off the list, whichever class made it; a planned one
    is shown only when it is of this class (its id and date are the class's to read)."""
    mandatory = [
        s
        for s in students
        if s["status"] == "enrolled"
        and (s["district_id"], s["school_id"], s["class_id"])
        == (klass["district_id"], klass["school_id"], klass["_id"])
        and set(s["care_categories"]) & set(MANDATORY)
    ]
    done = {v["student_id"] for v in visits if v["status"] == "done" and in_term(v.get("visited_on"), term)}
    planned: dict[str, dict[str, Any]] = {}
    for v in sorted(visits, key=lambda v: (str(v.get("planned_on")), v["_id"])):
        if (
            v["status"] == "planned"
            and (v["district_id"], v["school_id"], v["class_id"])
            == (klass["district_id"], klass["school_id"], klass["_id"])
            and in_term(v.get("planned_on"), term)
        ):
            planned.setdefault(v["student_id"], v)
    return MustVisit(
        school_year=term["school_year"],
        term=term["kind"],
        starts_on=term["starts_on"],
        ends_on=term["ends_on"],
        students=[
            MustVisitStudent(
                student_id=s["_id"],
                care_categories=s["care_categories"],
                planned=(
                    PlannedFor(
                        visit_id=p["_id"],
                        planned_on=p["planned_on"],
                        visiting_staff_ids=p["visiting_staff_ids"],
                    )
                    if (p := planned.get(s["_id"]))
                    else None
                ),
            )
            for s in sorted(mandatory, key=lambda s: s["_id"])
            if s["_id"] not in done
        ],
    )


def visits_of_term(
    visits: list[dict[str, Any]], term: dict[str, Any], status: str | None, staff_id: str | None
) -> list[dict[str, Any]]:
    """A class's visits on a day of the term (done: when made; otherwise: when planned), of one
    status if asked, naming one member of staff if asked; soonest first."""
    chosen = [
        v
        for v in visits
        if in_term(visit_day(v), term)
        and (status is None or v["status"] == status)
        and (staff_id is None or staff_id in v["visiting_staff_ids"])
    ]
    return sorted(chosen, key=lambda v: (str(visit_day(v)), v["_id"]))


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
