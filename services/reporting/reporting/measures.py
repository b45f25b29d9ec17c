"""The district policy's measures for a school and its classes in a term, and how each stands.

Each measure has a target (the policy of that school year), an actual, the gap and a status:
met; missed (the period is over and it was not met); on track or at risk, comparing the actual
with the part of the target due by now (pacing), so a school learns in October that it is behind.
Rates never exceed 100%: numerators count only students in the denominator. No I/O.

Whose visit is it? The coverage measures (home-visit, 三必访 and holiday coverage) ask whether a
child has been visited, so a visit counts for the school and class the child is enrolled in on
the day the report is read as of, whichever school made it: a student the bureau moves to another
school takes their visits with them, as a student moved to another class of the same school
always did. Visits *made* (a class's visits, a teacher's visits and students visited, the school's
visit count) stay with the school and the staff who made them. The README's measures table gives
each measure's definition.
"""

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

from reporting import facts
from reporting.periods import Month, Term, TermName
from reporting.snapshot import MANDATORY, Snapshot, per_school, per_school_with_contacts

Status = Literal["met", "on_track", "at_risk", "missed"]
LABELS = {
    "home_visit_coverage": "家访覆盖率 (学年, 在籍学生中已家访的比例)",
    "mandatory_visit_coverage": "三必访覆盖率 (本学期, 三必访学生中已家访的比例)",
    "holiday_visit_coverage": "假期家访覆盖率 (学期内节假日及其后寒暑假, 在籍学生中已家访的比例)",
    "teachers_reaching_visit_quota_per_term": "家访满{quota}名学生的教师比例 (本学期)",
    "class_parent_meetings_per_term": "班级家长会次数 (本学期, 各班最少)",
    "school_parent_meetings_per_term": "全校家长会次数 (本学期)",
    "parent_school_sessions_per_quarter_per_grade": "家长学校授课次数 (各年级各季度最少)",
    "open_days_per_term": "开放日次数 (本学期)",
    "committee_meetings_per_term": "家委会会议次数 (本学期)",
    "reception_days_per_month": "校长接待日次数 (各月最少)",
    "partner_activities_per_agreement_per_term": "共建活动次数 (本学期, 每份协议最少)",
    "guardian_contacts_per_month": "家长月度联系覆盖率 (各月联系到的家长比例, 按月合计)",
}
# the names a column or a chart has room for: the label without its explanation
SHORT_LABELS = {key: label.split(" (")[0] for key, label in LABELS.items()} | {
    "teachers_reaching_visit_quota_per_term": "家访达标教师比例",
}
# measures that are shares (0..1), shown as percentages; the others count meetings or sessions
RATES = frozenset(
    {
        "home_visit_coverage",
        "mandatory_visit_coverage",
        "holiday_visit_coverage",
        "teachers_reaching_visit_quota_per_term",
        "guardian_contacts_per_month",
    }
)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    target: float
    actual: float
    gap: float
    status: Status
    numerator: int | None = None
    denominator: int | None = None
    name: str = ""  # the short name a column or a chart has room for: 家访覆盖率

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_of(actual: float, target: float, elapsed: float) -> Status:
    if actual >= target:
        return "met"
    if elapsed >= 1:
        return "missed"
    return "on_track" if actual >= target * elapsed else "at_risk"


def measure(
    key: str,
    target: float,
    actual: float,
    elapsed: float,
    num: int | None = None,
    den: int | None = None,
    **label: Any,
) -> Measure:
    return Measure(
        key,
        LABELS[key].format(**label),
        target,
        round(actual, 4),
        round(actual - target, 4),
        status_of(actual, target, elapsed),
        num,
        den,
        SHORT_LABELS[key],
    )


def rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0  # nothing to do counts as done


def share(numerator: int, denominator: int) -> float:
    """A coverage: a school with nobody registered yet has covered nobody (it shows, rather than
    scoring full marks for having no students)."""
    return numerator / denominator if denominator else 0.0


def reference_day(term: Term, today: date) -> date:
    return min(today, term.ends_on)


@dataclass(frozen=True)
class MonthsJudged:
    """The term's months a per-month measure is judged on, and the pace it is held to."""

    months: list[Month]
    pace: float  # 1.0: every month judged has ended; else the share gone of the one in progress


def months_judged(term: Term, today: date) -> MonthsJudged:
    """The rule for a month in progress, for every per-month measure (monthly guardian contact,
    reception days).

    The term's months that have ended count in full; the month in progress does not count yet,
    so on 1 December a school keeps its September–November share rather than losing a quarter of
    it to a month that began that morning. A month ends with its last day, or with the term's
    last day when the term ends inside it. Until the term's first month has ended, that month is
    judged on what it holds so far, against the share of it gone (pacing), as the term's other
    measures are.
    """
    months = term.months()
    ended = [m for m in months if min(m.last, term.ends_on) < today]
    if ended or today < term.starts_on:
        return MonthsJudged(ended, 1.0)
    first = months[0]
    start, end = max(first.first, term.starts_on), min(first.last, term.ends_on)
    return MonthsJudged([first], ((today - start).days + 1) / ((end - start).days + 1))


def year_start(snapshot: Snapshot, term: Term) -> date:
    """Coverage is per school year: counted from the autumn term's start."""
    if term.name.kind == "spring":
        autumn = snapshot.term(type(term.name)(term.name.school_year, "autumn"))
        if autumn is not None:
            return autumn.starts_on
    return term.starts_on


def year_elapsed(term: Term, today: date) -> float:
    return (term.elapsed(today) + (1 if term.name.kind == "spring" else 0)) / 2


def break_end(snapshot: Snapshot, term: Term) -> date:
    """The day before the next term starts (winter or summer break), or 60 days after the term."""
    following = (
        TermName(term.name.school_year, "spring")
        if term.name.kind == "autumn"
        else TermName(f"{int(term.name.school_year[:4]) + 1}-{int(term.name.school_year[5:]) + 1}", "autumn")
    )
    after = snapshot.term(following)
    return after.starts_on - timedelta(days=1) if after else term.ends_on + timedelta(days=60)


def holiday_visited(snapshot: Snapshot, term: Term, today: date, students: set[str]) -> set[str]:
    """Of ``students``, those visited on the term's holidays (国庆节 …) or in the break after it
    (寒假, 暑假), by any school of the district: coverage is about the child having been visited."""
    during = {
        v["student_id"]
        for v in snapshot.visits_on(students, term.starts_on, min(today, term.ends_on))
        if term.in_holiday(date.fromisoformat(v["on"]))
    }
    after = term.ends_on + timedelta(days=1)
    return during | (
        snapshot.visited(students, after, min(today, break_end(snapshot, term))) if today >= after else set()
    )


@dataclass(frozen=True)
class ClassFigures:
    class_id: str
    grade: int
    enrolled: int
    visited: int
    mandatory: int
    mandatory_visited: int
    unvisited_mandatory: list[str]
    parent_meetings: int
    visits: int
    open_follow_ups: int
    overdue_follow_ups: int


@per_school
def class_figures(snapshot: Snapshot, school_id: str, term: Term, today: date) -> list[ClassFigures]:
    day = reference_day(term, today)
    # the coverage measures ask whether a child was visited, by any school: of those enrolled here
    enrolled = snapshot.enrolled(school_id, day)
    year_visited = snapshot.visited(enrolled, year_start(snapshot, term), day)
    term_visited = snapshot.visited(enrolled, term.starts_on, day)
    made = snapshot.dated(facts.VISITS, school_id, term.starts_on, day)  # the visits this school made
    meetings = snapshot.dated(
        facts.MEETINGS, school_id, term.starts_on, day, kind="parent_meeting", level="class"
    )
    figures = []
    open_items = [
        (state["class_id"], item["due_on"])
        for state in snapshot.follow_ups(school_id)
        for item in state["items"]
        if not item["done"]
    ]
    for class_id, klass in sorted(snapshot.classes(school_id, day).items()):
        students = {s: st for s, st in enrolled.items() if st["class_id"] == class_id}
        mandatory = {s for s, st in students.items() if MANDATORY & set(st["care_categories"])}
        mandatory_visited = term_visited & mandatory
        figures.append(
            ClassFigures(
                class_id=class_id,
                grade=klass["grade"],
                enrolled=len(students),
                visited=len(year_visited & set(students)),
                mandatory=len(mandatory),
                mandatory_visited=len(mandatory_visited),
                unvisited_mandatory=sorted(mandatory - mandatory_visited),
                parent_meetings=sum(1 for m in meetings if class_id in m["class_ids"]),
                visits=sum(1 for v in made if v["class_id"] == class_id),
                open_follow_ups=sum(1 for c, _ in open_items if c == class_id),
                overdue_follow_ups=sum(
                    1 for c, due in open_items if c == class_id and due < today.isoformat()
                ),
            )
        )
    return figures


@dataclass(frozen=True)
class TeacherVisits:
    """What one member of staff did for the school in the term."""

    staff_id: str
    visits: int  # visits made (a visit by two staff counts for each of them)
    students: int  # distinct students visited: what the policy's 每学期至少家访5人 counts
    teaches: bool  # a head or subject teacher of the school on the day: the measure's denominator


@per_school
def teacher_visits(snapshot: Snapshot, school_id: str, term: Term, today: date) -> dict[str, TeacherVisits]:
    """Each teacher of the school, and any other staff who made a visit for it, in the term; a
    teacher who visited nobody counts with 0. Visits made stay with the school that made them."""
    day = reference_day(term, today)
    teachers = snapshot.teachers(school_id, day)
    visits: Counter[str] = Counter({t: 0 for t in teachers})
    students: dict[str, set[str]] = {t: set() for t in teachers}
    for visit in snapshot.dated(facts.VISITS, school_id, term.starts_on, day):
        for staff_id in visit["staff_ids"]:
            visits[staff_id] += 1
            students.setdefault(staff_id, set()).add(visit["student_id"])
    return {s: TeacherVisits(s, visits[s], len(students[s]), s in teachers) for s in sorted(visits)}


@dataclass(frozen=True)
class TeacherSummary:
    """The policy asks every teacher to visit at least ``quota`` students a term (科任教师、年级组长、
    学校领导……每学期至少家访5人); beside the share that did, the average and the fewest, as
    information."""

    quota: int
    teachers: int
    reaching_quota: int
    average_students: float | None  # None: the registry lists no teacher of the school
    fewest_students: int | None


@per_school
def teacher_summary(snapshot: Snapshot, school_id: str, term: Term, today: date) -> TeacherSummary:
    quota = int(snapshot.targets(term.name.school_year)["visits_per_teacher_per_term"])
    counts = [t.students for t in teacher_visits(snapshot, school_id, term, today).values() if t.teaches]
    return TeacherSummary(
        quota,
        len(counts),
        sum(1 for n in counts if n >= quota),
        round(sum(counts) / len(counts), 2) if counts else None,
        min(counts) if counts else None,
    )


@per_school_with_contacts
def guardian_contact(
    snapshot: Snapshot, school_id: str, month: Month, until: date | None = None
) -> tuple[int, int]:
    """Guardians reached at least once in the month (up to ``until``, for a month in progress), of
    those with a child enrolled at its end."""
    guardians = snapshot.guardians(school_id, month.last)
    return len(snapshot.reached(school_id, month, until) & guardians), len(guardians)


def class_measures(snapshot: Snapshot, figures: ClassFigures, term: Term, today: date) -> list[Measure]:
    """One class against the policy, paced as its school is: the school year's coverage and the
    term's 三必访 (what its teachers act on; the school's other measures are the school's)."""
    targets = snapshot.targets(term.name.school_year)
    visited, enrolled = figures.visited, figures.enrolled
    seen, mandatory = figures.mandatory_visited, figures.mandatory
    return [
        measure(
            "home_visit_coverage",
            targets["home_visit_coverage"],
            share(visited, enrolled),
            year_elapsed(term, today),
            visited,
            enrolled,
        ),
        measure(
            "mandatory_visit_coverage",
            targets["mandatory_visit_coverage"],
            rate(seen, mandatory),
            term.elapsed(today),
            seen,
            mandatory,
        ),
    ]


def class_attendance(
    snapshot: Snapshot, school_id: str, class_id: str, start: date, end: date
) -> float | None:
    """Attended ÷ invited over the class's parent meetings held in the period; None without invitations."""
    meetings = [
        m
        for m in snapshot.dated(facts.MEETINGS, school_id, start, end, kind="parent_meeting", level="class")
        if class_id in m["class_ids"]
    ]
    invited = sum(m["invited_count"] for m in meetings)
    return round(sum(m["attended_count"] for m in meetings) / invited, 4) if invited else None


@per_school_with_contacts
def school_measures(snapshot: Snapshot, school_id: str, term: Term, today: date) -> list[Measure]:
    targets = snapshot.targets(term.name.school_year)
    day = reference_day(term, today)
    elapsed = term.elapsed(today)
    classes = class_figures(snapshot, school_id, term, today)
    enrolled = sum(c.enrolled for c in classes)
    found: list[Measure] = []

    def add(
        key: str,
        actual: float,
        pace: float = elapsed,
        num: int | None = None,
        den: int | None = None,
        target: float | None = None,
    ) -> None:
        found.append(measure(key, targets[key] if target is None else target, actual, pace, num, den))

    visited = sum(c.visited for c in classes)
    add("home_visit_coverage", share(visited, enrolled), year_elapsed(term, today), visited, enrolled)
    mandatory, seen = sum(c.mandatory for c in classes), sum(c.mandatory_visited for c in classes)
    add("mandatory_visit_coverage", rate(seen, mandatory), elapsed, seen, mandatory)
    in_holidays = holiday_visited(snapshot, term, today, set(snapshot.enrolled(school_id, day)))
    # the break after the term is part of it: the measure is settled when the next term starts
    break_over = 1.0 if today >= break_end(snapshot, term) else min(elapsed, 0.99)
    add("holiday_visit_coverage", share(len(in_holidays), enrolled), break_over, len(in_holidays), enrolled)
    teachers = teacher_summary(snapshot, school_id, term, today)
    if teachers.teachers:
        # every teacher is to visit the policy's number of distinct students: the share who have
        found.append(
            measure(
                "teachers_reaching_visit_quota_per_term",
                1.0,
                share(teachers.reaching_quota, teachers.teachers),
                elapsed,
                teachers.reaching_quota,
                teachers.teachers,
                quota=teachers.quota,
            )
        )
    if classes:
        add("class_parent_meetings_per_term", min(c.parent_meetings for c in classes))
    held = snapshot.dated(facts.MEETINGS, school_id, term.starts_on, day)
    kinds = Counter((m["kind"], m["level"]) for m in held)
    add("school_parent_meetings_per_term", kinds[("parent_meeting", "school")])
    add("open_days_per_term", sum(n for (kind, _), n in kinds.items() if kind == "open_day"))
    add(
        "committee_meetings_per_term", sum(n for (kind, _), n in kinds.items() if kind == "committee_meeting")
    )
    grades = sorted({c.grade for c in classes})
    slots = [(g, q) for g in grades for q in term.quarters() if q[0] <= day]
    if slots:
        sessions = [
            sum(
                1
                for m in snapshot.dated(
                    facts.MEETINGS, school_id, start, min(end, day), kind="parent_school_session"
                )
                if m["level"] == "school" or m.get("grade") == grade
            )
            for grade, (start, end) in slots
        ]
        add("parent_school_sessions_per_quarter_per_grade", min(sessions))
    judged = months_judged(term, today)
    receptions = [
        len(snapshot.dated(facts.MEETINGS, school_id, m.first, min(m.last, today), kind="reception_day"))
        for m in judged.months
    ]
    if receptions:
        add("reception_days_per_month", min(receptions), judged.pace)
    agreements = snapshot.agreements(school_id, day)
    if agreements:
        activities = snapshot.dated(facts.ACTIVITIES, school_id, term.starts_on, day)
        add(
            "partner_activities_per_agreement_per_term",
            min(
                sum(1 for a in activities if a["agreement_id"] == agreement_id) for agreement_id in agreements
            ),
        )
    if judged.months:
        reached, guardians = map(
            sum, zip(*(guardian_contact(snapshot, school_id, m, today) for m in judged.months), strict=True)
        )
        # the policy asks for every guardian each month: the share reached, over the months judged
        add(
            "guardian_contacts_per_month",
            share(reached, guardians),
            judged.pace,
            reached,
            guardians,
            target=1.0,
        )
    return found


SCORED = {
    "weight_home_visit_coverage": "home_visit_coverage",
    "weight_mandatory_visit_coverage": "mandatory_visit_coverage",
    "weight_parent_meetings": "class_parent_meetings_per_term",
    "weight_partner_activities": "partner_activities_per_agreement_per_term",
    "weight_guardian_contact": "guardian_contacts_per_month",
}
# each weight of the composite score by the measure it weighs: 家访覆盖率权重
WEIGHT_LABELS = {weight: f"{SHORT_LABELS[key]}权重" for weight, key in SCORED.items()}


def score(measures: list[Measure], targets: dict[str, float]) -> float:
    """The composite score (0–100): each weighted measure counts up to its target."""
    by_key = {m.key: m for m in measures}
    total = weights = 0.0
    for weight_key, key in SCORED.items():
        weight = targets.get(weight_key, 0.0)
        if key in by_key and weight:
            m = by_key[key]
            total += weight * (min(m.actual / m.target, 1.0) if m.target else 1.0)
            weights += weight
    return round(100 * total / weights, 1) if weights else 0.0


@per_school
def activity_summary(snapshot: Snapshot, school_id: str, start: date, end: date) -> dict[str, Any]:
    """Counts and rates for the period: meetings by kind and level, RSVPs, attendance, partners."""
    meetings = snapshot.dated(facts.MEETINGS, school_id, start, end)
    invited = sum(m["invited_count"] for m in meetings)
    activities = snapshot.dated(facts.ACTIVITIES, school_id, start, end)
    exchanges = [
        e
        for e in snapshot.exchanges
        if start.isoformat() <= e["on"] <= end.isoformat()
        and school_id in (e["supporting_school_id"], *e["supported_school_ids"])
    ]
    by_partner: Counter[str] = Counter()
    times_by_partner: Counter[str] = Counter()
    by_agreement: Counter[str] = Counter()
    for a in activities:
        by_partner[a["partner_kind"]] += 1
        times_by_partner[a["partner_kind"]] += a["participant_times"]
        by_agreement[a["agreement_id"]] += 1
    return {
        "visits": len(snapshot.dated(facts.VISITS, school_id, start, end)),
        "meetings_by_kind": dict(sorted(Counter(f"{m['kind']}:{m['level']}" for m in meetings).items())),
        "rsvp_rate": round(sum(m["rsvp_yes_count"] for m in meetings) / invited, 4) if invited else None,
        "attendance_rate": round(sum(m["attended_count"] for m in meetings) / invited, 4)
        if invited
        else None,
        "partner_activities_by_kind": dict(sorted(by_partner.items())),
        "participant_times_by_kind": dict(sorted(times_by_partner.items())),
        "partner_activities_by_agreement": dict(sorted(by_agreement.items())),
        "pairing_exchanges": len(exchanges),
        "teachers_benefiting": sum(e["teachers_benefiting"] for e in exchanges),
        "students_benefiting": sum(e["students_benefiting"] for e in exchanges),
    }
