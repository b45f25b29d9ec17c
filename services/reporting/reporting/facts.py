"""What reporting keeps of each event: one fact, inserted under a key of its own, never updated.

Read models are computed from these facts when asked, so the same event twice lands on the same
key and changes nothing, an event arriving late lands in the month its dates say, and replaying
the topics into an empty database gives the same numbers (the rebuild). Registry records are kept
as versions (``<district>:<kind>:<id>:<version>``); a reader takes the version in force on a date, so a
transfer moves the denominators from the day it happened. Tolerant readers: each event is read
for the fields used here; a missing one, or a schema version this code does not know, is
malformed and goes to the dead-letter topic.
"""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from service_kit.messaging import MalformedEvent
from service_kit.storage import Document

VISITS, CONFIRMATIONS, MEETINGS = "visit_facts", "confirmation_facts", "meeting_facts"
ACTIVITIES, EXCHANGES, CONTACTS, VERSIONS = (
    "activity_facts",
    "exchange_facts",
    "contact_facts",
    "registry_versions",
)
FOLLOW_UPS, UNDELIVERED = "follow_up_facts", "undelivered_facts"
FACT_COLLECTIONS = (
    VISITS,
    CONFIRMATIONS,
    MEETINGS,
    ACTIVITIES,
    EXCHANGES,
    CONTACTS,
    UNDELIVERED,
    VERSIONS,
    FOLLOW_UPS,
)
KNOWN_VERSIONS = {1}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    effective_on: date | None = None
    district_id: str
    school_id: str
    payload: dict[str, Any]

    def day(self, zone: ZoneInfo) -> str:
        """The school day of the change: its producer's (a pinned demo or test day), else the day
        where the schools are."""
        return self.effective_on.isoformat() if self.effective_on else local_date(self.occurred_at, zone)


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Visit(Strict):
    visit_id: str
    student_id: str
    class_id: str
    visiting_staff_ids: list[str]
    visited_on: date
    mode: str
    two_staff: bool | None = None


class Confirmation(Strict):
    visit_id: str
    class_id: str


class Meeting(Strict):
    meeting_id: str
    kind: str
    level: str
    grade: int | None = None
    class_ids: list[str] = []
    held_on: date
    invited_count: int
    rsvp_yes_count: int
    attended_count: int


class Activity(Strict):
    activity_id: str
    partner_id: str
    partner_kind: str
    agreement_id: str
    kind: str
    held_on: date
    class_ids: list[str] = []
    participant_times: int
    version: int | None = None


class Exchange(Strict):
    exchange_id: str
    pair_id: str
    supporting_school_id: str
    supported_school_ids: list[str]
    kind: str
    held_on: date
    teachers_benefiting: int
    students_benefiting: int


class FollowUps(Strict):
    class Item(Strict):
        due_on: date
        done: bool

    visit_id: str
    class_id: str
    follow_ups: list[Item]
    version: int


class Delivered(Strict):
    message_id: str
    recipient_kind: str
    recipient_id: str
    channel: str
    delivered_at: datetime


class Undelivered(Strict):
    message_id: str
    channel: str


# registry records: the payload field naming each, and where a record has no version of its own
RECORD_IDS = {
    "school-changed": "school_id",
    "class-changed": "class_id",
    "student-changed": "student_id",
    "guardian-changed": "guardian_id",
    "term-changed": None,  # one per district, school year and kind
    "policy-changed": "school_year",
    "pair-changed": "pair_id",
    "agreement-changed": "agreement_id",
    "staff-changed": "staff_id",
}
# what reporting keeps of a registry record: no contact detail ever lands here
KEPT = {
    "school-changed": ("name", "level", "setting", "status"),
    "class-changed": ("grade", "status", "enrolled_count", "head_teacher_id"),
    "student-changed": ("class_id", "status", "care_categories", "name"),
    "guardian-changed": ("student_ids",),
    "term-changed": ("school_year", "kind", "starts_on", "ends_on", "holidays"),
    "policy-changed": ("school_year", "targets"),
    "pair-changed": ("supporting_school_id", "supported_school_ids", "starts_on", "ends_on"),
    "agreement-changed": ("partner_id", "partner_kind", "starts_on", "ends_on", "status", "reviewed"),
    "staff-changed": ("roles", "class_ids"),  # never the contacts
}


def local_date(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def fact_of(message: dict[str, Any], zone: ZoneInfo) -> tuple[str, Document] | None:
    """The fact an event leaves, or None for events reporting does not count; the moments events
    carry are dated where the schools are (``zone``, the settings' ``school_timezone``)."""
    return fact_of_event(Envelope.model_validate(message), zone)


def fact_of_json(body: bytes, zone: ZoneInfo) -> tuple[str, Document] | None:
    """``fact_of`` an event as the broker carries it, parsed and checked in one pass: the read
    model's follower takes every event of the district this way (a ValidationError when it is
    not an event; the service's consumer dead-letters it with the reason)."""
    return fact_of_event(Envelope.model_validate_json(body), zone)


def fact_of_event(event: Envelope, zone: ZoneInfo) -> tuple[str, Document] | None:
    if event.schema_version not in KNOWN_VERSIONS:
        raise MalformedEvent(f"unknown schema_version {event.schema_version} of {event.event_type}")
    # "recorded": the day it was recorded, against "on", the day it happened (late entries)
    base: Document = {
        "district_id": event.district_id,
        "school_id": event.school_id,
        "event_id": event.event_id,
        "recorded": event.day(zone),
    }
    p = event.payload
    if event.event_type == "visit-logged":
        visit = Visit.model_validate(p)
        return VISITS, base | {
            "_id": visit.visit_id,
            "student_id": visit.student_id,
            "class_id": visit.class_id,
            "staff_ids": visit.visiting_staff_ids,
            "on": visit.visited_on.isoformat(),
            "mode": visit.mode,
            "two_staff": bool(visit.two_staff),
        }
    if event.event_type == "visit-confirmed":
        confirmed = Confirmation.model_validate(p)
        return CONFIRMATIONS, base | {"_id": confirmed.visit_id, "class_id": confirmed.class_id}
    if event.event_type == "meeting-held":
        meeting = Meeting.model_validate(p)
        return MEETINGS, base | meeting.model_dump(mode="json", exclude={"meeting_id", "held_on"}) | {
            "_id": meeting.meeting_id,
            "on": meeting.held_on.isoformat(),
        }
    if event.event_type == "partner-activity":
        activity = Activity.model_validate(p)
        # a partner's confirmation republishes the activity with a higher version; readers take the newest
        return ACTIVITIES, base | activity.model_dump(mode="json", exclude={"held_on"}) | {
            "_id": f"{activity.activity_id}:{activity.version or 0}",
            "version": activity.version or 0,
            "on": activity.held_on.isoformat(),
        }
    if event.event_type == "pairing-exchange":
        exchange = Exchange.model_validate(p)
        return EXCHANGES, base | exchange.model_dump(mode="json", exclude={"held_on"}) | {
            "_id": exchange.exchange_id,
            "on": exchange.held_on.isoformat(),
        }
    if event.event_type == "follow-ups-changed":
        changed = FollowUps.model_validate(p)
        return FOLLOW_UPS, base | {
            "_id": f"{changed.visit_id}:{changed.version}",
            "visit_id": changed.visit_id,
            "class_id": changed.class_id,
            "version": changed.version,
            "items": [{"due_on": i.due_on.isoformat(), "done": i.done} for i in changed.follow_ups],
        }
    if event.event_type == "notification-delivered":
        delivered = Delivered.model_validate(p)
        # per channel: a reach a provider later reports failed is taken back for that channel only
        return CONTACTS, base | {
            "_id": f"{delivered.message_id}:{delivered.channel}",
            "recipient_kind": delivered.recipient_kind,
            "recipient_id": delivered.recipient_id,
            # the producer's school day when it says one (a pinned demo or test day), as registry
            # records and visits are dated; else the day where the schools are
            "on": event.effective_on.isoformat()
            if event.effective_on
            else local_date(delivered.delivered_at, zone),
        }
    if event.event_type == "notification-undelivered":
        undelivered = Undelivered.model_validate(p)
        return UNDELIVERED, base | {"_id": f"{undelivered.message_id}:{undelivered.channel}"}
    if event.event_type in RECORD_IDS:
        return VERSIONS, base | registry_version(event, zone)
    return None


def registry_version(event: Envelope, zone: ZoneInfo) -> Document:
    p = event.payload
    kind = event.event_type.removesuffix("-changed")
    id_field = RECORD_IDS[event.event_type]
    record_id = str(p[id_field]) if id_field else f"{p['school_year']}:{p['kind']}"
    missing = [f for f in KEPT[event.event_type] if f not in p and f not in ("name", "head_teacher_id")]
    if missing or (id_field and id_field not in p):
        raise MalformedEvent(f"{event.event_type} without {', '.join(missing) or id_field}")
    # class-changed has no version: the moment it happened orders it (one school's events keep order)
    version = p.get("version") or event.occurred_at.timestamp()
    return {
        "_id": f"{event.district_id}:{kind}:{record_id}:{version}",
        "kind": kind,
        "record_id": record_id,
        "version": version,
        "at": event.day(zone),
        "data": {f: p.get(f) for f in KEPT[event.event_type]},
    }
