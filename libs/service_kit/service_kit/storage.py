"""MongoDB access through PyMongo's async client; each service owns one database.

The CI store is FerretDB v1: no multi-document transactions, no change streams, no TTL indexes,
and updates are read-modify-write. Code here stays inside what it supports.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

import bson
from bson import Binary, CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from service_kit.settings import ServiceSettings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
IndexSetup = Callable[[Database], Awaitable[None]]
DUPLICATE_KEY = 11000
_PACKED: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)  # as ``connect`` reads


def pack(document: Document) -> Binary:
    """A document kept as one BSON value, for what is only ever read whole by its own service:
    FerretDB stores it as it is, where spelled out it parses and writes it value by value."""
    return Binary(bson.encode(document))


def unpack(packed: bytes) -> Document:
    return bson.decode(bytes(packed), codec_options=_PACKED)


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


async def insert_once(collection: AsyncCollection[Document], document: Document) -> bool:
    """Insert under a unique ``_id``, the one write FerretDB makes atomic; False when it is taken."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


async def insert_reporting_duplicates(
    collection: AsyncCollection[Document], documents: list[Document]
) -> list[Document]:
    """Insert in one statement; the documents whose ``_id`` was taken, which were not inserted."""
    if not documents:
        return []
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        return [documents[error["index"]] for error in errors]
    return []


async def insert_new(collection: AsyncCollection[Document], documents: list[Document]) -> int:
    """Insert in one statement what is not there yet (by ``_id``); how many were new. Any error but
    a duplicate key is raised."""
    if not documents:
        return 0
    try:
        result = await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        return len(documents) - len(errors)
    return len(result.inserted_ids)
