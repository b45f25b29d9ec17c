"""The notifications database: a projection of the registry, messages, the delivery queue,
announcements, emergencies, guardians' preferences and events waiting for the registry.

Messages travel in **batches**: up to ``delivery_batch_size`` messages of one notice, one school
and one level (``priorities``), or one person's digest of the day. The queue holds one small entry
per batch still to send (``_id`` = ``batch-<id>``, level, school, ``due_at``) and one per other
piece of due work (escalations, fan-outs, events waiting for the registry, sign-in codes), so the
dispatcher reads a short queue, never the growing message history. A batch is sent in rounds, and
each round is recorded as one change: its messages' new states replace the batch's queued ones in
two statements, with their ``notification-delivered`` events (one statement per message could
not keep up with a county's letter on FerretDB).
Every reminder and every held message is in such a batch, so nothing waits in memory and a
restart loses nothing. A district letter's batches are **planned**: their queue entries count the
messages they will make and ``batch_plans`` keeps their recipients; the messages are made at the
batch's first round and written once, in their state after it.
"""

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from service_kit.changes import Applied, Change, ChangeLog
from service_kit.storage import Database, Document, insert_new, insert_once, pack, unpack

from notifications.priorities import Priority

GUARDIANS, STUDENTS, CLASSES, SCHOOLS, STAFF = "guardians", "students", "classes", "schools", "staff"
MESSAGES, QUEUE, CLAIMS, WAITING, BATCHES = "messages", "queue", "claims", "waiting", "batches"
BATCH = "batch"  # the queue entries' kind for a batch of messages
PLANS = "batch_plans"  # the recipients of a batch whose messages are made at its first round
CREDENTIALS = "credentials"  # sign-in codes and activation links: never messages (credentials.py)
# A district letter's addressing, school by school (audience.py): each school's counted audience,
# the generation of its guardians and students it was counted at, and each school's recipients.
AUDIENCES, GENERATIONS, LETTER_RECIPIENTS = "school_audiences", "audience_generations", "letter_recipients"
ROSTERS = "school_rosters"  # each school's ``Roster`` at a generation of its people
PREFERENCES, ANNOUNCEMENTS, EMERGENCIES, ACKNOWLEDGEMENTS = (
    "preferences",
    "announcements",
    "emergencies",
    "acknowledgements",
)


@dataclass(frozen=True)
class Roster:
    """Whom a letter to the whole school addresses: its guardians with an enrolled child, each as
    their messages are made from (``messages.addressed_as``), in the order of their ids, and their
    enrolled children. Kept per generation of the school's people, so that a district letter's
    part reads one value, not the school's students and guardians."""

    guardians: list[Document]
    children: dict[str, list[str]]
    # as kept (``pack``): a district letter's part keeps a copy of it, not the roster packed again
    packed: bytes = field(compare=False, repr=False)

    @classmethod
    def made(cls, guardians: list[Document], children: dict[str, list[str]]) -> "Roster":
        return cls(guardians, children, pack({"guardians": guardians, "children": children}))

    @classmethod
    def of(cls, packed: bytes) -> "Roster":
        """A roster as kept."""
        kept = unpack(packed)
        guardians = [dict(g) for g in kept["guardians"]]
        return cls(guardians, {g: list(c) for g, c in kept["children"].items()}, packed)


@dataclass(frozen=True)
class Planned:
    """One recipient of a planned batch: all their message is made from at the batch's first
    round, so that round reads no guardian or preference."""

    recipient: Document  # ``messages.addressed_as``
    students: list[str]
    chosen: Document

    def as_document(self) -> Document:
        return {"recipient": self.recipient, "students": self.students, "chosen": self.chosen}

    @classmethod
    def of(cls, kept: Document) -> "Planned":
        return cls(dict(kept["recipient"]), list(kept["students"]), dict(kept["chosen"]))


class NotificationStore:
    def __init__(
        self, db: Database, school_today: Callable[[], date] | None = None, batch_size: int = 250
    ) -> None:
        self.db = db
        self.changes = ChangeLog(db, school_today)
        self.messages, self.queue = db[MESSAGES], db[QUEUE]
        self.batch_size = batch_size
        # Set when this process queues messages: its dispatcher starts them without waiting for
        # its next look at the queue (an emergency's first message goes out at once).
        self.queued = asyncio.Event()
        # Urgent entries this process queued, handed to its dispatcher as they are: a county
        # letter's queue is hundreds of entries, and reading it under load took a quarter of a
        # second of an emergency's first second.
        self.handed: list[Document] = []

    async def create_indexes(self) -> None:
        await self.changes.create_indexes()
        await self.messages.create_index(
            [("district_id", ASCENDING), ("school_id", ASCENDING), ("status", 1)]
        )
        await self.messages.create_index([("recipient_id", ASCENDING)])
        await self.messages.create_index([("source_id", ASCENDING)])
        await self.messages.create_index([("batch", ASCENDING), ("status", ASCENDING)])
        await self.queue.create_index([("priority", ASCENDING), ("due_at", ASCENDING)])
        await self.db[GUARDIANS].create_index([("student_ids", ASCENDING)])
        await self.db[GUARDIANS].create_index([("school_id", ASCENDING)])
        await self.db[STUDENTS].create_index([("class_id", ASCENDING)])
        await self.db[STUDENTS].create_index([("school_id", ASCENDING)])
        await self.db[AUDIENCES].create_index([("district_id", ASCENDING)])
        await self.db[GENERATIONS].create_index([("district_id", ASCENDING)])
        await self.db[LETTER_RECIPIENTS].create_index([("announcement_id", ASCENDING)])

    # The projection of the registry -------------------------------------------------------------

    async def project(self, collection: str, record: Document) -> set[str]:
        """Keep the newest version; one school's events come in order from one partition. A new
        record is one insert (a lookup first would scan the collection: a county's 150,000
        guardians arrive this way); only a known one is read and replaced.
        Returns the schools whose people this changed: the record's, and the one it left."""
        with contextlib.suppress(DuplicateKeyError):
            await self.db[collection].insert_one(record)
            return {record["school_id"]}
        current = await self.db[collection].find_one(
            {"_id": record["_id"]}, {"version": 1, "since": 1, "school_id": 1}
        )
        if current is not None and current["version"] < record["version"]:
            await self.db[collection].replace_one(
                {"_id": record["_id"]}, record | {"since": current.get("since")}
            )
            return {record["school_id"], current.get("school_id") or record["school_id"]}
        # The same version again: a redelivery, maybe of an event whose handling stopped before
        # the school's audience was marked changed; marking it again only costs a recount.
        return {record["school_id"]}

    async def schools_of_guardians_of(self, student_id: str) -> set[str]:
        """The schools the student's guardians are kept under (a moved student's stay behind)."""
        found = await self.db[GUARDIANS].find({"student_ids": student_id}, {"school_id": 1}).to_list()
        return {g["school_id"] for g in found}

    async def enrolled_in_district(self, district_id: str, student_ids: set[str]) -> set[str]:
        """Which of these students are enrolled in the district, each looked up by its id (``$in``
        would read every student on FerretDB)."""
        found = await asyncio.gather(*(self.db[STUDENTS].find_one({"_id": s}) for s in sorted(student_ids)))
        return {
            s["_id"] for s in found if s and s.get("district_id") == district_id and s["status"] == "enrolled"
        }

    async def audience_changed(self, district_id: str, school_id: str) -> None:
        """The school's guardians or students changed: its counted audience is out of date. A new
        random generation rather than an increment: a student moving school changes two schools
        from two partitions, and FerretDB's read-modify-write could lose an increment."""
        generation = {"district_id": district_id, "generation": uuid.uuid4().hex}
        await _upsert(self.db[GENERATIONS], school_id, generation)

    async def audience_generations(self, district_id: str) -> dict[str, str]:
        found = await self.db[GENERATIONS].find({"district_id": district_id}).to_list()
        return {g["_id"]: str(g["generation"]) for g in found}

    async def counted_audiences(self, district_id: str) -> dict[str, Document]:
        return {a["_id"]: a for a in await self.db[AUDIENCES].find({"district_id": district_id}).to_list()}

    async def keep_audience(
        self, district_id: str, school_id: str, generation: str, counts: Document
    ) -> None:
        kept = {"district_id": district_id, "generation": generation} | counts
        await _upsert(self.db[AUDIENCES], school_id, kept)

    async def keep_roster(self, district_id: str, school_id: str, generation: str, roster: "Roster") -> None:
        kept = {"district_id": district_id, "generation": generation, "packed": roster.packed}
        await _upsert(self.db[ROSTERS], school_id, kept)

    async def roster(self, district_id: str, school_id: str, generation: str) -> "Roster | None":
        """The school's roster kept at this generation of its people; None if there is none."""
        kept = await self.db[ROSTERS].find_one({"_id": school_id})
        if kept is None or kept["district_id"] != district_id or kept["generation"] != generation:
            return None
        return Roster.of(kept["packed"])

    async def generation(self, school_id: str) -> str:
        """The generation of the school's people (``audience_changed``); "" before any change."""
        found = await self.db[GENERATIONS].find_one({"_id": school_id})
        return str(found["generation"]) if found else ""

    async def districts(self) -> set[str]:
        return {str(d) for d in await self.db[SCHOOLS].distinct("district_id")}

    async def district_schools(self, district_id: str) -> set[str]:
        schools = await self.db[SCHOOLS].find({"district_id": district_id}, {"_id": 1}).to_list()
        return {s["_id"] for s in schools}

    async def people_of_school(
        self, district_id: str, school_id: str
    ) -> tuple[list[Document], list[Document]]:
        """The school's enrolled students and its guardians, each read by the school's index."""
        where = {"district_id": district_id, "school_id": school_id}
        students = await self.db[STUDENTS].find(where | {"status": "enrolled"}, {"_id": 1}).to_list()
        return students, await self.db[GUARDIANS].find(where).to_list()

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

    async def named(self, collection: str, school_id: str, ids: list[str]) -> list[Document]:
        """The records of these people of one school: the school's equality narrows the scan a
        FerretDB lookup makes, where ``$in`` alone reads the whole collection."""
        if not ids:
            return []
        return await self.db[collection].find({"school_id": school_id, "_id": {"$in": ids}}).to_list()

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

    async def preferences_of(self, recipient_ids: list[str]) -> dict[str, Document]:
        """The choices of these people, in one read: only people who changed a default have any."""
        if not recipient_ids:
            return {}
        wanted = set(recipient_ids)
        if len(wanted) == 1:
            [one] = wanted
            found = await self.db[PREFERENCES].find({"_id": one}).to_list()
        else:
            found = await self.db[PREFERENCES].find({"_id": {"$in": list(wanted)}}).to_list()
        return {p["_id"]: p for p in found}

    async def set_preferences(self, recipient_id: str, preferences: Document) -> None:
        await self.db[PREFERENCES].replace_one({"_id": recipient_id}, preferences, upsert=True)

    # Messages, their batches and the queue -------------------------------------------------------

    async def add_messages(self, messages: list[Document]) -> int:
        """Insert messages and queue their batches; messages already there are left alone.

        Both inserts ignore duplicates, so handling the same event again (a redelivery, or a retry
        after a crash between the two) completes the work and sends nothing twice: a batch whose
        messages were all sent before finds nothing queued. A batch's id is made from its messages'
        ids, so a different set of recipients never joins a batch already being sent.
        """
        queued = [m for m in messages if m["status"] == "queued"]
        entries = []
        for members in batches_of(queued, self.batch_size):
            batch = batch_id(members)
            for message in members:
                message["batch"] = batch
            entries.append(batch_entry(batch, members))
        fresh = await insert_new(self.messages, messages)
        await self.add_entries(entries)
        return fresh

    async def add_planned(self, messages: list[Document], letter_id: str, plans: dict[str, Planned]) -> None:
        """Queue batches of messages not yet written (``Outbox.plan``). Each batch's plan (what
        makes its messages again: each recipient as addressed, their children and choices) is
        kept beside the queue, which stays short to read; its entry counts the messages it will
        make. Queued again, the same messages make the same batches, left alone."""
        kept, entries = [], []
        for members in batches_of(messages, self.batch_size):
            batch = batch_id(members)
            recipients = {m["recipient_id"]: plans[m["recipient_id"]].as_document() for m in members}
            kept.append({"_id": batch, "letter": letter_id, "packed": pack({"recipients": recipients})})
            entries.append(batch_entry(batch, members) | {"letter": letter_id, "planned": len(members)})
        await insert_new(self.db[PLANS], kept)
        await self.add_entries(entries)

    async def plan_of(self, batch: str) -> dict[str, Planned] | None:
        """A planned batch's recipients, in the order they were planned."""
        plan = await self.db[PLANS].find_one({"_id": batch})
        if plan is None:
            return None
        return {
            recipient: Planned.of(kept) for recipient, kept in unpack(plan["packed"])["recipients"].items()
        }

    async def drop_plan(self, batch: str) -> None:
        await self.db[PLANS].delete_one({"_id": batch})

    async def planned_count(self, letter_id: str) -> int:
        """The letter's messages still to be made at their batch's first round."""
        grouped: list[Document] = [
            {"$match": {"letter": letter_id, "planned": {"$gt": 0}}},
            {"$group": {"_id": None, "n": {"$sum": "$planned"}}},
        ]
        rows = await (await self.queue.aggregate(grouped)).to_list()
        return int(rows[0]["n"]) if rows else 0

    async def due(self, now: datetime) -> list[Document]:
        """Every due queue entry (the queue is short: one entry per batch or piece of work)."""
        return await self.queue.find({"due_at": {"$lte": now}}).to_list()

    async def enqueue(
        self,
        entry_id: str,
        due_at: datetime,
        kind: str = "message",
        priority: Priority = Priority.normal,
        school_id: str | None = None,
        sender: str | None = None,
    ) -> None:
        entry = {
            "due_at": due_at,
            "kind": kind,
            "priority": int(priority),
            "school_id": school_id,
            "sender": sender or school_id,
        }
        await self.queue.replace_one({"_id": entry_id}, entry, upsert=True)
        self._hand_over([entry | {"_id": entry_id}])
        self.queued.set()

    async def add_entries(self, entries: list[Document], wake: bool = True) -> None:
        """Queue entries, leaving alone those already there (a redelivered event's); ``wake``:
        this process's dispatcher looks at them at once (else at its next look)."""
        await insert_new(self.queue, entries)
        if wake:
            self._hand_over(entries)
            self.queued.set()

    def _hand_over(self, entries: list[Document]) -> None:
        self.handed += [e for e in entries if Priority(e.get("priority", Priority.normal)).urgent]

    def take_handed(self, now: datetime) -> list[Document]:
        """The urgent entries queued here since the last call that are due now (the others are
        found in the queue when due). A claim still decides who runs each: another replica may
        have read it in the queue too."""
        handed, self.handed = self.handed, []
        return [e for e in handed if e["due_at"] <= now]

    async def requeue_batch(
        self, batch: str, due_at: datetime, priority: Priority, school_id: str, sender: str | None = None
    ) -> None:
        """The batch has queued messages again (a retry, a hold, a provider's failed receipt)."""
        await self.enqueue(f"batch-{batch}", due_at, BATCH, priority, school_id, sender)

    async def dequeue(self, entry_id: str) -> None:
        await self.queue.delete_one({"_id": entry_id})

    async def claim(self, key: str, now: datetime, lease_seconds: float) -> bool:
        """Take a piece of work for this process; a claim older than its lease (a crashed sender)
        is freed."""
        if await insert_once(self.db[CLAIMS], {"_id": key, "at": now}):
            return True
        held = await self.db[CLAIMS].find_one({"_id": key})
        if held and (now - held["at"]).total_seconds() > lease_seconds:
            await self.db[CLAIMS].delete_one({"_id": key})
        return False

    async def release(self, key: str) -> None:
        await self.db[CLAIMS].delete_one({"_id": key})

    async def batch_round(self, batch: str) -> tuple[int, list[Document]] | None:
        """The batch's recorded rounds and its messages still queued; None while a round recorded
        by another process is not yet applied (its messages may already be out)."""
        state = await self.db[BATCHES].find_one({"_id": batch}, {"version": 1})
        rounds = state["version"] if state else 0
        if await self.changes.pending.find_one({"_id": round_key(batch, rounds + 1)}, {"_id": 1}):
            return None
        return rounds, await self.messages.find({"batch": batch, "status": "queued"}).to_list()

    async def record_round(
        self, batch: str, rounds: int, after: list[Document], events: tuple[Any, ...], at: datetime
    ) -> None:
        """One round of a batch as one change: the new state of every message it held queued
        (sent, retried, held, fallen back or failed) and the events of those that went out."""
        state = {"district_id": after[0]["district_id"], "school_id": after[0]["school_id"], "at": at}
        change = Change(
            BATCHES,
            batch,
            rounds + 1,
            state,
            events,
            {"subject": "notifications", "role": "dispatcher"},
            "通知",
            also=tuple(Applied(MESSAGES, m["_id"], m["version"], m) for m in after),
            replacing={MESSAGES: {"batch": batch, "status": "queued"}},
        )
        await self.changes.record(change)

    async def save_message(self, message: Document) -> None:
        """One message's new state, outside a round (a cancelled reminder, a failed receipt)."""
        await self.messages.replace_one({"_id": message["_id"]}, message)
        if message["status"] == "queued" and message.get("batch"):
            level = Priority(message.get("priority", Priority.normal))
            await self.requeue_batch(
                message["batch"], message["due_at"], level, message["school_id"], message.get("sender")
            )

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

    async def status_counts(self, where: Document) -> dict[str, int]:
        """Messages per status, counted by the store (a county's letter is 150,000 messages)."""
        grouped = [{"$match": where}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {row["_id"]: row["n"] for row in await (await self.messages.aggregate(grouped)).to_list()}

    async def letters_of_school(self, district_id: str, school_id: str, limit: int) -> list[Document]:
        """A school's letters, newest first, without their recipients (a county's letter names
        thousands); one kept before its count was (``recipient_count``) is read with them."""
        where = {"district_id": district_id, "school_id": school_id}
        letters = (
            await self.db[ANNOUNCEMENTS]
            .find(where, {"recipients": 0})
            .sort([("created_at", -1), ("_id", 1)])
            .limit(limit)
            .to_list()
        )
        older = [letter["_id"] for letter in letters if "recipient_count" not in letter]
        if older:
            found = self.db[ANNOUNCEMENTS].find(where | {"_id": {"$in": older}}, {"recipients": 1})
            counted = {letter["_id"]: len(letter.get("recipients") or {}) for letter in await found.to_list()}
            for letter in letters:
                if letter["_id"] in counted:
                    letter["recipient_count"] = counted[letter["_id"]]
        return letters

    async def letter_counts(
        self, district_id: str, school_id: str, announcement_ids: list[str]
    ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Per letter, its messages per status and those confirmed, counted by the store (its
        reminders left out: they are not the letter)."""
        if not announcement_ids:
            return {}, {}
        where: Document = {
            "district_id": district_id,
            "school_id": school_id,
            "source_id": {"$in": announcement_ids},
            "purpose": {"$ne": "announcement_reminder"},
        }
        by_status = [
            {"$match": where},
            {"$group": {"_id": {"letter": "$source_id", "status": "$status"}, "n": {"$sum": 1}}},
        ]
        counts: dict[str, dict[str, int]] = {}
        for row in await (await self.messages.aggregate(by_status)).to_list():
            counts.setdefault(row["_id"]["letter"], {})[row["_id"]["status"]] = row["n"]
        confirmed: list[Document] = [
            {"$match": where | {"confirmed_at": {"$ne": None}}},
            {"$group": {"_id": "$source_id", "n": {"$sum": 1}}},
        ]
        done = {row["_id"]: row["n"] for row in await (await self.messages.aggregate(confirmed)).to_list()}
        return counts, done

    async def messages_of(self, where: Document) -> list[Document]:
        return await self.messages.find(where).sort("created_at", ASCENDING).to_list()

    async def insert_once(self, collection: str, document: Document) -> bool:
        return await insert_once(self.db[collection], document)

    async def replace(self, collection: str, document: Document, upsert: bool = False) -> None:
        await self.db[collection].replace_one({"_id": document["_id"]}, document, upsert=upsert)

    async def delete(self, collection: str, record_id: str) -> None:
        await self.db[collection].delete_one({"_id": record_id})


async def _upsert(collection: Any, document_id: str, document: Document) -> None:
    """Replace or insert; two first writers at once (FerretDB's upsert is a query, then an insert)
    leave one duplicate key, and the second write then replaces."""
    try:
        await collection.replace_one({"_id": document_id}, document, upsert=True)
    except DuplicateKeyError:
        await collection.replace_one({"_id": document_id}, document, upsert=True)


def batches_of(messages: list[Document], size: int) -> list[list[Document]]:
    """Queued messages in batches: per school and level, at most ``size`` each; a person's digest
    messages due together make a batch of their own (they go out as one message)."""
    lines: dict[tuple[str, ...], list[Document]] = {}
    for message in messages:
        if message.get("waiting") == "digest":
            line = ("digest", message["recipient_id"], message["due_at"].isoformat())
        else:
            line = (message["school_id"], str(message.get("priority", 2)), message["due_at"].isoformat())
        lines.setdefault(line, []).append(message)
    return [members[i : i + size] for members in lines.values() for i in range(0, len(members), size)]


def batch_id(members: list[Document]) -> str:
    """Made from its messages' ids: the same messages make the same batch, others another one.
    A person's digest is one batch per digest time, which each notice of the day joins."""
    first = members[0]
    if first.get("waiting") == "digest":
        return f"digest-{first['recipient_id']}-{first['due_at']:%Y%m%dT%H%M}"
    digest = hashlib.sha1("\n".join(m["_id"] for m in members).encode()).hexdigest()[:16]
    return f"{first['source_id']}-{digest}"


def batch_entry(batch: str, members: list[Document]) -> Document:
    first = members[0]
    return {
        "_id": f"batch-{batch}",
        "kind": BATCH,
        "priority": int(first.get("priority", Priority.normal)),
        "school_id": first["school_id"],
        "sender": first.get("sender") or first["school_id"],
        "due_at": min(m["due_at"] for m in members),
    }


def round_key(batch: str, version: int) -> str:
    """The change that records a batch's round (``ChangeLog``'s key)."""
    return f"{BATCHES}:{batch}:{version}"
