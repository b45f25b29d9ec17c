"""A district's facts in memory, and the registry as it stood on any date. No I/O."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contracts.policy import DEFAULT_TARGETS
from service_kit.storage import Document

from reporting.periods import Month, Term, TermName

MANDATORY = frozenset({"left_behind", "hardship", "special_attention"})  # 三必访


@dataclass
class Snapshot:
    """Everything reporting knows of one district: registry versions and activity facts."""

    district_id: str
    versions: list[Document] = field(default_factory=list)
    visits: list[Document] = field(default_factory=list)
    confirmations: list[Document] = field(default_factory=list)
    meetings: list[Document] = field(default_factory=list)
    activities: list[Document] = field(default_factory=list)
    exchanges: list[Document] = field(default_factory=list)
    contacts: list[Document] = field(default_factory=list)
    undelivered: list[Document] = field(default_factory=list)
    follow_ups: list[Document] = field(default_factory=list)
    _history: dict[tuple[str, str], list[Document]] = field(default_factory=dict, repr=False)
    _enrolled: dict[tuple[str, date], dict[str, Document]] = field(default_factory=dict, repr=False)
    _records: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        history: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for version in self.versions:
            history[(version["kind"], version["record_id"])].append(version)
        for versions in history.values():
            versions.sort(key=lambda v: (v["at"], v["version"]))
        self._history = dict(history)
        newest: dict[str, Document] = {}
        for activity in self.activities:  # a partner's confirmation republishes it: keep the newest
            kept = newest.get(activity["activity_id"])
            if kept is None or kept["version"] < activity["version"]:
                newest[activity["activity_id"]] = activity
        self.activities = list(newest.values())
        taken_back = {u["_id"] for u in self.undelivered}  # a provider reported the reach failed
        self.contacts = [c for c in self.contacts if c["_id"] not in taken_back]
        latest: dict[str, Document] = {}
        for state in self.follow_ups:  # each event carries the visit's follow-ups as they stand
            kept = latest.get(state["visit_id"])
            if kept is None or kept["version"] < state["version"]:
                latest[state["visit_id"]] = state
        self.follow_ups = list(latest.values())

    # the registry on a date ---------------------------------------------------------------------

    def records(self, kind: str) -> list[str]:
        if not self._records:
            for k, record_id in self._history:
                self._records.setdefault(k, []).append(record_id)
        return self._records.get(kind, [])

    def as_of(self, kind: str, record_id: str, day: date | None = None) -> Document | None:
        """The record's state in force on ``day`` (the newest without a day), with its school."""
        versions = self._history.get((kind, record_id), [])
        chosen = None
        for version in versions:
            if day is None or version["at"] <= day.isoformat():
                chosen = version
        if chosen is None:
            return None
        data: Document = chosen["data"]
        return data | {
            "school_id": chosen["school_id"],
            "record_id": record_id,
            "since": chosen["at"],
        }

    def first_seen(self, kind: str, record_id: str) -> str | None:
        versions = self._history.get((kind, record_id))
        return versions[0]["at"] if versions else None

    def schools(self, day: date | None = None) -> dict[str, Document]:
        """Schools open on ``day``: registered by then and not closed."""
        found = {}
        for school_id in self.records("school"):
            school = self.as_of("school", school_id, day)
            if school is not None and school["status"] == "active":
                found[school_id] = school
        return found

    def classes(self, school_id: str, day: date | None = None) -> dict[str, Document]:
        found = {}
        for class_id in self.records("class"):
            klass = self.as_of("class", class_id, day)
            if klass is not None and klass["school_id"] == school_id and klass["status"] == "active":
                found[class_id] = klass
        return found

    def enrolled(self, school_id: str, day: date, class_id: str | None = None) -> dict[str, Document]:
        """Students enrolled in the school (or class) on ``day``: transfers and new students move
        the denominators from the day they happened."""
        key = (school_id, day)
        if key not in self._enrolled:  # asked for every class and measure: worked out once per day
            by_school: dict[str, dict[str, Document]] = defaultdict(dict)
            for student_id in self.records("student"):
                student = self.as_of("student", student_id, day)
                if student is not None and student["status"] == "enrolled":
                    by_school[student["school_id"]][student_id] = student
            for school, students in by_school.items():
                self._enrolled[(school, day)] = students
            self._enrolled.setdefault(key, {})
        students = self._enrolled[key]
        return {s: st for s, st in students.items() if class_id is None or st["class_id"] == class_id}

    def guardians(self, school_id: str, day: date) -> set[str]:
        enrolled = set(self.enrolled(school_id, day))
        found = set()
        for guardian_id in self.records("guardian"):
            guardian = self.as_of("guardian", guardian_id, day)
            if guardian is not None and enrolled & set(guardian["student_ids"]):
                found.add(guardian_id)
        return found

    def term(self, name: TermName) -> Term | None:
        term = self.as_of("term", f"{name.school_year}:{name.kind}")
        if term is None:
            return None
        holidays = tuple(
            (date.fromisoformat(h["starts_on"]), date.fromisoformat(h["ends_on"])) for h in term["holidays"]
        )
        return Term(
            name, date.fromisoformat(term["starts_on"]), date.fromisoformat(term["ends_on"]), holidays
        )

    def targets(self, school_year: str) -> dict[str, float]:
        """The policy of that school year: the bureau's newest version over DOMAIN.md's defaults."""
        policy = self.as_of("policy", school_year)
        return DEFAULT_TARGETS | (policy["targets"] if policy else {})

    def submission_deadline(self, month: Month) -> date:
        """The day of the next month by which a school confirms the month (the policy's, default the 5th)."""
        day = int(self.targets(month.school_year)["monthly_submission_deadline_day"])
        return month.next().first.replace(day=day)

    def agreements(self, school_id: str, day: date) -> dict[str, Document]:
        found = {}
        for agreement_id in self.records("agreement"):
            agreement = self.as_of("agreement", agreement_id, day)
            if agreement and agreement["school_id"] == school_id and agreement["status"] == "active":
                found[agreement_id] = agreement
        return found

    def teachers(self, school_id: str, day: date) -> set[str]:
        """Staff of the school who teach (head or subject teachers), as the registry knew them then."""
        found = set()
        for staff_id in self.records("staff"):
            staff = self.as_of("staff", staff_id, day)
            if (
                staff
                and staff["school_id"] == school_id
                and {"head_teacher", "subject_teacher"} & set(staff["roles"])
            ):
                found.add(staff_id)
        return found

    def pairs(self) -> dict[str, Document]:
        return {pair_id: p for pair_id in self.records("pair") if (p := self.as_of("pair", pair_id))}


def between(facts: list[Document], school_id: str, start: date, end: date, **equal: Any) -> list[Document]:
    """Facts of a school dated within [start, end] and matching the given fields."""
    low, high = start.isoformat(), end.isoformat()
    return [
        f
        for f in facts
        if f["school_id"] == school_id
        and low <= f["on"] <= high
        and all(f.get(k) == v for k, v in equal.items())
    ]
