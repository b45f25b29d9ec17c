"""The portal's rules, without I/O: sign-in codes, password lockout, request limits, who a signed-in
person is to the services, and how far a one-tap link reaches.

Numbers here are the issue's promises to guardians and staff: a code lives 5 minutes and allows 5
tries; five wrong passwords lock an account for 15 minutes.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from service_kit.auth import Role

CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
PASSWORD_FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
ACTIVATION_LIFETIME = timedelta(days=3)
MIN_PASSWORD_LENGTH = 10

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(typed: str) -> str | None:
    """A mainland mobile number as people type it (spaces, dashes, +86) → 11 digits, else None."""
    digits = re.sub(r"[\s\-()]", "", typed)
    digits = digits.removeprefix("+86").removeprefix("0086")
    return digits if MOBILE.match(digits) else None


def digest(secret: str) -> str:
    """What is stored of a code, a session or a link token: never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# Sign-in codes ------------------------------------------------------------------------------------


class CodeCheck(StrEnum):
    accepted = "accepted"
    wrong = "wrong"
    expired = "expired"
    exhausted = "exhausted"  # five wrong tries: the code is spent


@dataclass(frozen=True)
class SignInCode:
    request_id: str
    phone: str
    guardian_id: str | None  # None: nobody has this number; a code is "sent" all the same
    code_digest: str
    expires_at: datetime


# Tries are counted by claiming numbered slots (``<code>:try:1`` … ``:try:5``), each one insert
# under a unique id: the one write FerretDB makes atomic. A count read and written back would let
# a burst of parallel guesses all read "5 tries left"; slots let through five guesses in all.


def check_code(code: SignInCode | None, typed: str, now: datetime, slot: int | None) -> CodeCheck:
    """The answer to a typed code, given the try slot this attempt claimed (None: none was left).
    An accepted code must still be marked used (once) by whoever records it."""
    if code is None or now >= code.expires_at:
        return CodeCheck.expired
    if slot is None:
        return CodeCheck.exhausted
    if code.guardian_id is not None and secrets.compare_digest(code.code_digest, digest(typed)):
        return CodeCheck.accepted
    return CodeCheck.exhausted if slot >= CODE_TRIES else CodeCheck.wrong


def tries_left(slot: int | None) -> int:
    return 0 if slot is None else max(CODE_TRIES - slot, 0)


# Request limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most ``most`` requests per ``window`` for one key (a mobile number, a client address)."""

    name: str
    most: int
    window: timedelta


CODE_LIMITS_PER_NUMBER = (
    Limit("number-minute", 1, timedelta(seconds=60)),
    Limit("number-hour", 5, timedelta(hours=1)),
)
CODE_LIMITS_PER_ADDRESS = (Limit("address-hour", 20, timedelta(hours=1)),)


def exceeded(limits: tuple[Limit, ...], recent: list[datetime], now: datetime) -> Limit | None:
    """The first limit the next request would break, given the times of the key's recent requests."""
    for limit in limits:
        if sum(1 for at in recent if at > now - limit.window) >= limit.most:
            return limit
    return None


# Staff and partner accounts ----------------------------------------------------------------------


def lock_window(now: datetime) -> str:
    """Failed passwords are counted per 15-minute window: five in one lock the account until the
    window ends (15 minutes at most); each failure holds a slot (``<account>:<window>:<n>``), a
    success gives its slot back, so parallel guesses cannot get more than five tries either."""
    start = int(now.timestamp()) // int(LOCK_DURATION.total_seconds())
    return str(start)


def lock_ends(now: datetime) -> datetime:
    seconds = int(LOCK_DURATION.total_seconds())
    return datetime.fromtimestamp((int(now.timestamp()) // seconds + 1) * seconds, now.tzinfo)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in words a teacher understands; None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位 (at least {MIN_PASSWORD_LENGTH} characters)"
    if password.isdigit():
        return "密码不能全是数字 (not digits only)"
    return None


def staff_role(roles: list[str]) -> Role:
    return Role.school_admin if "school_admin" in roles else Role.teacher


AccountKind = Literal["staff", "partner", "bureau"]
# The envelope's school_id (and Kafka key) of what concerns the whole district, as the registry
# keys its district records: a bureau officer's activation link.
DISTRICT_KEY = "district"


@dataclass(frozen=True)
class AccountHolder:
    """Who the registry announces may hold an account: a member of staff (``staff-changed``), a
    community partner's contact (``partner-contact-changed``), in the school of the record; or an
    officer of the bureau (``bureau-staff-changed``), of the district and no school."""

    account_id: str  # the staff id, the partner id or the officer's id: the token's subject
    kind: AccountKind
    district_id: str
    school_id: str | None
    version: int
    roles: tuple[str, ...] = ()
    class_ids: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)


def account_role(kind: str, roles: list[str]) -> Role:
    """A partner's account is a partner's and a bureau officer's the bureau's, whatever else they
    hold; a member of staff's follows the roles the registry gives them now."""
    if kind == "partner":
        return Role.partner
    if kind == "bureau":
        return Role.bureau
    return staff_role(roles)


def activation_due(status: str, announced: bool, holder: AccountHolder) -> bool:
    """A pending account gets its activation link once, when there is a way to reach its holder; a
    contact recorded later (a newer version of the record) brings the link then."""
    return status == "pending" and not announced and holder.reachable


# Who a person is to the services -----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A signed-in person as the services see them; read from the registry's events at every token,
    so a new child or class reaches the next token without signing in again."""

    subject: str
    role: Role
    district_id: str
    school_id: str | None
    class_ids: tuple[str, ...] = ()
    student_ids: tuple[str, ...] = ()
    language: str = "zh-CN"


def guardian_school(registered_at: str, children_schools: list[str]) -> str:
    """The school a guardian's token names: one where a child is enrolled now. The registry keeps
    the school that registered the guardian when the bureau moves a child elsewhere, so that school
    holds only while a child is still there; otherwise the school of most children (the first by id
    on a tie), and the registering one for a guardian with no child enrolled."""
    if not children_schools or registered_at in children_schools:
        return registered_at
    return min(set(children_schools), key=lambda school: (-children_schools.count(school), school))


# One-tap links -----------------------------------------------------------------------------------

Purpose = Literal["rsvp", "confirm", "acknowledge", "visit"]


@dataclass(frozen=True)
class LinkScope:
    """What a session opened by a one-tap link may do: one message and its one action."""

    purpose: Purpose
    message_id: str
    target_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Route:
    method: str
    service: str
    path: str  # the service's own path, e.g. /v1/meetings/m-1/rsvp


def link_allows(scope: LinkScope, route: Route) -> bool:
    """A link session reads its message and does the message's action, nothing else."""
    reads = {
        ("GET", "notifications", f"/v1/inbox/{scope.message_id}"),
        ("GET", "notifications", f"/v1/messages/{scope.message_id}"),
        ("GET", "notifications", "/v1/preferences"),  # the page speaks the language they chose
    }
    actions: dict[str, set[tuple[str, str, str]]] = {
        "rsvp": {
            ("GET", "scheduling", f"/v1/meetings/{scope.target_id}"),
            ("PUT", "scheduling", f"/v1/meetings/{scope.target_id}/rsvp"),
        },
        "confirm": {("POST", "notifications", f"/v1/inbox/{scope.message_id}/confirmation")},
        "acknowledge": {
            ("GET", "notifications", f"/v1/emergencies/{scope.target_id}"),
            ("POST", "notifications", f"/v1/emergencies/{scope.target_id}/acknowledgement"),
        },
        "visit": {
            ("GET", "scheduling", f"/v1/home-visits/{scope.target_id}"),
            ("POST", "scheduling", f"/v1/home-visits/{scope.target_id}/confirmation"),
        },
    }
    return (route.method, route.service, route.path) in reads | actions[scope.purpose]


# Sessions ----------------------------------------------------------------------------------------

SESSION_LIFETIME = {"full": timedelta(hours=12), "link": timedelta(hours=2)}


@dataclass(frozen=True)
class Session:
    session_digest: str
    subject: str
    role: Role
    csrf: str
    expires_at: datetime
    link: LinkScope | None = None
    kind: Literal["full", "link"] = "full"
    extra: dict[str, str] = field(default_factory=dict)

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


# Calendar subscriptions --------------------------------------------------------------------------

# Calendar apps (iOS, Android, Outlook) subscribe to an address and fetch it every few hours, with no
# cookie and no header: the address itself is the secret. One per person; asking again replaces it,
# which is how a teacher stops an address they shared by mistake. Only its digest is stored.
FEED_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{32,64}$")
SUBSCRIBERS = frozenset({Role.teacher, Role.school_admin, Role.guardian})


def may_subscribe(role: Role, session: Session) -> bool:
    """Staff of a school and guardians have a calendar of their own (scheduling's ``me.ics``); a
    session opened by a one-tap link does its message's action only."""
    return role in SUBSCRIBERS and session.link is None


def calendar_address(public_url: str, token: str) -> str:
    """What the calendar app subscribes to: the portal's origin, ``/calendar/<token>.ics``."""
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


def feed_token_shape(token: str) -> bool:
    """Whether a token in a feed's address could be one the portal made (anything else is a 404
    without a look in the store)."""
    return FEED_TOKEN.match(token) is not None
