"""Topic names, by domain and major version. The record key is always the ``school_id``."""

VISITS_V1 = "district.visits.v1"
MEETINGS_V1 = "district.meetings.v1"
PARTNER_ACTIVITIES_V1 = "district.partner-activities.v1"


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks what it cannot handle, with the reason in the headers."""
    return f"{topic}.dlt"
