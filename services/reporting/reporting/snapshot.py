"""A district's facts in memory, indexed by school and student, and the registry as it stood on
any date. No I/O.

A snapshot is built once from the stored facts and then kept up to date fact by fact (``add``):
it is the read model every view is computed from (``projection`` keeps one per district). Each
fact is taken once by its key, as the store takes it, so the same event twice changes nothing;
the indexes let a school's figures be computed from that school's facts alone, whatever the size
of the district.
"""

import functools
import sys
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

from contracts.policy import DEFAULT_TARGETS
from service_kit.storage import Document

from reporting import facts
from reporting.periods import Month, Term, TermName

T = TypeVar("T")
MANDATORY = frozenset({"left_behind", "hardship", "special_attention"})  # 三必访
DATED = (facts.VISITS, facts.MEETINGS, facts.ACTIVITIES)  # the facts a school logs, by their date
CONTACT_FACTS = (facts.CONTACTS, facts.UNDELIVERED)  # a message reached a guardian, or did not


NOT_READ = frozenset({"district_id", "event_id", "mode"})  # kept in the store, for audit
DAYS_KEPT = 40  # days whose enrolment is kept worked out: a term's months, a year's trends
# A contact is kept as one int: its key's hash in 58 bits, above the day of the month in 5 (most
# facts are contacts). Two keys sharing a hash would be taken for one: a contact of a guardian's
# month counted once, or a contact taken back by another's failure report (failure reports are
# looked up district-wide: a county's 1.5 million contacts a year against 50,000 reports is about
# 1 in 4 million a year). A guardian reached once in a month has that int; a few times, a list;
# more often than FEW, a set.
FEW = 8
KEY_BITS = 58
Contacts = int | list[int] | set[int]


def contact_key(key: str) -> int:
    return hash(key) & ((1 << KEY_BITS) - 1)


@dataclass(frozen=True, slots=True)
class Version:
    """A registry record's version: in force from ``at``; ``record`` is what readers get."""

    at: str
    number: float
    record: Document


@dataclass
class DayIndex:
    """Who is enrolled in each school on a day."""

    day: date
    enrolled: dict[str, dict[str, Document]] = field(default_factory=lambda: defaultdict(dict))
    school_of: dict[str, str] = field(default_factory=dict)  # student: school

    def place(self, snapshot: "Snapshot", student_id: str) -> None:
        """Where the student's version in force on the day puts them (a new version moves them)."""
        old = self.school_of.pop(student_id, None)
        if old is not None:
            del self.enrolled[old][student_id]
        student = snapshot.as_of("student", student_id, self.day)
        if student is not None and student["status"] == "enrolled":
            self.enrolled[student["school_id"]][student_id] = student
            self.school_of[student_id] = student["school_id"]


class Snapshot:
    """Everything reporting knows of one district: registry versions and activity facts."""

    def __init__(
        self,
        district_id: str,
        versions: Iterable[Document] = (),
        visits: Iterable[Document] = (),
        confirmations: Iterable[Document] = (),
        meetings: Iterable[Document] = (),
        activities: Iterable[Document] = (),
        exchanges: Iterable[Document] = (),
        contacts: Iterable[Document] = (),
        undelivered: Iterable[Document] = (),
        follow_ups: Iterable[Document] = (),
    ) -> None:
        self.district_id = district_id
        self._history: dict[tuple[str, str], list[Version]] = {}
        self._guardians_of: dict[str, set[str]] = defaultdict(set)  # student: guardians
        self._records: dict[str, list[str]] = defaultdict(list)
        self._at_school: dict[tuple[str, str], set[str]] = defaultdict(set)  # (kind, school): records
        self._dated: dict[str, dict[str, dict[str, Document]]] = {c: defaultdict(dict) for c in DATED}
        self._visits_of: dict[str, list[Document]] = defaultdict(list)  # student: visits
        self._activity_versions: dict[str, int] = {}
        self._confirmed: dict[str, set[str]] = defaultdict(set)  # school: visits confirmed
        self._exchanges: dict[str, Document] = {}
        # contacts as (school, month) → guardian → Contacts: they are most of the facts
        self._reached: dict[tuple[str, str], dict[str, Contacts]] = defaultdict(dict)
        self._taken_back: set[int] = set()
        self._follow_ups: dict[str, dict[str, Document]] = defaultdict(dict)  # school: visit: newest
        self._memo: dict[str, dict[Hashable, Any]] = defaultdict(dict)
        # figures that read contacts, apart: a district letter's receipts (most facts) forget only these
        self._memo_contacts: dict[str, dict[Hashable, Any]] = defaultdict(dict)
        self._by_day: dict[date, DayIndex] = {}
        for collection, found in (
            (facts.VERSIONS, versions),
            (facts.VISITS, visits),
            (facts.CONFIRMATIONS, confirmations),
            (facts.MEETINGS, meetings),
            (facts.ACTIVITIES, activities),
            (facts.EXCHANGES, exchanges),
            (facts.CONTACTS, contacts),
            (facts.UNDELIVERED, undelivered),
            (facts.FOLLOW_UPS, follow_ups),
        ):
            for fact in found:
                self.add(collection, fact)

    # keeping it up to date ----------------------------------------------------------------------

    def add(self, collection: str, fact: Document) -> set[str]:
        """Take one stored fact, and forget the figures kept of the schools it may change: those
        schools (none: the fact was taken already)."""
        touched = self._take(collection, fact)
        if ALL in touched:
            self._memo.clear()
            self._memo_contacts.clear()
        for school_id in touched:
            if collection not in CONTACT_FACTS:
                self._memo.pop(school_id, None)
            self._memo_contacts.pop(school_id, None)
        return touched

    def is_kept(self, school_id: str, key: Hashable) -> bool:
        """Whether the school's figure ``key`` (its function's name and arguments) is kept."""
        return key in self._memo.get(school_id, {}) or key in self._memo_contacts.get(school_id, {})

    def memo(self, school_id: str, key: Hashable, compute: Callable[[], T], contacts: bool = False) -> T:
        """A figure of the school, computed once until a fact touching the school arrives; one that
        reads ``contacts`` is computed again after a contact of the school's too."""
        kept = (self._memo_contacts if contacts else self._memo)[school_id]
        if key not in kept:
            kept[key] = compute()
        return cast(T, kept[key])

    def _take(self, collection: str, fact: Document) -> set[str]:
        """The schools whose figures a fact may change.

        A registry change touches the schools the record has been in, and a student's also those
        of their guardians' and visits' records; a district-wide one (a term, the policy, a school
        opening) touches every school, as ``ALL`` says."""
        if collection == facts.VERSIONS:
            return self._add_version(fact)
        school = fact["school_id"]
        if collection in DATED:
            if collection == facts.ACTIVITIES:  # a partner's confirmation republishes it: keep the newest
                key, version = fact["activity_id"], fact["version"]
                if self._activity_versions.get(key, -1) >= version:
                    return set()
                self._activity_versions[key] = version
            else:
                key = fact["_id"]
                if key in self._dated[collection][school]:
                    return set()
            fact = compact({k: v for k, v in fact.items() if k not in NOT_READ})
            self._dated[collection][school][key] = fact
            if collection != facts.VISITS:
                return {school}
            self._visits_of[fact["student_id"]].append(fact)
            # the coverage measures follow the child: every school the student has been in
            return {school} | self._schools_of("student", fact["student_id"])
        if collection == facts.CONTACTS:
            if fact["recipient_kind"] != "guardian":
                return set()
            month = self._reached[(school, fact["on"][:7])]
            guardian = sys.intern(fact["recipient_id"])
            reached = month.get(guardian)
            contact = contact_key(fact["_id"]) << 5 | int(fact["on"][8:10])
            if reached is None:
                month[guardian] = contact
            elif isinstance(reached, int):
                if reached == contact:
                    return set()
                month[guardian] = [reached, contact]
            elif contact in reached:
                return set()
            elif isinstance(reached, set):
                reached.add(contact)
            elif len(reached) < FEW:
                reached.append(contact)
            else:  # a guardian messaged often: looked up by hash rather than one by one
                month[guardian] = {*reached, contact}
            return {school}
        if collection == facts.UNDELIVERED:  # a provider reported the reach failed
            if contact_key(fact["_id"]) in self._taken_back:
                return set()
            self._taken_back.add(contact_key(fact["_id"]))
            return {school}
        if collection == facts.FOLLOW_UPS:  # each event carries the visit's follow-ups as they stand
            kept = self._follow_ups[school].get(fact["visit_id"])
            if kept is not None and kept["version"] >= fact["version"]:
                return set()
            self._follow_ups[school][fact["visit_id"]] = fact
            return {school}
        if collection == facts.CONFIRMATIONS:
            if fact["_id"] in self._confirmed[school]:
                return set()
            self._confirmed[school].add(fact["_id"])
            return {school}
        if collection == facts.EXCHANGES:
            if fact["_id"] in self._exchanges:
                return set()
            self._exchanges[fact["_id"]] = fact
            return {fact["supporting_school_id"], *fact["supported_school_ids"]}
        raise ValueError(f"not a fact collection: {collection}")

    def _add_version(self, version: Document) -> set[str]:
        kind, record_id, school = version["kind"], version["record_id"], version["school_id"]
        history = self._history.get((kind, record_id))
        # a version's key is its district, kind, record and number: taken already if its number is
        if history is not None and any(v.number == version["version"] for v in history):
            return set()
        if history is None:
            history = self._history[(kind, record_id)] = []
            self._records[kind].append(record_id)
        record = compact(
            version["data"] | {"school_id": school, "record_id": record_id, "since": version["at"]}
        )
        history.append(Version(version["at"], version["version"], record))
        history.sort(key=lambda v: (v.at, v.number))
        self._at_school[(kind, school)].add(record_id)
        if kind == "guardian":
            for student_id in record["student_ids"]:
                self._guardians_of[student_id].add(record_id)
        if kind == "student":
            for index in self._by_day.values():  # who is enrolled where on the days worked out
                index.place(self, record_id)
        if kind in ("school", "term", "policy", "pair"):
            return {ALL}
        touched = self._schools_of(kind, record_id)
        if kind == "guardian":
            # the schools of the students it names now and named before
            for student_id in {s for v in history for s in v.record["student_ids"]}:
                touched |= self._schools_of("student", student_id)
        elif kind == "student":
            for visit in self._visits_of.get(record_id, []):
                touched.add(visit["school_id"])
        return touched

    def _schools_of(self, kind: str, record_id: str) -> set[str]:
        return {v.record["school_id"] for v in self._history.get((kind, record_id), [])}

    # the registry on a date ---------------------------------------------------------------------

    def records(self, kind: str) -> list[str]:
        return self._records.get(kind, [])

    def as_of(self, kind: str, record_id: str, day: date | None = None) -> Document | None:
        """The record's state in force on ``day`` (the newest without a day), with its school.
        Shared with every reader: never change it."""
        chosen = None
        on = day.isoformat() if day else None
        for version in self._history.get((kind, record_id), ()):
            if on is None or version.at <= on:
                chosen = version
        return chosen.record if chosen else None

    def guardians_of(self, student_id: str) -> set[str]:
        """Guardians any version of whom named the student."""
        return self._guardians_of.get(student_id, set())

    def first_seen(self, kind: str, record_id: str) -> str | None:
        versions = self._history.get((kind, record_id))
        return versions[0].at if versions else None

    def _in_school(self, kind: str, school_id: str, day: date | None) -> dict[str, Document]:
        """Records of ``kind`` the school has on ``day``: those with a version there, as they stood."""
        found = {}
        for record_id in sorted(self._at_school.get((kind, school_id), ())):
            record = self.as_of(kind, record_id, day)
            if record is not None and record["school_id"] == school_id:
                found[record_id] = record
        return found

    def schools(self, day: date | None = None) -> dict[str, Document]:
        """Schools open on ``day``: registered by then and not closed."""
        found = {}
        for school_id in self.records("school"):
            school = self.as_of("school", school_id, day)
            if school is not None and school["status"] == "active":
                found[school_id] = school
        return found

    def classes(self, school_id: str, day: date | None = None) -> dict[str, Document]:
        return {c: k for c, k in self._in_school("class", school_id, day).items() if k["status"] == "active"}

    def _day(self, day: date) -> "DayIndex":
        """Who is enrolled in each school on ``day``: asked for every class and measure, so worked
        out once per day for the whole district, then kept up to date as student versions arrive."""
        if day not in self._by_day:
            if len(self._by_day) >= DAYS_KEPT:
                del self._by_day[next(iter(self._by_day))]  # the day worked out longest ago
            index = DayIndex(day)
            for student_id in self.records("student"):
                index.place(self, student_id)
            self._by_day[day] = index
        return self._by_day[day]

    def enrolled(self, school_id: str, day: date, class_id: str | None = None) -> dict[str, Document]:
        """Students enrolled in the school (or class) on ``day``: transfers and new students move
        the denominators from the day they happened."""
        students = self._day(day).enrolled.get(school_id, {})
        return {s: st for s, st in students.items() if class_id is None or st["class_id"] == class_id}

    def guardians(self, school_id: str, day: date) -> set[str]:
        """Guardians with a child enrolled in the school on ``day`` (as the guardian's version in
        force then names the child)."""
        found = set()
        for student_id in self.enrolled(school_id, day):
            for guardian_id in self.guardians_of(student_id):
                guardian = self.as_of("guardian", guardian_id, day)
                if guardian is not None and student_id in guardian["student_ids"]:
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
        return {
            a: agreement
            for a, agreement in self._in_school("agreement", school_id, day).items()
            if agreement["status"] == "active"
        }

    def teachers(self, school_id: str, day: date) -> set[str]:
        """Staff of the school who teach (head or subject teachers), as the registry knew them then."""
        return {
            staff_id
            for staff_id, staff in self._in_school("staff", school_id, day).items()
            if {"head_teacher", "subject_teacher"} & set(staff["roles"])
        }

    def pairs(self) -> dict[str, Document]:
        return {pair_id: p for pair_id in self.records("pair") if (p := self.as_of("pair", pair_id))}

    # activity facts -----------------------------------------------------------------------------

    def dated(self, collection: str, school_id: str, start: date, end: date, **equal: Any) -> list[Document]:
        """A school's visits, meetings or partner activities dated within [start, end] and matching
        the given fields (visits: those the school made)."""
        return between(list(self._dated[collection].get(school_id, {}).values()), start, end, **equal)

    def visited(self, students: Iterable[str], start: date, end: date) -> set[str]:
        """Of ``students``, those visited within [start, end] by any school of the district."""
        low, high = start.isoformat(), end.isoformat()
        return {s for s in students if any(low <= v["on"] <= high for v in self._visits_of.get(s, ()))}

    def visits_on(self, students: Iterable[str], start: date, end: date) -> list[Document]:
        """Visits of ``students`` within [start, end], by whichever school made them."""
        low, high = start.isoformat(), end.isoformat()
        return [v for s in students for v in self._visits_of.get(s, ()) if low <= v["on"] <= high]

    def reached(self, school_id: str, month: Month, until: date | None = None) -> set[str]:
        """Guardians a message of the school reached in the month (up to ``until``), leaving out a
        reach a provider later reported failed."""
        last = month.last if until is None else min(month.last, until)
        if last < month.first:
            return set()
        taken_back, day = self._taken_back, last.day

        def kept(contact: int) -> bool:
            return contact & 31 <= day and contact >> 5 not in taken_back

        return {
            guardian
            for guardian, contacts in self._reached.get((school_id, str(month)), {}).items()
            if (kept(contacts) if isinstance(contacts, int) else any(kept(c) for c in contacts))
        }

    def visits_made(self, school_id: str) -> list[Document]:
        """Every visit the school made."""
        return list(self._dated[facts.VISITS].get(school_id, {}).values())

    def follow_ups(self, school_id: str) -> list[Document]:
        return list(self._follow_ups.get(school_id, {}).values())

    def confirmed(self, school_id: str) -> int:
        return len(self._confirmed.get(school_id, ()))

    @property
    def exchanges(self) -> list[Document]:
        return list(self._exchanges.values())


ALL = "*"  # ``Snapshot.add``'s answer for a change that touches every school of the district


def compact(document: Document) -> Document:
    """The document with its keys and short strings shared with every other copy of them: the
    store's driver makes new strings for every document read, and a county's facts repeat their
    field names, school, class and status millions of times."""
    return {sys.intern(k): _shared(v) for k, v in document.items()}


def _shared(value: Any) -> Any:
    if isinstance(value, str) and len(value) <= 40:
        return sys.intern(value)
    if isinstance(value, list):
        return [_shared(v) for v in value]
    return value


def per_school(compute: Callable[..., T]) -> Callable[..., T]:
    """Keep a figure of a school (``compute(snapshot, school_id, *hashable)``) in the snapshot
    until a fact touching that school arrives, other than a contact (it reads none, nor does any
    figure it reads). What it answers is shared: never change it."""
    return _kept(compute, contacts=False)


def per_school_with_contacts(compute: Callable[..., T]) -> Callable[..., T]:
    """As ``per_school``, for a figure that reads the school's contacts or a figure that does."""
    return _kept(compute, contacts=True)


def _kept(compute: Callable[..., T], contacts: bool) -> Callable[..., T]:
    @functools.wraps(compute)
    def kept(snapshot: "Snapshot", school_id: str, *args: Hashable) -> T:
        return snapshot.memo(
            school_id, (compute.__name__, *args), lambda: compute(snapshot, school_id, *args), contacts
        )

    return kept


def between(found: list[Document], start: date, end: date, **equal: Any) -> list[Document]:
    """Facts dated within [start, end] and matching the given fields."""
    low, high = start.isoformat(), end.isoformat()
    return [f for f in found if low <= f["on"] <= high and all(f.get(k) == v for k, v in equal.items())]
