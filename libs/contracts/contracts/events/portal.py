"""What the portal asks notifications to send on ``internal.portal.v1``: sign-in codes for guardians
and activation links for staff and partners. Internal only: a code is a credential for 5 minutes."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Contract, Event
from contracts.topic_names import INTERNAL_PORTAL_V1


class SignInCodeRequested(Contract):
    """A guardian asked to sign in with their mobile number: send them this code by SMS, at once."""

    request_id: str = Field(description="One per request; notifications sends each once.")
    guardian_id: str
    phone: str = Field(description="The mobile number the guardian typed, as the registry holds it.")
    code: str = Field(pattern=r"^\d{6}$", description="The 6-digit code; the portal keeps only its hash.")
    language: Literal["zh-CN", "en"] = "zh-CN"
    expires_at: datetime


class SignInCodeRequestedV1(Event):
    topic: ClassVar[str] = INTERNAL_PORTAL_V1

    event_type: Literal["sign-in-code-requested"] = "sign-in-code-requested"
    schema_version: Literal[1] = 1
    payload: SignInCodeRequested


class AccountActivationRequested(Contract):
    """A member of staff, a partner or a bureau officer has an account now: send them the link that
    sets its password."""

    request_id: str
    account_id: str = Field(description="The staff, partner or bureau officer id the account belongs to.")
    account_kind: Literal["staff", "partner", "bureau"]
    phone: str | None = None
    email: str | None = None
    activation_url: str = Field(description="A single-use link to the portal's activation page.")
    expires_at: datetime


class AccountActivationRequestedV1(Event):
    topic: ClassVar[str] = INTERNAL_PORTAL_V1

    event_type: Literal["account-activation-requested"] = "account-activation-requested"
    schema_version: Literal[1] = 1
    payload: AccountActivationRequested
