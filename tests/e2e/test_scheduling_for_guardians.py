"""What scheduling answers a guardian's phone pages, on the real broker and store: their own RSVP,
their calendar (their children's meetings and planned visits, nobody else's), and the issues they
raise for the principal's reception day (校长接待日) or mailbox (校长信箱) with the reply."""

import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra


def phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


async def schedule(platform, admin: dict, days: float, **body) -> str:
    # one organiser for all of a test's meetings: they must not overlap (a clash is refused)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    answer = await platform.scheduling.post(
        "/v1/meetings",
        json={"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()} | body,
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["meeting_id"])


@pytest.fixture
async def school(family, registry_api, platform, eventually):
    """A class with two families, a second class, a meeting for each class and a reception day."""
    people = await family([{"phone": phone()}, {"phone": phone()}])
    other_class = await registry_api.new_class(people.school_id, "三年级3班")

    async def class_known() -> bool:  # a meeting names only a class scheduling's projection knows
        return await platform.scheduling_app.state.store.class_(other_class) is not None

    await eventually(class_known, 30)
    principal = f"stf-principal-{uuid.uuid4().hex[:8]}"
    admin = registry_api.auth(Role.school_admin, people.school_id, subject=principal)
    meetings = {
        "ours": await schedule(
            platform,
            admin,
            2,
            kind="parent_meeting",
            level="class",
            class_ids=[people.class_id],
            title="三年级2班期中家长会",
            place="三年级2班教室",
        ),
        "theirs": await schedule(
            platform,
            admin,
            2.25,
            kind="parent_meeting",
            level="class",
            class_ids=[other_class],
            title="三年级3班家长会",
        ),
        "reception": await schedule(
            platform, admin, 3, kind="reception_day", level="school", title="校长接待日", place="校长室"
        ),
    }
    return people, principal, admin, meetings


def guardian_headers(registry_api, people, n: int) -> dict:
    guardian = people.guardians[n]
    return registry_api.auth(
        Role.guardian, people.school_id, subject=guardian.guardian_id, students=[guardian.student_id]
    )


async def test_a_guardian_rsvps_and_reads_their_own_answer_and_an_uninvited_guardian_gets_404(
    platform, registry_api, school
):
    people, _, admin, meetings = school
    mine, sibling = guardian_headers(registry_api, people, 0), guardian_headers(registry_api, people, 1)
    ours = f"/v1/meetings/{meetings['ours']}"
    other_parent = registry_api.auth(
        Role.guardian, people.school_id, subject=f"gdn-{uuid.uuid4().hex[:8]}", students=["stu-other"]
    )
    other_school = registry_api.auth(
        Role.guardian, "sch-elsewhere", subject=f"gdn-{uuid.uuid4().hex[:8]}", students=["stu-far"]
    )

    answered = await platform.scheduling.put(f"{ours}/rsvp", json={"answer": "yes"}, headers=mine)
    read = await platform.scheduling.get(ours, headers=mine)
    unanswered = await platform.scheduling.get(ours, headers=sibling)
    staff = await platform.scheduling.get(ours, headers=admin)

    assert answered.status_code == 200, answered.text
    assert answered.json()["my_rsvp"] == "yes"
    assert (read.json()["my_rsvp"], read.json()["rsvp"]["yes"]) == ("yes", 1)
    assert unanswered.json()["my_rsvp"] is None
    assert staff.json()["my_rsvp"] is None
    for stranger in (other_parent, other_school):
        assert (await platform.scheduling.get(ours, headers=stranger)).status_code == 404
    assert (
        await platform.scheduling.get(f"/v1/meetings/{meetings['theirs']}", headers=mine)
    ).status_code == 404


async def test_a_guardians_calendar_shows_their_childs_meetings_and_planned_visit_and_not_another_class(
    platform, registry_api, school
):
    people, _, _, meetings = school
    mine = guardian_headers(registry_api, people, 0)
    teacher = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
    )
    visits = {}
    for n, mode in ((0, "in_person"), (1, "phone")):
        plan = await platform.scheduling.post(
            "/v1/home-visits/plans",
            json={
                "student_id": people.guardians[n].student_id,
                "class_id": people.class_id,
                "planned_on": (SCHOOL_TODAY + timedelta(days=4)).isoformat(),
                "mode": mode,
            },
            headers=teacher,
        )
        assert plan.status_code == 201, plan.text
        visits[n] = plan.json()["visit_id"]
    await platform.scheduling.put(
        f"/v1/meetings/{meetings['ours']}/rsvp", json={"answer": "maybe"}, headers=mine
    )

    calendar = await platform.scheduling.get("/v1/calendars/me", headers=mine)
    token = mine["authorization"].removeprefix("Bearer ")
    feed = await platform.scheduling.get(f"/v1/calendars/me.ics?token={token}")
    staff = await platform.scheduling.get("/v1/calendars/me", headers=teacher)

    assert calendar.status_code == 200, calendar.text
    found = {item["id"]: item for item in calendar.json()}
    assert set(found) == {meetings["ours"], meetings["reception"], visits[0]}
    assert (found[meetings["ours"]]["meeting_kind"], found[meetings["ours"]]["my_rsvp"]) == (
        "parent_meeting",
        "maybe",
    )
    assert found[meetings["ours"]]["place"] == "三年级2班教室"
    assert (found[meetings["reception"]]["meeting_kind"], found[meetings["reception"]]["my_rsvp"]) == (
        "reception_day",
        None,
    )
    assert found[visits[0]] | {"title": None} == {
        "kind": "home_visit",
        "id": visits[0],
        "title": None,
        "starts_at": None,
        "ends_at": None,
        "on": (SCHOOL_TODAY + timedelta(days=4)).isoformat(),
        "place": "",
        "status": "planned",
        "meeting_kind": None,
        "mode": "in_person",
        "my_rsvp": None,
    }
    assert feed.status_code == 200, feed.text
    assert len(icalendar.Calendar.from_ical(feed.content).walk("VEVENT")) == 3
    # the head teacher's calendar is as before: their class's meeting and both visits they will make
    assert {i["id"] for i in staff.json()} >= {meetings["ours"], visits[0], visits[1]}
    assert meetings["theirs"] not in {i["id"] for i in staff.json()}


async def test_a_guardian_raises_issues_for_the_reception_day_and_the_mailbox_and_reads_the_replies(
    platform, registry_api, school
):
    people, principal, admin, meetings = school
    mine, sibling = guardian_headers(registry_api, people, 0), guardian_headers(registry_api, people, 1)
    teacher = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
    )

    at_reception = await platform.scheduling.post(
        "/v1/tickets",
        json={"question": "希望增加课后托管", "meeting_id": meetings["reception"]},
        headers=mine,
    )
    in_mailbox = await platform.scheduling.post(
        "/v1/tickets", json={"question": "校门口交通拥堵"}, headers=mine
    )
    not_a_reception_day = await platform.scheduling.post(
        "/v1/tickets", json={"question": "？", "meeting_id": meetings["ours"]}, headers=mine
    )
    by_staff = await platform.scheduling.post("/v1/tickets", json={"question": "代提"}, headers=teacher)
    unknown_field = await platform.scheduling.post(
        "/v1/tickets", json={"question": "？", "owner_id": "stf-1"}, headers=mine
    )

    assert at_reception.status_code == 201, at_reception.text
    assert in_mailbox.status_code == 201, in_mailbox.text
    assert (at_reception.json()["channel"], in_mailbox.json()["channel"]) == ("meeting", "mailbox")
    assert not_a_reception_day.status_code == 422
    assert by_staff.status_code == 403
    assert unknown_field.status_code == 422
    listed = await platform.scheduling.get(f"/v1/schools/{people.school_id}/tickets", headers=admin)
    owners = {t["ticket_id"]: t["owner_id"] for t in listed.json()}
    assert owners[in_mailbox.json()["ticket_id"]] is None  # any of the school's admins answers
    assert owners[at_reception.json()["ticket_id"]] == principal  # the reception day's organiser

    for raised, reply in ((at_reception, "下学期开设托管班"), (in_mailbox, "已联系交警疏导")):
        replied = await platform.scheduling.post(
            f"/v1/tickets/{raised.json()['ticket_id']}/reply", json={"reply": reply}, headers=admin
        )
        assert replied.status_code == 200, replied.text

    own = await platform.scheduling.get("/v1/tickets/mine", headers=mine)
    one = await platform.scheduling.get(f"/v1/tickets/{in_mailbox.json()['ticket_id']}", headers=mine)
    theirs = await platform.scheduling.get(f"/v1/tickets/{in_mailbox.json()['ticket_id']}", headers=sibling)
    sibling_own = await platform.scheduling.get("/v1/tickets/mine", headers=sibling)

    assert own.status_code == 200, own.text
    assert {t["question"]: t["reply"] for t in own.json()} == {
        "希望增加课后托管": "下学期开设托管班",
        "校门口交通拥堵": "已联系交警疏导",
    }
    assert one.json()["reply"] == "已联系交警疏导"
    assert "owner_id" not in one.json()
    assert theirs.status_code == 404
    assert sibling_own.json() == []
