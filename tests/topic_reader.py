"""Reading a topic in tests from this session's messages on.

On a broker left running (`make up`, `make bench`) a topic holds earlier sessions' and benchmarks'
events too, hundreds of thousands after a county letter: more than a test reads through in its
time."""

import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

SESSION_STARTED_MS = int(time.time() * 1000) - 5_000  # when the suite imported this, less a margin


class FromSessionStart(ConsumerRebalanceListener):
    """Points a subscribed consumer at each assigned partition's first message of this session."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if not assigned:
            return
        partitions = sorted(assigned)
        ends = await self.consumer.end_offsets(partitions)  # before the search: nothing after it is missed
        found = await self.consumer.offsets_for_times({tp: SESSION_STARTED_MS for tp in partitions})
        for tp in partitions:
            self.consumer.seek(tp, found[tp].offset if found[tp] is not None else ends[tp])


def read_from_session_start(consumer: AIOKafkaConsumer, topic: str) -> None:
    """Subscribe the consumer (before it starts) to the topic's messages of this session."""
    consumer.subscribe([topic], listener=FromSessionStart(consumer))
