"""Benchmark of the first slice against a running platform (`make up`, then `make bench`).

Posts home visits with a few concurrent teachers, then waits until reporting has counted them
all. Prints HTTP latency percentiles, request throughput and the end-to-end lag (POST answered →
counted by reporting through the change relay, Kafka and the consumer). Bounded: N requests to
127.0.0.1 only, then it stops.
"""

import argparse
import asyncio
import statistics
import time
from datetime import timedelta

import httpx
from pymongo import AsyncMongoClient
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

REGISTRY = "http://127.0.0.1:8001"
SCHEDULING = "http://127.0.0.1:8002"
REPORTING = "http://127.0.0.1:8004"


async def enrol_students(
    http: httpx.AsyncClient, settings: ServiceSettings, count: int
) -> tuple[str, str, list[str]]:
    """A school with one class of ``count`` students (a roster import), known to scheduling."""
    bureau = mint_token(settings, subject="bench", role=Role.bureau, district_id="d-bench")
    school = (
        await http.post(
            f"{REGISTRY}/v1/schools",
            headers={"authorization": f"Bearer {bureau}"},
            json={"name": "基准测试学校", "level": "primary", "setting": "urban"},
        )
    ).json()["school_id"]
    admin = {
        "authorization": "Bearer "
        + mint_token(
            settings, subject="bench-admin", role=Role.school_admin, district_id="d-bench", school_id=school
        )
    }
    class_id = (
        await http.post(
            f"{REGISTRY}/v1/schools/{school}/classes", headers=admin, json={"grade": 3, "name": "三年级1班"}
        )
    ).json()["class_id"]
    roster = "姓名,性别,学号,班级\n" + "".join(f"学生{n},男,B{n:05d},三年级1班\n" for n in range(count))
    (
        await http.post(
            f"{REGISTRY}/v1/schools/{school}/roster?dry_run=false",
            content=roster.encode(),
            headers=admin | {"content-type": "text/csv"},
        )
    ).raise_for_status()
    students = [
        s["student_id"]
        for s in (await http.get(f"{REGISTRY}/v1/classes/{class_id}/students", headers=admin)).json()
    ]
    projection = AsyncMongoClient(settings.mongodb_url)["district_scheduling"]["students"]
    for _ in range(600):  # scheduling learns of the students from the registry's internal topic
        if await projection.count_documents({"school_id": school}) >= count:
            break
        await asyncio.sleep(0.2)
    return school, class_id, students


async def main(visits: int, concurrency: int) -> None:
    settings = ServiceSettings()
    async with httpx.AsyncClient(timeout=60) as http:
        school, class_id, students = await enrol_students(http, settings, visits)
    teacher = mint_token(
        settings,
        subject="stf-bench",
        role=Role.teacher,
        district_id="d-bench",
        school_id=school,
        class_ids=[class_id],
    )
    bureau = mint_token(settings, subject="bureau-bench", role=Role.bureau, district_id="d-bench")
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(visits):
        queue.put_nowait(n)

    async with httpx.AsyncClient(timeout=30) as http:

        async def teacher_posts() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                began = time.perf_counter()
                answer = await http.post(
                    f"{SCHEDULING}/v1/home-visits",
                    headers={"authorization": f"Bearer {teacher}"},
                    json={
                        "student_id": students[n],
                        "class_id": class_id,
                        "visited_on": (ServiceSettings().school_today() - timedelta(days=1)).isoformat(),
                        "mode": "phone",
                    },
                )
                answer.raise_for_status()
                latencies.append(time.perf_counter() - began)

        started = time.perf_counter()
        await asyncio.gather(*(teacher_posts() for _ in range(concurrency)))
        posted = time.perf_counter()
        while True:
            summary = await http.get(
                f"{REPORTING}/v1/schools/{school}/home-visits", headers={"authorization": f"Bearer {bureau}"}
            )
            if summary.json()["visits_logged"] >= visits:
                break
            if time.perf_counter() - posted > 120:
                raise SystemExit(f"reporting counted {summary.json()['visits_logged']} of {visits} in 120 s")
            await asyncio.sleep(0.05)
        counted = time.perf_counter()

    quantiles = statistics.quantiles(latencies, n=100)
    print(f"visits posted: {visits} with {concurrency} concurrent clients")
    print(
        f"POST latency ms: p50 {quantiles[49] * 1000:.1f}  p95 {quantiles[94] * 1000:.1f}  "
        f"max {max(latencies) * 1000:.1f}"
    )
    print(f"POST throughput: {visits / (posted - started):.0f} visits/s")
    print(
        f"all counted by reporting {counted - posted:.2f} s after the last POST answered "
        f"({visits / (counted - started):.0f} visits/s end to end)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.visits, args.concurrency))
