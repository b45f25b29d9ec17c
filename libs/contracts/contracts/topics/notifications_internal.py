from contracts.events.notifications import NotificationDeliveredV1, NotificationUndeliveredV1
from contracts.topic_names import INTERNAL_NOTIFICATIONS_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=INTERNAL_NOTIFICATIONS_V1,
    owner="notifications",
    producers=("notifications",),
    consumers=("reporting",),
    visibility="internal",
    compatibility="backward",
    events=(NotificationDeliveredV1, NotificationUndeliveredV1),
    description="Which guardian or member of staff was reached, when and on which channel, and a reach "
    "a provider later reported failed (ids only).",
)
