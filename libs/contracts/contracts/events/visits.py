"""Home visits (家访) on ``district.visits.v1``.

Public: students and staff appear as opaque ids; no names, contacts, findings or care categories
(whether a visit was mandatory, 三必访, would reveal a student's care category, so reporting
derives it from the internal registry topic instead).
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Contract, Event
from contracts.topic_names import INTERNAL_SCHEDULING_V1, VISITS_V1


class VisitMode(StrEnum):
    in_person = "in_person"
    phone = "phone"
    video = "video"
    school_visit = "school_visit"  # 校访: the guardian comes to the school


class VisitLogged(Contract):
    """A home visit was made and recorded."""

    visit_id: str = Field(description="Opaque id of the visit record.")
    student_id: str = Field(description="Opaque id of the student visited.")
    class_id: str = Field(description="Class the student belonged to on the visit date.")
    visiting_staff_ids: list[str] = Field(min_length=1, description="Opaque ids of the staff who visited.")
    visited_on: date = Field(description="Date the visit took place (school's local date).")
    mode: VisitMode = Field(description="How the visit was made.")
    two_staff: bool | None = Field(
        default=None, description="Whether at least two staff made the visit (evidence the bureau can trust)."
    )


class VisitLoggedV1(Event):
    topic: ClassVar[str] = VISITS_V1

    event_type: Literal["visit-logged"] = "visit-logged"
    schema_version: Literal[1] = 1
    payload: VisitLogged


class VisitPlanned(Contract):
    """A home visit was planned, or moved to another date (a higher version)."""

    visit_id: str
    student_id: str
    class_id: str
    visiting_staff_ids: list[str] = Field(min_length=1)
    planned_on: date
    mode: VisitMode
    version: int = Field(ge=1, description="A rescheduled visit is announced again with a higher version.")


class VisitPlannedV1(Event):
    topic: ClassVar[str] = VISITS_V1

    event_type: Literal["visit-planned"] = "visit-planned"
    schema_version: Literal[1] = 1
    payload: VisitPlanned


class VisitCancelled(Contract):
    """A planned visit will not take place: cancelled beforehand, or missed on the day."""

    visit_id: str
    student_id: str
    class_id: str
    outcome: Literal["cancelled", "missed"]
    planned_on: date


class VisitCancelledV1(Event):
    topic: ClassVar[str] = VISITS_V1

    event_type: Literal["visit-cancelled"] = "visit-cancelled"
    schema_version: Literal[1] = 1
    payload: VisitCancelled


class VisitConfirmed(Contract):
    """A guardian confirmed, with their own token, that the visit took place."""

    visit_id: str
    class_id: str
    confirmed_on: date


class VisitConfirmedV1(Event):
    topic: ClassVar[str] = VISITS_V1

    event_type: Literal["visit-confirmed"] = "visit-confirmed"
    schema_version: Literal[1] = 1
    payload: VisitConfirmed


class VisitSummaryShared(Contract):
    """Internal: the summary of a visit that its teacher chose to share with the child's guardians."""

    visit_id: str
    student_id: str
    class_id: str
    visited_on: date
    mode: VisitMode
    summary: str = Field(description="Free text for the guardians only; never on a public topic.")
    confirmation_requested: bool = Field(
        default=False, description="The teacher asks the guardians to confirm the visit took place."
    )


class VisitSummarySharedV1(Event):
    topic: ClassVar[str] = INTERNAL_SCHEDULING_V1

    event_type: Literal["visit-summary-shared"] = "visit-summary-shared"
    schema_version: Literal[1] = 1
    payload: VisitSummaryShared


class FollowUpState(Contract):
    """A follow-up action of a visit, without its text: when it is due and whether it is done."""

    due_on: date
    done: bool


class FollowUpsChanged(Contract):
    """The follow-ups agreed on a visit, as they stand (a snapshot; the highest version wins)."""

    visit_id: str
    class_id: str
    follow_ups: list[FollowUpState]
    version: int = Field(ge=1, description="Version of the visit record.")


class FollowUpsChangedV1(Event):
    topic: ClassVar[str] = VISITS_V1

    event_type: Literal["follow-ups-changed"] = "follow-ups-changed"
    schema_version: Literal[1] = 1
    payload: FollowUpsChanged
