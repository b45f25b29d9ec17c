"""MongoDB access through PyMongo's async client; each service owns one database.

The CI store is FerretDB v1: no multi-document transactions, no change streams, no TTL indexes,
and updates are read-modify-write. Code here stays inside what it supports.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from service_kit.settings import ServiceSettings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
IndexSetup = Callable[[Database], Awaitable[None]]


def connect(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongodb_url,
        appname=f"district-{settings.service_name}",
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        maxPoolSize=settings.mongodb_max_pool_size,
    )


def service_database(client: AsyncMongoClient[Document], settings: ServiceSettings) -> Database:
    return client[settings.mongodb_database]


async def store_is_reachable(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True
