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

The other desks' people, each activated through the real flow with a known password and signed in
the same way (``.account``, ``.password``):

- ``partner_account(..., school_id)``: a community partner of the school (依干其街社区居委会) with a
  signed, active co-building agreement (共建协议) that scheduling already knows (a partner may log
  activities under it at once); its contact activates by the SMS link, as partners do;
- ``bureau_account(...)``: an officer of the district's education bureau (role ``bureau``, no school),
  activated by the link mailed to them.
"""

from dataclasses import dataclass

import httpx
from bearer import bearer
from phone_pages import REFUSED, accessible, client_address
from playwright.async_api import Browser, Page
from scheduling.activities import AGREEMENTS
from service_kit.auth import Role
from teacher_world import (
    DISTRICT,
    StaffAccount,
    TeacherWorld,
    activate,
    activation_token,
    teacher_world,
    unique_phone,
)

DESK = {"width": 1366, "height": 768}  # the common office screen the consoles are drawn for
SCHOOL_ADMIN_PASSWORD = "德育主任2026秋季学期"
PARTNER_PASSWORD = "居委会共建2026秋季"
BUREAU_PASSWORD = "教育局督导2026秋季"


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


@dataclass(frozen=True)
class PartnerAccount:
    """A community partner of a school with an active portal account and a signed agreement."""

    partner_id: str  # the token's subject
    name: str
    school_id: str
    agreement_id: str
    agreement_title: str
    phone: str
    password: str

    @property
    def account(self) -> str:
        """What its contact types as 账号 (the portal also takes the partner id)."""
        return self.phone


async def partner_account(
    platform, registry_api, eventually, mailbox, provider, school_id: str
) -> PartnerAccount:
    """A partner of ``school_id`` (依干其街社区居委会, its contact 古丽米拉 with a mobile number) with a
    signed co-building agreement for the school year, and its account activated by the SMS link;
    returns once scheduling knows the agreement and the portal the active account."""
    http: httpx.AsyncClient = registry_api.http
    admin = bearer(Role.school_admin, DISTRICT, "stf-admin", school_id)
    phone = unique_phone()
    name = "依干其街社区居委会"
    registered = await http.post(
        f"/v1/schools/{school_id}/partners",
        json={
            "name": name,
            "kind": "community_committee",
            "contact_person": "古丽米拉",
            "contact_phone": phone,
        },
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    partner_id = str(registered.json()["partner_id"])
    title = "社区共建协议书"
    signed = await http.post(
        f"/v1/partners/{partner_id}/agreements",
        json={
            "title": title,
            "starts_on": "2026-09-01",
            "ends_on": "2027-07-15",
            "signed_on": "2026-09-01",
            "commitments": ["每学期一次「社区绿色行动」", "寒暑假志愿服务"],
        },
        headers=admin,
    )
    assert signed.status_code == 201, signed.text
    agreement_id = str(signed.json()["agreement_id"])
    # activation_token looks for the link by the account's id, mail and phone: the partner's
    # contact has a phone only, so no mail can match
    holder = StaffAccount(partner_id, name, ("partner",), phone, f"none-{phone}@invalid", PARTNER_PASSWORD)
    user = await activate(
        platform.portal, await activation_token(eventually, mailbox, provider, holder, platform), holder
    )
    assert (user["role"], user["school_id"]) == ("partner", school_id), user
    scheduling = platform.scheduling_app.state.store

    async def agreement_known() -> bool:
        return await scheduling.projected(AGREEMENTS, agreement_id) is not None

    await eventually(agreement_known, 90)
    return PartnerAccount(partner_id, name, school_id, agreement_id, title, phone, PARTNER_PASSWORD)


async def bureau_account(platform, registry_api, eventually, mailbox, provider) -> StaffAccount:
    """An officer of the district's education bureau (马建华, 叶城县教育局), hired through the registry's
    ``/v1/bureau-staff`` and activated by the mailed link: role ``bureau``, no school."""
    phone = unique_phone()
    email = f"k{phone}@jyj.example.gov.cn"
    hired = await registry_api.http.post(
        "/v1/bureau-staff",
        json={"name": "马建华", "phone": phone, "email": email},
        headers=registry_api.bureau,
    )
    assert hired.status_code == 201, hired.text
    officer = StaffAccount(
        str(hired.json()["staff_id"]), "马建华", ("bureau",), phone, email, BUREAU_PASSWORD
    )
    user = await activate(
        platform.portal, await activation_token(eventually, mailbox, provider, officer, platform), officer
    )
    assert (user["role"], user["school_id"]) == ("bureau", None), user
    return officer


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
    """``phone_pages.accessible`` at the desk's width: axe-core, the CSP, no sideways scrolling,
    a screenshot (.local/screenshots)."""
    await accessible(page, name, DESK["width"])
