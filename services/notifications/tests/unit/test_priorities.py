"""The order of sending: levels, and fairness across schools within a level."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from notifications import priorities
from notifications.priorities import Priority
from notifications.store import batch_entry, batch_id, batches_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def entry(entry_id: str, school: str, level: Priority, minutes_ago: int = 0) -> dict:
    return {
        "_id": entry_id,
        "school_id": school,
        "priority": int(level),
        "due_at": NOW - timedelta(minutes=minutes_ago),
    }


def test_an_emergency_is_first_whatever_was_queued_before_it():
    queued = [entry(f"letter-{n}", "sch-a", Priority.bulk, minutes_ago=10) for n in range(5)]
    queued.append(entry("emergency", "sch-b", Priority.emergency))
    queued.append(entry("reminder", "sch-a", Priority.time_critical))
    ordered = [e["_id"] for e in priorities.fair_order(queued)]
    assert ordered[:2] == ["emergency", "reminder"]


def test_schools_take_turns_within_a_level():
    big = [entry(f"a-{n}", "sch-a", Priority.bulk, minutes_ago=30 - n) for n in range(6)]
    small = [entry("b-0", "sch-b", Priority.bulk, minutes_ago=1)]
    ordered = [e["_id"] for e in priorities.fair_order(big + small)]
    # the small school's one batch comes second, not after the big school's six
    assert ordered[:3] == ["a-0", "b-0", "a-1"]
    assert ordered[3:] == ["a-2", "a-3", "a-4", "a-5"]


def test_the_level_of_a_notice():
    def level(purpose: str, **given) -> Priority:
        return priorities.of_notice(
            purpose, given.get("urgent", False), given.get("starts_at"), NOW, SHANGHAI, given.get("audience")
        )

    assert level("emergency", urgent=True) is Priority.emergency
    assert level("meeting_reminder") is Priority.time_critical
    today = NOW + timedelta(hours=6)
    next_week = NOW + timedelta(days=7)
    assert level("meeting_invitation", starts_at=today) is Priority.time_critical
    assert level("meeting_rescheduled", starts_at=today) is Priority.time_critical
    assert level("meeting_invitation", starts_at=next_week) is Priority.normal
    assert level("announcement", audience="school") is Priority.bulk
    assert level("announcement", audience="district") is Priority.bulk
    assert level("announcement", audience="class") is Priority.normal
    assert level("visit_summary") is Priority.normal
    assert Priority.time_critical.urgent
    assert not Priority.normal.urgent


def message(n: int, school: str = "sch-a", level: Priority = Priority.bulk, **extra) -> dict:
    return {
        "_id": f"ann-1-gdn-{n:05d}",
        "source_id": "ann-1",
        "school_id": school,
        "recipient_id": f"gdn-{n:05d}",
        "priority": int(level),
        "due_at": NOW,
        "waiting": None,
    } | extra


def test_messages_are_batched_per_school_and_level_at_most_the_batch_size_each():
    made = [message(n) for n in range(600)] + [message(n, school="sch-b") for n in range(600, 630)]
    batches = batches_of(made, 250)
    assert [len(b) for b in batches] == [250, 250, 100, 30]
    assert all(len({m["school_id"] for m in b}) == 1 for b in batches)
    # the same messages make the same batch; another set another one
    assert batch_id(batches[0]) == batch_id([dict(m) for m in batches[0]])
    assert batch_id(batches[0]) != batch_id(batches[1])
    first = batch_entry(batch_id(batches[3]), batches[3])
    assert first["school_id"] == "sch-b"
    assert first["priority"] == Priority.bulk
    assert first["kind"] == "batch"


def test_a_persons_digest_messages_make_one_batch_whatever_notice_they_come_from():
    evening = NOW + timedelta(hours=8)
    one = message(1, waiting="digest", due_at=evening) | {"_id": "vis-1-gdn-00001", "source_id": "vis-1"}
    two = message(1, waiting="digest", due_at=evening) | {"_id": "act-2-gdn-00001", "source_id": "act-2"}
    assert batch_id([one]) == batch_id([two])
    assert [len(b) for b in batches_of([one, two, message(2)], 250)] == [2, 1]


def test_the_bureaus_letter_to_every_school_takes_one_turn_not_one_per_school():
    """200 schools' batches of the bureau's letter are one sender's: a school's own small letter
    comes second, not after a turn of 200."""
    district_letter = [
        entry(f"d-{school}-{n}", f"sch-{school:03d}", Priority.bulk, minutes_ago=5) | {"sender": "bureau:d-1"}
        for school in range(200)
        for n in range(3)
    ]
    small = entry("small", "sch-007", Priority.bulk, minutes_ago=1) | {"sender": "sch-007"}
    ordered = [e["_id"] for e in priorities.fair_order([*district_letter, small])]
    assert ordered.index("small") == 1
