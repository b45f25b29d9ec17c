from pymongo import ASCENDING
from service_kit.changes import Change, ChangeLog
from service_kit.storage import Database, Document

from scheduling.domain import HOME_VISITS


class VisitStore:
    def __init__(self, db: Database) -> None:
        self.visits = db[HOME_VISITS]
        self.changes = ChangeLog(db)

    async def create_indexes(self) -> None:
        await self.visits.create_index(
            [
                ("district_id", ASCENDING),
                ("school_id", ASCENDING),
                ("class_id", ASCENDING),
                ("visited_on", ASCENDING),
            ]
        )
        await self.changes.create_indexes()

    async def record(self, change: Change) -> None:
        await self.changes.record(change)

    async def get(self, visit_id: str) -> Document | None:
        return await self.visits.find_one({"_id": visit_id})
