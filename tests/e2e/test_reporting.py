"""Reporting on the real parts: a generated district (schools, classes, students, a term of visits,
meetings, partner activities, exchanges, deliveries) published to the platform's topics, then every
measure checked against numbers computed here, independently; bulletins in each format with a
dispute and a new revision; role views; the rebuild giving the same numbers."""

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from bearer import bearer as token_of
from contracts.envelope import Event
from contracts.events.visits import VisitLogged, VisitLoggedV1
from contracts.policy import DEFAULT_TARGETS
from contracts.topics import VISITS_V1, dead_letter_topic
from district_generator import (
    MANDATORY,
    NAMES,
    SCHOOL_MOVE_ON,
    TERM,
    TERM_END,
    TERM_START,
    District,
    generate,
)
from openpyxl import load_workbook
from reporting.store import ActiveStore
from reporting_expected import AUTUMN, SPRING, class_of, elapsed, expected_school, expected_score, status
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra


# Fixtures ----------------------------------------------------------------------------------------


def bearer(
    district_id: str,
    role: Role,
    school_id: str | None = None,
    classes: list[str] | None = None,
    subject: str = "u-1",
) -> dict:
    """The shared helper (tests/bearer.py) in the argument order these tests use."""
    return token_of(role, district_id, subject, school_id, classes)


async def publish_all(infrastructure, events: list[Event]) -> None:
    producer = AIOKafkaProducer(**infrastructure.kafka_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def district(platform, infrastructure) -> District:
    d = generate(f"d-gen-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY)
    await publish_all(infrastructure, d.events)
    facts = platform.reporting_app.state.store.facts

    async def all_stored() -> bool:
        where = {"district_id": d.district_id}
        return (
            await facts.db["visit_facts"].count_documents(where) == len(d.visits)
            and await facts.db["contact_facts"].count_documents(where) == len(d.contacts)
            and await facts.db["follow_up_facts"].count_documents(where)
            == sum(1 for e in d.events if e.event_type == "follow-ups-changed")
            and await facts.db["meeting_facts"].count_documents(where)
            == len(d.class_meetings) + len(d.school_meetings)
            and await facts.db["registry_versions"].count_documents(where)
            == sum(1 for e in d.events if e.topic.endswith("registry.v1"))
        )

    deadline = asyncio.get_running_loop().time() + 60
    while not await all_stored():
        assert asyncio.get_running_loop().time() < deadline, "reporting did not store the generated district"
        await asyncio.sleep(0.3)
    return d


# Tests -------------------------------------------------------------------------------------------


@contextmanager
def school_clock_at(platform, day: date) -> Iterator[None]:
    """Reporting's school clock set to ``day`` for the views asked inside (the setting the demo
    and tests use; production refuses it)."""
    settings = platform.reporting_app.state.settings
    pinned = settings.school_date
    settings.school_date = day
    try:
        yield
    finally:
        settings.school_date = pinned


# The days the reporting scenario is read at: the days a calendar makes hard.
SCENARIO = [
    pytest.param(SCHOOL_TODAY, AUTUMN, id="a-day-of-the-autumn-term"),
    pytest.param(date(2026, 12, 1), AUTUMN, id="the-first-day-of-a-month"),
    pytest.param(date(2026, 10, 3), AUTUMN, id="a-day-inside-a-holiday"),
    pytest.param(TERM_END, AUTUMN, id="the-last-day-of-the-term"),
    pytest.param(date(2027, 2, 5), AUTUMN, id="the-break-after-the-term"),
    pytest.param(date(2027, 3, 15), AUTUMN, id="the-autumn-term-read-in-spring"),
    pytest.param(date(2027, 3, 15), SPRING, id="a-day-of-the-spring-term"),
]


@pytest.mark.parametrize(("today", "term"), SCENARIO)
async def test_every_measure_of_every_school_matches_the_numbers_computed_independently(
    platform, district, today, term
):
    reporting = platform.reporting
    bureau = bearer(district.district_id, Role.bureau)
    for school in district.schools:
        with school_clock_at(platform, today):
            answer = await reporting.get(
                f"/v1/schools/{school}/report", params={"term": term.name}, headers=bureau
            )
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["as_of"] == min(today, term.ends_on).isoformat()
        expected = expected_school(district, school, today, term)
        by_key = {m["key"]: m for m in report["measures"]}
        coverage = by_key["home_visit_coverage"]
        assert (coverage["numerator"], coverage["denominator"]) == (expected["visited"], expected["enrolled"])
        assert coverage["target"] == 0.6  # the bureau's revision of the policy, not the default
        mandatory = by_key["mandatory_visit_coverage"]
        assert (mandatory["numerator"], mandatory["denominator"]) == (
            expected["mandatory_visited"],
            expected["mandatory"],
        )
        assert by_key["class_parent_meetings_per_term"]["actual"] == expected["class_meetings_min"]
        assert by_key["school_parent_meetings_per_term"]["actual"] == expected["school_meetings"]
        assert by_key["open_days_per_term"]["actual"] == expected["open_days"]
        assert by_key["committee_meetings_per_term"]["actual"] == 0
        assert by_key["reception_days_per_month"]["actual"] == expected["reception_days_min"]
        holiday = by_key["holiday_visit_coverage"]
        assert (holiday["numerator"], holiday["denominator"]) == (
            expected["holiday_visited"],
            expected["enrolled"],
        )
        assert by_key["guardian_contacts_per_month"]["actual"] == expected["contact_share"]
        # 每学期至少家访5人: the share of teachers who visited five distinct students, paced by the term
        quota = by_key["teachers_reaching_visit_quota_per_term"]
        reaching, teachers = expected["teachers_reaching_quota"], len(expected["teachers"])
        assert (quota["numerator"], quota["denominator"], quota["target"]) == (reaching, teachers, 1.0)
        assert quota["actual"] == round(reaching / teachers, 4)
        assert quota["status"] == status(reaching / teachers, 1.0, elapsed(term, today))
        assert quota["label"] == "家访满5名学生的教师比例 (本学期)"
        assert "visits_per_teacher_per_term" not in by_key
        assert report["teacher_visits"] == expected["teacher_visits"]
        assert {t["staff_id"]: t["students_visited"] for t in report["teachers"] if t["teaches"]} == expected[
            "teachers"
        ]
        assert report["activity"]["rsvp_rate"] == expected["rsvp_rate"]
        assert sum(report["activity"]["partner_activities_by_kind"].values()) == expected["activities"]
        assert sum(report["activity"]["participant_times_by_kind"].values()) == expected["participant_times"]
        assert report["score"] == expected_score(district, school, expected)
        assert all(m["status"] in ("met", "on_track", "at_risk", "missed") for m in report["measures"])
        assert all(c["unvisited_mandatory"] is None for c in report["classes"])  # the bureau gets counts only
        for klass in report["classes"]:
            visits_of_class = {v[0] for v in district.visits if v[2] == klass["class_id"]}
            items = [
                i for visit, state in district.follow_ups.items() if visit in visits_of_class for i in state
            ]
            assert klass["open_follow_ups"] == sum(1 for _, done in items if not done)
            assert klass["overdue_follow_ups"] == sum(1 for due, done in items if not done and due < today)
    first = district.schools[0]
    with school_clock_at(platform, today):
        comparison = await reporting.get(
            f"/v1/pairs/{district.pair_id}/comparison", params={"term": term.name}, headers=bureau
        )
    exchanged = term is AUTUMN and today >= date(2026, 10, 22)  # the one exchange, on 22 October
    assert comparison.json()["exchanges"] == int(exchanged)
    assert comparison.json()["students_benefiting"] == 40 * exchanged
    assert [s["school_id"] for s in comparison.json()["schools"]] == [first, district.schools[2]]


async def test_the_overview_ranks_schools_by_the_weighted_score_and_names_no_person(platform, district):
    bureau = bearer(district.district_id, Role.bureau)
    answer = await platform.reporting.get("/v1/overview", params={"term": TERM}, headers=bureau)
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    expected = {s: expected_school(district, s, district.today) for s in district.schools}
    assert overview["students_enrolled"] == sum(e["enrolled"] for e in expected.values())
    # the distinct students enrolled that day who were visited this school year, wherever
    day = min(district.today, TERM_END)
    enrolled = {s.student_id for s in district.students}  # nobody has left the district
    visited = {v[1] for v in district.visits if TERM_START <= v[3] <= day}
    assert overview["students_visited"] == len(visited & enrolled)
    assert overview["students_visited"] == sum(e["visited"] for e in expected.values())
    scores = {s: expected_score(district, s, e) for s, e in expected.items()}
    assert [row["school_id"] for row in overview["ranking"]] == sorted(
        scores, key=lambda s: (-scores[s], NAMES[district.schools.index(s)], s)
    )
    ranking = await platform.reporting.get("/v1/rankings", params={"term": TERM}, headers=bureau)
    assert (
        ranking.json()["weights"]["weight_home_visit_coverage"]
        == DEFAULT_TARGETS["weight_home_visit_coverage"]
    )
    text = json.dumps([overview, ranking.json()], ensure_ascii=False)
    assert not any(s.name in text for s in district.students)


async def test_a_teacher_sees_the_unvisited_mandatory_students_of_their_classes_by_name(platform, district):
    school = district.schools[0]
    class_id = district.classes[school][1]
    head_teacher = f"stf-{school[-8:]}-1"  # the generator's head teacher of the second class
    teacher = bearer(district.district_id, Role.teacher, school, [class_id], subject=head_teacher)
    answer = await platform.reporting.get("/v1/teachers/me/report", params={"term": TERM}, headers=teacher)
    assert answer.status_code == 200, answer.text
    [mine] = answer.json()["classes"]
    day = min(district.today, TERM_END)
    in_class = [s for s in district.students if class_of(s, day) == class_id]
    visited = {v[1] for v in district.visits if TERM_START <= v[3] <= day}
    unvisited = sorted(
        s.student_id for s in in_class if MANDATORY & set(s.care) and s.student_id not in visited
    )
    assert [u["student_id"] for u in mine["unvisited_mandatory"]] == unvisited
    names = {s.student_id: s.name for s in district.students}
    assert all(u["name"] == names[u["student_id"]] for u in mine["unvisited_mandatory"])
    admin = await platform.reporting.get(
        f"/v1/schools/{school}/report",
        params={"term": TERM},
        headers=bearer(district.district_id, Role.school_admin, school),
    )
    admin_class = next(c for c in admin.json()["classes"] if c["class_id"] == class_id)
    assert admin_class["unvisited_mandatory"] == unvisited
    assert not any(s.name in admin.text for s in district.students)


async def test_a_transfer_and_a_late_registration_land_where_they_belong(platform, district):
    moved = district.students[0]
    late = district.students[-1]
    bureau = bearer(district.district_id, Role.bureau)
    report = (
        await platform.reporting.get(
            f"/v1/schools/{moved.school}/report", params={"term": TERM}, headers=bureau
        )
    ).json()
    classes = {c["class_id"]: c for c in report["classes"]}
    assert classes[moved.class_id]["enrolled"] == 7  # left on 15 October
    assert classes[moved.moved_to]["enrolled"] == 9
    late_report = (
        await platform.reporting.get(
            f"/v1/schools/{late.school}/report", params={"term": TERM}, headers=bureau
        )
    ).json()
    late_class = next(c for c in late_report["classes"] if c["class_id"] == late.class_id)
    expected_visited = len(
        {v[1] for v in district.visits if v[2] == late.class_id and TERM_START <= v[3] <= district.today}
    )
    assert late_class["visited"] == expected_visited  # its visit came before the registry: counted now


async def test_a_visit_follows_the_child_the_bureau_moved_to_another_school(platform, district):
    [moved] = [s for s in district.students if s.school_moved_to]
    new_school, new_class = moved.school_moved_to or ("", "")
    [made] = [v for v in district.visits if v[1] == moved.student_id]  # on 国庆节, by the first school
    bureau = bearer(district.district_id, Role.bureau)

    async def class_row(school: str, class_id: str, today: date) -> dict:
        with school_clock_at(platform, today):
            answer = await platform.reporting.get(
                f"/v1/schools/{school}/report", params={"term": TERM}, headers=bureau
            )
        return next(c for c in answer.json()["classes"] if c["class_id"] == class_id)

    def visited_in(class_id: str, today: date) -> int:
        students = {s.student_id for s in district.students if class_of(s, today) == class_id}
        return len(students & {v[1] for v in district.visits if TERM_START <= v[3] <= today})

    def made_in(class_id: str, today: date) -> int:
        return sum(1 for v in district.visits if v[2] == class_id and TERM_START <= v[3] <= today)

    before, after = SCHOOL_MOVE_ON - timedelta(days=1), SCHOOL_MOVE_ON
    old = await class_row(moved.school, moved.class_id, before)
    assert (old["enrolled"], old["visited"]) == (8, visited_in(moved.class_id, before))
    new = await class_row(new_school, new_class, before)
    assert new["enrolled"] == 8
    # from the day of the move the child and their visit count in the new school, not the old
    old = await class_row(moved.school, moved.class_id, after)
    assert (old["enrolled"], old["visited"]) == (7, visited_in(moved.class_id, after))
    assert old["visits"] == made_in(moved.class_id, after)  # the visit it made stays its own
    new = await class_row(new_school, new_class, after)
    assert (new["enrolled"], new["visited"]) == (9, visited_in(new_class, after))
    assert new["visits"] == made_in(new_class, after)
    assert moved.student_id not in {v[1] for v in district.visits if v[2] == new_class}
    assert made[4] in {t for t, school in district.teachers.items() if school == moved.school}


async def test_bad_requests_answer_clearly(platform, district):
    reporting = platform.reporting
    bureau = bearer(district.district_id, Role.bureau)
    first, second = district.schools[:2]
    unknown = await reporting.get("/v1/schools/sch-nope/report", params={"term": TERM}, headers=bureau)
    assert unknown.status_code == 404
    other = await reporting.get(
        f"/v1/schools/{second}/report",
        params={"term": TERM},
        headers=bearer(district.district_id, Role.school_admin, first),
    )
    assert other.status_code == 404
    unknown_class = await reporting.get("/v1/classes/cls-nope/report", params={"term": TERM}, headers=bureau)
    assert unknown_class.status_code == 404
    their_class = district.classes[second][0]
    not_mine = await reporting.get(
        f"/v1/classes/{their_class}/report",
        params={"term": TERM},
        headers=bearer(district.district_id, Role.teacher, first, [district.classes[first][0]]),
    )
    assert not_mine.status_code == 404
    as_bureau = await reporting.get(
        f"/v1/classes/{their_class}/report", params={"term": TERM}, headers=bureau
    )
    assert as_bureau.status_code == 200
    assert as_bureau.json()["unvisited_mandatory"] is None  # counts only for the bureau
    bad_term = await reporting.get("/v1/overview", params={"term": "2026-autumn"}, headers=bureau)
    assert bad_term.status_code == 422
    assert bad_term.json()["errors"][0]["field"] == "query.term"
    bad_month = await reporting.get("/v1/completeness", params={"month": "2026-13"}, headers=bureau)
    assert bad_month.json()["errors"][0]["field"] == "query.month"
    not_ended = await reporting.put(
        f"/v1/schools/{first}/submissions/{district.today:%Y-%m}",
        json={"kind": "confirmed"},
        headers=bearer(district.district_id, Role.school_admin, first),
    )
    assert not_ended.status_code == 422
    assert not_ended.json()["errors"][0]["field"] == "path.month"
    no_bulletin = await reporting.post(
        "/v1/bulletins/2020-01/disputes",
        json={"school_id": first, "figure": "home_visit_coverage", "reason": "数据有误"},
        headers=bearer(district.district_id, Role.school_admin, first),
    )
    assert no_bulletin.status_code == 404


async def test_submissions_and_completeness_of_a_month(platform, district):
    first, second = district.schools[:2]
    late = await platform.reporting.put(
        f"/v1/schools/{first}/submissions/2026-09",
        json={"kind": "confirmed"},
        headers=bearer(district.district_id, Role.school_admin, first),
    )
    assert late.status_code == 201, late.text
    assert late.json()["deadline"] == "2026-10-05"
    assert late.json()["late"] is True  # accepted, and marked late
    again = await platform.reporting.put(
        f"/v1/schools/{first}/submissions/2026-09",
        json={"kind": "confirmed"},
        headers=bearer(district.district_id, Role.school_admin, first),
    )
    assert again.status_code == 409
    without_reason = await platform.reporting.put(
        f"/v1/schools/{second}/submissions/2026-09",
        json={"kind": "nothing_to_report"},
        headers=bearer(district.district_id, Role.school_admin, second),
    )
    assert without_reason.status_code == 422
    answer = await platform.reporting.get(
        "/v1/completeness", params={"month": "2026-09"}, headers=bearer(district.district_id, Role.bureau)
    )
    state = answer.json()
    assert (state["schools"], state["submitted"], state["on_time"]) == (3, 1, 0)
    assert state["completeness"] == round(1 / 3, 4)
    rows = {r["school_id"]: r for r in state["rows"]}
    school_of_class = {c: school for school, classes in district.classes.items() for c in classes}
    september = [v for v in district.visits if v[3].month == 9]
    for school in district.schools:  # visits made: the school of the class visited in
        assert rows[school]["logged"]["visits"] == sum(
            1 for v in september if school_of_class[v[2]] == school
        )


async def test_the_monthly_bulletin_in_every_format_frozen_disputed_and_revised(
    platform, infrastructure, district
):
    bureau = bearer(district.district_id, Role.bureau)
    second = district.schools[1]
    admin = bearer(district.district_id, Role.school_admin, second)
    published = await platform.reporting.post("/v1/bulletins/2026-10", headers=bureau)
    assert published.status_code == 201, published.text
    first_revision = published.json()
    assert first_revision["revision"] == 1
    assert [row["rank"] for row in first_revision["document"]["ranking"]] == [1, 2, 3]
    again = await platform.reporting.post("/v1/bulletins/2026-10", headers=bureau)
    assert again.json()["document"] == first_revision["document"]
    page = await platform.reporting.get("/v1/bulletins/2026-10", params={"format": "html"}, headers=bureau)
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text
    assert NAMES[1] in page.text
    table = await platform.reporting.get("/v1/bulletins/2026-10", params={"format": "csv"}, headers=bureau)
    rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["排名", "学校", "学校编号", "综合得分"]
    assert {r[2] for r in rows[1:4]} == set(district.schools)
    sheet = await platform.reporting.get("/v1/bulletins/2026-10", params={"format": "xlsx"}, headers=bureau)
    book = load_workbook(io.BytesIO(sheet.content))
    assert book["排名"].cell(row=2, column=1).value == 1
    assert book.sheetnames == ["排名", "未报送", "权重"]

    disputed = await platform.reporting.post(
        "/v1/bulletins/2026-10/disputes",
        json={"school_id": second, "figure": "home_visit_coverage", "reason": "10月20日的家访迟报，请补录"},
        headers=admin,
    )
    assert disputed.status_code == 201, disputed.text
    # the late visit arrives, dated in October: it lands in October
    unvisited = next(
        s
        for s in district.students
        if s.school == second and s.student_id not in {v[1] for v in district.visits}
    )
    late_visit = VisitLoggedV1(
        producer="scheduling",
        district_id=district.district_id,
        school_id=second,
        payload=VisitLogged(
            visit_id=f"vis-late-{uuid.uuid4().hex[:6]}",
            student_id=unvisited.student_id,
            class_id=unvisited.class_id,
            visiting_staff_ids=["stf-x"],
            visited_on=date(2026, 10, 20),
            mode="in_person",
        ),
    )
    await publish_all(infrastructure, [late_visit])
    facts = platform.reporting_app.state.store.facts
    for _ in range(100):
        if await facts.db["visit_facts"].count_documents({"_id": late_visit.payload.visit_id}):
            break
        await asyncio.sleep(0.2)
    district.visits.append(
        (late_visit.payload.visit_id, unvisited.student_id, unvisited.class_id, date(2026, 10, 20), "stf-x")
    )
    accepted = await platform.reporting.post(
        f"/v1/bulletins/2026-10/disputes/{disputed.json()['dispute_id']}/acceptance",
        json={"note": "核实无误，予以补录"},
        headers=bureau,
    )
    assert accepted.status_code == 201, accepted.text
    revision = accepted.json()
    assert revision["revision"] == 2
    # published to every school: the school, the figure and the bureau's note, not the school's words
    second_name = next(r["name"] for r in revision["document"]["ranking"] if r["school_id"] == second)
    assert revision["reason"] == f"{second_name} 家访覆盖率：核实无误，予以补录"
    assert any(c["school_id"] == second and c["figure"] == "home_visit_coverage" for c in revision["changes"])
    completeness = await platform.reporting.get(
        "/v1/completeness", params={"month": "2026-10"}, headers=bureau
    )
    late_rows = {r["school_id"]: r["late_entries"] for r in completeness.json()["rows"]}
    assert late_rows == {
        school: int(school == second) for school in district.schools
    }  # recorded after 5 November
    earlier = await platform.reporting.get("/v1/bulletins/2026-10", params={"revision": 1}, headers=bureau)
    assert earlier.json()["document"] == first_revision["document"]
    settled = await platform.reporting.post(
        f"/v1/bulletins/2026-10/disputes/{disputed.json()['dispute_id']}/acceptance",
        json={"note": "再次"},
        headers=bureau,
    )
    assert settled.status_code == 409


async def test_an_unknown_version_or_malformed_event_is_dead_lettered_and_consumption_continues(
    platform, infrastructure, district, read_topic
):
    school = district.schools[2]
    good = VisitLoggedV1(
        producer="scheduling",
        district_id=district.district_id,
        school_id=school,
        payload=VisitLogged(
            visit_id=f"vis-after-{uuid.uuid4().hex[:6]}",
            student_id="stu-unknown",
            class_id="cls-x",
            visiting_staff_ids=["stf-x"],
            visited_on=date(2026, 11, 2),
            mode="phone",
        ),
    )
    # a producer a version ahead of reporting (not our scheduling, whose events are checked elsewhere)
    newer = json.loads(good.to_json()) | {
        "schema_version": 2,
        "event_id": str(uuid.uuid4()),
        "producer": "scheduling-next",
    }
    producer = AIOKafkaProducer(**infrastructure.kafka_options())
    await producer.start()
    try:
        await producer.send_and_wait(VISITS_V1, json.dumps(newer).encode(), key=school.encode())
        await producer.send_and_wait(VISITS_V1, good.to_json(), key=school.encode())
    finally:
        await producer.stop()
    facts = platform.reporting_app.state.store.facts
    for _ in range(100):
        if await facts.db["visit_facts"].count_documents({"_id": good.payload.visit_id}):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("the event after the bad one was not stored")
    parked = await read_topic(
        dead_letter_topic(VISITS_V1),
        lambda ms: any(
            m.get("event_id") == newer["event_id"] and m["_headers"].get("dlt-consumer") == b"reporting"
            for m in ms
        ),
    )
    mine = next(
        m
        for m in parked
        if m.get("event_id") == newer["event_id"] and m["_headers"]["dlt-consumer"] == b"reporting"
    )
    assert b"schema_version 2" in mine["_headers"]["dlt-reason"]


async def test_a_rebuild_from_the_topics_gives_the_same_numbers(platform, district):
    bureau = bearer(district.district_id, Role.bureau)

    async def numbers() -> list:
        overview = (
            await platform.reporting.get("/v1/overview", params={"term": TERM}, headers=bureau)
        ).json()
        reports = [
            (
                await platform.reporting.get(f"/v1/schools/{s}/report", params={"term": TERM}, headers=bureau)
            ).json()
            for s in district.schools
        ]
        return [overview, reports]

    before = await numbers()
    live = platform.reporting_app.state.store
    # a second replica of the service, whose watch of the control collection has stalled: it read
    # the collection before the rebuild began and not since
    other_replica = ActiveStore(live.records, live.client, stale_after=0.5)
    await other_replica.refresh()
    started = await platform.reporting.post("/v1/rebuilds", headers=bureau)
    assert started.status_code == 202, started.text
    rebuild_id = started.json()["rebuild_id"]
    for _ in range(50):
        if await live.records.get("control", ActiveStore.REBUILDING) is not None:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.6)
    assert other_replica.rebuilding is None
    # an event it consumes while the rebuild runs reaches the rebuilt facts too: being stale, it
    # reads the control collection again before writing
    elsewhere = {
        "_id": f"vis-{uuid.uuid4().hex[:8]}",
        "district_id": "d-other",
        "school_id": "sch-x",
        "event_id": f"evt-{uuid.uuid4().hex[:8]}",
        "recorded": "2026-11-02",
        "student_id": "stu-x",
        "class_id": "cls-x",
        "staff_ids": ["stf-x"],
        "on": "2026-11-02",
        "mode": "home",
        "two_staff": False,
    }
    await other_replica.add_batch([("visit_facts", elsewhere)])
    deadline = asyncio.get_running_loop().time() + 240
    while True:
        status = (await platform.reporting.get(f"/v1/rebuilds/{rebuild_id}", headers=bureau)).json()
        if status["status"] != "running":
            break
        assert asyncio.get_running_loop().time() < deadline, "rebuild did not finish"
        await asyncio.sleep(0.5)
    assert status["status"] == "done", status
    assert status["facts_stored"] > 0
    assert platform.reporting_app.state.store.facts.db.name == status["database"]
    # the replica then reads the rebuilt facts into memory (the whole suite's, by now), and answers
    # from them once loaded; a reader meanwhile waits, longer than this client's patience
    projection = platform.reporting_app.state.projection
    deadline = asyncio.get_running_loop().time() + 120
    while not (projection.loaded.is_set() and projection.source == status["database"]):
        assert asyncio.get_running_loop().time() < deadline, "the rebuilt facts were never loaded"
        await asyncio.sleep(0.2)
    assert await numbers() == before
    await other_replica.refresh()
    assert other_replica.facts.db.name == status["database"]
    assert other_replica.rebuilding is None
    assert await other_replica.facts.db["visit_facts"].count_documents({"_id": elsewhere["_id"]}) == 1


async def test_the_bulletin_is_published_on_schedule_once_the_deadline_has_passed(platform, district):
    from reporting.schedule import BulletinSchedule

    state = platform.reporting_app.state
    schedule = BulletinSchedule(state.store, state.projection, platform.reporting_settings)
    bureau = bearer(district.district_id, Role.bureau)
    assert await schedule.publish_due(date(2026, 12, 3)) == []  # submissions for November still open
    assert (await platform.reporting.get("/v1/bulletins/2026-11", headers=bureau)).status_code == 404
    published = await schedule.publish_due(date(2026, 12, 8))
    assert district.district_id in published
    november = await platform.reporting.get("/v1/bulletins/2026-11", headers=bureau)
    assert november.status_code == 200
    assert november.json()["document"]["month"] == "2026-11"


async def test_the_bulletin_is_published_from_the_command_line(platform, district):
    import os
    import sys

    settings = platform.reporting_settings
    environment = os.environ | {
        "DISTRICT_MONGODB_URL": settings.mongodb_url,
        "DISTRICT_MONGODB_DATABASE": settings.mongodb_database,
    }
    command = [
        sys.executable,
        "-m",
        "reporting.bulletin",
        "--month",
        "2026-09",
        "--district",
        district.district_id,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "2026-09 通报 第 1 版：3 所学校" in out.decode()
    bureau = bearer(district.district_id, Role.bureau)
    september = await platform.reporting.get("/v1/bulletins/2026-09", headers=bureau)
    assert [row["school_id"] for row in september.json()["document"]["ranking"]] != []


async def test_a_school_registered_on_the_school_day_is_in_that_days_overview(platform, eventually):
    """The registry dates its events on its school clock (``effective_on``): a school registered
    through it on the pinned day is in reporting's overview of that day, whatever the machine's
    date (the demo pins its day too, and its schools were missing from the bureau's overview)."""
    district = f"d-day-{uuid.uuid4().hex[:8]}"
    bureau = {"authorization": f"Bearer {platform.token(Role.bureau, None, district_id=district)}"}
    registry, reporting = platform.all_services["registry"], platform.all_services["reporting"]
    registered = await registry.post(
        "/v1/schools", json={"name": "叶城县第七小学", "level": "primary", "setting": "rural"}, headers=bureau
    )
    assert registered.status_code == 201, registered.text
    school_id = registered.json()["school_id"]
    term = await registry.put(
        "/v1/terms/2026-2027/autumn",
        json={"starts_on": "2026-09-01", "ends_on": "2027-01-20"},
        headers=bureau,
    )
    assert term.status_code in (200, 201), term.text
    answers: list[dict] = []

    async def listed() -> bool:
        answer = await reporting.get("/v1/overview", params={"term": "2026-2027-autumn"}, headers=bureau)
        answers[:] = [answer.json()]
        return answer.status_code == 200 and school_id in [r["school_id"] for r in answer.json()["ranking"]]

    await eventually(listed, 30)
    assert (answers[0]["as_of"], answers[0]["schools"]) == (SCHOOL_TODAY.isoformat(), 1)
