"""`make up`'s demo (deploy/local/demo.py) run against the platform under test, in a district of its
own: the demo head teacher of 叶城县第九小学's 三年级2班 ends with an active portal account and the
printed password, the class names them as head teacher, its 三必访 students are left unvisited for
them, and a second run changes nothing."""

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

    await asyncio.to_thread(demo.main)  # `make up` again

    assert f"密码 {demo.DEMO_TEACHER_PASSWORD}" in capsys.readouterr().out
    staff = (await registry.get(f"/v1/schools/{school}/staff", headers=admin)).json()
    assert [s["staff_id"] for s in staff] == [user["subject"]]
