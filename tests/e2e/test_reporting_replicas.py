"""Reporting's delivery under the cases issue 12 names, on real ``python -m reporting`` processes over
the real broker and store: two replicas consuming in one group at once; a consumer killed with
SIGKILL mid-batch and started again; the same events published twice, and a group moved back so
that its batches are delivered again; events of schools and classes the registry announces only
afterwards; views of a school, class or term that does not exist. In each case every figure a
replica serves equals the independent computation (``reporting_expected``) and each fact is stored
once (``reporting_replicas``).

Each process has its own database and consumer group, begun at the end of the topics; each test
its own generated district. A replica's figures come from its read model, which follows the topics
itself from where the group had committed when it loaded the stored facts. So the stored facts are
checked twice: counted, and through the replicas started again after the kill and after the move,
whose read model is loaded from them (by the time it loads, about twenty seconds into the start,
the group has consumed again what it had not committed). The read model's own deduplication is
proved by the events published twice, which it reads twice from the topics.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bearer import bearer
from district_generator import TERM, District, generate
from pymongo import AsyncMongoClient
from reporting_replicas import (
    TOPICS,
    Reporting,
    begin_at_the_end,
    caught_up,
    commit,
    committed,
    deliveries,
    end_offsets,
    eventually,
    exact,
    expected_facts,
    markers,
    members,
    publish,
    reporting_env,
    stored_facts,
)
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra

DUPLICATES = "duplicate events ignored"  # what reporting logs when a batch held facts it had
Kafka = dict[str, Any]  # aiokafka's keyword arguments for the test's own clients
Mongo = AsyncMongoClient[Any]
Processes = dict[str, Reporting]


def new_district() -> District:
    """The generator's three schools of sixteen students, under a district id of the test's own."""
    return generate(f"d-rep-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY)


@pytest.fixture(scope="module")
async def mongo(infrastructure: Any) -> AsyncIterator[AsyncMongoClient[Any]]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(infrastructure.mongodb_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture(scope="module")
def kafka(infrastructure: Any) -> dict[str, Any]:
    """The test's own Kafka clients log in as the admin (conftest)."""
    options: dict[str, Any] = infrastructure.kafka_options()
    return options


@pytest.fixture(scope="module")
async def reporting(
    infrastructure: Any, kafka: Kafka, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Reporting]]:
    """The module's reporting processes, each group begun at the end of the topics, all started at
    once: a start takes about twenty seconds (each of its consumers joining the group is a
    rebalance), one after the other they would take minutes. ``first`` and ``second`` are two
    replicas of one service (one database, one group); ``shared`` serves the tests that need one
    process, each with a district of its own; the others are one test's each."""
    settings = infrastructure.settings_env("reporting")
    logs: Path = tmp_path_factory.mktemp("reporting")
    two = reporting_env(settings, "two")
    envs = {
        "first": two,
        "second": two,
        # batches of 100: a kill is likelier to fall between storing a batch and committing it
        "killed": reporting_env(settings, "killed", consumer_batch_size="100"),
        "moved-back": reporting_env(settings, "moved-back"),
        "shared": reporting_env(settings, "shared"),
    }
    made = {name: Reporting(name, env, logs / f"{name}.log") for name, env in envs.items()}
    for group in {process.group for process in made.values()}:
        await begin_at_the_end(kafka, group)
    try:
        await asyncio.gather(*(process.start() for process in made.values()))
        yield made
    finally:
        await asyncio.gather(*(process.stop() for process in made.values()))


async def all_stored(mongo: Mongo, process: Reporting, d: District, seconds: float = 90) -> None:
    """Wait until the process's database holds each fact of the district once: no more, no fewer."""
    counts: dict[str, int] = {}
    want = expected_facts(d)

    async def complete() -> bool:
        counts.clear()
        counts.update(await stored_facts(mongo, process.database, d.district_id))
        return counts == want

    await eventually(complete, seconds, lambda: {"stored": counts, "expected": want})


async def group_done(kafka: Kafka, process: Reporting, seconds: float = 90) -> None:
    """Wait until the process's group has committed everything published so far."""
    ends = await end_offsets(kafka)

    async def done() -> bool:
        return await caught_up(kafka, process.group, ends)

    await eventually(done, seconds, lambda: f"{process.name}'s group behind\n{process.tail()}")


# 1. Two replicas consuming at once ---------------------------------------------------------------


def member_ids(process: Reporting) -> set[str]:
    """The group member ids its consumers were given, as its log says."""
    return set(re.findall(r"with member_id ([\w-]+)", process.log.read_text(errors="replace")))


async def test_two_replicas_consuming_in_one_group_at_once_store_each_fact_once_and_serve_exact_figures(
    reporting: Processes, kafka: Kafka, mongo: Mongo
) -> None:
    first, second = reporting["first"], reporting["second"]

    async def both_in() -> bool:
        state, assigned = await members(kafka, first.group)
        return state == "Stable" and len(assigned) == 2 * len(TOPICS)  # a consumer per topic in each

    await eventually(both_in, 90, lambda: first.tail() + second.tail())
    d = new_district()
    deliveries(d, 1500)
    landed = await publish(kafka, d.events)
    landed |= await publish(kafka, markers(d))
    # both replicas consume the district: each was assigned partitions it landed on
    state, assigned = await members(kafka, first.group)
    assert (state, len(assigned)) == ("Stable", 2 * len(TOPICS))
    by_first = {tp for member in member_ids(first) & set(assigned) for tp in assigned[member]}
    by_second = {tp for member in member_ids(second) & set(assigned) for tp in assigned[member]}
    assert landed & by_first, (landed, by_first)
    assert landed & by_second, (landed, by_second)
    await group_done(kafka, first)
    await all_stored(mongo, first, d)
    for replica in (first, second):
        async with httpx.AsyncClient(base_url=replica.url, timeout=30) as http:
            await exact(http, d, SCHOOL_TODAY)

    # two writers across a rebalance: the second replica leaves while the group stores more
    more = deliveries(d, 1500)
    await publish(kafka, more[:750])
    await second.stop()
    await publish(kafka, more[750:])
    await publish(kafka, markers(d))
    await group_done(kafka, first)
    await all_stored(mongo, first, d)
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)
    await first.stop()


# 2. A consumer killed with SIGKILL mid-batch -----------------------------------------------------

# notification-delivered events: two hundred of the process's batches, so the kill lands among them
BULK = 20_000
SLICE = 250  # published a slice at a time while the process consumes, until it is killed


async def test_a_consumer_killed_with_sigkill_mid_batch_stores_and_counts_each_fact_once_after_restart(
    reporting: Processes, kafka: Kafka, mongo: Mongo
) -> None:
    process = reporting["killed"]
    d = new_district()
    await publish(kafka, d.events)
    bulk = deliveries(d, BULK)
    contacts = len(d.contacts)
    db = mongo[process.database]
    where = {"district_id": d.district_id}
    killed = asyncio.Event()

    async def trickle() -> int:
        """Publish the bulk slice by slice until the kill, then the rest at once: however fast the
        machine stores, the kill falls while deliveries are still arriving. How many were out."""
        for start in range(0, BULK, SLICE):
            if killed.is_set():
                await publish(kafka, bulk[start:])
                return start
            await publish(kafka, bulk[start : start + SLICE])
            await asyncio.sleep(0.25)
        return BULK

    publishing = asyncio.create_task(trickle())

    async def consuming() -> bool:
        stored: int = await db["contact_facts"].count_documents(where)
        return stored > 0

    await eventually(consuming, 90, process.tail)
    await process.kill()
    killed.set()
    at_kill = await db["contact_facts"].count_documents(where)
    published_at_kill = await publishing
    assert published_at_kill < BULK, "every delivery was published before the kill"
    assert 0 < at_kill < contacts, f"killed with {at_kill} of {contacts} stored: not while it consumed"

    await process.start()
    # after whatever the killed process left unstored or uncommitted
    await publish(kafka, markers(d))
    await group_done(kafka, process, 120)
    await all_stored(mongo, process, d)
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)
    await process.stop()


# 3. The same batch delivered twice ---------------------------------------------------------------


async def test_the_same_events_published_twice_are_stored_and_counted_once(
    reporting: Processes, kafka: Kafka, mongo: Mongo
) -> None:
    shared = reporting["shared"]
    d = new_district()
    before = shared.logged(DUPLICATES)
    await publish(kafka, d.events)
    await publish(kafka, d.events)  # the same records again: the same event ids
    await publish(kafka, markers(d))  # read after the second copy on each school's partition
    async with httpx.AsyncClient(base_url=shared.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)
    await group_done(kafka, shared)
    await all_stored(mongo, shared, d)
    assert shared.logged(DUPLICATES) > before, "no batch held an event stored already"
    async with httpx.AsyncClient(base_url=shared.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY, seconds=5)


async def test_batches_delivered_again_after_the_groups_offsets_are_moved_back_are_counted_once(
    reporting: Processes, kafka: Kafka, mongo: Mongo
) -> None:
    process = reporting["moved-back"]
    await group_done(kafka, process)
    # where the group stands before the district: moving it back here skips nothing it had not stored
    start = await committed(kafka, process.group)
    d = new_district()
    await publish(kafka, d.events)
    await group_done(kafka, process)
    await all_stored(mongo, process, d)
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)

    await process.stop()  # its consumers leave the group, which can then be moved
    await commit(kafka, process.group, start)
    assert await committed(kafka, process.group) == start
    before = process.logged(DUPLICATES)
    # the group consumes the district's batches again, every fact of them stored already; the
    # replica's read model is loaded from the stored facts
    await process.start()
    await publish(kafka, markers(d))
    await group_done(kafka, process)
    assert process.logged(DUPLICATES) > before, "the batches were not delivered again"
    await all_stored(mongo, process, d)
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)
    await process.stop()


# 4. Bad input --------------------------------------------------------------------------------------


async def test_events_of_schools_and_classes_the_registry_announces_afterwards_count_once_it_does(
    reporting: Processes, kafka: Kafka, mongo: Mongo
) -> None:
    shared = reporting["shared"]
    d = new_district()
    # the district's term and policy first; its schools (and their pairing) only after every visit,
    # meeting, activity and delivery of theirs; their classes, staff, students and guardians last
    registry = [e for e in d.events if e.topic.endswith("registry.v1")]
    district_wide = [e for e in registry if e.school_id == "district"]
    schools = [e for e in registry if e.event_type in ("school-changed", "pair-changed")]
    the_rest = [e for e in registry if e not in district_wide and e not in schools]
    await publish(kafka, district_wide + [e for e in d.events if e not in registry])
    bureau = bearer(Role.bureau, d.district_id, "bureau-1")
    made = {s: sum(1 for v in d.visits if v[2] in d.classes[s]) for s in d.schools}
    async with httpx.AsyncClient(base_url=shared.url, timeout=30) as http:
        seen: dict[str, Any] = {}

        async def taken() -> bool:
            for school in d.schools:
                answer = await http.get(f"/v1/schools/{school}/home-visits", headers=bureau)
                seen[school] = answer.json()["visits_logged"] if answer.status_code == 200 else answer.text
            return seen == made

        # kept before the registry has said a word of the schools: each one's visits where they say
        await eventually(taken, 60, lambda: {"served": seen, "made": made})

        await publish(kafka, schools)
        early: dict[str, Any] = {}

        async def announced() -> bool:
            for school in d.schools:
                answer = await http.get(f"/v1/schools/{school}/report", params={"term": TERM}, headers=bureau)
                early[school] = answer.json() if answer.status_code == 200 else answer.text
            return all(isinstance(r, dict) for r in early.values())

        # each school's report, read now, is kept until a fact touching the school arrives
        await eventually(announced, 60, lambda: early)
        for school, answer in early.items():
            coverage = next(m for m in answer["measures"] if m["key"] == "home_visit_coverage")
            assert coverage["denominator"] == 0, (school, coverage)  # none of its students announced yet
        await publish(kafka, the_rest)
        await exact(http, d, SCHOOL_TODAY)
    await group_done(kafka, shared)
    await all_stored(mongo, shared, d)


UNANNOUNCED_TERM = "2027-2028-autumn"  # well formed, and never announced by the registry


async def test_a_view_of_a_school_class_or_term_that_does_not_exist_answers_404_problem_json(
    reporting: Processes, kafka: Kafka
) -> None:
    shared = reporting["shared"]
    d = new_district()
    await publish(kafka, d.events)
    school, klass = d.schools[0], d.classes[d.schools[0]][0]
    bureau = bearer(Role.bureau, d.district_id, "bureau-1")
    teacher = bearer(Role.teacher, d.district_id, f"stf-{school[-8:]}-0", school, [klass])
    async with httpx.AsyncClient(base_url=shared.url, timeout=30) as http:
        await exact(http, d, SCHOOL_TODAY)  # the district is served, every record of it known
        nowhere = uuid.uuid4().hex[:6]
        # (the view, its caller, the term asked, the same view of what exists)
        views = [
            (f"/v1/schools/sch-nowhere-{nowhere}/report", bureau, TERM, f"/v1/schools/{school}/report"),
            (f"/v1/classes/cls-nowhere-{nowhere}/report", bureau, TERM, f"/v1/classes/{klass}/report"),
            (f"/v1/schools/{school}/report", bureau, UNANNOUNCED_TERM, None),
            (f"/v1/classes/{klass}/report", bureau, UNANNOUNCED_TERM, None),
            ("/v1/overview", bureau, UNANNOUNCED_TERM, None),
            ("/v1/rankings", bureau, UNANNOUNCED_TERM, None),
            ("/v1/teachers/me/report", teacher, UNANNOUNCED_TERM, None),
            (f"/v1/pairs/{d.pair_id}/comparison", bureau, UNANNOUNCED_TERM, None),
        ]
        for path, caller, term, existing in views:
            answer = await http.get(path, params={"term": term}, headers=caller)
            assert answer.status_code == 404, (path, term, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json"), path
            problem = answer.json()
            assert (problem["status"], problem["type"].rsplit("/", 1)[-1]) == (404, "not-found"), problem
            if term == UNANNOUNCED_TERM:
                assert UNANNOUNCED_TERM in problem["detail"], problem
            # the same view of a record and term that exist answers
            found = await http.get(existing or path, params={"term": TERM}, headers=caller)
            assert found.status_code == 200, (path, found.text)
