"""A guardian's own language on the real parts: the registry says zh-CN, the guardian chooses English
in their preferences, and the school's next announcement reaches them in English (the text the SMS
stand-in received), while a guardian who chose nothing keeps the school's Chinese."""

import uuid

import pytest
from service_kit.auth import Role

pytestmark = pytest.mark.infra


def unique_phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def sms_to(provider, phone: str) -> list[dict]:
    return provider[0].to("sms", phone)


async def test_a_guardian_who_chose_english_is_written_to_in_english_and_another_stays_in_chinese(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": unique_phone()}, {"phone": unique_phone()}])
    chooser, other = people.guardians
    assert chooser.language == other.language == "zh-CN"  # the school registered both in Chinese
    notifications = platform.all_services["notifications"]
    chooser_token = registry_api.auth(Role.guardian, people.school_id, subject=chooser.guardian_id)

    before = await notifications.get("/v1/preferences", headers=chooser_token)
    assert before.status_code == 200, before.text
    assert before.json()["language"] is None  # nothing chosen: the registry's language
    chosen = await notifications.put(
        "/v1/preferences", json=before.json() | {"language": "en"}, headers=chooser_token
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["language"] == "en"
    again = await notifications.get("/v1/preferences", headers=chooser_token)
    assert again.json()["language"] == "en"  # kept on the server, not on the phone
    refused = await notifications.put("/v1/preferences", json={"language": "fr"}, headers=chooser_token)
    assert refused.status_code == 422
    assert (await notifications.get("/v1/preferences", headers=chooser_token)).json()["language"] == "en"

    letter = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "class", "class_ids": [people.class_id]},
            "variables": {"title": "冬季安全", "body": "天气转冷，请注意交通安全。"},
        },
        headers=registry_api.auth(Role.school_admin, people.school_id),
    )
    assert letter.status_code == 201, letter.text

    async def both_texted() -> bool:
        return bool(sms_to(provider, chooser.phone)) and bool(sms_to(provider, other.phone))

    await eventually(both_texted, 20)
    [english] = sms_to(provider, chooser.phone)
    [chinese] = sms_to(provider, other.phone)
    assert "Open the notice:" in english["text"]
    assert "查看通知" not in english["text"]
    assert "查看通知：" in chinese["text"]
    assert "Open the notice" not in chinese["text"]

    # null hands the choice back to the school: the next message is in Chinese again
    reset = await notifications.put("/v1/preferences", json={"language": None}, headers=chooser_token)
    assert reset.status_code == 200, reset.text
    assert reset.json()["language"] is None
    second = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "guardians", "guardian_ids": [chooser.guardian_id]},
            "variables": {"title": "期末安排", "body": "请留意放假时间。"},
        },
        headers=registry_api.auth(Role.school_admin, people.school_id),
    )
    assert second.status_code == 201, second.text

    async def texted_twice() -> bool:
        return len(sms_to(provider, chooser.phone)) == 2

    await eventually(texted_twice, 20)
    assert "查看通知：" in sms_to(provider, chooser.phone)[1]["text"]
