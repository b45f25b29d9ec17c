"""``python -m service_kit.create_topics``: create every contract topic and its dead-letter topic.

Run by ``deploy/local/infra.sh start``; services also ensure their own topics at start-up, so
the order in which things start does not matter.
"""

import asyncio

from contracts.topics import ALL_TOPICS

from service_kit.messaging import ensure_topics
from service_kit.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings(service_name="infra")
    asyncio.run(ensure_topics(settings, [topic.name for topic in ALL_TOPICS]))
    print(
        f"[topics] {len(ALL_TOPICS)} topics and their dead-letter topics exist "
        f"({settings.kafka_topic_partitions} partitions each)"
    )


if __name__ == "__main__":
    main()
