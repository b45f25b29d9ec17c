"""Meetings when a child moves between schools, and meetings recorded when they are held, on the
real broker and store: the bureau's move through the registry, scheduling's projection following
it, the invitations on ``internal.scheduling.v1`` and the counts reporting keeps."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from contracts.topics import INTERNAL_SCHEDULING_V1, MEETINGS_V1
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra

SHANGHAI = ZoneInfo("Asia/Shanghai")


def unique_phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def enrol_with_guardian(registry_api, school_id: str, class_id: str, name: str) -> tuple[str, str]:
    """A student of the class and their guardian; (student_id, guardian_id)."""
    admin = registry_api.auth(Role.school_admin, school_id)
    student = await registry_api.http.post(
        f"/v1/classes/{class_id}/students",
        json={"name": name, "gender": "男", "student_number": f"C-{unique_phone()}"},
        headers=admin,
    )
    assert student.status_code == 201, student.text
    guardian = await registry_api.http.post(
        f"/v1/students/{student.json()['student_id']}/guardians",
        json={"name": f"{name}家长", "relationship": "父亲", "phone": unique_phone()},
        headers=admin,
    )
    assert guardian.status_code == 201, guardian.text
    return str(student.json()["student_id"]), str(guardian.json()["guardian_id"])


def meeting_body(kind: str, level: str, class_ids: list[str], title: str, starts_in: timedelta) -> dict:
    starts = datetime.now(UTC).replace(microsecond=0) + starts_in
    return {
        "kind": kind,
        "level": level,
        "class_ids": class_ids,
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }


async def schedule(platform, headers: dict, body: dict) -> dict:
    answer = await platform.scheduling.post("/v1/meetings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def about(meeting_id: str):
    def pick(messages: list[dict]) -> list[dict]:
        return [m for m in messages if m.get("payload", {}).get("meeting_id") == meeting_id]

    return pick


async def test_the_guardian_of_a_child_moved_to_another_school_is_invited_by_the_new_school(
    platform, registry_api, family, eventually, read_topic
):
    old = await family([{"phone": unique_phone()}, {"phone": unique_phone()}])
    moving, staying = old.guardians
    new_school = await registry_api.new_school("叶城县第三小学")
    new_class = await registry_api.new_class(new_school, "三年级1班")
    _, resident = await enrol_with_guardian(registry_api, new_school, new_class, "阿不都")
    store = platform.scheduling_app.state.store

    async def resident_known() -> bool:
        return await store.invitees("d-e2e", new_school, [new_class]) == [resident]

    await eventually(resident_known, 30)
    new_admin = registry_api.auth(Role.school_admin, new_school, subject="stf-c-principal")
    new_teacher = registry_api.auth(Role.teacher, new_school, [new_class], subject="stf-c-head")
    old_teacher = registry_api.auth(Role.teacher, old.school_id, [old.class_id], subject=old.head_teacher_id)
    # still ahead when the child moves: the new school's and the old school's
    before_school = await schedule(
        platform, new_admin, meeting_body("parent_meeting", "school", [], "全校家长会", timedelta(days=3))
    )
    before_class = await schedule(
        platform,
        new_teacher,
        meeting_body("parent_meeting", "class", [new_class], "三年级1班家长会", timedelta(days=4)),
    )
    before_old = await schedule(
        platform,
        old_teacher,
        meeting_body("parent_meeting", "class", [old.class_id], "三年级2班家长会", timedelta(days=4)),
    )

    moved = await registry_api.http.post(
        f"/v1/students/{moving.student_id}/transfer",
        json={"class_id": new_class},
        headers=registry_api.bureau,
    )
    assert moved.status_code == 200, moved.text

    async def move_projected() -> bool:
        student = await store.student(moving.student_id)
        return student is not None and student["school_id"] == new_school

    await eventually(move_projected, 30)
    after_open_day = await schedule(
        platform, new_admin, meeting_body("open_day", "school", [], "家长开放日", timedelta(days=5))
    )
    after_class = await schedule(
        platform,
        new_teacher,
        meeting_body("parent_meeting", "class", [new_class], "三年级1班期末家长会", timedelta(days=6)),
    )
    after_old = await schedule(
        platform,
        old_teacher,
        meeting_body("parent_meeting", "class", [old.class_id], "三年级2班期末家长会", timedelta(days=6)),
    )

    # scheduled after the move: the new school invites the child's guardian, the old one no longer
    assert after_open_day["invited_count"] == after_class["invited_count"] == 2
    for meeting in (after_open_day, after_class):
        stored = await store.meeting(meeting["meeting_id"])
        assert sorted(stored["invitee_ids"]) == sorted([resident, moving.guardian_id])
    assert (await store.meeting(after_old["meeting_id"]))["invitee_ids"] == [staying.guardian_id]

    # scheduled before the move and still ahead: invited late, each meeting telling them alone
    async def invited_late() -> bool:
        for meeting in (before_school, before_class):
            stored = await store.meeting(meeting["meeting_id"])
            if moving.guardian_id not in stored["invitee_ids"]:
                return False
        return True

    await eventually(invited_late, 30)
    for meeting in (before_school, before_class):
        pick = about(meeting["meeting_id"])
        told = pick(await read_topic(INTERNAL_SCHEDULING_V1, lambda ms, pick=pick: len(pick(ms)) >= 2))
        assert [(m["payload"]["status"], m["payload"]["guardian_ids"]) for m in told] == [
            ("scheduled", [resident]),
            ("scheduled", [moving.guardian_id]),
        ]
        assert told[1]["school_id"] == new_school
    # invited by the old school before the move, they stay invited there (as every invitee does)
    assert moving.guardian_id in (await store.meeting(before_old["meeting_id"]))["invitee_ids"]

    as_guardian = registry_api.auth(Role.guardian, new_school, subject=moving.guardian_id)
    for meeting in (before_class, after_class):
        read = await platform.scheduling.get(f"/v1/meetings/{meeting['meeting_id']}", headers=as_guardian)
        assert read.status_code == 200, read.text
        assert read.json()["invited_count"] == 2


async def test_a_meeting_is_not_marked_held_before_it_starts(platform, pupil, registry_api, read_topic):
    teacher = registry_api.auth(Role.teacher, pupil.school_id, [pupil.class_id], subject="stf-held-early")
    meeting = await schedule(
        platform,
        teacher,
        meeting_body("parent_meeting", "class", [pupil.class_id], "期中家长会", timedelta(hours=3)),
    )
    meeting_id = meeting["meeting_id"]

    early = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/held", json={"minutes": "提前登记"}, headers=teacher
    )
    after = await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=teacher)
    # a marker on the same school's partition, published after the refusal
    cancelled = await platform.scheduling.post(f"/v1/meetings/{meeting_id}/cancellation", headers=teacher)

    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["type"].endswith("/meeting-not-started")
    assert "尚未开始" in early.json()["detail"]
    assert after.json()["status"] == "planned"
    assert cancelled.status_code == 200, cancelled.text
    pick = about(meeting_id)
    events = pick(await read_topic(MEETINGS_V1, lambda ms: len(pick(ms)) >= 2))
    assert [m["event_type"] for m in events] == ["meeting-scheduled", "meeting-cancelled"]


async def test_a_past_meeting_recorded_as_held_counts_in_reporting_and_invites_nobody(
    platform, registry_api, family, eventually, read_topic, provider
):
    school = await family([{"phone": unique_phone()}])
    admin = registry_api.auth(Role.school_admin, school.school_id, subject="stf-past-principal")
    last_week = datetime.combine(SCHOOL_TODAY - timedelta(days=7), datetime.min.time(), SHANGHAI)
    starts = last_week.replace(hour=15)
    body = {
        "kind": "open_day",
        "level": "school",
        "title": "家长开放日",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "学校操场",
        "invited_count": 41,
        "attended_count": 37,
        "minutes": "家长参观课堂，座谈午餐安排。",
        "questions": [{"question": "午餐费用？", "answer": "按学期收取"}],
    }

    recorded = await platform.scheduling.post("/v1/meetings/held", json=body, headers=admin)
    last_year = await platform.scheduling.post(
        "/v1/meetings/held",
        json=body
        | {
            "starts_at": starts.replace(year=starts.year - 1).isoformat(),
            "ends_at": (starts.replace(year=starts.year - 1) + timedelta(hours=2)).isoformat(),
        },
        headers=admin,
    )
    ahead = await platform.scheduling.post(
        "/v1/meetings/held",
        json=body
        | {
            "starts_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "ends_at": (datetime.now(UTC) + timedelta(days=1, hours=1)).isoformat(),
        },
        headers=admin,
    )
    unknown_field = await platform.scheduling.post(
        "/v1/meetings/held", json=body | {"invitee_ids": ["gdn-x"]}, headers=admin
    )

    assert recorded.status_code == 201, recorded.text
    shown = recorded.json()
    assert (shown["status"], shown["invited_count"], shown["attended_count"]) == ("held", 41, 37)
    assert shown["rsvp"]["yes"] == 0
    assert shown["recorded_after"] is True
    for refused in (last_year, ahead):
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.starts_at"
    assert unknown_field.status_code == 422
    meeting_id = shown["meeting_id"]

    facts = platform.reporting_app.state.store.facts.db["meeting_facts"]

    async def counted() -> bool:
        return await facts.count_documents({"_id": meeting_id}) == 1

    await eventually(counted, 30)
    fact = await facts.find_one({"_id": meeting_id})
    assert (fact["school_id"], fact["kind"], fact["level"], fact["on"]) == (
        school.school_id,
        "open_day",
        "school",
        starts.date().isoformat(),
    )
    assert (fact["invited_count"], fact["rsvp_yes_count"], fact["attended_count"]) == (41, 0, 37)

    # no invitation: a meeting scheduled afterwards by the same school is on the same partition,
    # so once its invitation has arrived, one for the recorded meeting would have come before it
    marker = await schedule(
        platform,
        admin,
        meeting_body("parent_meeting", "school", [], "全校家长会", timedelta(days=2)),
    )
    mine = {meeting_id, marker["meeting_id"]}

    def ours(messages: list[dict]) -> list[dict]:
        return [m for m in messages if m.get("payload", {}).get("meeting_id") in mine]

    invitations = ours(await read_topic(INTERNAL_SCHEDULING_V1, lambda ms: len(ours(ms)) >= 1))
    assert [m["payload"]["meeting_id"] for m in invitations] == [marker["meeting_id"]]
    # the guardian hears of the marker only (notifications sends what scheduling published)
    phone = school.guardians[0].phone

    async def marker_texted() -> bool:
        return len(provider[0].to("sms", phone)) >= 1

    await eventually(marker_texted, 30)
    (text,) = provider[0].to("sms", phone)
    assert "全校家长会" in text["subject"]
