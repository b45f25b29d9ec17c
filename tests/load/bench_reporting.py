"""Benchmark of reporting against a running platform (`make up`, then `make bench`).

Publishes a generated district (by default 10 schools, 2 classes each of 40 students, a term of
visits, meetings, activities and deliveries: tests/district_generator.py) to the platform's
topics, waits until reporting has stored it, then measures how long the district overview takes
to answer (median and 95th percentile of N requests) and how long a rebuild from the topics
takes. Bounded: one district, N requests, one rebuild, 127.0.0.1 only.
"""

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from service_kit.auth import Role, mint_token
from service_kit.messaging import kafka_client_options
from service_kit.settings import ServiceSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from district_generator import TERM, generate

REPORTING = "http://127.0.0.1:8004"


async def main(schools: int, per_class: int, requests: int) -> None:
    settings = ServiceSettings()
    district = generate(
        f"d-bench-{uuid.uuid4().hex[:6]}",
        settings.school_today(),
        schools=schools,
        per_class=per_class,
    )
    # as the broker's admin (make bench sets DISTRICT_KAFKA_USERNAME and _PASSWORD): it writes
    # every topic, as the platform's services together would
    producer = AIOKafkaProducer(**kafka_client_options(settings), acks="all", enable_idempotence=True)
    await producer.start()
    began = time.perf_counter()
    sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in district.events]
    await asyncio.gather(*sent)
    await producer.stop()
    visits = AsyncMongoClient(settings.mongodb_url)["district_reporting"]
    while True:  # the live database, or the one the last rebuild switched to
        pointer = await visits["control"].find_one({"_id": "facts_database"})
        facts = AsyncMongoClient(settings.mongodb_url)[pointer["database"]] if pointer else visits
        if await facts["visit_facts"].count_documents({"district_id": district.district_id}) >= len(
            district.visits
        ):
            break
        if time.perf_counter() - began > 600:
            raise SystemExit("reporting did not store the district in 600 s")
        await asyncio.sleep(0.5)
    stored = time.perf_counter() - began
    bureau = {
        "authorization": "Bearer "
        + mint_token(settings, subject="bench", role=Role.bureau, district_id=district.district_id)
    }
    latencies = []
    async with httpx.AsyncClient(timeout=120) as http:
        for _ in range(requests):
            start = time.perf_counter()
            answer = await http.get(f"{REPORTING}/v1/overview", params={"term": TERM}, headers=bureau)
            answer.raise_for_status()
            latencies.append(time.perf_counter() - start)
        start = time.perf_counter()
        run = (await http.post(f"{REPORTING}/v1/rebuilds", headers=bureau)).json()
        while run["status"] == "running":
            await asyncio.sleep(0.5)
            run = (await http.get(f"{REPORTING}/v1/rebuilds/{run['rebuild_id']}", headers=bureau)).json()
        rebuilt = time.perf_counter() - start
    quantiles = statistics.quantiles(latencies, n=20)
    print(
        f"district: {schools} schools, {len(district.students)} students, {len(district.events)} events "
        f"({len(district.visits)} visits); stored by reporting {stored:.1f} s after publishing began"
    )
    median, p95 = statistics.median(latencies) * 1000, quantiles[18] * 1000
    print(f"overview ({requests} requests): median {median:.0f} ms, p95 {p95:.0f} ms")
    print(
        f"rebuild: {run['status']} in {rebuilt:.1f} s: {run['events_replayed']} events replayed "
        f"(every district on the topics) into {run['facts_stored']} facts in {run['replay_seconds']} s, "
        "after waiting two control refreshes for every replica to write to both databases"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.schools, args.per_class, args.requests))
