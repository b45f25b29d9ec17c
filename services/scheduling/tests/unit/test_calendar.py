from datetime import UTC, date, datetime, timedelta

from scheduling import calendar

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
MEETING = {
    "_id": "m-1",
    "title": "期中家长会, 三年级2班; 请准时",
    "starts_at": "2026-11-25T02:00:00+00:00",
    "ends_at": "2026-11-25T04:00:00+00:00",
    "place": "教室",
    "status": "planned",
}
VISIT = {"_id": "v-1", "student_id": "stu-1", "planned_on": "2026-11-24", "status": "planned"}


def test_an_overlapping_planned_meeting_is_a_clash_and_a_touching_one_is_not():
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)

    assert calendar.clash([MEETING], start, start + timedelta(hours=1))["_id"] == "m-1"
    assert calendar.clash([MEETING], start + timedelta(hours=1), start + timedelta(hours=2)) is None
    assert calendar.clash([MEETING], start, start + timedelta(hours=1), ignore="m-1") is None
    assert calendar.clash([MEETING | {"status": "cancelled"}], start, start + timedelta(hours=1)) is None


def test_ics_has_timed_meetings_all_day_visits_escaped_text_and_crlf_lines():
    body = calendar.ics("日程 stf-1", calendar.items([MEETING], [VISIT]), NOW)
    lines = body.split("\r\n")

    assert lines[0] == "BEGIN:VCALENDAR"
    assert body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261124" in lines
    assert "DTSTART:20261125T020000Z" in lines
    assert "SUMMARY:期中家长会\\, 三年级2班\\; 请准时" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert calendar.items([MEETING], [VISIT])[0].on == date(2026, 11, 24)


def test_long_lines_are_folded_between_characters():
    folded = calendar._fold("SUMMARY:" + "家访" * 40)

    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "家访" * 40


def test_a_guardians_calendar_has_the_meetings_ahead_that_invite_them_and_their_childrens_planned_visits():
    class_meeting = MEETING | {"_id": "m-1", "kind": "parent_meeting", "invitee_ids": ["gdn-1"]}
    late = MEETING | {"_id": "m-late", "kind": "open_day", "invitee_ids": [], "status": "cancelled"}
    other_class = MEETING | {"_id": "m-other", "kind": "parent_meeting", "invitee_ids": ["gdn-2"]}
    over = MEETING | {"_id": "m-over", "ends_at": "2026-11-19T04:00:00+00:00", "invitee_ids": ["gdn-1"]}
    visit = VISIT | {"mode": "in_person", "findings": "家庭困难"}
    visits = [
        visit,
        VISIT | {"_id": "v-past", "planned_on": "2026-11-19"},
        VISIT | {"_id": "v-sibling-elsewhere", "student_id": "stu-9"},
        VISIT | {"_id": "v-done", "status": "done"},
    ]
    rsvps = [
        {"meeting_id": "m-1", "guardian_id": "gdn-1", "answer": "yes"},
        {"meeting_id": "m-1", "guardian_id": "gdn-2", "answer": "no"},
    ]

    found = calendar.guardian_items(
        "gdn-1",
        {"stu-1"},
        [class_meeting, late, other_class, over],
        {"m-late"},
        visits,
        rsvps,
        NOW,
        NOW.date(),
    )

    assert [(i.kind, i.id, i.meeting_kind, i.my_rsvp, i.status) for i in found] == [
        ("home_visit", "v-1", None, None, "planned"),
        ("meeting", "m-1", "parent_meeting", "yes", "planned"),
        ("meeting", "m-late", "open_day", None, "cancelled"),
    ]
    assert found[0].mode == "in_person"
    assert "findings" not in found[0].model_dump()


def test_a_planned_visit_in_a_calendar_app_names_no_student_but_its_class_and_mode_and_says_to_open_the_app():
    body = calendar.ics("日程 stf-1", calendar.items([], [VISIT | {"mode": "phone"}]), NOW)
    unfolded = body.replace("\r\n ", "")

    assert "stu-1" not in unfolded
    lines = unfolded.split("\r\n")
    assert "SUMMARY:家访 · 班级 · 电话" in lines
    assert f"DESCRIPTION:{calendar.VISIT_DESCRIPTION}" in lines
    assert "请打开家校平台" in calendar.VISIT_DESCRIPTION
