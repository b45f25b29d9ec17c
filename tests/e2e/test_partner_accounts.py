"""Community partners' accounts on the real parts: a school admin registers a partner with its
contact's mobile number, the registry announces the contact on ``internal.registry.v1``, the portal
opens the account and notifications sends the activation link by SMS; the partner sets a password,
signs in with it, and reads through the gateway its own co-building agreements, not another's."""

import re
import uuid

import httpx
import pytest
from portal.domain import digest
from service_kit.auth import Role
from teacher_world import PortalSession

pytestmark = pytest.mark.infra


def unique_phone() -> str:
    return "138" + str(uuid.uuid4().int)[:8]


class Browser(PortalSession):
    """A browser on the portal's origin: it keeps its cookies, sends its Origin, and echoes the CSRF
    cookie as a page's script does (``teacher_world.PortalSession``), fetching one first."""

    async def get(self, path: str) -> httpx.Response:
        return await self.send("GET", path)

    async def post(self, path: str, **kwargs) -> httpx.Response:
        if "portal_csrf" not in self.cookies:
            await self.get("/auth/csrf")
        return await self.send("POST", path, **kwargs)


async def register_partner(registry_api, school: str, name: str, phone: str | None) -> str:
    answer = await registry_api.http.post(
        f"/v1/schools/{school}/partners",
        json={"name": name, "kind": "police_station", "contact_person": "马警官", "contact_phone": phone},
        headers=registry_api.auth(Role.school_admin, school),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["partner_id"])


async def sign_agreement(registry_api, school: str, partner_id: str) -> str:
    answer = await registry_api.http.post(
        f"/v1/partners/{partner_id}/agreements",
        json={
            "title": "警校共建协议书",
            "starts_on": "2026-09-01",
            "ends_on": "2027-07-15",
            "signed_on": "2026-09-01",
            "commitments": ["每学期一次法治教育课"],
        },
        headers=registry_api.auth(Role.school_admin, school),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["agreement_id"])


def activation_tokens(provider, phone: str) -> list[str]:
    """Every activation link texted to the number: other test runs on the same broker read the
    same registry events, and their portals announce links of their own for the same account."""
    texts = [sms["text"] for sms in provider[0].to("sms", phone)]
    return [m[1] for text in texts for m in re.finditer(r"/activate#([A-Za-z0-9_\-]+)", text)]


async def activation_token(platform, provider, phone: str, account_id: str) -> str | None:
    """The link this run's portal made (the digest it keeps of the account's activation)."""
    account = await platform.portal_app.state.store.account(account_id)
    expected = ((account or {}).get("activation") or {}).get("digest")
    ours = [t for t in activation_tokens(provider, phone) if digest(t) == expected]
    return ours[0] if ours else None


async def test_a_partner_activates_by_sms_signs_in_and_reads_only_its_own_agreements(
    platform, registry_api, provider, eventually
):
    school = await registry_api.new_school()
    phone = unique_phone()
    partner_id = await register_partner(registry_api, school, "文化路派出所", phone)
    other_id = await register_partner(registry_api, school, "城北派出所", unique_phone())
    mine = await sign_agreement(registry_api, school, partner_id)
    theirs = await sign_agreement(registry_api, school, other_id)

    async def texted() -> bool:
        return await activation_token(platform, provider, phone, partner_id) is not None

    await eventually(texted, 30)
    token = await activation_token(platform, provider, phone, partner_id)
    assert activation_tokens(provider, phone).count(token) == 1  # this portal's link, sent once
    browser = Browser(platform.portal)
    activated = await browser.post("/auth/activate", json={"token": token, "password": "警校共建2026秋季"})
    assert activated.status_code == 200, activated.text
    user = activated.json()["user"]
    assert (user["subject"], user["role"], user["school_id"]) == (partner_id, "partner", school)

    for account in (phone, partner_id):
        desk = Browser(platform.portal)
        wrong = await desk.post(
            "/auth/password-sign-in", json={"account": account, "password": "不对的密码123"}
        )
        assert wrong.status_code == 401
        signed_in = await desk.post(
            "/auth/password-sign-in", json={"account": account, "password": "警校共建2026秋季"}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["role"] == "partner"

    listed = await desk.get("/api/registry/v1/agreements")
    assert listed.status_code == 200, listed.text
    assert [a["agreement_id"] for a in listed.json()] == [mine]
    own = await desk.get(f"/api/registry/v1/agreements/{mine}")
    assert own.status_code == 200, own.text
    assert own.json()["partner_id"] == partner_id
    other = await desk.get(f"/api/registry/v1/agreements/{theirs}")
    assert other.status_code == 404  # the registry's own answer for another partner's agreement


async def test_a_partner_without_a_phone_gets_an_account_but_no_link(platform, registry_api, eventually):
    school = await registry_api.new_school()
    partner_id = await register_partner(registry_api, school, "城南社区居委会", None)
    store = platform.portal_app.state.store

    async def opened() -> bool:
        return await store.account(partner_id) is not None

    await eventually(opened, 30)
    account = await store.account(partner_id)
    assert (account["kind"], account["status"], account["school_id"]) == ("partner", "pending", school)
    assert account["activation"] is None
