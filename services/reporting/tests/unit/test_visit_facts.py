import pytest
from pydantic import ValidationError
from reporting.domain import VisitLoggedFacts, visit_fact

EVENT = {
    "event_id": "4f0f8a52-3c1e-4f7e-9d7a-2b8f5e9c1a01",
    "event_type": "visit-logged",
    "schema_version": 1,
    "occurred_at": "2026-10-14T09:30:00Z",
    "producer": "scheduling",
    "district_id": "d-yecheng",
    "school_id": "sch-yecheng-9",
    "payload": {
        "visit_id": "v-1",
        "student_id": "stu-1",
        "class_id": "cls-3-2",
        "visiting_staff_ids": ["stf-1"],
        "visited_on": "2026-10-13",
        "mode": "phone",
    },
}


def test_fact_is_keyed_by_event_id_so_redelivery_changes_nothing():
    fact = visit_fact(VisitLoggedFacts.model_validate(EVENT))

    assert fact["_id"] == EVENT["event_id"]
    assert (fact["school_id"], fact["student_id"], fact["visited_on"]) == (
        "sch-yecheng-9",
        "stu-1",
        "2026-10-13",
    )


def test_reader_tolerates_fields_added_in_a_later_minor_version():
    newer = EVENT | {"payload": EVENT["payload"] | {"holiday": True}, "trace_note": "x"}

    assert VisitLoggedFacts.model_validate(newer).payload.visit_id == "v-1"


def test_reader_refuses_an_event_without_what_it_counts():
    with pytest.raises(ValidationError, match="student_id"):
        VisitLoggedFacts.model_validate(EVENT | {"payload": {"visit_id": "v-1"}})
