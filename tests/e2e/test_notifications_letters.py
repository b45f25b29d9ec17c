"""A school's letters on the real broker and store: the list of them with their counts (the school's
admin and its district's bureau; another school's admin and another district's bureau find no such
school, other roles are refused), and a letter's text per language, each guardian reading theirs."""

import pytest
from bearer import bearer
from service_kit.auth import Role

pytestmark = pytest.mark.infra

ELSEWHERE = "d-elsewhere"
WINTER = {"title": "致家长的一封信：冬季安全", "body": "天气转冷，请注意交通安全。"}
WINTER_EN = {"title": "A letter to parents: winter safety", "body": "It is getting cold: mind the roads."}


def admin_of(registry_api, school_id: str) -> dict:
    return registry_api.auth(Role.school_admin, school_id)


def guardian_of(registry_api, family, guardian) -> dict:
    return registry_api.auth(Role.guardian, family.school_id, subject=guardian.guardian_id)


async def inbox_of(notifications, headers, eventually) -> dict:
    async def arrived() -> bool:
        return len((await notifications.get("/v1/inbox", headers=headers)).json()) == 1

    await eventually(arrived, 40)
    [message] = (await notifications.get("/v1/inbox", headers=headers)).json()
    return message


async def test_a_schools_letters_are_listed_newest_first_with_their_counts_for_its_admin_and_bureau_only(
    platform, registry_api, family, eventually
):
    people = await family(
        [{"phone": "13900016101", "child": 0}, {"phone": "13900016102", "child": 1}, {"child": 2}]
    )
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people.school_id)
    first = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "class", "class_ids": [people.class_id]},
            "variables": WINTER,
            "confirmation": "any_guardian",
        },
        headers=admin,
    )
    assert first.status_code == 201, first.text
    second = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "school"},
            "texts": {"zh-CN": WINTER | {"title": "运动会通知"}, "en": WINTER_EN},
        },
        headers=admin,
    )
    assert second.status_code == 201, second.text
    route = f"/v1/schools/{people.school_id}/announcements"

    async def both_out() -> bool:
        listed = (await notifications.get(route, headers=admin)).json()
        return [row["reached"] for row in listed] == [2, 2]

    await eventually(both_out, 40)
    # the first guardian confirms the first letter (their message: the letter's id and theirs)
    mum = people.guardians[0]
    confirmed = await notifications.post(
        f"/v1/inbox/{first.json()['announcement_id']}-{mum.guardian_id}/confirmation",
        headers=guardian_of(registry_api, people, mum),
    )
    assert confirmed.status_code == 200, confirmed.text
    answer = await notifications.get(route, headers=admin)
    assert answer.status_code == 200, answer.text
    newest, oldest = answer.json()
    assert [newest["announcement_id"], oldest["announcement_id"]] == [
        second.json()["announcement_id"],
        first.json()["announcement_id"],
    ]
    assert newest["title"] == "运动会通知"
    assert newest["languages"] == ["zh-CN", "en"]
    assert newest["audience"]["kind"] == "school"
    assert newest["confirmation"] == "none"
    assert oldest["title"] == WINTER["title"]
    assert oldest["audience"] == {
        "kind": "class",
        "grade": None,
        "class_ids": [people.class_id],
        "care_category": None,
        "guardians": None,
    }
    assert oldest["confirmation"] == "any_guardian"
    # three guardians: two messages went out, the one without a contact failed
    assert (oldest["recipients"], oldest["reached"], oldest["failed"], oldest["confirmed"]) == (3, 2, 1, 1)
    assert newest["confirmed"] == 0
    assert oldest["created_at"] < newest["created_at"]

    bureau = await notifications.get(route, headers=bearer(Role.bureau, "d-e2e", "bureau-1"))
    assert bureau.status_code == 200, bureau.text
    assert [row["announcement_id"] for row in bureau.json()] == [
        newest["announcement_id"],
        oldest["announcement_id"],
    ]
    assert "13900016101" not in bureau.text
    assert people.guardians[0].guardian_id not in bureau.text

    missing = await notifications.get("/v1/schools/sch-none/announcements", headers=admin)
    assert missing.status_code == 404
    other_school = await registry_api.new_school("叶城县第十小学")
    for outsider in (
        admin_of(registry_api, other_school),
        bearer(Role.bureau, ELSEWHERE, "bureau-z"),
        bearer(Role.school_admin, ELSEWHERE, "admin-z", school_id=people.school_id),
    ):
        refused = await notifications.get(route, headers=outsider)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == missing.json()["detail"]
    for role_refused in (
        registry_api.auth(Role.teacher, people.school_id, classes=[people.class_id]),
        guardian_of(registry_api, people, people.guardians[0]),
    ):
        assert (await notifications.get(route, headers=role_refused)).status_code == 403
    # the other school's own list (once notifications knows the school) is its own: none of these
    theirs = f"/v1/schools/{other_school}/announcements"

    async def listed_empty() -> bool:
        answer = await notifications.get(theirs, headers=admin_of(registry_api, other_school))
        return answer.status_code == 200 and answer.json() == []

    await eventually(listed_empty, 30)


async def test_a_guardian_reads_the_letter_in_their_language_and_the_preview_shows_each(
    platform, registry_api, family, eventually
):
    people = await family(
        [{"phone": "13900016201", "child": 0, "language": "en"}, {"phone": "13900016202", "child": 1}]
    )
    english, chinese = people.guardians
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people.school_id)
    letter = {
        "school_id": people.school_id,
        "audience": {"kind": "class", "class_ids": [people.class_id]},
        "variables": WINTER,
        "texts": {"en": WINTER_EN},
    }
    preview = await notifications.post("/v1/announcements/preview", json=letter, headers=admin)
    assert preview.status_code == 200, preview.text
    samples = preview.json()["samples"]
    assert WINTER_EN["title"] in samples["en"]["subject"]
    assert WINTER_EN["body"] in samples["en"]["body"]
    assert WINTER["title"] in samples["zh-CN"]["subject"]
    assert WINTER["body"] in samples["zh-CN"]["body"]

    for wrong, field in (
        ({"texts": {"fr": WINTER_EN}}, "body.texts.fr"),
        ({"texts": {"en": WINTER_EN | {"title": " "}}}, "body.texts.en.title"),
        ({"variables": {"title": "", "body": "正文"}}, "body.variables.title"),
    ):
        refused = await notifications.post("/v1/announcements", json=letter | wrong, headers=admin)
        assert refused.status_code == 422, refused.text
        assert field in [e["field"] for e in refused.json()["errors"]]

    sent = await notifications.post("/v1/announcements", json=letter, headers=admin)
    assert sent.status_code == 201, sent.text
    assert sent.json()["languages"] == ["zh-CN", "en"]
    theirs = await inbox_of(notifications, guardian_of(registry_api, people, english), eventually)
    assert theirs["subject"] == f"[叶城县第九小学] {WINTER_EN['title']}"
    assert theirs["body"].startswith(WINTER_EN["body"])
    assert "冬季" not in theirs["subject"] + theirs["body"]
    hers = await inbox_of(notifications, guardian_of(registry_api, people, chinese), eventually)
    assert hers["subject"] == f"【叶城县第九小学】{WINTER['title']}"
    assert hers["body"].startswith(WINTER["body"])


async def test_a_letters_messages_are_its_own_for_its_admin_and_author_only(
    platform, registry_api, family, eventually
):
    people = await family(
        [{"phone": "13900016301", "child": 0}, {"phone": "13900016302", "child": 1}, {"child": 2}]
    )
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people.school_id)
    to_class = {"school_id": people.school_id, "audience": {"kind": "class", "class_ids": [people.class_id]}}
    letter = await notifications.post(
        "/v1/announcements",
        json=to_class | {"variables": WINTER, "confirmation": "any_guardian"},
        headers=admin,
    )
    assert letter.status_code == 201, letter.text
    letter_id = letter.json()["announcement_id"]
    # another letter of the same school to the same guardians: none of its messages is this one's
    other = await notifications.post(
        "/v1/announcements", json=to_class | {"variables": WINTER | {"title": "运动会通知"}}, headers=admin
    )
    assert other.status_code == 201, other.text
    route = f"/v1/announcements/{letter_id}/messages"

    async def out() -> bool:
        answer = (await notifications.get(route, headers=admin)).json()
        return sorted(m["status"] for m in answer) == ["failed", "sent", "sent"]

    await eventually(out, 40)
    mum, dad, no_contact = people.guardians
    confirmed = await notifications.post(
        f"/v1/inbox/{letter_id}-{mum.guardian_id}/confirmation",
        headers=guardian_of(registry_api, people, mum),
    )
    assert confirmed.status_code == 200, confirmed.text
    # the reminder to the one still to confirm is not one of the letter's messages either
    reminded = await notifications.post(f"/v1/announcements/{letter_id}/reminders", headers=admin)
    assert reminded.status_code == 200, reminded.text
    assert dad.guardian_id in reminded.json()["reminded_guardian_ids"]

    answer = await notifications.get(route, headers=admin)
    assert answer.status_code == 200, answer.text
    messages = {m["recipient_id"]: m for m in answer.json()}
    assert sorted(messages) == sorted(g.guardian_id for g in people.guardians)
    assert all(m["subject"].endswith(WINTER["title"]) for m in messages.values())
    assert messages[mum.guardian_id]["student_ids"] == [mum.student_id]
    assert messages[mum.guardian_id]["confirmed_at"] is not None
    assert messages[mum.guardian_id]["channel"] == "sms"
    assert messages[mum.guardian_id]["sent_at"] is not None
    assert messages[dad.guardian_id]["confirmed_at"] is None
    assert messages[no_contact.guardian_id]["status"] == "failed"
    assert messages[no_contact.guardian_id]["failure_reason"]
    assert all(m["confirmation_required"] for m in messages.values())
    # no contact details: neither phone is anywhere in the answer
    assert "13900016301" not in answer.text
    assert "13900016302" not in answer.text
    assert "contacts" not in answer.text

    # another school's admin, and another district's admin naming this school: no such letter
    missing = await notifications.get("/v1/announcements/ann-none/messages", headers=admin)
    assert missing.status_code == 404
    other_school = await registry_api.new_school("叶城县第十一小学")
    for outsider in (
        admin_of(registry_api, other_school),
        bearer(Role.school_admin, ELSEWHERE, "admin-z", school_id=people.school_id),
    ):
        refused = await notifications.get(route, headers=outsider)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == missing.json()["detail"]
    assert (await notifications.get(route, headers=guardian_of(registry_api, people, mum))).status_code == 403

    # a teacher reads the messages of a letter they wrote, not those of a colleague's letter to
    # their class (the admin's, or another teacher's)
    author = registry_api.auth(Role.teacher, people.school_id, [people.class_id], subject="teacher-author-i")
    colleague = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject="teacher-other-i"
    )
    theirs = await notifications.post(
        "/v1/announcements", json=to_class | {"variables": WINTER | {"title": "春游通知"}}, headers=author
    )
    assert theirs.status_code == 201, theirs.text
    their_route = f"/v1/announcements/{theirs.json()['announcement_id']}/messages"

    async def authors_out() -> bool:
        answer = await notifications.get(their_route, headers=author)
        return answer.status_code == 200 and len(answer.json()) == 3

    await eventually(authors_out, 40)
    assert all(
        m["subject"].endswith("春游通知")
        for m in (await notifications.get(their_route, headers=author)).json()
    )
    assert (await notifications.get(their_route, headers=colleague)).status_code == 404
    assert (await notifications.get(route, headers=author)).status_code == 404
