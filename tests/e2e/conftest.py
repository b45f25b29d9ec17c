"""The platform's services started in this process on loopback ports, over real Kafka and store."""

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from notifications.app import create_app as create_notifications
from notifications.settings import Settings as NotificationsSettings
from registry.app import create_app as create_registry
from registry.settings import Settings as RegistrySettings
from reporting.app import create_app as create_reporting
from reporting.settings import Settings as ReportingSettings
from scheduling.app import create_app as create_scheduling
from scheduling.settings import Settings as SchedulingSettings
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _serve(app: FastAPI) -> tuple[str, uvicorn.Server, asyncio.Task[None]]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, task


@dataclass
class Platform:
    scheduling: httpx.AsyncClient
    reporting: httpx.AsyncClient
    scheduling_settings: SchedulingSettings
    reporting_settings: ReportingSettings
    scheduling_app: FastAPI
    reporting_app: FastAPI
    all_services: dict[str, httpx.AsyncClient]

    async def reporting_has_visit(self, visit_id: str) -> bool:
        """Reporting has stored the fact of this visit (used as a marker that it caught up)."""
        facts = self.reporting_app.state.store.visit_facts
        return await facts.count_documents({"visit_id": visit_id}) > 0

    def token(self, role: Role, school_id: str | None, class_ids: list[str] | None = None, **claims) -> str:
        return mint_token(
            ServiceSettings(),
            subject=claims.pop("subject", f"stf-{role.value}"),
            role=role,
            district_id=claims.pop("district_id", "d-yecheng"),
            school_id=school_id,
            class_ids=class_ids,
            student_ids=claims.pop("student_ids", None),
        )


@pytest.fixture(scope="session")
async def platform(infrastructure) -> AsyncIterator[Platform]:
    scheduling_settings = SchedulingSettings(**infrastructure.settings_env("scheduling"))
    reporting_settings = ReportingSettings(**infrastructure.settings_env("reporting"))
    scheduling_app = create_scheduling(scheduling_settings)
    reporting_app = create_reporting(reporting_settings)
    registry_app = create_registry(RegistrySettings(**infrastructure.settings_env("registry")))
    notifications_app = create_notifications(
        NotificationsSettings(**infrastructure.settings_env("notifications"))
    )
    servers = [await _serve(app) for app in (scheduling_app, reporting_app, registry_app, notifications_app)]
    clients = {
        name: httpx.AsyncClient(base_url=url, timeout=10)
        for name, (url, _, _) in zip(
            ("scheduling", "reporting", "registry", "notifications"), servers, strict=True
        )
    }
    yield Platform(
        clients["scheduling"],
        clients["reporting"],
        scheduling_settings,
        reporting_settings,
        scheduling_app,
        reporting_app,
        clients,
    )
    for client in clients.values():
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
    """Read a topic from its start until ``enough(messages)``; each message with its headers."""

    async def read(topic: str, enough: Callable[[list[dict]], bool], seconds: float = 30) -> list[dict]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=infrastructure.kafka_bootstrap_servers,
            group_id=f"test-reader-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
        )
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
        district_id=claims.get("district_id", "d-yecheng"),
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
