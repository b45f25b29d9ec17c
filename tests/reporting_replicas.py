"""Reporting processes of a test's own for the delivery tests of issue 12
(``tests/e2e/test_reporting_replicas.py``): ``python -m reporting`` started, stopped and killed with
SIGKILL by the test, each with its own database and consumer group; the group's offsets read and
moved; the facts stored counted by district; and every figure a replica serves compared with the
independent computation (``reporting_expected``), each difference named.

A new consumer group starts at the end of the topics (``begin_at_the_end``): reporting reads every
district's events, and a shared broker holds the whole suite's history and other runs' events.
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from bearer import bearer
from contracts.envelope import Event
from contracts.events.notifications import NotificationDelivered, NotificationDeliveredV1
from contracts.events.visits import VisitLogged, VisitLoggedV1
from district_generator import CONTACT_DAYS, NAMES, TERM, TERM_START, District, at
from loopback import free_port
from pymongo import AsyncMongoClient
from reporting.topics import consumed_topics
from reporting_expected import AUTUMN, expected_class, expected_school, expected_score, school_of
from service_kit.auth import Role

TOPICS = consumed_topics()
Offsets = dict[TopicPartition, int]
# what reporting keeps of each generated event, by collection (facts.FACT_COLLECTIONS)
FACT_COLLECTIONS = (
    "visit_facts",
    "confirmation_facts",
    "meeting_facts",
    "activity_facts",
    "exchange_facts",
    "contact_facts",
    "undelivered_facts",
    "registry_versions",
    "follow_up_facts",
)


# A reporting process ------------------------------------------------------------------------------


@dataclass
class Reporting:
    """``python -m reporting`` with settings of its own, started, stopped and killed by the test."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    running: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def group(self) -> str:
        return self.env["DISTRICT_CONSUMER_GROUP"]

    @property
    def database(self) -> str:
        return self.env["DISTRICT_MONGODB_DATABASE"]

    async def start(self) -> None:
        """Start it and wait until it answers (its consumers join the group meanwhile)."""
        with self.log.open("ab") as out:
            self.running = running = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "reporting",
                env=os.environ | self.env | {"DISTRICT_HTTP_PORT": str(self.port)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = asyncio.get_running_loop().time() + 60
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while True:
                assert running.returncode is None, f"{self.name} exited:\n{self.tail()}"
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, self.tail()
                await asyncio.sleep(0.2)

    async def kill(self) -> None:
        """SIGKILL: no shutdown; whatever the process was storing or committing is cut off."""
        assert self.running is not None, "never started"
        assert self.running.returncode is None, "not running"
        self.running.send_signal(signal.SIGKILL)
        await self.running.wait()

    async def stop(self) -> None:
        """SIGTERM: its consumers leave the group before it exits."""
        if self.running is not None and self.running.returncode is None:
            self.running.terminate()
            try:
                await asyncio.wait_for(self.running.wait(), 20)
            except TimeoutError:
                self.running.kill()
                await self.running.wait()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def logged(self, text: str) -> int:
        """How many lines of its log so far say ``text``."""
        return self.log.read_text(errors="replace").count(text) if self.log.exists() else 0


def reporting_env(settings_env: dict[str, str], name: str, **overrides: str) -> dict[str, str]:
    """The test settings of reporting (conftest's ``settings_env``) with a database and a consumer
    group of this process's own; the group keeps reporting's prefix, which its ACLs allow."""
    own = uuid.uuid4().hex[:6]
    given = settings_env | {
        "mongodb_database": f"{settings_env['mongodb_database']}_{name}_{own}",
        "consumer_group": f"{settings_env['consumer_group']}-{name}-{own}",
        "bulletin_check_seconds": "0",  # bulletins are not under test
        "log_level": "INFO",  # "duplicate events ignored" is logged at INFO
    }
    return {f"DISTRICT_{key.upper()}": str(value) for key, value in (given | overrides).items()}


# The group's offsets --------------------------------------------------------------------------------


async def partitions(options: dict[str, Any], topics: list[str] = TOPICS) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"])


async def end_offsets(options: dict[str, Any]) -> Offsets:
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        found: Offsets = await consumer.end_offsets(await partitions(options))
        return found
    finally:
        await consumer.stop()


async def commit(options: dict[str, Any], group: str, offsets: Offsets) -> None:
    """Commit ``offsets`` for ``group``, which has no member now (a new group, or one whose
    processes stopped): where its consumers start next."""
    consumer = AIOKafkaConsumer(**options, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def committed(options: dict[str, Any], group: str) -> Offsets:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group, partitions=await partitions(options))
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in found.items() if meta.offset >= 0}


async def begin_at_the_end(options: dict[str, Any], group: str) -> Offsets:
    """A new group's offsets at the end of reporting's topics: it reads what is published from now."""
    offsets = await end_offsets(options)
    await commit(options, group, offsets)
    return offsets


async def caught_up(options: dict[str, Any], group: str, ends: Offsets) -> bool:
    """The group has committed everything up to ``ends``: each of those records is stored."""
    now = await committed(options, group)
    return all(now.get(tp, -1) >= offset for tp, offset in ends.items())


async def members(options: dict[str, Any], group: str) -> tuple[str, dict[str, list[TopicPartition]]]:
    """The group's state and each member's assigned partitions."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        [answer] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [described] = answer.to_object()["groups"]
    return described["state"], {
        m["member_id"]: ConsumerProtocolMemberAssignment.decode(m["member_assignment"]).partitions()
        if m["member_assignment"]
        else []
        for m in described["members"]
    }


# Publishing -------------------------------------------------------------------------------------------


async def publish(options: dict[str, Any], events: list[Event]) -> set[TopicPartition]:
    """Publish as the platform's producers do (idempotent, acks=all, keyed by school); the
    partitions the events landed on."""
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in events]
        landed = await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return {TopicPartition(m.topic, m.partition) for m in landed}


def envelope(d: District, school: str, on: date) -> dict[str, Any]:
    return {"producer": "generator", "district_id": d.district_id, "school_id": school, "occurred_at": at(on)}


def deliveries(d: District, count: int, seed: int = 12) -> list[Event]:
    """``count`` more ``notification-delivered`` events to the district's guardians on its contact
    days, kept in ``d.contacts`` for the expected figures: the bulk a consumer is killed in."""
    import random

    rng = random.Random(seed)
    school_of_student = {s.student_id: s for s in d.students}
    guardians = sorted(d.guardians)
    made: list[Event] = []
    for _ in range(count):
        guardian = rng.choice(guardians)
        student = school_of_student[d.guardians[guardian]]
        day = rng.choice(CONTACT_DAYS)
        school = student.school_on(day)
        d.contacts.append((school, guardian, day))
        made.append(
            NotificationDeliveredV1(
                **envelope(d, school, day),
                payload=NotificationDelivered(
                    message_id=f"msg-{uuid.uuid4().hex[:12]}",
                    recipient_kind="guardian",
                    recipient_id=guardian,
                    student_ids=[student.student_id],
                    channel="sms",
                    purpose="announcement",
                    delivered_at=at(day),
                ),
            )
        )
    d.events.extend(made)
    return made


MARKED_ON = date(2026, 11, 16)  # a school day of the autumn term before SCHOOL_TODAY
REACHED_IN = date(2026, 10, 10)  # a contact day of a month the contact measure judges on SCHOOL_TODAY


def markers(d: District) -> list[Event]:
    """One new visit and, where a guardian of the school was not reached in October, one new
    delivery per school, kept in ``d`` for the expected figures. Keyed by school, each lands on
    the partition of that school's visits (deliveries) after whatever was published before it: a
    replica whose figures count it has read everything before it there, duplicates included."""
    made: list[Event] = []
    for school in d.schools:
        staying = [s for s in d.students if s.school == school and not s.moved_to and not s.school_moved_to]
        student = staying[len(d.visits) % len(staying)]
        staff = f"stf-{school[-8:]}-0"
        visit_id = f"vis-mark-{uuid.uuid4().hex[:10]}"
        d.visits.append((visit_id, student.student_id, student.class_id, MARKED_ON, staff))
        made.append(
            VisitLoggedV1(
                **envelope(d, school, MARKED_ON),
                payload=VisitLogged(
                    visit_id=visit_id,
                    student_id=student.student_id,
                    class_id=student.class_id,
                    visiting_staff_ids=[staff],
                    visited_on=MARKED_ON,
                    mode="in_person",
                ),
            )
        )
        reached = {g for s, g, on in d.contacts if s == school and on.month == REACHED_IN.month}
        ids = {s.student_id for s in staying}
        unreached = sorted(g for g, st in d.guardians.items() if st in ids and g not in reached)
        if unreached:
            guardian = unreached[0]
            d.contacts.append((school, guardian, REACHED_IN))
            made.append(
                NotificationDeliveredV1(
                    **envelope(d, school, REACHED_IN),
                    payload=NotificationDelivered(
                        message_id=f"msg-mark-{uuid.uuid4().hex[:10]}",
                        recipient_kind="guardian",
                        recipient_id=guardian,
                        student_ids=[d.guardians[guardian]],
                        channel="sms",
                        purpose="announcement",
                        delivered_at=at(REACHED_IN),
                    ),
                )
            )
    d.events.extend(made)
    return made


# The store ----------------------------------------------------------------------------------------------


def expected_facts(d: District) -> dict[str, int]:
    """The facts the district's events leave, one per event, by collection."""
    return {
        "visit_facts": len(d.visits),
        "meeting_facts": len(d.class_meetings) + len(d.school_meetings),
        "activity_facts": len(d.activities),
        "exchange_facts": len(d.exchanges),
        "contact_facts": len(d.contacts),
        "registry_versions": sum(1 for e in d.events if e.topic.endswith("registry.v1")),
        "follow_up_facts": sum(1 for e in d.events if e.event_type == "follow-ups-changed"),
    }


async def stored_facts(client: AsyncMongoClient[Any], database: str, district_id: str) -> dict[str, int]:
    """The district's facts in a reporting database, by collection (those with any)."""
    db = client[database]
    counts = {c: await db[c].count_documents({"district_id": district_id}) for c in FACT_COLLECTIONS}
    return {c: n for c, n in counts.items() if n}


# The figures against the independent computation ----------------------------------------------------


async def differences(http: httpx.AsyncClient, d: District, today: date) -> list[str]:
    """Every figure of the overview, each school's report and each class's row and report, as a
    replica serves them to the bureau, against ``reporting_expected``: each difference, named."""
    found: list[str] = []

    def compare(where: str, got: Any, expected: Any) -> None:
        if got != expected:
            found.append(f"{where}: reporting {got!r}, expected {expected!r}")

    bureau = bearer(Role.bureau, d.district_id, "bureau-1")
    term = {"term": TERM}
    answer = await http.get("/v1/overview", params=term, headers=bureau)
    if answer.status_code != 200:
        return [f"overview: {answer.status_code} {answer.text[:300]}"]
    overview = answer.json()
    day = min(today, AUTUMN.ends_on)
    enrolled = {s.student_id for s in d.students if school_of(s, day) is not None}
    visited = {v[1] for v in d.visits if TERM_START <= v[3] <= day} & enrolled
    compare("overview students_enrolled", overview["students_enrolled"], len(enrolled))
    compare("overview students_visited", overview["students_visited"], len(visited))
    expected = {s: expected_school(d, s, today) for s in d.schools}
    scores = {s: expected_score(d, s, e) for s, e in expected.items()}
    compare(
        "overview ranking",
        [(r["school_id"], r["score"]) for r in overview["ranking"]],
        [(s, scores[s]) for s in sorted(scores, key=lambda s: (-scores[s], NAMES[d.schools.index(s)], s))],
    )
    for school in d.schools:
        answer = await http.get(f"/v1/schools/{school}/report", params=term, headers=bureau)
        if answer.status_code != 200:
            found.append(f"school {school}: {answer.status_code} {answer.text[:300]}")
            continue
        report, want, where = answer.json(), expected[school], f"school {school}"
        by_key = {m["key"]: m for m in report["measures"]}

        def measure(key: str, *fields: str, by_key: dict[str, Any] = by_key) -> Any:
            return tuple(by_key[key][f] for f in fields) if key in by_key else None

        compare(
            f"{where} home_visit_coverage",
            measure("home_visit_coverage", "numerator", "denominator"),
            (want["visited"], want["enrolled"]),
        )
        compare(
            f"{where} mandatory_visit_coverage",
            measure("mandatory_visit_coverage", "numerator", "denominator"),
            (want["mandatory_visited"], want["mandatory"]),
        )
        compare(
            f"{where} holiday_visit_coverage",
            measure("holiday_visit_coverage", "numerator", "denominator"),
            (want["holiday_visited"], want["enrolled"]),
        )
        for key, figure in (
            ("class_parent_meetings_per_term", "class_meetings_min"),
            ("school_parent_meetings_per_term", "school_meetings"),
            ("open_days_per_term", "open_days"),
            ("reception_days_per_month", "reception_days_min"),
            ("guardian_contacts_per_month", "contact_share"),
        ):
            compare(f"{where} {key}", measure(key, "actual"), (want[figure],))
        compare(f"{where} teacher_visits", report["teacher_visits"], want["teacher_visits"])
        compare(
            f"{where} teachers",
            {t["staff_id"]: t["students_visited"] for t in report["teachers"] if t["teaches"]},
            want["teachers"],
        )
        compare(f"{where} rsvp_rate", report["activity"]["rsvp_rate"], want["rsvp_rate"])
        compare(
            f"{where} partner activities",
            sum(report["activity"]["partner_activities_by_kind"].values()),
            want["activities"],
        )
        compare(
            f"{where} participant_times",
            sum(report["activity"]["participant_times_by_kind"].values()),
            want["participant_times"],
        )
        compare(f"{where} score", report["score"], scores[school])
        rows = {c["class_id"]: c for c in report["classes"]}
        compare(f"{where} classes", sorted(rows), sorted(d.classes[school]))
        for class_id in d.classes[school]:
            wanted = expected_class(d, class_id, today)
            row = rows.get(class_id, {})
            answer = await http.get(f"/v1/classes/{class_id}/report", params=term, headers=bureau)
            alone = answer.json() if answer.status_code == 200 else {}
            for key in (
                "enrolled",
                "visited",
                "mandatory",
                "mandatory_visited",
                "parent_meetings",
                "visits",
                "open_follow_ups",
                "overdue_follow_ups",
            ):
                compare(f"class {class_id} {key} in the school report", row.get(key), wanted[key])
                compare(f"class {class_id} {key} in the class report", alone.get(key), wanted[key])
    return found


Check = Callable[[], Awaitable[bool]]


async def eventually(check: Check, seconds: float, why: Callable[[], object] = lambda: "") -> None:
    """Poll ``check`` until it holds; past the deadline, fail saying ``why()``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s: {why()}")
        await asyncio.sleep(0.3)


async def exact(http: httpx.AsyncClient, d: District, today: date, seconds: float = 60) -> None:
    """Wait until every figure the replica serves equals the independent computation; past the
    deadline, fail naming the figures that differ."""
    last: list[str] = []

    async def equal() -> bool:
        last[:] = await differences(http, d, today)
        return not last

    await eventually(equal, seconds, lambda: last[:15])
