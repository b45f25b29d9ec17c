from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from scheduling import access, meetings
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TEACHER = Caller("stf-1", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-a"}))
PARENT = Caller("gdn-1", Role.guardian, "d-yecheng", "sch-1")
SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTED = NOW + timedelta(days=1, minutes=5)  # the scheduled meeting has begun


def scheduled(**changes):
    body = {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": ["cls-a"],
        "title": "期中家长会",
        "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=2),
    } | changes
    change = meetings.schedule_meeting(
        TEACHER, meetings.MeetingCreate(**body), ["gdn-1", "gdn-2", "gdn-1"], NOW
    )
    return change, change.state | {"version": 1}


def test_invitees_are_counted_once_and_announced_without_names():
    change, _ = scheduled()

    assert change.events[0].payload.invited_count == 2
    assert change.state["invitee_ids"] == ["gdn-1", "gdn-2"]


def test_a_teacher_schedules_only_for_classes_they_teach():
    with pytest.raises(NotFound):
        scheduled(class_ids=["cls-b"])


def test_rsvp_closes_when_the_meeting_starts_and_is_the_invited_guardians_only():
    _, meeting = scheduled()

    assert meetings.rsvp(PARENT, meeting, "maybe", NOW)["answer"] == "maybe"
    with pytest.raises(meetings.MeetingClosed):
        meetings.rsvp(PARENT, meeting, "yes", NOW + timedelta(days=2))
    with pytest.raises(NotFound):
        meetings.rsvp(Caller("gdn-9", Role.guardian, "d-yecheng", "sch-1"), meeting, "yes", NOW)


def test_a_cancelled_meeting_is_neither_held_nor_cancelled_again():
    _, meeting = scheduled()
    cancelled = meetings.cancel_meeting(TEACHER, meeting)
    closed = cancelled.state | {"version": 2}

    assert [e.event_type for e in cancelled.events] == ["meeting-cancelled", "meeting-invitation"]
    assert cancelled.events[1].payload.status == "cancelled"  # the invited guardians are told
    with pytest.raises(meetings.MeetingClosed):
        meetings.record_held(TEACHER, closed, meetings.MeetingHeldRecord(), {}, STARTED, SHANGHAI)
    with pytest.raises(meetings.MeetingClosed):
        meetings.cancel_meeting(TEACHER, closed)


def test_attendance_is_of_invited_guardians_only_and_another_schools_guardian_is_not_found():
    _, meeting = scheduled()
    child = {"district_id": meeting["district_id"], "status": "enrolled", "class_id": "cls-x"}
    here = child | {"_id": "stu-7", "school_id": meeting["school_id"]}
    elsewhere = child | {"_id": "stu-8", "school_id": "sch-other"}

    uninvited = meetings.MeetingHeldRecord(attended_guardian_ids=["gdn-7"])
    with pytest.raises(meetings.MeetingRejected) as rejected:
        meetings.record_held(TEACHER, meeting, uninvited, {}, STARTED, SHANGHAI, {"gdn-7": [here]})
    assert rejected.value.errors[0]["field"] == "body.attended_guardian_ids"

    stranger = meetings.MeetingHeldRecord(attended_guardian_ids=["gdn-8"])
    for children in ({"gdn-8": [elsewhere]}, {}):  # another school's guardian, or one nobody knows
        with pytest.raises(NotFound):
            meetings.record_held(TEACHER, meeting, stranger, {}, STARTED, SHANGHAI, children)


def test_rescheduling_tells_the_public_topic_the_date_and_notifications_whom_to_reach():
    _, meeting = scheduled()
    new_start = NOW + timedelta(days=3)

    moved = meetings.reschedule_meeting(
        TEACHER,
        meeting,
        meetings.MeetingMove(starts_at=new_start, ends_at=new_start + timedelta(hours=2)),
        NOW,
    )
    public, internal = moved.events

    assert (public.event_type, public.payload.version) == ("meeting-rescheduled", 2)
    assert public.payload.previous_starts_at == NOW + timedelta(days=1)
    assert internal.topic == "internal.scheduling.v1"
    assert (internal.payload.status, internal.payload.guardian_ids) == ("rescheduled", ["gdn-1", "gdn-2"])
    with pytest.raises(meetings.MeetingRejected):
        meetings.reschedule_meeting(TEACHER, meeting, meetings.MeetingMove(starts_at=NOW, ends_at=NOW), NOW)


def test_a_meeting_that_ends_before_it_starts_is_rejected_naming_the_field():
    with pytest.raises(meetings.MeetingRejected) as rejected:
        scheduled(ends_at=NOW + timedelta(hours=20))

    assert rejected.value.errors[0]["field"] == "body.ends_at"


def test_a_held_meeting_cannot_be_cancelled():
    _, meeting = scheduled()
    held = meetings.record_held(
        TEACHER, meeting, meetings.MeetingHeldRecord(attended_guardian_ids=["gdn-1"]), {}, STARTED, SHANGHAI
    )

    with pytest.raises(meetings.MeetingClosed):
        meetings.cancel_meeting(TEACHER, held.state | {"version": 2})


def pupil(class_id="cls-a", status="enrolled", school_id="sch-1"):
    return {"_id": "stu-1", "class_id": class_id, "status": status, "school_id": school_id}


def test_a_guardian_belongs_to_a_meeting_through_an_enrolled_child_of_its_classes_or_school():
    _, class_meeting = scheduled()
    admin = Caller("adm-1", Role.school_admin, "d-yecheng", "sch-1")
    body = {"kind": "open_day", "level": "school", "title": "开放日"}
    times = {"starts_at": NOW + timedelta(days=1), "ends_at": NOW + timedelta(days=1, hours=2)}
    school_meeting = meetings.schedule_meeting(admin, meetings.MeetingCreate(**body, **times), [], NOW).state

    assert meetings.belongs(class_meeting, [pupil()])
    assert not meetings.belongs(class_meeting, [pupil("cls-b")])
    assert not meetings.belongs(class_meeting, [pupil(status="left")])
    assert not meetings.belongs(class_meeting, [pupil(school_id="sch-2")])
    assert meetings.belongs(school_meeting, [pupil("cls-b")])
    assert meetings.belongs(class_meeting, [pupil("cls-b"), pupil()])


def test_only_planned_meetings_not_yet_started_take_late_invitees():
    _, ahead = scheduled()
    _, started = scheduled(starts_at=NOW + timedelta(minutes=5), ends_at=NOW + timedelta(hours=1))
    cancelled = meetings.cancel_meeting(TEACHER, ahead).state | {"version": 2}

    later = NOW + timedelta(minutes=10)
    assert meetings.ahead([ahead, started, cancelled], later) == [ahead]


def test_a_late_invitation_tells_only_the_newcomer_of_the_meeting_as_it_stands():
    _, meeting = scheduled()
    moved = meetings.reschedule_meeting(
        TEACHER,
        meeting,
        meetings.MeetingMove(starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=1)),
        NOW,
    )
    current = moved.state | {"version": 2}

    change = meetings.late_invitation(current, "gdn-7", NOW)
    told = change.events[0].payload

    assert (change.collection, change.aggregate_id, change.version) == (
        meetings.LATE_INVITATIONS,
        f"{meeting['meeting_id']}:gdn-7:v2",
        1,
    )
    assert told.guardian_ids == ["gdn-7"]
    assert (told.status, told.version) == ("scheduled", 2)  # an invitation, at the new time
    assert told.starts_at == NOW + timedelta(days=3)
    assert meetings.as_told(current) == "rescheduled"
    assert meetings.as_told(meetings.cancel_meeting(TEACHER, current).state | {"version": 3}) == "cancelled"


def test_a_guardian_reads_their_own_answer_and_staff_read_none():
    _, meeting = scheduled()
    answers = [
        meetings.rsvp(PARENT, meeting, "maybe", NOW),
        meetings.rsvp(Caller("gdn-2", Role.guardian, "d-yecheng", "sch-1"), meeting, "no", NOW),
    ]

    assert meetings.own_answer(PARENT, answers) == "maybe"
    assert meetings.own_answer(Caller("gdn-2", Role.guardian, "d-yecheng", "sch-1"), answers[:1]) is None
    assert meetings.own_answer(TEACHER, answers) is None
    assert meetings.meeting_public(meeting, meetings.tally(answers), "maybe").my_rsvp == "maybe"


def test_a_guardian_reads_a_meeting_when_invited_or_when_it_concerns_a_child_enrolled_there_now():
    _, meeting = scheduled()
    scope = access.meeting_scope(meeting)
    child = {"_id": "stu-7", "district_id": "d-yecheng", "school_id": "sch-1", "class_id": "cls-a"}
    parent_of_child = Caller("gdn-7", Role.guardian, "d-yecheng", "sch-2", student_ids=frozenset({"stu-7"}))

    assert access.MEETINGS.allows(PARENT, scope)
    assert access.MEETINGS.allows(TEACHER, scope)
    assert access.MEETINGS.allows(Caller("b", Role.bureau, "d-yecheng"), scope)
    assert not access.MEETINGS.allows(Caller("gdn-9", Role.guardian, "d-yecheng", "sch-1"), scope)
    assert not access.MEETINGS.allows(
        Caller("stf-2", Role.teacher, "d-yecheng", "sch-1", frozenset({"cls-b"})), scope
    )
    # the child's class in the projection, whatever school the token names
    assert access.MEETINGS.allows(parent_of_child, access.meeting_scope(meeting, [child]))
    assert not access.MEETINGS.allows(
        parent_of_child, access.meeting_scope(meeting, [child | {"class_id": "cls-b"}])
    )


@pytest.mark.parametrize(
    "caller",
    [
        Caller("gdn-1", Role.guardian, "d-other", "sch-1", student_ids=frozenset({"stu-1"})),
        Caller("stf-1", Role.teacher, "d-other", "sch-1", frozenset({"cls-a"})),
        Caller("adm", Role.school_admin, "d-other", "sch-1"),
        Caller("b", Role.bureau, "d-other"),
    ],
    ids=["guardian", "teacher", "school_admin", "bureau"],
)
def test_a_token_of_another_district_naming_the_meetings_people_reaches_nothing(caller):
    _, meeting = scheduled()

    assert not access.MEETINGS.allows(caller, access.meeting_scope(meeting))
    if caller.role is Role.guardian:
        with pytest.raises(NotFound):
            meetings.rsvp(caller, meeting, "yes", NOW)
    elif caller.role is not Role.bureau:
        with pytest.raises(NotFound):
            meetings.cancel_meeting(caller, meeting)


def test_a_teacher_runs_only_meetings_of_classes_they_all_teach_and_a_guardian_none():
    _, meeting = scheduled()
    grade = meeting | {"level": "grade", "class_ids": ["cls-a", "cls-b"]}

    access.runs_meeting(TEACHER, meeting)
    with pytest.raises(NotFound):
        access.runs_meeting(TEACHER, grade)
    access.runs_meeting(Caller("adm", Role.school_admin, "d-yecheng", "sch-1"), grade)
    with pytest.raises(RoleRefused):
        access.runs_meeting(PARENT, meeting)


def test_guardians_are_invited_through_their_children_whatever_school_registered_them():
    moved_in = {"_id": "stu-9", "class_id": "cls-a", "status": "enrolled", "school_id": "sch-1"}
    classmates = [pupil(), moved_in, pupil("cls-b") | {"_id": "stu-2"}]
    guardians = [
        {"_id": "gdn-1", "student_ids": ["stu-1"], "school_id": "sch-1"},
        # registered by the school the bureau moved the child out of: the record keeps that school
        {"_id": "gdn-9", "student_ids": ["stu-9"], "school_id": "sch-2"},
        {"_id": "gdn-2", "student_ids": ["stu-2"], "school_id": "sch-1"},
    ]

    invited = meetings.invited_students(["cls-a"], classmates)

    assert invited == {"stu-1", "stu-9"}
    assert meetings.guardians_of(invited, guardians) == ["gdn-1", "gdn-9"]
    assert meetings.guardians_of(meetings.invited_students(None, classmates), guardians) == [
        "gdn-1",
        "gdn-2",
        "gdn-9",
    ]


def test_a_meeting_is_not_marked_held_before_it_starts():
    _, meeting = scheduled()

    with pytest.raises(meetings.MeetingNotStarted) as refused:
        meetings.record_held(TEACHER, meeting, meetings.MeetingHeldRecord(), {}, NOW, SHANGHAI)
    held = meetings.record_held(TEACHER, meeting, meetings.MeetingHeldRecord(), {}, STARTED, SHANGHAI)

    assert refused.value.status == 409
    assert "尚未开始" in refused.value.detail
    assert held.state["status"] == "held"


def test_held_on_is_the_schools_date_whatever_offset_the_start_was_sent_in():
    assert meetings.held_on("2026-11-19T23:30:00+00:00", SHANGHAI) == date(2026, 11, 20)


TODAY = date(2026, 11, 20)  # the school clock: school year 2026-2027


def past(**changes):
    last_week = datetime(2026, 11, 13, 15, 0, tzinfo=SHANGHAI)
    body = {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": ["cls-a"],
        "title": "期中家长会",
        "starts_at": last_week,
        "ends_at": last_week + timedelta(hours=2),
        "invited_count": 40,
        "attended_count": 36,
        "minutes": "介绍期中情况",
    } | changes
    return meetings.PastMeetingRecord(**body)


def record_past(**changes):
    return meetings.record_past_meeting(TEACHER, past(**changes), NOW, TODAY, SHANGHAI)


def test_a_past_meeting_is_recorded_as_held_with_its_counts_and_invites_nobody():
    change = record_past()

    (event,) = change.events  # meeting-held only: no meeting-invitation
    assert event.event_type == "meeting-held"
    assert event.payload.held_on == date(2026, 11, 13)
    assert (event.payload.invited_count, event.payload.rsvp_yes_count, event.payload.attended_count) == (
        40,
        0,
        36,
    )
    assert change.state["status"] == "held"
    assert change.state["invitee_ids"] == []
    shown = meetings.meeting_public(change.state | {"version": 1}, meetings.tally([]))
    assert (shown.invited_count, shown.attended_count, shown.rsvp["yes"]) == (40, 36, 0)
    assert shown.recorded_after


def test_a_past_meeting_counts_as_held_from_the_first_day_of_the_school_year():
    first_day = datetime(2026, 9, 1, 0, 30, tzinfo=SHANGHAI)

    change = record_past(starts_at=first_day, ends_at=first_day + timedelta(hours=1))

    assert change.events[0].payload.held_on == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # last school year (it ended 31 August on the school clock)
        (
            {
                "starts_at": datetime(2026, 8, 31, 23, 0, tzinfo=SHANGHAI),
                "ends_at": datetime(2026, 8, 31, 23, 30, tzinfo=SHANGHAI),
            },
            "body.starts_at",
        ),
        # not held yet: a future meeting is scheduled, not recorded
        ({"starts_at": NOW + timedelta(hours=1), "ends_at": NOW + timedelta(hours=2)}, "body.starts_at"),
        ({"ends_at": datetime(2026, 11, 13, 14, 0, tzinfo=SHANGHAI)}, "body.ends_at"),
        ({"attended_count": 41}, "body.attended_count"),
        ({"rsvp_yes_count": 41}, "body.rsvp_yes_count"),
        ({"level": "grade", "class_ids": []}, "body.class_ids"),
    ],
)
def test_a_past_meeting_outside_the_school_year_or_with_impossible_counts_is_refused(changes, field):
    with pytest.raises(meetings.MeetingRejected) as rejected:
        record_past(**changes)

    assert rejected.value.errors[0]["field"] == field


def test_a_teacher_records_past_meetings_of_their_own_classes_only():
    with pytest.raises(NotFound):
        record_past(class_ids=["cls-b"])


def test_the_school_year_runs_from_september_to_august():
    assert meetings.school_year_of(date(2026, 11, 20)) == (date(2026, 9, 1), date(2027, 8, 31))
    assert meetings.school_year_of(date(2027, 8, 31)) == (date(2026, 9, 1), date(2027, 8, 31))
    assert meetings.school_year_of(date(2027, 9, 1)) == (date(2027, 9, 1), date(2028, 8, 31))


def test_a_held_meetings_minutes_and_questions_are_shown_to_its_staff_only():
    _, meeting = scheduled()
    said = meetings.MeetingHeldRecord(
        attended_guardian_ids=["gdn-1"],
        minutes="介绍期中情况",
        questions=[
            meetings.Question(question="午休安排？", answer="12:30–13:30"),
            meetings.Question(question="校服？"),
        ],
    )
    held = meetings.record_held(TEACHER, meeting, said, {}, STARTED, SHANGHAI).state | {"version": 2}
    admin = Caller("stf-9", Role.school_admin, "d-yecheng", "sch-1")
    bureau = Caller("bur-1", Role.bureau, "d-yecheng", None)

    staff_view = meetings.meeting_public(held, {}, notes=access.reads_meeting_notes(admin))
    assert staff_view.minutes == "介绍期中情况"
    assert [(q.question, q.answer) for q in staff_view.questions] == [
        ("午休安排？", "12:30–13:30"),
        ("校服？", None),
    ]
    assert access.reads_meeting_notes(TEACHER)
    for reader in (PARENT, bureau):
        shown = meetings.meeting_public(held, {}, notes=access.reads_meeting_notes(reader))
        assert (shown.minutes, shown.questions) == (None, [])
        assert "午休" not in shown.model_dump_json()
