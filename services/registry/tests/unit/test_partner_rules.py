"""A community partner's registration: the organisation on the public topic, its contact only on the
internal one (for the partner's portal account)."""

import pytest
from contracts.events.registry import PartnerChangedV1, PartnerContactChangedV1
from registry import organisation as org
from service_kit.auth import Caller, Role
from service_kit.errors import Forbidden

ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
SCHOOL = {"school_id": "sch-1", "district_id": "d-yecheng", "name": "叶城县第九小学", "version": 1}


def partner(**changes: object) -> org.PartnerCreate:
    fields: dict[str, object] = {
        "name": "文化路派出所",
        "kind": "police_station",
        "contact_person": "马警官",
        "contact_phone": "13800138004",
    }
    return org.PartnerCreate.model_validate(fields | changes)


def test_a_partner_is_announced_publicly_and_its_contact_internally_in_the_same_change():
    change = org.register_partner(ADMIN, SCHOOL, partner())

    public, contact = change.events
    assert isinstance(public, PartnerChangedV1)
    assert public.topic == "district.registry.v1"
    assert "13800138004" not in public.model_dump_json()
    assert "马警官" not in public.model_dump_json()
    assert isinstance(contact, PartnerContactChangedV1)
    assert contact.topic == "internal.registry.v1"
    assert (contact.school_id, contact.district_id) == ("sch-1", "d-yecheng")
    assert contact.payload.partner_id == change.aggregate_id
    assert (contact.payload.contact_phone, contact.payload.version) == ("13800138004", 1)
    assert "马警官" not in contact.model_dump_json()  # the name is not needed to reach them


def test_a_partner_without_a_phone_is_announced_with_none():
    change = org.register_partner(ADMIN, SCHOOL, partner(contact_phone=None))

    _, contact = change.events
    assert isinstance(contact, PartnerContactChangedV1)
    assert contact.payload.contact_phone is None


def test_events_of_a_later_version_carry_that_version():
    change = org.register_partner(ADMIN, SCHOOL, partner())

    public, contact = org.partner_events(change.state, 3)
    assert (public.payload.version, contact.payload.version) == (3, 3)


def test_only_a_school_admin_registers_a_partner():
    with pytest.raises(Forbidden):
        org.register_partner(Caller("t", Role.teacher, "d-yecheng", "sch-1"), SCHOOL, partner())
