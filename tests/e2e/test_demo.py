"""`make up`'s demo (deploy/local/demo.py) run against the platform under test, in a district of its
own: the demo head teacher of 叶城县第九小学's 三年级2班 ends with an active portal account and the
printed password, the class names them as head teacher, its 三必访 students are left unvisited for
them, and a second run changes nothing. The desks' people (the school's 德育主任, the partner
文化路派出所, an officer of the bureau) sign in with their printed passwords as their roles.

The demo's people get mobile numbers and addresses of the test's own: with `make up`'s, the
accounts the suite leaves in the store would answer the real demo's sign-in afterwards."""

import asyncio
import uuid

import demo
import pytest
from channels_standin import app as channels_app
from loopback import serve
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role
from teacher_world import PortalSession

pytestmark = pytest.mark.infra


@pytest.fixture
async def channels(mailbox, provider):
    """The stand-ins' listing (``/mail``, ``/sms/messages``) as `make up` serves it on :8025."""
    url, server, task = await serve(channels_app(mailbox, provider[0]))
    yield url
    server.should_exit = True
    await task


def own_numbers(count: int) -> list[str]:
    """Mobile numbers no other run of the test, nor `make up`'s demo (138 0000 900x), has."""
    return [f"139{uuid.uuid4().int % 10**8:08d}" for _ in range(count)]


async def test_the_demo_head_teacher_signs_in_with_the_printed_password(
    platform, channels, monkeypatch, capsys
):
    services = {name: str(client.base_url).rstrip("/") for name, client in platform.all_services.items()}
    district = f"d-demo-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(demo, "PORTAL", str(platform.portal.base_url).rstrip("/"))
    for name, url in services.items():
        monkeypatch.setattr(demo, name.upper(), url)
    monkeypatch.setattr(demo, "CHANNELS", channels)
    monkeypatch.setattr(demo, "DISTRICT", district)
    for name, number in zip(("DEMO_TEACHER", "DEMO_ADMIN", "DEMO_OFFICER"), own_numbers(3), strict=True):
        person = getattr(demo, name)
        user, domain = person["email"].split("@")
        monkeypatch.setattr(demo, name, person | {"phone": number, "email": f"{user}.{district}@{domain}"})
    monkeypatch.setattr(demo, "DEMO_PARTNER", demo.DEMO_PARTNER | {"contact_phone": own_numbers(1)[0]})
    monkeypatch.setenv("DISTRICT_SCHOOL_DATE", SCHOOL_TODAY.isoformat())  # as `make up` pins it

    await asyncio.to_thread(demo.main)

    printed = capsys.readouterr().out
    assert f"账号 {demo.DEMO_TEACHER['phone']}" in printed, printed
    assert f"密码 {demo.DEMO_TEACHER_PASSWORD}" in printed
    desk = PortalSession(platform.portal)
    await desk.send("GET", "/auth/csrf")
    signed_in = await desk.send(
        "POST",
        "/auth/password-sign-in",
        json={"account": demo.DEMO_TEACHER["phone"], "password": demo.DEMO_TEACHER_PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    user = signed_in.json()["user"]
    assert user["role"] == "teacher"
    registry = platform.all_services["registry"]
    school = user["school_id"]
    admin = {"authorization": f"Bearer {platform.token(Role.school_admin, school, district_id=district)}"}
    (klass,) = [
        c
        for c in (await registry.get(f"/v1/schools/{school}/classes", headers=admin)).json()
        if c["name"] == demo.DEMO_CLASS
    ]
    assert user["class_ids"] == [klass["class_id"]]
    assert klass["head_teacher_id"] == user["subject"]
    students = (await registry.get(f"/v1/classes/{klass['class_id']}/students", headers=admin)).json()
    mandatory = {s["student_id"] for s in students if s["care_categories"]}
    assert len(mandatory) == 4
    visits = platform.scheduling_app.state.store.visits
    assert await visits.count_documents({"student_id": {"$in": sorted(mandatory)}}) == 0
    assert await visits.count_documents({"class_id": klass["class_id"]}) == 6

    desks = {
        "school_admin": (demo.DEMO_ADMIN["phone"], demo.DEMO_ADMIN_PASSWORD, "学校管理员登录"),
        "partner": (demo.DEMO_PARTNER["contact_phone"], demo.DEMO_PARTNER_PASSWORD, "共建单位登录"),
        "bureau": (demo.DEMO_OFFICER["phone"], demo.DEMO_OFFICER_PASSWORD, "教育局登录"),
    }
    signed_in_desks = {}
    for role, (account, password, printed_as) in desks.items():
        (line,) = [line for line in printed.splitlines() if line.startswith(f"[demo] {printed_as}")]
        assert f"账号 {account}" in line, line
        assert f"密码 {password}" in line
        desk = PortalSession(platform.portal)
        await desk.send("GET", "/auth/csrf")
        answer = await desk.send(
            "POST", "/auth/password-sign-in", json={"account": account, "password": password}
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["user"]["role"], answer.json()["user"]["district_id"]) == (role, district)
        signed_in_desks[role] = answer.json()["user"]
    assert signed_in_desks["school_admin"]["school_id"] == school
    assert signed_in_desks["bureau"]["school_id"] is None
    bureau = {"authorization": f"Bearer {platform.token(Role.bureau, None, district_id=district)}"}
    (songshan,) = [
        s["school_id"]
        for s in (await registry.get("/v1/schools", headers=bureau)).json()
        if s["name"] == demo.DEMO_PARTNER_SCHOOL
    ]
    assert signed_in_desks["partner"]["school_id"] == songshan

    await asyncio.to_thread(demo.main)  # `make up` again

    again = capsys.readouterr().out
    for password in (demo.DEMO_TEACHER_PASSWORD, demo.DEMO_ADMIN_PASSWORD, demo.DEMO_OFFICER_PASSWORD):
        assert f"密码 {password}" in again
    staff = (await registry.get(f"/v1/schools/{school}/staff", headers=admin)).json()
    assert sorted(s["staff_id"] for s in staff) == sorted(
        [user["subject"], signed_in_desks["school_admin"]["subject"]]
    )
    officers = (await registry.get("/v1/bureau-staff", headers=bureau)).json()
    assert [o["staff_id"] for o in officers] == [signed_in_desks["bureau"]["subject"]]
