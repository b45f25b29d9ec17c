from contracts.events.registry import (
    BureauStaffChangedV1,
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
    events=(
        StudentChangedV1,
        GuardianChangedV1,
        StaffChangedV1,
        PartnerContactChangedV1,
        BureauStaffChangedV1,
    ),
    description=(
        "Class membership, care categories, guardian, staff, partner and bureau officer contacts "
        "(platform services only; bureau-staff-changed is read by the portal alone, the others "
        "ignore it)."
    ),
)
