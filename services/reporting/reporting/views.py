"""The views each role reads, assembled from a district snapshot. No I/O.

The bureau sees counts, rates and opaque ids, never a name of a student or guardian; a school
admin sees its school down to classes and teachers; a teacher sees the classes they teach,
including the mandatory (三必访) students still unvisited this term, by name for that teacher only.
Who may read which view is ``access``'s, checked by the routes before a view is assembled.
"""

from collections import Counter
from dataclasses import asdict
from datetime import date
from typing import Any

from service_kit.auth import Caller
from service_kit.errors import NotFound

from reporting import access, measures
from reporting import facts as fact_kinds
from reporting.periods import Month, Term, TermName
from reporting.snapshot import DATED, Snapshot, per_school


def term_of(snapshot: Snapshot, name: TermName) -> Term:
    term = snapshot.term(name)
    if term is None:
        raise NotFound(f"学期 {name}")
    return term


def school_report(
    caller: Caller, snapshot: Snapshot, school_id: str, name: TermName, today: date
) -> dict[str, Any]:
    school = snapshot.as_of("school", school_id)
    if school is None:
        raise NotFound("学校")
    term = term_of(snapshot, name)
    found = measures.school_measures(snapshot, school_id, term, today)
    classes = measures.class_figures(snapshot, school_id, term, today)
    day = measures.reference_day(term, today)
    return {
        "school_id": school_id,
        "name": school["name"],
        "term": str(name),
        "as_of": day.isoformat(),
        "elapsed": round(term.elapsed(today), 4),
        "score": measures.score(found, snapshot.targets(name.school_year)),
        "measures": [m.as_dict() for m in found],
        "classes": [class_row(caller, snapshot, c, day) for c in classes],
        "teachers": [
            {"staff_id": t.staff_id, "visits": t.visits, "students_visited": t.students, "teaches": t.teaches}
            for t in measures.teacher_visits(snapshot, school_id, term, today).values()
        ],
        "teacher_visits": asdict(measures.teacher_summary(snapshot, school_id, term, today)),
        "activity": measures.activity_summary(snapshot, school_id, term.starts_on, day),
    }


def teacher_report(
    caller: Caller, snapshot: Snapshot, school_id: str, name: TermName, today: date
) -> dict[str, Any]:
    """The caller's own report, in the school reporting knows the teacher in (``school_id``):
    the classes of it the class report's rule lets the teacher read."""
    term = term_of(snapshot, name)
    day = measures.reference_day(term, today)
    mine = [
        c
        for c in measures.class_figures(snapshot, school_id, term, today)
        if access.CLASS_REPORT.allows(
            caller, access.registry_scope("class", c.class_id, snapshot.district_id, school_id)
        )
    ]
    mine_made = measures.teacher_visits(snapshot, school_id, term, today).get(caller.subject)
    return {
        "teacher_id": caller.subject,
        "term": str(name),
        "as_of": day.isoformat(),
        "my_visits": mine_made.visits if mine_made else 0,
        "my_students_visited": mine_made.students if mine_made else 0,
        "classes": [class_row(caller, snapshot, c, day) for c in mine],
    }


def class_report(
    caller: Caller, snapshot: Snapshot, class_id: str, name: TermName, today: date
) -> dict[str, Any]:
    """One class: its teachers, the school admin and the bureau; names for its teachers only."""
    klass = snapshot.as_of("class", class_id)
    if klass is None:
        raise NotFound("班级")
    term = term_of(snapshot, name)
    day = measures.reference_day(term, today)
    figures = next(
        (
            c
            for c in measures.class_figures(snapshot, klass["school_id"], term, today)
            if c.class_id == class_id
        ),
        None,
    )
    if figures is None:
        raise NotFound("班级")
    school_id = klass["school_id"]
    return {
        "school_id": school_id,
        "term": str(name),
        "as_of": day.isoformat(),
        "measures": [m.as_dict() for m in measures.class_measures(snapshot, figures, term, today)],
        "attendance_rate": measures.class_attendance(snapshot, school_id, class_id, term.starts_on, day),
    } | class_row(caller, snapshot, figures, day)


def class_row(caller: Caller, snapshot: Snapshot, c: measures.ClassFigures, day: date) -> dict[str, Any]:
    """A class's figures; the 三必访 students still unvisited by name for its teacher, as opaque
    ids for the school admin, and not at all for the bureau (it gets the counts): ``access``."""
    unvisited: list[Any] | None = None
    shown = access.unvisited_shown(caller)
    if shown is access.Unvisited.names:
        unvisited = [
            {"student_id": s, "name": (snapshot.as_of("student", s, day) or {}).get("name")}
            for s in c.unvisited_mandatory
        ]
    elif shown is access.Unvisited.ids:
        unvisited = c.unvisited_mandatory
    return {
        "class_id": c.class_id,
        "grade": c.grade,
        "enrolled": c.enrolled,
        "visited": c.visited,
        "coverage": round(measures.share(c.visited, c.enrolled), 4),
        "mandatory": c.mandatory,
        "mandatory_visited": c.mandatory_visited,
        "parent_meetings": c.parent_meetings,
        "visits": c.visits,
        "open_follow_ups": c.open_follow_ups,
        "overdue_follow_ups": c.overdue_follow_ups,
        "unvisited_mandatory": unvisited,
    }


def ranking(snapshot: Snapshot, name: TermName, today: date) -> dict[str, Any]:
    term = term_of(snapshot, name)
    targets = snapshot.targets(name.school_year)
    rows = []
    for school_id, school in sorted(snapshot.schools(measures.reference_day(term, today)).items()):
        found = measures.school_measures(snapshot, school_id, term, today)
        rows.append(
            {
                "school_id": school_id,
                "name": school["name"],
                "score": measures.score(found, targets),
                "measures": {
                    m.key: {"actual": m.actual, "target": m.target, "status": m.status} for m in found
                },
                "statuses": dict(sorted(Counter(m.status for m in found).items())),
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["name"], r["school_id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    weights = {k: v for k, v in sorted(targets.items()) if k.startswith("weight_")}
    return {
        "term": str(name),
        "as_of": measures.reference_day(term, today).isoformat(),
        "weights": weights,
        "schools": rows,
    }


def overview(snapshot: Snapshot, name: TermName, today: date) -> dict[str, Any]:
    """The district at a glance: totals and rates, then each school's score and statuses."""
    term = term_of(snapshot, name)
    day = measures.reference_day(term, today)
    ranked = ranking(snapshot, name, today)
    enrolled = visited = mandatory = mandatory_visited = 0
    totals: Counter[str] = Counter()
    for school_id in snapshot.schools(day):
        for c in measures.class_figures(snapshot, school_id, term, today):
            enrolled, visited = enrolled + c.enrolled, visited + c.visited
            mandatory, mandatory_visited = mandatory + c.mandatory, mandatory_visited + c.mandatory_visited
        summary = measures.activity_summary(snapshot, school_id, term.starts_on, day)
        totals["visits"] += summary["visits"]
        totals["meetings"] += sum(summary["meetings_by_kind"].values())
        totals["partner_activities"] += sum(summary["partner_activities_by_kind"].values())
        totals["participant_times"] += sum(summary["participant_times_by_kind"].values())
    return {
        "district_id": snapshot.district_id,
        "term": str(name),
        "as_of": day.isoformat(),
        "schools": len(ranked["schools"]),
        "students_enrolled": enrolled,
        "students_visited": visited,
        "home_visit_coverage": round(measures.share(visited, enrolled), 4),
        "mandatory_students": mandatory,
        "mandatory_visit_coverage": round(measures.rate(mandatory_visited, mandatory), 4),
        **dict(sorted(totals.items())),
        "ranking": [
            {k: row[k] for k in ("rank", "school_id", "name", "score", "statuses")}
            for row in ranked["schools"]
        ],
    }


@per_school
def logged_in_month(snapshot: Snapshot, school_id: str, month: Month) -> dict[str, int]:
    """What a school recorded with dates in the month (visits, meetings, activities) and by class."""
    return {
        kind: len(snapshot.dated(collection, school_id, month.first, month.last))
        for kind, collection in zip(("visits", "meetings", "activities"), DATED, strict=True)
    }


@per_school
def late_entries(snapshot: Snapshot, school_id: str, month: Month) -> int:
    """Records dated in the month but recorded after its submission deadline."""
    deadline = snapshot.submission_deadline(month).isoformat()
    return sum(
        1
        for collection in DATED
        for f in snapshot.dated(collection, school_id, month.first, month.last)
        if f.get("recorded", "") > deadline
    )


def completeness(snapshot: Snapshot, month: Month, submissions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Who reported for the month, who was late, who logged nothing, and classes with nothing."""
    rows = []
    for school_id, school in sorted(snapshot.schools(month.last).items()):
        logged = logged_in_month(snapshot, school_id, month)
        visits = snapshot.dated(fact_kinds.VISITS, school_id, month.first, month.last)
        quiet_classes = sorted(set(snapshot.classes(school_id, month.last)) - {v["class_id"] for v in visits})
        submission = submissions.get(school_id)
        rows.append(
            {
                "school_id": school_id,
                "name": school["name"],
                "logged": logged,
                "logged_nothing": not any(logged.values()),
                "classes_without_visits": quiet_classes,
                "submission": submission["kind"] if submission else None,
                "late": submission["late"] if submission else None,
                "late_entries": late_entries(snapshot, school_id, month),
            }
        )
    schools = len(rows)
    submitted = [r for r in rows if r["submission"]]
    return {
        "month": str(month),
        "schools": schools,
        "submitted": len(submitted),
        "on_time": sum(1 for r in submitted if not r["late"]),
        "completeness": round(measures.share(len(submitted), schools), 4),
        "timeliness": round(measures.share(sum(1 for r in submitted if not r["late"]), schools), 4),
        "silent_schools": [
            r["school_id"] for r in rows if r["logged_nothing"] and r["submission"] != "nothing_to_report"
        ],
        "rows": rows,
    }


def trends(snapshot: Snapshot, school_year: str, school_id: str | None) -> list[dict[str, Any]]:
    """Month by month over the school year: visits, meetings, activities, guardians reached."""
    start_year = int(school_year[:4])
    months = [Month(start_year, m) for m in range(9, 13)] + [Month(start_year + 1, m) for m in range(1, 8)]
    schools = [school_id] if school_id else sorted(snapshot.schools())
    rows = []
    for month in months:
        row: dict[str, Any] = {
            "month": str(month),
            "visits": 0,
            "meetings": 0,
            "activities": 0,
            "reached": 0,
            "guardians": 0,
        }
        for school in schools:
            logged = logged_in_month(snapshot, school, month)
            row["visits"] += logged["visits"]
            row["meetings"] += logged["meetings"]
            row["activities"] += logged["activities"]
            reached, guardians = measures.guardian_contact(snapshot, school, month)
            row["reached"] += reached
            row["guardians"] += guardians
        row["guardian_contact_rate"] = (
            round(measures.rate(row["reached"], row["guardians"]), 4) if row["guardians"] else None
        )
        rows.append(row)
    return rows


def pair_comparison(snapshot: Snapshot, pair_id: str, name: TermName, today: date) -> dict[str, Any]:
    pair = snapshot.pairs().get(pair_id)
    if pair is None:
        raise NotFound("结对")
    term = term_of(snapshot, name)
    sides = []
    for school_id in [pair["supporting_school_id"], *pair["supported_school_ids"]]:
        school = snapshot.as_of("school", school_id) or {"name": school_id}
        found = measures.school_measures(snapshot, school_id, term, today)
        sides.append(
            {
                "school_id": school_id,
                "name": school["name"],
                "role": "supporting" if school_id == pair["supporting_school_id"] else "supported",
                "score": measures.score(found, snapshot.targets(name.school_year)),
                "measures": {m.key: m.actual for m in found},
                "activity": measures.activity_summary(
                    snapshot, school_id, term.starts_on, measures.reference_day(term, today)
                ),
            }
        )
    exchanges = [
        e
        for e in snapshot.exchanges
        if e["pair_id"] == pair_id
        and term.starts_on <= date.fromisoformat(e["on"]) <= measures.reference_day(term, today)
    ]
    return {
        "pair_id": pair_id,
        "term": str(name),
        "schools": sides,
        "exchanges": len(exchanges),
        "teachers_benefiting": sum(e["teachers_benefiting"] for e in exchanges),
        "students_benefiting": sum(e["students_benefiting"] for e in exchanges),
    }
