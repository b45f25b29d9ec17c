"""A guardian's own language on the real parts: the registry says zh-CN, the guardian chooses English
in their preferences, and the school's next announcement reaches them in English (the text the SMS
stand-in received), while a guardian who chose nothing keeps the school's Chinese. In a real browser
(as tests/e2e/test_guardian_pages.py), the choice made on the preferences page is saved and followed
by the pages at once and at the next sign-in on another phone."""

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from service_kit.auth import Role

pytestmark = pytest.mark.infra

ROOT = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "services/portal/web/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / ".local/screenshots"
PHONE = {"width": 360, "height": 740}


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


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser
        await browser.close()


async def new_phone(chromium: Browser, platform) -> Page:
    context = await chromium.new_context(
        base_url=str(platform.portal.base_url).rstrip("/"),
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        bypass_csp=True,  # axe is injected as a script
    )
    return await context.new_page()


async def accessible(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    bad = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def sign_in(page: Page, number: str, provider, eventually) -> None:
    before = len(sms_to(provider, number))
    await page.goto("/sign-in")
    await page.get_by_label("手机号").fill(number)
    await page.get_by_role("button", name="获取验证码").click()

    async def code_arrived() -> bool:
        return len(sms_to(provider, number)) > before

    await eventually(code_arrived, 20)
    code = re.search(r"(\d{6})", sms_to(provider, number)[-1]["text"])
    assert code is not None
    await page.get_by_label("验证码").fill(code[1])
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/inbox$"))


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

    phone = await new_phone(chromium, platform)
    try:
        await sign_in(phone, number, provider, eventually)
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
