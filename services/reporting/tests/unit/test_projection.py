"""The read model's parts without I/O: facts by district, where a record is, keeping rows warm."""

import asyncio
import json
import time
from datetime import date
from zoneinfo import ZoneInfo

from district_generator import generate
from reporting import facts, views
from reporting import projection as projection_module
from reporting.periods import TermName
from reporting.projection import Projection, Warmer

AUTUMN = TermName("2026-2027", "autumn")
TODAY = date(2026, 11, 20)


def projection_of(*districts: str) -> Projection:
    projection = Projection()
    for district_id in districts:
        events = generate(district_id, TODAY, schools=3, per_class=4).events
        found = [facts.fact_of(json.loads(e.to_json()), ZoneInfo("Asia/Shanghai")) for e in events]
        projection.apply([f for f in found if f is not None])
    return projection


def late_visit(school: str, visit_id: str) -> dict:
    """A visit fact of the school, of a student the registry has not announced."""
    return {
        "_id": visit_id,
        "district_id": "d-1",
        "school_id": school,
        "event_id": f"evt-{visit_id}",
        "recorded": "2026-11-19",
        "student_id": "stu-nobody",
        "class_id": "cls-nobody",
        "staff_ids": ["stf-x"],
        "on": "2026-11-19",
        "mode": "home",
        "two_staff": False,
    }


def test_each_district_has_its_own_snapshot_and_a_record_is_found_where_it_is():
    projection = projection_of("d-1", "d-2")
    assert sorted(projection.snapshots) == ["d-1", "d-2"]
    school = sorted(projection.snapshot("d-2").schools())[0]
    # the caller's district first; a record of another district is found there (refused as such)
    assert projection.whereabouts("school", school, "d-2") == ("d-2", school)
    assert projection.whereabouts("school", "sch-nowhere", "d-1") is None


def test_the_warmer_computes_every_schools_row_of_an_overview_being_read():
    projection = projection_of("d-1")
    snapshot = projection.snapshot("d-1")
    expected = views.overview(snapshot, AUTUMN, TODAY)
    projection.keep_warm("d-1", AUTUMN, TODAY)
    school = sorted(snapshot.schools())[0]
    projection.apply([(facts.VISITS, late_visit(school, "vis-late"))])
    term = snapshot.term(AUTUMN)
    row = ("school_measures", term, TODAY)
    assert not snapshot.is_kept(school, row)  # the visit made the school's row stale
    others = [s for s in snapshot.schools() if s != school]
    assert all(snapshot.is_kept(s, row) for s in others)  # and no other school's
    asyncio.run(Warmer(projection).warm(snapshot, AUTUMN, TODAY))
    assert all(snapshot.is_kept(s, row) for s in snapshot.schools())
    after = views.overview(snapshot, AUTUMN, TODAY)
    assert after["visits"] == expected["visits"] + 1


def test_the_warmer_computes_nothing_while_facts_keep_arriving_and_catches_up_once_they_stop():
    """During a burst the follower's facts come first: each batch puts the quiet moment off again,
    and the warmer waits for it rather than computing a school between two batches."""
    projection = projection_of("d-1")
    snapshot = projection.snapshot("d-1")
    term = snapshot.term(AUTUMN)
    row = ("school_measures", term, TODAY)
    for school in snapshot.schools():
        snapshot.add(facts.VISITS, late_visit(school, f"vis-burst-{school}"))
    assert not any(snapshot.is_kept(s, row) for s in snapshot.schools())

    async def burst() -> None:
        warming = asyncio.create_task(Warmer(projection).warm(snapshot, AUTUMN, TODAY))
        for _ in range(6):  # a batch of facts every 50 ms, for 300 ms
            projection.busy_until = time.monotonic() + 0.3
            await asyncio.sleep(0.05)
            assert not any(snapshot.is_kept(s, row) for s in snapshot.schools())
        await asyncio.wait_for(warming, 5)

    asyncio.run(burst())
    assert all(snapshot.is_kept(s, row) for s in snapshot.schools())


def test_facts_arriving_without_end_put_the_warmer_off_only_so_long(monkeypatch):
    monkeypatch.setattr(projection_module, "WARMING_PUT_OFF_AT_MOST", 0.2)
    projection = projection_of("d-1")
    snapshot = projection.snapshot("d-1")
    row = ("school_measures", snapshot.term(AUTUMN), TODAY)
    school = sorted(snapshot.schools())[0]
    snapshot.add(facts.VISITS, late_visit(school, "vis-steady"))

    async def steady_trickle() -> None:
        warming = asyncio.create_task(Warmer(projection).warm(snapshot, AUTUMN, TODAY))
        while not warming.done():  # a fact every 50 ms, for as long as it takes
            projection.busy_until = time.monotonic() + 1.0
            await asyncio.sleep(0.05)
        await warming

    asyncio.run(asyncio.wait_for(steady_trickle(), 10))
    assert snapshot.is_kept(school, row)


def test_a_contact_forgets_only_the_figures_that_read_contacts_of_its_school():
    projection = projection_of("d-1")
    snapshot = projection.snapshot("d-1")
    views.overview(snapshot, AUTUMN, TODAY)
    school = sorted(snapshot.schools())[0]
    term = snapshot.term(AUTUMN)
    measures_row, classes = ("school_measures", term, TODAY), ("class_figures", term, TODAY)
    assert snapshot.is_kept(school, measures_row)
    assert snapshot.is_kept(school, classes)
    contact = {
        "_id": "msg-new:sms",
        "district_id": "d-1",
        "school_id": school,
        "event_id": "evt-msg-new",
        "recorded": "2026-11-19",
        "recipient_kind": "guardian",
        "recipient_id": "gdn-anyone",
        "on": "2026-11-19",
    }
    projection.apply([(facts.CONTACTS, contact)])
    assert not snapshot.is_kept(school, measures_row)  # the guardian-contact measure is among them
    assert snapshot.is_kept(school, classes)  # visits and meetings are as they were
