"""Meetings on the real parts: invitees from the registry's projection, RSVPs, attendance and
the counts on the public meetings topic."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import icalendar
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
        return len(await store.invitees("d-e2e", school, [class_id])) == 3

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

    # moved to a few seconds ahead: guardians answer until it starts, and it is held once started
    moved_start = datetime.now(UTC) + timedelta(seconds=10)
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
    too_early = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/held", json={"minutes": "提前登记"}, headers=head_teacher
    )
    await asyncio.sleep(max(0.0, (moved_start - datetime.now(UTC)).total_seconds()) + 0.5)
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
    read_by = {
        "admin": admin,
        "guardian": guardian(0),
        "bureau": registry_api.auth(Role.bureau),
    }
    read = {
        who: (await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=token)).json()
        for who, token in read_by.items()
    }

    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["invited_count"] == 3
    assert moved.json()["version"] == 2
    assert in_the_past.status_code == 422
    assert in_the_past.json()["errors"][0]["field"] == "body.starts_at"
    assert other_teacher.status_code == 404
    assert changed.json()["rsvp"] == {"yes": 2, "no": 0, "maybe": 0}
    assert stranger.status_code == 404
    assert too_early.status_code == 409
    assert too_early.json()["type"].endswith("/meeting-not-started")
    assert held.json()["status"] == "held"
    assert held.json()["attended_count"] == 2
    assert late_rsvp.status_code == held_again.status_code == 409
    # the school's staff read the minutes and the questions again; a guardian and the bureau do not
    assert read["admin"]["minutes"] == "介绍期中情况"
    assert read["admin"]["questions"] == [{"question": "午休安排？", "answer": "12:30–13:30"}]
    for who in ("guardian", "bureau"):
        assert read[who]["attended_count"] == 2, read[who]
        assert (read[who]["minutes"], read[who]["questions"]) == (None, []), who

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


async def test_a_teacher_is_never_booked_twice_and_subscribes_to_an_ics_feed(platform, pupil, registry_api):
    head_teacher = registry_api.auth(Role.teacher, pupil.school_id, [pupil.class_id], subject="stf-cal")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    body = {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": [pupil.class_id],
        "title": "家长会",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }

    first = await platform.scheduling.post("/v1/meetings", json=body, headers=head_teacher)
    clashing = await platform.scheduling.post(
        "/v1/meetings",
        json=body
        | {
            "title": "家委会会议",
            "kind": "committee_meeting",
            "starts_at": (starts + timedelta(hours=1)).isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
        },
        headers=head_teacher,
    )
    plan = {
        "student_id": pupil.student_id,
        "class_id": pupil.class_id,
        "mode": "phone",
        "planned_on": (starts.date() + timedelta(days=1)).isoformat(),
    }
    await platform.scheduling.post("/v1/home-visits/plans", json=plan, headers=head_teacher)
    token = head_teacher["authorization"].split()[1]

    listed = await platform.scheduling.get("/v1/calendars/me", headers=head_teacher)
    feed = await platform.scheduling.get(f"/v1/calendars/me.ics?token={token}")
    class_feed = await platform.scheduling.get(f"/v1/calendars/classes/{pupil.class_id}.ics?token={token}")
    no_token = await platform.scheduling.get("/v1/calendars/me.ics")

    assert first.status_code == 201, first.text
    assert clashing.status_code == 409
    assert "家长会" in clashing.json()["detail"]
    assert [(i["kind"], i["title"]) for i in listed.json()] == [
        ("meeting", "家长会"),
        ("home_visit", f"家访 {pupil.student_id}"),
    ]
    assert feed.headers["content-type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(feed.content)  # a real RFC 5545 parser
    events = [component for component in parsed.walk("VEVENT")]
    assert [str(e["SUMMARY"]) for e in events] == ["家长会", "家访 · 班级 · 电话"]
    assert pupil.student_id not in feed.text  # the app names the student; a calendar app never does
    assert events[0].decoded("DTSTART") == starts
    assert events[1].decoded("DTSTART") == starts.date() + timedelta(days=1)
    assert f"DTSTART;VALUE=DATE:{plan['planned_on'].replace('-', '')}" in feed.text
    assert len(icalendar.Calendar.from_ical(class_feed.content).walk("VEVENT")) == 2
    school_feed = await platform.scheduling.get(f"/v1/calendars/schools/{pupil.school_id}.ics?token={token}")
    assert len(icalendar.Calendar.from_ical(school_feed.content).walk("VEVENT")) == 2
    assert no_token.status_code == 401


async def test_reception_days_recur_over_the_term_and_issues_raised_get_owners_and_escalation(
    platform, pupil, registry_api, eventually
):
    year_start = random.randint(4000, 4900)  # a term no other test uses
    year = f"{year_start}-{year_start + 1}"
    await registry_api.http.put(
        f"/v1/terms/{year}/autumn",
        json={"starts_on": f"{year_start}-09-01", "ends_on": f"{year_start + 1}-01-20"},
        headers=registry_api.bureau,
    )
    store = platform.scheduling_app.state.store

    async def term_known() -> bool:
        return await store.term("d-e2e", year, "autumn") is not None

    await eventually(term_known, 30)
    principal = registry_api.auth(Role.school_admin, pupil.school_id, subject="principal-1")

    created = await platform.scheduling.post(
        "/v1/recurring-meetings",
        json={
            "title": "校长接待日",
            "rrule": "FREQ=MONTHLY;BYDAY=1FR",
            "start_time": "09:00",
            "duration_minutes": 120,
            "school_year": year,
            "term": "autumn",
        },
        headers=principal,
    )
    bad_rule = await platform.scheduling.post(
        "/v1/recurring-meetings",
        json={
            "title": "校长接待日",
            "rrule": "every first friday",
            "start_time": "09:00",
            "duration_minutes": 120,
            "school_year": year,
            "term": "autumn",
        },
        headers=principal,
    )

    assert created.status_code == 201, created.text
    starts = [datetime.fromisoformat(m["starts_at"]) for m in created.json()]
    assert len(starts) in (4, 5)  # the first Fridays from September to January
    assert all(s.weekday() == 4 and s.day <= 7 for s in starts)
    assert all((s.hour, s.utcoffset()) == (9, timedelta(hours=8)) for s in starts)
    assert all(m["kind"] == "reception_day" for m in created.json())
    assert bad_rule.status_code == 422
    assert bad_rule.json()["errors"][0]["field"] == "body.rrule"

    meeting_id = created.json()[0]["meeting_id"]
    raised = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/tickets",
        json={"question": "希望增加课后托管", "owner_id": "stf-deputy", "due_on": "2020-01-01"},
        headers=principal,
    )
    listed = await platform.scheduling.get(f"/v1/schools/{pupil.school_id}/tickets", headers=principal)
    replied = await platform.scheduling.post(
        f"/v1/tickets/{raised.json()['ticket_id']}/reply",
        json={"reply": "下学期开设"},
        headers=registry_api.auth(Role.teacher, pupil.school_id, subject="stf-deputy"),
    )

    assert raised.status_code == 201, raised.text
    assert [(t["overdue"], t["escalated_to"]) for t in listed.json()] == [(True, "school_admin")]
    assert replied.json()["escalated_to"] is None
