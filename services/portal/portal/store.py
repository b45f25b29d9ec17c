"""The portal's own database: its projection of the registry (who may sign in, and their scope),
accounts, sign-in codes, request times for limits, sessions and the links already exchanged.

Secrets are stored as digests only (codes, session ids, link ids, activation tokens); passwords as
argon2id hashes. FerretDB has no TTL indexes: ``purge`` removes what has expired.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from service_kit.auth import Role
from service_kit.loops import BackgroundLoop
from service_kit.storage import Database, Document, insert_once

from portal.domain import LinkScope, Person, Session, SignInCode, account_role, guardian_school

log = logging.getLogger(__name__)
GUARDIANS, STUDENTS, ACCOUNTS = "guardians", "students", "accounts"
CODES, REQUESTS, SESSIONS, LINKS_USED = "sign_in_codes", "requests", "sessions", "links_used"
SLOTS = "slots"
CALENDAR_FEEDS = "calendar_feeds"


class PortalStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_indexes(self) -> None:
        await self.db[GUARDIANS].create_index([("phone", ASCENDING)])
        await self.db[REQUESTS].create_index([("key", ASCENDING), ("at", ASCENDING)])
        await self.db[CODES].create_index([("phone", ASCENDING), ("created_at", ASCENDING)])
        await self.db[CALENDAR_FEEDS].create_index([("digest", ASCENDING)])

    # The registry's people -------------------------------------------------------------------

    async def keep_newer(self, collection: str, document: Document) -> None:
        """A registry record, unless a version as new is kept already (events come at least once
        and a record's versions in order, since the key is its school)."""
        kept = await self.db[collection].find_one({"_id": document["_id"]}, {"version": 1})
        if kept is None:
            if await insert_once(self.db[collection], document):
                return
            kept = await self.db[collection].find_one({"_id": document["_id"]}, {"version": 1})
        if kept is not None and kept["version"] < document["version"]:
            await self.db[collection].replace_one({"_id": document["_id"]}, document)

    async def guardians_with_phone(self, phone: str) -> list[Document]:
        return await self.db[GUARDIANS].find({"phone": phone}).sort("_id", ASCENDING).to_list(None)

    async def person(self, role: Role, subject: str) -> Person | None:
        """Who the person is today, with the children or classes the registry gives them now."""
        if role is Role.guardian:
            guardian = await self.db[GUARDIANS].find_one({"_id": subject})
            if guardian is None:
                return None
            enrolled = (
                await self.db[STUDENTS]
                .find({"_id": {"$in": guardian["student_ids"]}, "status": "enrolled"})
                .to_list(None)
            )
            return Person(
                subject=subject,
                role=role,
                district_id=guardian["district_id"],
                school_id=guardian_school(guardian["school_id"], [s["school_id"] for s in enrolled]),
                student_ids=tuple(sorted(s["_id"] for s in enrolled)),
                language=guardian.get("language", "zh-CN"),
            )
        return await self.account_person(subject)

    async def account_person(self, account_id: str) -> Person | None:
        """A member of staff (their role and classes today) or a partner (of its school), once
        their account is active."""
        account = await self.db[ACCOUNTS].find_one({"_id": account_id})
        if account is None or account.get("status") != "active":
            return None
        return Person(
            subject=account_id,
            role=account_role(account.get("kind", "staff"), account["roles"]),
            district_id=account["district_id"],
            school_id=account["school_id"],
            class_ids=tuple(account["class_ids"]),
        )

    # Accounts of staff and partners ----------------------------------------------------------

    async def account(self, account_id: str) -> Document | None:
        return await self.db[ACCOUNTS].find_one({"_id": account_id})

    async def account_by_login(self, login: str) -> Document | None:
        """Staff sign in with their staff id, mobile number or email; partners with their partner id
        or their contact's mobile number."""
        for field in ("_id", "phone", "email"):
            found = await self.db[ACCOUNTS].find_one({field: login})
            if found is not None:
                return found
        return None

    async def update_account(self, account_id: str, changes: dict[str, Any]) -> None:
        await self.db[ACCOUNTS].update_one({"_id": account_id}, {"$set": changes})

    async def account_by_activation(self, token_digest: str) -> Document | None:
        return await self.db[ACCOUNTS].find_one({"activation.digest": token_digest})

    # Slots: tries of a code, failed passwords (see domain.check_code and domain.lock_window) -------

    async def claim_slot(self, prefix: str, most: int, now: datetime) -> int | None:
        """The first free slot ``<prefix>:1`` … ``:<most>``, taken by one insert; None when all are."""
        for n in range(1, most + 1):
            if await insert_once(self.db[SLOTS], {"_id": f"{prefix}:{n}", "at": now}):
                return n
        return None

    async def release_slot(self, prefix: str, n: int) -> None:
        await self.db[SLOTS].delete_one({"_id": f"{prefix}:{n}"})

    async def slots_taken(self, prefix: str, most: int) -> int:
        ids = [f"{prefix}:{n}" for n in range(1, most + 1)]
        return await self.db[SLOTS].count_documents({"_id": {"$in": ids}})

    # Sign-in codes and limits ---------------------------------------------------------------------

    async def requests_since(self, key: str, since: datetime) -> list[datetime]:
        found = await self.db[REQUESTS].find({"key": key, "at": {"$gt": since}}).to_list(None)
        return [d["at"] for d in found]

    async def record_request(self, request_id: str, keys: list[str], at: datetime) -> None:
        await self.db[REQUESTS].insert_many([{"_id": f"{request_id}:{k}", "key": k, "at": at} for k in keys])

    async def put_code(self, code: SignInCode, now: datetime) -> None:
        await self.db[CODES].insert_one(
            {
                "_id": code.request_id,
                "phone": code.phone,
                "guardian_id": code.guardian_id,
                "code_digest": code.code_digest,
                "expires_at": code.expires_at,
                "created_at": now,
            }
        )

    async def latest_code(self, phone: str) -> SignInCode | None:
        """The number's newest code: asking for a new one replaces the old one."""
        found = await self.db[CODES].find({"phone": phone}).sort("created_at", -1).limit(1).to_list(1)
        if not found:
            return None
        d = found[0]
        return SignInCode(d["_id"], d["phone"], d["guardian_id"], d["code_digest"], d["expires_at"])

    async def use_code(self, request_id: str, now: datetime) -> bool:
        """A code signs in once: the first to record its use wins."""
        return await insert_once(self.db[SLOTS], {"_id": f"{request_id}:used", "at": now})

    # Sessions ------------------------------------------------------------------------------------

    async def put_session(self, session: Session, person: Person) -> None:
        await self.db[SESSIONS].insert_one(
            {
                "_id": session.session_digest,
                "subject": session.subject,
                "role": session.role.value,
                "csrf": session.csrf,
                "expires_at": session.expires_at,
                "kind": session.kind,
                "link": None
                if session.link is None
                else {
                    "purpose": session.link.purpose,
                    "message_id": session.link.message_id,
                    "target_id": session.link.target_id,
                    "expires_at": session.link.expires_at,
                },
                "district_id": person.district_id,
            }
        )

    async def session(self, session_digest: str) -> Session | None:
        d = await self.db[SESSIONS].find_one({"_id": session_digest})
        if d is None:
            return None
        link = d.get("link")
        return Session(
            session_digest=d["_id"],
            subject=d["subject"],
            role=Role(d["role"]),
            csrf=d["csrf"],
            expires_at=d["expires_at"],
            kind=d["kind"],
            link=None
            if link is None
            else LinkScope(link["purpose"], link["message_id"], link["target_id"], link["expires_at"]),
        )

    async def end_session(self, session_digest: str) -> None:
        await self.db[SESSIONS].delete_one({"_id": session_digest})

    async def use_link(self, link_id: str, session_digest: str, at: datetime) -> bool:
        """The first exchange of a link wins; a link exchanged before answers False (a replay)."""
        return await insert_once(self.db[LINKS_USED], {"_id": link_id, "session": session_digest, "at": at})

    async def link_session(self, link_id: str) -> str | None:
        found = await self.db[LINKS_USED].find_one({"_id": link_id})
        return None if found is None else str(found["session"])

    # Calendar subscriptions: one per person, under their subject, so a new one replaces the old in
    # one write --------------------------------------------------------------------------------

    async def put_calendar_feed(self, person: Person, token_digest: str, now: datetime) -> None:
        feed = {"_id": person.subject, "role": person.role.value, "digest": token_digest, "created_at": now}
        try:
            await self.db[CALENDAR_FEEDS].replace_one({"_id": person.subject}, feed, upsert=True)
        except DuplicateKeyError:  # two first asks at once: the one inserted second replaces the first
            await self.db[CALENDAR_FEEDS].replace_one({"_id": person.subject}, feed)

    async def calendar_feed_holder(self, token_digest: str) -> tuple[Role, str] | None:
        """Whose calendar the address with this token is (role, subject); None for an address
        never given or replaced since."""
        found = await self.db[CALENDAR_FEEDS].find_one({"digest": token_digest})
        return None if found is None else (Role(found["role"]), str(found["_id"]))

    async def calendar_feed_made(self, subject: str) -> datetime | None:
        """When the person's current address was made; None when they have none."""
        found = await self.db[CALENDAR_FEEDS].find_one({"_id": subject}, {"created_at": 1})
        return None if found is None else found.get("created_at")

    async def end_calendar_feed(self, subject: str) -> None:
        await self.db[CALENDAR_FEEDS].delete_one({"_id": subject})

    async def purge(self, now: datetime) -> None:
        """What has expired (FerretDB has no TTL index): sessions, codes, request times older than
        the longest limit's window. Links already exchanged are kept: they must stay refused."""
        await self.db[SESSIONS].delete_many({"expires_at": {"$lt": now}})
        await self.db[CODES].delete_many({"expires_at": {"$lt": now}})
        await self.db[REQUESTS].delete_many({"at": {"$lt": now - timedelta(days=1)}})
        await self.db[SLOTS].delete_many({"at": {"$lt": now - timedelta(days=1)}})


class Purge(BackgroundLoop):
    """Removes what has expired, every ``every`` seconds; a failure is logged and tried again."""

    task_name = "portal-purge"

    def __init__(self, store: PortalStore, every: float) -> None:
        self.store, self.every = store, every

    async def run(self) -> None:
        while True:
            try:
                await self.store.purge(datetime.now(UTC))
            except Exception:
                log.exception("purging expired sessions and codes failed")
            await asyncio.sleep(self.every)
