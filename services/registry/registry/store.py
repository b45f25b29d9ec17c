from collections.abc import Callable
from datetime import date

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError
from service_kit.changes import Change, ChangeLog
from service_kit.storage import Database, Document, insert_once

from registry.domain import CLASSES, GUARDIANS, POLICIES, SCHOOLS, STUDENTS, policy_id
from registry.organisation import STAFF
from registry.roster import ROSTER_IMPORTS, SchoolRoster

STUDENT_NUMBERS = "student_numbers"
CONTACT_READS = "contact_reads"


class RegistryStore:
    def __init__(self, db: Database, school_today: Callable[[], date] | None = None) -> None:
        self.changes = ChangeLog(db, school_today)
        self.schools, self.classes = db[SCHOOLS], db[CLASSES]
        self.students, self.policies = db[STUDENTS], db[POLICIES]
        self.guardians, self.contact_reads = db[GUARDIANS], db[CONTACT_READS]
        # One document per (school, student number): an insert under a unique _id is the only
        # atomic check FerretDB offers, so it is how a student number is claimed.
        self.student_numbers = db[STUDENT_NUMBERS]

    async def create_indexes(self) -> None:
        await self.changes.create_indexes()
        for collection in (self.classes, self.students, self.guardians, self.contact_reads):
            await collection.create_index([("district_id", ASCENDING), ("school_id", ASCENDING)])
        await self.students.create_index([("class_id", ASCENDING), ("status", ASCENDING)])

    async def record(self, change: Change) -> None:
        await self.changes.record(change)

    async def school(self, school_id: str) -> Document | None:
        return await self.schools.find_one({"_id": school_id})

    async def schools_of(self, district_id: str) -> list[Document]:
        return await self.schools.find({"district_id": district_id}).sort("name", ASCENDING).to_list()

    async def class_(self, class_id: str) -> Document | None:
        return await self.classes.find_one({"_id": class_id})

    async def classes_of(self, district_id: str, school_id: str) -> list[Document]:
        where = {"district_id": district_id, "school_id": school_id}
        return await self.classes.find(where).sort([("grade", ASCENDING), ("name", ASCENDING)]).to_list()

    async def student(self, student_id: str) -> Document | None:
        return await self.students.find_one({"_id": student_id})

    async def students_of(self, class_id: str) -> list[Document]:
        where = {"class_id": class_id, "status": "enrolled"}
        return await self.students.find(where).sort("student_number", ASCENDING).to_list()

    async def enrolled_count(self, class_id: str) -> int:
        return await self.students.count_documents({"class_id": class_id, "status": "enrolled"})

    async def claim_student_number(self, school_id: str, number: str, student_id: str) -> bool:
        return await insert_once(
            self.student_numbers, {"_id": f"{school_id}:{number}", "student_id": student_id}
        )

    async def release_student_number(self, school_id: str, number: str) -> None:
        await self.student_numbers.delete_one({"_id": f"{school_id}:{number}"})

    async def policy(self, district_id: str, school_year: str) -> Document | None:
        return await self.policies.find_one({"_id": policy_id(district_id, school_year)})

    async def guardian(self, guardian_id: str) -> Document | None:
        return await self.guardians.find_one({"_id": guardian_id})

    async def guardians_of(self, student_id: str) -> list[Document]:
        return await self.guardians.find({"student_ids": student_id}).sort("name", ASCENDING).to_list()

    async def guardians_of_students(self, district_id: str, student_ids: list[str]) -> list[Document]:
        where = {"district_id": district_id, "student_ids": {"$in": student_ids}}
        return await self.guardians.find(where).to_list()

    async def teachers_of(self, klass: Document) -> list[Document]:
        """The class's school's staff who teach it, or are its head teacher."""
        where = {
            "district_id": klass["district_id"],
            "school_id": klass["school_id"],
            "$or": [{"class_ids": klass["class_id"]}, {"_id": klass.get("head_teacher_id")}],
        }
        return await self.schools.database[STAFF].find(where).to_list()

    async def log_contact_read(self, entry: Document) -> None:
        await self.contact_reads.insert_one(entry)

    async def audit_trail(self, district_id: str, school_id: str, limit: int) -> list[Document]:
        """Changes to students and guardians, and reads of full contact details, newest first."""
        where = {"district_id": district_id, "school_id": school_id}
        changes = await self.changes.changes.find(where, {"state": 0, "events": 0}).to_list()
        reads = await self.contact_reads.find(where).to_list()
        entries = [
            {
                "at": c["at"],
                "who": c["actor"].get("subject", ""),
                "role": c["actor"].get("role", ""),
                "action": f"change:{c['collection']}",
                "record_id": c["aggregate_id"],
                "version": c["version"],
            }
            for c in changes
            if c["collection"] in (STUDENTS, GUARDIANS, ROSTER_IMPORTS)
        ] + [
            {
                "at": r["at"],
                "who": r["who"],
                "role": r["role"],
                "action": "read:guardian-contact",
                "record_id": r["guardian_id"],
                "version": None,
            }
            for r in reads
        ]
        return sorted(entries, key=lambda e: e["at"], reverse=True)[:limit]

    async def school_roster(self, school: Document) -> SchoolRoster:
        """Everything an import checks against, in three queries (FerretDB scans per query)."""
        where = {"district_id": school["district_id"], "school_id": school["school_id"]}
        classes = await self.classes.find(where).to_list()
        students = await self.students.find(where).to_list()
        guardians = await self.guardians.find(where).to_list()
        by_student: dict[str, list[Document]] = {}
        for guardian in guardians:
            for student_id in guardian["student_ids"]:
                by_student.setdefault(student_id, []).append(guardian)
        enrolled: dict[str, int] = {}
        for student in students:
            if student["status"] == "enrolled":
                enrolled[student["class_id"]] = enrolled.get(student["class_id"], 0) + 1
        return SchoolRoster(
            school=school,
            classes_by_name={k["name"]: k for k in classes},
            students_by_number={s["student_number"]: s for s in students},
            guardians_by_student=by_student,
            enrolled=enrolled,
        )

    async def claim_student_numbers(self, school_id: str, claims: dict[str, str]) -> list[str]:
        """Claim many numbers at once; answer the numbers someone else holds (none claimed then)."""
        documents = [{"_id": f"{school_id}:{number}", "student_id": sid} for number, sid in claims.items()]
        if not documents:
            return []
        try:
            await self.student_numbers.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            taken = [
                documents[e["index"]]["_id"].split(":", 1)[1] for e in exc.details.get("writeErrors", [])
            ]
            mine = [
                d["_id"]
                for i, d in enumerate(documents)
                if i not in {e["index"] for e in exc.details["writeErrors"]}
            ]
            for claim_id in mine:
                await self.student_numbers.delete_one({"_id": claim_id})
            return taken
        return []

    async def release_student_numbers(self, school_id: str, numbers: list[str]) -> None:
        for number in numbers:
            await self.release_student_number(school_id, number)

    async def get(self, collection: str, record_id: str) -> Document | None:
        return await self.schools.database[collection].find_one({"_id": record_id})

    async def find(self, collection: str, where: Document) -> list[Document]:
        return await self.schools.database[collection].find(where).to_list()
