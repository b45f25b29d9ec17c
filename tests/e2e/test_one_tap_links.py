"""Notifications' part of the portal on the real parts (Kafka, the store, the loopback SMS stand-in):
sign-in codes the portal asks for on ``internal.portal.v1``, and the one-tap links every message to
a guardian carries, verified as the portal verifies them, with the JWKS notifications publishes."""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from aiokafka import AIOKafkaProducer
from class_meetings import schedule_class_meeting
from contracts.events.portal import SignInCodeRequested, SignInCodeRequestedV1
from contracts.topics import INTERNAL_PORTAL_V1
from service_kit.auth import Role
from service_kit.keys import public_key_of

pytestmark = pytest.mark.infra

LINK = re.compile(r"https?://\S+/l#([A-Za-z0-9_\-.]+)")


def unique_phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


async def publish(infrastructure, key: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(**infrastructure.kafka_options())
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(INTERNAL_PORTAL_V1, value, key=key.encode())
    finally:
        await producer.stop()


def code_requested(phone: str, code: str, expires_in: timedelta, language: str = "zh-CN") -> bytes:
    return SignInCodeRequestedV1(
        producer="portal",
        district_id="d-e2e",
        school_id="portal",
        payload=SignInCodeRequested(
            request_id=f"req-{uuid.uuid4().hex}",
            guardian_id=f"gdn-{uuid.uuid4().hex[:8]}",
            phone=phone,
            code=code,
            language=language,  # type: ignore[arg-type]
            expires_at=datetime.now(UTC) + expires_in,
        ),
    ).to_json()


async def test_a_sign_in_code_is_texted_once_however_often_the_portal_event_arrives(
    infrastructure, platform, provider, eventually
):
    phone = unique_phone()
    event = code_requested(phone, "482913", timedelta(minutes=5))
    await publish(infrastructure, phone, event, event)

    async def texted() -> bool:
        return bool(provider[0].to("sms", phone))

    await eventually(texted, 20)
    await asyncio.sleep(2)  # time for a second copy to go out, if one were going to
    [sms] = provider[0].to("sms", phone)
    assert sms["text"] == "【家校社协同育人】您的登录验证码是 482913，5分钟内有效。请勿将验证码告诉他人。"
    store = platform.notifications_app.state.store
    assert await store.find("messages", {"body": {"$regex": "482913"}}) == []  # in no inbox
    [kept] = await store.find("credentials", {"to.sms": phone})
    assert kept["status"] == "sent"
    assert "482913" not in kept["body"]  # the code is not kept once sent


async def test_an_expired_sign_in_code_is_not_sent_and_the_reason_is_kept(
    infrastructure, platform, provider, eventually
):
    phone = unique_phone()
    await publish(infrastructure, phone, code_requested(phone, "555111", timedelta(seconds=-1), "en"))
    store = platform.notifications_app.state.store

    async def dropped() -> bool:
        return bool(await store.find("credentials", {"to.sms": phone}))

    await eventually(dropped, 20)
    [kept] = await store.find("credentials", {"to.sms": phone})
    assert kept["status"] == "cancelled"
    assert "expired" in kept["failure_reason"]
    assert provider[0].to("sms", phone) == []


async def test_an_invitations_link_verifies_with_the_published_keys_and_names_that_guardian_and_message(
    platform, registry_api, family, provider, eventually
):
    people = await family(
        [
            {"phone": unique_phone(), "preferred_channel": "sms"},
            {"phone": unique_phone(), "preferred_channel": "sms"},
        ]
    )
    meeting_id = await schedule_class_meeting(platform, registry_api, people, timedelta(days=2))
    teacher = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
    )
    meeting = await platform.scheduling.get(f"/v1/meetings/{meeting_id}", headers=teacher)
    starts = datetime.fromisoformat(meeting.json()["starts_at"])

    async def invited() -> bool:
        return all(provider[0].to("sms", g.phone) for g in people.guardians)

    await eventually(invited, 30)
    notifications = platform.all_services["notifications"]
    published = await notifications.get("/.well-known/jwks.json")
    assert published.status_code == 200
    keys = {jwk["kid"]: public_key_of(jwk) for jwk in published.json()["keys"]}
    tokens = []
    for guardian in people.guardians:
        [sms] = provider[0].to("sms", guardian.phone)
        assert "/v1/" not in sms["text"]
        found = LINK.search(sms["text"])
        assert found is not None, sms["text"]
        assert "请点击回复是否出席：" in sms["text"]
        token = found.group(1)
        tokens.append(token)
        claims = jwt.decode(
            token,
            keys[jwt.get_unverified_header(token)["kid"]],
            algorithms=["EdDSA"],
            audience="portal-link",
            issuer="notifications",
        )
        assert claims["sub"] == guardian.guardian_id
        assert (claims["purpose"], claims["target"]) == ("rsvp", meeting_id)
        assert claims["exp"] == int(starts.timestamp())
        assert claims["student_ids"] == [guardian.student_id]
        # the message the link names is the one the guardian's inbox answers for
        mine = registry_api.auth(Role.guardian, people.school_id, subject=guardian.guardian_id)

        async def in_inbox(who: dict[str, str] = mine) -> bool:
            # a round records what it sent once its sends are done: the SMS can arrive first
            inbox = (await notifications.get("/v1/inbox", headers=who)).json()
            return any(m["purpose"] == "meeting_invitation" for m in inbox)

        await eventually(in_inbox, 30)
        inbox = (await notifications.get("/v1/inbox", headers=mine)).json()
        [message] = [m for m in inbox if m["purpose"] == "meeting_invitation"]
        assert claims["msg"] == message["message_id"]
        assert message["action"] == {"purpose": "rsvp", "target_id": meeting_id}
        read = await notifications.get(f"/v1/inbox/{claims['msg']}", headers=mine)
        assert read.status_code == 200
        assert token not in read.json()["body"]  # the inbox shows the page, not the guardian's link
    assert tokens[0] != tokens[1]
