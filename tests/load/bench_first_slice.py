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
import uuid
from datetime import date, timedelta

import httpx
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

SCHEDULING = "http://127.0.0.1:8002"
REPORTING = "http://127.0.0.1:8004"


async def main(visits: int, concurrency: int) -> None:
    settings = ServiceSettings()
    school = f"sch-bench-{uuid.uuid4().hex[:6]}"
    teacher = mint_token(
        settings,
        subject="stf-bench",
        role=Role.teacher,
        district_id="d-yecheng",
        school_id=school,
        class_ids=["cls-bench"],
    )
    bureau = mint_token(settings, subject="bureau-bench", role=Role.bureau, district_id="d-yecheng")
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
                        "student_id": f"stu-{n:05d}",
                        "class_id": "cls-bench",
                        "visited_on": (date.today() - timedelta(days=1)).isoformat(),
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
