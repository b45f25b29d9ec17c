"""A school's monthly submission as rules without I/O: only a month that has ended, a reason when
there was nothing to report, late after the deadline day of the district's policy, and the record
as stored and as completeness reads it."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from reporting import facts
from reporting.periods import BadPeriod, Month
from reporting.snapshot import Snapshot
from reporting.submissions import AlreadySubmitted, Submission, by_month, require_reason, submit
from service_kit.errors import Invalid

OCTOBER = Month(2026, 10)


def district(deadline_day: int | None = None) -> Snapshot:
    """A district with no facts (the default deadline: the 5th), or with a policy naming its day."""
    if deadline_day is None:
        return Snapshot("d-1")
    policy = {
        "event_id": "e-policy",
        "event_type": "policy-changed",
        "schema_version": 1,
        "occurred_at": "2026-08-20T02:00:00Z",
        "producer": "test",
        "district_id": "d-1",
        "school_id": "district",
        "payload": {
            "school_year": "2026-2027",
            "version": 2,
            "targets": {"monthly_submission_deadline_day": deadline_day},
        },
    }
    found = facts.fact_of(policy, ZoneInfo("Asia/Shanghai"))
    assert found is not None
    assert found[0] == facts.VERSIONS
    return Snapshot("d-1", versions=[found[1]])


def made(on: date, kind: str = "confirmed", reason: str | None = None, snapshot: Snapshot | None = None):
    return submit(snapshot or district(), "sch-1", OCTOBER, kind, reason, on, "adm-1")  # type: ignore[arg-type]


def test_a_month_is_submitted_once_it_has_ended() -> None:
    for day in (date(2026, 10, 1), date(2026, 10, 31)):
        with pytest.raises(BadPeriod) as problem:
            made(day)
        assert problem.value.status == 422
        assert problem.value.errors is not None
        assert problem.value.errors[0]["field"] == "path.month"
    assert made(date(2026, 11, 1)).month == OCTOBER


def test_nothing_to_report_needs_a_reason_and_a_confirmation_none() -> None:
    for reason in (None, ""):
        with pytest.raises(Invalid) as problem:
            made(date(2026, 11, 2), "nothing_to_report", reason)
        assert problem.value.status == 422
        assert problem.value.errors is not None
        assert problem.value.errors[0]["field"] == "body.reason"
    require_reason("confirmed", None)
    assert made(date(2026, 11, 2), "nothing_to_report", "寒假").reason == "寒假"


def test_a_month_not_over_is_refused_before_a_missing_reason() -> None:
    with pytest.raises(BadPeriod):
        made(date(2026, 10, 20), "nothing_to_report", None)


def test_a_submission_after_the_deadline_day_is_accepted_and_marked_late() -> None:
    assert made(date(2026, 11, 5)).deadline == date(2026, 11, 5)  # the default: the 5th
    assert not made(date(2026, 11, 5)).late  # on the day is on time
    assert made(date(2026, 11, 6)).late
    assert made(date(2027, 3, 1)).late


def test_the_deadline_day_is_the_district_policys() -> None:
    tenth = district(deadline_day=10)
    assert made(date(2026, 11, 8), snapshot=tenth).deadline == date(2026, 11, 10)
    assert not made(date(2026, 11, 10), snapshot=tenth).late
    assert made(date(2026, 11, 11), snapshot=tenth).late


def test_the_record_is_keyed_by_school_and_month_as_stored() -> None:
    record = made(date(2026, 11, 6), "nothing_to_report", "寒假").record()
    assert record == {
        "_id": "sch-1:2026-10",
        "district_id": "d-1",
        "school_id": "sch-1",
        "month": "2026-10",
        "kind": "nothing_to_report",
        "reason": "寒假",
        "submitted_on": "2026-11-06",
        "deadline": "2026-11-05",
        "late": True,
        "submitted_by": "adm-1",
    }


def test_a_submission_is_its_record_as_stored() -> None:
    submission = Submission(
        "d-1", "sch-1", OCTOBER, "confirmed", None, date(2026, 11, 3), date(2026, 11, 5), "adm-1"
    )
    assert submission == made(date(2026, 11, 3))
    assert submission.key == "sch-1:2026-10"
    assert submission.record()["late"] is False


def test_a_schools_submissions_are_listed_by_month() -> None:
    found = [{"month": "2026-12"}, {"month": "2026-09"}, {"month": "2026-10"}]
    assert [s["month"] for s in by_month(found)] == ["2026-09", "2026-10", "2026-12"]


def test_a_second_submission_of_the_month_is_a_409() -> None:
    problem = AlreadySubmitted("2026-10")
    assert problem.status == 409
    assert "2026-10" in str(problem.detail)
