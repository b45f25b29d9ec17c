from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from service_kit.storage import Database, Document

VISIT_FACTS = "visit_facts"
CONFIRMATION_FACTS = "confirmation_facts"


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.visit_facts, self.confirmations = db[VISIT_FACTS], db[CONFIRMATION_FACTS]

    async def create_indexes(self) -> None:
        await self.visit_facts.create_index(
            [("district_id", ASCENDING), ("school_id", ASCENDING), ("class_id", ASCENDING)]
        )

    async def add_visit_fact(self, fact: Document) -> bool:
        """Store a fact once; False when its event was seen before."""
        return await _insert_once(self.visit_facts, fact)

    async def add_confirmation(self, fact: Document) -> bool:
        return await _insert_once(self.confirmations, fact)

    async def school_visit_counts(self, district_id: str, school_id: str) -> tuple[int, int]:
        # Counts are derived from facts with $group/$count (FerretDB v1 supports both), never kept
        # with $inc, which FerretDB applies without compare-and-set.
        where = {"district_id": district_id, "school_id": school_id}
        visits = await self.visit_facts.count_documents(where)
        cursor = await self.visit_facts.aggregate(
            [{"$match": where}, {"$group": {"_id": "$student_id"}}, {"$count": "students"}]
        )
        rows = await cursor.to_list()
        return visits, rows[0]["students"] if rows else 0

    async def school_evidence(self, district_id: str, school_id: str) -> tuple[int, int]:
        """Visits made by two staff, and visits a guardian confirmed."""
        where = {"district_id": district_id, "school_id": school_id}
        two_staff = await self.visit_facts.count_documents(where | {"two_staff": True})
        return two_staff, await self.confirmations.count_documents(where)


async def _insert_once(collection: AsyncCollection[Document], fact: Document) -> bool:
    try:
        await collection.insert_one(fact)
    except DuplicateKeyError:
        return False
    return True
