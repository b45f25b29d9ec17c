from contracts.events.registry import ClassChangedV1, PolicyChangedV1, SchoolChangedV1
from contracts.topic_names import REGISTRY_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=REGISTRY_V1,
    owner="registry",
    producers=("registry",),
    consumers=("reporting", "scheduling", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(SchoolChangedV1, ClassChangedV1, PolicyChangedV1),
    description="Organisation-level registry facts: schools, classes with enrolment counts, policy.",
)
