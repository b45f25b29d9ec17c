"""The store answers a lookup from the index declared for it, on the local FerretDB too
(deploy/local/ferretdb/indexes.sql): a county's collections are too large to scan per lookup."""

import asyncio
import glob
import json
import os
import subprocess
import uuid

import pytest
from pymongo import ASCENDING, AsyncMongoClient

pytestmark = pytest.mark.infra

DOCUMENTS = 3_000
LOOKUPS = 60


@pytest.fixture
async def messages(infrastructure):
    client = AsyncMongoClient(infrastructure.mongodb_url)
    database = client[f"test_indexes_{uuid.uuid4().hex[:8]}"]
    collection = database["messages"]
    await collection.create_index([("batch", ASCENDING), ("status", ASCENDING)])
    yield collection
    await client.drop_database(database.name)
    await client.close()


async def fill(messages, first: int, last: int) -> None:
    await messages.insert_many(
        [{"_id": f"m{i:05d}", "batch": f"b{i // 250}", "status": "queued"} for i in range(first, last)]
    )


def index_used(plan: dict) -> bool:
    """FerretDB explains with PostgreSQL's plan, MongoDB with its own."""
    text = json.dumps(plan)
    return "Index Scan" in text or "IXSCAN" in text


async def test_a_lookup_by_a_declared_index_is_answered_from_it(messages):
    await fill(messages, 0, DOCUMENTS)
    by_batch = await messages.find({"batch": "b7", "status": "queued"}).explain()
    by_id = await messages.find({"_id": "m00042"}).explain()
    assert index_used(by_batch), by_batch
    assert index_used(by_id), by_id
    assert len(await messages.find({"batch": "b7", "status": "queued"}).to_list()) == 250


def psql(query: str) -> str:
    [binary] = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]
    port = os.environ.get("DISTRICT_PG_PORT", "54329")
    command = [binary, "-h", "127.0.0.1", "-p", port, "-U", "ferretdb", "-d", "ferretdb", "-tAc", query]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


async def test_the_local_store_plans_each_repeated_lookup_with_its_own_values(infrastructure, messages):
    """FerretDB names the field as a parameter of a statement it keeps prepared. PostgreSQL plans
    such a statement without the values (its generic plan) once five runs cost no more than that,
    as on a new collection, and keeps that plan as the collection grows: no index matches it, so
    every lookup would scan the table. Counted by PostgreSQL itself: each of 60 lookups into the
    grown collection is an index scan."""
    if infrastructure.credentials is None:
        pytest.skip("the testcontainers store is MongoDB: no PostgreSQL underneath")
    schema = messages.database.name
    table = psql(
        f"SELECT _jsonb->>'table' FROM {schema}._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'messages'"
    )
    index_scans = (
        "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes"
        f" WHERE schemaname = '{schema}' AND relname = '{table}'"
    )
    await fill(messages, 0, 10)
    for i in range(8):
        assert await messages.find_one({"_id": f"m{i:05d}"}) is not None
    await fill(messages, 10, DOCUMENTS)
    before = int(psql(index_scans))
    for i in range(LOOKUPS):
        assert await messages.find_one({"_id": f"m{i * 50:05d}"}) is not None
    after = before
    for _ in range(150):  # a backend of PostgreSQL reports its counts when idle, up to 10 s late
        after = int(psql(index_scans))
        if after - before >= LOOKUPS:
            break
        await asyncio.sleep(0.1)
    # at least: the eight into the new collection may be reported late, and counted here
    assert after - before >= LOOKUPS, (before, after)
