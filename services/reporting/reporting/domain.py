"""Reporting's reading of events and its read-model rules. No I/O."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Caller
from service_kit.storage import Document


class VisitLoggedFacts(BaseModel):
    """Tolerant reader of ``visit-logged``: only the fields reporting counts, additions ignored."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        visit_id: str
        student_id: str
        class_id: str
        visited_on: date
        two_staff: bool | None = None

    event_id: str
    event_type: str
    district_id: str
    school_id: str
    payload: Payload


def visit_fact(event: VisitLoggedFacts) -> Document:
    """One fact per event id: a redelivered event lands on the same key and changes nothing."""
    return {
        "_id": event.event_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
        "class_id": event.payload.class_id,
        "student_id": event.payload.student_id,
        "visit_id": event.payload.visit_id,
        "visited_on": event.payload.visited_on.isoformat(),
        "two_staff": bool(event.payload.two_staff),
    }


class VisitConfirmedFacts(BaseModel):
    """Tolerant reader of ``visit-confirmed``."""

    model_config = ConfigDict(extra="ignore")

    class Payload(BaseModel):
        model_config = ConfigDict(extra="ignore")
        visit_id: str
        class_id: str

    district_id: str
    school_id: str
    payload: Payload


def confirmation_fact(event: VisitConfirmedFacts) -> Document:
    """One fact per visit: a visit is confirmed once, however often the event arrives."""
    return {
        "_id": event.payload.visit_id,
        "district_id": event.district_id,
        "school_id": event.school_id,
        "class_id": event.payload.class_id,
    }


class SchoolVisitSummary(BaseModel):
    district_id: str
    school_id: str
    visits_logged: int
    students_visited: int
    two_staff_visits: int = Field(description="Visits made by at least two staff.")
    guardian_confirmed: int = Field(
        description="Visits a guardian confirmed (the confirmation rate's numerator)."
    )


def may_read_school(caller: Caller, district_id: str, school_id: str) -> bool:
    """Bureau reads every school of its district; school staff read their own school."""
    return caller.sees_school(district_id, school_id)
