"""Calendar subscriptions without I/O: who may have one, the address, which tokens are looked up,
and the access log that never shows a token."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from portal import domain
from portal.calendar_feed import RedactFeedTokens, subscription
from portal.domain import LinkScope, Session
from service_kit.auth import Role

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def session(role: Role, link: LinkScope | None = None) -> Session:
    return Session(
        "digest", "stf-1", role, "csrf", NOW + timedelta(hours=1), link, "link" if link else "full"
    )


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.teacher, True),
        (Role.school_admin, True),
        (Role.guardian, True),
        (Role.partner, False),  # scheduling keeps no calendar of a partner's own
        (Role.bureau, False),
    ],
)
def test_staff_of_a_school_and_guardians_may_subscribe_to_their_calendar(role, allowed):
    assert domain.may_subscribe(role, session(role)) is allowed


def test_a_session_a_one_tap_link_opened_gets_no_calendar_address():
    link = LinkScope("rsvp", "msg-1", "mtg-1", NOW + timedelta(hours=1))
    assert not domain.may_subscribe(Role.guardian, session(Role.guardian, link))


def test_the_address_is_the_portals_origin_with_the_token():
    token = domain.new_secret()
    assert (
        domain.calendar_address("https://jx.example.cn/", token)
        == f"https://jx.example.cn/calendar/{token}.ics"
    )


def test_every_token_the_portal_makes_has_the_shape_it_looks_up():
    assert all(domain.feed_token_shape(domain.new_secret()) for _ in range(200))


@pytest.mark.parametrize(
    "token", ["", "abc", "x" * 65, "../../etc/passwd-xxxxxxxxxxxxxxxxxxxxxxxx", "a b" * 20, "令牌" * 20]
)
def test_anything_else_is_not_looked_up(token):
    assert not domain.feed_token_shape(token)


def test_two_addresses_never_share_a_digest():
    tokens = {domain.new_secret() for _ in range(100)}
    assert len({domain.digest(t) for t in tokens}) == 100
    assert all(domain.digest(t) != t for t in tokens)  # what is stored is never the token


def test_the_access_log_shows_a_feeds_address_without_its_token():
    token = domain.new_secret()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", f"/calendar/{token}.ics", "1.1", 200),
        None,
    )
    assert RedactFeedTokens().filter(record)
    line = record.getMessage()
    assert token not in line
    assert "/calendar/….ics" in line
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/api/x",), None)
    RedactFeedTokens().filter(other)
    assert other.getMessage() == "/api/x"


def test_a_person_without_an_address_is_told_they_have_none():
    state = subscription(None)
    assert (state.subscribed, state.created_at) == (False, None)


def test_a_person_with_an_address_is_told_when_it_was_made_and_never_the_address():
    made = datetime(2026, 11, 2, 8, 30)  # as the store gives it back: UTC, without a zone
    state = subscription(made)
    assert (state.subscribed, state.created_at) == (True, made.replace(tzinfo=UTC))
    assert "url" not in state.model_dump()
    assert "只在生成时显示一次" in state.note
