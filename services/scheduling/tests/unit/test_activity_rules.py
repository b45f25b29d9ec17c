from datetime import date

import pytest
from scheduling import activities
from service_kit.auth import Caller, Role
from service_kit.errors import NotFound

ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
AGREEMENT = {
    "_id": "agr-1",
    "district_id": "d-yecheng",
    "school_id": "sch-1",
    "partner_id": "ptn-1",
    "partner_kind": "police_station",
    "status": "active",
    "version": 1,
}
BODY = activities.ActivityCreate(
    agreement_id="agr-1",
    kind="legal_education",
    title="法制讲座",
    held_on=date(2026, 11, 1),
    participant_times=96,
)


def test_an_ended_agreement_takes_no_activity():
    with pytest.raises(activities.ActivityRejected) as rejected:
        activities.record_activity(ADMIN, AGREEMENT | {"status": "ended"}, BODY, date(2026, 11, 20))

    assert rejected.value.errors[0]["field"] == "body.agreement_id"


def test_another_schools_agreement_is_not_found():
    with pytest.raises(NotFound):
        activities.record_activity(ADMIN, AGREEMENT | {"school_id": "sch-2"}, BODY, date(2026, 11, 20))
