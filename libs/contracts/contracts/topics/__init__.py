"""Every topic of the platform, one small file each."""

from contracts.topic_names import (
    INTERNAL_NOTIFICATIONS_V1,
    INTERNAL_PORTAL_V1,
    INTERNAL_REGISTRY_V1,
    INTERNAL_SCHEDULING_V1,
    MEETINGS_V1,
    PAIRING_EXCHANGES_V1,
    PARTNER_ACTIVITIES_V1,
    REGISTRY_V1,
    VISITS_V1,
    dead_letter_topic,
)
from contracts.topics import (
    meetings,
    notifications_internal,
    pairing_exchanges,
    partner_activities,
    portal_internal,
    registry,
    registry_internal,
    scheduling_internal,
    visits,
)
from contracts.topics.contract import TopicContract

ALL_TOPICS: tuple[TopicContract, ...] = (
    visits.TOPIC,
    meetings.TOPIC,
    partner_activities.TOPIC,
    pairing_exchanges.TOPIC,
    registry.TOPIC,
    registry_internal.TOPIC,
    scheduling_internal.TOPIC,
    notifications_internal.TOPIC,
    portal_internal.TOPIC,
)

__all__ = [
    "ALL_TOPICS",
    "INTERNAL_NOTIFICATIONS_V1",
    "INTERNAL_PORTAL_V1",
    "INTERNAL_REGISTRY_V1",
    "INTERNAL_SCHEDULING_V1",
    "MEETINGS_V1",
    "PAIRING_EXCHANGES_V1",
    "PARTNER_ACTIVITIES_V1",
    "REGISTRY_V1",
    "VISITS_V1",
    "TopicContract",
    "dead_letter_topic",
]
