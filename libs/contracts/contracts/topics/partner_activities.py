from contracts.events.partner_activities import PartnerActivityV1
from contracts.topic_names import PARTNER_ACTIVITIES_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=PARTNER_ACTIVITIES_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("reporting", "notifications", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(PartnerActivityV1,),
    description="Co-building activities (共建活动) with participant-times. No personal data.",
)
