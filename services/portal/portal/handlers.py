"""The registry's events, read into the portal's projection of who may sign in.

Guardians sign in with the mobile number the registry holds for them; staff, community partners and
the bureau's officers get an account, and an activation link to set its password, the first time
the registry announces them (``staff-changed``, ``partner-contact-changed``,
``bureau-staff-changed``). Tolerant readers: only the fields used here are read.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import EnvelopeHeader
from contracts.events.portal import AccountActivationRequested, AccountActivationRequestedV1
from contracts.events.registry import (
    BureauStaffChanged,
    GuardianChanged,
    PartnerContactChanged,
    StaffChanged,
    StudentChanged,
)
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ConfigDict

from portal.domain import (
    ACTIVATION_LIFETIME,
    DISTRICT_KEY,
    AccountHolder,
    activation_due,
    digest,
    new_secret,
    normalise_mobile,
)
from portal.settings import Settings
from portal.store import ACCOUNTS, GUARDIANS, STUDENTS, PortalStore

log = logging.getLogger(__name__)
Handle = Callable[[dict[str, Any]], Awaitable[None]]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Guardian(GuardianChanged, _Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Student(StudentChanged, _Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Staff(StaffChanged, _Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _PartnerContact(PartnerContactChanged, _Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _BureauStaff(BureauStaffChanged, _Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)


def on_registry_event(store: PortalStore, broker: KafkaBroker, settings: Settings) -> Handle:
    async def handle(message: dict[str, Any]) -> None:
        """Guardians' mobile numbers and children, students' enrolment, staff and their classes,
        partners' contacts, the bureau's officers."""
        header = EnvelopeHeader.model_validate(message)
        where = {"district_id": header.district_id, "school_id": header.school_id}
        payload = message.get("payload", {})
        if header.event_type == "guardian-changed":
            guardian = _Guardian.model_validate(payload)
            await store.keep_newer(
                GUARDIANS,
                where
                | {
                    "_id": guardian.guardian_id,
                    "student_ids": guardian.student_ids,
                    "phone": normalise_mobile(guardian.contacts.phone or ""),
                    "language": guardian.language,
                    "version": guardian.version,
                },
            )
        elif header.event_type == "student-changed":
            student = _Student.model_validate(payload)
            await store.keep_newer(
                STUDENTS,
                where
                | {
                    "_id": student.student_id,
                    "class_id": student.class_id,
                    "status": student.status,
                    "version": student.version,
                },
            )
        elif header.event_type == "staff-changed":
            staff = _Staff.model_validate(payload)
            holder = AccountHolder(
                account_id=staff.staff_id,
                kind="staff",
                district_id=header.district_id,
                school_id=header.school_id,
                version=staff.version,
                roles=tuple(staff.roles),
                class_ids=tuple(staff.class_ids),
                phone=normalise_mobile(staff.contacts.phone or ""),
                email=staff.contacts.email,
            )
            await _open_account(store, broker, settings, holder)
        elif header.event_type == "partner-contact-changed":
            partner = _PartnerContact.model_validate(payload)
            holder = AccountHolder(
                account_id=partner.partner_id,
                kind="partner",
                district_id=header.district_id,
                school_id=header.school_id,
                version=partner.version,
                phone=normalise_mobile(partner.contact_phone or ""),
            )
            await _open_account(store, broker, settings, holder)
        elif header.event_type == "bureau-staff-changed":
            officer = _BureauStaff.model_validate(payload)
            holder = AccountHolder(
                account_id=officer.staff_id,
                kind="bureau",
                district_id=header.district_id,
                school_id=None,
                version=officer.version,
                phone=normalise_mobile(officer.contacts.phone or ""),
                email=officer.contacts.email,
            )
            await _open_account(store, broker, settings, holder)

    return handle


async def _open_account(
    store: PortalStore, broker: KafkaBroker, settings: Settings, holder: AccountHolder
) -> None:
    """The account follows the registry's record (roles, classes, contacts); its password stays.
    A new account is announced once with an activation link; a redelivered event whose link was not
    announced yet (a crash between the two) announces a fresh one."""
    account = await store.account(holder.account_id)
    record = {
        "district_id": holder.district_id,
        "school_id": holder.school_id,
        "kind": holder.kind,
        "roles": list(holder.roles),
        "class_ids": list(holder.class_ids),
        "phone": holder.phone,
        "email": holder.email,
        "version": holder.version,
    }
    if account is None:
        await store.keep_newer(
            ACCOUNTS, record | {"_id": holder.account_id, "status": "pending", "activation": None}
        )
        account = await store.account(holder.account_id)
    elif account["version"] < holder.version:
        await store.update_account(holder.account_id, record)
    if account is None:
        return
    announced = bool((account.get("activation") or {}).get("announced"))
    if not activation_due(account["status"], announced, holder):
        if account["status"] == "pending" and not announced:
            log.info(
                "account holder without contact: no activation link",
                extra={"account_id": holder.account_id, "kind": holder.kind},
            )
        return
    token = new_secret()
    now = datetime.now(UTC)
    activation = {"digest": digest(token), "expires_at": now + ACTIVATION_LIFETIME, "announced": False}
    await store.update_account(holder.account_id, {"activation": activation})
    event = AccountActivationRequestedV1(
        producer="portal",
        district_id=holder.district_id,
        school_id=holder.school_id or DISTRICT_KEY,
        payload=AccountActivationRequested(
            request_id=f"activation-{holder.account_id}-{uuid.uuid4().hex[:8]}",
            account_id=holder.account_id,
            account_kind=holder.kind,
            phone=holder.phone,
            email=holder.email,
            activation_url=f"{settings.public_url}/activate#{token}",
            expires_at=activation["expires_at"],
        ),
    )
    await broker.publish(event.to_json(), topic=event.topic, key=event.school_id.encode())
    await store.update_account(holder.account_id, {"activation": activation | {"announced": True}})
