from contracts.events.meetings import (
    MeetingCancelledV1,
    MeetingHeldV1,
    MeetingRescheduledV1,
    MeetingScheduledV1,
)
from contracts.topic_names import MEETINGS_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=MEETINGS_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("reporting", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(MeetingHeldV1, MeetingScheduledV1, MeetingRescheduledV1, MeetingCancelledV1),
    description="Meetings with guardians and their counts. No personal data.",
)
