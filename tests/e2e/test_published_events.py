"""Every event the services published during this run matches its committed JSON Schema, and
public topics carry no personal field."""

import json
from datetime import timedelta

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from contracts.schemas import all_events, schema_path
from contracts.topics import ALL_TOPICS
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

pytestmark = pytest.mark.infra
SCHEMAS = {
    (event.topic, event.model_fields["event_type"].default): json.loads(schema_path(event).read_text())
    for event in all_events()
}
PERSONAL = (
    "phone",
    "email",
    "address",
    "findings",
    "report",
    "minutes",
    "care_categories",
    "notes",
    "summary",
)
# Names of organisations and holidays are public; no other name may appear.
ORGANISATION_EVENTS = {"school-changed", "partner-changed", "term-changed"}


async def read_all(options: dict, topic: str) -> list[dict]:
    """Every JSON object on the topic up to its end offsets when the read begins."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[dict] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        message = json.loads(record.value or b"")
                    except ValueError:
                        continue
                    if isinstance(message, dict):
                        messages.append(message)
        return messages
    finally:
        await consumer.stop()


async def test_published_events_match_their_schemas_and_public_ones_carry_no_personal_field(
    platform, infrastructure, pupil, registry_api
):
    await platform.scheduling.post(  # at least one visit in this run, whatever other tests did
        "/v1/home-visits",
        json={
            "student_id": pupil.student_id,
            "class_id": pupil.class_id,
            # within the autumn term other tests set for d-e2e: a visit before the term is refused
            "visited_on": (SCHOOL_TODAY - timedelta(days=1)).isoformat(),
            "mode": "phone",
        },
        headers=registry_api.auth(Role.teacher, pupil.school_id, [pupil.class_id], subject="stf-9"),
    )
    checked: dict[str, int] = {}
    for topic in ALL_TOPICS:
        messages = await read_all(infrastructure.kafka_options(), topic.name)
        ours = [m for m in messages if m.get("producer") in ("scheduling", "registry")]
        for message in ours:
            jsonschema.validate(message, SCHEMAS[(topic.name, message["event_type"])])
            if topic.visibility == "public":
                keys = _keys(message["payload"])
                assert not [k for k in keys for word in PERSONAL if word in k], message
                assert "name" not in keys or message["event_type"] in ORGANISATION_EVENTS, message
        checked[topic.name] = len(ours)

    assert checked["district.visits.v1"] >= 1
    assert checked["internal.registry.v1"] >= 1
    assert checked["district.registry.v1"] >= 1


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()
