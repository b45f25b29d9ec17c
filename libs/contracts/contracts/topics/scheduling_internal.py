from contracts.events.meetings import MeetingInvitationV1
from contracts.events.visits import VisitSummarySharedV1
from contracts.topic_names import INTERNAL_SCHEDULING_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_SCHEDULING_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("notifications",),
    visibility="internal",
    compatibility="backward",
    events=(MeetingInvitationV1, VisitSummarySharedV1),
    description="Meeting invitees and visit summaries shared with guardians, for notifications only (ACLs).",
)
