from pymongo import ASCENDING
from service_kit.changes import Change, ChangeLog
from service_kit.storage import Database, Document

from scheduling.domain import HOME_VISITS

STUDENTS = "students"  # the projection of the registry's students


class VisitStore:
    def __init__(self, db: Database) -> None:
        self.visits, self.students = db[HOME_VISITS], db[STUDENTS]
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

    async def student(self, student_id: str) -> Document | None:
        return await self.students.find_one({"_id": student_id})

    async def put_student(self, student: Document) -> None:
        await self.students.replace_one({"_id": student["_id"]}, student, upsert=True)

    async def visits_of_class(self, district_id: str, school_id: str, class_id: str) -> list[Document]:
        where = {"district_id": district_id, "school_id": school_id, "class_id": class_id}
        return await self.visits.find(where).to_list()
