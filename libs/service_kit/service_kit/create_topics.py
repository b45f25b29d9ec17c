"""``python -m service_kit.create_topics``: create every contract topic and its dead-letter topic.

Run by ``deploy/local/infra.sh start`` as the broker's admin (``DISTRICT_KAFKA_USERNAME``); services
also ensure their own topics at start-up, as far as their ACLs let them, so the order in which
things start does not matter.
"""

import asyncio

from contracts.topics import ALL_TOPICS

from service_kit.messaging import ensure_topics, with_dead_letters
from service_kit.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings(service_name="infra")
    asyncio.run(ensure_topics(settings, with_dead_letters(topic.name for topic in ALL_TOPICS)))
    print(
        f"[topics] {len(ALL_TOPICS)} topics and their dead-letter topics exist "
        f"({settings.kafka_topic_partitions} partitions each)"
    )


if __name__ == "__main__":
    main()
