"""The desks' browser tests (issue 16): the school the teacher's tests use, with its school admin
(德育主任) signed up too, and the desk-sized browser page the consoles are drawn in.

``console_world`` builds on ``teacher_world`` (one class of 叶城县第九小学, six pupils with a guardian
each, an activated head teacher and subject teacher; tests/teacher_world.py) and adds a member of
staff with the ``school_admin`` role whose portal account is activated through the real flow (the
activation link the mail stand-in received). Sign in on the real page with
``sign_in_as_staff(page, world.school_admin.account, world.school_admin.password)``.

A test module uses it through a fixture of its own::

    @pytest.fixture
    async def world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
        return await console_world(platform, registry_api, eventually, mailbox, provider)
"""

from dataclasses import dataclass

import httpx
from phone_pages import AXE, REFUSED, SCREENSHOTS, client_address
from playwright.async_api import Browser, Page
from teacher_world import (
    StaffAccount,
    TeacherWorld,
    activate,
    activation_token,
    teacher_world,
    unique_phone,
)

DESK = {"width": 1366, "height": 768}  # the common office screen the consoles are drawn for
SCHOOL_ADMIN_PASSWORD = "德育主任2026秋季学期"


@dataclass(frozen=True)
class ConsoleWorld:
    teacher: TeacherWorld  # the school, its class, pupils, guardians and teachers
    school_admin: StaffAccount

    @property
    def school_id(self) -> str:
        return self.teacher.school_id

    @property
    def school_name(self) -> str:
        return self.teacher.school_name

    @property
    def class_id(self) -> str:
        return self.teacher.class_id


async def console_world(platform, registry_api, eventually, mailbox, provider) -> ConsoleWorld:
    """The teacher's school with an activated school admin; returns once the portal knows the
    admin's account as a school admin of the school."""
    teacher = await teacher_world(platform, registry_api, eventually, mailbox, provider)
    http: httpx.AsyncClient = registry_api.http
    phone = unique_phone()
    email = f"a{phone}@school.example.cn"
    hired = await http.post(
        f"/v1/schools/{teacher.school_id}/staff",
        json={"name": "赵敏", "roles": ["school_admin"], "phone": phone, "email": email},
        headers=teacher.admin(),
    )
    assert hired.status_code == 201, hired.text
    admin = StaffAccount(
        str(hired.json()["staff_id"]), "赵敏", ("school_admin",), phone, email, SCHOOL_ADMIN_PASSWORD
    )
    token = await activation_token(eventually, mailbox, provider, admin, platform)
    user = await activate(platform.portal, token, admin)
    assert user["role"] == "school_admin", user
    return ConsoleWorld(teacher, admin)


async def new_desk(chromium: Browser, portal_url: str) -> Page:
    """A page at an office screen's size, in Chinese, under the portal's CSP (what it refuses is
    kept for ``accessible_desk``)."""
    context = await chromium.new_context(
        base_url=portal_url,
        viewport=DESK,
        locale="zh-CN",
        accept_downloads=True,
        extra_http_headers={"X-Forwarded-For": client_address()},
    )
    page = await context.new_page()
    refused = REFUSED.setdefault(id(page), [])
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page


async def accessible_desk(page: Page, name: str) -> None:
    """No serious or critical axe-core violation on the desk page as it stands, nothing its CSP
    refused, no sideways scrolling at the desk's width; a screenshot of it (.local/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert not REFUSED.get(id(page)), f"{name}: the page needs what its CSP refuses: {REFUSED[id(page)]}"
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESK["width"], f"{name} scrolls sideways at {DESK['width']} px ({width} px)"
