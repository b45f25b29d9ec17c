"""Public topics carry no personal data: no names, contacts, addresses or free text."""

import pytest
from contracts.envelope import Event
from contracts.topics import ALL_TOPICS
from pydantic import BaseModel

PERSONAL_FIELD_WORDS = (
    "name",
    "phone",
    "mobile",
    "email",
    "address",
    "wechat",
    "handle",
    "id_card",
    "birth",
    "findings",
    "report",
    "notes",
    "comment",
    "care_categor",
    "minutes",
)


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(prefix + name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _fields(annotation, f"{prefix}{name}.")
    return names


PUBLIC_EVENTS = [e for t in ALL_TOPICS if t.visibility == "public" for e in t.events]
# Names of organisations are public facts, not personal data.
ORGANISATION_FIELDS = {("SchoolChangedV1", "payload.name"), ("PartnerChangedV1", "payload.name")}


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=lambda e: e.__name__)
def test_public_event_has_no_personal_fields(event: type[Event]):
    offending = [
        f
        for f in _fields(event)
        if any(word in f for word in PERSONAL_FIELD_WORDS) and (event.__name__, f) not in ORGANISATION_FIELDS
    ]
    assert offending == []


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=lambda e: e.__name__)
def test_public_event_refuses_unknown_fields(event: type[Event]):
    assert event.model_config.get("extra") == "forbid"
    payload_model = event.model_fields["payload"].annotation
    assert payload_model.model_config.get("extra") == "forbid"


def test_care_categories_travel_only_on_internal_topics():
    for topic in ALL_TOPICS:
        carries_care = any("care_categories" in _fields(event) for event in topic.events) or any(
            "payload.care_categories" in _fields(event) for event in topic.events
        )
        assert not carries_care or topic.visibility == "internal", topic.name


def test_every_topic_names_owner_producers_and_consumers():
    for topic in ALL_TOPICS:
        assert topic.owner in topic.producers
        assert topic.consumers
        assert topic.events
        assert all(event.topic == topic.name for event in topic.events)
