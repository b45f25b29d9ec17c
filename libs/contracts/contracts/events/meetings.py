"""Meetings with guardians (家长会, 家长学校, 开放日, 家委会, 校长接待日) on ``district.meetings.v1``."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt

from contracts.envelope import Contract, Event
from contracts.topic_names import INTERNAL_SCHEDULING_V1, MEETINGS_V1


class MeetingKind(StrEnum):
    parent_meeting = "parent_meeting"  # 家长会
    parent_school_session = "parent_school_session"  # 家长学校授课
    open_day = "open_day"  # 家长开放日
    committee_meeting = "committee_meeting"  # 家委会会议
    reception_day = "reception_day"  # 校长接待日


class MeetingLevel(StrEnum):
    school = "school"
    grade = "grade"
    class_ = "class"


class MeetingHeld(Contract):
    """A meeting took place; counts only, never who came."""

    meeting_id: str = Field(description="Opaque id of the meeting.")
    kind: MeetingKind
    level: MeetingLevel = Field(description="Audience level: whole school, a grade or a class.")
    grade: int | None = Field(default=None, ge=1, le=12, description="Audience grade, where level is grade.")
    class_ids: list[str] = Field(default_factory=list, description="Classes invited, where level is class.")
    held_on: date
    invited_count: NonNegativeInt = Field(description="Guardians invited.")
    rsvp_yes_count: NonNegativeInt = Field(description="Guardians who answered yes.")
    attended_count: NonNegativeInt = Field(description="Guardians who attended.")


class MeetingHeldV1(Event):
    topic: ClassVar[str] = MEETINGS_V1

    event_type: Literal["meeting-held"] = "meeting-held"
    schema_version: Literal[1] = 1
    payload: MeetingHeld


class MeetingScheduled(Contract):
    """A meeting was scheduled; who is invited travels only on internal topics."""

    meeting_id: str
    kind: MeetingKind
    level: MeetingLevel
    grade: int | None = Field(default=None, ge=1, le=12)
    class_ids: list[str] = Field(default_factory=list)
    starts_at: datetime
    invited_count: NonNegativeInt


class MeetingScheduledV1(Event):
    topic: ClassVar[str] = MEETINGS_V1

    event_type: Literal["meeting-scheduled"] = "meeting-scheduled"
    schema_version: Literal[1] = 1
    payload: MeetingScheduled


class MeetingCancelled(Contract):
    meeting_id: str
    kind: MeetingKind
    starts_at: datetime


class MeetingCancelledV1(Event):
    topic: ClassVar[str] = MEETINGS_V1

    event_type: Literal["meeting-cancelled"] = "meeting-cancelled"
    schema_version: Literal[1] = 1
    payload: MeetingCancelled


class MeetingRescheduled(Contract):
    meeting_id: str
    kind: MeetingKind
    starts_at: datetime
    previous_starts_at: datetime
    version: int = Field(ge=2)


class MeetingRescheduledV1(Event):
    topic: ClassVar[str] = MEETINGS_V1

    event_type: Literal["meeting-rescheduled"] = "meeting-rescheduled"
    schema_version: Literal[1] = 1
    payload: MeetingRescheduled


class MeetingInvitation(Contract):
    """Internal: who is invited to a meeting and when it is, for notifications to reach them.

    ``guardian_ids`` lists every invitee, except for a guardian the registry announced after the
    meeting was scheduled: that guardian's late invitation lists only them, at the meeting's
    current ``version`` (with the status the meeting's own event of that version had, when it
    catches up with a move or cancellation decided meanwhile)."""

    meeting_id: str
    kind: MeetingKind
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    guardian_ids: list[str]
    status: Literal["scheduled", "rescheduled", "cancelled"]
    version: int = Field(ge=1)


class MeetingInvitationV1(Event):
    topic: ClassVar[str] = INTERNAL_SCHEDULING_V1

    event_type: Literal["meeting-invitation"] = "meeting-invitation"
    schema_version: Literal[1] = 1
    payload: MeetingInvitation
