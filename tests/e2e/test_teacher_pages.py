"""The teacher's phone pages (issue 15) in a browser, on the real platform: a head teacher (班主任)
and a subject teacher (科任教师) of one class with 三必访 students (tests/teacher_world.py) sign in
on the staff page and work from ``/teacher``."""

import re
from collections.abc import AsyncIterator

import pytest
from phone_pages import new_phone
from playwright.async_api import Page, expect
from teacher_world import TeacherWorld, sign_in_as_staff, teacher_world

pytestmark = pytest.mark.infra


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
    """A class with its head teacher and subject teacher, both accounts active (tests/teacher_world.py)."""
    return await teacher_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def phone(chromium, platform) -> AsyncIterator[Page]:
    page = await new_phone(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def test_a_signed_out_teacher_opening_their_classes_signs_in_and_comes_back_to_them(world, phone):
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password, start="/teacher")

    await expect(phone).to_have_url(re.compile(r"/teacher$"))
    me = await phone.request.get("/auth/me")
    assert me.status == 200
    user = (await me.json())["user"]
    assert (user["subject"], user["role"], user["class_ids"]) == (
        world.head_teacher.staff_id,
        "teacher",
        [world.class_id],
    )


@pytest.mark.xfail(
    strict=True,
    reason="StaffSignIn.vue sends every member of staff to /staff after signing in; a teacher's home "
    "is /teacher (services/portal/web, not this file's owner): remove this mark once it does",
)
async def test_the_head_teacher_signing_in_on_the_staff_page_lands_on_their_classes(world, phone):
    await sign_in_as_staff(phone, world.head_teacher.account, world.head_teacher.password)

    await expect(phone).to_have_url(re.compile(r"/teacher$"))
