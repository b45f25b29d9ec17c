"""Meetings on the real parts: invitees from the registry's projection, RSVPs, attendance and
the counts on the public meetings topic."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts.topics import INTERNAL_SCHEDULING_V1, MEETINGS_V1
from service_kit.auth import Role

pytestmark = pytest.mark.infra


async def test_class_parent_meeting_from_invitation_to_held_with_counts(
    platform, registry_api, read_topic, eventually
):
    school = await registry_api.new_school()
    class_id = await registry_api.new_class(school)
    admin = registry_api.auth(Role.school_admin, school)
    guardians = []
    for n in range(3):
        student = await registry_api.http.post(
            f"/v1/classes/{class_id}/students",
            json={"name": f"学生{n}", "gender": "男", "student_number": f"M{n}"},
            headers=admin,
        )
        guardian = await registry_api.http.post(
            f"/v1/students/{student.json()['student_id']}/guardians",
            json={"name": f"家长{n}", "relationship": "父亲", "phone": f"1350000{n:04d}"},
            headers=admin,
        )
        guardians.append(guardian.json()["guardian_id"])
    store = platform.scheduling_app.state.store

    async def invitees_known() -> bool:
        return len(await store.invitees("d-yecheng", school, [class_id])) == 3

    await eventually(invitees_known, 30)
    head_teacher = registry_api.auth(Role.teacher, school, [class_id], subject="stf-head")
    starts = datetime.now(UTC) + timedelta(days=1)
    body = {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": [class_id],
        "title": "期中家长会",
        "agenda": ["期中成绩分析", "安全教育"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "三年级2班教室",
    }

    scheduled = await platform.scheduling.post("/v1/meetings", json=body, headers=head_teacher)
    in_the_past = await platform.scheduling.post(
        "/v1/meetings",
        json=body | {"starts_at": "2020-01-01T10:00:00+08:00", "ends_at": "2020-01-01T12:00:00+08:00"},
        headers=head_teacher,
    )
    other_teacher = await platform.scheduling.post(
        "/v1/meetings", json=body, headers=registry_api.auth(Role.teacher, school, ["cls-other"])
    )
    meeting_id = scheduled.json()["meeting_id"]

    def guardian(n: int) -> dict:
        return registry_api.auth(Role.guardian, school, subject=guardians[n])

    moved_start = starts + timedelta(days=1)
    moved = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/reschedule",
        json={
            "starts_at": moved_start.isoformat(),
            "ends_at": (moved_start + timedelta(hours=2)).isoformat(),
        },
        headers=head_teacher,
    )
    await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "yes"}, headers=guardian(0)
    )
    await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "no"}, headers=guardian(1)
    )
    changed = await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "yes"}, headers=guardian(1)
    )
    stranger = await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp",
        json={"answer": "yes"},
        headers=registry_api.auth(Role.guardian, school, subject="gdn-x"),
    )
    held = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/held",
        json={
            "attended_guardian_ids": guardians[:2],
            "minutes": "介绍期中情况",
            "questions": [{"question": "午休安排？", "answer": "12:30–13:30"}],
        },
        headers=head_teacher,
    )
    late_rsvp = await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "no"}, headers=guardian(2)
    )
    held_again = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/held", json={}, headers=head_teacher
    )

    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["invited_count"] == 3
    assert moved.json()["version"] == 2
    assert in_the_past.status_code == 422
    assert in_the_past.json()["errors"][0]["field"] == "body.starts_at"
    assert other_teacher.status_code == 404
    assert changed.json()["rsvp"] == {"yes": 2, "no": 0, "maybe": 0}
    assert stranger.status_code == 404
    assert held.json()["status"] == "held"
    assert held.json()["attended_count"] == 2
    assert late_rsvp.status_code == held_again.status_code == 409

    def about(messages):
        return [m for m in messages if m.get("payload", {}).get("meeting_id") == meeting_id]

    events = about(await read_topic(MEETINGS_V1, lambda ms: len(about(ms)) >= 3))
    assert [m["event_type"] for m in events] == ["meeting-scheduled", "meeting-rescheduled", "meeting-held"]
    counts = {k: events[2]["payload"][k] for k in ("invited_count", "rsvp_yes_count", "attended_count")}
    assert counts == {"invited_count": 3, "rsvp_yes_count": 2, "attended_count": 2}
    assert "家长" not in str(events)
    invitations = about(await read_topic(INTERNAL_SCHEDULING_V1, lambda ms: len(about(ms)) >= 2))
    assert [(m["payload"]["status"], sorted(m["payload"]["guardian_ids"])) for m in invitations] == [
        ("scheduled", sorted(guardians)),
        ("rescheduled", sorted(guardians)),
    ]
