"""Public events, one module per topic."""

from contracts.events.meetings import MeetingHeld, MeetingHeldV1
from contracts.events.partner_activities import PartnerActivity, PartnerActivityV1
from contracts.events.visits import VisitLogged, VisitLoggedV1

__all__ = [
    "MeetingHeld",
    "MeetingHeldV1",
    "PartnerActivity",
    "PartnerActivityV1",
    "VisitLogged",
    "VisitLoggedV1",
]
