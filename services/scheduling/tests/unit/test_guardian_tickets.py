"""A guardian's own issues for the principal: reception day (校长接待日) or mailbox (校长信箱)."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from scheduling import tickets
from scheduling.meetings import MeetingClosed
from service_kit.auth import Caller, Role
from service_kit.errors import Forbidden, Invalid, NotFound

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)  # a Friday
PARENT = Caller("gdn-1", Role.guardian, "d-yecheng", "sch-1", student_ids=frozenset({"stu-1"}))
RECEPTION_DAY = {
    "meeting_id": "m-rd",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "kind": "reception_day",
    "level": "school",
    "class_ids": [],
    "organiser_id": "stf-principal",
    "invitee_ids": ["gdn-1"],
    "status": "planned",
    # 09:00 in Beijing on Friday 4 December
    "starts_at": "2026-12-04T01:00:00+00:00",
    "ends_at": "2026-12-04T03:00:00+00:00",
}


CHILD = {
    "_id": "stu-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "class_id": "cls-a",
    "status": "enrolled",
}


def raised(meeting=RECEPTION_DAY, caller=PARENT, today=TODAY, kids=(CHILD,), **ask):
    body = tickets.GuardianTicketCreate(question="希望增加课后托管", **ask)
    return tickets.raise_guardian_ticket(caller, meeting, list(kids), body, today, ZONE).state


def test_school_days_skip_weekends():
    assert tickets.school_days_after(date(2026, 11, 20), 5) == date(2026, 11, 27)  # Fri → next Fri
    assert tickets.school_days_after(date(2026, 11, 21), 1) == date(2026, 11, 23)  # Sat → Mon


def test_a_reception_day_issue_is_owned_by_its_organiser_and_due_five_school_days_after_the_day():
    ticket = raised(meeting_id="m-rd")

    assert ticket["owner_id"] == "stf-principal"
    assert ticket["raised_by_guardian_id"] == "gdn-1"
    assert ticket["due_on"] == "2026-12-11"
    assert ticket["raised_on"] == "2026-11-20"
    assert tickets.guardian_ticket_view(ticket).channel == "meeting"


def test_a_mailbox_issue_has_no_named_owner_and_is_due_five_school_days_after_it_is_raised():
    ticket = raised(meeting=None)

    assert (ticket["meeting_id"], ticket["owner_id"], ticket["school_id"]) == (None, None, "sch-1")
    assert ticket["due_on"] == "2026-11-27"
    assert tickets.ticket_public(ticket | {"version": 1}, TODAY).channel == "mailbox"


def test_a_recent_reception_day_still_takes_issues_and_an_old_or_cancelled_one_does_not():
    assert raised(meeting_id="m-rd", today=date(2026, 12, 18))["due_on"] == "2026-12-25"
    with pytest.raises(MeetingClosed):
        raised(meeting_id="m-rd", today=date(2026, 12, 19))
    with pytest.raises(MeetingClosed):
        raised(RECEPTION_DAY | {"status": "cancelled"}, meeting_id="m-rd")


def test_only_a_reception_day_of_the_guardians_own_school_takes_their_issue():
    other_school = RECEPTION_DAY | {"school_id": "sch-2", "invitee_ids": []}
    class_meeting = RECEPTION_DAY | {"kind": "parent_meeting", "level": "class", "class_ids": ["cls-b"]}

    with pytest.raises(NotFound):
        raised(other_school, meeting_id="m-rd")
    with pytest.raises(NotFound):
        raised(class_meeting | {"invitee_ids": []}, meeting_id="m-rd")
    with pytest.raises(Invalid):
        raised(class_meeting, meeting_id="m-rd")  # invited, but not a reception day
    with pytest.raises(NotFound):
        raised(None, meeting_id="m-gone")


def test_a_guardians_school_is_their_childs_school_now_not_the_one_in_the_token():
    # the token names the school that registered the guardian; the child has moved to sch-1
    stale = Caller("gdn-5", Role.guardian, "d-yecheng", "sch-2", student_ids=frozenset({"stu-1"}))
    not_invited = RECEPTION_DAY | {"invitee_ids": []}

    assert raised(meeting=None, caller=stale)["school_id"] == "sch-1"
    assert raised(not_invited, caller=stale, meeting_id="m-rd")["school_id"] == "sch-1"
    with pytest.raises(NotFound):  # a child in another school: that school's reception day only
        raised(not_invited, caller=stale, kids=[CHILD | {"school_id": "sch-3"}], meeting_id="m-rd")
    with pytest.raises(NotFound):  # no child enrolled anywhere the projection knows
        raised(meeting=None, caller=stale, kids=[])


def test_staff_do_not_raise_issues_as_guardians():
    with pytest.raises(Forbidden):
        raised(caller=Caller("stf-1", Role.school_admin, "d-yecheng", "sch-1"))


def test_a_guardian_reads_their_own_issue_and_staff_of_the_school_read_it_whole():
    ticket = raised(meeting=None) | {"version": 1}
    other_parent = Caller("gdn-2", Role.guardian, "d-yecheng", "sch-1")
    admin = Caller("stf-9", Role.school_admin, "d-yecheng", "sch-1")
    elsewhere = Caller("stf-8", Role.school_admin, "d-yecheng", "sch-2")

    assert isinstance(tickets.view(PARENT, ticket, TODAY), tickets.GuardianTicketView)
    assert isinstance(tickets.view(admin, ticket, TODAY), tickets.TicketPublic)
    for stranger in (other_parent, elsewhere):
        with pytest.raises(NotFound):
            tickets.view(stranger, ticket, TODAY)


def test_any_school_admin_answers_a_mailbox_issue_and_the_guardian_reads_the_reply():
    ticket = raised(meeting=None) | {"version": 1}
    admin = Caller("stf-9", Role.school_admin, "d-yecheng", "sch-1")

    answered = tickets.reply_ticket(admin, ticket, tickets.TicketReply(reply="下学期开设"), TODAY).state
    with pytest.raises(NotFound):
        tickets.reply_ticket(
            Caller("stf-3", Role.teacher, "d-yecheng", "sch-1"),
            ticket,
            tickets.TicketReply(reply="好"),
            TODAY,
        )

    [mine] = tickets.guardians_tickets([answered])
    assert (mine.reply, mine.replied_on) == ("下学期开设", TODAY)


def test_a_guardians_issues_are_listed_newest_first():
    older = raised(meeting=None, today=date(2026, 11, 2))
    newer = raised(meeting=None)

    assert [t.ticket_id for t in tickets.guardians_tickets([older, newer])] == [
        newer["ticket_id"],
        older["ticket_id"],
    ]
