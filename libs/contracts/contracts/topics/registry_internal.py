from contracts.events.registry import StudentChangedV1
from contracts.topic_names import INTERNAL_REGISTRY_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_REGISTRY_V1,
    owner="registry",
    producers=("registry",),
    consumers=("scheduling", "notifications", "reporting"),
    visibility="internal",
    compatibility="backward",
    events=(StudentChangedV1,),
    description="Class membership and care categories; platform services only (ACL-protected).",
)
