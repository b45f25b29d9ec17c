from contracts.events.meetings import MeetingInvitationV1
from contracts.topic_names import INTERNAL_SCHEDULING_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_SCHEDULING_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("notifications",),
    visibility="internal",
    compatibility="backward",
    events=(MeetingInvitationV1,),
    description="Which guardians are invited to which meeting, for notifications (ACL-protected).",
)
