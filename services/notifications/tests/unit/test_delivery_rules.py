"""The rules of delivery without I/O: quiet hours, digests, channel order, retries and fallback."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from contracts.events.registry import Channel
from notifications import messages, preferences, waiting
from notifications.channels import Refused, Sent, TryLater, signature
from notifications.settings import Settings
from pydantic import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
SETTINGS = Settings(delivery_backoff_seconds=30, delivery_max_attempts=3)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=SHANGHAI)


def test_the_defaults_are_the_districts():
    defaults = Settings()
    assert defaults.meeting_reminders_before == [timedelta(hours=24), timedelta(hours=2)]
    assert (defaults.quiet_hours_start, defaults.quiet_hours_end) == (time(21, 30), time(7, 0))
    assert defaults.digest_at == time(18, 0)
    assert defaults.school_timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(22, 0), datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI)),  # evening: until tomorrow morning
        (at(6, 59), at(7, 0)),  # early morning: until 07:00 today
        (at(21, 30), datetime(2026, 11, 21, 7, 0, tzinfo=SHANGHAI)),  # the start itself is quiet
        (at(7, 0), None),  # the end is not
        (at(12, 0), None),
    ],
)
def test_quiet_hours_span_midnight(now, until):
    assert preferences.quiet_until(now, time(21, 30), time(7, 0), SHANGHAI) == until


def test_quiet_hours_within_a_day_and_switched_off():
    assert preferences.quiet_until(at(13, 0), time(12, 0), time(14, 0), SHANGHAI) == at(14, 0)
    assert preferences.quiet_until(at(15, 0), time(12, 0), time(14, 0), SHANGHAI) is None
    assert preferences.quiet_until(at(13, 0), time(0, 0), time(0, 0), SHANGHAI) is None


def test_quiet_hours_are_read_in_the_schools_time_zone():
    late_in_shanghai = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    assert preferences.quiet_until(late_in_shanghai, time(21, 30), time(7, 0), SHANGHAI) is not None


def test_the_digest_goes_out_today_or_tomorrow():
    assert preferences.next_digest(at(10, 0), time(18, 0), SHANGHAI) == at(18, 0)
    assert preferences.next_digest(at(19, 0), time(18, 0), SHANGHAI) == datetime(
        2026, 11, 21, 18, 0, tzinfo=SHANGHAI
    )


def test_channels_follow_the_preferred_one_and_skip_missing_contacts():
    contacts = {"phone": "13900000001", "email": "a@example.com", "messaging_handle": None}
    assert preferences.channel_plan(contacts, Channel.email, None) == [Channel.email, Channel.sms]
    assert preferences.channel_plan(contacts, Channel.wechat, None) == [Channel.sms, Channel.email]
    chosen = [Channel.app, Channel.email]
    assert preferences.channel_plan(contacts, Channel.sms, chosen) == [Channel.app, Channel.email]
    assert preferences.channel_plan({}, Channel.sms, None) == []  # the inbox only when chosen
    assert preferences.channel_plan({}, Channel.app, None) == [Channel.app]


def test_an_emergency_uses_every_channel_the_person_has():
    contacts = {"phone": "13900000001", "email": "a@example.com"}
    assert preferences.every_channel(contacts) == [Channel.sms, Channel.email, Channel.app]


def notice(**overrides) -> messages.Notice:
    fields = {
        "key": "ann-1",
        "purpose": "announcement",
        "district_id": "d-yecheng",
        "school_id": "sch-1",
        "source_id": "ann-1",
        "variables": {"school_name": "良舍小学", "title": "冬季安全", "body": "注意安全。"},
    }
    return messages.Notice(**(fields | overrides))


GUARDIAN = {
    "_id": "gdn-1",
    "student_ids": ["stu-1"],
    "contacts": {"phone": "13900000001", "email": "a@example.com"},
    "preferred_channel": "sms",
    "language": "en",
    "consent_non_essential": False,
}


def test_a_message_is_addressed_in_the_guardians_language_on_their_channels():
    [message] = messages.address(notice(), GUARDIAN, {}, NOW, SETTINGS)
    assert message["_id"] == "ann-1-gdn-1"
    assert message["language"] == "en"
    assert message["subject"] == "[良舍小学] 冬季安全"
    assert message["channels"] == ["sms", "email"]
    assert message["status"] == "queued"
    assert message["due_at"] == NOW


@pytest.mark.parametrize(
    ("registry", "chosen", "language"),
    [
        ("zh-CN", {}, "zh-CN"),  # nothing chosen: the school's language
        ("en", {}, "en"),
        ("en", {"language": None}, "en"),  # null: back to the school's choice
        ("zh-CN", {"language": "en"}, "en"),  # the guardian's own choice wins
        ("en", {"language": "zh-CN"}, "zh-CN"),
        (None, {}, "zh-CN"),  # nothing known anywhere: zh-CN
        ("fr", {"language": "de"}, "zh-CN"),  # nothing a template exists for: zh-CN
    ],
)
def test_a_guardians_own_language_wins_over_the_registrys(registry, chosen, language):
    assert preferences.language(registry, chosen) == language


def test_the_language_preference_is_zh_cn_english_or_null_and_nothing_else():
    assert preferences.Preferences().language is None
    assert preferences.Preferences.model_validate({"language": "en"}).language == "en"
    with pytest.raises(ValidationError):
        preferences.Preferences.model_validate({"language": "fr"})
    with pytest.raises(ValidationError):
        preferences.Preferences.model_validate({"locale": "en"})  # unknown fields are refused


def test_a_message_follows_the_language_the_guardian_chose():
    [english] = messages.address(
        notice(), GUARDIAN | {"language": "zh-CN"}, {"language": "en"}, NOW, SETTINGS
    )
    assert english["language"] == "en"
    assert english["body"].startswith("注意安全。\nOpen the notice:")
    [chinese] = messages.address(notice(), GUARDIAN, {"language": "zh-CN"}, NOW, SETTINGS)
    assert chinese["language"] == "zh-CN"
    assert chinese["subject"] == "【良舍小学】冬季安全"
    urgent = notice(purpose="emergency", urgent=True, variables={"school_name": "x", "summary": "y"})
    made = messages.address(urgent, GUARDIAN | {"language": "zh-CN"}, {"language": "en"}, NOW, SETTINGS)
    assert {m["language"] for m in made} == {"en"}  # an emergency too


def test_a_non_essential_message_needs_consent_but_an_emergency_does_not():
    assert messages.address(notice(essential=False), GUARDIAN, {}, NOW, SETTINGS) == []
    urgent = notice(
        purpose="emergency", urgent=True, variables={"school_name": "x", "summary": "y", "ack_url": "z"}
    )
    made = messages.address(urgent, GUARDIAN, {"delivery": "digest"}, NOW, SETTINGS)
    assert [m["channels"] for m in made] == [["sms"], ["email"], ["app"]]
    assert all(m["due_at"] == NOW for m in made)  # no digest for an emergency


def test_a_digest_reader_gets_non_urgent_messages_at_the_digest_time():
    [message] = messages.address(
        notice(), GUARDIAN, {"delivery": "digest", "digest_at": "18:00"}, NOW, SETTINGS
    )
    assert message["waiting"] == "digest"
    assert message["due_at"] == datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI)


def test_a_guardian_without_any_contact_is_recorded_undeliverable():
    [message] = messages.address(notice(), GUARDIAN | {"contacts": {}}, {}, NOW, SETTINGS)
    assert message["status"] == "failed"
    assert message["failure_reason"] == messages.NO_CONTACT


def queued() -> dict:
    [message] = messages.address(notice(), GUARDIAN, {}, NOW, SETTINGS)
    return message


def test_a_failed_send_is_retried_with_exponential_back_off():
    first = messages.after_send(queued(), TryLater("provider error 500"), NOW, SETTINGS)
    second = messages.after_send(first, TryLater("provider error 500"), NOW, SETTINGS)
    assert (first["attempts"], first["due_at"]) == (1, NOW + timedelta(seconds=30))
    assert (second["attempts"], second["due_at"]) == (2, NOW + timedelta(seconds=60))
    assert second["version"] == 3


def test_too_many_failures_fall_back_to_the_next_channel_then_park_the_message():
    message = queued()
    for _ in range(3):
        message = messages.after_send(message, TryLater("provider error 500"), NOW, SETTINGS)
    assert messages.current_channel(message) is Channel.email
    assert message["attempts"] == 0
    assert message["due_at"] == NOW
    parked = messages.after_send(message, Refused("SMTP 550: no such mailbox"), NOW, SETTINGS)
    assert parked["status"] == "failed"
    assert parked["failure_reason"] == "SMTP 550: no such mailbox"
    assert [h["outcome"] for h in parked["history"]] == ["retry", "retry", "fallback", "fallback"]


def test_a_rate_limit_waits_as_asked_and_is_not_counted_as_a_failure():
    limited = messages.after_send(queued(), TryLater("429", after=7, counts=False), NOW, SETTINGS)
    assert limited["attempts"] == 0
    assert limited["due_at"] == NOW + timedelta(seconds=7)


def test_a_send_the_channel_accepted_is_sent_and_the_inbox_is_delivered_at_once():
    sent = messages.after_send(queued(), Sent(provider_id="p-1"), NOW, SETTINGS)
    assert (sent["status"], sent["sent_channel"], sent["due_at"]) == ("sent", "sms", None)
    delivered = messages.after_send(queued(), Sent(delivered=True), NOW, SETTINGS)
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"] == NOW


def test_the_delivered_event_carries_ids_and_the_channel_only():
    sent = messages.after_send(queued(), Sent(), NOW, SETTINGS)
    payload = messages.delivered_event(sent).payload.model_dump()
    assert set(payload) == {
        "message_id",
        "recipient_kind",
        "recipient_id",
        "student_ids",
        "channel",
        "purpose",
        "delivered_at",
    }
    assert "13900000001" not in str(payload)


def test_quiet_hours_hold_non_urgent_messages_only():
    late = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    normal = queued()
    assert messages.held_for_quiet_hours(normal, late, SETTINGS) == datetime(
        2026, 11, 21, 7, 0, tzinfo=SHANGHAI
    )
    assert messages.held_for_quiet_hours(normal | {"urgent": True}, late, SETTINGS) is None
    # the recipient's choice travels with the message (taken when it was addressed)
    chose_none = normal | {"quiet": {"quiet_hours": False}}
    assert messages.held_for_quiet_hours(chose_none, late, SETTINGS) is None


def test_provider_requests_are_signed_with_hmac_sha256():
    # hex HMAC-SHA256 of "1700000000\n{}" under "secret", computed independently with openssl
    assert signature("secret", "1700000000", b"{}") == (
        "346a8f68fec04c9eee008b1bb9797f79920c7c67fdc75c2c67108852e95a3505"
    )


def test_an_event_waiting_for_the_registry_is_tried_again_less_often_and_given_up_on_time():
    settings = Settings(registry_retry_seconds=10, registry_retry_max_seconds=600, registry_wait_seconds=3600)
    since = NOW
    delays = [(waiting.next_try(since, tries, NOW, settings) - NOW).total_seconds() for tries in range(8)]
    assert delays == [10, 20, 40, 80, 160, 320, 600, 600]
    late = NOW + timedelta(seconds=3500)
    assert waiting.next_try(since, 9, late, settings) == since + timedelta(seconds=3600)


def test_a_message_that_waited_long_takes_its_recipients_current_contacts_and_choices():
    addressed = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    message = queued() | {"created_at": addressed, "contacts": {"phone": "13900000001"}, "quiet": {}}
    assert not messages.stale(message, addressed + timedelta(minutes=20))  # a letter waiting its turn
    assert messages.stale(message, addressed + timedelta(hours=2))  # a reminder, a digest, a hold
    now_reached = {"_id": "gdn-1", "contacts": {"phone": "13900000002", "email": "mum@example.cn"}}
    refreshed = messages.refresh(message, now_reached, {"quiet_hours": False, "channel_order": ["sms"]})
    assert refreshed["contacts"] == now_reached["contacts"]
    assert refreshed["quiet"] == {"quiet_hours": False}  # only what decides when it may go out
    # a recipient no longer known keeps the contacts the message was addressed with
    assert messages.refresh(message, None, {})["contacts"] == {"phone": "13900000001"}


@pytest.mark.parametrize(
    ("recipient", "chosen", "essential", "urgent"),
    [
        ({"_id": "g-sms", "contacts": {"phone": "13900000001"}, "preferred_channel": "sms"}, {}, True, False),
        ({"_id": "g-mail", "contacts": {"email": "a@b.cn"}, "preferred_channel": "email"}, {}, True, False),
        ({"_id": "g-none", "contacts": {}}, {}, True, False),  # fails at once: no contact
        ({"_id": "g-digest", "contacts": {"phone": "13900000002"}}, {"delivery": "digest"}, True, False),
        ({"_id": "g-declined", "contacts": {"phone": "1"}, "consent_non_essential": False}, {}, False, False),
        ({"_id": "g-urgent", "contacts": {"phone": "1", "email": "a@b.cn"}}, {}, True, True),
        ({"_id": "g-order", "contacts": {"phone": "1"}}, {"channel_order": ["email", "sms"]}, True, False),
    ],
)
def test_a_message_is_planned_exactly_when_address_would_make_one_due_now_on_its_own(
    recipient, chosen, essential, urgent
):
    notice = messages.Notice(
        key="ann-1",
        purpose="announcement",
        district_id="d-1",
        school_id="sch-1",
        source_id="ann-1",
        variables={"title": "通知", "body": "正文", "school_name": "区教育局"},
        essential=essential,
        urgent=urgent,
        audience="district",
    )
    level = notice.priority(NOW, SETTINGS)
    made = messages.address(notice, recipient, chosen, NOW, SETTINGS)
    alone = [m["_id"] for m in made if m["status"] == "queued" and m["waiting"] is None and len(made) == 1]
    assert messages.planned_id(notice, recipient, chosen, level, NOW, SETTINGS) == (
        alone[0] if alone else None
    )
