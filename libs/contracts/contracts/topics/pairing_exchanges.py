from contracts.events.partner_activities import PairingExchangeV1
from contracts.topic_names import PAIRING_EXCHANGES_V1
from contracts.topics.contract import TopicContract

TOPIC = TopicContract(
    name=PAIRING_EXCHANGES_V1,
    owner="scheduling",
    producers=("scheduling",),
    consumers=("reporting", "external subscribers"),
    visibility="public",
    compatibility="backward",
    events=(PairingExchangeV1,),
    description="Exchanges between paired schools (结对帮扶交流) with the teachers and students benefiting.",
)
