"""The late invitation keeping up with a meeting changed meanwhile, on a store kept in memory."""

from datetime import UTC, datetime, timedelta

from scheduling import late_invitations
from service_kit.changes import Change, ChangedMeanwhile

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
MEETING = {
    "_id": "m-1",
    "meeting_id": "m-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "kind": "parent_meeting",
    "level": "class",
    "class_ids": ["cls-a"],
    "title": "期中家长会",
    "starts_at": (NOW + timedelta(days=1)).isoformat(),
    "ends_at": (NOW + timedelta(days=1, hours=1)).isoformat(),
    "place": "",
    "status": "planned",
    "invitee_ids": ["gdn-1"],
    "version": 1,
}


def enrolled(student_id: str, school_id: str = "sch-1") -> dict:
    return {"_id": student_id, "class_id": "cls-a", "status": "enrolled", "school_id": school_id}


class Store:
    """What the late invitations read and write: one meeting as it stands now, the students as
    the registry last announced them (enrolled in its school's class unless told otherwise), the
    guardians, and the change log."""

    def __init__(self, current: dict, students: list[dict] = (), guardians: list[dict] = ()) -> None:
        self.current, self.changes = current, {}
        self.students = {s["_id"]: s for s in students}
        self.guardians = list(guardians)

    async def record(self, change: Change) -> None:
        if change.key in self.changes:
            raise ChangedMeanwhile(change.what)
        self.changes[change.key] = change

    async def meeting(self, meeting_id: str) -> dict:
        return self.current

    async def meeting_states(self, meeting_ids: list[str]) -> list[dict]:
        return [{k: self.current[k] for k in ("_id", "status", "version", "invitee_ids")}]

    async def planned_meetings_of_schools(self, district_id: str, school_ids: set[str]) -> list[dict]:
        planned = self.current["status"] == "planned" and self.current["school_id"] in school_ids
        return [self.current] if planned else []

    async def students_by_id(self, student_ids: list[str]) -> list[dict]:
        return [self.students.get(i, enrolled(i)) for i in student_ids]

    async def find(self, collection: str, where: dict) -> list[dict]:
        assert collection == "guardians"
        return [g for g in self.guardians if where["student_ids"] in g["student_ids"]]

    async def late_invitation_versions(self, guardian_id: str) -> dict[str, int]:
        told: dict[str, int] = {}
        for change in self.changes.values():
            for state in (change.state, *(a.state for a in change.also)):
                if state["guardian_id"] == guardian_id:
                    told[state["meeting_id"]] = max(
                        told.get(state["meeting_id"], 0), state["meeting_version"]
                    )
        return told

    def told(self) -> list[tuple[str, int]]:
        return [(e.payload.status, e.payload.version) for c in self.changes.values() for e in c.events]


async def test_a_guardian_invited_to_a_meeting_that_stayed_put_is_told_once():
    store = Store(MEETING)

    await late_invitations.invite(store, [MEETING], "gdn-7", NOW)  # type: ignore[arg-type]
    await late_invitations.invite(store, [MEETING], "gdn-7", NOW)  # type: ignore[arg-type]

    assert store.told() == [("scheduled", 1)]


async def test_a_meeting_moved_meanwhile_is_told_to_the_late_guardian_as_the_others_heard_it():
    store = Store(MEETING | {"starts_at": (NOW + timedelta(days=3)).isoformat(), "version": 2})

    await late_invitations.invite(store, [MEETING], "gdn-7", NOW)  # type: ignore[arg-type]

    assert store.told() == [("scheduled", 1), ("rescheduled", 2)]


async def test_a_meeting_cancelled_or_held_meanwhile():
    cancelled = Store(MEETING | {"status": "cancelled", "version": 2})
    held = Store(MEETING | {"status": "held", "version": 2})

    await late_invitations.invite(cancelled, [MEETING], "gdn-7", NOW)  # type: ignore[arg-type]
    await late_invitations.invite(held, [MEETING], "gdn-7", NOW)  # type: ignore[arg-type]

    assert cancelled.told() == [("scheduled", 1), ("cancelled", 2)]
    assert held.told() == [("scheduled", 1)]


async def test_one_change_invites_a_guardian_to_several_meetings():
    other = MEETING | {"_id": "m-2", "meeting_id": "m-2"}
    store = Store(MEETING)

    await late_invitations.invite(store, [MEETING, other], "gdn-7", NOW)  # type: ignore[arg-type]

    (change,) = store.changes.values()
    assert [e.payload.meeting_id for e in change.events] == ["m-1", "m-2"]
    assert [a.aggregate_id for a in change.also] == ["m-2:gdn-7:v1"]


GUARDIAN = {"_id": "gdn-7", "district_id": "d-yecheng", "student_ids": ["stu-7"]}


async def test_a_guardian_already_invited_is_not_invited_again():
    store = Store(MEETING | {"invitee_ids": ["gdn-1", "gdn-7"]})

    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]

    assert store.told() == []


async def test_a_late_invitee_the_meeting_moved_without_is_caught_up_when_the_registry_speaks_again():
    store = Store(MEETING)
    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]
    # moved by a reschedule that read the invitees before the late invitation was recorded, and
    # the process stopped before it could catch up
    store.current = MEETING | {"version": 2}

    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]
    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]

    assert store.told() == [("scheduled", 1), ("rescheduled", 2)]


async def test_a_late_invitee_a_reschedule_listed_needs_no_catching_up():
    store = Store(MEETING)
    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]
    store.current = MEETING | {"version": 2, "invitee_ids": ["gdn-1", "gdn-7"]}

    await late_invitations.guardian_announced(store, GUARDIAN, NOW)  # type: ignore[arg-type]

    assert store.told() == [("scheduled", 1)]


async def test_a_guardian_is_invited_to_the_meetings_of_the_school_their_child_was_moved_to():
    # registered by school sch-2 (a record the registry keeps when the bureau moves the child)
    guardian = GUARDIAN | {"school_id": "sch-2"}
    store = Store(MEETING, students=[enrolled("stu-7", "sch-1")])

    await late_invitations.guardian_announced(store, guardian, NOW)  # type: ignore[arg-type]

    assert store.told() == [("scheduled", 1)]


async def test_a_guardian_is_not_invited_to_the_meetings_of_the_school_their_child_left():
    store = Store(MEETING, students=[enrolled("stu-7", "sch-2")])

    await late_invitations.guardian_announced(store, GUARDIAN | {"school_id": "sch-1"}, NOW)  # type: ignore[arg-type]

    assert store.told() == []


async def test_a_student_moved_in_from_another_school_brings_their_guardians_to_the_meetings_ahead():
    moved_in = enrolled("stu-7", "sch-1") | {"district_id": "d-yecheng"}
    store = Store(MEETING, students=[moved_in], guardians=[GUARDIAN | {"school_id": "sch-2"}])

    await late_invitations.student_announced(store, moved_in, NOW)  # type: ignore[arg-type]

    (change,) = store.changes.values()
    assert change.state["guardian_id"] == "gdn-7"
    assert store.told() == [("scheduled", 1)]
