"""Deliveries of notifications on the internal ``internal.notifications.v1`` (ids and channel only)."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Contract, Event
from contracts.events.registry import Channel
from contracts.topic_names import INTERNAL_NOTIFICATIONS_V1


class RecipientKind(StrEnum):
    guardian = "guardian"
    staff = "staff"


class Reach(Contract):
    """Which message, to whom: ids only."""

    message_id: str
    recipient_kind: RecipientKind
    recipient_id: str = Field(description="Opaque id of the guardian or member of staff.")


class NotificationDelivered(Reach):
    """A message reached a guardian or a member of staff over a channel (the channel accepted it)."""

    student_ids: list[str] = Field(default_factory=list, description="Opaque ids of the children concerned.")
    channel: Channel
    purpose: str = Field(description="What the message was about, e.g. meeting_invitation, emergency.")
    delivered_at: datetime


class NotificationDeliveredV1(Event):
    topic: ClassVar[str] = INTERNAL_NOTIFICATIONS_V1

    event_type: Literal["notification-delivered"] = "notification-delivered"
    schema_version: Literal[1] = 1
    payload: NotificationDelivered


class NotificationUndelivered(Reach):
    """A message a channel had accepted did not reach the recipient after all (the provider's delivery
    receipt said so): the contact ``notification-delivered`` announced on that channel did not happen.
    The message goes on to its next channel, if it has one."""

    channel: Channel = Field(description="The channel that failed.")
    reported_at: datetime


class NotificationUndeliveredV1(Event):
    topic: ClassVar[str] = INTERNAL_NOTIFICATIONS_V1

    event_type: Literal["notification-undelivered"] = "notification-undelivered"
    schema_version: Literal[1] = 1
    payload: NotificationUndelivered
