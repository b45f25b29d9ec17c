"""Benchmark of reporting against a running platform (`make up`, then `make bench-reporting`).

Publishes a generated district's school year (tests/county_generator.py: by default 10 schools and
about 800 students; with ``--county`` 200 schools, 100,000 students, 150,000 guardians and about two
million events, most of them ``notification-delivered``) to the platform's topics as the broker's
admin, then measures, each figure beside its goal (issue 12) and a baseline taken in the same run:

- the events reporting stored per second while the year was published (its facts counted in its
  active facts database), beside what the store takes raw (fact-sized documents inserted through
  PyMongo);
- freshness: during a burst of ``notification-delivered`` events (150,000 at county scale, 1.5 a
  student), marker visits of not-yet-visited students, and the time from each one's publication to
  its figure in its school's report, beside the time to its fact in the store;
- p50 and p95 of the overview, the ranking, a school report, a class report, a teacher report,
  completeness and trends, beside an empty round trip (/healthz) and a raw read through PyMongo of
  as many documents as the answer has rows;
- the time to publish the month's bulletin and to fetch it as JSON, HTML, CSV and XLSX, and the
  rebuild's time, beside a raw read of the district's facts and a raw insert of as many facts;
- the reporting process's peak memory (VmHWM), beside its peak when the run began.

Then it checks a sample of schools and classes (and the overview's totals) against the figures
computed independently (tests/reporting_expected.py, as tests/e2e/test_reporting.py does), after
the burst and again after the rebuild, prints each mismatch, and exits non-zero on one.

Bounded: one district, N requests per view, one burst, one rebuild, 127.0.0.1 only; every wait has a
timeout. The school day is the platform's pinned day (``DISTRICT_SCHOOL_DATE``, as `make up` pins it).

    .venv/bin/python tests/load/bench_reporting.py [--county] [--requests 30] [--markers 20]
        [--sample 5] [--no-rebuild]
"""

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from service_kit.auth import Role, mint_token
from service_kit.messaging import kafka_client_options
from service_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from county_generator import COUNTY, TEN_SCHOOLS, County, CountyYear, Scale, name_of  # noqa: E402
from district_generator import TERM, TERM_START  # noqa: E402
from reporting_expected import (  # noqa: E402
    AUTUMN,
    elapsed,
    expected_class,
    expected_school,
    expected_score,
    school_of,
    status,
)

REPORTING = "http://127.0.0.1:8004"
FACTS = [
    "visit_facts",
    "confirmation_facts",
    "meeting_facts",
    "activity_facts",
    "exchange_facts",
    "contact_facts",
    "registry_versions",
    "follow_up_facts",
    "undelivered_facts",
]
GiB = 1024**3
PATIENCE = 900  # seconds a request is retried while reporting restarts or loads its read model


# measuring ---------------------------------------------------------------------------------------


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 (the nearest rank), in the samples' unit."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]


@dataclass
class Row:
    figure: str
    measured: str
    baseline: str
    goal: str
    met: bool | None  # None: no goal


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def add(
        self, figure: str, measured: str, baseline: str, goal: str = "—", met: bool | None = None
    ) -> None:
        self.rows.append(Row(figure, measured, baseline, goal, met))
        mark = "" if met is None else (" (met)" if met else " (NOT met)")
        print(f"  {figure}: {measured}; baseline {baseline}; goal {goal}{mark}", flush=True)

    def table(self) -> str:
        lines = ["| figure | measured | baseline | goal | met? |", "|---|---|---|---|---|"]
        for r in self.rows:
            met = "—" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.figure} | {r.measured} | {r.baseline} | {r.goal} | {met} |")
        return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def reporting_pid() -> int | None:
    """The reporting process: the pid file `make up` writes, else the process listening on :8004."""
    pid_file = ROOT / ".local" / "run" / "reporting.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().strip())
        if Path(f"/proc/{pid}").exists():
            return pid
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":1F44") and fields[3] == "0A":  # port 8004, listening
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def memory(pid: int | None) -> dict[str, int]:
    """VmHWM and VmRSS of the process, in bytes."""
    if pid is None:
        return {}
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0]) * 1024
    except OSError:
        return {}
    return found


class Reporting:
    """Reporting's HTTP API, retried while the service restarts or loads (503) within a bound: a
    replica loading a county's two million facts back after a rebuild takes minutes."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        deadline = time.perf_counter() + PATIENCE
        while True:
            try:
                answer = await self.http.request(method, f"{REPORTING}{path}", headers=headers, **kwargs)
                if answer.status_code != 503:
                    return answer
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit(f"reporting did not answer {method} {path} within {PATIENCE} s")
            await asyncio.sleep(0.5)

    async def json(self, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        answer = await self.call("GET", path, headers, **kwargs)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()


async def timed(samples: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return times


# the store -------------------------------------------------------------------------------------


class Store:
    """Reporting's active facts database, read raw."""

    def __init__(self, settings: ServiceSettings, district_id: str) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
        self.district_id = district_id

    async def facts(self) -> Any:
        """The database named by the control collection's pointer (the last rebuild's), else the live one."""
        home = self.client["district_reporting"]
        pointer = await home["control"].find_one({"_id": "facts_database"})
        return self.client[pointer["database"]] if pointer else home

    async def counts(self) -> dict[str, int]:
        db, where = await self.facts(), {"district_id": self.district_id}
        return {name: await db[name].count_documents(where) for name in FACTS}

    async def read(self, collection: str, where: dict[str, Any], limit: int = 0) -> int:
        db = await self.facts()
        return len(
            await db[collection].find({"district_id": self.district_id} | where).limit(limit).to_list()
        )

    async def read_all(self) -> int:
        db, where = await self.facts(), {"district_id": self.district_id}
        return sum([len(await db[name].find(where).to_list()) for name in FACTS])

    async def insert_rate(self, documents: int) -> float:
        """Fact-sized documents the store takes per second, inserted raw in batches of 1,000 into a
        scratch collection dropped afterwards."""
        scratch = self.client["district_reporting_bench"][f"baseline_{uuid.uuid4().hex[:8]}"]
        batch = [
            {
                "_id": f"msg-{n:08d}:sms",
                "district_id": self.district_id,
                "school_id": "sch-baseline",
                "event_id": str(uuid.uuid4()),
                "recorded": "2026-10-10",
                "recipient_kind": "guardian",
                "recipient_id": f"gdn-{n}",
                "on": "2026-10-10",
            }
            for n in range(documents)
        ]
        start = time.perf_counter()
        for n in range(0, documents, 1000):
            await scratch.insert_many(batch[n : n + 1000], ordered=False)
        took = time.perf_counter() - start
        await scratch.drop()
        return documents / took


# publishing --------------------------------------------------------------------------------------


async def backlog(settings: ServiceSettings, group: str = "district-reporting") -> int | None:
    """Events on reporting's topics its consumer group has not taken yet (earlier runs, other
    districts): reporting stores them before this run's, so they slow the first figure."""
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    consumer = AIOKafkaConsumer(**kafka_client_options(settings))
    try:
        await admin.start()
        await consumer.start()
        committed = await admin.list_consumer_group_offsets(group)
        ends = await consumer.end_offsets(list(committed))
        return int(sum(max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0))
    except Exception as error:  # the figure is context only: say why it is missing and go on
        print(f"  (the consumer group's backlog is unknown: {error!r})")
        return None
    finally:
        await consumer.stop()
        await admin.close()


async def publish(producer: AIOKafkaProducer, events: Iterator[Any], chunk: int = 5000) -> int:
    """Every event keyed by its school (one school's events keep their order), acknowledged."""
    sent, pending = 0, []
    for event in events:
        pending.append(await producer.send(event.topic, event.to_json(), key=event.school_id.encode()))
        sent += 1
        if len(pending) >= chunk:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    return sent


async def taken(settings: ServiceSettings, group: str = "district-reporting") -> tuple[int, int]:
    """The reporting group's committed offsets and the topics' ends, summed over its partitions: a
    batch's offsets are committed only once its facts are stored, so equal means all stored."""
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**kafka_client_options(settings))
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(offsets))
    finally:
        await consumer.stop()
    return sum(max(m.offset, 0) for m in offsets.values()), sum(ends.values())


async def stored_while(
    settings: ServiceSettings, store: Store, began: float, bound: float
) -> tuple[int, float, float]:
    """Wait until reporting's group has committed every event published (its facts stored), then
    count the district's facts once (a count scans the collections on FerretDB: minutes at county
    scale, so it is not the way to poll); the facts, the time from the first publication to the
    last commit, and the best rate of events taken between two polls."""
    last, last_at, best = -1, began, 0.0
    while True:
        committed, end = await taken(settings)
        now = time.perf_counter()
        if last >= 0 and committed > last:
            best = max(best, (committed - last) / (now - last_at))
        if committed != last:
            last, last_at = committed, now
        if committed >= end and now - began > 5:
            break
        if now - began > bound:
            raise SystemExit(f"reporting took {committed:,} of {end:,} events in {bound:.0f} s, not all")
        await asyncio.sleep(1.0)
    counts = await store.counts()
    return sum(counts.values()), last_at - began, best


# the exactness check ------------------------------------------------------------------------------


def compare(found: list[str], where: str, got: Any, expected: Any) -> None:
    if got != expected:
        found.append(f"{where}: reporting {got!r}, expected {expected!r}")


async def check_exact(
    api: Reporting,
    record: County,
    today: date,
    bureau: dict[str, str],
    sample: list[str],
    settings: ServiceSettings,
) -> list[str]:
    """The sampled schools' reports, their classes' rows and class reports, one teacher's report and
    the overview's totals, against reporting_expected; each difference, named."""
    found: list[str] = []
    term = AUTUMN
    overview = await api.json("/v1/overview", bureau, params={"term": TERM})
    day = min(today, term.ends_on)
    enrolled = {s.student_id for s in record.students if school_of(s, day) is not None}
    visited = {v[1] for v in record.visits if TERM_START <= v[3] <= day} & enrolled
    compare(found, "overview students_enrolled", overview["students_enrolled"], len(enrolled))
    compare(found, "overview students_visited", overview["students_visited"], len(visited))
    compare(found, "overview schools", overview["schools"], len(record.schools))
    scores = {r["school_id"]: r["score"] for r in overview["ranking"]}
    for school in sample:
        expected = expected_school(record, school, today, term)
        report = await api.json(f"/v1/schools/{school}/report", bureau, params={"term": TERM})
        where = f"school {school}"
        compare(found, f"{where} as_of", report["as_of"], day.isoformat())
        by_key = {m["key"]: m for m in report["measures"]}
        pairs = {
            "home_visit_coverage": (
                ("numerator", "denominator"),
                (expected["visited"], expected["enrolled"]),
            ),
            "mandatory_visit_coverage": (
                ("numerator", "denominator"),
                (expected["mandatory_visited"], expected["mandatory"]),
            ),
            "holiday_visit_coverage": (
                ("numerator", "denominator"),
                (expected["holiday_visited"], expected["enrolled"]),
            ),
            "class_parent_meetings_per_term": (("actual",), (expected["class_meetings_min"],)),
            "school_parent_meetings_per_term": (("actual",), (expected["school_meetings"],)),
            "open_days_per_term": (("actual",), (expected["open_days"],)),
            "reception_days_per_month": (("actual",), (expected["reception_days_min"],)),
            "guardian_contacts_per_month": (("actual",), (expected["contact_share"],)),
        }
        for key, (fields, values) in pairs.items():
            got = tuple(by_key[key][f] for f in fields) if key in by_key else None
            compare(found, f"{where} {key}", got, values)
        quota = by_key.get("teachers_reaching_visit_quota_per_term", {})
        reaching, teachers = expected["teachers_reaching_quota"], len(expected["teachers"])
        compare(
            found,
            f"{where} teachers_reaching_visit_quota_per_term",
            (quota.get("numerator"), quota.get("denominator"), quota.get("status")),
            (reaching, teachers, status(reaching / teachers, 1.0, elapsed(term, today))),
        )
        compare(found, f"{where} teacher_visits", report["teacher_visits"], expected["teacher_visits"])
        compare(
            found,
            f"{where} teachers",
            {t["staff_id"]: t["students_visited"] for t in report["teachers"] if t["teaches"]},
            expected["teachers"],
        )
        compare(found, f"{where} rsvp_rate", report["activity"]["rsvp_rate"], expected["rsvp_rate"])
        compare(
            found,
            f"{where} partner activities",
            sum(report["activity"]["partner_activities_by_kind"].values()),
            expected["activities"],
        )
        compare(
            found,
            f"{where} participant_times",
            sum(report["activity"]["participant_times_by_kind"].values()),
            expected["participant_times"],
        )
        score = expected_score(record, school, expected)
        compare(found, f"{where} score", report["score"], score)
        compare(found, f"{where} score in the overview", scores.get(school), score)
        rows = {c["class_id"]: c for c in report["classes"]}
        compare(found, f"{where} classes", sorted(rows), sorted(record.classes[school]))
        for class_id in record.classes[school]:
            want = expected_class(record, class_id, today, term)
            row = rows.get(class_id, {})
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
                compare(found, f"class {class_id} {key}", row.get(key), want[key])
        # the class report, as the class's head teacher sees it: the unvisited 三必访 students by name
        class_id = record.classes[school][-1]
        head = teacher_of(record, class_id)
        mine = await api.json(
            f"/v1/classes/{class_id}/report", teacher_token(settings, record, head), params={"term": TERM}
        )
        want = expected_class(record, class_id, today, term)
        for key in ("enrolled", "visited", "mandatory", "mandatory_visited", "parent_meetings", "visits"):
            compare(found, f"class report {class_id} {key}", mine.get(key), want[key])
        compare(
            found,
            f"class report {class_id} unvisited_mandatory",
            [(u["student_id"], u["name"]) for u in mine.get("unvisited_mandatory") or []],
            [(s, name_of(s)) for s in want["unvisited_mandatory"]],
        )
    return found


def teacher_of(record: County, class_id: str) -> str:
    """The class's head teacher (the first staff who teaches only that class)."""
    return next(t for t, classes in record.teacher_classes.items() if classes == [class_id])


def teacher_token(settings: ServiceSettings, record: County, staff_id: str) -> dict[str, str]:
    token = mint_token(
        settings,
        subject=staff_id,
        role=Role.teacher,
        district_id=record.district_id,
        school_id=record.teachers[staff_id],
        class_ids=record.teacher_classes[staff_id],
    )
    return {"authorization": f"Bearer {token}"}


# the run -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    name: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]
    rows: int  # documents in its answer, read raw as the baseline
    where: dict[str, Any]  # which registry documents
    goal: float | None  # p95, in seconds


@dataclass
class Marker:
    school: str
    visit_id: str
    target: int  # the school's coverage numerator once this visit counts
    published: float = 0.0
    stored: float | None = None
    visible: float | None = None


async def freshness(
    api: Reporting,
    store: Store,
    producer: AIOKafkaProducer,
    year: CountyYear,
    today: date,
    bureau: dict[str, str],
    burst: int,
    markers: int,
) -> tuple[list[Marker], float]:
    """A burst of messages to guardians dated last month (late: they land in the month they say),
    with marker visits of not-yet-visited students spread through it; each marker's time to its fact
    in the store and to its figure in its school's report."""
    record = year.record
    schools = record.schools
    base: dict[str, int] = {}
    for school in schools[: min(markers, len(schools))]:
        report = await api.json(f"/v1/schools/{school}/report", bureau, params={"term": TERM})
        base[school] = next(m["numerator"] for m in report["measures"] if m["key"] == "home_visit_coverage")
    last_month_ends = today.replace(day=1) - timedelta(days=1)
    messages = [
        (e.topic, e.to_json(), e.school_id.encode())
        for e in year.burst(burst, last_month_ends.replace(day=1), last_month_ends)
    ]
    planned: list[tuple[int, Marker, tuple[str, bytes, bytes]]] = []
    for n in range(markers):
        school = schools[n % len(base)]
        made = year.marker_visit(school, today)
        if made is None:
            continue
        event, _ = made
        base[school] += 1
        marker = Marker(school, event.payload.visit_id, base[school])
        planned.append(
            (
                (n + 1) * len(messages) // (markers + 1),
                marker,
                (event.topic, event.to_json(), school.encode()),
            )
        )
    stream: list[tuple[Marker | None, tuple[str, bytes, bytes]]] = [(None, m) for m in messages]
    for position, marker, message in reversed(planned):
        stream.insert(position, (marker, message))

    async def send() -> float:
        start = time.perf_counter()
        pending = []
        for n, (marker, (topic, value, key)) in enumerate(stream):
            if marker is not None:
                marker.published = time.perf_counter()
            pending.append(await producer.send(topic, value, key=key))
            if n % 500 == 0:
                await asyncio.sleep(0)  # let the store's watcher run
        await asyncio.gather(*pending)
        return time.perf_counter() - start

    waiting = [m for _, m, _ in planned]
    deadline = time.perf_counter() + 600
    stopped = threading.Event()  # the run failed elsewhere: the thread stops too

    def watch() -> None:
        """Each round, each school with a pending marker asked once (a school's markers are visible in
        the order they were published). In a thread of its own with its own client: on the
        producer's event loop, which sends the burst flat out, each request waited for the loop
        between chunks of sends, so the rounds measured the producer rather than reporting. Only
        reporting's API: a query of the store, which FerretDB answers by scanning the collection,
        would make each round as slow as the scan."""
        with httpx.Client(timeout=60) as http:
            while any(m.visible is None for m in waiting) and not stopped.is_set():
                pending = [m for m in waiting if m.published and m.visible is None]
                for school in dict.fromkeys(m.school for m in pending):
                    try:
                        answer = http.get(
                            f"{REPORTING}/v1/schools/{school}/report", headers=bureau, params={"term": TERM}
                        )
                    except httpx.TransportError:
                        continue  # asked again next round, as Reporting.call would
                    if answer.status_code == 503:  # loading: asked again next round
                        continue
                    answer.raise_for_status()
                    measures = answer.json()["measures"]
                    seen = next(m["numerator"] for m in measures if m["key"] == "home_visit_coverage")
                    now = time.perf_counter()
                    for marker in pending:
                        if marker.school == school and seen >= marker.target:
                            marker.visible = now
                if time.perf_counter() > deadline:
                    raise SystemExit("a marker's figure was not visible within 600 s")
                time.sleep(0.05)

    async def watch_store() -> None:
        """The pending markers' facts in the store, in one query a round, apart from ``watch``."""
        db = await store.facts()
        while any(m.stored is None for m in waiting):
            unstored = {m.visit_id: m for m in waiting if m.published and m.stored is None}
            if unstored:
                async for fact in db["visit_facts"].find({"_id": {"$in": list(unstored)}}, {"_id": 1}):
                    unstored[fact["_id"]].stored = time.perf_counter()
            if time.perf_counter() > deadline:
                raise SystemExit("a marker's fact was not stored within 600 s")
            await asyncio.sleep(0.2)

    try:
        sent, _, _ = await asyncio.gather(send(), asyncio.to_thread(watch), watch_store())
    finally:
        stopped.set()
    return [m for _, m, _ in planned], sent


async def main(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    today = date.fromisoformat(args.today) if args.today else settings.school_today()
    scale: Scale = COUNTY if args.county else TEN_SCHOOLS
    if args.schools:
        scale = Scale(args.schools, scale.classes_per_school, scale.students_per_school)
    district_id = f"d-bench-{uuid.uuid4().hex[:6]}"
    results = Results()
    pid = reporting_pid()
    began_memory = memory(pid)
    print(f"reporting: pid {pid}, VmHWM {began_memory.get('VmHWM', 0) / 2**20:,.0f} MiB when the run began")
    print(f"school day {today}; district {district_id}; seed {args.seed}")

    start = time.perf_counter()
    year = CountyYear(district_id, scale, args.seed)
    record = year.record
    print(
        f"planned {len(record.schools)} schools, {len(record.students):,} students, "
        f"{len(record.guardians):,} guardians in {time.perf_counter() - start:.1f} s"
    )
    bureau = {
        "authorization": "Bearer "
        + mint_token(settings, subject="bench", role=Role.bureau, district_id=district_id)
    }
    store = Store(settings, district_id)
    # as the broker's admin (make bench-reporting sets DISTRICT_KAFKA_USERNAME and _PASSWORD): it
    # writes every topic, as the platform's services together would
    producer = AIOKafkaProducer(
        **kafka_client_options(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=262144,
    )
    await producer.start()
    try:
        return await run(
            args, settings, today, record, year, store, producer, bureau, results, pid, began_memory
        )
    finally:
        await producer.stop()


async def run(
    args: argparse.Namespace,
    settings: ServiceSettings,
    today: date,
    record: County,
    year: CountyYear,
    store: Store,
    producer: AIOKafkaProducer,
    bureau: dict[str, str],
    results: Results,
    pid: int | None,
    began_memory: dict[str, int],
) -> int:
    """Publish, measure and check; the table of figures, and 1 on a mismatch."""
    async with httpx.AsyncClient(timeout=300) as http:
        api = Reporting(http)
        await api.call("GET", "/healthz", {})
        behind = await backlog(settings)
        if behind is not None:
            print(f"reporting's consumer group had {behind:,} events of earlier runs still to take")
        print("publishing the year …", flush=True)
        began = time.perf_counter()
        sent = await publish(producer, year.events())
        published = time.perf_counter() - began
        total, took, best = await stored_while(settings, store, began, args.store_timeout)
        print(
            f"published {sent:,} events in {published:.1f} s ({sent / published:,.0f}/s): "
            f"{dict(record.counts.most_common())}"
        )
        raw_insert = await store.insert_rate(min(50_000, max(10_000, total // 20)))
        print(f"stored {total:,} facts {took:.1f} s after publishing began")
        # the school day reporting answers as of (its pinned day, while inside the autumn term)
        as_of = date.fromisoformat((await api.json("/v1/overview", bureau, params={"term": TERM}))["as_of"])
        if as_of < AUTUMN.ends_on and as_of != today:
            print(
                f"reporting's school day is {as_of}, not {today}: "
                f"the expected figures are computed as of {as_of}"
            )
            today = as_of
        results.add(
            "events stored per second (year published)",
            f"{total / took:,.0f}/s ({total:,} facts in {took:,.1f} s; best {best:,.0f} events/s)",
            f"raw insert {raw_insert:,.0f}/s",
        )

        # the views
        print("views …", flush=True)
        health = await timed(args.requests, lambda: api.call("GET", "/healthz", {}))
        h50, h95 = quantiles(health)
        school = record.schools[0]
        class_id = record.classes[school][-1]
        head = teacher_of(record, class_id)
        subject = next(
            t for t, cs in record.teacher_classes.items() if record.teachers[t] == school and len(cs) > 1
        )
        # each view, with as many registry documents to read raw as its answer has rows
        autumn, schools = {"term": TERM}, {"kind": "school"}
        n = len(record.schools)
        views = [
            View("overview", "/v1/overview", bureau, autumn, n, schools, 0.2),
            View("ranking", "/v1/rankings", bureau, autumn, n, schools, 0.2),
            View(
                "school report",
                f"/v1/schools/{school}/report",
                bureau,
                autumn,
                len(record.classes[school]) + 1,
                {"kind": "class", "school_id": school},
                0.2,
            ),
            View(
                "class report",
                f"/v1/classes/{class_id}/report",
                teacher_token(settings, record, head),
                autumn,
                1,
                {"kind": "class", "record_id": class_id},
                0.1,
            ),
            View(
                "teacher report",
                "/v1/teachers/me/report",
                teacher_token(settings, record, subject),
                autumn,
                len(record.teacher_classes[subject]),
                {"kind": "class", "school_id": school},
                0.1,
            ),
            View("completeness", "/v1/completeness", bureau, {"month": args.month}, n, schools, None),
            View("trends", "/v1/trends", bureau, {"school_year": "2026-2027"}, 10, schools, None),
        ]
        for view in views:
            first = await api.call("GET", view.path, view.headers, params=view.params)
            if first.status_code != 200:
                results.mismatches.append(f"{view.name}: {first.status_code} {first.text[:300]}")
                continue
            latencies = await timed(
                args.requests, functools.partial(api.json, view.path, view.headers, params=view.params)
            )
            raw = await timed(
                args.requests, functools.partial(store.read, "registry_versions", view.where, view.rows)
            )
            p50, p95 = quantiles(latencies)
            r50, r95 = quantiles(raw)
            results.add(
                f"{view.name} p50 / p95",
                f"{ms(p50)} / {ms(p95)}",
                f"/healthz {ms(h50)} / {ms(h95)}; raw read of {view.rows} docs {ms(r50)} / {ms(r95)}",
                "—" if view.goal is None else f"p95 ≤ {view.goal * 1000:.0f} ms",
                None if view.goal is None else p95 <= view.goal,
            )

        # freshness during a burst
        burst = args.burst if args.burst is not None else round(1.5 * len(record.students))
        print(
            f"freshness: a burst of {burst:,} notification-delivered events with {args.markers} markers …",
            flush=True,
        )
        markers, sent_in = await freshness(api, store, producer, year, today, bureau, burst, args.markers)
        fresh = [m.visible - m.published for m in markers if m.visible is not None]
        facts = [m.stored - m.published for m in markers if m.stored is not None]
        f50, f95 = quantiles(fresh)
        s50, s95 = quantiles(facts)
        print(f"  the burst was published in {sent_in:.1f} s ({burst / sent_in:,.0f}/s)")
        results.add(
            f"freshness p50 / p95 ({len(fresh)} markers, burst of {burst:,})",
            f"{ms(f50)} / {ms(f95)}",
            f"fact in the store {ms(s50)} / {ms(s95)}",
            "p95 ≤ 5 s",
            f95 <= 5,
        )

        # exact, after the burst
        print("exactness: the sampled schools and classes against reporting_expected …", flush=True)
        picker = random.Random(args.seed)
        moved_to = [p.placements[-1][1] for p in record.students if len(p.placements) > 1]
        sample = list(
            dict.fromkeys(
                [
                    record.schools[0],
                    *moved_to[:1],
                    *picker.sample(record.schools, min(args.sample, len(record.schools))),
                ]
            )
        )[: args.sample]
        start = time.perf_counter()
        found = await check_exact(api, record, today, bureau, sample, settings)
        print(
            f"  {len(sample)} schools, {sum(len(record.classes[s]) for s in sample)} classes checked "
            f"in {time.perf_counter() - start:.1f} s: {'OK' if not found else f'{len(found)} mismatches'}"
        )
        for line in found:
            print(f"  MISMATCH {line}")
        results.mismatches += found

        # the bulletin
        print(f"bulletin of {args.month} …", flush=True)
        start = time.perf_counter()
        raw_all = await store.read_all()
        raw_read = time.perf_counter() - start
        start = time.perf_counter()
        posted = await api.call("POST", f"/v1/bulletins/{args.month}", bureau)
        publishing = time.perf_counter() - start
        if posted.status_code not in (200, 201):
            results.mismatches.append(f"bulletin: {posted.status_code} {posted.text[:300]}")
        results.add(
            f"bulletin {args.month} published",
            ms(publishing),
            f"raw read of the district's {raw_all:,} facts {ms(raw_read)}",
            "≤ 10 s",
            publishing <= 10,
        )
        for form in ("json", "html", "csv", "xlsx"):
            start = time.perf_counter()
            got = await api.call("GET", f"/v1/bulletins/{args.month}", bureau, params={"format": form})
            took = time.perf_counter() - start
            if got.status_code != 200:
                results.mismatches.append(f"bulletin as {form}: {got.status_code} {got.text[:300]}")
            results.add(
                f"bulletin as {form} ({len(got.content):,} bytes)",
                ms(took),
                f"/healthz {ms(h50)}",
                "≤ 10 s",
                took <= 10,
            )

        # the rebuild
        if not args.no_rebuild:
            print("rebuild …", flush=True)
            start = time.perf_counter()
            run = (await api.call("POST", "/v1/rebuilds", bureau)).json()
            while run.get("status") == "running":
                if time.perf_counter() - start > args.rebuild_timeout:
                    raise SystemExit(f"the rebuild ran longer than {args.rebuild_timeout} s: {run}")
                await asyncio.sleep(1.0)
                polled = await api.call("GET", f"/v1/rebuilds/{run['rebuild_id']}", bureau)
                # a rebuild whose run is gone (reporting restarted meanwhile) is a failure to report
                run = (
                    polled.json()
                    if polled.status_code == 200
                    else run | {"status": f"HTTP {polled.status_code}"}
                )
            rebuilt = time.perf_counter() - start
            if run.get("status") != "done":
                results.mismatches.append(f"rebuild: {json.dumps(run)[:500]}")
            replayed, stored_facts = run.get("events_replayed", 0), run.get("facts_stored", 0)
            results.add(
                f"rebuild ({replayed:,} events of every district replayed, {stored_facts:,} facts)",
                f"{ms(rebuilt)} ({run.get('status')})",
                f"raw insert of {stored_facts:,} facts {ms(stored_facts / raw_insert)}",
                "≤ 15 min",
                rebuilt <= 15 * 60,
            )
            found = await check_exact(api, record, today, bureau, sample, settings)
            print(
                f"  after the rebuild: {'OK, the same figures' if not found else f'{len(found)} mismatches'}"
            )
            for line in found:
                print(f"  MISMATCH (after the rebuild) {line}")
            results.mismatches += [f"after the rebuild: {line}" for line in found]

    pid_now = reporting_pid()
    ended = memory(pid_now)
    peak = ended.get("VmHWM", 0)
    restarted = " (reporting restarted during the run)" if pid_now != pid else ""
    results.add(
        "reporting's peak memory (VmHWM)" + restarted,
        f"{peak / 2**20:,.0f} MiB",
        f"{began_memory.get('VmHWM', 0) / 2**20:,.0f} MiB when the run began",
        "≤ 1 GiB",
        0 < peak <= GiB,
    )
    print()
    print(
        f"district: {len(record.schools)} schools, {len(record.students):,} students, "
        f"{len(record.guardians):,} guardians, {sum(record.counts.values()):,} events; school day {today}"
    )
    print(results.table())
    print(
        f"| exact (sample of {len(sample)} schools and their classes, overview totals) | "
        f"{'OK' if not results.mismatches else f'{len(results.mismatches)} mismatches'} | — | every figure | "
        f"{'yes' if not results.mismatches else '**no**'} |"
    )
    return 1 if results.mismatches else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--county", action="store_true", help="200 schools, 100,000 students (else 10 schools)"
    )
    parser.add_argument("--schools", type=int, help="another number of schools, at the preset's size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=30, help="requests per view")
    parser.add_argument("--markers", type=int, default=20)
    parser.add_argument("--burst", type=int, help="messages in the burst (default 1.5 a student)")
    parser.add_argument("--sample", type=int, default=5, help="schools checked against the expected figures")
    parser.add_argument("--month", default="2026-10", help="the bulletin's and completeness's month")
    parser.add_argument("--today", help="the school day (default: the platform's pinned day)")
    parser.add_argument("--store-timeout", type=float, default=3600)
    parser.add_argument("--rebuild-timeout", type=float, default=1800)
    parser.add_argument("--no-rebuild", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
