"""The desks' frame (issue 16) in a browser, on the real platform: a school admin signs in on the
staff page and lands in the school's console; each desk opens for its own role only."""

import re
from collections.abc import AsyncIterator

import pytest
from console_world import ConsoleWorld, accessible_desk, console_world, new_desk
from playwright.async_api import Page, expect
from teacher_world import sign_in_as_staff

pytestmark = pytest.mark.infra

SCHOOL_ADMIN_MENU = (
    "学校报表",
    "学籍与教职工",
    "名册导入",
    "共建与家委会",
    "会议与活动",
    "家长诉求",
    "致家长的一封信",
    "月度报送",
)


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
    return await console_world(platform, registry_api, eventually, mailbox, provider)


@pytest.fixture
async def desk(chromium, platform) -> AsyncIterator[Page]:
    page = await new_desk(chromium, str(platform.portal.base_url).rstrip("/"))
    yield page
    await page.context.close()


async def test_a_school_admin_signing_in_lands_in_the_school_console_with_its_menu(world, desk):
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await expect(desk).to_have_url(re.compile(r"/console$"))
    menu = desk.get_by_role("navigation", name="功能菜单")
    for entry in SCHOOL_ADMIN_MENU:
        await expect(menu.get_by_role("menuitem", name=entry)).to_be_visible()
    await accessible_desk(desk, "console-frame")


async def test_a_school_admin_opening_the_bureau_desk_is_sent_back_to_the_school_console(world, desk):
    await sign_in_as_staff(desk, world.school_admin.account, world.school_admin.password)
    await desk.goto("/bureau/bulletins")
    await expect(desk).to_have_url(re.compile(r"/console$"))


async def test_a_teacher_opening_the_school_console_is_sent_to_their_classes(world, desk):
    head = world.teacher.head_teacher
    await sign_in_as_staff(desk, head.account, head.password)
    await desk.goto("/console/registry")
    await expect(desk).to_have_url(re.compile(r"/teacher$"))
