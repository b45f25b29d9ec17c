from pymongo import ASCENDING
from service_kit.outbox import HAS_PENDING
from service_kit.storage import Database, Document

HOME_VISITS = "home_visits"


class VisitStore:
    def __init__(self, db: Database) -> None:
        self.visits = db[HOME_VISITS]

    async def create_indexes(self) -> None:
        await self.visits.create_index(
            [
                ("district_id", ASCENDING),
                ("school_id", ASCENDING),
                ("class_id", ASCENDING),
                ("visited_on", ASCENDING),
            ]
        )
        await self.visits.create_index([(HAS_PENDING, ASCENDING)])

    async def add(self, visit: Document) -> None:
        await self.visits.insert_one(visit)

    async def get(self, visit_id: str) -> Document | None:
        return await self.visits.find_one({"_id": visit_id}, {"outbox": 0})
