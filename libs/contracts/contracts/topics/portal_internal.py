from contracts.events.portal import AccountActivationRequestedV1, SignInCodeRequestedV1
from contracts.topic_names import INTERNAL_PORTAL_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_PORTAL_V1,
    owner="portal",
    producers=("portal",),
    consumers=("notifications",),
    visibility="internal",
    compatibility="backward",
    events=(SignInCodeRequestedV1, AccountActivationRequestedV1),
    description="Sign-in codes and account activation links the portal asks notifications to send.",
)
