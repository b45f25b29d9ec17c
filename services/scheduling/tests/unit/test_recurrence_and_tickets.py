from datetime import UTC, date, datetime, time

import pytest
from scheduling import recurrence, tickets
from scheduling.meetings import MeetingRejected
from service_kit.auth import Caller, Role

TERM = {
    "school_year": "2026-2027",
    "kind": "autumn",
    "starts_on": "2026-09-01",
    "ends_on": "2027-01-20",
    "holidays": [{"name": "国庆节", "starts_on": "2026-10-01", "ends_on": "2026-10-07"}],
}
BEFORE_TERM = datetime(2026, 8, 1, tzinfo=UTC)


def test_first_friday_of_each_month_within_the_term_skipping_holidays():
    starts = recurrence.occurrences("FREQ=MONTHLY;BYDAY=1FR", TERM, time(9, 0), "Asia/Shanghai", BEFORE_TERM)

    assert [s.date() for s in starts] == [
        date(2026, 9, 4),
        date(2026, 11, 6),
        date(2026, 12, 4),
        date(2027, 1, 1),
    ]  # 2 October falls in the National Day holiday
    assert starts[0].utcoffset().total_seconds() == 8 * 3600
    assert starts[0].hour == 9


def test_only_occurrences_still_ahead_are_scheduled():
    starts = recurrence.occurrences(
        "FREQ=MONTHLY;BYDAY=1FR", TERM, time(9, 0), "Asia/Shanghai", datetime(2026, 12, 1, tzinfo=UTC)
    )

    assert [s.date() for s in starts] == [date(2026, 12, 4), date(2027, 1, 1)]


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "every first friday"])
def test_a_rule_that_is_not_rfc_5545_is_rejected_naming_the_field(rule):
    with pytest.raises(MeetingRejected) as rejected:
        recurrence.occurrences(rule, TERM, time(9, 0), "Asia/Shanghai", BEFORE_TERM)

    assert rejected.value.errors[0]["field"] == "body.rrule"


def test_an_unanswered_ticket_past_its_due_date_is_escalated_to_the_school_admin():
    ticket = {
        "ticket_id": "tk-1",
        "meeting_id": "m-1",
        "question": "校车路线？",
        "raised_by_guardian_id": "gdn-1",
        "owner_id": "stf-1",
        "due_on": "2026-11-10",
        "reply": None,
        "replied_on": None,
        "district_id": "d",
        "school_id": "s",
        "version": 1,
    }

    late = tickets.ticket_public(ticket, date(2026, 11, 20))
    answered = tickets.reply_ticket(
        Caller("stf-1", Role.teacher, "d", "s"),
        ticket,
        tickets.TicketReply(reply="已调整"),
        date(2026, 11, 20),
    )

    assert (late.overdue, late.escalated_to) == (True, "school_admin")
    assert tickets.ticket_public(answered.state | {"version": 2}, date(2026, 11, 20)).escalated_to is None
