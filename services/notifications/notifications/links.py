"""One-tap links (一键链接): what a message asks of its guardian, and the personal link that does it.

Every message to a guardian carries ``<portal>/l#<token>`` (the token in the fragment, which no
request carries, so no scanner's GET uses it up): the token is an EdDSA JWS signed with
notifications' own key (the portal verifies it with our JWKS), naming one guardian, one message
(its own ``_id``, the one ``/v1/inbox/{id}`` answers), one purpose and its target, and expiring:
an RSVP at the meeting's start, a letter to confirm in 14 days, an emergency in 3, a home visit in
30. A message that asks nothing links to itself (its page, read-only but for confirming that very
message). No I/O.

The message keeps the link's claims, not the token: its text shows the page's plain address (for
the inbox and the school's delivery view, which must not hand out a guardian's link), and the token
is signed again when the message is sent. Ed25519 signatures are deterministic, so the same stored
claims give the same token however often it is sent.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from service_kit.keys import SigningKey
from service_kit.storage import Document

Purpose = Literal["rsvp", "confirm", "acknowledge", "visit"]
ISSUER, AUDIENCE = "notifications", "portal-link"
LIFETIME: dict[Purpose, timedelta] = {
    "confirm": timedelta(days=14),
    "acknowledge": timedelta(days=3),
    "visit": timedelta(days=30),
}
# A message that asks nothing: its link opens the message, and the portal lets a "confirm" link
# session read it (and confirm it, which records no more than reading does for such a message).
READ: Purpose = "confirm"


@dataclass(frozen=True)
class Action:
    """What a link lets its guardian do: ``target_id`` is the meeting, announcement, emergency or
    visit; ``until`` the meeting's start for an RSVP (the answer may change until then)."""

    purpose: Purpose
    target_id: str
    until: datetime | None = None


class ActionPublic(BaseModel):
    """What the message asks: rsvp 回复出席, confirm 确认回执, acknowledge 确认紧急联系, visit 确认家访."""

    purpose: Purpose
    target_id: str


def expires_at(action: Action, now: datetime) -> datetime:
    if action.purpose == "rsvp":
        if action.until is None:
            raise ValueError("an RSVP link expires at the meeting's start")
        return action.until
    return now + LIFETIME[action.purpose]


def scope(action: Action | None, message_id: str, source_id: str, now: datetime) -> Document:
    """The claims a message keeps for its link: ``action`` or, when it asks nothing, the message."""
    chosen = action or Action(READ, source_id)
    return {
        "purpose": chosen.purpose,
        "target_id": chosen.target_id,
        "expires_at": expires_at(chosen, now),
        # one per message, and the same if the message is addressed again (the portal lets one
        # browser use a jti)
        "jti": uuid.uuid5(uuid.NAMESPACE_URL, f"district-link:{message_id}").hex,
    }


def page_url(portal_url: str, message_id: str) -> str:
    """The message's page: what its stored text shows; opening it needs signing in."""
    return f"{portal_url.rstrip('/')}/messages/{message_id}"


def claims(message: Document) -> dict[str, Any]:
    link = message["link"]
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": message["recipient_id"],
        "district_id": message["district_id"],
        "school_id": message["school_id"],
        "student_ids": message["student_ids"],
        "msg": message["_id"],
        "purpose": link["purpose"],
        "target": link["target_id"],
        "jti": link["jti"],
        "iat": int(message["created_at"].timestamp()),
        "exp": int(link["expires_at"].timestamp()),
    }


def link_url(portal_url: str, key: SigningKey, message: Document) -> str:
    return f"{portal_url.rstrip('/')}/l#{key.sign(claims(message))}"


def personal_text(text: str, message: Document, portal_url: str, key: SigningKey) -> str:
    """The text as the guardian receives it: the page's address replaced by their one-tap link."""
    if not message.get("link"):
        return text
    return text.replace(page_url(portal_url, message["_id"]), link_url(portal_url, key, message))
