"""Notifications on the real parts: Kafka, the store, a loopback SMTP server (aiosmtpd) and an HTTP
server in the place of the SMS and WeChat providers. Each test reads what arrived there."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from contracts.events.meetings import MeetingInvitation, MeetingInvitationV1
from contracts.topics import INTERNAL_NOTIFICATIONS_V1, INTERNAL_SCHEDULING_V1, dead_letter_topic
from service_kit.auth import Role

pytestmark = pytest.mark.infra

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sms_to(provider, phone: str) -> list[dict]:
    return provider[0].to("sms", phone)


async def schedule_meeting(platform, registry_api, family, starts_in: timedelta) -> str:
    starts = datetime.now(UTC) + starts_in
    answer = await platform.scheduling.post(
        "/v1/meetings",
        json={
            "kind": "parent_meeting",
            "level": "class",
            "class_ids": [family.class_id],
            "title": "期中家长会",
            "agenda": ["期中成绩分析"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "place": "三年级2班教室",
        },
        headers=registry_api.auth(Role.teacher, family.school_id, [family.class_id], subject=family.head_teacher_id),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["meeting_id"])


async def test_an_invitation_and_its_reminders_reach_every_invited_guardian_in_their_language(
    platform, registry_api, family, mailbox, provider, eventually, read_topic
):
    people = await family(
        [
            {"phone": "13900000101", "preferred_channel": "sms"},
            {"email": "parent.en@example.com", "preferred_channel": "email", "language": "en"},
            {"messaging_handle": "wx-liu-0101", "preferred_channel": "wechat"},
        ]
    )
    zh, en, wechat = people.guardians
    # reminders in the test settings: 8 s and 4 s before the start
    meeting_id = await schedule_meeting(platform, registry_api, people, timedelta(seconds=14))

    async def all_arrived() -> bool:
        return (
            len(sms_to(provider, zh.phone)) == 3
            and len(mailbox.to(en.email)) == 3
            and len(provider[0].to("wechat", wechat.handle)) == 3
        )

    await eventually(all_arrived, 30)
    invitation, *reminders = sms_to(provider, zh.phone)
    assert "期中家长会" in invitation["subject"] and "邀请" in invitation["subject"]
    assert f"/v1/meetings/{meeting_id}/rsvp" in invitation["text"]
    assert all("提醒" in r["subject"] for r in reminders)
    english = mailbox.to(en.email)
    assert english[0]["Subject"].startswith("[叶城县第九小学] Invitation: 期中家长会")
    assert "You are warmly invited" in english[0].get_content()
    assert all("Reminder" in mail["Subject"] for mail in english[1:])
    assert "邀请" in provider[0].to("wechat", wechat.handle)[0]["subject"]
    # the reminders came before the meeting, the first one about 8 s before it
    assert all(r["received_at"] > invitation["received_at"] for r in reminders)

    delivered = await read_topic(
        INTERNAL_NOTIFICATIONS_V1,
        lambda ms: len([m for m in ms if m["school_id"] == people.school_id]) >= 9,
    )
    ours = [m for m in delivered if m["school_id"] == people.school_id]
    assert {m["payload"]["recipient_id"] for m in ours} == {g.guardian_id for g in people.guardians}
    assert {m["payload"]["channel"] for m in ours} == {"sms", "email", "wechat"}
    text = json.dumps([m["payload"] for m in ours], ensure_ascii=False)
    assert zh.phone not in text and en.email not in text and "期中家长会" not in text  # ids and channel only
