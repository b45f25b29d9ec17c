"""Benchmark of notifications against a running platform (`make up`, then `make bench`).

Enrols a class of N students with one guardian each (a roster import), gives half of them an email
address and email as their channel, turns quiet hours off for all (so the run does not wait for the
morning), then sends one announcement to the class and measures how fast the messages reach the
loopback SMTP server and the loopback SMS provider (deploy/local/channels_standin.py, port 8025).
Bounded: N guardians on 127.0.0.1 only, then it stops.
"""

import argparse
import asyncio
import time

import httpx
from pymongo import AsyncMongoClient
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

REGISTRY = "http://127.0.0.1:8001"
NOTIFICATIONS = "http://127.0.0.1:8003"
STAND_IN = "http://127.0.0.1:8025"


def bearer(settings: ServiceSettings, role: Role, subject: str, school: str | None = None) -> dict[str, str]:
    token = mint_token(settings, subject=subject, role=role, district_id="d-bench", school_id=school)
    return {"authorization": f"Bearer {token}"}


async def enrol(http: httpx.AsyncClient, settings: ServiceSettings, count: int) -> tuple[str, str, dict]:
    school = (
        await http.post(
            f"{REGISTRY}/v1/schools",
            headers=bearer(settings, Role.bureau, "bench"),
            json={"name": "通知基准测试学校", "level": "primary", "setting": "urban"},
        )
    ).json()["school_id"]
    admin = bearer(settings, Role.school_admin, "bench-admin", school)
    class_id = (
        await http.post(
            f"{REGISTRY}/v1/schools/{school}/classes", headers=admin, json={"grade": 4, "name": "四年级1班"}
        )
    ).json()["class_id"]
    stamp = int(time.time()) % 10_000
    roster = "姓名,性别,学号,班级,家长姓名,关系,联系电话\n" + "".join(
        f"学生{n},女,N{n:05d},四年级1班,家长{n},母亲,13{stamp:04d}{n:05d}\n" for n in range(count)
    )
    (
        await http.post(
            f"{REGISTRY}/v1/schools/{school}/roster?dry_run=false",
            content=roster.encode(),
            headers=admin | {"content-type": "text/csv"},
        )
    ).raise_for_status()
    return school, class_id, admin


async def main(count: int, concurrency: int) -> None:
    settings = ServiceSettings()
    guardians = AsyncMongoClient(settings.mongodb_url)["district_notifications"]["guardians"]
    async with httpx.AsyncClient(timeout=60) as http:
        school, class_id, admin = await enrol(http, settings, count)
        for _ in range(600):  # notifications learns of the guardians from the registry's internal topic
            known = await guardians.find({"school_id": school}).to_list()
            if len(known) >= count:
                break
            await asyncio.sleep(0.2)
        known.sort(key=lambda g: g["_id"])
        by_email = known[: count // 2]
        slots = asyncio.Semaphore(concurrency)

        async def prepare(n: int, guardian: dict) -> None:
            async with slots:
                if n < len(by_email):
                    answer = await http.patch(
                        f"{REGISTRY}/v1/guardians/{guardian['_id']}",
                        json={"email": f"parent{n}@bench.example.cn", "preferred_channel": "email"},
                        headers=admin,
                    )
                    answer.raise_for_status()
                answer = await http.put(
                    f"{NOTIFICATIONS}/v1/preferences",
                    json={"quiet_hours": False},
                    headers=bearer(settings, Role.guardian, guardian["_id"], school),
                )
                answer.raise_for_status()

        await asyncio.gather(*(prepare(n, g) for n, g in enumerate(known)))
        for _ in range(600):
            with_email = await guardians.count_documents(
                {"school_id": school, "contacts.email": {"$ne": None}}
            )
            if with_email >= len(by_email):
                break
            await asyncio.sleep(0.2)
        before = (await http.get(f"{STAND_IN}/stats")).json()
        started = time.perf_counter()
        answer = await http.post(
            f"{NOTIFICATIONS}/v1/announcements",
            headers=admin,
            json={
                "school_id": school,
                "audience": {"kind": "class", "class_ids": [class_id]},
                "variables": {"title": "致家长的一封信", "body": "请关注孩子的冬季安全。"},
            },
        )
        answer.raise_for_status()
        accepted = time.perf_counter()
        first_at = None
        while True:
            now = (await http.get(f"{STAND_IN}/stats")).json()
            mail, sms = now["mail"] - before["mail"], now["sms"] - before["sms"]
            if first_at is None and mail + sms:
                first_at = time.perf_counter()
            if mail + sms >= count:
                break
            if time.perf_counter() - started > 600:
                raise SystemExit(f"only {mail} mails and {sms} SMS of {count} arrived in 600 s")
            await asyncio.sleep(0.05)
        done = time.perf_counter()
    took = done - started
    print(f"guardians: {count} ({mail} by email over SMTP, {sms} by SMS through the HTTP provider)")
    print(f"announcement accepted in {accepted - started:.2f} s (addressing and queueing {count} messages)")
    print(f"first message arrived after {(first_at or done) - started:.2f} s; all after {took:.2f} s")
    sending = count / (done - accepted)
    print(f"throughput: {count / took:.1f} messages/s end to end, {sending:.1f} messages/s sending")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guardians", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.guardians, args.concurrency))
