"""A generated district for reporting's tests and benchmark: registry events, a school year's
visits (the autumn term, the winter break and the spring term's first weeks), meetings, partner
activities, an exchange and deliveries, as the platform's events, with what was generated kept so
that the expected numbers can be computed independently, as they stood on any day.

Two moves: a student moved to another class of their school on 15 October, and a 三必访 student
of the second school, visited there on 国庆节, moved by the bureau to the third school on
2 November. Teachers are registered and visit unevenly: two per school share the visits, a third
visits nobody; in the first school a fourth visits the same student six times, in the second a
fourth visits five different students once each."""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

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

SHANGHAI = ZoneInfo("Asia/Shanghai")
TERM = "2026-2027-autumn"
TERM_START, TERM_END = date(2026, 9, 1), date(2027, 1, 20)
HOLIDAY = (date(2026, 10, 1), date(2026, 10, 7))
SPRING = "2026-2027-spring"
SPRING_START, SPRING_END = date(2027, 2, 22), date(2027, 7, 9)
VISITS_UNTIL = date(2027, 3, 31)  # the last day a generated visit or contact can fall on
CONTACT_DAYS = [date(2026, m, 10) for m in (9, 10, 11, 12)] + [
    date(2027, 1, 10),
    date(2027, 2, 25),
    date(2027, 3, 10),
]
MANDATORY = {"left_behind", "hardship", "special_attention"}
CLASS_MOVE_ON = date(2026, 10, 15)  # a student moved to another class of the same school
SCHOOL_MOVE_ON = date(2026, 11, 2)  # a student moved by the bureau to another school
SAME_STUDENT_DAYS = [date(2026, m, d) for m, d in ((9, 7), (9, 21), (10, 12), (10, 26), (11, 9), (11, 23))]
FIVE_STUDENTS_DAYS = [date(2026, m, d) for m, d in ((9, 14), (9, 28), (10, 19), (11, 16), (12, 7))]
NAMES = ["叶城县第九小学", "良舍小学", "澄铭窯小学"]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


@dataclass
class Student:
    student_id: str
    school: str
    class_id: str
    care: list[str]
    name: str
    moved_to: str | None = None  # another class of the school, from CLASS_MOVE_ON
    school_moved_to: tuple[str, str] | None = None  # (school, class), from SCHOOL_MOVE_ON

    def school_on(self, day: date) -> str:
        return self.school_moved_to[0] if self.school_moved_to and day >= SCHOOL_MOVE_ON else self.school

    def class_on(self, day: date) -> str:
        if self.school_moved_to and day >= SCHOOL_MOVE_ON:
            return self.school_moved_to[1]
        return self.moved_to if self.moved_to and day >= CLASS_MOVE_ON else self.class_id


@dataclass
class District:
    """What was published, kept to compute the expected numbers independently."""

    district_id: str
    today: date
    schools: list[str] = field(default_factory=list)
    classes: dict[str, list[str]] = field(default_factory=dict)  # school → classes
    grades: dict[str, int] = field(default_factory=dict)
    students: list[Student] = field(default_factory=list)
    guardians: dict[str, str] = field(default_factory=dict)  # guardian → student
    teachers: dict[str, str] = field(default_factory=dict)  # staff → school (head and subject teachers)
    visits: list[tuple[str, str, str, date, str]] = field(
        default_factory=list
    )  # id, student, class, on, staff
    class_meetings: list[tuple[str, str, date, int, int, int]] = field(default_factory=list)
    school_meetings: list[tuple[str, str, str, date, int, int, int]] = field(default_factory=list)
    activities: list[tuple[str, str, date, int]] = field(default_factory=list)  # school, agreement, on, times
    agreements: dict[str, str] = field(default_factory=dict)  # agreement → school
    contacts: list[tuple[str, str, date]] = field(default_factory=list)  # school, guardian, on
    exchanges: list[tuple[str, int, int]] = field(default_factory=list)
    follow_ups: dict[str, list[tuple[date, bool]]] = field(
        default_factory=dict
    )  # visit → (due, done), newest
    pair_id: str = ""
    events: list[Event] = field(default_factory=list)


def generate(
    district_id: str, today: date, seed: int = 2026, schools: int = 3, per_class: int = 8
) -> District:
    """A district whose events run from August 2026 to ``VISITS_UNTIL``; ``today`` is the day the
    tests look at it by default (reporting shows each day only what was dated up to it)."""
    rng = random.Random(seed)
    d = District(district_id, today)

    def emit(event: Event) -> None:
        d.events.append(event)

    def envelope(school_id: str, occurred: date) -> dict:
        return {
            "producer": "generator",
            "district_id": district_id,
            "school_id": school_id,
            "occurred_at": at(occurred),
        }

    emit(
        TermChangedV1(
            **envelope("district", date(2026, 8, 20)),
            payload=TermChanged(
                school_year="2026-2027",
                kind="autumn",
                starts_on=TERM_START,
                ends_on=TERM_END,
                holidays=[Holiday(name="国庆节", starts_on=HOLIDAY[0], ends_on=HOLIDAY[1])],
                version=1,
            ),
        )
    )
    emit(
        TermChangedV1(
            **envelope("district", date(2026, 8, 21)),
            payload=TermChanged(
                school_year="2026-2027",
                kind="spring",
                starts_on=SPRING_START,
                ends_on=SPRING_END,
                holidays=[],
                version=1,
            ),
        )
    )
    targets = DEFAULT_TARGETS | {"home_visit_coverage": 0.6}
    emit(
        PolicyChangedV1(
            **envelope("district", date(2026, 8, 25)),
            payload=PolicyChanged(school_year="2026-2027", version=2, targets=targets),
        )
    )
    for s in range(schools):
        name = NAMES[s] if s < len(NAMES) else f"基准测试学校{s}"
        school = f"sch-{district_id[-6:]}-{s}"
        d.schools.append(school)
        emit(
            SchoolChangedV1(
                **envelope(school, date(2026, 8, 1)),
                payload=SchoolChanged(
                    school_id=school, name=name, level="primary", setting="rural", status="active", version=1
                ),
            )
        )
        d.classes[school] = []
        for c, grade in enumerate((3, 4)):
            class_id = f"cls-{school[-8:]}-{c}"
            d.classes[school].append(class_id)
            d.grades[class_id] = grade
            emit(
                ClassChangedV1(
                    **envelope(school, date(2026, 8, 2)),
                    payload=ClassChanged(
                        class_id=class_id, grade=grade, status="active", enrolled_count=per_class
                    ),
                )
            )
            for n in range(per_class):
                care = rng.choice([[], [], ["left_behind"], ["hardship"], ["single_parent"]])
                student = Student(f"stu-{class_id[-10:]}-{n}", school, class_id, care, f"学生{s}{c}{n}")
                d.students.append(student)
                guardian = f"gdn-{student.student_id}"
                d.guardians[guardian] = student.student_id
    # one transfer between classes on 15 October
    moved = d.students[0]
    moved.moved_to = d.classes[moved.school][1]
    # one 三必访 student of the second school moved by the bureau to the third school's first class
    across = (
        [s for s in d.students if s.class_id == d.classes[d.schools[1]][0]][1]
        if schools >= 3 and per_class >= 2
        else None
    )
    if across is not None:
        across.care = ["left_behind"]
        across.school_moved_to = (d.schools[2], d.classes[d.schools[2]][0])
    for school in d.schools:
        first, second = d.classes[school]
        for n, roles, class_ids in (
            (0, ["head_teacher"], [first]),
            (1, ["head_teacher"], [second]),
            (2, ["subject_teacher"], [first, second]),  # visits nobody
            (3, ["subject_teacher"], [first]),  # the first two schools: see the docstring
        ):
            if n == 3 and school not in d.schools[:2]:
                continue
            staff_id = f"stf-{school[-8:]}-{n}"
            d.teachers[staff_id] = school
            emit(
                StaffChangedV1(
                    **envelope(school, date(2026, 8, 28)),
                    payload=StaffChanged(
                        staff_id=staff_id,
                        roles=roles,
                        class_ids=class_ids,
                        contacts=StaffContacts(phone="13900000000"),
                        version=1,
                    ),
                )
            )
    # the last student of the last class is registered late: its visit arrives first
    late = d.students[-1]
    for student in d.students:
        if student is late:
            continue
        emit(
            StudentChangedV1(
                **envelope(student.school, date(2026, 9, 1)),
                payload=StudentChanged(
                    student_id=student.student_id,
                    class_id=student.class_id,
                    status="enrolled",
                    care_categories=student.care,
                    name=student.name,
                    version=1,
                ),
            )
        )
    emit(
        StudentChangedV1(
            **envelope(moved.school, CLASS_MOVE_ON),
            payload=StudentChanged(
                student_id=moved.student_id,
                class_id=moved.moved_to or "",
                status="enrolled",
                care_categories=moved.care,
                name=moved.name,
                version=2,
            ),
        )
    )
    if across is not None and across.school_moved_to is not None:
        new_school, new_class = across.school_moved_to
        emit(
            StudentChangedV1(
                **envelope(new_school, SCHOOL_MOVE_ON),
                payload=StudentChanged(
                    student_id=across.student_id,
                    class_id=new_class,
                    status="enrolled",
                    care_categories=across.care,
                    name=across.name,
                    version=2,
                ),
            )
        )
    for guardian, student_id in d.guardians.items():
        student = next(s for s in d.students if s.student_id == student_id)
        emit(
            GuardianChangedV1(
                **envelope(student.school, date(2026, 9, 1)),
                payload=GuardianChanged(
                    guardian_id=guardian,
                    student_ids=[student_id],
                    contacts=GuardianContacts(phone="13900000000"),
                    preferred_channel="sms",
                    language="zh-CN",
                    consent_non_essential=True,
                    version=1,
                ),
            )
        )

    def visit_of(student: Student, on: date, staff: str | None = None) -> None:
        school, class_id = student.school_on(on), student.class_on(on)
        staff = staff or f"stf-{school[-8:]}-{rng.randrange(2)}"
        visit_id = f"vis-{uuid.uuid4().hex[:10]}"
        d.visits.append((visit_id, student.student_id, class_id, on, staff))
        emit(
            VisitLoggedV1(
                **envelope(school, on),
                payload=VisitLogged(
                    visit_id=visit_id,
                    student_id=student.student_id,
                    class_id=class_id,
                    visiting_staff_ids=[staff],
                    visited_on=on,
                    mode="in_person",
                ),
            )
        )

    # visits over the autumn term, the winter break and the spring term's first weeks, by two
    # teachers per school
    spans = [
        (TERM_START, TERM_END, [0, 0, 1, 1, 2]),
        (TERM_END + timedelta(days=1), SPRING_START - timedelta(days=1), [0, 0, 0, 1]),
        (SPRING_START, VISITS_UNTIL, [0, 0, 1]),
    ]
    for student in d.students:
        for first, last, counts in spans:
            for on in sorted(
                first + timedelta(days=rng.randrange((last - first).days + 1))
                for _ in range(rng.choice(counts))
            ):
                if student is across:  # visited once, below; drawn all the same to keep the others'
                    rng.randrange(2)
                    continue
                visit_of(student, on)
    # follow-ups of the first school's first two visits: one later marked done
    first_school_visits = [v for v in d.visits if v[1].startswith(f"stu-{d.classes[d.schools[0]][0][-10:]}")][
        :2
    ]
    for n, (visit_id, _, class_id, on, _) in enumerate(first_school_visits):
        items = (
            [(on + timedelta(days=10), False), (date(2026, 12, 20), False)]
            if n == 0
            else [(date(2026, 11, 1), False)]
        )
        versions = [items] + ([[(items[0][0], True), items[1]]] if n == 0 else [])
        for version, state in enumerate(versions, start=1):
            d.follow_ups[visit_id] = state
            emit(
                FollowUpsChangedV1(
                    **envelope(d.schools[0], on),
                    payload=FollowUpsChanged(
                        visit_id=visit_id,
                        class_id=class_id,
                        follow_ups=[FollowUpState(due_on=due, done=done) for due, done in state],
                        version=version,
                    ),
                )
            )
    # the student the bureau moves: visited by their first school on 国庆节, before the move
    if across is not None:
        visit_of(across, HOLIDAY[0] + timedelta(days=2), staff=f"stf-{across.school[-8:]}-0")
    # uneven teachers: the same student six times in the first school, five students in the second
    for on in SAME_STUDENT_DAYS:
        visit_of(d.students[2], on, staff=f"stf-{d.schools[0][-8:]}-3")
    if schools >= 2:
        of_second = [s for s in d.students if s.school == d.schools[1] and s is not across]
        for student, on in zip(of_second[-5:], FIVE_STUDENTS_DAYS, strict=False):
            visit_of(student, on, staff=f"stf-{d.schools[1][-8:]}-3")
    # the late student's registration follows its visit
    first_visit = (
        f"vis-{uuid.uuid4().hex[:10]}",
        late.student_id,
        late.class_id,
        date(2026, 9, 20),
        f"stf-{late.school[-8:]}-0",
    )
    d.visits.append(first_visit)
    emit(
        VisitLoggedV1(
            **envelope(late.school, first_visit[3]),
            payload=VisitLogged(
                visit_id=first_visit[0],
                student_id=late.student_id,
                class_id=late.class_id,
                visiting_staff_ids=[first_visit[4]],
                visited_on=first_visit[3],
                mode="phone",
            ),
        )
    )
    emit(
        StudentChangedV1(
            **envelope(late.school, date(2026, 9, 1)),
            payload=StudentChanged(
                student_id=late.student_id,
                class_id=late.class_id,
                status="enrolled",
                care_categories=late.care,
                name=late.name,
                version=1,
            ),
        )
    )
    # meetings: a class parent meeting in most classes, the first school also others
    for school in d.schools:
        for class_id in d.classes[school][: 2 if school != d.schools[2] else 1]:
            on = date(2026, 9, 15) + timedelta(days=rng.randrange(30))
            invited, yes, came = 8, rng.randrange(4, 9), rng.randrange(3, 8)
            meeting_id = f"mtg-{uuid.uuid4().hex[:8]}"
            d.class_meetings.append((school, class_id, on, invited, yes, came))
            emit(
                MeetingHeldV1(
                    **envelope(school, on),
                    payload=MeetingHeld(
                        meeting_id=meeting_id,
                        kind="parent_meeting",
                        level="class",
                        class_ids=[class_id],
                        held_on=on,
                        invited_count=invited,
                        rsvp_yes_count=yes,
                        attended_count=came,
                    ),
                )
            )
    first = d.schools[0]
    for kind, level, on in (
        ("parent_meeting", "school", date(2026, 9, 5)),
        ("open_day", "school", date(2026, 10, 20)),
        ("reception_day", "school", date(2026, 9, 4)),
        ("reception_day", "school", date(2026, 10, 9)),
    ):
        d.school_meetings.append((first, kind, level, on, 48, 30, 25))
        emit(
            MeetingHeldV1(
                **envelope(first, on),
                payload=MeetingHeld(
                    meeting_id=f"mtg-{uuid.uuid4().hex[:8]}",
                    kind=kind,
                    level=level,
                    held_on=on,
                    invited_count=48,
                    rsvp_yes_count=30,
                    attended_count=25,
                ),
            )
        )
    # a co-building agreement of the second school with two activities
    second = d.schools[1]
    agreement = f"agr-{uuid.uuid4().hex[:8]}"
    d.agreements[agreement] = second
    emit(
        AgreementChangedV1(
            **envelope(second, date(2026, 9, 1)),
            payload=AgreementChanged(
                agreement_id=agreement,
                partner_id="ptn-police",
                partner_kind="police_station",
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 7, 1),
                signed_on=date(2026, 9, 1),
                status="active",
                commitments_count=2,
                reviewed=False,
                version=1,
            ),
        )
    )
    for on, times in ((date(2026, 10, 12), 80), (date(2026, 11, 3), 45)):
        d.activities.append((second, agreement, on, times))
        emit(
            PartnerActivityV1(
                **envelope(second, on),
                payload=PartnerActivity(
                    activity_id=f"act-{uuid.uuid4().hex[:8]}",
                    partner_id="ptn-police",
                    partner_kind="police_station",
                    agreement_id=agreement,
                    kind="legal_education",
                    held_on=on,
                    class_ids=d.classes[second],
                    students_count=times - 5,
                    teachers_count=5,
                    residents_count=0,
                    participant_times=times,
                ),
            )
        )
    # the first school supports the third; one exchange
    d.pair_id = f"pair-{uuid.uuid4().hex[:8]}"
    emit(
        PairChangedV1(
            **envelope(first, date(2026, 9, 1)),
            payload=PairChanged(
                pair_id=d.pair_id,
                supporting_school_id=first,
                supported_school_ids=[d.schools[2]],
                starts_on=date(2026, 9, 1),
                ends_on=None,
                version=1,
            ),
        )
    )
    d.exchanges.append(("demonstration_lesson", 6, 40))
    emit(
        PairingExchangeV1(
            **envelope(first, date(2026, 10, 22)),
            payload=PairingExchange(
                exchange_id=f"exc-{uuid.uuid4().hex[:8]}",
                pair_id=d.pair_id,
                supporting_school_id=first,
                supported_school_ids=[d.schools[2]],
                kind="demonstration_lesson",
                held_on=date(2026, 10, 22),
                teachers_benefiting=6,
                students_benefiting=40,
            ),
        )
    )
    # notifications reached some guardians in most months
    for guardian, student_id in d.guardians.items():
        student = next(s for s in d.students if s.student_id == student_id)
        for month_day in CONTACT_DAYS:
            if rng.random() < 0.6:  # from the school the child is in that day
                d.contacts.append((student.school_on(month_day), guardian, month_day))
                emit(
                    NotificationDeliveredV1(
                        **envelope(student.school_on(month_day), month_day),
                        payload=NotificationDelivered(
                            message_id=f"msg-{uuid.uuid4().hex[:10]}",
                            recipient_kind="guardian",
                            recipient_id=guardian,
                            student_ids=[student_id],
                            channel="sms",
                            purpose="announcement",
                            delivered_at=at(month_day),
                        ),
                    )
                )
    return d
