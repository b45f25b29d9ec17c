"""Who sees what in notifications, on the real broker and store: every check starts from the record's
own district and school (a message, a letter, an emergency, a guardian's preferences), then its
people; a caller outside answers 404 like a missing record and changes nothing, a role that may
never do this answers 403."""

import pytest
from service_kit.auth import Role

pytestmark = pytest.mark.infra

ELSEWHERE = "d-elsewhere"  # another district, whose tokens name this district's people and schools
LETTER = {"title": "致家长的一封信：冬季安全", "body": "天气转冷，请注意交通安全。"}


def guardian_of(registry_api, family, guardian, **claims) -> dict:
    return registry_api.auth(Role.guardian, family.school_id, subject=guardian.guardian_id, **claims)


def admin_of(registry_api, family, **claims) -> dict:
    return registry_api.auth(Role.school_admin, family.school_id, **claims)


def letter_to(family, **extra) -> dict:
    return {
        "school_id": family.school_id,
        "audience": {"kind": "class", "class_ids": [family.class_id]},
        "variables": LETTER,
    } | extra


async def sent_letter(platform, registry_api, family, eventually, **extra) -> tuple[str, str]:
    """A letter to the family's class, once its first guardian's message is in their inbox: the
    announcement's id and that message's id."""
    notifications = platform.all_services["notifications"]
    sent = await notifications.post(
        "/v1/announcements", json=letter_to(family, **extra), headers=admin_of(registry_api, family)
    )
    assert sent.status_code == 201, sent.text
    mine = guardian_of(registry_api, family, family.guardians[0])

    async def in_inbox() -> bool:
        return len((await notifications.get("/v1/inbox", headers=mine)).json()) == 1

    await eventually(in_inbox, 40)
    [message] = (await notifications.get("/v1/inbox", headers=mine)).json()
    return sent.json()["announcement_id"], message["message_id"]


def not_found_like(answer, missing) -> None:
    """A refusal for scope answers word for word what a missing record does."""
    assert answer.status_code == 404, answer.text
    assert answer.json()["type"] == missing.json()["type"]
    assert answer.json()["detail"] == missing.json()["detail"]


async def test_a_token_of_another_district_naming_a_guardian_reads_none_of_their_messages_and_marks_none_read(
    platform, registry_api, family, eventually
):
    people = await family([{"phone": "13900014101", "child": 0}, {"phone": "13900014102", "child": 0}])
    mum, dad = people.guardians
    notifications = platform.all_services["notifications"]
    _, message_id = await sent_letter(platform, registry_api, people, eventually, confirmation="any_guardian")
    # the guardian's own id and child, in a token of another district
    foreign = guardian_of(registry_api, people, mum, district_id=ELSEWHERE, students=[mum.student_id])
    missing = await notifications.get("/v1/inbox/msg-none", headers=guardian_of(registry_api, people, mum))

    assert (await notifications.get("/v1/inbox", headers=foreign)).json() == []
    not_found_like(await notifications.get(f"/v1/inbox/{message_id}", headers=foreign), missing)
    not_found_like(await notifications.post(f"/v1/inbox/{message_id}/confirmation", headers=foreign), missing)
    not_found_like(await notifications.get(f"/v1/messages/{message_id}", headers=foreign), missing)
    # the other guardian of the same child, whose token names the child: their own copy only
    co_guardian = guardian_of(registry_api, people, dad, students=[dad.student_id])
    not_found_like(await notifications.get(f"/v1/inbox/{message_id}", headers=co_guardian), missing)
    not_found_like(await notifications.get(f"/v1/messages/{message_id}", headers=co_guardian), missing)

    status = await notifications.get(f"/v1/messages/{message_id}", headers=admin_of(registry_api, people))
    assert status.status_code == 200, status.text
    assert status.json()["recipient_id"] == mum.guardian_id
    assert status.json()["read_at"] is None  # the refused reads changed nothing
    assert status.json()["confirmed_at"] is None
    assert status.json()["status"] != "read"
    # the school admin of another district whose token names this school sees no delivery status
    not_found_like(
        await notifications.get(
            f"/v1/messages/{message_id}", headers=admin_of(registry_api, people, district_id=ELSEWHERE)
        ),
        missing,
    )

    read = await notifications.get(f"/v1/inbox/{message_id}", headers=guardian_of(registry_api, people, mum))
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "read"  # the recipient's own read is recorded


async def test_a_schools_delivery_list_answers_404_outside_the_callers_district_and_403_to_other_roles(
    platform, registry_api, family, eventually
):
    people = await family([{"phone": "13900014201"}])
    notifications = platform.all_services["notifications"]
    await sent_letter(platform, registry_api, people, eventually)
    path = f"/v1/schools/{people.school_id}/messages"

    own = await notifications.get(path, headers=admin_of(registry_api, people))
    assert own.status_code == 200, own.text
    assert [m["purpose"] for m in own.json()] == ["announcement"]
    missing = await notifications.get(
        "/v1/schools/sch-none/messages", headers=registry_api.auth(Role.school_admin, "sch-none")
    )
    assert missing.status_code == 404
    # an admin of another district whose token names this school: not 200 with an empty list
    not_found_like(
        await notifications.get(path, headers=admin_of(registry_api, people, district_id=ELSEWHERE)), missing
    )
    other_school = await registry_api.new_school("良舍小学")
    not_found_like(
        await notifications.get(path, headers=registry_api.auth(Role.school_admin, other_school)), missing
    )
    for role, school in (
        (Role.bureau, None),
        (Role.teacher, people.school_id),
        (Role.partner, people.school_id),
    ):
        refused = await notifications.get(path, headers=registry_api.auth(role, school))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["type"].endswith("/forbidden")


async def test_preferences_are_the_guardians_own_and_no_token_of_another_district_reads_or_sets_them(
    platform, registry_api, family
):
    people = await family([{"phone": "13900014301"}])
    parent = people.guardians[0]
    notifications = platform.all_services["notifications"]
    mine = guardian_of(registry_api, people, parent)
    chosen = await notifications.put("/v1/preferences", json={"delivery": "digest"}, headers=mine)
    assert chosen.status_code == 200, chosen.text

    foreign = guardian_of(registry_api, people, parent, district_id=ELSEWHERE, students=[parent.student_id])
    read = await notifications.get("/v1/preferences", headers=foreign)
    assert read.status_code == 404, read.text
    nobody = registry_api.auth(Role.guardian, people.school_id, subject="gdn-nobody", district_id=ELSEWHERE)
    missing = await notifications.get("/v1/preferences", headers=nobody)
    # word for word a guardian nobody knows: the answer does not tell that this one exists elsewhere
    assert (missing.status_code, missing.json()["detail"]) == (404, read.json()["detail"])
    written = await notifications.put("/v1/preferences", json={"quiet_hours": False}, headers=foreign)
    assert written.status_code == 404, written.text
    kept = await notifications.get("/v1/preferences", headers=mine)
    assert kept.json()["delivery"] == "digest"
    assert kept.json()["quiet_hours"] is True  # the refused write changed nothing

    for role in (Role.teacher, Role.school_admin, Role.partner):
        refused = await notifications.get(
            "/v1/preferences", headers=registry_api.auth(role, people.school_id)
        )
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["type"].endswith("/forbidden")


async def test_a_letter_naming_another_schools_classes_or_guardians_or_sent_from_another_district_is_refused(
    platform, registry_api, family
):
    ours = await family([{"phone": "13900014401"}])
    theirs = await family([{"phone": "13900014402"}])
    notifications = platform.all_services["notifications"]
    missing = await notifications.post(
        "/v1/announcements/preview",
        json=letter_to(theirs, audience={"kind": "class", "class_ids": ["cls-none"]}),
        headers=admin_of(registry_api, theirs),
    )
    assert missing.status_code == 404

    # an admin of another district whose token names our school: 404, not a preview of 0 guardians
    foreign = admin_of(registry_api, ours, district_id=ELSEWHERE)
    for audience in ({"kind": "school"}, {"kind": "class", "class_ids": [ours.class_id]}):
        for route in ("/v1/announcements/preview", "/v1/announcements"):
            refused = await notifications.post(
                route, json=letter_to(ours, audience=audience), headers=foreign
            )
            assert refused.status_code == 404, (route, audience, refused.text)
    # their admin, writing for their school, names our class or our guardian
    for audience in (
        {"kind": "class", "class_ids": [theirs.class_id, ours.class_id]},
        {"kind": "guardians", "guardian_ids": [ours.guardians[0].guardian_id]},
    ):
        for route in ("/v1/announcements/preview", "/v1/announcements"):
            refused = await notifications.post(
                route, json=letter_to(theirs, audience=audience), headers=admin_of(registry_api, theirs)
            )
            assert refused.status_code == 404, (route, audience, refused.text)
            if audience["kind"] == "class":
                not_found_like(refused, missing)
    # their teacher, whose token claims our class
    claiming = registry_api.auth(Role.teacher, theirs.school_id, [ours.class_id])
    for school in (ours, theirs):
        refused = await notifications.post(
            "/v1/announcements/preview", json=letter_to(school), headers=claiming
        )
        assert refused.status_code == 404, refused.text
    # a teacher writes to classes and their guardians, never to a whole school; guardians write nothing
    teacher = registry_api.auth(Role.teacher, ours.school_id, [ours.class_id])
    assert (
        await notifications.post("/v1/announcements/preview", json=letter_to(ours), headers=teacher)
    ).status_code == 200
    for headers in (teacher, guardian_of(registry_api, ours, ours.guardians[0])):
        whole = await notifications.post(
            "/v1/announcements/preview", json=letter_to(ours, audience={"kind": "school"}), headers=headers
        )
        assert whole.status_code == 403, whole.text
    # nothing reached our guardians
    status = await notifications.get(
        f"/v1/schools/{ours.school_id}/messages", headers=admin_of(registry_api, ours)
    )
    assert status.json() == []


async def test_another_schools_letter_its_confirmations_and_reminders_answer_404(
    platform, registry_api, family, eventually
):
    ours = await family([{"phone": "13900014501"}])
    notifications = platform.all_services["notifications"]
    letter_id, _ = await sent_letter(platform, registry_api, ours, eventually, confirmation="every_guardian")
    other_school = await registry_api.new_school("良舍小学")
    missing = await notifications.get("/v1/announcements/ann-none", headers=admin_of(registry_api, ours))
    outsiders = [
        registry_api.auth(Role.school_admin, other_school),
        admin_of(registry_api, ours, district_id=ELSEWHERE),
        registry_api.auth(Role.teacher, ours.school_id, [ours.class_id], district_id=ELSEWHERE),
        registry_api.auth(Role.teacher, ours.school_id, [ours.class_id], subject="stf-not-the-author"),
    ]
    for headers in outsiders:
        for method, path in (
            ("GET", f"/v1/announcements/{letter_id}"),
            ("GET", f"/v1/announcements/{letter_id}/confirmations"),
            ("POST", f"/v1/announcements/{letter_id}/reminders"),
        ):
            not_found_like(await notifications.request(method, path, headers=headers), missing)
    for role in (Role.guardian, Role.partner, Role.bureau):
        refused = await notifications.get(
            f"/v1/announcements/{letter_id}/confirmations", headers=registry_api.auth(role, ours.school_id)
        )
        assert refused.status_code == 403, (role, refused.text)
    # no reminder went out
    made = await notifications.get(
        f"/v1/schools/{ours.school_id}/messages", headers=admin_of(registry_api, ours)
    )
    assert [m["purpose"] for m in made.json()] == ["announcement"]


async def test_another_schools_emergency_cannot_be_raised_read_or_acknowledged(
    platform, registry_api, family
):
    ours = await family([{"phone": "13900014601", "child": 0}])
    theirs = await family([{"phone": "13900014602", "child": 0}])
    parent = ours.guardians[0]
    notifications = platform.all_services["notifications"]
    emergency = {
        "student_id": parent.student_id,
        "summary": "孩子在课间摔倒，膝盖擦伤。",
        "ack_within_seconds": 600,
    }
    missing_student = await notifications.post(
        "/v1/emergencies", json=emergency | {"student_id": "stu-none"}, headers=admin_of(registry_api, ours)
    )
    assert missing_student.status_code == 404
    for headers in (
        admin_of(registry_api, theirs),
        admin_of(registry_api, ours, district_id=ELSEWHERE),
        registry_api.auth(Role.teacher, theirs.school_id, [ours.class_id]),
        registry_api.auth(Role.teacher, ours.school_id, [ours.class_id], district_id=ELSEWHERE),
    ):
        not_found_like(
            await notifications.post("/v1/emergencies", json=emergency, headers=headers), missing_student
        )
    for role in (Role.guardian, Role.partner, Role.bureau):
        refused = await notifications.post(
            "/v1/emergencies", json=emergency, headers=registry_api.auth(role, ours.school_id)
        )
        assert refused.status_code == 403, (role, refused.text)

    raised = await notifications.post("/v1/emergencies", json=emergency, headers=admin_of(registry_api, ours))
    assert raised.status_code == 201, raised.text
    emergency_id = raised.json()["emergency_id"]
    missing = await notifications.get("/v1/emergencies/emg-none", headers=admin_of(registry_api, ours))
    for headers in (
        admin_of(registry_api, theirs),
        admin_of(registry_api, ours, district_id=ELSEWHERE),
        registry_api.auth(Role.teacher, theirs.school_id, [theirs.class_id], subject=theirs.head_teacher_id),
        guardian_of(registry_api, ours, parent, district_id=ELSEWHERE, students=[parent.student_id]),
        guardian_of(registry_api, theirs, theirs.guardians[0]),
    ):
        not_found_like(await notifications.get(f"/v1/emergencies/{emergency_id}", headers=headers), missing)
        acknowledged = await notifications.post(
            f"/v1/emergencies/{emergency_id}/acknowledgement", headers=headers
        )
        not_found_like(acknowledged, missing)
    refused = await notifications.get(
        f"/v1/emergencies/{emergency_id}", headers=registry_api.auth(Role.partner, ours.school_id)
    )
    assert refused.status_code == 403, refused.text

    record = await notifications.get(f"/v1/emergencies/{emergency_id}", headers=admin_of(registry_api, ours))
    assert record.json()["status"] == "open"  # no refused acknowledgement counted
    assert record.json()["acknowledged_by"] is None
    # the student's own guardian and the class's head teacher see it
    teacher = registry_api.auth(Role.teacher, ours.school_id, [ours.class_id], subject=ours.head_teacher_id)
    assert (await notifications.get(f"/v1/emergencies/{emergency_id}", headers=teacher)).status_code == 200
    mine = await notifications.post(
        f"/v1/emergencies/{emergency_id}/acknowledgement", headers=guardian_of(registry_api, ours, parent)
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["acknowledged_by"] == parent.guardian_id
