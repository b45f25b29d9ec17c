"""Idempotency-Key claims on the real store: a claim left running by a process that died is taken
over by a retry once it is stale, never while it may still be at work."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from service_kit.idempotency import IDEMPOTENCY, IdempotencyMiddleware, _digest

pytestmark = pytest.mark.infra


@pytest.fixture
async def db(infrastructure):
    client = AsyncMongoClient(infrastructure.mongodb_url)
    database = client[f"test_idempotency_{uuid.uuid4().hex[:8]}"]
    yield database
    await client.drop_database(database.name)


def app_counting(db, calls: list[int], stale_after: timedelta) -> httpx.AsyncClient:
    app = FastAPI()

    @app.post("/things", status_code=201)
    async def make() -> dict[str, int]:
        calls.append(1)
        return {"made": len(calls)}

    app.add_middleware(IdempotencyMiddleware, database=lambda: db, stale_after=stale_after)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def left_running(db, key: str, body: bytes, at: datetime) -> None:
    """The claim a process that died in the middle of the request left behind (no bearer token:
    the caller is the empty header's digest)."""
    claim_id = f"{_digest(b'')}:{key}"
    fingerprint = _digest(b"/things", body)
    await db[IDEMPOTENCY].insert_one(
        {"_id": claim_id, "fingerprint": fingerprint, "state": "running", "at": at}
    )


async def test_a_claim_left_running_past_the_stale_time_is_taken_over_by_the_retry(db):
    calls: list[int] = []
    key = f"k-{uuid.uuid4()}"
    await left_running(db, key, b"{}", datetime.now(UTC) - timedelta(minutes=3))

    async with app_counting(db, calls, timedelta(minutes=2)) as client:
        retry = await client.post("/things", content=b"{}", headers={"idempotency-key": key})
        again = await client.post("/things", content=b"{}", headers={"idempotency-key": key})

    assert retry.status_code == 201, retry.text
    assert retry.json() == {"made": 1}
    assert calls == [1]  # run once by the retry that took the claim over
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == {"made": 1}
    [claim] = await db[IDEMPOTENCY].find({}).to_list()
    assert claim["state"] == "done"


async def test_a_claim_running_for_less_than_the_stale_time_still_answers_409(db):
    calls: list[int] = []
    key = f"k-{uuid.uuid4()}"
    await left_running(db, key, b"{}", datetime.now(UTC) - timedelta(seconds=30))

    async with app_counting(db, calls, timedelta(minutes=2)) as client:
        retry = await client.post("/things", content=b"{}", headers={"idempotency-key": key})

    assert retry.status_code == 409, retry.text
    assert retry.json()["type"].endswith("/request-in-progress")
    assert calls == []


async def test_a_stale_claim_of_another_body_is_not_taken_over_but_refused_as_a_reused_key(db):
    calls: list[int] = []
    key = f"k-{uuid.uuid4()}"
    await left_running(db, key, b'{"other": 1}', datetime.now(UTC) - timedelta(minutes=3))

    async with app_counting(db, calls, timedelta(minutes=2)) as client:
        retry = await client.post("/things", content=b"{}", headers={"idempotency-key": key})

    assert retry.status_code == 422, retry.text
    assert calls == []
