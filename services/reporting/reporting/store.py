from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError
from service_kit.storage import Database, Document

VISIT_FACTS = "visit_facts"


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.visit_facts = db[VISIT_FACTS]

    async def create_indexes(self) -> None:
        await self.visit_facts.create_index(
            [("district_id", ASCENDING), ("school_id", ASCENDING), ("class_id", ASCENDING)]
        )

    async def add_visit_fact(self, fact: Document) -> bool:
        """Store a fact once; False when its event was seen before."""
        try:
            await self.visit_facts.insert_one(fact)
        except DuplicateKeyError:
            return False
        return True

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
