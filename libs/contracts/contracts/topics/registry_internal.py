from contracts.events.registry import (
    GuardianChangedV1,
    PartnerContactChangedV1,
    StaffChangedV1,
    StudentChangedV1,
)
from contracts.topic_names import INTERNAL_REGISTRY_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_REGISTRY_V1,
    owner="registry",
    producers=("registry",),
    consumers=("scheduling", "notifications", "reporting", "portal"),
    visibility="internal",
    compatibility="backward",
    events=(StudentChangedV1, GuardianChangedV1, StaffChangedV1, PartnerContactChangedV1),
    description=(
        "Class membership, care categories, guardian, staff and partner contacts (platform services only)."
    ),
)
