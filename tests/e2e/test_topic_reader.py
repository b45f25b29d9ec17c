"""The tests' topic reader on the real broker: it reads this session's messages, not a broker's
whole history (a benchmark run on the same broker leaves hundreds of thousands behind)."""

import json
import uuid

from aiokafka import AIOKafkaProducer
from contracts.topics import INTERNAL_SCHEDULING_V1, dead_letter_topic
from topic_reader import SESSION_STARTED_MS


async def test_the_topic_reader_skips_messages_from_before_the_session(infrastructure, read_topic):
    marker = uuid.uuid4().hex
    topic = dead_letter_topic(INTERNAL_SCHEDULING_V1)  # no service reads it back
    producer = AIOKafkaProducer(**infrastructure.kafka_options())
    await producer.start()
    try:
        for when, timestamp_ms in (("before", SESSION_STARTED_MS - 3_600_000), ("during", None)):
            value = json.dumps({"marker": marker, "when": when}).encode()
            await producer.send_and_wait(topic, value, key=marker.encode(), timestamp_ms=timestamp_ms)
    finally:
        await producer.stop()

    read = await read_topic(topic, lambda ms: any(m.get("marker") == marker for m in ms))
    assert [m["when"] for m in read if m.get("marker") == marker] == ["during"]
