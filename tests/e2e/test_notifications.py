"""Notifications on the real parts: Kafka, the store, a loopback SMTP server (aiosmtpd) and an HTTP
server in the place of the SMS and WeChat providers. Each test reads what arrived there."""

import asyncio
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from bearer import bearer
from class_meetings import schedule_class_meeting
from contracts.events.meetings import MeetingInvitation, MeetingInvitationV1
from contracts.events.partner_activities import PartnerActivity, PartnerActivityV1
from contracts.events.registry import GuardianChanged, GuardianChangedV1, GuardianContacts
from contracts.topics import (
    INTERNAL_NOTIFICATIONS_V1,
    INTERNAL_REGISTRY_V1,
    INTERNAL_SCHEDULING_V1,
    PARTNER_ACTIVITIES_V1,
    dead_letter_topic,
)
from notifications.announcements import AnnouncementCreate
from school_clock import SCHOOL_TODAY
from service_kit.auth import Caller, Role

pytestmark = pytest.mark.infra

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sms_to(provider, phone: str) -> list[dict]:
    return provider[0].to("sms", phone)


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
    await schedule_class_meeting(platform, registry_api, people, timedelta(seconds=20))

    async def all_arrived() -> bool:
        return (
            len(sms_to(provider, zh.phone)) == 3
            and len(mailbox.to(en.email)) == 3
            and len(provider[0].to("wechat", wechat.handle)) == 3
        )

    await eventually(all_arrived, 40)
    invitation, *reminders = sms_to(provider, zh.phone)
    assert "期中家长会" in invitation["subject"]
    assert "邀请" in invitation["subject"]
    portal = str(platform.portal.base_url).rstrip("/")
    assert f"请点击回复是否出席：{portal}/l#" in invitation["text"]  # the portal, no API route
    assert "/v1/" not in invitation["text"]
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
    assert zh.phone not in text
    assert en.email not in text
    assert "期中家长会" not in text


async def test_guardians_announced_after_a_meeting_was_scheduled_are_invited_to_it_once(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900002101", "preferred_channel": "sms"}])
    first = people.guardians[0]
    meeting_id = await schedule_class_meeting(platform, registry_api, people, timedelta(days=2))
    await eventually(texted(provider, first.phone), 30)
    admin = admin_of(registry_api, people)
    http = registry_api.http

    async def add_guardian(student_id: str, relationship: str, phone: str) -> str:
        body = {
            "name": relationship,
            "relationship": relationship,
            "phone": phone,
            "preferred_channel": "sms",
        }
        added = await http.post(f"/v1/students/{student_id}/guardians", json=body, headers=admin)
        assert added.status_code == 201, added.text
        return str(added.json()["guardian_id"])

    # a second guardian for the same child, and a child moving in from another class with theirs
    await add_guardian(first.student_id, "父亲", "13900002102")
    other = await http.post(
        f"/v1/schools/{people.school_id}/classes", json={"grade": 3, "name": "三年级3班"}, headers=admin
    )
    mover = await http.post(
        f"/v1/classes/{other.json()['class_id']}/students",
        json={"name": "转入学生", "gender": "男", "student_number": "N9"},
        headers=admin,
    )
    late = await add_guardian(mover.json()["student_id"], "母亲", "13900002103")
    moved = await http.post(
        f"/v1/students/{mover.json()['student_id']}/transfer",
        json={"class_id": people.class_id},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text

    await eventually(texted(provider, "13900002102", "13900002103"), 30)
    (invitation,) = sms_to(provider, "13900002103")
    assert "邀请" in invitation["subject"]
    assert "/l#" in invitation["text"]
    answer = await platform.scheduling.put(
        f"/v1/meetings/{meeting_id}/rsvp",
        json={"answer": "yes"},
        headers=registry_api.auth(Role.guardian, people.school_id, subject=late),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["invited_count"] == 3
    await asyncio.sleep(2)  # time for a second invitation to arrive, if one were going to
    assert len(sms_to(provider, first.phone)) == 1
    assert len(sms_to(provider, "13900002102")) == 1


def texted(provider, *phones: str):
    async def check() -> bool:
        return all(sms_to(provider, phone) for phone in phones)

    return check


def admin_of(registry_api, family) -> dict:
    return registry_api.auth(Role.school_admin, family.school_id)


def guardian_token(registry_api, family, guardian) -> dict:
    return registry_api.auth(Role.guardian, family.school_id, subject=guardian.guardian_id)


async def announce(platform, headers, family, **extra) -> dict:
    body = {
        "school_id": family.school_id,
        "audience": {"kind": "class", "class_ids": [family.class_id]},
        "variables": {"title": "致家长的一封信：冬季安全", "body": "天气转冷，请注意交通安全。"},
    } | extra
    answer = await platform.all_services["notifications"].post(
        "/v1/announcements", json=body, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def messages_of(platform, headers, school_id: str, status: str | None = None) -> list[dict]:
    answer = await platform.all_services["notifications"].get(
        f"/v1/schools/{school_id}/messages", params={"status": status} if status else {}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_quiet_hours_hold_a_normal_message_and_let_an_emergency_through(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900000201"}])
    parent = people.guardians[0]
    notifications = platform.all_services["notifications"]
    now = datetime.now(SHANGHAI)
    quiet = {
        "quiet_hours": True,
        "quiet_start": (now - timedelta(minutes=1)).time().isoformat(timespec="seconds"),
        "quiet_end": (now + timedelta(seconds=15)).time().isoformat(timespec="seconds"),
    }
    chosen = await notifications.put(
        "/v1/preferences", json=quiet, headers=guardian_token(registry_api, people, parent)
    )
    assert chosen.status_code == 200, chosen.text

    letter = await announce(platform, admin_of(registry_api, people), people)
    emergency = await notifications.post(
        "/v1/emergencies",
        json={"student_id": parent.student_id, "summary": "孩子在体育课上扭伤脚踝，已由校医处理。"},
        headers=admin_of(registry_api, people),
    )
    assert emergency.status_code == 201, emergency.text

    async def emergency_arrived() -> bool:
        return any("紧急" in m["subject"] for m in sms_to(provider, parent.phone))

    await eventually(emergency_arrived, 12)

    async def letter_held() -> bool:
        made = await messages_of(platform, admin_of(registry_api, people), people.school_id)
        letter = next(m for m in made if m["purpose"] == "announcement")
        return letter["status"] == "queued" and letter["waiting"] == "quiet_hours"

    await eventually(letter_held, 10)
    assert not any("冬季安全" in m["subject"] for m in sms_to(provider, parent.phone))

    async def letter_arrived_after_quiet_hours() -> bool:
        return any("冬季安全" in m["subject"] for m in sms_to(provider, parent.phone))

    await eventually(letter_arrived_after_quiet_hours, 30)
    letter_sms = next(m for m in sms_to(provider, parent.phone) if "冬季安全" in m["subject"])
    quiet_end = datetime.combine(
        now.date(), datetime.fromisoformat("2000-01-01T" + quiet["quiet_end"]).time(), SHANGHAI
    )
    if quiet_end < now:
        quiet_end += timedelta(days=1)
    assert letter_sms["received_at"] >= quiet_end.timestamp() - 0.5

    async def letter_recorded_as_sent() -> bool:
        # The dispatcher records its round after the provider took the SMS, so the count follows it.
        summary = await notifications.get(
            f"/v1/announcements/{letter['announcement_id']}", headers=admin_of(registry_api, people)
        )
        return summary.json()["status_counts"] == {"sent": 1}

    await eventually(letter_recorded_as_sent, 10)


async def test_an_emergency_escalates_to_the_next_guardian_then_the_head_teacher(
    platform, registry_api, family, provider, mailbox, eventually
):
    people = await family(
        [
            {"phone": "13900000301", "email": "first@example.com", "child": 0},
            {"phone": "13900000302", "child": 0},
        ]
    )
    first, second = people.guardians
    notifications = platform.all_services["notifications"]
    raised = await notifications.post(
        "/v1/emergencies",
        json={
            "student_id": first.student_id,
            "summary": "孩子发烧 39℃，已在医务室休息。",
            "ack_within_seconds": 1.5,
        },
        headers=registry_api.auth(Role.teacher, people.school_id, [people.class_id]),
    )
    assert raised.status_code == 201, raised.text
    emergency_id = raised.json()["emergency_id"]

    async def head_teacher_reached() -> bool:
        teacher_mail = mailbox.to(f"wang.{people.head_teacher_phone}@school.example.cn")
        return bool(sms_to(provider, people.head_teacher_phone)) and bool(teacher_mail)

    await eventually(head_teacher_reached, 20)
    # the first guardian on every channel they have, at once
    assert len(sms_to(provider, first.phone)) == 1
    assert len(mailbox.to(first.email)) == 1
    assert len(sms_to(provider, second.phone)) == 1
    assert "学生" in sms_to(provider, people.head_teacher_phone)[0]["subject"]
    assert mailbox.to(f"wang.{people.head_teacher_phone}@school.example.cn")
    record = await notifications.get(
        f"/v1/emergencies/{emergency_id}", headers=admin_of(registry_api, people)
    )
    steps = record.json()["steps"]
    assert [(s["recipient_kind"], s["recipient_id"]) for s in steps] == [
        ("guardian", first.guardian_id),
        ("guardian", second.guardian_id),
        ("staff", people.head_teacher_id),
    ]
    assert all(later["at"] > earlier["at"] for earlier, later in itertools.pairwise(steps))

    async def unanswered() -> bool:
        answer = await notifications.get(
            f"/v1/emergencies/{emergency_id}", headers=admin_of(registry_api, people)
        )
        return answer.json()["status"] == "unanswered"

    await eventually(unanswered, 30)


async def test_an_acknowledged_emergency_goes_no_further(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900000401", "child": 0}, {"phone": "13900000402", "child": 0}])
    first, second = people.guardians
    notifications = platform.all_services["notifications"]
    raised = await notifications.post(
        "/v1/emergencies",
        json={"student_id": first.student_id, "summary": "孩子摔倒擦伤膝盖。", "ack_within_seconds": 1.5},
        headers=admin_of(registry_api, people),
    )
    emergency_id = raised.json()["emergency_id"]
    stranger = await notifications.post(
        f"/v1/emergencies/{emergency_id}/acknowledgement",
        headers=registry_api.auth(Role.guardian, people.school_id, subject="gdn-someone-else"),
    )
    assert stranger.status_code == 404
    acknowledged = await notifications.post(
        f"/v1/emergencies/{emergency_id}/acknowledgement", headers=guardian_token(registry_api, people, first)
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == first.guardian_id
    await asyncio.sleep(3)  # twice the waiting time: an escalation would have happened by now
    assert sms_to(provider, second.phone) == []
    record = await notifications.get(
        f"/v1/emergencies/{emergency_id}", headers=admin_of(registry_api, people)
    )
    assert record.json()["status"] == "acknowledged"
    assert len(record.json()["steps"]) == 1


def invitation_event(
    family, guardian_ids: list[str], meeting_id: str, status: str = "scheduled", version: int = 1
) -> MeetingInvitationV1:
    starts = datetime.now(UTC) + timedelta(days=2 + version)
    return MeetingInvitationV1(
        producer="scheduling",
        district_id="d-e2e",
        school_id=family.school_id,
        payload=MeetingInvitation(
            meeting_id=meeting_id,
            kind="parent_meeting",
            title="家长学校讲座",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            place="学校礼堂",
            guardian_ids=guardian_ids,
            status=status,
            version=version,
        ),
    )


async def publish(infrastructure, topic: str, key: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(**infrastructure.kafka_options())
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def test_a_duplicate_event_sends_nothing_twice(infrastructure, platform, family, provider, eventually):
    people = await family([{"phone": "13900000501"}, {"phone": "13900000502"}])
    event = invitation_event(people, [g.guardian_id for g in people.guardians], f"mtg-dup-{people.school_id}")
    await publish(infrastructure, INTERNAL_SCHEDULING_V1, people.school_id, event.to_json(), event.to_json())

    async def both_invited() -> bool:
        return all(sms_to(provider, g.phone) for g in people.guardians)

    await eventually(both_invited, 20)
    await asyncio.sleep(2)  # time for a second copy to arrive, if one were going to
    assert [len(sms_to(provider, g.phone)) for g in people.guardians] == [1, 1]


def late_guardian(family, guardian_id: str, phone: str) -> bytes:
    """The registry's event for a guardian of the family's first child, published by the test."""
    return GuardianChangedV1(
        producer="registry",
        district_id="d-e2e",
        school_id=family.school_id,
        payload=GuardianChanged(
            guardian_id=guardian_id,
            student_ids=[family.guardians[0].student_id],
            contacts=GuardianContacts(phone=phone),
            preferred_channel="sms",
            language="zh-CN",
            consent_non_essential=True,
            version=1,
        ),
    ).to_json()


async def test_an_invitation_naming_a_guardian_not_yet_announced_reaches_them_once_the_registry_does(
    infrastructure, platform, family, provider, eventually
):
    people = await family([{"phone": "13900000511"}])
    known, late_id, late_phone = people.guardians[0], f"gdn-late-{people.school_id}", "13900000512"
    event = invitation_event(people, [known.guardian_id, late_id], f"mtg-late-{people.school_id}")
    await publish(infrastructure, INTERNAL_SCHEDULING_V1, people.school_id, event.to_json())

    async def known_invited() -> bool:
        return bool(sms_to(provider, known.phone))

    await eventually(known_invited, 20)  # the invitation has been handled, before the registry speaks
    assert sms_to(provider, late_phone) == []
    await publish(
        infrastructure, INTERNAL_REGISTRY_V1, people.school_id, late_guardian(people, late_id, late_phone)
    )

    async def late_invited() -> bool:
        return bool(sms_to(provider, late_phone))

    await eventually(late_invited, 20)
    await asyncio.sleep(1)  # a second round of the kept event would send again now, if it could
    assert [m["subject"] for m in sms_to(provider, late_phone)] == [
        sms_to(provider, known.phone)[0]["subject"]
    ]
    assert len(sms_to(provider, known.phone)) == 1
    waiting = platform.notifications_app.state.store.db["waiting"]
    assert await waiting.find_one({"school_id": people.school_id}) is None


async def test_a_late_guardian_of_a_meeting_moved_meanwhile_hears_only_of_the_new_time(
    infrastructure, platform, family, provider, eventually
):
    people = await family([{"phone": "13900000531"}])
    known, late_id, late_phone = people.guardians[0], f"gdn-moved-{people.school_id}", "13900000532"
    meeting = f"mtg-moved-{people.school_id}"
    invited = invitation_event(people, [known.guardian_id, late_id], meeting)
    moved = invitation_event(people, [known.guardian_id, late_id], meeting, "rescheduled", 2)
    await publish(
        infrastructure, INTERNAL_SCHEDULING_V1, people.school_id, invited.to_json(), moved.to_json()
    )

    async def known_told_twice() -> bool:
        return len(sms_to(provider, known.phone)) == 2

    await eventually(known_told_twice, 20)
    await publish(
        infrastructure, INTERNAL_REGISTRY_V1, people.school_id, late_guardian(people, late_id, late_phone)
    )

    async def late_told() -> bool:
        return bool(sms_to(provider, late_phone))

    await eventually(late_told, 20)
    await asyncio.sleep(1.5)  # both kept events have been handled again by now
    [told] = sms_to(provider, late_phone)
    assert "时间调整" in told["subject"]


async def test_a_guardian_the_registry_never_announces_is_recorded_undeliverable_in_the_end(
    infrastructure, platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900000521"}])
    never = f"gdn-never-{people.school_id}"
    event = invitation_event(
        people, [people.guardians[0].guardian_id, never], f"mtg-never-{people.school_id}"
    )
    await publish(infrastructure, INTERNAL_SCHEDULING_V1, people.school_id, event.to_json())

    async def given_up() -> bool:
        failed = await messages_of(platform, admin_of(registry_api, people), people.school_id, "failed")
        return any(m["recipient_id"] == never for m in failed)

    await eventually(given_up, 30)  # the test settings give the registry 10 s
    failed = await messages_of(platform, admin_of(registry_api, people), people.school_id, "failed")
    assert {m["purpose"] for m in failed} == {"meeting_invitation", "meeting_reminder"}
    assert all(m["recipient_id"] == never and "登记信息未到" in m["failure_reason"] for m in failed)
    assert len(sms_to(provider, people.guardians[0].phone)) == 1


async def test_a_malformed_event_is_dead_lettered_and_the_consumer_keeps_going(
    infrastructure, platform, family, provider, read_topic, eventually
):
    people = await family([{"phone": "13900000601"}])
    broken = json.dumps({"event_type": "meeting-invitation", "school_id": people.school_id}).encode()
    good = invitation_event(people, [people.guardians[0].guardian_id], f"mtg-after-{people.school_id}")
    await publish(infrastructure, INTERNAL_SCHEDULING_V1, people.school_id, broken, good.to_json())

    async def good_one_sent() -> bool:
        return bool(sms_to(provider, people.guardians[0].phone))

    await eventually(good_one_sent, 20)

    def ours(message: dict) -> bool:  # reporting reads the topic too, and parks its own copy
        return (
            message.get("school_id") == people.school_id
            and message["_headers"]["dlt-consumer"] == b"notifications"
        )

    parked = await read_topic(
        dead_letter_topic(INTERNAL_SCHEDULING_V1),
        lambda ms: any(ours(m) for m in ms),
    )
    mine = next(m for m in parked if ours(m))
    assert mine["_headers"]["dlt-consumer"] == b"notifications"
    assert mine["_headers"]["dlt-reason"].startswith(b"malformed")


async def test_a_provider_answering_500_is_retried_then_the_next_channel_is_used(
    platform, registry_api, family, provider, mailbox, eventually
):
    people = await family(
        [{"phone": "13900000701", "email": "fallback@example.com", "preferred_channel": "sms"}]
    )
    parent = people.guardians[0]
    provider[0].answer(parent.phone, 500, 500, 500)  # three tries on SMS in the test settings
    await announce(platform, admin_of(registry_api, people), people)

    async def recorded_sent() -> bool:
        return bool(await messages_of(platform, admin_of(registry_api, people), people.school_id, "sent"))

    await eventually(recorded_sent, 20)
    assert len(mailbox.to(parent.email)) == 1
    assert provider[0].calls[parent.phone] == 3
    assert sms_to(provider, parent.phone) == []
    [message] = await messages_of(platform, admin_of(registry_api, people), people.school_id)
    assert message["sent_channel"] == "email"
    assert [h["outcome"] for h in message["history"]] == ["retry", "retry", "fallback", "sent"]
    assert "provider error 500" in message["history"][2]["detail"]


async def test_a_provider_answering_429_is_waited_for_as_its_retry_after_asks(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900000801"}])
    parent = people.guardians[0]
    provider[0].answer(parent.phone, (429, {"retry-after": "2"}))
    started = datetime.now(UTC).timestamp()
    await announce(platform, admin_of(registry_api, people), people)

    async def sent() -> bool:
        return bool(await messages_of(platform, admin_of(registry_api, people), people.school_id, "sent"))

    await eventually(sent, 20)
    assert sms_to(provider, parent.phone)[0]["received_at"] - started >= 2
    [message] = await messages_of(platform, admin_of(registry_api, people), people.school_id)
    assert [h["outcome"] for h in message["history"]] == ["retry", "sent"]
    assert "429" in message["history"][0]["detail"]
    assert "2 秒" in message["history"][0]["detail"]


async def test_a_guardian_without_any_contact_is_recorded_undeliverable_and_the_rest_are_sent(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900000901"}, {}, {"phone": "13900000903"}])
    reachable = [people.guardians[0], people.guardians[2]]
    await announce(platform, admin_of(registry_api, people), people)

    async def others_sent() -> bool:
        sent = await messages_of(platform, admin_of(registry_api, people), people.school_id, "sent")
        return len(sent) == 2 and all(sms_to(provider, g.phone) for g in reachable)

    await eventually(others_sent, 20)
    [parked] = await messages_of(platform, admin_of(registry_api, people), people.school_id, "failed")
    assert parked["recipient_id"] == people.guardians[1].guardian_id
    assert "无可用联系方式" in parked["failure_reason"]


async def test_messages_waiting_are_sent_after_a_restart(
    infrastructure, platform, registry_api, family, provider, eventually
):
    from notifications.app import create_app

    people = await family([{"phone": "13900001001"}, {"phone": "13900001002"}])
    dispatcher = platform.notifications_app.state.dispatcher
    await dispatcher.stop()  # the service goes down with messages about to be queued
    try:
        await announce(platform, admin_of(registry_api, people), people)
        await asyncio.sleep(1)
        assert all(sms_to(provider, g.phone) == [] for g in people.guardians)
        queued = await messages_of(platform, admin_of(registry_api, people), people.school_id, "queued")
        assert len(queued) == 2
        # a new process: nothing carried over but what is in the store
        restarted = create_app(platform.notifications_settings)
        async with restarted.router.lifespan_context(restarted):

            async def sent_after_restart() -> bool:
                return all(sms_to(provider, g.phone) for g in people.guardians)

            await eventually(sent_after_restart, 20)
    finally:
        dispatcher.start()
    assert [len(sms_to(provider, g.phone)) for g in people.guardians] == [1, 1]
    # the dispatcher stopped and started again sends as before
    again = await family([{"phone": "13900001003"}])
    await announce(platform, admin_of(registry_api, again), again)

    async def sent_again() -> bool:
        return bool(sms_to(provider, again.guardians[0].phone))

    await eventually(sent_again, 20)


async def test_an_announcement_is_previewed_confirmed_and_only_the_missing_are_reminded(
    platform, registry_api, family, provider, eventually
):
    people = await family(
        [
            {"phone": "13900001101", "child": 0},
            {"phone": "13900001102", "child": 0},
            {"phone": "13900001103", "child": 1, "language": "en"},
            {"phone": "13900001104", "child": 2, "consent_non_essential": False},
        ]
    )
    mum, dad, english, no_consent = people.guardians
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people)
    letter = {
        "school_id": people.school_id,
        "audience": {"kind": "class", "class_ids": [people.class_id]},
        "variables": {"title": "秋游安全告知书", "body": "请阅读并确认。"},
        "confirmation": "every_guardian",
    }
    preview = await notifications.post("/v1/announcements/preview", json=letter, headers=admin)
    assert preview.status_code == 200, preview.text
    assert preview.json()["recipients"] == 4
    assert preview.json()["students"] == 3
    assert "秋游安全告知书" in preview.json()["samples"]["zh-CN"]["subject"]
    assert "Please confirm" in preview.json()["samples"]["en"]["body"]
    optional = await notifications.post(
        "/v1/announcements/preview", json=letter | {"essential": False}, headers=admin
    )
    assert optional.json()["recipients"] == 3
    assert optional.json()["opted_out"] == 1

    sent = await announce(platform, admin, people, **{k: letter[k] for k in ("variables", "confirmation")})
    announcement_id = sent["announcement_id"]

    async def all_sent() -> bool:
        sent = await messages_of(platform, admin, people.school_id, "sent")
        return len(sent) == 4 and all(sms_to(provider, g.phone) for g in people.guardians)

    await eventually(all_sent, 20)
    assert "Please confirm" in sms_to(provider, english.phone)[0]["text"]
    # mum confirms from her inbox; for "every guardian", her child still waits for dad
    inbox = await notifications.get("/v1/inbox", headers=guardian_token(registry_api, people, mum))
    [message] = inbox.json()
    assert message["confirmation_required"]
    confirmed = await notifications.post(
        f"/v1/inbox/{message['message_id']}/confirmation", headers=guardian_token(registry_api, people, mum)
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "read"
    someone_else = await notifications.post(
        f"/v1/inbox/{message['message_id']}/confirmation", headers=guardian_token(registry_api, people, dad)
    )
    assert someone_else.status_code == 404
    state = await notifications.get(f"/v1/announcements/{announcement_id}/confirmations", headers=admin)
    pending = {p["student_id"]: p["pending_guardian_ids"] for p in state.json()["pending"]}
    assert pending == {
        mum.student_id: [dad.guardian_id],
        english.student_id: [english.guardian_id],
        no_consent.student_id: [no_consent.guardian_id],
    }

    reminded = await notifications.post(f"/v1/announcements/{announcement_id}/reminders", headers=admin)
    assert reminded.status_code == 200, reminded.text
    assert reminded.json()["reminded_guardian_ids"] == sorted(
        [dad.guardian_id, english.guardian_id, no_consent.guardian_id]
    )

    async def reminders_arrived() -> bool:
        return all(len(sms_to(provider, g.phone)) == 2 for g in (dad, english, no_consent))

    await eventually(reminders_arrived, 20)
    assert len(sms_to(provider, mum.phone)) == 1
    assert "请确认" in sms_to(provider, dad.phone)[1]["subject"]


async def test_announcements_and_templates_answer_bad_input_clearly(platform, registry_api, family):
    people = await family([{"phone": "13900001201"}])
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people)
    unknown = await notifications.post("/v1/templates/preview", json={"template": "no_such"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"][0]["field"] == "body.template"
    missing = await notifications.post(
        "/v1/templates/preview",
        json={"template": "announcement", "variables": {"school_name": "良舍小学", "body": "…"}},
        headers=admin,
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.variables.title"
    no_title = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "school"},
            "variables": {"body": "没有标题"},
        },
        headers=admin,
    )
    assert no_title.status_code == 422
    assert no_title.json()["errors"][0]["field"] == "body.variables.title"
    other_class = await notifications.post(
        "/v1/announcements",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "class", "class_ids": [people.class_id]},
            "variables": {"title": "通知", "body": "内容"},
        },
        headers=registry_api.auth(Role.teacher, people.school_id, ["cls-not-mine"]),
    )
    assert other_class.status_code == 404
    other_school = await notifications.post(
        "/v1/announcements/preview",
        json={
            "school_id": people.school_id,
            "audience": {"kind": "school"},
            "variables": {"title": "通知", "body": "内容"},
        },
        headers=registry_api.auth(Role.school_admin, "sch-another"),
    )
    assert other_school.status_code == 404
    english = await notifications.post(
        "/v1/templates/preview", json={"template": "meeting_invitation", "language": "en"}, headers=admin
    )
    assert english.status_code == 200
    assert english.json()["subject"].startswith("[叶城县第九小学] Invitation")


async def test_a_guardian_reads_the_inbox_and_the_read_is_recorded(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900001301", "preferred_channel": "app"}])
    parent = people.guardians[0]
    notifications = platform.all_services["notifications"]
    await announce(platform, admin_of(registry_api, people), people)
    token = guardian_token(registry_api, people, parent)

    async def in_inbox() -> bool:
        answer = await notifications.get("/v1/inbox", headers=token)
        return len(answer.json()) == 1

    await eventually(in_inbox, 20)
    [message] = (await notifications.get("/v1/inbox", headers=token)).json()
    assert message["status"] == "delivered"
    assert message["sent_channel"] == "app"
    assert sms_to(provider, parent.phone) == []  # the app was their first choice
    read = await notifications.get(f"/v1/inbox/{message['message_id']}", headers=token)
    assert read.json()["status"] == "read"
    status = await notifications.get(
        f"/v1/messages/{message['message_id']}", headers=admin_of(registry_api, people)
    )
    assert status.json()["status"] == "read"
    assert status.json()["read_at"] is not None


async def test_visit_plans_summaries_and_partner_activities_reach_the_right_guardians(
    infrastructure, platform, registry_api, family, provider, eventually
):
    people = await family(
        [{"phone": "13900001401"}, {"phone": "13900001402", "consent_non_essential": False}]
    )
    first, no_consent = people.guardians
    teacher = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
    )
    planned = await platform.scheduling.post(
        "/v1/home-visits/plans",
        json={
            "student_id": first.student_id,
            "class_id": people.class_id,
            "planned_on": (SCHOOL_TODAY + timedelta(days=3)).isoformat(),
            "mode": "in_person",
        },
        headers=teacher,
    )
    assert planned.status_code == 201, planned.text
    done = await platform.scheduling.post(
        f"/v1/home-visits/{planned.json()['visit_id']}/outcome",
        json={
            "outcome": "done",
            "visited_on": SCHOOL_TODAY.isoformat(),
            "findings": "家中学习环境需改善",
            "shareable_summary": "孩子很懂事，建议每天陪伴阅读。",
        },
        headers=teacher,
    )
    assert done.status_code == 200, done.text

    async def both_arrived() -> bool:
        return len(sms_to(provider, first.phone)) == 2

    await eventually(both_arrived, 20)
    # two topics (visits, internal scheduling): either may arrive first
    plan, summary = sorted(sms_to(provider, first.phone), key=lambda m: "家访小结" in m["subject"])
    assert "家访安排" in plan["subject"]
    assert "上门" in plan["text"]
    assert "每天陪伴阅读" in summary["text"]
    assert "学习环境" not in summary["text"]  # findings stay with the school
    assert sms_to(provider, no_consent.phone) == []  # a visit to another child

    activity = PartnerActivityV1(
        producer="scheduling",
        district_id="d-e2e",
        school_id=people.school_id,
        payload=PartnerActivity(
            activity_id=f"act-{people.school_id}",
            partner_id="ptn-wenhualu",
            partner_kind="police_station",
            agreement_id="agr-0001",
            kind="legal_education",
            held_on=SCHOOL_TODAY,
            class_ids=[people.class_id],
            students_count=40,
            teachers_count=2,
            residents_count=0,
            participant_times=42,
        ),
    )
    await publish(infrastructure, PARTNER_ACTIVITIES_V1, people.school_id, activity.to_json())

    async def activity_told() -> bool:
        return len(sms_to(provider, first.phone)) == 3

    await eventually(activity_told, 20)
    assert "法制教育" in sms_to(provider, first.phone)[2]["text"]
    await asyncio.sleep(1)
    assert sms_to(provider, no_consent.phone) == []  # no consent to non-essential messages


async def test_a_digest_reader_gets_the_days_messages_as_one(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900001501"}])
    parent = people.guardians[0]
    notifications = platform.all_services["notifications"]
    digest_at = (datetime.now(SHANGHAI) + timedelta(seconds=8)).time().isoformat(timespec="seconds")
    chosen = await notifications.put(
        "/v1/preferences",
        json={"delivery": "digest", "digest_at": digest_at},
        headers=guardian_token(registry_api, people, parent),
    )
    assert chosen.status_code == 200, chosen.text
    admin = admin_of(registry_api, people)
    await announce(platform, admin, people, variables={"title": "冬季安全", "body": "注意交通安全。"})
    await announce(platform, admin, people, variables={"title": "家长开放日", "body": "欢迎下周三来校。"})

    async def digest_sent() -> bool:
        return len(await messages_of(platform, admin, people.school_id, "sent")) == 2

    await eventually(digest_sent, 20)
    [digest] = sms_to(provider, parent.phone)
    assert digest["subject"].startswith("今日通知汇总")
    assert "冬季安全" in digest["text"]
    assert "家长开放日" in digest["text"]


async def test_a_moved_meeting_drops_its_old_reminders_and_a_cancelled_one_is_announced(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900001601"}])
    parent = people.guardians[0]
    admin = admin_of(registry_api, people)
    teacher = registry_api.auth(
        Role.teacher, people.school_id, [people.class_id], subject=people.head_teacher_id
    )
    meeting_id = await schedule_class_meeting(platform, registry_api, people, timedelta(days=1))

    async def told(count: int):
        async def check() -> bool:
            return len(sms_to(provider, parent.phone)) == count

        return check

    await eventually(await told(1), 20)
    moved_start = datetime.now(UTC) + timedelta(days=2)
    moved = await platform.scheduling.post(
        f"/v1/meetings/{meeting_id}/reschedule",
        json={
            "starts_at": moved_start.isoformat(),
            "ends_at": (moved_start + timedelta(hours=1)).isoformat(),
        },
        headers=teacher,
    )
    assert moved.status_code == 200, moved.text
    await eventually(await told(2), 20)
    assert "时间调整" in sms_to(provider, parent.phone)[1]["subject"]
    cancelled = await platform.scheduling.post(f"/v1/meetings/{meeting_id}/cancellation", headers=teacher)
    assert cancelled.status_code == 200, cancelled.text
    await eventually(await told(3), 20)
    assert "取消" in sms_to(provider, parent.phone)[2]["subject"]

    async def reminders_all_cancelled() -> bool:
        made = await messages_of(platform, admin, people.school_id)
        reminders = [m for m in made if m["purpose"] == "meeting_reminder"]
        return len(reminders) == 4 and all(m["status"] == "cancelled" for m in reminders)

    await eventually(reminders_all_cancelled, 10)  # two per version, none ever sent


async def test_provider_receipts_mark_delivery_and_a_failed_one_falls_back(
    platform, registry_api, family, provider, mailbox, eventually, read_topic
):
    from channels_standin import DEV_KEYS
    from notifications.channels import signature

    people = await family([{"phone": "13900001701"}, {"phone": "13900001702", "email": "second@example.com"}])
    admin = admin_of(registry_api, people)
    notifications = platform.all_services["notifications"]
    await announce(platform, admin, people)

    async def both_sent() -> bool:
        return len(await messages_of(platform, admin, people.school_id, "sent")) == 2

    await eventually(both_sent, 20)
    by_guardian = {m["recipient_id"]: m for m in await messages_of(platform, admin, people.school_id)}
    first, second = (by_guardian[g.guardian_id] for g in people.guardians)
    key, secret = DEV_KEYS["sms"]

    async def receipt(body: dict, sign_with: str = secret):
        raw = json.dumps(body).encode()
        stamp = str(int(datetime.now(UTC).timestamp()))
        return await notifications.post(
            "/v1/providers/sms/receipts",
            content=raw,
            headers={"x-api-key": key, "x-timestamp": stamp, "x-signature": signature(sign_with, stamp, raw)},
        )

    forged = await receipt({"message_id": first["message_id"], "status": "delivered"}, sign_with="guess")
    assert forged.status_code == 401
    assert (await receipt({"message_id": first["message_id"], "status": "delivered"})).status_code == 204
    status = await notifications.get(f"/v1/messages/{first['message_id']}", headers=admin)
    assert status.json()["status"] == "delivered"
    assert status.json()["delivered_at"] is not None
    failed = await receipt({"message_id": second["message_id"], "status": "failed", "reason": "空号"})
    assert failed.status_code == 204

    async def mailed_instead() -> bool:
        return bool(mailbox.to("second@example.com"))

    await eventually(mailed_instead, 20)

    def about_second(messages: list[dict], event_type: str) -> list[dict]:
        return [
            m["payload"]
            for m in messages
            if m["event_type"] == event_type and m["payload"]["message_id"] == second["message_id"]
        ]

    published = await read_topic(
        INTERNAL_NOTIFICATIONS_V1,
        lambda ms: (
            bool(about_second(ms, "notification-undelivered"))
            and len(about_second(ms, "notification-delivered")) == 2
        ),
    )
    [undelivered] = about_second(published, "notification-undelivered")
    assert undelivered["channel"] == "sms"
    assert undelivered["recipient_id"] == people.guardians[1].guardian_id
    reached = sorted(d["channel"] for d in about_second(published, "notification-delivered"))
    assert reached == ["email", "sms"]  # the SMS reach taken back, the email one stands


async def test_an_announcement_can_target_a_grade_a_care_category_or_named_guardians(
    platform, registry_api, family
):
    people = await family(
        [
            {"phone": "13900001801", "care_categories": ["left_behind"]},
            {"phone": "13900001802"},
            {"phone": "13900001803", "care_categories": ["left_behind", "hardship"]},
        ]
    )
    notifications = platform.all_services["notifications"]
    admin = admin_of(registry_api, people)
    letter = {"school_id": people.school_id, "variables": {"title": "通知", "body": "内容"}}

    async def reached(audience: dict) -> int:
        answer = await notifications.post(
            "/v1/announcements/preview", json=letter | {"audience": audience}, headers=admin
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["recipients"])

    assert await reached({"kind": "school"}) == 3
    assert await reached({"kind": "grade", "grade": 3}) == 3
    assert await reached({"kind": "grade", "grade": 5}) == 0
    assert await reached({"kind": "care_category", "care_category": "left_behind"}) == 2
    assert await reached({"kind": "care_category", "care_category": "hardship"}) == 1
    named = [people.guardians[1].guardian_id]
    assert await reached({"kind": "guardians", "guardian_ids": named}) == 1
    unknown = await notifications.post(
        "/v1/announcements/preview",
        json=letter | {"audience": {"kind": "guardians", "guardian_ids": ["gdn-of-another-school"]}},
        headers=admin,
    )
    assert unknown.status_code == 404
    no_grade = await notifications.post(
        "/v1/announcements/preview", json=letter | {"audience": {"kind": "grade"}}, headers=admin
    )
    assert no_grade.status_code == 422
    assert no_grade.json()["errors"][0]["field"].startswith("body.audience")


async def test_an_announcement_whose_sender_stopped_half_way_is_finished(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900001901"}, {"phone": "13900001902"}])
    first, second = people.guardians
    store = platform.notifications_app.state.store
    announcements = platform.notifications_app.state.services.announcements
    # what a sender leaves when it stops after queueing only the first guardian's message
    announcement = {
        "_id": f"ann-halfway-{people.school_id}",
        "district_id": "d-e2e",
        "school_id": people.school_id,
        "audience": {"kind": "class", "class_ids": [people.class_id]},
        "template": "announcement",
        "variables": {"title": "停电通知", "body": "明天下午停电，放学时间不变。"},
        "essential": True,
        "confirmation": "none",
        "recipients": {first.guardian_id: [first.student_id], second.guardian_id: [second.student_id]},
        "reminders": 0,
        "created_by": "admin-1",
        "created_at": datetime.now(UTC),
    }
    await store.enqueue(f"fanout-{announcement['_id']}", datetime.now(UTC) + timedelta(seconds=2), "fanout")
    await store.insert_once("announcements", announcement)
    await announcements.fan_out(announcement, [await store.get("guardians", first.guardian_id)])

    async def both_told() -> bool:
        return all(sms_to(provider, g.phone) for g in people.guardians)

    await eventually(both_told, 20)
    assert [len(sms_to(provider, g.phone)) for g in people.guardians] == [1, 1]


async def test_an_emergency_whose_sender_stopped_before_anyone_was_told_is_still_sent(
    platform, registry_api, family, provider, eventually
):
    people = await family([{"phone": "13900002001"}])
    parent = people.guardians[0]
    store = platform.notifications_app.state.store
    emergency_id = f"emg-halfway-{people.school_id}"
    # recorded, with its safety-net escalation entry, but nobody contacted yet
    await store.enqueue(f"escalation-{emergency_id}", datetime.now(UTC), "escalation")
    await store.insert_once(
        "emergencies",
        {
            "_id": emergency_id,
            "district_id": "d-e2e",
            "school_id": people.school_id,
            "student_id": parent.student_id,
            "class_id": people.class_id,
            "summary": "孩子流鼻血不止，已送校医室。",
            "ack_seconds": 60,
            "order": [{"kind": "guardian", "id": parent.guardian_id}],
            "steps": [],
            "status": "open",
            "created_by": "admin-1",
            "created_at": datetime.now(UTC),
        },
    )

    async def told() -> bool:
        return any("紧急" in m["subject"] for m in sms_to(provider, parent.phone))

    await eventually(told, 20)


async def test_the_bureaus_letter_reaches_every_family_of_its_district_school_by_school(
    platform, registry_api, provider, eventually
):
    """A district of its own, so the letter reaches only the families made here."""
    district = f"d-letter-{uuid.uuid4().hex[:8]}"
    http, notifications = registry_api.http, platform.all_services["notifications"]
    bureau = bearer(Role.bureau, district, "bureau-1")
    schools, phones = [], {}
    for n in range(2):
        made = await http.post(
            "/v1/schools",
            json={"name": f"第{n + 1}小学", "level": "primary", "setting": "urban"},
            headers=bureau,
        )
        school = made.json()["school_id"]
        admin = bearer(Role.school_admin, district, "admin-1", school)
        klass = await http.post(
            f"/v1/schools/{school}/classes", json={"grade": 2, "name": "二年级1班"}, headers=admin
        )
        student = await http.post(
            f"/v1/classes/{klass.json()['class_id']}/students",
            json={"name": f"学生{n}", "gender": "男", "student_number": f"L{n}"},
            headers=admin,
        )
        phone = f"1390003{uuid.uuid4().int % 10_000:04d}"
        guardian = await http.post(
            f"/v1/students/{student.json()['student_id']}/guardians",
            json={"name": f"家长{n}", "relationship": "父亲", "phone": phone},
            headers=admin,
        )
        assert guardian.status_code == 201, guardian.text
        schools.append(school)
        phones[school] = phone
    store = platform.notifications_app.state.store

    async def known() -> bool:
        return len(await store.find("guardians", {"district_id": district})) == 2

    await eventually(known, 30)
    letter = {
        "audience": {"kind": "district"},
        "variables": {"title": "寒假安全告家长书", "body": "注意防火防冻。"},
    }
    admin = bearer(Role.school_admin, district, "admin-1", schools[0])
    assert (await notifications.post("/v1/announcements", json=letter, headers=admin)).status_code == 403
    preview = await notifications.post("/v1/announcements/preview", json=letter, headers=bureau)
    assert preview.status_code == 200, preview.text
    assert preview.json()["recipients"] == 2
    sent = await notifications.post("/v1/announcements", json=letter, headers=bureau)
    assert sent.status_code == 201, sent.text
    assert sent.json()["school_id"] is None
    # accepted with its count; each school's part is addressed after, as queued work
    assert sent.json()["recipients"] == 2

    async def arrived() -> bool:
        return all(sms_to(provider, phone) for phone in phones.values())

    await eventually(arrived, 30)
    for school, phone in phones.items():
        [message] = sms_to(provider, phone)
        assert message["subject"].startswith("【区教育局】寒假安全告家长书")
        # each school's admin sees its own families' messages, not the other school's
        own = await notifications.get(
            f"/v1/schools/{school}/messages",
            headers=bearer(Role.school_admin, district, "admin-1", school),
        )
        assert [m["recipient_kind"] for m in own.json()] == ["guardian"]
        assert own.json()[0]["message_id"].startswith(sent.json()["announcement_id"])
    letter_path = f"/v1/announcements/{sent.json()['announcement_id']}"
    assert (await notifications.get(letter_path, headers=bureau)).status_code == 200
    # another district's bureau: as if it did not exist; a school's admin: not theirs to read
    elsewhere = bearer(Role.bureau, "d-elsewhere", "bureau-2")
    assert (await notifications.get(letter_path, headers=elsewhere)).status_code == 404
    assert (await notifications.get(letter_path, headers=admin)).status_code == 403
    summary = await notifications.get(letter_path, headers=bureau)
    assert summary.json()["recipients"] == 2

    # the kept counts follow the registry: a second guardian of the first school's child
    [child] = (await store.find("guardians", {"school_id": schools[0]}))[0]["student_ids"]
    another = await http.post(
        f"/v1/students/{child}/guardians",
        json={"name": "家长甲", "relationship": "母亲", "phone": f"1390004{uuid.uuid4().int % 10_000:04d}"},
        headers=bearer(Role.school_admin, district, "admin-1", schools[0]),
    )
    assert another.status_code == 201, another.text

    async def counted_again() -> bool:
        again = await notifications.post("/v1/announcements/preview", json=letter, headers=bureau)
        return again.json()["recipients"] == 3

    await eventually(counted_again, 30)

    # a child moved to the first school (转学) keeps their guardian under the second: still reached
    [moved] = (await store.find("guardians", {"school_id": schools[1]}))[0]["student_ids"]
    first_class = (await store.get("students", child))["class_id"]
    transfer = await http.post(
        f"/v1/students/{moved}/transfer", json={"class_id": first_class}, headers=bureau
    )
    assert transfer.status_code == 200, transfer.text

    async def moved_here() -> bool:
        return (await store.get("students", moved))["school_id"] == schools[0]

    await eventually(moved_here, 30)
    again = await notifications.post("/v1/announcements/preview", json=letter, headers=bureau)
    assert again.json()["recipients"] == 3


async def test_a_district_letter_stopped_before_it_was_kept_leaves_no_letter_and_its_schools_work_goes(
    platform, monkeypatch, eventually
):
    """Each school's part is queued before the letter is kept: a process stopping in between leaves
    no letter that is counted as sent and never sent. A part finding no letter looks again for a
    while (the letter is being kept), then goes."""
    district, school = f"d-stop-{uuid.uuid4().hex[:8]}", f"sch-stop-{uuid.uuid4().hex[:8]}"
    state = platform.notifications_app.state
    store, announcements = state.store, state.services.announcements
    await store.db["schools"].insert_one({"_id": school, "district_id": district, "name": "停电小学"})
    await store.db["students"].insert_one(
        {"_id": f"{school}-stu", "district_id": district, "school_id": school, "status": "enrolled"}
    )
    await store.db["guardians"].insert_one(
        {
            "_id": f"{school}-gdn",
            "district_id": district,
            "school_id": school,
            "student_ids": [f"{school}-stu"],
            "contacts": {"phone": "13900000000"},
        }
    )
    kept = store.insert_once

    async def stops_before_the_letter(collection: str, document: dict) -> bool:
        if collection == "announcements":
            raise ConnectionError("process stopped")
        return await kept(collection, document)

    monkeypatch.setattr(store, "insert_once", stops_before_the_letter)
    letter = AnnouncementCreate.model_validate(
        {"audience": {"kind": "district"}, "variables": {"title": "停课通知", "body": "明日停课。"}}
    )
    bureau = Caller("bureau-1", Role.bureau, district)
    with pytest.raises(ConnectionError):
        await announcements.send(bureau, letter, "ann-stopped")

    assert await store.get("announcements", "ann-stopped") is None
    part = await store.get("queue", f"fanout-ann-stopped-{school}")
    assert part is not None
    # the dispatcher finds no letter yet: the part waits and looks again, nothing is sent

    async def looked_again() -> bool:
        found = await store.get("queue", part["_id"])
        return found is not None and found["due_at"] > part["due_at"]

    await eventually(looked_again, 20)
    assert await store.find("messages", {"source_id": "ann-stopped"}) == []
    waiting = await store.get("queue", part["_id"])
    # once the letter could have been kept, the part goes
    await announcements.finish_fan_out(waiting, datetime.now(UTC) + timedelta(minutes=2))
    assert await store.get("queue", part["_id"]) is None
    assert await store.find("messages", {"source_id": "ann-stopped"}) == []


async def test_a_letter_whose_audience_is_empty_or_misaddressed_is_refused_with_the_reason(
    platform, registry_api, eventually
):
    notifications = platform.all_services["notifications"]
    school = await registry_api.new_school("空校")  # no families yet
    store = platform.notifications_app.state.store

    async def known() -> bool:
        return await store.get("schools", school) is not None

    await eventually(known, 30)
    admin = registry_api.auth(Role.school_admin, school)
    letter = {
        "school_id": school,
        "audience": {"kind": "school"},
        "variables": {"title": "通知", "body": "内容"},
    }
    empty = await notifications.post("/v1/announcements", json=letter, headers=admin)
    assert empty.status_code == 422
    assert empty.headers["content-type"] == "application/problem+json"
    assert "没有可通知的家长" in empty.json()["detail"]
    assert empty.json()["errors"][0]["field"] == "body.audience"
    assert (await notifications.get(f"/v1/schools/{school}/messages", headers=admin)).json() == []
    # a school's letter names its school; the district's names none
    no_school = await notifications.post(
        "/v1/announcements", json={k: v for k, v in letter.items() if k != "school_id"}, headers=admin
    )
    assert no_school.status_code == 422
    assert "needs school_id" in json.dumps(no_school.json(), ensure_ascii=False)
    both = await notifications.post(
        "/v1/announcements",
        json=letter | {"audience": {"kind": "district"}},
        headers=bearer(Role.bureau, "d-e2e", "bureau-1"),
    )
    assert both.status_code == 422
    assert "names no school_id" in json.dumps(both.json(), ensure_ascii=False)
