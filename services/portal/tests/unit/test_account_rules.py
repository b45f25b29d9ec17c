"""Accounts of staff, partners and bureau officers without I/O: the role an account gives, when
its activation link is due."""

import pytest
from portal import domain
from portal.domain import AccountHolder
from service_kit.auth import Role


def holder(**changes: object) -> AccountHolder:
    fields: dict[str, object] = {
        "account_id": "ptn-1",
        "kind": "partner",
        "district_id": "d-yecheng",
        "school_id": "sch-1",
        "version": 1,
        "phone": "13800138004",
    }
    return AccountHolder(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "roles", "role"),
    [
        ("partner", [], Role.partner),
        ("partner", ["school_admin"], Role.partner),  # a partner's account never becomes staff
        ("staff", ["subject_teacher"], Role.teacher),
        ("staff", ["head_teacher", "school_admin"], Role.school_admin),
        ("bureau", [], Role.bureau),
        ("bureau", ["school_admin"], Role.bureau),  # an officer's account is the bureau's
    ],
)
def test_a_partners_account_is_a_partners_and_staff_keep_their_roles(kind, roles, role):
    assert domain.account_role(kind, roles) is role


def test_a_new_account_with_a_way_to_reach_its_holder_gets_its_link_once():
    assert domain.activation_due("pending", announced=False, holder=holder())
    assert not domain.activation_due("pending", announced=True, holder=holder())
    assert not domain.activation_due("active", announced=False, holder=holder())


def test_a_holder_without_phone_or_email_gets_a_link_when_a_contact_is_recorded():
    assert not domain.activation_due("pending", announced=False, holder=holder(phone=None))
    assert domain.activation_due(
        "pending", announced=False, holder=holder(kind="staff", phone=None, email="li@school.example.cn")
    )
