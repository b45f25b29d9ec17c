"""Notifications at county scale on the real broker, store and channel stand-ins (issue 13): an
emergency never waits behind a letter, one school's large letter never holds up another's small
one, a dispatcher killed mid-letter sends each guardian the letter once after its restart, and a
provider that stops answering holds up none of the other channels.

The schools, classes, students and guardians are written straight into notifications' projection
of the registry (the projection is not under test, and registering thousands of guardians through
the registry would take minutes). Assertions are about order and counts, never about seconds: the
stand-ins keep what arrives in the order it arrived.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from bearer import bearer
from channels_standin import Provider
from loopback import free_port, serve
from notifications.breaker import PAUSED
from notifications.delivery import BREAKER_THRESHOLD
from notifications.settings import Settings as NotificationsSettings
from pymongo import AsyncMongoClient
from service_kit.auth import Role
from service_kit.broker_access import topics_read
from service_kit.changes import kept_of
from service_kit.messaging import start_at_the_end

pytestmark = pytest.mark.infra

DISTRICT = "d-e2e"
SUFFIX = os.environ.get("DISTRICT_TEST_GROUP_SUFFIX", "")
LETTER = {"title": "致家长的一封信：寒假安排", "body": "寒假自1月20日开始，请注意假期安全。"}


# Seeding the projection ----------------------------------------------------------------------------


@dataclass
class School:
    school_id: str
    class_id: str
    guardians: list[dict[str, Any]] = field(default_factory=list)

    def admin(self) -> dict[str, str]:
        return bearer(Role.school_admin, DISTRICT, f"admin-{self.school_id}", self.school_id)


async def seed_school(
    db: Any, school_id: str, guardians: int, contacts: Any, per_student: int = 1, class_id: str = "c1"
) -> School:
    """A school with one class and ``guardians`` guardians (``per_student`` to a student), in the
    shape ``handlers.projection`` keeps them; ``contacts(n)`` gives guardian n's contacts and
    preferred channel."""
    klass = f"{school_id}-{class_id}"
    tenancy = {"district_id": DISTRICT, "school_id": school_id}
    await db["schools"].update_one(
        {"_id": school_id},
        {"$set": {"district_id": DISTRICT, "name": "叶城县实验学校", "status": "active"}},
        upsert=True,
    )
    await db["classes"].insert_one(tenancy | {"_id": klass, "grade": 3, "head_teacher_id": None})
    students = [
        tenancy
        | {
            "_id": f"{klass}-s{n}",
            "class_id": klass,
            "status": "enrolled",
            "care_categories": [],
            "version": 1,
        }
        for n in range((guardians + per_student - 1) // per_student)
    ]
    since = datetime.now(UTC).isoformat()
    people = []
    for n in range(guardians):
        reach, preferred = contacts(n)
        people.append(
            tenancy
            | {
                "_id": f"{klass}-g{n}",
                "kind": "guardian",
                "student_ids": [students[n // per_student]["_id"]],
                "contacts": {"phone": None, "email": None, "messaging_handle": None} | reach,
                "preferred_channel": preferred,
                "language": "zh-CN",
                "consent_non_essential": True,
                "since": since,
                "version": 1,
            }
        )
    # in slices at once: FerretDB writes one slice while the next is on its way
    await asyncio.gather(
        *(
            db[collection].insert_many(records[at : at + 2000], ordered=False)
            for collection, records in (("students", students), ("guardians", people))
            for at in range(0, len(records), 2000)
        )
    )
    return School(school_id, klass, people)


def new_school_id() -> str:
    return f"sch-{uuid.uuid4().hex[:10]}"


def phone_of(school_id: str, n: int) -> str:
    # a number per school (the session's stand-in keeps every test's messages; reads go by message id)
    return f"1{int(school_id[-8:], 16) % 10**4:04d}{n:06d}"


async def send_letter(http: httpx.AsyncClient, school: School, recipients: int | None = None) -> str:
    """A letter to the whole school; ``recipients``: its guardians, when not only ``school``'s."""
    answer = await http.post(
        "/v1/announcements",
        json={"school_id": school.school_id, "audience": {"kind": "school"}, "variables": LETTER},
        headers=school.admin(),
        timeout=120,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["recipients"] == (recipients or len(school.guardians))
    return str(answer.json()["announcement_id"])


def of_letter(announcement_id: str, message_id: str | None) -> bool:
    return bool(message_id and message_id.startswith(f"{announcement_id}-"))


# 1. Priorities ------------------------------------------------------------------------------------


async def test_an_emergency_raised_while_a_large_letter_is_sending_goes_out_before_the_rest_of_it(
    platform, provider, eventually
):
    stand_in = provider[0]
    db = platform.notifications_app.state.store.db
    school_id = new_school_id()
    # 400 SMS at the test settings' 20 a second: the letter is still sending for some 20 s
    school = await seed_school(db, school_id, 400, lambda n: ({"phone": phone_of(school_id, n)}, "sms"))
    other_class = await seed_school(
        db, school_id, 1, lambda n: ({"phone": phone_of(school_id, 900_000 + n)}, "sms"), class_id="c2"
    )
    child = other_class.guardians[0]["student_ids"][0]
    child_phone = other_class.guardians[0]["contacts"]["phone"]
    notifications = platform.all_services["notifications"]

    def letter_sms() -> list[dict[str, Any]]:
        return [m for m in stand_in.received["sms"] if of_letter(announcement_id, m.get("message_id"))]

    # the letter goes to the whole school: the emergency's guardian too
    everyone = len(school.guardians) + 1
    announcement_id = await send_letter(notifications, school, everyone)

    async def letter_under_way() -> bool:
        return len(letter_sms()) >= 20

    await eventually(letter_under_way, 60)
    raised = await notifications.post(
        "/v1/emergencies",
        json={"student_id": child, "summary": "孩子在操场摔倒，额头擦伤，已由校医处理。"},
        headers=school.admin(),
    )
    assert raised.status_code == 201, raised.text
    emergency_id = raised.json()["emergency_id"]

    def emergency_sms() -> list[dict[str, Any]]:
        return [m for m in stand_in.to("sms", child_phone) if m["message_id"].startswith(emergency_id)]

    async def both_out() -> bool:
        return len(letter_sms()) == everyone and bool(emergency_sms())

    await eventually(both_out, 120)
    order = [m.get("message_id") or "" for m in stand_in.received["sms"]]
    [emergency] = emergency_sms()
    at = order.index(emergency["message_id"])
    after = sum(1 for message_id in order[at:] if of_letter(announcement_id, message_id))
    # it did not wait behind the letter: most of the letter was still to go when it arrived
    assert after >= everyone // 2, (after, everyone)


# 2. Fairness across schools -----------------------------------------------------------------------


async def test_one_schools_large_letter_does_not_hold_up_another_schools_small_one(
    platform, mailbox, eventually
):
    db = platform.notifications_app.state.store.db
    large_id, small_id = new_school_id(), new_school_id()
    large = await seed_school(
        db, large_id, 3000, lambda n: ({"email": f"{large_id}.{n}@example.cn"}, "email")
    )
    small = await seed_school(db, small_id, 30, lambda n: ({"email": f"{small_id}.{n}@example.cn"}, "email"))
    notifications = platform.all_services["notifications"]
    large_letter = await send_letter(notifications, large)
    small_letter = await send_letter(notifications, small)

    def arrived(letter: str) -> list[int]:
        return [n for n, m in enumerate(mailbox.mail) if of_letter(letter, m.message_id)]

    async def both_done() -> bool:
        return len(arrived(small_letter)) == 30 and len(arrived(large_letter)) == 3000

    await eventually(both_done, 180)
    small_last = max(arrived(small_letter))
    large_after = sum(1 for n in arrived(large_letter) if n > small_last)
    # In due order the small letter would wait for the whole large one; taken in turn, it waits at
    # most for the rounds already under way (delivery_concurrency batches of the large one).
    assert large_after >= 3000 // 3, large_after


# A notifications process of its own ---------------------------------------------------------------


@pytest.fixture
async def own_provider() -> AsyncIterator[tuple[Provider, str]]:
    """A provider stand-in only one test's notifications process sends to, so its counts
    (repeats above all) are that process's alone."""
    stand_in = Provider()
    url, server, task = await serve(stand_in.app())
    yield stand_in, url
    server.should_exit = True
    await task


@dataclass
class Process:
    """``python -m notifications`` with settings of its own, killed and started by the test."""

    infrastructure: Any
    settings: NotificationsSettings
    env: dict[str, str]
    log: Path
    running: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    async def start(self) -> None:
        # A consumer group per start: the group the killed process was in would hold the new one's
        # start for the broker's session timeout (the group is not under test; the store is).
        self.starts += 1
        group = f"{self.settings.consumer_group}-{self.starts}"
        # a new group would replay the whole suite's meetings into the process under test
        await start_at_the_end(self.settings, group, topics_read("notifications"))
        with self.log.open("ab") as out:
            self.running = running = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "notifications",
                env=os.environ | self.env | {"DISTRICT_CONSUMER_GROUP": group},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = asyncio.get_running_loop().time() + 60
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while True:
                assert running.returncode is None, f"notifications exited:\n{self.log.read_text()[-3000:]}"
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, self.log.read_text()[-3000:]
                await asyncio.sleep(0.2)

    async def kill(self) -> None:
        """SIGKILL: no shutdown, whatever the process was doing is cut off."""
        assert self.running is not None, "the process was never started"
        assert self.running.returncode is None, "the process was not running"
        self.running.send_signal(signal.SIGKILL)
        await self.running.wait()

    async def stop(self) -> None:
        if self.running is not None and self.running.returncode is None:
            self.running.terminate()
            try:
                await asyncio.wait_for(self.running.wait(), 15)
            except TimeoutError:
                self.running.kill()
                await self.running.wait()


@pytest.fixture
async def notifications_process(infrastructure, platform, tmp_path) -> AsyncIterator[Any]:
    """Makes notifications processes (stopped at the end), each with its own database and consumer
    group, on the stand-ins given, trusting the portal under test as the in-process services do."""
    made: list[Process] = []
    clients: list[AsyncMongoClient[Any]] = []

    async def make(name: str, **overrides: Any) -> tuple[Process, Any]:
        base = infrastructure.settings_env("notifications")
        given = (
            base
            | {
                "jwks_url": f"{platform.portal.base_url}/.well-known/jwks.json",
                "mongodb_database": f"{base['mongodb_database']}_{name}_{uuid.uuid4().hex[:6]}",
                "consumer_group": f"district-notifications-test{SUFFIX}kill-{name}",
                "http_port": free_port(),
                "log_level": "WARNING",
                # no quiet hours, whatever the hour the suite runs at
                "quiet_hours_start": "00:00",
                "quiet_hours_end": "00:00",
            }
            | overrides
        )
        settings = NotificationsSettings(**given)
        process = Process(
            infrastructure,
            settings,
            {f"DISTRICT_{k.upper()}": str(v) for k, v in given.items()},
            tmp_path / f"{name}.log",
        )
        made.append(process)
        client: AsyncMongoClient[Any] = AsyncMongoClient(infrastructure.mongodb_url, tz_aware=True)
        clients.append(client)
        return process, client[settings.mongodb_database]

    yield make
    for process in made:
        await process.stop()
    for client in clients:
        await client.close()


# 3. Nothing lost, nothing doubled -----------------------------------------------------------------

GUARDIANS = 20_000


# The 20,000 guardians, on a machine the whole suite shares: about four minutes here, more
# than the suite's five for a test once set-up and a slower machine are added.
@pytest.mark.timeout(600)
async def test_a_dispatcher_killed_mid_letter_sends_each_guardian_the_letter_once_after_restart(
    platform, own_provider, notifications_process, eventually
):
    stand_in, provider_url = own_provider
    process, db = await notifications_process(
        "killed",
        sms_endpoint=f"{provider_url}/sms/messages",
        sms_rate_per_second=5000,
        # short enough that the restarted process soon takes the rounds the killed one held; long
        # enough that a round has time (a quarter of it) to send all its messages: a round cut
        # short by its budget rewrites every message it holds for the few it sent
        delivery_lease_seconds=20,
    )
    window = process.settings.delivery_concurrency * process.settings.delivery_batch_size
    school_id = new_school_id()
    school = await seed_school(
        db, school_id, GUARDIANS, lambda n: ({"phone": f"1{n:010d}"}, "sms"), per_student=2
    )
    phones = {g["_id"]: g["contacts"]["phone"] for g in school.guardians}
    await process.start()
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        announcement_id = await send_letter(http, school)

    def arrived() -> int:
        return len(stand_in.received["sms"])

    async def half_way() -> bool:
        return arrived() >= GUARDIANS // 2

    await eventually(half_way, 240)
    await process.kill()
    at_kill = arrived()
    assert at_kill < GUARDIANS, "the letter was all out before the kill: nothing was tested"
    await process.start()

    async def all_sent() -> bool:
        finished = {"source_id": announcement_id, "status": {"$in": ["sent", "delivered"]}}
        return arrived() >= GUARDIANS and await db["messages"].count_documents(finished) == GUARDIANS

    await eventually(all_sent, 240)

    received = stand_in.received["sms"]
    ids = [m["message_id"] for m in received]
    assert len(set(ids)) == len(ids) == GUARDIANS  # the stand-in keeps each message id once
    assert {m["message_id"]: m["to"] for m in received} == {
        f"{announcement_id}-{guardian_id}": phone for guardian_id, phone in phones.items()
    }
    # a round lost with the process is sent again: at most what the lanes held, each dropped by id
    assert stand_in.repeats["sms"] <= window, (stand_in.repeats, window)
    statuses = await db["messages"].distinct("status", {"source_id": announcement_id})
    assert set(statuses) <= {"sent", "delivered"}, statuses

    recorded: dict[str, str] = {}
    async for change in db["changes"].find({"collection": "batches"}):
        for entry in kept_of(change)[1]:  # the events the change log keeps with the round
            if entry["event_type"] != "notification-delivered":
                continue
            message_id = json.loads(entry["value"])["payload"]["message_id"]
            if not of_letter(announcement_id, message_id):
                continue
            assert message_id not in recorded, (message_id, recorded.get(message_id), change["_id"])
            recorded[message_id] = change["_id"]
    assert len(recorded) == GUARDIANS
    assert all(change_id.startswith("batches:") for change_id in recorded.values())


# 4. A provider down -------------------------------------------------------------------------------


@pytest.fixture
async def silent_provider() -> AsyncIterator[tuple[str, bytearray]]:
    """An address that accepts connections and reads requests but never answers: a provider that
    is down behind its load balancer. Yields its URL and the requests it swallowed."""
    swallowed = bytearray()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                swallowed.extend(chunk)
        finally:
            writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/sms/messages", swallowed
    server.close()


async def test_a_provider_down_for_a_minute_does_not_hold_up_the_other_channels(
    platform, mailbox, silent_provider, notifications_process, eventually
):
    silent_url, swallowed = silent_provider
    # A minute of a provider not answering, in the attempts it costs: every try times out, and the
    # tries are spaced by the back-off (3 s, then 6 s) before the fallback.
    process, db = await notifications_process(
        "down",
        smtp_port=mailbox.port,
        sms_endpoint=silent_url,
        sms_rate_per_second=1000,
        provider_timeout_seconds=3,
        delivery_backoff_seconds=3,
        delivery_max_attempts=3,
    )
    school_id = new_school_id()

    def contacts(n: int) -> tuple[dict[str, str], str]:
        email = f"{school_id}.{n}@example.cn"
        if n % 2 == 0:  # SMS first, email to fall back to
            return {"phone": phone_of(school_id, n), "email": email}, "sms"
        return {"email": email}, "email"

    school = await seed_school(db, school_id, 80, contacts)
    by_sms = [g for n, g in enumerate(school.guardians) if n % 2 == 0]
    by_email = [g for n, g in enumerate(school.guardians) if n % 2 == 1]
    await process.start()
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
        announcement_id = await send_letter(http, school)

        def mail_of(guardians: list[dict[str, Any]]) -> list[int]:
            wanted = {f"{announcement_id}-{g['_id']}" for g in guardians}
            return [n for n, m in enumerate(mailbox.mail) if m.message_id in wanted]

        async def everyone_has_it() -> bool:
            return len(mail_of(school.guardians)) == len(school.guardians)

        await eventually(everyone_has_it, 120)
        # the email guardians' letters went out while the SMS provider was still being tried
        assert max(mail_of(by_email)) < min(mail_of(by_sms))
        # once it had failed a few times in a row the silent provider was paused (``breaker``):
        # later tries were answered at once rather than after a timeout each
        tries = bytes(swallowed).count(b"POST /sms/messages")
        assert BREAKER_THRESHOLD <= tries < len(by_sms) * process.settings.delivery_max_attempts, tries

        async def all_recorded() -> bool:
            # a round records what it sent after the mail server took it: its last mails may be in
            # the mailbox a moment before their messages are replaced with the sent state
            answer = await http.get(f"/v1/announcements/{announcement_id}", headers=school.admin())
            return answer.json()["status_counts"] == {"sent": len(school.guardians)}

        await eventually(all_recorded, 30)
        for guardian in by_sms:
            answer = await http.get(
                f"/v1/messages/{announcement_id}-{guardian['_id']}", headers=school.admin()
            )
            assert answer.status_code == 200, answer.text
            message = answer.json()
            assert (message["status"], message["sent_channel"]) == ("sent", "email"), message
            outcomes = [(h["outcome"], h["channel"]) for h in message["history"]]
            assert outcomes == [("retry", "sms"), ("retry", "sms"), ("fallback", "sms"), ("sent", "email")]
            assert all(
                "provider unreachable" in h["detail"] or PAUSED in h["detail"] for h in message["history"][:3]
            )
        for guardian in by_email:
            answer = await http.get(
                f"/v1/messages/{announcement_id}-{guardian['_id']}", headers=school.admin()
            )
            assert [h["outcome"] for h in answer.json()["history"]] == ["sent"]
