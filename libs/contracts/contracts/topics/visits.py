from contracts.events.visits import (
    FollowUpsChangedV1,
    VisitCancelledV1,
    VisitConfirmedV1,
    VisitLoggedV1,
    VisitPlannedV1,
)
from contracts.topic_names import VISITS_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=VISITS_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("reporting", "notifications", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(VisitLoggedV1, VisitPlannedV1, VisitCancelledV1, VisitConfirmedV1, FollowUpsChangedV1),
    description="Home visits (家访): planned, logged, cancelled. No personal data.",
)
