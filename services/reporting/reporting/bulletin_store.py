"""The published bulletins and their disputes, as reporting keeps them (its own records, which a
rebuild never touches): publishing a month once, a dispute the bureau accepts (a new revision
from the facts as they are now, with what changed and why) or rejects (the revision stands, with
the bureau's note)."""

from datetime import UTC, date, datetime
from typing import Any

from service_kit.errors import NotFound, Problem
from service_kit.storage import Document

from reporting.bulletin import (
    DisputeSettled,
    acceptance,
    build,
    bulletin_id,
    differences,
    may_reject,
    published_reason,
)
from reporting.periods import Month
from reporting.projection import Projection
from reporting.store import BULLETINS, DISPUTES, SUBMISSIONS, ActiveStore


class Bulletins:
    def __init__(self, store: ActiveStore, projection: Projection) -> None:
        self.store, self.projection = store, projection

    async def submissions(self, district_id: str, month: Month) -> dict[str, dict[str, Any]]:
        found = await self.store.records.find(SUBMISSIONS, {"district_id": district_id, "month": str(month)})
        return {s["school_id"]: s for s in found}

    async def revisions(self, district_id: str, month: Month) -> list[Document]:
        found = await self.store.records.find(BULLETINS, {"district_id": district_id, "month": str(month)})
        return sorted(found, key=lambda b: b["revision"])

    async def latest(self, district_id: str, month: Month, revision: int | None = None) -> Document:
        found = await self.revisions(district_id, month)
        chosen = [b for b in found if revision is None or b["revision"] == revision]
        if not chosen:
            raise NotFound(f"{month} 通报" + (f" 第 {revision} 版" if revision else ""))
        return chosen[-1]

    async def revision(self, district_id: str, month: Month, number: int, **why: Any) -> Document:
        """Revision ``number`` of the month's bulletin, built from the facts as they are now."""
        await self.projection.ready()
        snapshot = self.projection.snapshot(district_id)
        return {
            "_id": bulletin_id(district_id, month, number),
            "district_id": district_id,
            "month": str(month),
            "revision": number,
            "document": build(snapshot, month, await self.submissions(district_id, month)),
            "published_at": datetime.now(UTC),
            "reason": None,
            "changes": [],
        } | why

    async def publish(self, district_id: str, month: Month, today: date) -> Document:
        """Publish the month's bulletin once; publishing again answers the published one."""
        month.require_ended(today, "path.month", "发布通报")
        found = await self.revisions(district_id, month)
        if found:
            return found[-1]
        record = await self.revision(district_id, month, 1)
        if not await self.store.records.insert(BULLETINS, record):  # published meanwhile by another run
            return await self.latest(district_id, month)
        return record

    async def accept(
        self, district_id: str, month: Month, dispute: Document, note: str, actor: str
    ) -> Document:
        """A new revision from the facts as they are now, with what changed and why, published
        first; then the dispute records the decision and the revision it gave. A retry after a stop
        in between publishes nothing new: it settles the dispute with the revision made for it
        (``bulletin.acceptance``). 409 for a dispute settled already."""
        for _ in range(5):  # another revision published meanwhile takes the number: the next one
            found = await self.revisions(district_id, month)
            step = acceptance(dispute, found)
            record = step.made
            if record is None:
                current = found[-1]
                record = await self.revision(
                    district_id,
                    month,
                    step.number,
                    dispute_id=dispute["_id"],
                    accepted_by=actor,
                )
                record["reason"] = published_reason(record["document"], dispute, note)
                record["changes"] = differences(current["document"], record["document"])
                if not await self.store.records.insert(BULLETINS, record):
                    continue
            return await self.settle_acceptance(dispute, record, note, actor)
        raise Problem(409, "bulletin-busy", "通报正在修订，请稍后再试 (the bulletin is being revised)")

    async def settle_acceptance(self, dispute: Document, record: Document, note: str, actor: str) -> Document:
        changes = {
            "status": "accepted",
            "decided_note": note,
            "decided_by": actor,
            "decided_at": datetime.now(UTC),
            "decided_revision": record["revision"],
        }
        if await self.store.records.settle_acceptance(DISPUTES, dispute["_id"], changes) is None:
            now = await self.store.records.get(DISPUTES, dispute["_id"])
            if now is None or now.get("decided_revision") != record["revision"]:
                # rejected meanwhile by another request: the revision stays published
                raise DisputeSettled()
        return record

    async def reject(
        self, district_id: str, month: Month, dispute: Document, note: str, actor: str
    ) -> Document:
        """The revision stands: the dispute records the bureau's note. 409 once settled, or when a
        revision was published for it already (accepting it again settles it)."""
        may_reject(dispute, await self.revisions(district_id, month))
        decided = await self.decide(dispute, "rejected", note, actor)
        if decided is None:
            raise DisputeSettled()
        return decided

    async def decide(self, dispute: Document, status: str, note: str, actor: str) -> Document | None:
        changes = {
            "status": status,
            "decided_note": note,
            "decided_by": actor,
            "decided_at": datetime.now(UTC),
        }
        return await self.store.records.settle(DISPUTES, dispute["_id"], changes)

    async def disputes(self, district_id: str, month: Month) -> list[Document]:
        """The month's disputes in the district, oldest revision first, then by school and figure."""
        found = await self.store.records.find(DISPUTES, {"district_id": district_id, "month": str(month)})
        return sorted(found, key=lambda d: (d["revision"], d["school_id"], d["figure"], d["_id"]))
