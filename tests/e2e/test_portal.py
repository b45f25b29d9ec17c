"""The portal on the real parts: sign-in with the code the SMS stand-in received, sessions, CSRF and
origin checks, the gateway forwarding with tokens the services verify against the portal's JWKS,
one-tap links (tampered, expired, replayed, another guardian's), and staff activation by mail."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from service_kit.auth import Role
from service_kit.keys import DEV_LINK_KEY, DEV_LINK_KID, SigningKey

pytestmark = pytest.mark.infra


def unique_phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


@dataclass
class Browser:
    """A browser on the portal's origin: it keeps its cookies (Secure ones too, as Chromium does on
    127.0.0.1), sends its Origin, and echoes the CSRF cookie as a page's script does."""

    http: httpx.AsyncClient
    cookies: dict[str, str] = field(default_factory=dict)
    origin: str = ""

    def __post_init__(self) -> None:
        self.home = self.origin = str(self.http.base_url).rstrip("/")

    def _keep(self, answer: httpx.Response) -> None:
        for header in answer.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    async def send(self, method: str, path: str, csrf: bool = True, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.origin:
            headers["origin"] = self.origin
        if csrf and method != "GET" and "portal_csrf" in self.cookies:
            headers["x-csrf-token"] = self.cookies["portal_csrf"]
        answer = await self.http.request(method, path, headers=headers, **kwargs)
        self._keep(answer)
        return answer

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.send("GET", path, **kwargs)

    async def post(self, path: str, **kwargs) -> httpx.Response:
        if "portal_csrf" not in self.cookies:
            await self.get("/auth/csrf")
        return await self.send("POST", path, **kwargs)

    async def open_link(self, token: str) -> httpx.Response:
        """What the page at ``/l#<token>`` does: post the token from the fragment."""
        return await self.post("/auth/link", json={"token": token})


@pytest.fixture
def browser(platform) -> Browser:
    return Browser(platform.portal)


@pytest.fixture
def other_browser(platform) -> Browser:
    return Browser(platform.portal)


async def portal_knows(platform, eventually, guardian_ids: list[str]) -> None:
    store = platform.portal_app.state.store

    async def known() -> bool:
        return all([await store.db["guardians"].find_one({"_id": g}) for g in guardian_ids])

    await eventually(known, 30)


def code_in(provider, phone: str) -> str | None:
    texts = [m["text"] for m in provider[0].to("sms", phone)]
    found = [re.search(r"验证码是 ?(\d{6})", t) for t in texts]
    codes = [m[1] for m in found if m]
    return codes[-1] if codes else None


async def sign_in(browser: Browser, phone: str, provider, eventually) -> httpx.Response:
    asked = await browser.post("/auth/sms-code", json={"phone": phone})
    assert asked.status_code == 202, asked.text

    async def arrived() -> bool:
        return code_in(provider, phone) is not None

    await eventually(arrived, 20)
    code = code_in(provider, phone)
    return await browser.post("/auth/sms-sign-in", json={"phone": phone, "code": code})


async def test_a_guardian_signs_in_with_the_code_the_sms_brought_and_reads_only_their_child(
    platform, family, provider, browser, eventually
):
    phone, other_phone = unique_phone(), unique_phone()
    people = await family([{"phone": phone}, {"phone": other_phone}])
    mine, theirs = people.guardians
    await portal_knows(platform, eventually, [mine.guardian_id, theirs.guardian_id])

    signed_in = await sign_in(browser, phone, provider, eventually)

    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["subject"] == mine.guardian_id
    assert signed_in.json()["user"]["student_ids"] == [mine.student_id]
    assert "portal_session" in browser.cookies
    assert "authorization" not in signed_in.text.lower()  # no token reaches the page
    own = await browser.get(f"/api/registry/v1/students/{mine.student_id}")
    assert own.status_code == 200, own.text  # forwarded with a token signed by the portal's own key
    other = await browser.get(f"/api/registry/v1/students/{theirs.student_id}")
    assert other.status_code == 404  # the registry's own answer for another child
    out = await browser.post("/auth/sign-out")
    assert out.status_code == 204
    assert (await browser.get("/auth/me")).status_code == 401


async def test_a_guardians_token_follows_the_child_the_bureau_moved_to_another_school(
    platform, family, registry_api, provider, browser, eventually
):
    phone = unique_phone()
    people = await family([{"phone": phone}])
    (guardian,) = people.guardians
    await portal_knows(platform, eventually, [guardian.guardian_id])
    assert (await sign_in(browser, phone, provider, eventually)).status_code == 200
    assert (await browser.get("/auth/me")).json()["user"]["school_id"] == people.school_id

    new_school = await registry_api.new_school("叶城县第三小学")
    new_class = await registry_api.new_class(new_school, "三年级1班")
    moved = await registry_api.http.post(
        f"/v1/students/{guardian.student_id}/transfer",
        json={"class_id": new_class},
        headers=registry_api.bureau,
    )
    assert moved.status_code == 200, moved.text
    store = platform.portal_app.state.store

    async def move_projected() -> bool:
        student = await store.db["students"].find_one({"_id": guardian.student_id})
        return student is not None and student["school_id"] == new_school

    await eventually(move_projected, 30)
    # the registry keeps the school that registered the guardian; the token names the child's school
    me = (await browser.get("/auth/me")).json()["user"]
    assert (me["school_id"], me["student_ids"]) == (new_school, [guardian.student_id])


async def test_a_wrong_code_gives_no_session_and_five_lock_further_tries(
    platform, family, provider, browser, eventually
):
    phone = unique_phone()
    people = await family([{"phone": phone}])
    await portal_knows(platform, eventually, [people.guardians[0].guardian_id])
    asked = await browser.post("/auth/sms-code", json={"phone": phone})
    assert asked.status_code == 202

    async def arrived() -> bool:
        return code_in(provider, phone) is not None

    await eventually(arrived, 20)
    right = code_in(provider, phone)
    wrong = f"{(int(right or 0) + 1) % 1_000_000:06d}"
    answers = [
        await browser.post("/auth/sms-sign-in", json={"phone": phone, "code": wrong}) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert answers[0].json()["errors"][0]["field"] == "body.code"
    assert "验证码错误" in answers[0].json()["detail"]
    assert "portal_session" not in browser.cookies
    after = await browser.post("/auth/sms-sign-in", json={"phone": phone, "code": right})
    assert after.status_code in (401, 429)  # the code is spent: even the right one is refused now
    assert "portal_session" not in browser.cookies
    again = await browser.post("/auth/sms-code", json={"phone": phone})
    assert again.status_code == 429  # and a new one waits a minute
    assert again.headers["retry-after"] == "60"


async def test_a_bad_number_is_named_and_an_unknown_number_learns_nothing(browser):
    bad = await browser.post("/auth/sms-code", json={"phone": "12345"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.phone"
    unknown = await browser.post("/auth/sms-code", json={"phone": unique_phone()})
    assert unknown.status_code == 202  # the same answer as for a registered number


async def test_state_changes_need_the_csrf_token_and_other_origins_are_refused(
    platform, family, provider, browser, eventually
):
    phone = unique_phone()
    people = await family([{"phone": phone}])
    await portal_knows(platform, eventually, [people.guardians[0].guardian_id])
    assert (await sign_in(browser, phone, provider, eventually)).status_code == 200
    without = await browser.send("POST", "/auth/sign-out", csrf=False)
    assert without.status_code == 403
    assert without.json()["type"].endswith("/csrf")
    forged = await browser.send("PUT", "/api/notifications/v1/preferences", csrf=False, json={"digest": True})
    assert forged.status_code == 403
    browser.origin = "https://evil.example"
    cross_site_read = await browser.get("/auth/me")
    assert cross_site_read.status_code == 403  # the cookie came along, and it is not accepted
    cross_site_write = await browser.send("POST", "/auth/sign-out")
    assert cross_site_write.status_code == 403
    browser.origin = browser.home
    assert (await browser.get("/auth/me")).status_code == 200  # the session was left as it was


def link(
    purpose: str, guardian_id: str, message_id: str, target: str, expires_in: timedelta, key=None
) -> str:
    now = datetime.now(UTC)
    signer = key or SigningKey.from_pem(DEV_LINK_KEY, DEV_LINK_KID)
    return signer.sign(
        {
            "iss": "notifications",
            "aud": "portal-link",
            "sub": guardian_id,
            "msg": message_id,
            "purpose": purpose,
            "target": target,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + expires_in).timestamp()),
        }
    )


def refusal(answer: httpx.Response) -> str:
    """The reason the page at /l routes to (/link-expired?reason=…), from the problem's type."""
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    kind = answer.json()["type"].rsplit("/", 1)[-1]
    assert kind.startswith("link-"), kind
    return kind.removeprefix("link-")


async def test_a_link_opens_its_message_once_per_browser_and_nothing_else(
    platform, family, provider, browser, other_browser, eventually
):
    people = await family([{"phone": unique_phone()}, {"phone": unique_phone()}])
    a, b = people.guardians
    await portal_knows(platform, eventually, [a.guardian_id, b.guardian_id])
    token = link("rsvp", a.guardian_id, "msg-1", "mtg-1", timedelta(hours=1))
    sessions = platform.portal_app.state.store.db["sessions"]
    mine = {"subject": a.guardian_id}  # a background purge runs: count this guardian's only

    page = await browser.get("/l")  # the SPA's page; the token stays in the fragment
    assert page.status_code == 200
    assert "portal_session" not in browser.cookies
    assert await sessions.count_documents(mine) == 0

    opened = await browser.open_link(token)
    assert opened.status_code == 200, opened.text
    assert opened.json()["message_id"] == "msg-1"
    assert opened.json()["user"]["subject"] == a.guardian_id
    me = await browser.get("/auth/me")
    assert me.json()["user"]["link"] == {"purpose": "rsvp", "message_id": "msg-1", "target_id": "mtg-1"}
    outside = await browser.get("/api/notifications/v1/inbox")
    assert outside.status_code == 403  # a link session does its message's action only
    again = await browser.open_link(token)
    assert again.status_code == 200, again.text  # the same phone may come back to change its answer
    assert again.json()["message_id"] == "msg-1"

    replayed = await other_browser.open_link(token)
    assert replayed.status_code == 409
    assert refusal(replayed) == "used"
    assert "portal_session" not in other_browser.cookies
    assert await sessions.count_documents(mine) == 1  # nothing recorded for the replay


async def test_a_link_is_exchanged_only_by_a_post_from_the_portals_own_page(platform, browser, other_browser):
    token = link("confirm", "gdn-x", "msg-5", "ann-5", timedelta(days=1))
    scanned = await browser.get(f"/l/{token}")  # a scanner's GET: the web app's page, nothing exchanged
    assert "portal_session" not in browser.cookies
    assert scanned.headers["content-type"].startswith("text/html")
    without_csrf = await browser.send("POST", "/auth/link", csrf=False, json={"token": token})
    assert without_csrf.status_code == 403
    assert "csrf" in without_csrf.json()["type"]
    await other_browser.get("/auth/csrf")
    other_browser.origin = "https://attacker.example"
    planted = await other_browser.post("/auth/link", json={"token": token})
    assert planted.status_code == 403  # another site cannot plant its link session (login CSRF)
    assert "portal_session" not in browser.cookies
    assert "portal_session" not in other_browser.cookies


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), "invalid"),
        (lambda t: t.split(".")[0] + "." + t.split(".")[1][:-2] + "." + t.split(".")[2], "invalid"),
    ],
)
async def test_a_tampered_link_is_refused_and_records_nothing(platform, browser, tamper, reason):
    sessions = platform.portal_app.state.store.db["sessions"]
    subject = f"gdn-x-{uuid.uuid4().hex[:8]}"
    opened = await browser.open_link(tamper(link("confirm", subject, "msg-2", "ann-1", timedelta(days=1))))
    assert opened.status_code == 400
    assert refusal(opened) == reason
    assert await sessions.count_documents({"subject": subject}) == 0
    assert "portal_session" not in browser.cookies


async def test_an_expired_link_says_so(browser):
    opened = await browser.open_link(link("rsvp", "gdn-x", "msg-3", "mtg-3", timedelta(seconds=-5)))
    assert opened.status_code == 410
    assert refusal(opened) == "expired"


async def test_guardian_as_link_does_nothing_in_guardian_bs_session(
    platform, family, provider, browser, eventually
):
    b_phone = unique_phone()
    people = await family([{"phone": unique_phone()}, {"phone": b_phone}])
    a, b = people.guardians
    await portal_knows(platform, eventually, [a.guardian_id, b.guardian_id])
    assert (await sign_in(browser, b_phone, provider, eventually)).status_code == 200
    opened = await browser.open_link(link("rsvp", a.guardian_id, "msg-4", "mtg-4", timedelta(hours=1)))
    assert opened.status_code == 403
    assert refusal(opened) == "other-guardian"
    assert (await browser.get("/auth/me")).json()["user"]["subject"] == b.guardian_id


async def test_a_member_of_staff_activates_by_mail_and_five_wrong_passwords_lock(
    platform, registry_api, mailbox, browser, eventually
):
    school = await registry_api.new_school()
    email = f"li.{uuid.uuid4().hex[:8]}@school.example.cn"
    staff = await registry_api.http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "李老师", "roles": ["subject_teacher"], "email": email},
        headers=registry_api.auth(Role.school_admin, school),
    )
    assert staff.status_code == 201, staff.text
    staff_id = staff.json()["staff_id"]

    def activation_link() -> str | None:
        for mail in mailbox.to(email):
            body = mail.get_body(("plain",))
            found = re.search(r"/activate#([A-Za-z0-9_\-]+)", body.get_content() if body else "")
            if found:
                return found[1]
        return None

    async def mailed() -> bool:
        return activation_link() is not None

    await eventually(mailed, 30)
    weak = await browser.post("/auth/activate", json={"token": activation_link(), "password": "123"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "body.password"
    activated = await browser.post(
        "/auth/activate", json={"token": activation_link(), "password": "家校共育2026秋季"}
    )
    assert activated.status_code == 200, activated.text
    assert (activated.json()["user"]["subject"], activated.json()["user"]["role"]) == (staff_id, "teacher")
    reused = await browser.post(
        "/auth/activate", json={"token": activation_link(), "password": "家校共育2026秋季"}
    )
    assert reused.status_code == 410

    desk = Browser(platform.portal)
    wrong = [
        await desk.post("/auth/password-sign-in", json={"account": email, "password": "不对的密码123"})
        for _ in range(5)
    ]
    assert [w.status_code for w in wrong] == [401, 401, 401, 401, 423]
    locked = await desk.post(
        "/auth/password-sign-in", json={"account": email, "password": "家校共育2026秋季"}
    )
    assert locked.status_code == 423  # even the right password waits for the lock to end
    assert "portal_session" not in desk.cookies


async def test_what_has_expired_is_purged_and_exchanged_links_stay_refused(platform):
    store = platform.portal_app.state.store
    now = datetime.now(UTC)
    key = uuid.uuid4().hex
    await store.db["sessions"].insert_one({"_id": f"s-old-{key}", "expires_at": now - timedelta(minutes=1)})
    await store.db["sessions"].insert_one({"_id": f"s-live-{key}", "expires_at": now + timedelta(hours=1)})
    await store.db["sign_in_codes"].insert_one(
        {"_id": f"c-old-{key}", "expires_at": now - timedelta(minutes=1)}
    )
    await store.db["requests"].insert_one(
        {"_id": f"r-old-{key}", "key": "phone:x", "at": now - timedelta(days=2)}
    )
    await store.db["requests"].insert_one({"_id": f"r-new-{key}", "key": "phone:x", "at": now})
    await store.use_link(f"l-{key}", "s-any", now - timedelta(days=40))

    await store.purge(now)

    left = {
        name: {d["_id"] for d in await store.db[name].find({"_id": {"$regex": key}}).to_list(None)}
        for name in ("sessions", "sign_in_codes", "requests", "links_used")
    }
    assert left == {
        "sessions": {f"s-live-{key}"},
        "sign_in_codes": set(),
        "requests": {f"r-new-{key}"},
        "links_used": {f"l-{key}"},
    }
