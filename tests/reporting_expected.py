"""Reporting's figures computed independently, from what a generator published: the small district
of ``district_generator`` (the e2e scenario) or the county of ``county_generator`` (the benchmark).

The rules are the README's, written here again without reporting's code: a school's enrolled
students on the day asked, the school year's visits of those students wherever they were made, the
term's 三必访 visits, the months judged for contacts, the teachers' distinct students. A figure of
reporting that differs from these is a bug in one of the two; the e2e test and the benchmark both
say which figure and school."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from contracts.policy import DEFAULT_TARGETS
from county_generator import County, Pupil
from district_generator import (
    CLASS_MOVE_ON,
    HOLIDAY,
    MANDATORY,
    SCHOOL_MOVE_ON,
    SPRING_END,
    SPRING_START,
    TERM,
    TERM_END,
    TERM_START,
    District,
    Student,
)
from district_generator import SPRING as SPRING_TERM

Generated = District | County


@dataclass(frozen=True)
class TermDates:
    name: str
    starts_on: date
    ends_on: date
    holidays: tuple[tuple[date, date], ...]
    break_ends: date  # the day before the next term starts


AUTUMN = TermDates(TERM, TERM_START, TERM_END, (HOLIDAY,), SPRING_START - timedelta(days=1))
SPRING = TermDates(SPRING_TERM, SPRING_START, SPRING_END, (), SPRING_END + timedelta(days=60))


def school_of(student: Student | Pupil, day: date) -> str | None:
    """Where the student was enrolled that day: the bureau may have moved them to another school
    (the county's students also arrive during the year: nowhere before)."""
    if isinstance(student, Pupil):
        placed = [p for p in student.placements if p[0] <= day]
        return placed[-1][1] if placed else None
    return student.school_moved_to[0] if student.school_moved_to and day >= SCHOOL_MOVE_ON else student.school


def class_of(student: Student | Pupil, day: date) -> str | None:
    if isinstance(student, Pupil):
        placed = [p for p in student.placements if p[0] <= day]
        return placed[-1][2] if placed else None
    if student.school_moved_to and day >= SCHOOL_MOVE_ON:
        return student.school_moved_to[1]
    return student.moved_to if student.moved_to and day >= CLASS_MOVE_ON else student.class_id


def elapsed(term: TermDates, today: date) -> float:
    if today >= term.ends_on:
        return 1.0
    if today < term.starts_on:
        return 0.0
    return ((today - term.starts_on).days + 1) / ((term.ends_on - term.starts_on).days + 1)


def status(actual: float, target: float, pace: float) -> str:
    """The README's statuses: met; missed once the period is over; else on track or at risk
    against the share of the target due by now."""
    if actual >= target:
        return "met"
    if pace >= 1:
        return "missed"
    return "on_track" if actual >= target * pace else "at_risk"


def months_judged(term: TermDates, today: date) -> list[tuple[date, date]]:
    """The README's rule for a month in progress: the term's months that have ended (a month ends
    with its last day, or the term's); until the first has, the first one so far."""
    months, first = [], term.starts_on.replace(day=1)
    while first <= term.ends_on:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, following - timedelta(days=1)))
        first = following
    ended = [(a, b) for a, b in months if min(b, term.ends_on) < today]
    return ended if ended or today < term.starts_on else months[:1]


def expected_school(d: Generated, school: str, today: date, term: TermDates = AUTUMN) -> dict[str, Any]:
    day = min(today, term.ends_on)

    def in_term(on: date) -> bool:
        return term.starts_on <= on <= day

    enrolled_by_day: dict[date, set[str]] = {}

    def enrolled_on(on: date) -> set[str]:
        if on not in enrolled_by_day:
            enrolled_by_day[on] = {s.student_id for s in d.students if school_of(s, on) == school}
        return enrolled_by_day[on]

    def guardians_on(on: date) -> set[str]:
        students = enrolled_on(on)
        return {g for g, st in d.guardians.items() if st in students}

    # the coverage measures ask whether the child was visited, by whichever school: the students
    # the school has on the day, visited this school year (this term for 三必访)
    enrolled = [s for s in d.students if school_of(s, day) == school]
    ids = {s.student_id for s in enrolled}
    visited = {v[1] for v in d.visits if TERM_START <= v[3] <= day} & ids  # the school year's coverage
    visited_in_term = {v[1] for v in d.visits if in_term(v[3])}
    mandatory = {s.student_id for s in enrolled if MANDATORY & set(s.care)}
    by_class = {c: sum(1 for m in d.class_meetings if m[1] == c and in_term(m[2])) for c in d.classes[school]}
    months = months_judged(term, today)
    contacts = [(c[1], c[2]) for c in d.contacts if c[0] == school]
    reached = sum(
        len({g for g, on in contacts if a <= on <= min(b, today)} & guardians_on(b)) for a, b in months
    )
    # each teacher of the school: the distinct students they visited this term
    quota = DEFAULT_TARGETS["visits_per_teacher_per_term"]
    teachers = {
        t: len({v[1] for v in d.visits if v[4] == t and in_term(v[3])})
        for t, of in d.teachers.items()
        if of == school
    }
    meetings = [m for m in d.class_meetings if m[0] == school and in_term(m[2])]
    own = [m for m in d.school_meetings if m[0] == school]
    own_in_term = [m for m in own if in_term(m[3])]
    invited = sum(m[3] for m in meetings) + sum(m[4] for m in own_in_term)
    yes = sum(m[4] for m in meetings) + sum(m[5] for m in own_in_term)
    in_holiday = {
        v[1]
        for v in d.visits
        if (any(a <= v[3] <= b for a, b in term.holidays) and v[3] <= day)
        or term.ends_on < v[3] <= min(today, term.break_ends)
    }
    receptions = [
        sum(1 for m in own if m[1] == "reception_day" and a <= m[3] <= min(b, today)) for a, b in months
    ]
    activities = [a for a in d.activities if a[0] == school and in_term(a[2])]
    return {
        "holiday_visited": len(in_holiday & ids),
        "school_meetings": sum(1 for m in own_in_term if m[1] == "parent_meeting" and m[2] == "school"),
        "open_days": sum(1 for m in own_in_term if m[1] == "open_day"),
        "reception_days_min": min(receptions),
        "enrolled": len(enrolled),
        "visited": len(visited),
        "coverage": round(len(visited) / len(enrolled), 4),
        "mandatory": len(mandatory),
        "mandatory_visited": len(mandatory & visited_in_term),
        "class_meetings_min": min(by_class.values()),
        "contact_share": round(reached / sum(len(guardians_on(b)) for _, b in months), 4),
        "teachers": teachers,
        "teachers_reaching_quota": sum(1 for n in teachers.values() if n >= quota),
        "teacher_visits": {
            "quota": quota,
            "teachers": len(teachers),
            "reaching_quota": sum(1 for n in teachers.values() if n >= quota),
            "average_students": round(sum(teachers.values()) / len(teachers), 2),
            "fewest_students": min(teachers.values()),
        },
        "rsvp_rate": round(yes / invited, 4) if invited else None,
        "activities": len(activities),
        "participant_times": sum(a[3] for a in activities),
    }


def expected_score(d: Generated, school: str, figures: dict[str, Any]) -> float:
    weights = {k: v for k, v in DEFAULT_TARGETS.items() if k.startswith("weight_")}
    parts = {
        "weight_home_visit_coverage": min(figures["coverage"] / 0.6, 1),
        "weight_mandatory_visit_coverage": min(figures["mandatory_visited"] / figures["mandatory"], 1)
        if figures["mandatory"]
        else 1,
        "weight_parent_meetings": min(figures["class_meetings_min"] / 1, 1),
        "weight_guardian_contact": min(figures["contact_share"] / 1, 1),
    }
    if any(school == s for s in d.agreements.values()):
        parts["weight_partner_activities"] = min(figures["activities"] / 1, 1)
    used = {k: weights[k] for k in parts}
    return float(round(100 * sum(used[k] * parts[k] for k in parts) / sum(used.values()), 1))


def expected_class(d: Generated, class_id: str, today: date, term: TermDates = AUTUMN) -> dict[str, Any]:
    """A class's row as its school's report and the class report give it: the students it has on the
    day, those visited this school year wherever, its 三必访 students and those visited this term, its
    parent meetings and the visits made in it this term, and the follow-ups of its visits."""
    day = min(today, term.ends_on)
    students = [s for s in d.students if class_of(s, day) == class_id]
    ids = {s.student_id for s in students}
    visited = {v[1] for v in d.visits if TERM_START <= v[3] <= day} & ids
    visited_in_term = {v[1] for v in d.visits if term.starts_on <= v[3] <= day}
    mandatory = {s.student_id for s in students if MANDATORY & set(s.care)}
    own_visits = {v[0] for v in d.visits if v[2] == class_id}
    items = [i for visit, state in d.follow_ups.items() if visit in own_visits for i in state]
    return {
        "enrolled": len(ids),
        "visited": len(visited),
        "coverage": round(len(visited) / len(ids), 4) if ids else 0.0,
        "mandatory": len(mandatory),
        "mandatory_visited": len(mandatory & visited_in_term),
        "parent_meetings": sum(
            1 for m in d.class_meetings if m[1] == class_id and term.starts_on <= m[2] <= day
        ),
        "visits": sum(1 for v in d.visits if v[2] == class_id and term.starts_on <= v[3] <= day),
        "open_follow_ups": sum(1 for _, done in items if not done),
        "overdue_follow_ups": sum(1 for due, done in items if not done and due < today),
        "unvisited_mandatory": sorted(mandatory - visited_in_term),
    }
