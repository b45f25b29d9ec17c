"""Topic names, by domain and major version. The record key is always the ``school_id``."""

VISITS_V1 = "district.visits.v1"
MEETINGS_V1 = "district.meetings.v1"
PARTNER_ACTIVITIES_V1 = "district.partner-activities.v1"
PAIRING_EXCHANGES_V1 = "district.pairing-exchanges.v1"
REGISTRY_V1 = "district.registry.v1"
# Internal topics carry what only platform services may read; deployments protect them with ACLs.
INTERNAL_REGISTRY_V1 = "internal.registry.v1"
INTERNAL_SCHEDULING_V1 = "internal.scheduling.v1"
INTERNAL_NOTIFICATIONS_V1 = "internal.notifications.v1"
INTERNAL_PORTAL_V1 = "internal.portal.v1"


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks what it cannot handle, with the reason in the headers."""
    return f"{topic}.dlt"
