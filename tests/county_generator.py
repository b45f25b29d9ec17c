"""A county-scale district for reporting's benchmark, generated as a stream of the platform's events.

The county (``COUNTY``): 200 schools of 500 students in 12 classes, 100,000 students, about 1.5
guardians each, and a school year of events, about two million, most of them
``notification-delivered``: the registry (terms, the policy, schools, classes, staff, students,
guardians, 结对帮扶 pairs, co-building agreements), then month by month from September 2026 to
June 2027 the registry's changes (new students mid-term, transfers between classes and between
schools), home visits and their follow-ups, class and school meetings, partner activities, pairing
exchanges and the month's messages delivered to guardians.

Events are made one at a time (``CountyYear.events()`` is an iterator): two million pydantic events
would not fit in a benchmark's memory. What the independent computation needs is kept in a compact
record (``CountyYear.record``, a ``County``) shaped as ``district_generator.District`` is, so that
``reporting_expected`` computes the expected figures of both the same way.

Every choice comes from ``random.Random(seed)`` and every date from the school calendar below, never
from the clock; event ids are derived from the district id and the event's position, so the same
district id and seed give the same events, and another district id gives other ids (reporting
deduplicates by event id). The people are synthetic: ids, names such as 学生000123 and one
placeholder phone number, no more than the platform's events carry."""

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from contracts.envelope import Event
from contracts.events.meetings import MeetingHeld, MeetingHeldV1
from contracts.events.notifications import NotificationDelivered, NotificationDeliveredV1
from contracts.events.partner_activities import (
    PairingExchange,
    PairingExchangeV1,
    PartnerActivity,
    PartnerActivityV1,
)
from contracts.events.registry import (
    AgreementChanged,
    AgreementChangedV1,
    ClassChanged,
    ClassChangedV1,
    GuardianChanged,
    GuardianChangedV1,
    GuardianContacts,
    Holiday,
    PairChanged,
    PairChangedV1,
    PolicyChanged,
    PolicyChangedV1,
    SchoolChanged,
    SchoolChangedV1,
    StaffChanged,
    StaffChangedV1,
    StaffContacts,
    StudentChanged,
    StudentChangedV1,
    TermChanged,
    TermChangedV1,
)
from contracts.events.visits import (
    FollowUpsChanged,
    FollowUpsChangedV1,
    FollowUpState,
    VisitLogged,
    VisitLoggedV1,
)
from contracts.policy import DEFAULT_TARGETS
from district_generator import HOLIDAY, NAMES, SPRING_END, SPRING_START, TERM_END, TERM_START, at

YEAR_STARTS = TERM_START  # the first day a student is enrolled
YEAR_ENDS = date(2027, 6, 30)  # the last day a generated event falls on
MONTHS = [date(2026, m, 1) for m in range(9, 13)] + [date(2027, m, 1) for m in range(1, 7)]
PLACEHOLDER_PHONE = "13900000000"  # every generated guardian and teacher: nobody real is written to
EVENT_IDS = uuid.UUID("5b0c4a52-62d3-4c57-9d0b-8a1e2f0c6d11")  # the namespace of the generated ids
CARE = [[], [], [], ["left_behind"], ["hardship"], ["single_parent"], ["special_attention"]]


@dataclass(frozen=True)
class Scale:
    schools: int
    classes_per_school: int
    students_per_school: int


TEN_SCHOOLS = Scale(schools=10, classes_per_school=2, students_per_school=80)  # ≈800 students
COUNTY = Scale(schools=200, classes_per_school=12, students_per_school=500)  # 100,000 students


@dataclass(slots=True)
class Pupil:
    """A student as the independent computation needs them: care categories and where they were
    enrolled from which day (``placements``: (from, school, class), oldest first)."""

    student_id: str
    care: list[str]
    placements: list[tuple[date, str, str]]

    def placed_on(self, day: date) -> tuple[str, str] | None:
        found = None
        for since, school, class_id in self.placements:
            if since <= day:
                found = (school, class_id)
        return found

    def school_on(self, day: date) -> str | None:
        placed = self.placed_on(day)
        return placed[0] if placed else None

    def class_on(self, day: date) -> str | None:
        placed = self.placed_on(day)
        return placed[1] if placed else None


def name_of(student_id: str) -> str:
    """The synthetic name the student's registration carries (only their teachers' reports show it)."""
    return "学生" + student_id.rsplit("-", 1)[-1]


@dataclass
class County:
    """What was published, in the shapes ``district_generator.District`` keeps, for the expected
    figures (``reporting_expected``); contacts grow as the events are taken from the stream."""

    district_id: str
    schools: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # school → name
    classes: dict[str, list[str]] = field(default_factory=dict)  # school → classes
    grades: dict[str, int] = field(default_factory=dict)
    students: list[Pupil] = field(default_factory=list)
    guardians: dict[str, str] = field(default_factory=dict)  # guardian → student
    teachers: dict[str, str] = field(default_factory=dict)  # staff → school (head and subject teachers)
    teacher_classes: dict[str, list[str]] = field(default_factory=dict)  # staff → classes they teach
    visits: list[tuple[str, str, str, date, str]] = field(
        default_factory=list
    )  # id, student, class, on, staff
    class_meetings: list[tuple[str, str, date, int, int, int]] = field(default_factory=list)
    school_meetings: list[tuple[str, str, str, date, int, int, int]] = field(default_factory=list)
    activities: list[tuple[str, str, date, int]] = field(default_factory=list)  # school, agreement, on, times
    agreements: dict[str, str] = field(default_factory=dict)  # agreement → school
    contacts: list[tuple[str, str, date]] = field(default_factory=list)  # school, guardian, on
    exchanges: list[tuple[str, int, int]] = field(default_factory=list)  # kind, teachers, students
    follow_ups: dict[str, list[tuple[date, bool]]] = field(default_factory=dict)  # visit → (due, done)
    counts: Counter[str] = field(default_factory=Counter)  # events taken from the stream, by type


def days_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


class CountyYear:
    """The county's plan (schools, classes, staff, students and where they move, visits, meetings,
    activities) drawn at once; its events made one by one by ``events()``."""

    def __init__(self, district_id: str, scale: Scale = COUNTY, seed: int = 2026) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.record = County(district_id)
        self.tag = district_id[-6:]
        self.sequence = 0
        self.head_of: dict[str, str] = {}  # class → head teacher
        self.subject_of: dict[str, list[str]] = {}  # class → subject teachers
        self.starts: dict[str, date] = {}  # student → first day enrolled
        self.moves: list[tuple[date, Pupil]] = []  # a transfer, from the placement dated that day
        self.pairs: list[tuple[str, str, list[str]]] = []  # pair, supporting, supported
        self.exchanges: list[tuple[str, str, list[str], str, date, int, int]] = []
        self.partners: dict[str, tuple[str, str]] = {}  # agreement → partner, kind
        self.activities: list[tuple[str, str, date, str, int]] = []  # school, agreement, on, kind, times
        self._plan()

    # the plan ------------------------------------------------------------------------------------

    def _plan(self) -> None:
        rng, r, scale = self.rng, self.record, self.scale
        for s in range(scale.schools):
            school = f"sch-{self.tag}-{s:03d}"
            r.schools.append(school)
            r.names[school] = NAMES[s] if s < len(NAMES) else f"基准测试学校{s:03d}"
            r.classes[school] = []
            size, extra = divmod(scale.students_per_school, scale.classes_per_school)
            for c in range(scale.classes_per_school):
                class_id = f"cls-{self.tag}-{s:03d}-{c:02d}"
                r.classes[school].append(class_id)
                r.grades[class_id] = (
                    3 + c % 2 if scale.classes_per_school <= 2 else 1 + c * 6 // scale.classes_per_school
                )
                for _ in range(size + (c < extra)):
                    self._new_student(school, class_id, YEAR_STARTS)
            self._staff(school, s)
        enrolled = list(r.students)
        # registry changes during the year: about 1% move class, 0.5% move school, 2% more arrive
        for pupil in rng.sample(enrolled, len(enrolled) // 100):
            school = pupil.placements[0][1]
            others = [c for c in r.classes[school] if c != pupil.placements[0][2]]
            if others:
                self._move(pupil, school, rng.choice(others))
        if scale.schools > 1:
            for pupil in rng.sample(enrolled, len(enrolled) // 200):
                if len(pupil.placements) > 1:
                    continue
                school = rng.choice([s for s in r.schools if s != pupil.placements[0][1]])
                self._move(pupil, school, rng.choice(r.classes[school]))
        for _ in range(len(enrolled) // 50):
            school = rng.choice(r.schools)
            self._new_student(
                school, rng.choice(r.classes[school]), days_between(rng, date(2026, 9, 14), date(2027, 4, 30))
            )
        for pupil in r.students:
            self._visits(pupil)
        self._meetings()
        self._partners()

    def _new_student(self, school: str, class_id: str, since: date) -> None:
        r = self.record
        pupil = Pupil(
            f"stu-{self.tag}-{len(r.students):06d}", list(self.rng.choice(CARE)), [(since, school, class_id)]
        )
        r.students.append(pupil)
        self.starts[pupil.student_id] = since
        for k in range(1 + (self.rng.random() < 0.5)):  # one or two guardians: about 1.5 a student
            r.guardians[f"gdn-{pupil.student_id[4:]}-{k}"] = pupil.student_id

    def _move(self, pupil: Pupil, school: str, class_id: str) -> None:
        on = days_between(self.rng, date(2026, 10, 8), date(2027, 4, 30))
        pupil.placements.append((on, school, class_id))
        self.moves.append((on, pupil))

    def _staff(self, school: str, s: int) -> None:
        r, classes = self.record, self.record.classes[school]
        n = 0

        def hire(class_ids: list[str]) -> str:
            nonlocal n
            staff_id = f"stf-{self.tag}-{s:03d}-{n:02d}"
            n += 1
            r.teachers[staff_id] = school
            r.teacher_classes[staff_id] = class_ids
            return staff_id

        for class_id in classes:
            self.head_of[class_id] = hire([class_id])
            self.subject_of[class_id] = []
        for k in range(max(1, len(classes) // 3)):  # each teaches three classes (or every class)
            taught = [classes[(3 * k + j) % len(classes)] for j in range(min(3, len(classes)))]
            staff_id = hire(taught)
            for class_id in taught:
                self.subject_of[class_id].append(staff_id)
        hire([classes[0]])  # a subject teacher who visits nobody

    def _visits(self, pupil: Pupil) -> None:
        rng, since = self.rng, self.starts[pupil.student_id]
        spans = [
            (TERM_START, TERM_END, [0, 0, 1, 1, 2]),
            (TERM_END + timedelta(days=1), SPRING_START - timedelta(days=1), [0, 0, 0, 1]),
            (SPRING_START, YEAR_ENDS, [0, 0, 1, 1, 2]),
        ]
        for first, last, counts in spans:
            for on in sorted(days_between(rng, first, last) for _ in range(rng.choice(counts))):
                placed = pupil.placed_on(on)
                if on < since or placed is None:
                    continue
                class_id = placed[1]
                subjects = self.subject_of[class_id]
                staff = (
                    self.head_of[class_id] if rng.random() < 0.75 or not subjects else rng.choice(subjects)
                )
                visit_id = f"vis-{self.tag}-{len(self.record.visits):07d}"
                self.record.visits.append((visit_id, pupil.student_id, class_id, on, staff))
                # follow-ups of some September and October visits, some since done
                if on < date(2026, 11, 1) and rng.random() < 0.05:
                    self.record.follow_ups[visit_id] = [
                        (on + timedelta(days=rng.randrange(5, 40)), rng.random() < 0.5)
                        for _ in range(rng.randrange(1, 3))
                    ]

    def _meetings(self) -> None:
        rng, r = self.rng, self.record
        for school in r.schools:
            size = self.scale.students_per_school // self.scale.classes_per_school
            for class_id in r.classes[school]:
                for first, last, counts in (
                    (date(2026, 9, 10), date(2026, 12, 31), [1, 1, 2]),
                    (date(2027, 3, 1), date(2027, 6, 15), [0, 1, 1, 2]),
                ):
                    for _ in range(rng.choice(counts)):
                        yes, came = rng.randrange(size // 2, size + 1), rng.randrange(size // 3, size)
                        r.class_meetings.append(
                            (school, class_id, days_between(rng, first, last), size, yes, came)
                        )
            invited = self.scale.students_per_school
            own = [
                ("parent_meeting", "school", date(2026, 9, 5)),
                ("parent_meeting", "school", date(2027, 2, 26)),
            ]
            if rng.random() < 0.7:
                own.append(("open_day", "school", days_between(rng, date(2026, 10, 10), date(2026, 12, 20))))
            for month in MONTHS:  # the principal's reception day, in most months
                if rng.random() < 0.8:
                    own.append(("reception_day", "school", month + timedelta(days=rng.randrange(7))))
            for kind, level, on in own:
                r.school_meetings.append((school, kind, level, on, invited, invited * 3 // 5, invited // 2))

    def _partners(self) -> None:
        rng, r = self.rng, self.record
        kinds = ["legal_education", "volunteer_service", "safety_drill", "science_talk", "health_service"]
        for s, school in enumerate(r.schools):
            if rng.random() < 0.6:  # a co-building agreement, with activities each term
                agreement = f"agr-{self.tag}-{s:03d}"
                r.agreements[agreement] = school
                self.partners[agreement] = (
                    f"ptn-{self.tag}-{s:03d}",
                    rng.choice(["police_station", "community_committee", "health_centre"]),
                )
                for first, last in (
                    (date(2026, 9, 10), date(2027, 1, 10)),
                    (date(2027, 3, 1), date(2027, 6, 20)),
                ):
                    for _ in range(rng.randrange(0, 4)):
                        on, times = days_between(rng, first, last), rng.randrange(30, 200)
                        r.activities.append((school, agreement, on, times))
                        self.activities.append((school, agreement, on, rng.choice(kinds), times))
        for p in range(0, len(r.schools) - 1, 4):  # every fourth school supports the next one or two
            supported = r.schools[p + 1 : p + 2 + (p + 2 < len(r.schools) and rng.random() < 0.5)]
            pair = f"pair-{self.tag}-{p:03d}"
            self.pairs.append((pair, r.schools[p], supported))
            for n in range(rng.randrange(2, 5)):
                kind = rng.choice(
                    ["demonstration_lesson", "mutual_observation", "teaching_research", "leadership_visit"]
                )
                teachers, students = rng.randrange(2, 12), rng.randrange(0, 80)
                on = days_between(rng, date(2026, 9, 15), date(2027, 6, 15))
                self.exchanges.append((f"exc-{pair[5:]}-{n}", pair, supported, kind, on, teachers, students))
                r.exchanges.append((kind, teachers, students))

    # the events ------------------------------------------------------------------------------------

    def _envelope(self, school_id: str, occurred: date) -> dict[str, Any]:
        self.sequence += 1
        return {
            "event_id": uuid.uuid5(EVENT_IDS, f"{self.record.district_id}:{self.sequence}"),
            "producer": "generator",
            "district_id": self.record.district_id,
            "school_id": school_id,
            "occurred_at": at(occurred),
        }

    def events(self) -> Iterator[Event]:
        """The year's events, the registry first, then month by month; each counted in
        ``record.counts`` as it is taken."""
        for event in self._all():
            self.record.counts[event.event_type] += 1
            yield event

    def _all(self) -> Iterator[Event]:
        yield from self._registry()
        for month in MONTHS:
            following = (month + timedelta(days=32)).replace(day=1)

            def within(on: date, month: date = month, following: date = following) -> bool:
                return month <= on < following

            yield from self._changes(within)
            yield from self._visit_events(within)
            yield from self._meeting_events(within)
            yield from self._contacts(month)

    def _registry(self) -> Iterator[Event]:
        r = self.record
        for kind, starts, ends, holidays, on in (
            (
                "autumn",
                TERM_START,
                TERM_END,
                [Holiday(name="国庆节", starts_on=HOLIDAY[0], ends_on=HOLIDAY[1])],
                20,
            ),
            ("spring", SPRING_START, SPRING_END, [], 21),
        ):
            yield TermChangedV1(
                **self._envelope("district", date(2026, 8, on)),
                payload=TermChanged(
                    school_year="2026-2027",
                    kind=kind,
                    starts_on=starts,
                    ends_on=ends,
                    holidays=holidays,
                    version=1,
                ),
            )
        yield PolicyChangedV1(
            **self._envelope("district", date(2026, 8, 25)),
            payload=PolicyChanged(
                school_year="2026-2027", version=2, targets=DEFAULT_TARGETS | {"home_visit_coverage": 0.6}
            ),
        )
        sizes = Counter(p.placements[0][2] for p in r.students if p.placements[0][0] == YEAR_STARTS)
        for s, school in enumerate(r.schools):
            yield SchoolChangedV1(
                **self._envelope(school, date(2026, 8, 1)),
                payload=SchoolChanged(
                    school_id=school,
                    name=r.names[school],
                    level="primary" if s % 3 else "junior",
                    setting="rural" if s % 2 else "urban",
                    status="active",
                    version=1,
                ),
            )
            for class_id in r.classes[school]:
                yield ClassChangedV1(
                    **self._envelope(school, date(2026, 8, 2)),
                    payload=ClassChanged(
                        class_id=class_id,
                        grade=r.grades[class_id],
                        status="active",
                        enrolled_count=sizes[class_id],
                        head_teacher_id=self.head_of[class_id],
                    ),
                )
        for staff_id, school in r.teachers.items():
            classes = r.teacher_classes[staff_id]
            yield StaffChangedV1(
                **self._envelope(school, date(2026, 8, 28)),
                payload=StaffChanged(
                    staff_id=staff_id,
                    roles=["head_teacher"]
                    if self.head_of.get(classes[0]) == staff_id
                    else ["subject_teacher"],
                    class_ids=classes,
                    contacts=StaffContacts(phone=PLACEHOLDER_PHONE),
                    version=1,
                ),
            )
        for pair, supporting, supported in self.pairs:
            yield PairChangedV1(
                **self._envelope(supporting, date(2026, 9, 1)),
                payload=PairChanged(
                    pair_id=pair,
                    supporting_school_id=supporting,
                    supported_school_ids=supported,
                    starts_on=date(2026, 9, 1),
                    ends_on=None,
                    version=1,
                ),
            )
        for agreement, school in r.agreements.items():
            partner, kind = self.partners[agreement]
            yield AgreementChangedV1(
                **self._envelope(school, date(2026, 9, 1)),
                payload=AgreementChanged(
                    agreement_id=agreement,
                    partner_id=partner,
                    partner_kind=kind,
                    starts_on=date(2026, 9, 1),
                    ends_on=date(2027, 7, 1),
                    signed_on=date(2026, 9, 1),
                    status="active",
                    commitments_count=2,
                    reviewed=False,
                    version=1,
                ),
            )
        for pupil in r.students:
            if pupil.placements[0][0] == YEAR_STARTS:
                yield from self._enrolment(pupil, 0)

    def _enrolment(self, pupil: Pupil, n: int) -> Iterator[Event]:
        """The student's registration (n = 0) or transfer (n ≥ 1), dated from the placement; with a
        registration, their guardians'."""
        on, school, class_id = pupil.placements[n]
        yield StudentChangedV1(
            **self._envelope(school, on),
            payload=StudentChanged(
                student_id=pupil.student_id,
                class_id=class_id,
                status="enrolled",
                care_categories=pupil.care,
                name=name_of(pupil.student_id),
                version=n + 1,
            ),
        )
        if n:
            return
        for k in range(2):
            guardian = f"gdn-{pupil.student_id[4:]}-{k}"
            if guardian in self.record.guardians:
                yield GuardianChangedV1(
                    **self._envelope(school, on),
                    payload=GuardianChanged(
                        guardian_id=guardian,
                        student_ids=[pupil.student_id],
                        contacts=GuardianContacts(phone=PLACEHOLDER_PHONE),
                        preferred_channel="sms",
                        language="zh-CN",
                        consent_non_essential=True,
                        version=1,
                    ),
                )

    def _changes(self, within: Callable[[date], bool]) -> Iterator[Event]:
        for pupil in self.record.students:
            since = pupil.placements[0][0]
            if since != YEAR_STARTS and within(since):
                yield from self._enrolment(pupil, 0)
        for on, pupil in sorted(self.moves, key=lambda m: (m[0], m[1].student_id)):
            if within(on):
                yield from self._enrolment(pupil, len(pupil.placements) - 1)

    def _visit_events(self, within: Callable[[date], bool]) -> Iterator[Event]:
        r = self.record
        for visit_id, student_id, class_id, on, staff in r.visits:
            if not within(on):
                continue
            school = r.teachers[staff]
            yield VisitLoggedV1(
                **self._envelope(school, on),
                payload=VisitLogged(
                    visit_id=visit_id,
                    student_id=student_id,
                    class_id=class_id,
                    visiting_staff_ids=[staff],
                    visited_on=on,
                    mode="in_person" if len(visit_id) % 3 else "phone",
                ),
            )
            if visit_id in r.follow_ups:
                yield FollowUpsChangedV1(
                    **self._envelope(school, on),
                    payload=FollowUpsChanged(
                        visit_id=visit_id,
                        class_id=class_id,
                        follow_ups=[
                            FollowUpState(due_on=due, done=done) for due, done in r.follow_ups[visit_id]
                        ],
                        version=1,
                    ),
                )

    def _meeting_events(self, within: Callable[[date], bool]) -> Iterator[Event]:
        r = self.record
        for n, (school, class_id, on, invited, yes, came) in enumerate(r.class_meetings):
            if within(on):
                yield MeetingHeldV1(
                    **self._envelope(school, on),
                    payload=MeetingHeld(
                        meeting_id=f"mtg-{self.tag}-c{n:06d}",
                        kind="parent_meeting",
                        level="class",
                        class_ids=[class_id],
                        held_on=on,
                        invited_count=invited,
                        rsvp_yes_count=yes,
                        attended_count=came,
                    ),
                )
        for n, (school, kind, level, on, invited, yes, came) in enumerate(r.school_meetings):
            if within(on):
                yield MeetingHeldV1(
                    **self._envelope(school, on),
                    payload=MeetingHeld(
                        meeting_id=f"mtg-{self.tag}-s{n:06d}",
                        kind=kind,
                        level=level,
                        held_on=on,
                        invited_count=invited,
                        rsvp_yes_count=yes,
                        attended_count=came,
                    ),
                )
        for n, (school, agreement, on, kind, times) in enumerate(self.activities):
            if within(on):
                partner, partner_kind = self.partners[agreement]
                yield PartnerActivityV1(
                    **self._envelope(school, on),
                    payload=PartnerActivity(
                        activity_id=f"act-{self.tag}-{n:05d}",
                        partner_id=partner,
                        partner_kind=partner_kind,
                        agreement_id=agreement,
                        kind=kind,
                        held_on=on,
                        class_ids=r.classes[school][:2],
                        students_count=times * 4 // 5,
                        teachers_count=times // 10,
                        residents_count=times - times * 4 // 5 - times // 10,
                        participant_times=times,
                    ),
                )
        for exchange, pair, supported, kind, on, teachers, students in self.exchanges:
            if within(on):
                supporting = next(p[1] for p in self.pairs if p[0] == pair)
                yield PairingExchangeV1(
                    **self._envelope(supporting, on),
                    payload=PairingExchange(
                        exchange_id=exchange,
                        pair_id=pair,
                        supporting_school_id=supporting,
                        supported_school_ids=supported,
                        kind=kind,
                        held_on=on,
                        teachers_benefiting=teachers,
                        students_benefiting=students,
                    ),
                )

    def _contacts(self, month: date) -> Iterator[Event]:
        """The month's messages to guardians: none, one or two each, from the school the child is in
        that day (none before the child is enrolled)."""
        rng = self.rng
        for guardian, student_id in self.record.guardians.items():
            for _ in range(rng.choice((0, 1, 1, 2))):
                yield from self.delivery(
                    guardian, self._pupil(student_id), month + timedelta(days=rng.randrange(28))
                )

    def _pupil(self, student_id: str) -> Pupil:
        return self.record.students[int(student_id.rsplit("-", 1)[-1])]

    def delivery(self, guardian: str, pupil: Pupil, on: date) -> Iterator[NotificationDeliveredV1]:
        """A message delivered to the guardian on that day, kept in the record (none if the child is
        not enrolled that day)."""
        school = pupil.school_on(on)
        if school is None:
            return
        self.record.contacts.append((school, guardian, on))
        yield NotificationDeliveredV1(
            **self._envelope(school, on),
            payload=NotificationDelivered(
                message_id=f"msg-{self.tag}-{self.sequence:08d}",
                recipient_kind="guardian",
                recipient_id=guardian,
                student_ids=[pupil.student_id],
                channel="sms",
                purpose="announcement",
                delivered_at=at(on),
            ),
        )

    # after the year: a burst of messages and marker visits, for the benchmark's freshness -------------

    def burst(self, count: int, first: date, last: date) -> Iterator[NotificationDeliveredV1]:
        """``count`` more messages to guardians, each on a day between ``first`` and ``last``."""
        guardians = list(self.record.guardians.items())
        made = 0
        while made < count:
            guardian, student_id = guardians[self.rng.randrange(len(guardians))]
            for event in self.delivery(
                guardian, self._pupil(student_id), days_between(self.rng, first, last)
            ):
                made += 1
                self.record.counts[event.event_type] += 1
                yield event

    def marker_visit(self, school: str, on: date) -> tuple[VisitLoggedV1, str] | None:
        """A visit on ``on`` of a student the school has that day and nobody has visited this school
        year up to that day, by their class's head teacher, kept in the record; with the class."""
        visited = {v[1] for v in self.record.visits if YEAR_STARTS <= v[3] <= on}
        for pupil in self.record.students:
            placed = pupil.placed_on(on)
            if placed is None or placed[0] != school or pupil.student_id in visited:
                continue
            class_id, staff = placed[1], self.head_of[placed[1]]
            visit_id = f"vis-{self.tag}-m{len(self.record.visits):07d}"
            self.record.visits.append((visit_id, pupil.student_id, class_id, on, staff))
            self.record.counts["visit-logged"] += 1
            event = VisitLoggedV1(
                **self._envelope(school, on),
                payload=VisitLogged(
                    visit_id=visit_id,
                    student_id=pupil.student_id,
                    class_id=class_id,
                    visiting_staff_ids=[staff],
                    visited_on=on,
                    mode="in_person",
                ),
            )
            return event, class_id
        return None


def main() -> None:
    """Generate the year without publishing it: its events by type, the time and the peak memory."""
    import argparse
    import resource
    import time

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--county", action="store_true", help="200 schools, 100,000 students (else 10 schools)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.perf_counter()
    year = CountyYear("d-bench-dryrun", COUNTY if args.county else TEN_SCHOOLS, args.seed)
    planned = time.perf_counter() - start
    made = sum(1 for _ in year.events())
    took = time.perf_counter() - start
    r = year.record
    print(
        f"{len(r.schools)} schools, {sum(len(c) for c in r.classes.values()):,} classes, "
        f"{len(r.students):,} students, {len(r.guardians):,} guardians, {len(r.teachers):,} teachers"
    )
    for kind, n in r.counts.most_common():
        print(f"  {kind:<24} {n:>10,}  {n / made:6.1%}")
    print(f"  {'total':<24} {made:>10,}")
    print(
        f"planned in {planned:.1f} s, every event made in {took:.1f} s ({made / took:,.0f} events/s); "
        f"peak memory (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
