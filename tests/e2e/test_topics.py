import pytest
from aiokafka.admin import AIOKafkaAdminClient
from contracts.topics import ALL_TOPICS, dead_letter_topic

pytestmark = pytest.mark.infra


async def test_every_contract_topic_and_its_dead_letter_topic_has_several_partitions(infrastructure):
    admin = AIOKafkaAdminClient(**infrastructure.kafka_options())
    await admin.start()
    try:
        names = [name for topic in ALL_TOPICS for name in (topic.name, dead_letter_topic(topic.name))]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()

    partitions = {topic["topic"]: len(topic["partitions"]) for topic in described}
    assert partitions == dict.fromkeys(names, 6)
