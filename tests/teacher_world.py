"""The school the teacher's browser tests work in, made on the real e2e platform (issue 15).

One class of 叶城县第九小学 (a fresh school each time, in the district ``d-e2e``) with:

- its head teacher (班主任) and a subject teacher (科任教师), both staff of the school whose
  ``class_ids`` name the class; the class names the head teacher as ``head_teacher_id``;
- six enrolled students, the first three carrying the 三必访 care categories (left-behind,
  hardship, special attention), each with one guardian who has a mobile number;
- the district's autumn term 2026-2027 (1 September–20 January), which holds the school clock's
  day (tests/school_clock.py);
- both staff accounts activated through the portal's real flow: the activation link the mail
  stand-in received, ``POST /auth/activate`` with a known password.

``teacher_world`` returns once the registry's records have reached scheduling, notifications,
reporting and the portal, so a test can sign in and open pages at once (it waits up to 90 s for
each: the first run of a new consumer group suffix catches up with the topics first).
``sign_in_as_staff`` is the sign-in on the real staff page, in a phone from tests/phone_pages.py;
``signed_in`` gives a portal session without a browser (``PortalSession.send``).

A test module uses it through a fixture of its own::

    @pytest.fixture
    async def world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
        return await teacher_world(platform, registry_api, eventually, mailbox, provider)
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from bearer import bearer
from playwright.async_api import Page, expect
from portal.domain import digest
from service_kit.auth import Role

DISTRICT = "d-e2e"
SCHOOL_YEAR, TERM_KIND = "2026-2027", "autumn"
TERM = f"{SCHOOL_YEAR}-{TERM_KIND}"  # as reporting's ?term= names it
TERM_STARTS, TERM_ENDS = "2026-09-01", "2027-01-20"
HEAD_TEACHER_PASSWORD = "班主任家访2026秋季"
SUBJECT_TEACHER_PASSWORD = "科任老师2026秋季学期"
MANDATORY = ("left_behind", "hardship", "special_attention")  # 三必访

# name, gender, care categories; guardian's name and relationship
PUPILS: list[tuple[str, str, list[str], str, str]] = [
    ("阿依古丽·买买提", "女", ["left_behind"], "买买提·艾力", "祖父"),
    ("麦麦提·吐尔逊", "男", ["hardship"], "吐尔逊·阿不都", "父亲"),
    ("张小雨", "女", ["special_attention"], "刘芳", "母亲"),
    ("李浩然", "男", [], "李建国", "父亲"),
    ("古丽娜尔·艾山", "女", [], "艾山·热合曼", "父亲"),
    ("王子涵", "男", [], "陈静", "母亲"),
]


@dataclass(frozen=True)
class StaffAccount:
    """A member of staff with an active portal account."""

    staff_id: str
    name: str
    roles: tuple[str, ...]
    phone: str
    email: str
    password: str

    @property
    def account(self) -> str:
        """What they type as 账号 on the sign-in page (the portal also takes the staff id or email)."""
        return self.phone


@dataclass(frozen=True)
class Pupil:
    """An enrolled student and their one guardian."""

    student_id: str
    name: str
    care_categories: tuple[str, ...]
    guardian_id: str
    guardian_name: str
    guardian_phone: str

    @property
    def mandatory(self) -> bool:
        """A 三必访 student: one the head teacher must visit this term."""
        return bool(set(self.care_categories) & set(MANDATORY))


@dataclass(frozen=True)
class TeacherWorld:
    district_id: str
    school_id: str
    school_name: str
    class_id: str
    class_name: str
    head_teacher: StaffAccount
    subject_teacher: StaffAccount
    pupils: tuple[Pupil, ...]
    school_year: str = SCHOOL_YEAR
    term: str = TERM_KIND
    term_starts_on: str = TERM_STARTS
    term_ends_on: str = TERM_ENDS

    @property
    def mandatory(self) -> tuple[Pupil, ...]:
        """The 三必访 students (the first three)."""
        return tuple(p for p in self.pupils if p.mandatory)

    @property
    def student_ids(self) -> list[str]:
        return [p.student_id for p in self.pupils]

    @property
    def guardian_ids(self) -> list[str]:
        return [p.guardian_id for p in self.pupils]

    def pupil(self, student_id: str) -> Pupil:
        return next(p for p in self.pupils if p.student_id == student_id)

    def admin(self) -> dict[str, str]:
        """A school admin's bearer header, for setting things up through the services' APIs."""
        return _bearer(Role.school_admin, self.school_id, None, "stf-admin")

    def as_staff(self, staff: StaffAccount) -> dict[str, str]:
        """A bearer header as the portal's gateway would mint for this member of staff."""
        return _bearer(Role.teacher, self.school_id, [self.class_id], staff.staff_id)


def _bearer(role: Role, school_id: str, class_ids: list[str] | None, subject: str) -> dict[str, str]:
    return bearer(role, DISTRICT, subject, school_id, class_ids)


def unique_phone() -> str:
    return "136" + str(uuid.uuid4().int)[:8]


async def teacher_world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
    """Makes the school, waits until every part knows it, activates both accounts; see the module."""
    http: httpx.AsyncClient = registry_api.http
    term = await http.put(
        f"/v1/terms/{SCHOOL_YEAR}/{TERM_KIND}",
        json={"starts_on": TERM_STARTS, "ends_on": TERM_ENDS},
        headers=registry_api.bureau,
    )
    assert term.status_code in (200, 201), term.text
    school_name = "叶城县第九小学"
    school_id = await registry_api.new_school(school_name)
    admin = registry_api.auth(Role.school_admin, school_id)

    async def hire(name: str, role: str, class_ids: list[str]) -> tuple[str, str, str]:
        phone = unique_phone()
        email = f"t{phone}@school.example.cn"
        body = {"name": name, "roles": [role], "class_ids": class_ids, "phone": phone, "email": email}
        answer = await http.post(f"/v1/schools/{school_id}/staff", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["staff_id"]), phone, email

    head_id, head_phone, head_email = await hire("王芳", "head_teacher", [])
    class_name = "三年级2班"
    klass = await http.post(
        f"/v1/schools/{school_id}/classes",
        json={"grade": 3, "name": class_name, "head_teacher_id": head_id},
        headers=admin,
    )
    assert klass.status_code == 201, klass.text
    class_id = str(klass.json()["class_id"])
    patched = await http.patch(f"/v1/staff/{head_id}", json={"class_ids": [class_id]}, headers=admin)
    assert patched.status_code == 200, patched.text
    subject_id, subject_phone, subject_email = await hire("李明", "subject_teacher", [class_id])

    pupils = []
    for n, (name, gender, care, guardian_name, relationship) in enumerate(PUPILS):
        student = await http.post(
            f"/v1/classes/{class_id}/students",
            json={
                "name": name,
                "gender": gender,
                "student_number": f"2026{n:04d}",
                "care_categories": care,
            },
            headers=admin,
        )
        assert student.status_code == 201, student.text
        student_id = str(student.json()["student_id"])
        phone = unique_phone()
        guardian = await http.post(
            f"/v1/students/{student_id}/guardians",
            json={"name": guardian_name, "relationship": relationship, "phone": phone},
            headers=admin,
        )
        assert guardian.status_code == 201, guardian.text
        pupils.append(
            Pupil(student_id, name, tuple(care), str(guardian.json()["guardian_id"]), guardian_name, phone)
        )

    head = StaffAccount(head_id, "王芳", ("head_teacher",), head_phone, head_email, HEAD_TEACHER_PASSWORD)
    subject = StaffAccount(
        subject_id, "李明", ("subject_teacher",), subject_phone, subject_email, SUBJECT_TEACHER_PASSWORD
    )
    world = TeacherWorld(DISTRICT, school_id, school_name, class_id, class_name, head, subject, tuple(pupils))
    await _portal_accounts_know_the_class(platform, eventually, world)
    for staff in (head, subject):
        token = await activation_token(eventually, mailbox, provider, staff, platform)
        await activate(platform.portal, token, staff)
    await _every_part_knows(platform, eventually, world)
    return world


async def _portal_accounts_know_the_class(platform, eventually, world: TeacherWorld) -> None:
    accounts = platform.portal_app.state.store.db["accounts"]

    async def known() -> bool:
        for staff in (world.head_teacher, world.subject_teacher):
            account = await accounts.find_one({"_id": staff.staff_id})
            if account is None or world.class_id not in account.get("class_ids", []):
                return False
        return True

    await eventually(known, 90)


def _activation_tokens(texts: list[str]) -> list[str]:
    return [m[1] for t in texts for m in re.finditer(r"/activate#([A-Za-z0-9_\-]+)", t)]


async def activation_token(eventually, mailbox, provider, staff: StaffAccount, platform=None) -> str:
    """The token of the newest activation link sent to the member of staff (by mail, else SMS).
    With ``platform``: the link its portal made. Another test run on the same broker reads the
    same registry events, and its portal announces a link of its own for the same account, which
    this run's notifications may deliver after this portal's."""

    def tokens() -> list[str]:
        texts = []
        for mail in mailbox.to(staff.email):
            body = mail.get_body(("plain",))
            texts.append(body.get_content() if body else "")
        texts += [m["text"] for m in provider[0].to("sms", staff.phone)]
        return _activation_tokens(texts)

    async def ours() -> list[str]:
        if platform is None:
            return tokens()
        account = await platform.portal_app.state.store.db["accounts"].find_one({"_id": staff.staff_id})
        expected = ((account or {}).get("activation") or {}).get("digest")
        return [t for t in tokens() if digest(t) == expected]

    async def arrived() -> bool:
        return bool(await ours())

    await eventually(arrived, 90)
    return (await ours())[-1]


async def activate(portal: httpx.AsyncClient, token: str, staff: StaffAccount) -> dict[str, Any]:
    """What the activation page does: the CSRF cookie, then the token and the new password."""
    origin = str(portal.base_url).rstrip("/")
    csrf = await portal.get("/auth/csrf", headers={"origin": origin})
    value = csrf.cookies.get("portal_csrf")
    assert value, csrf.headers
    answer = await portal.post(
        "/auth/activate",
        json={"token": token, "password": staff.password},
        headers={"origin": origin, "x-csrf-token": value, "cookie": f"portal_csrf={value}"},
    )
    assert answer.status_code == 200, answer.text
    user: dict[str, Any] = answer.json()["user"]
    assert user["subject"] == staff.staff_id, user
    return user


async def _every_part_knows(platform, eventually, world: TeacherWorld) -> None:
    """Scheduling (class with its head teacher, students, term), notifications (guardians, class,
    staff with the class), reporting (the records' versions) and the portal (active accounts with
    the class; guardians)."""
    scheduling = platform.scheduling_app.state.store
    notifications = platform.notifications_app.state.store
    portal = platform.portal_app.state.store
    staff = (world.head_teacher, world.subject_teacher)

    async def scheduling_knows() -> bool:
        klass = await scheduling.class_(world.class_id)
        return (
            klass is not None
            and klass.get("head_teacher_id") == world.head_teacher.staff_id  # who confirms the plan
            and len(await scheduling.students_of_class(world.class_id)) == len(world.pupils)
            and await scheduling.term(DISTRICT, SCHOOL_YEAR, TERM_KIND) is not None
            and set(await scheduling.invitees(DISTRICT, world.school_id, [world.class_id]))
            >= set(world.guardian_ids)
        )

    async def notifications_knows() -> bool:
        guardians = {g["_id"] for g in await notifications.find("guardians", {"school_id": world.school_id})}
        if (
            not guardians >= set(world.guardian_ids)
            or await notifications.get("classes", world.class_id) is None
        ):
            return False
        for member in staff:
            known = await notifications.get("staff", member.staff_id)
            if known is None or world.class_id not in known.get("class_ids", []):
                return False
        return True

    async def reporting_knows() -> bool:
        reporting = platform.reporting_app.state.store.facts.db["registry_versions"]  # after a rebuild too
        records = [("class", world.class_id)] + [("student", s) for s in world.student_ids]
        for kind, record_id in records:
            if await reporting.count_documents({"kind": kind, "record_id": record_id}) == 0:
                return False
        for member in staff:
            found = await reporting.count_documents(
                {"kind": "staff", "record_id": member.staff_id, "data.class_ids": world.class_id}
            )
            if found == 0:
                return False
        return True

    async def portal_knows() -> bool:
        for member in staff:
            person = await portal.account_person(member.staff_id)
            if person is None or world.class_id not in person.class_ids:
                return False
        for pupil in world.pupils:
            if await portal.db["guardians"].find_one({"_id": pupil.guardian_id}) is None:
                return False
        return True

    for check in (scheduling_knows, notifications_knows, reporting_knows, portal_knows):
        await eventually(check, 90)


async def sign_in_as_staff(page: Page, account: str, password: str, start: str = "/staff/sign-in") -> None:
    """Opens ``start`` (the staff sign-in page, or a teacher's page, which sends a signed-out visitor
    there with ``?next=``), types 账号 and 密码, taps 登录; returns once the page has left the
    sign-in page (to ``next``, else the page's own choice for the signed-in role)."""
    await page.goto(start)
    await expect(page).to_have_url(re.compile(r"/staff/sign-in"))
    await page.get_by_label("账号").fill(account)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).not_to_have_url(re.compile(r"/staff/sign-in"))


class PortalSession:
    """A signed-in member of staff talking to the portal as the web app does, without a browser:
    the portal's Origin, the session and CSRF cookies kept by hand (they are Secure, and the test
    portal is plain http on loopback), ``X-CSRF-Token`` on every change."""

    def __init__(self, portal: httpx.AsyncClient) -> None:
        self.http = portal
        self.origin = str(portal.base_url).rstrip("/")
        self.cookies: dict[str, str] = {}

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"origin": self.origin} | kwargs.pop("headers", {})
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and "portal_csrf" in self.cookies:
            headers.setdefault("x-csrf-token", self.cookies["portal_csrf"])
        answer = await self.http.request(method, path, headers=headers, **kwargs)
        for header in answer.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    async def sign_in(self, staff: StaffAccount) -> dict[str, Any]:
        await self.send("GET", "/auth/csrf")
        answer = await self.send(
            "POST", "/auth/password-sign-in", json={"account": staff.account, "password": staff.password}
        )
        assert answer.status_code == 200, answer.text
        user: dict[str, Any] = answer.json()["user"]
        return user


async def signed_in(portal: httpx.AsyncClient, staff: StaffAccount) -> PortalSession:
    """A portal session of the member of staff (their account and password)."""
    session = PortalSession(portal)
    await session.sign_in(staff)
    return session
