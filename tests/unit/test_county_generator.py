"""The county generator at a small scale: the same events for a seed, a year of them in the
proportions the benchmark relies on (most of them messages to guardians), every date inside the
school year, and no personal data beyond what the platform's events carry."""

import functools
import json
import re
from collections import Counter
from datetime import date, timedelta

from contracts.envelope import Event
from county_generator import MONTHS, PLACEHOLDER_PHONE, YEAR_ENDS, CountyYear, Scale
from district_generator import TERM_START
from reporting_expected import AUTUMN, class_of, expected_class, expected_school, school_of

SMALL = Scale(schools=6, classes_per_school=3, students_per_school=60)
TINY = Scale(schools=2, classes_per_school=2, students_per_school=20)


@functools.cache  # one year per seed and district for the module: the tests only read it
def year(district_id: str = "d-unit-000001", seed: int = 7) -> tuple[CountyYear, list[Event]]:
    generated = CountyYear(district_id, SMALL, seed)
    return generated, list(generated.events())


def test_the_same_seed_gives_the_same_events_and_another_district_other_event_ids() -> None:
    _, first = year()
    again = list(CountyYear("d-unit-000001", SMALL, 7).events())  # made again, not the cached year
    assert [e.to_json() for e in first] == [e.to_json() for e in again]
    assert len({e.event_id for e in first}) == len(first)
    tiny = list(CountyYear("d-unit-000001", TINY, 7).events())
    other_seed = list(CountyYear("d-unit-000001", TINY, 8).events())
    assert [e.to_json() for e in other_seed] != [e.to_json() for e in tiny]
    elsewhere = list(CountyYear("d-unit-000002", TINY, 7).events())
    assert not {e.event_id for e in tiny} & {e.event_id for e in elsewhere}  # reporting deduplicates by id


def test_a_year_of_events_in_the_proportions_of_a_county() -> None:
    generated, events = year()
    record = generated.record
    counts = Counter(e.event_type for e in events)
    assert counts == record.counts
    students, guardians = len(record.students), len(record.guardians)
    assert students >= SMALL.schools * SMALL.students_per_school  # and those who arrive during the year
    assert 1.3 < guardians / students < 1.7
    # a message to each guardian about once a month: most of the year's events
    assert counts["notification-delivered"] == len(record.contacts)
    assert 0.8 < counts["notification-delivered"] / (guardians * len(MONTHS)) < 1.2
    assert 0.65 < counts["notification-delivered"] / len(events) < 0.85
    # visits: about two a student over the year; registrations, transfers and new students
    assert counts["visit-logged"] == len(record.visits)
    assert 1.4 < counts["visit-logged"] / students < 2.6
    moved = [s for s in record.students if len(s.placements) > 1]
    arrived = [s for s in record.students if s.placements[0][0] > TERM_START]
    assert moved
    assert arrived
    assert counts["student-changed"] == students + len(moved)
    assert counts["guardian-changed"] == guardians
    assert counts["meeting-held"] == len(record.class_meetings) + len(record.school_meetings)
    assert counts["partner-activity"] == len(record.activities) > 0
    assert counts["pairing-exchange"] == len(record.exchanges) > 0
    assert counts["follow-ups-changed"] == len(record.follow_ups) > 0
    assert counts["school-changed"] == SMALL.schools
    assert counts["class-changed"] == SMALL.schools * SMALL.classes_per_school


def test_every_date_is_inside_the_school_year_and_no_student_is_anywhere_before_they_arrive() -> None:
    generated, events = year()
    record = generated.record
    for event in events:
        assert date(2026, 8, 1) <= event.occurred_at.date() <= YEAR_ENDS, event
    for _, student_id, class_id, on, _ in record.visits:
        pupil = record.students[int(student_id.rsplit("-", 1)[-1])]
        assert TERM_START <= on <= YEAR_ENDS
        assert class_of(pupil, on) == class_id  # visited in the class they were in that day
    for school, guardian, on in record.contacts:
        pupil = record.students[int(record.guardians[guardian].rsplit("-", 1)[-1])]
        assert school_of(pupil, on) == school  # from the school the child was in that day
    for pupil in record.students:
        assert school_of(pupil, pupil.placements[0][0] - timedelta(days=1)) is None


def test_no_personal_data_beyond_what_the_platforms_events_carry() -> None:
    _, events = year()
    text = "\n".join(e.to_json().decode() for e in events)
    phones = set(re.findall(r'"phone":"([^"]*)"', text))
    assert phones == {PLACEHOLDER_PHONE}
    assert '"email":"' not in text.replace('"email":null', "")
    names = {json.loads(e.to_json())["payload"]["name"] for e in events if e.event_type == "student-changed"}
    assert all(re.fullmatch(r"学生\d{6}", n) for n in names)


def test_the_expected_figures_are_computed_from_the_record_alone() -> None:
    generated, _ = year()
    record, today = generated.record, date(2026, 11, 20)
    school = record.schools[0]
    figures = expected_school(record, school, today, AUTUMN)
    rows = [expected_class(record, c, today, AUTUMN) for c in record.classes[school]]
    assert figures["enrolled"] == sum(r["enrolled"] for r in rows)
    assert figures["visited"] == sum(r["visited"] for r in rows)
    assert 0 < figures["coverage"] <= 1
    assert 0 < figures["contact_share"] <= 1
