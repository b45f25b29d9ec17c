"""The guardian's pages in a real browser (Debian's Chromium, headless, driven by Playwright), at a
cheap phone's size, on the real platform. Each flow starts where a guardian starts: the SMS or the
mail the stand-in received, or the sign-in page. Pages pass axe-core with no serious or critical
violation; screenshots go to .local/screenshots (git-ignored)."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from class_meetings import schedule_class_meeting
from phone_pages import accessible, new_phone, sign_in_on_the_page, sms_texts
from playwright.async_api import Page, expect
from service_kit.auth import Role
from service_kit.keys import DEV_LINK_KEY, DEV_LINK_KID, SigningKey

pytestmark = pytest.mark.infra

LINK = re.compile(r"https?://[^\s]+/l#[A-Za-z0-9_\-.]+")


def unique_phone() -> str:
    return "136" + str(uuid.uuid4().int)[:8]


@pytest.fixture
async def phone(chromium, platform) -> AsyncIterator[Page]:
    page = await new_phone(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def link_in_sms(provider, phone: str, eventually, containing: str) -> str:
    async def arrived() -> bool:
        return any(containing in t and LINK.search(t) for t in sms_texts(provider, phone))

    await eventually(arrived, 30)
    text = next(t for t in reversed(sms_texts(provider, phone)) if containing in t and LINK.search(t))
    found = LINK.search(text)
    assert found is not None
    return found[0]


async def known_to_the_portal(platform, eventually, *guardian_ids: str) -> None:
    guardians = platform.portal_app.state.store.db["guardians"]

    async def known() -> bool:
        return all([await guardians.find_one({"_id": g}) for g in guardian_ids])

    await eventually(known, 30)


async def test_a_guardian_signs_in_with_the_sms_code_and_reads_the_inbox(
    platform, family, provider, phone, eventually
):
    number = unique_phone()
    people = await family([{"phone": number}])
    await known_to_the_portal(platform, eventually, people.guardians[0].guardian_id)
    await phone.goto("/sign-in")
    await expect(phone.get_by_role("heading", name="家长登录")).to_be_visible()
    await accessible(phone, "guardian-sign-in")

    await sign_in_on_the_page(phone, number, provider, eventually)

    await expect(phone.get_by_role("heading", level=1)).to_be_visible()
    await accessible(phone, "guardian-inbox")
    cookies = await phone.context.cookies()
    session = next(c for c in cookies if c["name"] == "portal_session")
    assert (session["httpOnly"], session["secure"], session["sameSite"]) == (True, True, "Strict")
    assert await phone.evaluate("document.cookie.includes('portal_session')") is False


async def test_five_wrong_codes_lock_further_tries(platform, family, provider, phone, eventually):
    number = unique_phone()
    people = await family([{"phone": number}])
    await known_to_the_portal(platform, eventually, people.guardians[0].guardian_id)
    await phone.goto("/sign-in")
    await phone.get_by_label("手机号").fill(number)
    await phone.get_by_role("button", name="获取验证码").click()

    async def code_arrived() -> bool:
        return any("验证码" in t for t in sms_texts(provider, number))

    await eventually(code_arrived, 20)
    right = re.search(r"(\d{6})", next(t for t in sms_texts(provider, number) if "验证码" in t))
    assert right is not None
    wrong = f"{(int(right[1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await phone.get_by_label("验证码").fill(wrong)
        await phone.get_by_role("button", name="登录", exact=True).click()
        await expect(phone.get_by_text("验证码错误")).to_be_visible()
    await phone.get_by_label("验证码").fill(wrong)
    await phone.get_by_role("button", name="登录", exact=True).click()
    await expect(phone.get_by_text("错误次数过多")).to_be_visible()
    await phone.get_by_label("验证码").fill(right[1])
    await phone.get_by_role("button", name="登录", exact=True).click()
    await expect(phone).to_have_url(re.compile(r"/sign-in"))  # even the right code is spent now
    await accessible(phone, "guardian-sign-in-locked")


async def test_an_invitations_link_answers_attending_with_one_tap(
    platform, registry_api, family, provider, phone, eventually
):
    number = unique_phone()
    people = await family([{"phone": number}])
    parent = people.guardians[0]
    await known_to_the_portal(platform, eventually, parent.guardian_id)
    meeting_id = await schedule_class_meeting(platform, registry_api, people, timedelta(days=2))
    link = await link_in_sms(provider, number, eventually, "期中家长会")

    await phone.goto(link)

    await expect(phone.get_by_role("button", name="出席", exact=True)).to_be_visible()
    await accessible(phone, "meeting-invitation")
    await phone.get_by_role("button", name="出席", exact=True).click()
    mine = registry_api.auth(
        Role.guardian, people.school_id, subject=parent.guardian_id, students=[parent.student_id]
    )

    async def answered() -> bool:
        meeting = await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=mine)
        return meeting.json().get("my_rsvp") == "yes"

    await eventually(answered, 10)
    await accessible(phone, "meeting-answered")


async def test_a_letters_link_confirms_it_and_the_count_moves(
    platform, registry_api, family, provider, phone, eventually
):
    number = unique_phone()
    people = await family([{"phone": number}, {"phone": unique_phone()}])
    await known_to_the_portal(platform, eventually, *(g.guardian_id for g in people.guardians))
    admin = registry_api.auth(Role.school_admin, people.school_id)
    notifications = platform.all_services["notifications"]
    sent = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "class", "class_ids": [people.class_id]},
            "variables": {"title": "秋游安全告知书", "body": "请阅读并确认。"},
            "confirmation": "any_guardian",
        },
        headers=admin,
    )
    assert sent.status_code == 201, sent.text
    announcement = sent.json()["announcement_id"]

    async def pending() -> int:
        state = await notifications.get(f"/v1/announcements/{announcement}/confirmations", headers=admin)
        return len(state.json()["pending"])

    link = await link_in_sms(provider, number, eventually, "秋游安全告知书")
    assert await pending() == 2
    await phone.goto(link)
    await phone.get_by_role("button", name="确认已阅读").click()
    await expect(phone.get_by_text("已确认阅读")).to_be_visible()
    await accessible(phone, "letter-confirmed")

    async def moved() -> bool:
        return await pending() == 1

    await eventually(moved, 10)


async def test_an_emergencys_link_acknowledges_it_and_the_escalation_stops(
    platform, registry_api, family, provider, phone, eventually
):
    first, second = unique_phone(), unique_phone()
    people = await family([{"phone": first, "child": 0}, {"phone": second, "child": 0}])
    await known_to_the_portal(platform, eventually, *(g.guardian_id for g in people.guardians))
    notifications = platform.all_services["notifications"]
    raised = await notifications.post(
        "/v1/emergencies",
        json={
            "student_id": people.guardians[0].student_id,
            "summary": "孩子发烧 39℃，已在医务室休息。",
            "ack_within_seconds": 20,
        },
        headers=registry_api.auth(Role.teacher, people.school_id, [people.class_id]),
    )
    assert raised.status_code == 201, raised.text
    emergency_id = raised.json()["emergency_id"]
    link = await link_in_sms(provider, first, eventually, "紧急")

    await phone.goto(link)
    await phone.get_by_role("button", name="我已收到").click()
    await expect(phone.get_by_text("已确认收到")).to_be_visible()
    await accessible(phone, "emergency-acknowledged")
    record = await notifications.get(
        f"/v1/emergencies/{emergency_id}", headers=registry_api.auth(Role.school_admin, people.school_id)
    )
    assert record.json()["status"] == "acknowledged"
    assert [s["recipient_id"] for s in record.json()["steps"]] == [people.guardians[0].guardian_id]
    assert sms_texts(provider, second) == []  # the next guardian was never disturbed


def signed_link(guardian_id: str, expires_in: timedelta) -> str:
    now = datetime.now(UTC)
    return SigningKey.from_pem(DEV_LINK_KEY, DEV_LINK_KID).sign(
        {
            "iss": "notifications",
            "aud": "portal-link",
            "sub": guardian_id,
            "msg": "msg-old",
            "purpose": "rsvp",
            "target": "mtg-old",
            "jti": uuid.uuid4().hex,
            "exp": int((now + expires_in).timestamp()),
        }
    )


async def test_an_expired_link_says_so_and_offers_to_sign_in(phone):
    await phone.goto(f"/l#{signed_link('gdn-x', timedelta(minutes=-1))}")

    await expect(phone.get_by_role("heading", name="链接已过期")).to_be_visible()
    await expect(phone.get_by_role("button", name="登录")).to_be_visible()
    await accessible(phone, "link-expired")


async def test_guardian_as_link_does_nothing_in_guardian_bs_session(
    platform, family, provider, phone, eventually
):
    b_number = unique_phone()
    people = await family([{"phone": unique_phone()}, {"phone": b_number}])
    a, b = people.guardians
    await known_to_the_portal(platform, eventually, a.guardian_id, b.guardian_id)
    await sign_in_on_the_page(phone, b_number, provider, eventually)

    await phone.goto(f"/l#{signed_link(a.guardian_id, timedelta(hours=1))}")

    await expect(phone.get_by_role("heading", name="此链接属于另一位家长")).to_be_visible()
    await accessible(phone, "link-other-guardian")


async def test_another_childs_record_is_not_found(platform, family, provider, phone, eventually):
    number = unique_phone()
    people = await family([{"phone": number}])
    await known_to_the_portal(platform, eventually, people.guardians[0].guardian_id)
    await sign_in_on_the_page(phone, number, provider, eventually)

    await phone.goto("/messages/msg-of-someone-else")

    await expect(phone.get_by_text("未找到")).to_be_visible()


async def test_an_invitations_link_after_the_meeting_was_cancelled_says_so_and_offers_to_sign_in(
    platform, registry_api, family, provider, phone, eventually
):
    number = unique_phone()
    people = await family([{"phone": number}])
    await known_to_the_portal(platform, eventually, people.guardians[0].guardian_id)
    meeting_id = await schedule_class_meeting(platform, registry_api, people, timedelta(days=2))
    link = await link_in_sms(provider, number, eventually, "期中家长会")
    cancelled = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/cancellation",
        headers=registry_api.auth(
            Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
        ),
    )
    assert cancelled.status_code == 200, cancelled.text

    await phone.goto(link)

    await expect(phone.get_by_text("此会议已取消")).to_be_visible()
    await expect(phone.get_by_role("button", name="出席", exact=True)).to_have_count(0)
    await expect(phone.get_by_role("button", name="登录查看更多")).to_be_visible()
    await accessible(phone, "meeting-cancelled")
