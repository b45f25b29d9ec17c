"""One-tap links without I/O: the claims and expiry of each purpose, the message each binds, and
what a message asks of its guardian."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from notifications import links, messages
from notifications.links import Action
from notifications.messages import MessagePublic, Notice
from notifications.settings import Settings
from pydantic import SecretStr, ValidationError
from service_kit.keys import DEV_LINK_KEY, DEV_LINK_KID, SigningKey, jwks, public_key_of

SETTINGS = Settings(portal_public_url="https://jiaxiao.example.cn")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
MEETING_STARTS = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
GUARDIAN = {
    "_id": "gdn-1",
    "kind": "guardian",
    "student_ids": ["stu-1"],
    "contacts": {"phone": "13900000001"},
    "preferred_channel": "sms",
    "language": "zh-CN",
}
MEETING = {"school_name": "良舍小学", "title": "期中家长会", "starts_at": MEETING_STARTS, "place": "教室"}


def notice(**overrides) -> Notice:
    fields = {
        "key": "mtg-1-v1-scheduled",
        "purpose": "meeting_invitation",
        "district_id": "d-yecheng",
        "school_id": "sch-1",
        "source_id": "mtg-1",
        "variables": MEETING,
        "action": Action("rsvp", "mtg-1", until=MEETING_STARTS),
    }
    return Notice(**(fields | overrides))


def addressed(made: Notice, recipient: dict = GUARDIAN) -> dict:
    [message] = messages.address(made, recipient, {}, NOW, SETTINGS)
    return message


def verified(url: str) -> dict:
    """As the portal verifies a link: with the public key notifications publishes."""
    prefix = "https://jiaxiao.example.cn/l#"
    assert url.startswith(prefix)
    [jwk] = jwks(SETTINGS.link_key())["keys"]
    key = public_key_of(jwk)
    assert key is not None
    token = url.removeprefix(prefix)
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    return jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        audience="portal-link",
        issuer="notifications",
        options={"verify_exp": False},
    )


def sent_link(message: dict) -> str:
    text = links.personal_text(message["body"], message, SETTINGS.portal_public_url, SETTINGS.link_key())
    [url] = [word for word in text.replace("：", " ").split() if "/l#" in word]
    return url


def test_an_invitations_link_names_the_guardian_the_message_and_the_meeting_until_it_starts():
    message = addressed(notice())
    claims = verified(sent_link(message))
    assert claims["sub"] == "gdn-1"
    assert claims["msg"] == message["_id"] == "mtg-1-v1-scheduled-gdn-1"
    assert (claims["purpose"], claims["target"]) == ("rsvp", "mtg-1")
    assert claims["exp"] == int(MEETING_STARTS.timestamp())
    assert (claims["district_id"], claims["school_id"], claims["student_ids"]) == (
        "d-yecheng",
        "sch-1",
        ["stu-1"],
    )
    assert claims["jti"]


@pytest.mark.parametrize(
    ("action", "lifetime"),
    [
        (Action("confirm", "ann-1"), timedelta(days=14)),
        (Action("acknowledge", "emg-1"), timedelta(days=3)),
        (Action("visit", "vis-1"), timedelta(days=30)),
    ],
)
def test_each_purpose_expires_as_the_district_decided(action, lifetime):
    assert links.expires_at(action, NOW) == NOW + lifetime
    scope = links.scope(action, "msg-1", "src-1", NOW)
    assert (scope["purpose"], scope["target_id"], scope["expires_at"]) == (
        action.purpose,
        action.target_id,
        NOW + lifetime,
    )


def test_an_rsvp_link_needs_the_meetings_start():
    with pytest.raises(ValueError, match="meeting's start"):
        links.expires_at(Action("rsvp", "mtg-1"), NOW)


def test_the_stored_text_shows_the_page_and_only_the_sent_text_carries_the_token():
    message = addressed(notice())
    assert (
        "请点击回复是否出席：https://jiaxiao.example.cn/messages/mtg-1-v1-scheduled-gdn-1" in message["body"]
    )
    assert "/l#" not in message["body"]
    assert "/v1/" not in message["body"]
    assert sent_link(message).startswith("https://jiaxiao.example.cn/l#")


def test_each_guardian_gets_a_link_of_their_own_and_the_same_one_every_time_it_is_sent():
    mine, theirs = addressed(notice()), addressed(notice(), GUARDIAN | {"_id": "gdn-2"})
    assert sent_link(mine) != sent_link(theirs)
    assert verified(sent_link(theirs))["sub"] == "gdn-2"
    again = addressed(notice())  # the same event handled again
    assert sent_link(again) == sent_link(mine)


def test_an_emergency_on_every_channel_links_each_message_to_itself():
    urgent = notice(
        key="emg-1-step0",
        purpose="emergency",
        source_id="emg-1",
        urgent=True,
        variables={"school_name": "良舍小学", "summary": "孩子扭伤脚踝。"},
        action=Action("acknowledge", "emg-1"),
    )
    made = messages.address(
        urgent, GUARDIAN | {"contacts": {"phone": "1", "email": "a@b.cn"}}, {}, NOW, SETTINGS
    )
    claims = [verified(sent_link(m)) for m in made]
    assert [c["msg"] for c in claims] == [m["_id"] for m in made]
    assert {(c["purpose"], c["target"]) for c in claims} == {("acknowledge", "emg-1")}
    assert all(c["exp"] == int((NOW + timedelta(days=3)).timestamp()) for c in claims)


def test_a_reminder_lets_the_guardian_change_the_answer_without_asking_for_one():
    reminder = addressed(
        notice(
            key="mtg-1-v1-reminder-7200", purpose="meeting_reminder", action=None, link_scope=notice().action
        )
    )
    assert (verified(sent_link(reminder))["purpose"], reminder["action"]) == ("rsvp", None)


def test_a_message_asking_nothing_links_to_itself():
    activity = addressed(
        notice(
            key="act-1",
            purpose="partner_activity",
            source_id="act-1",
            variables={"school_name": "良舍小学", "held_on": NOW.date(), "kind": "safety_drill"},
            action=None,
        )
    )
    claims = verified(sent_link(activity))
    assert (claims["msg"], claims["purpose"]) == ("act-1-gdn-1", "confirm")
    assert MessagePublic.of(activity).action is None


def test_a_cancelled_meeting_has_no_link():
    cancelled = addressed(notice(purpose="meeting_cancelled", action=None, linked=False))
    assert cancelled["link"] is None
    assert "会议已取消" in cancelled["body"]
    assert "http" not in cancelled["body"]


def test_staff_get_the_page_to_sign_in_to_never_a_guardians_token():
    staff = {
        "_id": "stf-1",
        "kind": "staff",
        "contacts": {"phone": "13900000009"},
        "preferred_channel": "sms",
    }
    message = addressed(
        notice(
            key="emg-1-step2",
            purpose="emergency_staff",
            source_id="emg-1",
            variables={"summary": "孩子扭伤脚踝。", "student_id": "stu-1"},
            action=Action("acknowledge", "emg-1"),
        ),
        staff,
    )
    assert message["link"] is None
    assert (
        links.personal_text(message["body"], message, SETTINGS.portal_public_url, SETTINGS.link_key())
        == (message["body"])
    )
    assert "https://jiaxiao.example.cn/messages/emg-1-step2-stf-1" in message["body"]


@pytest.mark.parametrize(
    ("made", "action"),
    [
        (notice(), {"purpose": "rsvp", "target_id": "mtg-1"}),
        (
            notice(purpose="announcement", action=Action("confirm", "ann-1")),
            {"purpose": "confirm", "target_id": "ann-1"},
        ),
        (notice(action=None), None),
    ],
)
def test_the_message_says_what_it_asks(made, action):
    variables = {"school_name": "良舍小学", "title": "信", "body": "正文"} | MEETING
    public = MessagePublic.of(addressed(replace(made, variables=variables)) | {"status": "sent"})
    assert (public.action.model_dump() if public.action else None) == action


def test_outside_production_links_are_signed_with_the_development_link_key():
    assert SETTINGS.link_key().kid == DEV_LINK_KID
    assert SETTINGS.link_key().jwk() == SigningKey.from_pem(DEV_LINK_KEY, DEV_LINK_KID).jwk()


def test_production_needs_a_link_key_of_its_own():
    production = {"environment": "production", "token_signing_key": None, "jwks_url": "https://x/jwks"}
    with pytest.raises(ValidationError, match="LINK_SIGNING_KEY is required"):
        Settings(**production)
    with pytest.raises(ValidationError, match="development key"):
        Settings(**production, link_signing_key=SecretStr(DEV_LINK_KEY))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    own = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    settings = Settings(**production, link_signing_key=SecretStr(own), link_signing_kid="links-2026")
    assert settings.link_key().kid == "links-2026"
