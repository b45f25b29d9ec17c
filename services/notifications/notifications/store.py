"""The notifications database: a projection of the registry, messages, the delivery queue,
announcements, emergencies, guardians' preferences and events waiting for the registry.

The queue holds one small entry per message still to send (``_id`` = message id, ``due_at``):
the dispatcher reads only that, never the growing message history. Every reminder and every
held message is such an entry, so nothing waits in memory and a restart loses nothing.
"""

import contextlib
from collections.abc import Callable
from datetime import date, datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from service_kit.changes import ChangeLog
from service_kit.storage import Database, Document, insert_new, insert_once

GUARDIANS, STUDENTS, CLASSES, SCHOOLS, STAFF = "guardians", "students", "classes", "schools", "staff"
MESSAGES, QUEUE, CLAIMS, WAITING = "messages", "queue", "claims", "waiting"
CREDENTIALS = "credentials"  # sign-in codes and activation links: never messages (credentials.py)
PREFERENCES, ANNOUNCEMENTS, EMERGENCIES, ACKNOWLEDGEMENTS = (
    "preferences",
    "announcements",
    "emergencies",
    "acknowledgements",
)


class NotificationStore:
    def __init__(self, db: Database, school_today: Callable[[], date] | None = None) -> None:
        self.db = db
        self.changes = ChangeLog(db, school_today)
        self.messages, self.queue = db[MESSAGES], db[QUEUE]

    async def create_indexes(self) -> None:
        await self.changes.create_indexes()
        await self.messages.create_index(
            [("district_id", ASCENDING), ("school_id", ASCENDING), ("status", 1)]
        )
        await self.messages.create_index([("recipient_id", ASCENDING)])
        await self.messages.create_index([("source_id", ASCENDING)])
        await self.queue.create_index([("due_at", ASCENDING)])
        await self.db[GUARDIANS].create_index([("student_ids", ASCENDING)])
        await self.db[STUDENTS].create_index([("class_id", ASCENDING)])

    # The projection of the registry -------------------------------------------------------------

    async def project(self, collection: str, record: Document) -> None:
        """Keep the newest version; one school's events come in order from one partition."""
        current = await self.db[collection].find_one({"_id": record["_id"]}, {"version": 1, "since": 1})
        if current is None:
            with contextlib.suppress(DuplicateKeyError):
                await self.db[collection].insert_one(record)
        elif current["version"] < record["version"]:
            await self.db[collection].replace_one(
                {"_id": record["_id"]}, record | {"since": current.get("since")}
            )

    async def get(self, collection: str, record_id: str) -> Document | None:
        return await self.db[collection].find_one({"_id": record_id})

    async def find(self, collection: str, where: Document) -> list[Document]:
        return await self.db[collection].find(where).to_list()

    async def guardians_of(self, student_ids: list[str]) -> list[Document]:
        """Guardians of these students, in the order the registry first named them."""
        if not student_ids:
            return []
        if len(student_ids) == 1:
            found = await self.db[GUARDIANS].find({"student_ids": student_ids[0]}).to_list()
        else:
            found = await self.db[GUARDIANS].find({"student_ids": {"$in": student_ids}}).to_list()
        return sorted(found, key=lambda g: (g.get("since") or "", g["_id"]))

    async def students_of_school(self, district_id: str, school_id: str) -> list[Document]:
        where = {"district_id": district_id, "school_id": school_id, "status": "enrolled"}
        return await self.db[STUDENTS].find(where).to_list()

    async def school_district(self, school_id: str) -> str | None:
        """The district a school belongs to, as the registry announced it; for a school kept before
        its record named the district, that of one of its classes. None: a school unknown here."""
        school = await self.get(SCHOOLS, school_id)
        if school and school.get("district_id"):
            return str(school["district_id"])
        klass = await self.db[CLASSES].find_one({"school_id": school_id}, {"district_id": 1})
        return str(klass["district_id"]) if klass else None

    async def school_name(self, school_id: str) -> str:
        school = await self.get(SCHOOLS, school_id)
        return str(school["name"]) if school else "学校"

    async def preferences(self, recipient_id: str) -> Document:
        return await self.db[PREFERENCES].find_one({"_id": recipient_id}) or {}

    async def set_preferences(self, recipient_id: str, preferences: Document) -> None:
        await self.db[PREFERENCES].replace_one({"_id": recipient_id}, preferences, upsert=True)

    # Messages and the queue ----------------------------------------------------------------------

    async def add_messages(self, messages: list[Document]) -> int:
        """Insert messages and their queue entries; those already there are left alone.

        Both inserts ignore duplicates, so handling the same event again (a redelivery, or a retry
        after a crash between the two) completes the work and sends nothing twice.
        """
        fresh = await insert_new(self.messages, messages)
        waiting = [
            {"_id": m["_id"], "due_at": m["due_at"], "kind": "message", "group": group_of(m)}
            for m in messages
            if m["status"] == "queued"
        ]
        await insert_new(self.queue, waiting)
        return fresh

    async def due(self, now: datetime, limit: int) -> list[Document]:
        return (
            await self.queue.find({"due_at": {"$lte": now}}).sort("due_at", ASCENDING).limit(limit).to_list()
        )

    async def enqueue(
        self, entry_id: str, due_at: datetime, kind: str = "message", group: str | None = None
    ) -> None:
        entry = {"due_at": due_at, "kind": kind, "group": group}
        await self.queue.replace_one({"_id": entry_id}, entry, upsert=True)

    async def dequeue(self, entry_id: str) -> None:
        await self.queue.delete_one({"_id": entry_id})

    async def claim(self, key: str, now: datetime, lease_seconds: float) -> bool:
        """Take a send for this process; a claim older than its lease (a crashed sender) is freed."""
        if await insert_once(self.db[CLAIMS], {"_id": key, "at": now}):
            return True
        held = await self.db[CLAIMS].find_one({"_id": key})
        if held and (now - held["at"]).total_seconds() > lease_seconds:
            await self.db[CLAIMS].delete_one({"_id": key})
        return False

    async def release(self, key: str) -> None:
        await self.db[CLAIMS].delete_one({"_id": key})

    async def save_message(self, message: Document) -> None:
        await self.messages.replace_one({"_id": message["_id"]}, message)

    async def record_delivered(self, message: Document, at: datetime) -> None:
        """A provider's delivery report; a message already read stays read."""
        update = {"delivered_at": at} | ({} if message["status"] == "read" else {"status": "delivered"})
        entry = {
            "at": at,
            "channel": message.get("sent_channel"),
            "outcome": "delivered",
            "detail": "provider receipt",
        }
        await self.messages.update_one({"_id": message["_id"]}, {"$set": update, "$push": {"history": entry}})

    async def messages_of(self, where: Document) -> list[Document]:
        return await self.messages.find(where).sort("created_at", ASCENDING).to_list()

    async def insert_once(self, collection: str, document: Document) -> bool:
        return await insert_once(self.db[collection], document)

    async def replace(self, collection: str, document: Document, upsert: bool = False) -> None:
        await self.db[collection].replace_one({"_id": document["_id"]}, document, upsert=upsert)

    async def delete(self, collection: str, record_id: str) -> None:
        await self.db[collection].delete_one({"_id": record_id})


def group_of(message: Document) -> str | None:
    """Digest messages to one person go out together: the dispatcher takes one of them per round."""
    return f"digest:{message['recipient_id']}" if message.get("waiting") == "digest" else None
