"""A guardian's own language on the real parts: the registry says zh-CN, the guardian chooses English
in their preferences, and the school's next announcement reaches them in English (the text the SMS
stand-in received), while a guardian who chose nothing keeps the school's Chinese. In a real browser
(as tests/e2e/test_guardian_pages.py), the choice made on the preferences page is saved and followed
by the pages at once and at the next sign-in on another phone."""

import uuid

import pytest
from phone_pages import accessible, new_phone, sign_in_on_the_page
from playwright.async_api import expect
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


# The same choice made on the preferences page, in a real browser --------------------------------


async def test_the_language_chosen_on_the_preferences_page_is_saved_and_the_pages_follow_it(
    platform, registry_api, family, provider, eventually, chromium
):
    number = unique_phone()
    people = await family([{"phone": number}])
    guardian = people.guardians[0]
    portal_guardians = platform.portal_app.state.store.db["guardians"]

    async def known_to_the_portal() -> bool:
        return await portal_guardians.find_one({"_id": guardian.guardian_id}) is not None

    await eventually(known_to_the_portal, 30)

    phone = await new_phone(chromium, str(platform.portal.base_url).rstrip("/"))
    try:
        await sign_in_on_the_page(phone, number, provider, eventually)
        await expect(phone.get_by_role("heading", level=1, name="消息")).to_be_visible()
        await phone.goto("/preferences")
        await expect(phone.get_by_role("heading", name="接收设置")).to_be_visible()
        await expect(phone.get_by_text("页面和通知都将使用所选语言")).to_be_visible()
        await phone.get_by_text("English", exact=True).click()
        await phone.get_by_role("button", name="保存设置").click()
        # the pages follow at once, without reloading
        await expect(phone.get_by_text("Saved", exact=True)).to_be_visible()
        await expect(phone.get_by_role("heading", name="How you are told")).to_be_visible()
        assert await phone.evaluate("document.documentElement.lang") == "en"
        await accessible(phone, "guardian-preferences-en")

        token = registry_api.auth(Role.guardian, people.school_id, subject=guardian.guardian_id)
        saved = await platform.all_services["notifications"].get("/v1/preferences", headers=token)
        assert saved.json()["language"] == "en"  # on the server, not only on this phone

        # a page load follows the saved preference, whatever this phone remembered last
        await phone.evaluate("localStorage.setItem('portal_language', 'zh-CN')")
        await phone.goto("/inbox")
        await expect(phone.get_by_role("heading", level=1, name="Messages")).to_be_visible()
        assert await phone.evaluate("document.documentElement.lang") == "en"
    finally:
        await phone.context.close()
