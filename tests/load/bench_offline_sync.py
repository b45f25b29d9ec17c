"""Benchmark of the teacher's offline sync (issue 15) against a running platform (`make up` first).

A teacher of the demo district's 叶城县第九小学 三年级2班 (hired for the run through the registry,
their account activated with the link the mail stand-in received, as the activation page does)
signs in in Debian's Chromium (Playwright, a 360 px phone) and opens 登记家访 once online (the
service worker installs the app, the class is kept on the phone); the phone goes offline, N visits
are put in its outbox (IndexedDB, as the form puts them: each with its own Idempotency-Key, in the
order entered), the page is reloaded offline, then the network comes back and the app syncs on its
own (the `online` event). Prints how long the sync took from the network coming back to the last
visit answered, the POSTs' latencies, and checks in scheduling that each visit was recorded exactly
once. Bounded: 127.0.0.1 only, N requests, then it stops.

    .venv/bin/python tests/load/bench_offline_sync.py [--visits 50]
"""

import argparse
import asyncio
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright, expect
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from phone_pages import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402

PORTAL, REGISTRY, CHANNELS = "http://127.0.0.1:8000", "http://127.0.0.1:8001", "http://127.0.0.1:8025"
DISTRICT, SCHOOL, CLASS = "d-yecheng", "叶城县第九小学", "三年级2班"  # deploy/local/demo.py
PASSWORD = "基准测试老师2026秋季"
VISITS = "/api/scheduling/v1/home-visits"


def bearer(role: Role, school_id: str | None = None) -> dict[str, str]:
    token = mint_token(
        ServiceSettings(), subject="bench-admin", role=role, district_id=DISTRICT, school_id=school_id
    )
    return {"authorization": f"Bearer {token}"}


async def bench_teacher(http: httpx.AsyncClient, wait: float) -> tuple[str, str]:
    """A teacher of the demo class, hired for this run; their account activated. Returns (account, class)."""
    schools = (await http.get(f"{REGISTRY}/v1/schools", headers=bearer(Role.bureau))).json()
    school_id = next(s["school_id"] for s in schools if s["name"] == SCHOOL)
    admin = bearer(Role.school_admin, school_id)
    classes = (await http.get(f"{REGISTRY}/v1/schools/{school_id}/classes", headers=admin)).json()
    class_id = next(c["class_id"] for c in classes if c["name"] == CLASS)
    phone = "137" + str(uuid.uuid4().int)[:8]
    email = f"bench{phone}@no9.yecheng.example.cn"
    hired = await http.post(
        f"{REGISTRY}/v1/schools/{school_id}/staff",
        json={
            "name": "基准老师",
            "roles": ["subject_teacher"],
            "class_ids": [class_id],
            "phone": phone,
            "email": email,
        },
        headers=admin,
    )
    hired.raise_for_status()
    deadline = time.monotonic() + wait  # a platform just started catches up on the broker first
    while time.monotonic() < deadline:
        mails = (await http.get(f"{CHANNELS}/mail", params={"to": email})).json()
        tokens = [m[1] for mail in mails for m in re.finditer(r"/activate#([A-Za-z0-9_\-]+)", mail["body"])]
        for token in reversed(tokens):
            csrf = (await http.get(f"{PORTAL}/auth/csrf", headers={"origin": PORTAL})).cookies["portal_csrf"]
            answer = await http.post(
                f"{PORTAL}/auth/activate",
                json={"token": token, "password": PASSWORD},
                headers={"origin": PORTAL, "x-csrf-token": csrf, "cookie": f"portal_csrf={csrf}"},
            )
            if answer.status_code == 200:
                return phone, class_id
        await asyncio.sleep(0.3)
    raise SystemExit(f"no activation link for {email} at {CHANNELS}/mail")


PUT_IN_OUTBOX = """async (items) => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('district-portal')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  await new Promise((resolve, reject) => {
    const tx = db.transaction('outbox', 'readwrite')
    for (const item of items) tx.objectStore('outbox').put(item)
    tx.oncomplete = resolve
    tx.onerror = () => reject(tx.error)
  })
  db.close()
}"""


def outbox_items(
    owner: str, class_id: str, students: list[dict], day: str, marker: str, count: int
) -> list[dict]:
    """What the visit form puts in the outbox for each visit entered offline (src/lib/sync.ts)."""
    items = []
    for n in range(count):
        student = students[n % len(students)]
        entered = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        items.append(
            {
                "id": f"visit-{uuid.uuid4()}",
                "owner": owner,
                "method": "POST",
                "path": VISITS,
                "body": {
                    "student_id": student["student_id"],
                    "class_id": class_id,
                    "visited_on": day,
                    "mode": "phone",
                    "topics": [marker],
                    "findings": None,
                    "follow_ups": [],
                    "shareable_summary": None,
                    "guardian_confirmation": False,
                    "visiting_staff_ids": [],
                },
                "label": {
                    "kind": "visit",
                    "studentId": student["student_id"],
                    "studentName": student["name"],
                    "classId": class_id,
                    "date": day,
                },
                "state": "waiting",
                "reason": None,
                "fields": {},
                "status": None,
                "enteredAt": f"{entered}-{n:04d}",
                "attempts": 0,
            }
        )
    return items


async def sign_in(page: Page, account: str, password: str) -> None:
    await page.goto("/staff/sign-in")
    await page.get_by_label("账号").fill(account)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).not_to_have_url("/staff/sign-in")
    await page.wait_for_url("**/teacher")


async def recorded(page: Page, class_id: str, marker: str) -> list[dict]:
    answer = await page.request.get(f"/api/scheduling/v1/classes/{class_id}/home-visits?status=done")
    assert answer.ok, await answer.text()
    return [v for v in await answer.json() if marker in v["topics"]]


async def bench(portal: str, count: int, wait: float) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        account, class_id = await bench_teacher(http, wait)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            base_url=portal, viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        page = await context.new_page()
        await sign_in(page, account, PASSWORD)
        me = await (await page.request.get("/auth/me")).json()
        owner = me["user"]["subject"]
        students_answer = await page.request.get(f"/api/registry/v1/classes/{class_id}/students")
        students = [s for s in await students_answer.json() if s["status"] == "enrolled"]
        day = (await page.request.get("/teacher")).headers["x-school-date"]
        await page.goto(f"/teacher/visits/new?class={class_id}")
        await expect(page.get_by_role("heading", name="登记家访")).to_be_visible()
        assert await page.evaluate("navigator.serviceWorker.ready.then((r) => Boolean(r.active))")

        marker = f"基准测试-{uuid.uuid4().hex[:8]}"
        await context.set_offline(True)
        await page.evaluate(PUT_IN_OUTBOX, outbox_items(owner, class_id, students, day, marker, count))
        await page.goto("/teacher/outbox")  # offline: the service worker serves the app
        await expect(page.get_by_text(f"待同步 {count}")).to_be_visible()

        latencies: list[float] = []
        keys: list[str] = []

        def finished(request) -> None:
            if request.method == "POST" and VISITS in request.url:
                keys.append(request.headers.get("idempotency-key", ""))
                timing = request.timing
                latencies.append(
                    timing["responseEnd"] - timing["requestStart"] if timing["responseEnd"] > 0 else 0
                )

        page.on("requestfinished", finished)
        started = time.perf_counter()
        await context.set_offline(False)  # the online event starts the sync
        await expect(page.get_by_text("待同步 0")).to_be_visible(timeout=600_000)
        took = time.perf_counter() - started

        visits = await recorded(page, class_id, marker)
        await context.close()
        await browser.close()

    print(f"offline sync of {count} waiting visits against {portal} (Chromium, one request at a time)")
    each = 1000 * took / count
    print(f"  network back → outbox empty: {took:.2f} s ({count / took:.1f} visits/s, {each:.0f} ms each)")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        print(
            f"  POST latency (browser): median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, "
            f"max {ordered[-1]:.0f} ms over {len(ordered)} requests"
        )
    print(f"  distinct Idempotency-Keys sent: {len(set(keys))}; visits recorded in scheduling: {len(visits)}")
    if len(visits) != count or len(set(keys)) != count:
        raise SystemExit("each visit was not recorded exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50)
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for the activation mail")
    args = parser.parse_args()
    asyncio.run(bench(PORTAL, args.visits, args.wait))


if __name__ == "__main__":
    main()
