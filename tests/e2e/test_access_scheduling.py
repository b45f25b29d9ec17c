"""Who sees what in scheduling (issue 14), on the real broker and store: every check starts from the
record's own district, school and class (scheduling's projection of the registry for a class or a
school named in the path or the body), never from the ids a token names; a role that may never do
something gets 403, a record outside the caller's reach the 404 of a missing one."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import icalendar
import pytest
from bearer import bearer
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra

OTHER_DISTRICT = "d-e2e-elsewhere"


def auth(role: Role, school_id: str | None = None, classes: list[str] | None = None, **claims) -> dict:
    subject = claims.get("subject", f"{role.value}-{uuid.uuid4().hex[:6]}")
    district_id = claims.get("district_id", "d-e2e")
    return bearer(role, district_id, subject, school_id, classes, claims.get("students"))


def phone() -> str:
    return "136" + str(uuid.uuid4().int)[:8]


async def created(answer: httpx.Response) -> dict:
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@dataclass
class Side:
    """One school: two classes, a child and their guardian in each."""

    school_id: str
    classes: list[str]
    students: list[str]
    guardians: list[str]

    def admin(self, **claims) -> dict:
        return auth(Role.school_admin, self.school_id, **claims)

    def teacher(self, n: int = 0, **claims) -> dict:
        return auth(
            Role.teacher, self.school_id, [self.classes[n]], subject=f"stf-{self.classes[n]}", **claims
        )

    def guardian(self, n: int = 0, school_id: str | None = None, **claims) -> dict:
        return auth(
            Role.guardian,
            school_id or self.school_id,
            subject=self.guardians[n],
            students=[self.students[n]],
            **claims,
        )


@dataclass
class World:
    a: Side
    b: Side
    partner: str
    other_partner: str
    activities: dict[str, str]  # "class0", "class1", "school": activity ids of school A
    meetings: dict[str, str]  # "class0", "reception": meetings of school A
    visits: dict[str, str]  # "planned", "done": visits to school A's first child


async def side(registry: httpx.AsyncClient, name: str) -> Side:
    bureau = auth(Role.bureau)
    school = (
        await created(
            await registry.post(
                "/v1/schools", json={"name": name, "level": "primary", "setting": "urban"}, headers=bureau
            )
        )
    )["school_id"]
    admin = auth(Role.school_admin, school)
    found = Side(school, [], [], [])
    for n, class_name in enumerate(("三年级1班", "三年级2班")):
        klass = await created(
            await registry.post(
                f"/v1/schools/{school}/classes", json={"grade": 3, "name": class_name}, headers=admin
            )
        )
        student = await created(
            await registry.post(
                f"/v1/classes/{klass['class_id']}/students",
                json={"name": f"学生{n}", "gender": "女", "student_number": f"A-{phone()}"},
                headers=admin,
            )
        )
        guardian = await created(
            await registry.post(
                f"/v1/students/{student['student_id']}/guardians",
                json={"name": f"家长{n}", "relationship": "母亲", "phone": phone()},
                headers=admin,
            )
        )
        found.classes.append(klass["class_id"])
        found.students.append(student["student_id"])
        found.guardians.append(guardian["guardian_id"])
    return found


@pytest.fixture(scope="module")
async def world(platform) -> World:
    registry, scheduling = platform.all_services["registry"], platform.scheduling
    store = platform.scheduling_app.state.store
    a, b = await side(registry, "叶城县第九小学"), await side(registry, "良舍小学")
    partners = []
    agreements = []
    for name in ("依干其街社区居委会", "文化路派出所"):
        partner = await created(
            await registry.post(
                f"/v1/schools/{a.school_id}/partners",
                json={
                    "name": name,
                    "kind": "community_committee",
                    "contact_person": "王主任",
                    "contact_phone": phone(),
                },
                headers=a.admin(),
            )
        )
        agreement = await created(
            await registry.post(
                f"/v1/partners/{partner['partner_id']}/agreements",
                json={
                    "title": "共建协议书",
                    "starts_on": "2026-09-01",
                    "ends_on": "2027-07-15",
                    "signed_on": "2026-09-10",
                },
                headers=a.admin(),
            )
        )
        partners.append(partner["partner_id"])
        agreements.append(agreement["agreement_id"])

    async def projected() -> bool:
        for side_ in (a, b):
            for student_id, guardian_id in zip(side_.students, side_.guardians, strict=True):
                if await store.student(student_id) is None:
                    return False
                if await store.projected("guardians", guardian_id) is None:
                    return False
        return all([await store.projected("agreements", agreement) for agreement in agreements])

    deadline = datetime.now(UTC) + timedelta(seconds=60)
    while not await projected():
        assert datetime.now(UTC) < deadline, "scheduling's projection did not catch up"
        await asyncio.sleep(0.2)

    activity = {
        "agreement_id": agreements[0],
        "kind": "legal_education",
        "title": "禁毒宣传「珍惜生命、远离毒品」",
        "held_on": SCHOOL_TODAY.replace(day=1).isoformat(),
        "students_count": 40,
        "participant_times": 42,
        "outcome_notes": "三年级1班阿依古丽的家长提出希望再办一次",
    }
    activities = {}
    for key, class_ids in (("class0", [a.classes[0]]), ("class1", [a.classes[1]]), ("school", [])):
        recorded = await created(
            await scheduling.post(
                "/v1/partner-activities", json=activity | {"class_ids": class_ids}, headers=a.admin()
            )
        )
        activities[key] = recorded["activity_id"]

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    meetings = {}
    for key, body, headers in (
        ("class0", {"kind": "parent_meeting", "level": "class", "class_ids": [a.classes[0]]}, a.teacher(0)),
        ("reception", {"kind": "reception_day", "level": "school"}, a.admin(subject="stf-principal-a")),
    ):
        start += timedelta(hours=3)
        meeting = await created(
            await scheduling.post(
                "/v1/meetings",
                json=body
                | {
                    "title": "家长会",
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=1)).isoformat(),
                },
                headers=headers,
            )
        )
        meetings[key] = meeting["meeting_id"]

    planned = await created(
        await scheduling.post(
            "/v1/home-visits/plans",
            json={
                "student_id": a.students[0],
                "class_id": a.classes[0],
                "planned_on": (SCHOOL_TODAY + timedelta(days=3)).isoformat(),
                "mode": "in_person",
            },
            headers=a.teacher(0),
        )
    )
    done = await created(
        await scheduling.post(
            "/v1/home-visits",
            json={
                "student_id": a.students[0],
                "class_id": a.classes[0],
                "visited_on": (SCHOOL_TODAY - timedelta(days=1)).isoformat(),
                "mode": "in_person",
                "findings": "父母在外务工",
            },
            headers=a.teacher(0),
        )
    )
    await scheduling.post(
        f"/v1/home-visits/{planned['visit_id']}/outcome",
        json={
            "outcome": "rescheduled",
            "reason": "家长出差",
            "new_date": (SCHOOL_TODAY + timedelta(days=4)).isoformat(),
        },
        headers=a.teacher(0),
    )
    visits = {"planned": planned["visit_id"], "done": done["visit_id"]}
    return World(a, b, partners[0], partners[1], activities, meetings, visits)


GUARDIAN_ACTIVITY_FIELDS = {"activity_id", "school_id", "kind", "title", "held_on", "place"}


async def test_a_guardian_reads_only_the_activities_concerning_their_children_and_only_public_fields(
    platform, world
):
    a, b, read = world.a, world.b, platform.scheduling.get
    path = "/v1/partner-activities/{}".format

    own_class = await read(path(world.activities["class0"]), headers=a.guardian(0))
    whole_school = await read(path(world.activities["school"]), headers=a.guardian(0))
    other_class = await read(path(world.activities["class1"]), headers=a.guardian(0))
    other_school = await read(path(world.activities["class0"]), headers=b.guardian(0, school_id=a.school_id))
    partner = await read(
        path(world.activities["class0"]), headers=auth(Role.partner, a.school_id, subject=world.partner)
    )
    other_partner = await read(
        path(world.activities["class0"]), headers=auth(Role.partner, a.school_id, subject=world.other_partner)
    )
    staff = await read(path(world.activities["class1"]), headers=a.teacher(0))

    assert own_class.status_code == 200, own_class.text
    assert set(own_class.json()) == GUARDIAN_ACTIVITY_FIELDS
    assert "阿依古丽" not in own_class.text  # another family's data in the notes
    assert whole_school.status_code == 200, whole_school.text
    assert other_class.status_code == 404
    assert other_school.status_code == 404
    assert (
        other_class.json()["detail"]
        == (await read(path("pa-missing"), headers=a.guardian(0))).json()["detail"]
    )
    assert partner.status_code == 200
    assert partner.json()["outcome_notes"]
    assert other_partner.status_code == 404
    assert staff.status_code == 200
    assert staff.json()["participant_times"] == 42


async def test_a_school_calendar_is_for_school_staff_and_the_bureau_and_home_visits_for_staff_only(
    platform, world
):
    a, read = world.a, platform.scheduling.get
    school = f"/v1/calendars/schools/{a.school_id}"
    partner = auth(Role.partner, a.school_id, subject=world.partner)
    token = partner["authorization"].removeprefix("Bearer ")

    as_partner = await read(school, headers=partner)
    feed_for_partner = await read(f"{school}.ics?token={token}")
    as_guardian = await read(school, headers=a.guardian(0))
    as_bureau = await read(school, headers=auth(Role.bureau))
    as_admin = await read(school, headers=a.admin())
    admin_feed = await read(f"{school}.ics", headers=a.admin())

    assert (as_partner.status_code, feed_for_partner.status_code, as_guardian.status_code) == (403, 403, 403)
    assert as_partner.json()["type"].endswith("/forbidden")
    assert as_bureau.status_code == 200, as_bureau.text
    assert {i["kind"] for i in as_bureau.json()} == {"meeting"}
    assert world.a.students[0] not in as_bureau.text
    assert {i["id"] for i in as_admin.json()} >= {world.visits["planned"], *world.meetings.values()}
    summaries = [
        str(e.get("SUMMARY")) for e in icalendar.Calendar.from_ical(admin_feed.content).walk("VEVENT")
    ]
    assert "家访 · 班级 · 上门" in summaries
    assert a.students[0] not in admin_feed.text  # a calendar app never learns which student


async def test_a_token_of_another_district_naming_this_schools_people_reads_none_of_their_records(
    platform, world
):
    a, read = world.a, platform.scheduling.get
    elsewhere = {"district_id": OTHER_DISTRICT}
    callers = {
        "guardian": auth(
            Role.guardian, a.school_id, subject=a.guardians[0], students=[a.students[0]], **elsewhere
        ),
        "teacher": auth(
            Role.teacher, a.school_id, [a.classes[0]], subject=f"stf-{a.classes[0]}", **elsewhere
        ),
        "school_admin": auth(Role.school_admin, a.school_id, **elsewhere),
    }
    paths = [
        f"/v1/home-visits/{world.visits['done']}",
        f"/v1/meetings/{world.meetings['class0']}",
        f"/v1/meetings/{world.meetings['reception']}",
        f"/v1/partner-activities/{world.activities['class0']}",
    ]
    staff_paths = [
        f"/v1/classes/{a.classes[0]}/follow-ups",
        f"/v1/calendars/classes/{a.classes[0]}",
        f"/v1/calendars/schools/{a.school_id}",
        f"/v1/schools/{a.school_id}/tickets",
        f"/v1/meetings/{world.meetings['class0']}/roster",
    ]

    answers = {
        (who, path): (await read(path, headers=headers)).status_code
        for who, headers in callers.items()
        for path in paths + (staff_paths if who != "guardian" else [])
    }
    mine = await read("/v1/calendars/me", headers=callers["guardian"])

    assert {key: status for key, status in answers.items() if status != 404} == {}
    assert mine.json() == []
    # the same reads with this district's tokens do answer (the test is not vacuous)
    assert (await read(paths[0], headers=a.guardian(0))).status_code == 200
    assert (await read(paths[1], headers=a.teacher(0))).status_code == 200


async def test_a_school_admin_reads_no_class_of_another_school_and_an_unknown_class_is_404(platform, world):
    a, b, read = world.a, world.b, platform.scheduling.get
    for path in ("/v1/classes/{}/follow-ups", "/v1/calendars/classes/{}", "/v1/calendars/classes/{}.ics"):
        assert (await read(path.format(b.classes[0]), headers=a.admin())).status_code == 404, path
        assert (await read(path.format("cls-unknown"), headers=a.admin())).status_code == 404, path
        assert (await read(path.format(a.classes[0]), headers=a.admin())).status_code == 200, path
    # a teacher of school A who names school B's class in the token reaches nothing of it either
    teacher = auth(Role.teacher, a.school_id, [b.classes[0]])
    assert (await read(f"/v1/classes/{b.classes[0]}/follow-ups", headers=teacher)).status_code == 404
    # the roles that never read a class's follow-ups
    for who in (a.guardian(0), auth(Role.partner, a.school_id, subject=world.partner)):
        assert (await read(f"/v1/classes/{a.classes[0]}/follow-ups", headers=who)).status_code == 403


async def test_writes_naming_another_schools_class_student_guardian_or_partner_are_404(platform, world):
    a, b, scheduling = world.a, world.b, platform.scheduling
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    meeting = {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": [b.classes[0]],
        "title": "跨校家长会",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    past = meeting | {
        "starts_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "ends_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "invited_count": 3,
        "attended_count": 2,
    }
    admin = a.admin(subject=f"stf-writer-{uuid.uuid4().hex[:6]}")
    store = platform.scheduling_app.state.store
    agreement = (await store.projected("partner_activities", world.activities["class0"]))["agreement_id"]
    activity = {
        "agreement_id": agreement,
        "kind": "legal_education",
        "title": "法制讲座",
        "held_on": SCHOOL_TODAY.isoformat(),
        "participant_times": 10,
    }

    answers = {
        "meeting": await scheduling.post("/v1/meetings", json=meeting, headers=admin),
        "grade meeting": await scheduling.post(
            "/v1/meetings",
            json=meeting | {"level": "grade", "class_ids": [a.classes[0], b.classes[0]]},
            headers=admin,
        ),
        "past meeting": await scheduling.post("/v1/meetings/held", json=past, headers=admin),
        "term plan": await scheduling.post(
            f"/v1/classes/{b.classes[0]}/term-plan/proposal",
            json={"school_year": "2026-2027", "term": "autumn", "teacher_ids": ["stf-1"]},
            headers=admin,
        ),
        "term plan confirmed": await scheduling.post(
            f"/v1/classes/{b.classes[0]}/term-plan",
            json={
                "visits": [
                    {
                        "student_id": b.students[0],
                        "planned_on": (SCHOOL_TODAY + timedelta(days=5)).isoformat(),
                        "visiting_staff_ids": ["stf-1"],
                        "mandatory": False,
                    }
                ]
            },
            headers=admin,
        ),
        "visit": await scheduling.post(
            "/v1/home-visits/plans",
            json={
                "student_id": b.students[0],
                "class_id": b.classes[0],
                "planned_on": (SCHOOL_TODAY + timedelta(days=5)).isoformat(),
                "mode": "phone",
            },
            headers=admin,
        ),
        "visit to a class of ours for their student": await scheduling.post(
            "/v1/home-visits",
            json={
                "student_id": b.students[0],
                "class_id": a.classes[0],
                "visited_on": (SCHOOL_TODAY - timedelta(days=1)).isoformat(),
                "mode": "phone",
            },
            headers=admin,
        ),
        "activity for their class": await scheduling.post(
            "/v1/partner-activities", json=activity | {"class_ids": [b.classes[0]]}, headers=admin
        ),
        "activity under our partner's agreement, by them": await scheduling.post(
            "/v1/partner-activities", json=activity, headers=b.admin()
        ),
        "ticket for their guardian": await scheduling.post(
            f"/v1/meetings/{world.meetings['class0']}/tickets",
            json={
                "question": "午餐安排？",
                "raised_by_guardian_id": b.guardians[0],
                "owner_id": "stf-1",
                "due_on": (SCHOOL_TODAY + timedelta(days=5)).isoformat(),
            },
            headers=a.admin(),
        ),
    }

    assert {what: answer.status_code for what, answer in answers.items() if answer.status_code != 404} == {}
    # the same write within the school is accepted (the 404s are about the other school)
    ours = await scheduling.post("/v1/meetings", json=meeting | {"class_ids": [a.classes[1]]}, headers=admin)
    assert ours.status_code == 201, ours.text


async def test_another_districts_bureau_gets_404_on_this_districts_school_routes(platform, world):
    a, read = world.a, platform.scheduling.get
    theirs = auth(Role.bureau, district_id=OTHER_DISTRICT)
    ours = auth(Role.bureau)
    routes = [f"/v1/calendars/schools/{a.school_id}", f"/v1/calendars/schools/{a.school_id}.ics"]

    for route in routes:
        assert (await read(route, headers=theirs)).status_code == 404, route
        assert (await read(route, headers=ours)).status_code == 200, route
    assert (await read("/v1/calendars/schools/sch-unknown", headers=ours)).status_code == 404
    assert (await read(f"/v1/schools/{a.school_id}/tickets", headers=theirs)).status_code in (403, 404)
    assert (await read(f"/v1/schools/{a.school_id}/tickets", headers=ours)).status_code == 403


async def test_a_guardians_school_follows_their_childs_school_not_the_one_in_the_token(platform, world):
    a, b, scheduling = world.a, world.b, platform.scheduling
    # the token names school B (the school that registered the guardian, say); the child is in A
    stale = a.guardian(0, school_id=b.school_id)

    calendar = await scheduling.get("/v1/calendars/me", headers=stale)
    at_reception = await scheduling.post(
        "/v1/tickets",
        json={"question": "希望增加课后托管", "meeting_id": world.meetings["reception"]},
        headers=stale,
    )
    in_mailbox = await scheduling.post("/v1/tickets", json={"question": "校门口交通拥堵"}, headers=stale)
    meeting = await scheduling.get(f"/v1/meetings/{world.meetings['class0']}", headers=stale)

    assert calendar.status_code == 200, calendar.text
    assert {i["id"] for i in calendar.json()} == {
        world.meetings["class0"],
        world.meetings["reception"],
        world.visits["planned"],
    }
    assert at_reception.status_code == 201, at_reception.text
    assert in_mailbox.status_code == 201, in_mailbox.text
    assert meeting.status_code == 200, meeting.text
    listed = await scheduling.get(f"/v1/schools/{a.school_id}/tickets", headers=a.admin())
    assert {in_mailbox.json()["ticket_id"], at_reception.json()["ticket_id"]} <= {
        t["ticket_id"] for t in listed.json()
    }
    # a guardian of school B reaches no reception day of school A with a token naming school A
    intruder = b.guardian(0, school_id=a.school_id)
    refused = await scheduling.post(
        "/v1/tickets", json={"question": "？", "meeting_id": world.meetings["reception"]}, headers=intruder
    )
    assert refused.status_code == 404
