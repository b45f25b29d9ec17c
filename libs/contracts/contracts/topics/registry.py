from contracts.events.registry import (
    AgreementChangedV1,
    ClassChangedV1,
    PairChangedV1,
    PartnerChangedV1,
    PolicyChangedV1,
    SchoolChangedV1,
    TermChangedV1,
)
from contracts.topic_names import REGISTRY_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=REGISTRY_V1,
    owner="registry",
    producers=("registry",),
    consumers=("reporting", "scheduling", "notifications", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(
        SchoolChangedV1,
        ClassChangedV1,
        PolicyChangedV1,
        TermChangedV1,
        PairChangedV1,
        PartnerChangedV1,
        AgreementChangedV1,
    ),
    description="Organisation-level facts: schools, classes, policy, terms, pairs, partners, agreements.",
)
