"""Messages: what is said to whom, on which channels, and what happens after each send. No I/O.

A message is one (notice, recipient) pair; its id is the notice's key and the recipient's id, so
handling the same event twice finds the message already there and sends nothing twice. Its
channels are tried in order: a failed send is retried with exponential back-off (or after the
provider's ``Retry-After``), a permanent failure or too many tries falls back to the next channel,
and a message with no channel left is parked as failed with the reason, for the school to see.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from contracts.events.notifications import (
    NotificationDelivered,
    NotificationDeliveredV1,
    NotificationUndelivered,
    NotificationUndeliveredV1,
)
from contracts.events.registry import Channel
from pydantic import BaseModel
from service_kit.storage import Document

from notifications import links, preferences, priorities, templates
from notifications.channels import Refused, SendOutcome, Sent
from notifications.links import Action, ActionPublic
from notifications.priorities import Priority
from notifications.settings import Settings

PRODUCER = "notifications"
NO_CONTACT = "无可用联系方式 (no usable contact)"
NOT_REGISTERED = "登记信息未到，无法联系 (the registry never announced this guardian)"
NO_GUARDIAN = "该学生没有已登记的监护人 (no guardian registered for this student)"
FINAL = ("sent", "delivered", "read", "failed", "cancelled")
Status = Literal["queued", "sent", "delivered", "read", "failed", "cancelled"]


@dataclass(frozen=True)
class Notice:
    """Something to tell, before it is addressed: one per event or request."""

    key: str  # unique per event/request and purpose, e.g. mtg-<id>-v2-reminder-7200
    purpose: str  # the template
    district_id: str
    school_id: str
    source_id: str  # the meeting, visit, announcement or emergency it is about
    variables: dict[str, Any] = field(default_factory=dict)
    # variables in a language's own words (a letter's English title and body), over ``variables``
    # for the recipients reading that language; the others read ``variables``
    by_language: dict[str, dict[str, Any]] = field(default_factory=dict)
    essential: bool = True  # non-essential messages need the guardian's consent
    urgent: bool = False  # emergencies: every channel, no quiet hours, no digest
    due_at: datetime | None = None  # reminders are due before the meeting
    confirmation: bool = False  # the recipient is asked to click to confirm
    version: int = 1
    action: Action | None = None  # what it asks of a guardian, and the scope of their one-tap link
    # the link's scope when it is not ``action`` (a reminder lets the guardian change an RSVP
    # without asking for one); without either, the link opens the message itself
    link_scope: Action | None = None
    linked: bool = True  # False: no link at all (a cancelled meeting has nothing to open)
    confirms: str | None = None  # a reminder to confirm: confirming it confirms this message too
    audience: str | None = None  # a letter's kind of audience (school, grade, district …): its level
    starts_at: datetime | None = None  # meeting news: the meeting's start (today's is time-critical)
    # who takes turns with other senders for the dispatcher (``priorities.fair_order``): the
    # school, unless the bureau writes to its whole district
    sender: str | None = None

    def priority(self, now: datetime, settings: Settings) -> Priority:
        return priorities.of_notice(
            self.purpose, self.urgent, self.starts_at, now, settings.school_zone, self.audience
        )


# Rendered once per notice and language with this in place of the page's address, which is the
# only part of the text that differs between two recipients of one notice.
_PAGE = "\x00page\x00"


class Texts:
    """A notice's subject and body per language, rendered once for all its recipients."""

    def __init__(self, notice: Notice, settings: Settings) -> None:
        self.notice, self.settings = notice, settings
        self._rendered: dict[str, templates.Rendered] = {}

    def of(self, language: templates.Language, link_url: str) -> templates.Rendered:
        rendered = self._rendered.get(language)
        if rendered is None:
            variables = (
                self.notice.variables
                | self.notice.by_language.get(language, {})
                | {
                    "link_url": _PAGE if self.notice.linked else "",
                    "confirmation": self.notice.confirmation,
                }
            )
            rendered = templates.render(
                self.notice.purpose, language, variables, self.settings.school_timezone
            )
            self._rendered[language] = rendered
        return templates.Rendered(
            subject=rendered.subject.replace(_PAGE, link_url), body=rendered.body.replace(_PAGE, link_url)
        )


def message_id(notice: Notice, recipient_id: str, channel: Channel | None = None) -> str:
    return f"{notice.key}-{recipient_id}" + (f"-{channel.value}" if channel else "")


def address(
    notice: Notice,
    recipient: Document,
    chosen: Document,
    now: datetime,
    settings: Settings,
    student_ids: list[str] | None = None,
    texts: Texts | None = None,
) -> list[Document]:
    """The messages a notice becomes for one recipient: none without consent to a non-essential
    notice; one per channel for an emergency; otherwise one trying the channels in order.

    Each keeps the recipient's contacts and quiet-hours choice as they are now, so sending needs
    no lookup (``refresh`` takes newer ones for a message that waited long)."""
    if not notice.essential and not recipient.get("consent_non_essential", True):
        return []
    language = preferences.language(recipient.get("language"), chosen)
    contacts = recipient.get("contacts") or {}
    plans = _channel_plans(notice, recipient, chosen)
    level = notice.priority(now, settings)
    due_at, waiting = _timing(notice, level, chosen, now, settings)
    made = []
    kind = recipient.get("kind", "guardian")
    texts = texts or Texts(notice, settings)
    for made_id, channels in plans:
        # Only a guardian's message carries a token (the portal opens link sessions for guardians);
        # staff get the page, which asks them to sign in.
        link = (
            links.scope(notice.link_scope or notice.action, made_id, notice.source_id, now)
            if notice.linked and kind == "guardian"
            else None
        )
        page = links.page_url(settings.portal_public_url, made_id) if notice.linked else ""
        rendered = texts.of(language, page)
        made.append(
            {
                "_id": made_id,
                "district_id": notice.district_id,
                "school_id": notice.school_id,
                "recipient_kind": kind,
                "recipient_id": recipient["_id"],
                "student_ids": student_ids if student_ids is not None else recipient.get("student_ids", []),
                "purpose": notice.purpose,
                "source_id": notice.source_id,
                "source_version": notice.version,
                "language": language,
                "subject": rendered.subject,
                "body": rendered.body,
                "essential": notice.essential,
                "urgent": notice.urgent,
                "confirmation_required": notice.confirmation,
                "confirms": notice.confirms,
                "action": (
                    {"purpose": notice.action.purpose, "target_id": notice.action.target_id}
                    if notice.action
                    else None
                ),
                "link": link,
                "channels": [c.value for c in channels],
                "contacts": contacts,
                "quiet": quiet_choice(chosen),
                "priority": int(level),
                "sender": notice.sender or notice.school_id,
                "channel_index": 0,
                "attempts": 0,
                "status": "queued" if channels else "failed",
                "failure_reason": None if channels else NO_CONTACT,
                "waiting": waiting,
                "due_at": due_at,
                "created_at": now,
                "history": [] if channels else [_entry(now, None, "undeliverable", NO_CONTACT)],
                "sent_channel": None,
                "sent_at": None,
                "delivered_at": None,
                "read_at": None,
                "confirmed_at": None,
                "version": 1,
            }
        )
    return made


# What ``address`` reads of a recipient: all a planned batch keeps of each (``Outbox.plan``).
ADDRESSED_BY = ("kind", "contacts", "language", "preferred_channel", "consent_non_essential")


def addressed_as(recipient: Document) -> Document:
    """The part of a recipient's record that their messages are made from."""
    return {"_id": recipient["_id"]} | {k: recipient[k] for k in ADDRESSED_BY if k in recipient}


def _channel_plans(notice: Notice, recipient: Document, chosen: Document) -> list[tuple[str, list[Channel]]]:
    """Each message's id and channels: one per channel for an emergency, else one trying them in
    order; no channel at all makes a message that fails at once."""
    contacts = recipient.get("contacts") or {}
    if notice.urgent:
        return [
            (message_id(notice, recipient["_id"], channel), [channel])
            for channel in preferences.every_channel(contacts)
        ] or [(message_id(notice, recipient["_id"]), [])]
    order = [Channel(c) for c in chosen["channel_order"]] if chosen.get("channel_order") else None
    preferred = Channel(recipient.get("preferred_channel") or Channel.sms)
    return [(message_id(notice, recipient["_id"]), preferences.channel_plan(contacts, preferred, order))]


def _timing(
    notice: Notice, level: Priority, chosen: Document, now: datetime, settings: Settings
) -> tuple[datetime, str | None]:
    """When the message is due, and whether it waits for the recipient's digest."""
    due_at = notice.due_at or now
    # news of today does not wait for the evening's digest
    if level > Priority.time_critical and chosen.get("delivery") == "digest":
        digest_at = _time(chosen.get("digest_at")) or settings.digest_at
        return max(due_at, preferences.next_digest(now, digest_at, settings.school_zone)), "digest"
    return due_at, None


def planned_id(
    notice: Notice, recipient: Document, chosen: Document, level: Priority, now: datetime, settings: Settings
) -> str | None:
    """The id of the one message ``address`` would make for this recipient when that message can
    be planned (``Outbox.plan``): queued on its own, due now, in a batch of its notice; decided as
    ``address`` decides, without making it. None for no message, several, one failed for want of
    a contact, or one waiting for a digest."""
    if not notice.essential and not recipient.get("consent_non_essential", True):
        return None
    plans = _channel_plans(notice, recipient, chosen)
    if len(plans) != 1 or not plans[0][1] or _timing(notice, level, chosen, now, settings)[1] is not None:
        return None
    return plans[0][0]


def undeliverable(
    notice: Notice,
    recipient: Document,
    reason: str,
    now: datetime,
    settings: Settings,
    student_ids: list[str] | None = None,
) -> Document:
    """A message recorded as failed with the reason, for someone there is no way to reach."""
    [made] = address(
        notice, {"_id": recipient["_id"], "kind": recipient["kind"]}, {}, now, settings, student_ids
    )
    return made | {"failure_reason": reason, "history": [_entry(now, None, "undeliverable", reason)]}


def quiet_choice(chosen: Document) -> Document:
    """The part of a person's choices that decides when a message may go out."""
    return {k: chosen[k] for k in ("quiet_hours", "quiet_start", "quiet_end") if k in chosen}


# A message that waited longer than this (a reminder, a digest, a held message) is sent to the
# contacts and choices its recipient has by then, not to those of the day it was addressed. A
# county letter's messages wait their turn for some minutes: looking their recipients up again
# would cost each batch a scan of the guardians.
REFRESH_AFTER = timedelta(hours=1)


def stale(message: Document, now: datetime) -> bool:
    """Waited too long for the contacts it was addressed with, or addressed before messages kept
    them."""
    return "contacts" not in message or bool(now - message["created_at"] > REFRESH_AFTER)


def refresh(message: Document, recipient: Document | None, chosen: Document) -> Document:
    """The message with its recipient's current contacts and quiet-hours choice."""
    contacts = (recipient or {}).get("contacts") or message.get("contacts") or {}
    return message | {"contacts": contacts, "quiet": quiet_choice(chosen)}


def _time(value: Any) -> Any:
    """A clock time as preferences store it (``"18:00"``), or None."""
    return time.fromisoformat(value) if isinstance(value, str) else value


def _entry(at: datetime, channel: str | None, outcome: str, detail: str | None = None) -> Document:
    return {"at": at, "channel": channel, "outcome": outcome, "detail": detail}


def current_channel(message: Document) -> Channel | None:
    channels = message["channels"]
    index = message["channel_index"]
    return Channel(channels[index]) if index < len(channels) else None


def held_for_quiet_hours(message: Document, now: datetime, settings: Settings) -> datetime | None:
    """When a non-urgent message may go out, if now is inside the recipient's quiet hours."""
    chosen = message.get("quiet") or {}
    if message["urgent"] or chosen.get("quiet_hours") is False:
        return None
    start = _time(chosen.get("quiet_start")) or settings.quiet_hours_start
    end = _time(chosen.get("quiet_end")) or settings.quiet_hours_end
    return preferences.quiet_until(now, start, end, settings.school_zone)


def hold(message: Document, until: datetime, now: datetime) -> Document:
    return message | {
        "due_at": until,
        "waiting": "quiet_hours",
        "history": [*message["history"], _entry(now, None, "held", f"免打扰时段，{until.isoformat()} 发送")],
        "version": message["version"] + 1,
    }


def cancel(message: Document, now: datetime, reason: str) -> Document:
    return message | {
        "status": "cancelled",
        "due_at": None,
        "history": [*message["history"], _entry(now, None, "cancelled", reason)],
        "version": message["version"] + 1,
    }


def opened(message: Document, now: datetime, confirmed: bool = False) -> Document:
    """What reading a message in the inbox (or clicking to confirm it) records: the first read and
    confirmation times, and the status ``read`` once the message has gone out."""
    if message["status"] not in ("sent", "delivered", "read", "failed"):
        return {}  # not gone out yet: nothing to read
    update: Document = {}
    if not message.get("read_at"):
        update["read_at"] = now
    if confirmed and not message.get("confirmed_at"):
        update["confirmed_at"] = now
    if update:
        update["status"] = "read"
    return update


def fall_back(message: Document, now: datetime, reason: str) -> Document:
    """Move to the next channel now, or park the message as failed when none is left."""
    channel = current_channel(message)
    history = [*message["history"], _entry(now, channel.value if channel else None, "fallback", reason)]
    index = message["channel_index"] + 1
    moved = message | {
        "channel_index": index,
        "attempts": 0,
        "history": history,
        "version": message["version"] + 1,
    }
    if index >= len(message["channels"]):
        return moved | {"status": "failed", "failure_reason": reason, "due_at": None}
    return moved | {"due_at": now}


def after_send(message: Document, outcome: SendOutcome, now: datetime, settings: Settings) -> Document:
    """The message's next state after one send on its current channel."""
    channel = current_channel(message)
    assert channel is not None
    if isinstance(outcome, Sent):
        return message | {
            "status": "delivered" if outcome.delivered else "sent",
            "sent_channel": channel.value,
            "sent_at": now,
            "delivered_at": now if outcome.delivered else None,
            "provider_id": outcome.provider_id,
            "due_at": None,
            "waiting": None,
            "history": [*message["history"], _entry(now, channel.value, "sent", outcome.provider_id)],
            "version": message["version"] + 1,
        }
    if isinstance(outcome, Refused):
        return fall_back(message, now, outcome.reason)
    attempts = message["attempts"] + (1 if outcome.counts else 0)
    if attempts >= settings.delivery_max_attempts:
        return fall_back(message, now, f"{outcome.reason} (after {attempts} attempts)")
    wait = (
        outcome.after
        if outcome.after is not None
        else settings.delivery_backoff_seconds * 2 ** (attempts - 1)
    )
    return message | {
        "attempts": attempts,
        "due_at": now + timedelta(seconds=wait),
        "history": [
            *message["history"],
            _entry(now, channel.value, "retry", f"{outcome.reason}; 等待 {wait:g} 秒"),
        ],
        "version": message["version"] + 1,
    }


def delivered_event(message: Document) -> NotificationDeliveredV1:
    """Ids and the channel only: reporting measures contact with every guardian from these."""
    return NotificationDeliveredV1.about(
        PRODUCER,
        message,
        NotificationDelivered(
            message_id=message["_id"],
            recipient_kind=message["recipient_kind"],
            recipient_id=message["recipient_id"],
            student_ids=message["student_ids"],
            channel=message["sent_channel"],
            purpose=message["purpose"],
            delivered_at=message["sent_at"] or datetime.now(UTC),
        ),
    )


def undelivered_event(message: Document, channel: Channel, now: datetime) -> NotificationUndeliveredV1:
    """The reach ``delivered_event`` announced on ``channel`` did not happen (a provider's receipt)."""
    return NotificationUndeliveredV1.about(
        PRODUCER,
        message,
        NotificationUndelivered(
            message_id=message["_id"],
            recipient_kind=message["recipient_kind"],
            recipient_id=message["recipient_id"],
            channel=channel,
            reported_at=now,
        ),
    )


class MessagePublic(BaseModel):
    """A message and its delivery status (queued, sent, delivered, read, failed, cancelled)."""

    message_id: str
    school_id: str
    recipient_kind: str
    recipient_id: str
    student_ids: list[str]
    purpose: str
    subject: str
    body: str
    urgent: bool
    status: Status
    waiting: str | None = None
    channels: list[str]
    sent_channel: str | None
    created_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    confirmation_required: bool
    confirmed_at: datetime | None
    failure_reason: str | None
    history: list[dict[str, Any]]
    action: ActionPublic | None = None

    @classmethod
    def of(cls, message: Document) -> "MessagePublic":
        return cls.model_validate(message | {"message_id": message["_id"], "action": message.get("action")})
