"""The platform's services started in this process on loopback ports, over real Kafka and store.

Tests work in the district ``d-e2e``: a broker shared with `make up` keeps its demo district
(``d-yecheng``) free of test records, since reporting reads every district's events."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from bulletin_world import NAMED_DISTRICT, NAMED_DISTRICT_NAME
from channels_standin import Mailbox, Provider
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from loopback import free_port, serve
from notifications.app import create_app as create_notifications
from notifications.settings import Settings as NotificationsSettings
from phone_pages import launch
from playwright.async_api import Browser
from portal.app import create_app as create_portal
from portal.settings import Settings as PortalSettings
from registry.app import create_app as create_registry
from registry.settings import Settings as RegistrySettings
from reporting.app import create_app as create_reporting
from reporting.settings import Settings as ReportingSettings
from scheduling.app import create_app as create_scheduling
from scheduling.settings import Settings as SchedulingSettings
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings
from topic_reader import read_from_session_start


@dataclass
class Platform:
    scheduling: httpx.AsyncClient
    reporting: httpx.AsyncClient
    scheduling_settings: SchedulingSettings
    reporting_settings: ReportingSettings
    scheduling_app: FastAPI
    reporting_app: FastAPI
    all_services: dict[str, httpx.AsyncClient]
    notifications_app: FastAPI
    notifications_settings: NotificationsSettings
    portal_app: FastAPI
    portal: httpx.AsyncClient

    async def reporting_has_visit(self, visit_id: str) -> bool:
        """Reporting has stored the fact of this visit (used as a marker that it caught up)."""
        facts = self.reporting_app.state.store.facts.db["visit_facts"]
        return await facts.count_documents({"_id": visit_id}) > 0

    def token(self, role: Role, school_id: str | None, class_ids: list[str] | None = None, **claims) -> str:
        return mint_token(
            ServiceSettings(),
            subject=claims.pop("subject", f"stf-{role.value}"),
            role=role,
            district_id=claims.pop("district_id", "d-e2e"),
            school_id=school_id,
            class_ids=class_ids,
            student_ids=claims.pop("student_ids", None),
        )


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback (aiosmtpd) keeping the mail notifications sends."""
    box = Mailbox()
    controller = box.start(free_port())
    yield box
    controller.stop()


@pytest.fixture(scope="session")
async def provider() -> AsyncIterator[tuple[Provider, str]]:
    """An HTTP server on loopback in the place of the SMS and WeChat providers, and its URL."""
    stand_in = Provider()
    url, server, task = await serve(stand_in.app())
    yield stand_in, url
    server.should_exit = True
    await task


# The portal's address is known before any service starts: the services verify the tokens it
# signs with its public keys, fetched from its JWKS.
PORTAL_PORT = free_port()
PORTAL_URL = f"http://127.0.0.1:{PORTAL_PORT}"
# The portal under test signs with a key of its own, not the development key every process trusts
# outside production, so a forwarded request proves the services read the portal's JWKS.
PORTAL_KEY = (
    Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)


def service_env(infrastructure, service: str) -> dict[str, str]:
    return infrastructure.settings_env(service) | {"jwks_url": f"{PORTAL_URL}/.well-known/jwks.json"}


def notifications_settings(infrastructure, mailbox_port: int, provider_url: str) -> NotificationsSettings:
    """Notifications on the loopback channels, with waits short enough for a test."""
    return NotificationsSettings(
        **service_env(infrastructure, "notifications"),
        portal_public_url=PORTAL_URL,
        smtp_port=mailbox_port,
        sms_endpoint=f"{provider_url}/sms/messages",
        wechat_endpoint=f"{provider_url}/wechat/messages",
        delivery_poll_seconds=0.1,
        delivery_backoff_seconds=0.2,
        delivery_max_attempts=3,
        meeting_reminders_before=[timedelta(seconds=8), timedelta(seconds=4)],
        registry_retry_seconds=0.3,
        registry_wait_seconds=10,
        # no default quiet hours, whatever the hour the suite runs at; the quiet-hours test sets its own
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(0, 0),
    )


@pytest.fixture(scope="session")
async def platform(infrastructure, mailbox, provider) -> AsyncIterator[Platform]:
    scheduling_settings = SchedulingSettings(**service_env(infrastructure, "scheduling"))
    # the bulletin schedule stays off: tests publish bulletins themselves
    reporting_settings = ReportingSettings(
        **service_env(infrastructure, "reporting"),
        bulletin_check_seconds=0,
        district_names={NAMED_DISTRICT: NAMED_DISTRICT_NAME},  # the bulletin's header (bulletin_world)
    )
    scheduling_app = create_scheduling(scheduling_settings)
    reporting_app = create_reporting(reporting_settings)
    registry_app = create_registry(RegistrySettings(**service_env(infrastructure, "registry")))
    notifications = notifications_settings(infrastructure, mailbox.port, provider[1])
    notifications_app = create_notifications(notifications)
    servers = [await serve(app) for app in (scheduling_app, reporting_app, registry_app, notifications_app)]
    clients = {
        name: httpx.AsyncClient(base_url=url, timeout=10)
        for name, (url, _, _) in zip(
            ("scheduling", "reporting", "registry", "notifications"), servers, strict=True
        )
    }
    portal_settings = PortalSettings(
        **infrastructure.settings_env("portal"),
        public_url=PORTAL_URL,
        token_signing_key=PORTAL_KEY,
        token_signing_kid="portal-e2e",
        **{
            f"{name}_url": url
            for name, (url, _, _) in zip(
                ("scheduling", "reporting", "registry", "notifications"), servers, strict=True
            )
        },
        link_jwks_url=f"{servers[3][0]}/.well-known/jwks.json",
    )
    portal_app = create_portal(portal_settings)
    servers.append(await serve(portal_app, PORTAL_PORT))
    portal = httpx.AsyncClient(base_url=PORTAL_URL, timeout=10)
    yield Platform(
        clients["scheduling"],
        clients["reporting"],
        scheduling_settings,
        reporting_settings,
        scheduling_app,
        reporting_app,
        clients,
        notifications_app,
        notifications,
        portal_app,
        portal,
    )
    for client in [*clients.values(), portal]:
        await client.aclose()
    for _, server, task in servers:
        server.should_exit = True
        await task


@pytest.fixture
def school_id() -> str:
    """A fresh school per test, so counts from other tests never mix in."""
    return f"sch-{uuid.uuid4().hex[:10]}"


Check = Callable[[], Awaitable[bool]]


@pytest.fixture
def eventually() -> Callable[[Check, float], Awaitable[None]]:
    """Wait for an asynchronous effect (relay, broker, consumer) to become visible."""

    async def wait(check: Check, seconds: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not reached within {seconds}s")
            await asyncio.sleep(0.1)

    return wait


@pytest.fixture
def read_topic(infrastructure) -> Callable[..., Awaitable[list[dict]]]:
    """Read a topic's messages of this session until ``enough(messages)``; each with its headers."""

    async def read(topic: str, enough: Callable[[list[dict]], bool], seconds: float = 30) -> list[dict]:
        consumer = AIOKafkaConsumer(
            **infrastructure.kafka_options(),
            group_id=f"test-reader-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
        )
        read_from_session_start(consumer, topic)
        await consumer.start()
        messages: list[dict] = []
        try:
            async with asyncio.timeout(seconds):
                while not enough(messages):
                    for records in (await consumer.getmany(timeout_ms=300)).values():
                        for record in records:
                            try:
                                message = json.loads(record.value or b"{}")
                            except ValueError:
                                continue  # a malformed record another test sent on purpose
                            if isinstance(message, dict):
                                messages.append(message | {"_headers": dict(record.headers or ())})
        finally:
            await consumer.stop()
        return messages

    return read


def token_headers(
    role: Role, school_id: str | None = None, classes: list[str] | None = None, **claims
) -> dict:
    token = mint_token(
        ServiceSettings(),
        subject=claims.get("subject", f"{role.value}-1"),
        role=role,
        district_id=claims.get("district_id", "d-e2e"),
        school_id=school_id,
        class_ids=classes,
        student_ids=claims.get("students"),
    )
    return {"authorization": f"Bearer {token}"}


class RegistryClient:
    """The registry's API as the e2e tests use it: a bureau that registers schools, school admins
    who open classes."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.auth = token_headers
        self.bureau = token_headers(Role.bureau)

    async def new_school(self, name: str = "叶城县第九小学") -> str:
        answer = await self.http.post(
            "/v1/schools", json={"name": name, "level": "primary", "setting": "urban"}, headers=self.bureau
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["school_id"])

    async def new_class(self, school_id: str, name: str = "三年级2班") -> str:
        answer = await self.http.post(
            f"/v1/schools/{school_id}/classes",
            json={"grade": 3, "name": name},
            headers=token_headers(Role.school_admin, school_id),
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["class_id"])


@pytest.fixture
def registry_api(platform) -> RegistryClient:
    return RegistryClient(platform.all_services["registry"])


@dataclass(frozen=True)
class Pupil:
    """A student enrolled through the registry, already in scheduling's projection."""

    school_id: str
    class_id: str
    student_id: str


@pytest.fixture
async def pupil(platform, registry_api, eventually) -> Pupil:
    school_id = await registry_api.new_school()
    class_id = await registry_api.new_class(school_id)
    answer = await registry_api.http.post(
        f"/v1/classes/{class_id}/students",
        json={
            "name": "阿依古丽",
            "gender": "女",
            "student_number": "20260481",
            "care_categories": ["left_behind"],
        },
        headers=token_headers(Role.school_admin, school_id),
    )
    assert answer.status_code == 201, answer.text
    student_id = answer.json()["student_id"]
    projection = platform.scheduling_app.state.store

    async def projected() -> bool:
        return await projection.student(student_id) is not None

    # registry → change relay → internal.registry.v1 → scheduling's projection
    await eventually(projected, 30)
    return Pupil(school_id, class_id, student_id)


# A class with its head teacher, students and guardians for the notification tests -----------------


@dataclass
class Guardian:
    guardian_id: str
    student_id: str
    phone: str | None
    email: str | None
    handle: str | None
    language: str


@dataclass
class Family:
    school_id: str
    class_id: str
    head_teacher_id: str
    head_teacher_phone: str
    guardians: list[Guardian] = field(default_factory=list)

    def student_ids(self) -> list[str]:
        return sorted({g.student_id for g in self.guardians})


def unique_phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def register_family(registry_api, platform, eventually, guardians: list[dict[str, Any]]) -> Family:
    """``guardians``: one dict per guardian with its contacts and choices; ``child`` groups siblings' parents
    (guardians with the same child number share a student)."""
    school = await registry_api.new_school()
    admin = registry_api.auth(Role.school_admin, school)
    http = registry_api.http
    teacher_phone = unique_phone()
    staff = await http.post(
        f"/v1/schools/{school}/staff",
        json={
            "name": "王老师",
            "roles": ["head_teacher"],
            "phone": teacher_phone,
            "email": f"wang.{teacher_phone}@school.example.cn",
        },
        headers=admin,
    )
    assert staff.status_code == 201, staff.text
    head_teacher = staff.json()["staff_id"]
    klass = await http.post(
        f"/v1/schools/{school}/classes",
        json={"grade": 3, "name": "三年级2班", "head_teacher_id": head_teacher},
        headers=admin,
    )
    assert klass.status_code == 201, klass.text
    class_id = klass.json()["class_id"]
    family = Family(school, class_id, head_teacher, teacher_phone)
    students: dict[int, str] = {}
    for n, spec in enumerate(guardians):
        child = spec.pop("child", n)
        if child not in students:
            student = await http.post(
                f"/v1/classes/{class_id}/students",
                json={
                    "name": f"学生{child}",
                    "gender": "女",
                    "student_number": f"N{child}",
                    "care_categories": spec.pop("care_categories", []),
                },
                headers=admin,
            )
            assert student.status_code == 201, student.text
            students[child] = student.json()["student_id"]
        else:
            spec.pop("care_categories", None)
        body = {"name": f"家长{n}", "relationship": "母亲"} | spec
        guardian = await http.post(f"/v1/students/{students[child]}/guardians", json=body, headers=admin)
        assert guardian.status_code == 201, guardian.text
        family.guardians.append(
            Guardian(
                guardian.json()["guardian_id"],
                students[child],
                spec.get("phone"),
                spec.get("email"),
                spec.get("messaging_handle"),
                spec.get("language", "zh-CN"),
            )
        )
    store = platform.notifications_app.state.store
    scheduling = platform.scheduling_app.state.store
    ids = {g.guardian_id for g in family.guardians}

    async def known() -> bool:
        found = await store.find("guardians", {"school_id": school})
        klass = await store.get("classes", class_id)
        staff = await store.get("staff", head_teacher)
        return {g["_id"] for g in found} >= ids and klass is not None and staff is not None

    async def invited() -> bool:
        # scheduling follows the registry on its own: a meeting invites the guardians it knows
        return set(await scheduling.invitees("d-e2e", school, [class_id])) >= ids

    await eventually(known, 30)
    await eventually(invited, 30)
    return family


@pytest.fixture
def family(registry_api, platform, eventually) -> Callable[[list[dict[str, Any]]], Awaitable[Family]]:
    """Registers a class with a head teacher and the given guardians; waits for notifications to know them."""

    async def make(guardians: list[dict[str, Any]]) -> Family:
        return await register_family(registry_api, platform, eventually, guardians)

    return make


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless Chromium for the suite's browser tests; each test opens its own phone in it."""
    async for browser in launch():
        yield browser
