"""Who sees what of reporting, on the real broker and store: two generated districts published to
the platform's topics, then every view asked by callers it is not for. A role a view is never for
gets 403; a school, class, teacher, pair or dispute of another school or district gets the 404 of
a missing one (and the refusal is logged), whatever ids the caller's token names."""

import asyncio
import logging
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from bearer import bearer as token_of
from district_generator import TERM, District, generate
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra

MONTH = "2026-10"  # ended by the school clock's today


def bearer(
    district: District,
    role: Role,
    school_id: str | None = None,
    classes: list[str] | None = None,
    subject: str = "u-acc",
    students: list[str] | None = None,
) -> dict[str, str]:
    return token_of(role, district.district_id, subject, school_id, classes, students)


async def publish(infrastructure, district: District) -> None:
    producer = AIOKafkaProducer(**infrastructure.kafka_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in district.events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def districts(platform, infrastructure) -> tuple[District, District]:
    """District A, whose records are asked for, and district B, whose callers ask."""
    ours = generate(f"d-acc-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY, per_class=2)
    theirs = generate(f"d-acc-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY, per_class=2)
    for district in (ours, theirs):
        await publish(infrastructure, district)
    facts = platform.reporting_app.state.store.facts

    async def stored(d: District) -> bool:
        registry = sum(1 for e in d.events if e.topic.endswith("registry.v1"))
        where = {"district_id": d.district_id}
        return await facts.db["registry_versions"].count_documents(where) == registry and await facts.db[
            "visit_facts"
        ].count_documents(where) == len(d.visits)

    deadline = asyncio.get_running_loop().time() + 90
    while not (await stored(ours) and await stored(theirs)):
        assert asyncio.get_running_loop().time() < deadline, "reporting did not store the districts"
        await asyncio.sleep(0.3)
    return ours, theirs


def staff_of(district: District, school: str, n: int) -> str:
    """The generator's staff ids: 0 heads the first class, 1 the second, 2 teaches both."""
    return f"stf-{school[-8:]}-{n}"


def school_routes(d: District, school: str) -> list[tuple[str, str, dict]]:
    """Every read of one school's records: (method, path, query)."""
    return [
        ("GET", f"/v1/schools/{school}/home-visits", {}),
        ("GET", f"/v1/schools/{school}/report", {"term": TERM}),
        ("GET", f"/v1/schools/{school}/submissions", {}),
        ("GET", "/v1/trends", {"school_year": "2026-2027", "school_id": school}),
        ("GET", f"/v1/classes/{d.classes[school][0]}/report", {"term": TERM}),
    ]


async def ask(platform, method: str, path: str, query: dict, headers: dict, body: dict | None = None):
    return await platform.reporting.request(method, path, params=query, headers=headers, json=body)


def assert_missing(answer, like) -> None:
    """The 404 of a record that does not exist, word for word."""
    assert answer.status_code == 404, answer.text
    assert answer.json()["type"] == like.json()["type"]
    assert answer.json()["detail"] == like.json()["detail"]


async def test_another_districts_bureau_gets_the_404_of_a_missing_school_on_every_school_route(
    platform, districts, caplog
):
    ours, theirs = districts
    school = ours.schools[0]
    their_bureau = bearer(theirs, Role.bureau)
    our_bureau = bearer(ours, Role.bureau)
    for method, path, query in school_routes(ours, school):
        assert (await ask(platform, method, path, query, our_bureau)).status_code == 200, path
        missing_path = path.replace(school, "sch-nowhere").replace(ours.classes[school][0], "cls-nowhere")
        missing_query = {k: v.replace(school, "sch-nowhere") for k, v in query.items()}
        missing = await ask(platform, method, missing_path, missing_query, our_bureau)
        with caplog.at_level(logging.WARNING, logger="district.access"):
            caplog.clear()
            across = await ask(platform, method, path, query, their_bureau)
        assert_missing(across, missing)
        denied = [r for r in caplog.records if r.getMessage() == "access denied"]
        assert [(r.status, r.caller_district) for r in denied] == [(404, theirs.district_id)], path  # type: ignore[attr-defined]
    pair = await ask(platform, "GET", f"/v1/pairs/{ours.pair_id}/comparison", {"term": TERM}, their_bureau)
    assert_missing(
        pair, await ask(platform, "GET", "/v1/pairs/pair-nowhere/comparison", {"term": TERM}, our_bureau)
    )


async def test_a_token_of_another_district_naming_this_districts_school_class_and_teacher_reaches_nothing(
    platform, districts
):
    ours, theirs = districts
    school = ours.schools[0]
    first_class = ours.classes[school][0]
    admin = bearer(theirs, Role.school_admin, school)
    teacher = bearer(theirs, Role.teacher, school, [first_class], subject=staff_of(ours, school, 0))
    for method, path, query in school_routes(ours, school):
        assert (await ask(platform, method, path, query, admin)).status_code == 404, path
    assert (
        await ask(platform, "GET", f"/v1/classes/{first_class}/report", {"term": TERM}, teacher)
    ).status_code == 404
    assert (await ask(platform, "GET", "/v1/teachers/me/report", {"term": TERM}, teacher)).status_code == 404


async def test_guardians_and_partners_read_no_report_not_even_their_own_schools_visit_counts(
    platform, districts
):
    ours, _ = districts
    school = ours.schools[0]
    child = next(s for s in ours.students if s.school == school)
    guardian = bearer(
        ours, Role.guardian, school, subject=f"gdn-{child.student_id}", students=[child.student_id]
    )
    partner = bearer(ours, Role.partner, school, subject="ptn-acc")
    reads = [
        *school_routes(ours, school),
        ("GET", "/v1/overview", {"term": TERM}),
        ("GET", "/v1/teachers/me/report", {"term": TERM}),
        ("GET", f"/v1/bulletins/{MONTH}", {}),
    ]
    for headers in (guardian, partner):
        for method, path, query in reads:
            answer = await ask(platform, method, path, query, headers)
            assert answer.status_code == 403, (path, answer.text)
            assert answer.json()["type"].endswith("/forbidden")


async def test_a_role_a_view_is_never_for_gets_403_where_it_got_404(platform, districts):
    ours, _ = districts
    school = ours.schools[0]
    teacher = bearer(ours, Role.teacher, school, [ours.classes[school][0]], subject=staff_of(ours, school, 0))
    admin = bearer(ours, Role.school_admin, school)
    bureau = bearer(ours, Role.bureau)
    refused = [
        (teacher, "GET", f"/v1/schools/{school}/report", {"term": TERM}, None),
        (teacher, "GET", "/v1/trends", {"school_year": "2026-2027", "school_id": school}, None),
        (teacher, "GET", f"/v1/bulletins/{MONTH}", {}, None),
        (admin, "GET", "/v1/overview", {"term": TERM}, None),
        (admin, "GET", "/v1/rankings", {"term": TERM}, None),
        (admin, "GET", "/v1/completeness", {"month": MONTH}, None),
        (admin, "GET", "/v1/trends", {"school_year": "2026-2027"}, None),
        (admin, "GET", f"/v1/pairs/{ours.pair_id}/comparison", {"term": TERM}, None),
        (admin, "GET", "/v1/teachers/me/report", {"term": TERM}, None),
        (admin, "POST", f"/v1/bulletins/{MONTH}", {}, None),
        (admin, "POST", "/v1/rebuilds", {}, None),
        (admin, "POST", f"/v1/bulletins/{MONTH}/disputes/dsp-any/rejection", {}, {"note": "驳回"}),
        (teacher, "GET", f"/v1/bulletins/{MONTH}/disputes", {}, None),
        # only the school's own admin confirms its month or disputes its figures
        (bureau, "PUT", f"/v1/schools/{school}/submissions/2026-09", {}, {"kind": "confirmed"}),
        (
            bureau,
            "POST",
            f"/v1/bulletins/{MONTH}/disputes",
            {},
            {"school_id": school, "figure": "home_visit_coverage", "reason": "数据有误"},
        ),
    ]
    for headers, method, path, query, body in refused:
        answer = await ask(platform, method, path, query, headers, body)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["type"].endswith("/forbidden")


async def test_a_teacher_reads_the_classes_it_teaches_in_the_school_reporting_knows_it_in(
    platform, districts
):
    ours, _ = districts
    school, other = ours.schools[:2]
    head_of_first = staff_of(ours, school, 0)
    mine, not_mine = ours.classes[school]
    # a token naming another school and its classes does not move the teacher there
    elsewhere = bearer(ours, Role.teacher, other, ours.classes[other], subject=head_of_first)
    report = await ask(platform, "GET", "/v1/teachers/me/report", {"term": TERM}, elsewhere)
    assert report.status_code == 200, report.text
    assert report.json()["classes"] == []
    other_class = await ask(
        platform,
        "GET",
        f"/v1/classes/{ours.classes[other][0]}/report",
        {"term": TERM},
        bearer(ours, Role.teacher, school, [ours.classes[other][0]], subject=head_of_first),
    )
    assert other_class.status_code == 404
    teacher = bearer(ours, Role.teacher, school, [mine], subject=head_of_first)
    own = await ask(platform, "GET", "/v1/teachers/me/report", {"term": TERM}, teacher)
    assert [c["class_id"] for c in own.json()["classes"]] == [mine]
    assert (
        await ask(platform, "GET", f"/v1/classes/{mine}/report", {"term": TERM}, teacher)
    ).status_code == 200
    assert (
        await ask(platform, "GET", f"/v1/classes/{not_mine}/report", {"term": TERM}, teacher)
    ).status_code == 404
    # a teacher the registry never announced has no report
    stranger = bearer(ours, Role.teacher, school, [mine], subject="stf-unknown")
    assert (await ask(platform, "GET", "/v1/teachers/me/report", {"term": TERM}, stranger)).status_code == 404


async def test_submissions_and_disputes_are_checked_against_the_schools_own_district(platform, districts):
    ours, theirs = districts
    school, other = ours.schools[:2]
    admin = bearer(ours, Role.school_admin, school)
    for_another = await ask(
        platform, "PUT", f"/v1/schools/{other}/submissions/2026-09", {}, admin, {"kind": "confirmed"}
    )
    assert for_another.status_code == 404
    # an admin of another district whose token names this school submits nothing for it
    across = bearer(theirs, Role.school_admin, school)
    submitted = await ask(
        platform, "PUT", f"/v1/schools/{school}/submissions/2026-09", {}, across, {"kind": "confirmed"}
    )
    assert submitted.status_code == 404
    stored = platform.reporting_app.state.store.records
    assert await stored.find("submissions", {"school_id": {"$in": [school, other]}}) == []
    published = await ask(platform, "POST", f"/v1/bulletins/{MONTH}", {}, bearer(ours, Role.bureau))
    assert published.status_code == 201, published.text
    assert (await ask(platform, "GET", f"/v1/bulletins/{MONTH}", {}, admin)).status_code == 200
    figure = {"figure": "home_visit_coverage", "reason": "数据有误"}
    naming_another = await ask(
        platform, "POST", f"/v1/bulletins/{MONTH}/disputes", {}, admin, {"school_id": other} | figure
    )
    assert naming_another.status_code == 404
    naming_theirs = await ask(
        platform,
        "POST",
        f"/v1/bulletins/{MONTH}/disputes",
        {},
        admin,
        {"school_id": theirs.schools[0]} | figure,
    )
    assert naming_theirs.status_code == 404
    raised = await ask(
        platform, "POST", f"/v1/bulletins/{MONTH}/disputes", {}, admin, {"school_id": school} | figure
    )
    assert raised.status_code == 201, raised.text
    acceptance = f"/v1/bulletins/{MONTH}/disputes/{raised.json()['dispute_id']}/acceptance"
    note = {"note": "核实无误"}
    across = await ask(platform, "POST", acceptance, {}, bearer(theirs, Role.bureau), note)
    missing = await ask(
        platform,
        "POST",
        f"/v1/bulletins/{MONTH}/disputes/dsp-nowhere/acceptance",
        {},
        bearer(theirs, Role.bureau),
        note,
    )
    assert_missing(across, missing)
    rejection = acceptance.replace("/acceptance", "/rejection")
    rejected_across = await ask(platform, "POST", rejection, {}, bearer(theirs, Role.bureau), note)
    assert_missing(rejected_across, missing)
    listed_across = await ask(
        platform, "GET", f"/v1/bulletins/{MONTH}/disputes", {}, bearer(theirs, Role.bureau)
    )
    assert listed_across.json() == []
    assert (await ask(platform, "POST", acceptance, {}, bearer(ours, Role.bureau), note)).status_code == 201
