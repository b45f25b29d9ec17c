"""The store answers a lookup from the index declared for it, on the local FerretDB too
(deploy/local/ferretdb/indexes.sql): a county's collections are too large to scan per lookup."""

import asyncio
import glob
import json
import os
import subprocess
import uuid
from pathlib import Path

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


async def test_indexes_made_before_the_companion_was_installed_gain_it_at_the_next_start(infrastructure):
    """A store kept from before deploy/local/ferretdb/indexes.sql (or made while its trigger was
    off) has only FerretDB's btree indexes; applying the file again, as infra.sh does at every
    start, gives each its GIN companion, and a lookup is then answered from it."""
    if infrastructure.credentials is None:
        pytest.skip("the testcontainers store is MongoDB: no PostgreSQL underneath")
    client = AsyncMongoClient(infrastructure.mongodb_url)
    database = client[f"test_backfill_{uuid.uuid4().hex[:8]}"]
    guardians = database["guardians"]
    psql("ALTER EVENT TRIGGER district_gin_companion DISABLE")
    try:
        await guardians.create_index([("school_id", ASCENDING)])
    finally:
        psql("ALTER EVENT TRIGGER district_gin_companion ENABLE")
    try:
        await guardians.insert_many(
            [{"_id": f"g{i:05d}", "school_id": f"s{i % 40}"} for i in range(DOCUMENTS)]
        )
        gin = (  # the collection's (FerretDB's own metadata table gains its companions too)
            "SELECT count(*) FROM pg_indexes WHERE tablename NOT LIKE '\\_ferretdb%'"
            f" AND schemaname = '{database.name}' AND indexdef LIKE '%USING gin%'"
        )
        assert psql(gin) == "0"

        sql = Path(__file__).parents[4] / "deploy" / "local" / "ferretdb" / "indexes.sql"
        psql_file(sql)
        psql_file(sql)  # and again at the start after: nothing more

        # the school's index in its GIN form under its own name, the unique _id's btree with a twin
        assert psql(gin) == "2"
        by_school = await guardians.find({"school_id": "s7"}).explain()
        by_id = await guardians.find({"_id": "g00042"}).explain()
        assert index_used(by_school), by_school
        assert index_used(by_id), by_id
        assert len(await guardians.find({"school_id": "s7"}).to_list()) == DOCUMENTS // 40
        indexes = await (await guardians.list_indexes()).to_list()
        assert [i["name"] for i in indexes] == ["_id_", "school_id_1"]
    finally:
        await client.drop_database(database.name)
        await client.close()


def psql_file(path: Path) -> None:
    [binary] = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]
    port = os.environ.get("DISTRICT_PG_PORT", "54329")
    command = [binary, "-h", "127.0.0.1", "-p", port, "-U", "ferretdb", "-d", "ferretdb", "-q"]
    subprocess.run([*command, "-v", "ON_ERROR_STOP=1", "-f", str(path)], check=True, capture_output=True)
