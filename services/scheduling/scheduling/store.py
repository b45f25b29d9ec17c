from collections.abc import Callable
from datetime import date

from pymongo import ASCENDING
from service_kit.auth import Caller
from service_kit.changes import CHANGES, Change, ChangeLog
from service_kit.storage import Database, Document

from scheduling.domain import HOME_VISITS
from scheduling.meetings import LATE_INVITATIONS, MEETINGS, RSVPS, guardians_of, invited_students

# Projections of the registry, fed by its topics.
STUDENTS, GUARDIANS, TERMS, POLICIES = "students", "guardians", "terms", "policies"
SCHOOLS, CLASSES, STAFF = "schools", "classes", "staff"


class VisitStore:
    def __init__(self, db: Database, school_today: Callable[[], date] | None = None) -> None:
        self.db = db
        self.visits, self.students = db[HOME_VISITS], db[STUDENTS]
        self.changes = ChangeLog(db, school_today)

    async def create_indexes(self) -> None:
        await self.visits.create_index(
            [
                ("district_id", ASCENDING),
                ("school_id", ASCENDING),
                ("class_id", ASCENDING),
                ("visited_on", ASCENDING),
            ]
        )
        for field in ("meeting_id", "guardian_id"):  # a meeting's late invitees; a guardian's
            await self.db[LATE_INVITATIONS].create_index([(field, ASCENDING)])
        for field in ("class_id", "school_id"):  # a class's students; a class or school not yet announced
            await self.students.create_index([(field, ASCENDING)])
        await self.changes.create_indexes()

    async def record(self, change: Change) -> None:
        await self.changes.record(change)

    async def get(self, visit_id: str) -> Document | None:
        return await self.visits.find_one({"_id": visit_id})

    async def class_teacher_ids(self, klass: Document) -> set[str]:
        """The class's teachers as the registry announced them: its head teacher and the staff of
        its school whose classes include it."""
        where = {
            "class_ids": klass["_id"],
            "district_id": klass["district_id"],
            "school_id": klass["school_id"],
        }
        found = {str(d["_id"]) for d in await self.db[STAFF].find(where, {"_id": 1}).to_list()}
        return found | ({str(klass["head_teacher_id"])} if klass.get("head_teacher_id") else set())

    async def recorded_by(self, visit_id: str | None, caller: Caller) -> Document | None:
        """The visit with this id the caller recorded, as it stands; if its writer stopped before
        writing it, as its first change holds it (the relay applies it soon)."""
        if visit_id is None:
            return None
        found = await self.visits.find_one({"_id": visit_id})
        if found is None and (
            change := await self.db[CHANGES].find_one({"_id": f"{HOME_VISITS}:{visit_id}:1"})
        ):
            found = change["state"] | {"_id": visit_id, "version": 1}
        if found is None or (found["district_id"], found.get("logged_by")) != (
            caller.district_id,
            caller.subject,
        ):
            return None
        return found

    async def student(self, student_id: str) -> Document | None:
        return await self.students.find_one({"_id": student_id})

    async def students_by_id(self, student_ids: list[str]) -> list[Document]:
        return await self.students.find({"_id": {"$in": student_ids}}).to_list()

    async def project(self, collection: str, record: Document) -> None:
        """Keep the newest version of a record another service announced."""
        current = await self.db[collection].find_one({"_id": record["_id"]}, {"version": 1})
        if current is None or current["version"] < record["version"]:
            await self.db[collection].replace_one({"_id": record["_id"]}, record, upsert=True)

    async def project_latest(self, collection: str, record: Document) -> None:
        """For records announced without a version (``class-changed``): the latest announcement,
        by when it happened, wins (one school's events keep their order; a replay repeats them)."""
        current = await self.db[collection].find_one({"_id": record["_id"]}, {"at": 1})
        if current is None or current["at"] <= record["at"]:
            await self.db[collection].replace_one({"_id": record["_id"]}, record, upsert=True)

    async def school(self, school_id: str) -> Document | None:
        """A school as the registry announced it: its district.

        ``school-changed`` travels on the public topic and students on the internal one, read by
        two consumers: a school whose students arrived first is known by them until it does."""
        found = await self.db[SCHOOLS].find_one({"_id": school_id})
        if found is None and (student := await self.students.find_one({"school_id": school_id})):
            found = {"_id": school_id, "district_id": student["district_id"]}
        return found

    async def class_(self, class_id: str) -> Document | None:
        """A class as the registry announced it: its district and school (a class never changes
        school), from its own announcement or, until that arrives, from a student of it."""
        found = await self.db[CLASSES].find_one({"_id": class_id})
        if found is None and (student := await self.students.find_one({"class_id": class_id})):
            found = {
                "_id": class_id,
                "district_id": student["district_id"],
                "school_id": student["school_id"],
            }
        return found

    async def meetings_inviting(self, district_id: str, guardian_id: str) -> list[Document]:
        """The meetings of the district that invite this guardian, late invitations included."""
        late = await self.late_invitation_versions(guardian_id)
        where = {
            "district_id": district_id,
            "$or": [{"invitee_ids": guardian_id}, {"_id": {"$in": sorted(late)}}],
        }
        return await self.db[MEETINGS].find(where).to_list()

    async def visits_of_students(self, district_id: str, student_ids: list[str]) -> list[Document]:
        return await self.visits.find(
            {"district_id": district_id, "student_id": {"$in": student_ids}}
        ).to_list()

    async def students_of_class(self, class_id: str) -> list[Document]:
        return await self.students.find({"class_id": class_id, "status": "enrolled"}).to_list()

    async def term(self, district_id: str, school_year: str, kind: str) -> Document | None:
        return await self.db[TERMS].find_one({"_id": f"{district_id}:{school_year}:{kind}"})

    async def terms_of(self, district_id: str) -> list[Document]:
        """The district's terms as the registry announced them (a handful per school year)."""
        return await self.db[TERMS].find({"district_id": district_id}).to_list()

    async def guardians_by_id(self, district_id: str, guardian_ids: list[str]) -> list[Document]:
        where = {"district_id": district_id, "_id": {"$in": guardian_ids}}
        return await self.db[GUARDIANS].find(where).to_list()

    async def policy(self, district_id: str, school_year: str) -> Document | None:
        return await self.db[POLICIES].find_one({"_id": f"{district_id}:{school_year}"})

    async def visits_of_class(self, district_id: str, school_id: str, class_id: str) -> list[Document]:
        where = {"district_id": district_id, "school_id": school_id, "class_id": class_id}
        return await self.visits.find(where).to_list()

    async def invitees(self, district_id: str, school_id: str, class_ids: list[str] | None) -> list[str]:
        """Guardians of the enrolled students of the classes (of the whole school when None).

        The students are the school's as the registry last announced them; their guardians are
        found by child, since a guardian's own record keeps the school that registered them."""
        students = await self.students.find({"district_id": district_id, "school_id": school_id}).to_list()
        wanted = invited_students(class_ids, students)
        if not wanted:
            return []
        where = {"district_id": district_id, "student_ids": {"$in": sorted(wanted)}}
        return guardians_of(wanted, await self.db[GUARDIANS].find(where).to_list())

    async def planned_meetings_of_schools(self, district_id: str, school_ids: set[str]) -> list[Document]:
        where = {"district_id": district_id, "school_id": {"$in": sorted(school_ids)}, "status": "planned"}
        return await self.db[MEETINGS].find(where).to_list()

    async def meeting(self, meeting_id: str) -> Document | None:
        """The meeting with every invitee, late invitations included."""
        meeting = await self.db[MEETINGS].find_one({"_id": meeting_id})
        if meeting is not None:
            late = await self.db[LATE_INVITATIONS].find({"meeting_id": meeting_id}).to_list()
            meeting["invitee_ids"] = sorted(set(meeting["invitee_ids"]) | {d["guardian_id"] for d in late})
        return meeting

    async def late_invitation_versions(self, guardian_id: str) -> dict[str, int]:
        """The meetings this guardian was invited to late, by the newest version they were told."""
        fields = {"meeting_id": 1, "meeting_version": 1}
        told: dict[str, int] = {}
        for d in await self.db[LATE_INVITATIONS].find({"guardian_id": guardian_id}, fields).to_list():
            told[d["meeting_id"]] = max(told.get(d["meeting_id"], 0), d["meeting_version"])
        return told

    async def meeting_states(self, meeting_ids: list[str]) -> list[Document]:
        """Status, version and recorded invitees of these meetings, as they stand (one read)."""
        where = {"_id": {"$in": meeting_ids}}
        return await self.db[MEETINGS].find(where, {"status": 1, "version": 1, "invitee_ids": 1}).to_list()

    async def answers(self, meeting_id: str) -> list[Document]:
        return await self.db[RSVPS].find({"meeting_id": meeting_id}).to_list()

    async def put_answer(self, answer: Document) -> None:
        # The guardian's own record: nobody else writes it.
        await self.db[RSVPS].replace_one({"_id": answer["_id"]}, answer, upsert=True)

    async def projected(self, collection: str, record_id: str) -> Document | None:
        return await self.db[collection].find_one({"_id": record_id})

    async def meetings_organised_by(self, district_id: str, organiser_id: str) -> list[Document]:
        where = {"district_id": district_id, "organiser_id": organiser_id}
        return await self.db[MEETINGS].find(where).to_list()

    async def meetings_of_school(self, district_id: str, school_id: str) -> list[Document]:
        return await self.db[MEETINGS].find({"district_id": district_id, "school_id": school_id}).to_list()

    async def visits_of_school(self, district_id: str, school_id: str) -> list[Document]:
        return await self.visits.find({"district_id": district_id, "school_id": school_id}).to_list()

    async def find(self, collection: str, where: Document) -> list[Document]:
        return await self.db[collection].find(where).to_list()
