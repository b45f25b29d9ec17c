"""Idempotency-Key through the portal: browsers carry a session cookie, not a bearer token, so the
key is kept by each service per person (the portal forwards it), never in one space for all."""

import uuid

import pytest
from school_clock import SCHOOL_TODAY
from teacher_world import TeacherWorld, signed_in, teacher_world

pytestmark = pytest.mark.infra


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
    return await teacher_world(platform, registry_api, eventually, mailbox, provider)


async def test_two_teachers_sending_the_same_visit_with_the_same_key_each_record_their_own(
    platform, world: TeacherWorld
):
    """The same body and key from two people are two visits: neither gets the other's answer."""
    head = await signed_in(platform.portal, world.head_teacher)
    subject = await signed_in(platform.portal, world.subject_teacher)
    pupil = world.pupils[0]
    visit = {
        "student_id": pupil.student_id,
        "class_id": world.class_id,
        "visited_on": SCHOOL_TODAY.isoformat(),
        "mode": "phone",
    }
    key = {"idempotency-key": f"visit-{uuid.uuid4()}"}

    first = await head.send("POST", "/api/scheduling/v1/home-visits", json=visit, headers=key)
    second = await subject.send("POST", "/api/scheduling/v1/home-visits", json=visit, headers=key)
    again = await head.send("POST", "/api/scheduling/v1/home-visits", json=visit, headers=key)

    assert first.status_code == second.status_code == 201, second.text
    assert second.headers.get("idempotent-replayed") is None  # not the head teacher's answer
    assert first.json()["visiting_staff_ids"] == [world.head_teacher.staff_id]
    assert second.json()["visiting_staff_ids"] == [world.subject_teacher.staff_id]
    assert again.json()["visit_id"] == first.json()["visit_id"]  # each person's retry is still one
    assert again.headers.get("idempotent-replayed") == "true"
    stored = await platform.scheduling_app.state.store.visits_of_students(
        world.district_id, [pupil.student_id]
    )
    assert len(stored) == 2
